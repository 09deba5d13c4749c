#!/usr/bin/python3
"""The host interface generator refuses descriptions the RTL cannot build.

    check_gen_host_interface.py GENERATOR DESCRIPTION.json WORK_DIR

Each case edits a copy of the description (or passes a build parameter) and
requires exit 2 with the one-line error naming what does not fit; the
unedited description must generate. Exits 1 on the first case that fails.
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


def narrowed(desc, table, word, field, bits):
    for w in desc["tables"][table]["words"]:
        if w["name"] == word:
            for f in w["fields"]:
                if f["name"] == field:
                    f["bits"] = bits
                    return desc
    raise KeyError(f"{table}.{word}.{field}")


def main():
    generator, description, work = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    original = json.loads(description.read_text())
    steps = int(original["constants"]["CSR_LOG_STEPS"]["value"], 0)

    def edited(name, change):
        desc = change(json.loads(description.read_text()))
        path = work / f"{name}.json"
        path.write_text(json.dumps(desc))
        return path

    def more_log_steps(desc):
        desc["constants"]["CSR_LOG_STEPS"]["value"] = str(2 * steps)
        return desc

    cases = [
        ("the description as it is", description, (), 0, ""),
        ("one step", description, ("MAX_LAYERS=1",), 2, "MAX_LAYERS 1 is below 2"),
        ("more steps than the logs hold", description, (f"MAX_LAYERS={steps + 1}",), 2,
         f"MAX_LAYERS {steps + 1} exceeds CSR_LOG_STEPS"),
        ("a step field too narrow", edited("narrow", lambda d: narrowed(d, "desc", "pcu", "max_source", "31:25")), (), 2,
         "desc.pcu.max_source: 7 bits cannot hold CSR_LOG_STEPS"),
        ("logs that outgrow their CSR offsets", edited("more_log_steps", more_log_steps), (), 2, "overlap"),
    ]
    failed = 0
    for name, path, params, want_rc, want_text in cases:
        rc, err = run(generator, path, work, params)
        ok = rc == want_rc and want_text in err and (rc == 0 or len(err.splitlines()) == 1)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {rc} {err}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
