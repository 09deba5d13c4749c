"""What a shard's aps-sim --report must hold for the merge to read it, and
which shards belong to one run. A report with a field of the wrong type, or
one of another run (another model, data, precision, seed or layer list, or
an input slice another shard also covers), is named and left out of the
merge rather than merged into a wrong result or stopping it with a traceback."""

import os



def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


LAYER_FIGURES = ("cycles_per_inference", "bytes_moved_per_inference", "memory_stall_cycles_per_inference")
SAME_RUN = {"regression": ("seed",), "data_set": ("model", "data", "precision", "policy_options", "task", "seed")}


def _same_run_value(r, key):
    # aps-sim's reports before policy_options had none: the run without any.
    return r.get(key, "") if key == "policy_options" else r.get(key)


def _evaluation_problem(e, task):
    if not isinstance(e, dict):
        return "is not an object"
    for side in ("rtl", "golden"):
        part = e.get(side)
        if not isinstance(part, dict) or not _count(part.get("samples")):
            return f"has no '{side}' sample count"
        if task == "anomaly_detection":
            if not all(isinstance(part.get(k, []), list) and all(_number(x) for x in part.get(k, []))
                       for k in ("scores", "labels")):
                return f"'{side}' scores or labels are not lists of numbers"
        elif not _count(part.get("correct")):
            return f"'{side}' has no count of correct samples"
    return None


def report_problem(r, kind):
    """Why the report's fields cannot be merged, or None."""
    counts = {"regression": ("networks", "failed", "layers_compared", "elements_compared"),
              "data_set": ("first", "inputs", "failed_inputs", "layers_compared", "elements_compared", "mismatches")}
    for key in counts[kind]:
        if not _count(r.get(key)):
            return f"'{key}' is {r.get(key)!r}, not a count"
    if kind == "regression":
        cases = r.get("cases")
        if not isinstance(cases, list) or not all(
                isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("passed"), bool)
                for c in cases):
            return "'cases' is not a list of cases with a name and a verdict"
        return None
    for key in ("model", "data", "precision", "task"):
        if not isinstance(r.get(key), str):
            return f"'{key}' is {r.get(key)!r}, not a string"
    for key in ("seconds", "avg_bits", *LAYER_FIGURES):
        if not _number(r.get(key)):
            return f"'{key}' is {r.get(key)!r}, not a number"
    why = _evaluation_problem(r.get("evaluation"), r["task"])
    if why:
        return f"'evaluation' {why}"
    layers = r.get("layers")
    if not isinstance(layers, list) or not all(
            isinstance(l, dict) and all(_number(l.get(k)) for k in LAYER_FIGURES) for l in layers):
        return "'layers' is not a list of layers with their figures"
    return None


def _as_written(v):
    """A path as aps-sim's report writes it: bytes that are not UTF-8 as U+FFFD."""
    return os.fsencode(v).decode("utf-8", "replace") if isinstance(v, str) else v


def asked(command):
    """What the farm's aps-sim command fixes of every shard's report: its
    --model and --data as given (a data-set run)."""
    out = {}
    for i, arg in enumerate(command):
        for key in ("model", "data"):
            if arg == f"--{key}" and i + 1 < len(command):
                out[key] = _as_written(command[i + 1])
            elif arg.startswith(f"--{key}="):
                out[key] = _as_written(arg.split("=", 1)[1])
    return out


def _identity(r, kind):
    layers = tuple(l.get("name") for l in r["layers"]) if kind == "data_set" else ()
    return tuple(_same_run_value(r, key) for key in SAME_RUN[kind]) + (layers,)


def other_run_problems(reports, kind, expected=None):
    """{index in reports: why} for the reports that are not of the farm's run,
    or whose inputs or cases another report already covers. The run is what
    the command asked (`expected`: its model and data), and among the reports
    that match it, the one most of them agree on (the earliest on a tie): a
    stale first shard does not make the others the odd ones out."""
    out = {}
    for i, r in enumerate(reports):
        for key, value in (expected or {}).items():
            if r.get(key) != value:
                out[i] = f"a report of another run ({key} {r.get(key)!r}, not {value!r})"
                break
    rest = [i for i in range(len(reports)) if i not in out]
    if rest:
        votes = {}
        for i in rest:
            votes.setdefault(_identity(reports[i], kind), []).append(i)
        ref = reports[max(votes.values(), key=lambda group: (len(group), -group[0]))[0]]
        for i in rest:
            r = reports[i]
            for key in SAME_RUN[kind]:
                if _same_run_value(r, key) != _same_run_value(ref, key):
                    out[i] = f"a report of another run ({key} {r.get(key)!r}, not {ref.get(key)!r})"
                    break
            else:
                if _identity(r, kind) != _identity(ref, kind):
                    out[i] = "a report of another run (other layers)"
    if kind == "data_set":
        taken = []  # (first, end) of the slices kept so far
        for i in sorted((i for i in range(len(reports)) if i not in out), key=lambda i: reports[i]["first"]):
            first, end = reports[i]["first"], reports[i]["first"] + reports[i]["inputs"]
            if taken and first < taken[-1][1] and end > first:
                out[i] = f"its inputs {first}..{end - 1} overlap another shard's"
            else:
                taken.append((first, end))
    else:
        seen = set()
        for i, r in enumerate(reports):
            if i in out:
                continue
            names = {c["name"] for c in r["cases"]}
            if names & seen:
                out[i] = f"case {sorted(names & seen)[0]} is also another shard's"
            seen |= names
    return out
