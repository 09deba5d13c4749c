#!/usr/bin/python3
"""The host interface generator refuses descriptions the RTL cannot build.

    check_gen_host_interface.py GENERATOR DESCRIPTION.json WORK_DIR

Each case edits a copy of the description (or passes a build parameter) and
requires exit 2 with the one-line error naming what does not fit; the
unedited description must generate. Runs every case; exits 1 if any fails.
"""
import json
import pathlib
import subprocess
import sys


def run(generator, description, work, params=()):
    out = work / "out"
    args = [sys.executable, generator, str(description), "--sv", str(out.with_suffix(".sv")),
            "--cpp", str(out.with_suffix(".hpp")), "--md", str(out.with_suffix(".md"))]
    for p in params:
        args += ["--param", p]
    r = subprocess.run(args, capture_output=True, text=True)
    return r.returncode, r.stderr.strip()


def narrowed(fields, name, msb, width):
    """The field `name` of `fields` cut to `width` bits ending at `msb`."""
    for f in fields:
        if f["name"] == name:
            f["bits"] = f"{msb}:{msb - width + 1}"
            return
    raise KeyError(name)


def table_word(desc, table, word):
    return next(w for w in desc["tables"][table]["words"] if w["name"] == word)["fields"]


def csr(desc, name):
    return next(c for c in desc["csrs"] if c["name"] == name)["fields"]


def main():
    generator, description, work = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    steps = int(json.loads(description.read_text())["constants"]["CSR_LOG_STEPS"]["value"], 0)

    def edited(name, change):
        """A copy of the description that `change` edits in place."""
        desc = json.loads(description.read_text())
        change(desc)
        path = work / f"{name}.json"
        path.write_text(json.dumps(desc))
        return path

    short = steps.bit_length() - 1  # one bit short of CSR_LOG_STEPS
    narrow_table = edited("narrow_table", lambda d: narrowed(table_word(d, "desc", "pcu"), "max_source", 31, short))
    narrow_csr = edited("narrow_csr", lambda d: narrowed(csr(d, "num_layers"), "count", short - 1, short))
    wide_csr = edited("wide_csr", lambda d: narrowed(csr(d, "num_layers"), "count", short + 1, short + 2))
    def unmark_steps(node):
        """Drops every "holds" mark below `node`."""
        if isinstance(node, dict):
            node.pop("holds", None)
            for v in node.values():
                unmark_steps(v)
        elif isinstance(node, list):
            for v in node:
                unmark_steps(v)

    unmarked = edited("unmarked", unmark_steps)
    # one more step than the logs' CSR offsets leave room for
    more_log_steps = edited("more_log_steps", lambda d: d["constants"]["CSR_LOG_STEPS"].update(value=str(steps + 1)))

    cases = [
        ("the description as it is", description, (), 0, ("",)),
        ("one step", description, ("MAX_LAYERS=1",), 2, ("MAX_LAYERS 1 is below 2",)),
        ("more steps than the logs hold", description, (f"MAX_LAYERS={steps + 1}",), 2,
         (f"MAX_LAYERS {steps + 1} exceeds CSR_LOG_STEPS",)),
        ("a descriptor field too narrow for the steps", narrow_table, (), 2,
         (f"desc.pcu.max_source: {short} bits cannot hold CSR_LOG_STEPS {steps}",)),
        ("a CSR field too narrow for the steps", narrow_csr, (), 2,
         (f"num_layers.count: {short} bits cannot hold CSR_LOG_STEPS {steps}",)),
        ("a step field wider than the others", wide_csr, (), 2,
         (f"num_layers.count: {short + 2} bits, but the other fields holding steps have {short + 1}",)),
        ("no field marked as holding steps", unmarked, (), 2, ('no field is marked "holds": "steps"',)),
        ("logs that outgrow their CSR offsets", more_log_steps, (), 2,
         ("overlap", "outside the CSR region")),
    ]
    failed = 0
    for name, path, params, want_rc, want_texts in cases:
        rc, err = run(generator, path, work, params)
        ok = rc == want_rc and any(t in err for t in want_texts) and (rc == 0 or len(err.splitlines()) == 1)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {rc} {err}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
