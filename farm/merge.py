"""Merges the shard reports and JUnit files of a farm run into the result a
single aps-sim process would have given: the same counts, the same first
failure (in case order for a regression, in input order for a data set),
the same accuracy or ROC AUC (recomputed from the shards' counts and scores,
never averaged)."""

import os
import xml.etree.ElementTree as ET

from report_check import LAYER_FIGURES, asked, other_run_problems


def roc_auc(scores, labels):
    """ROC AUC by rank sums, ties at their average rank: the rule of
    golden/numerics/roc_auc.cpp, so a merged AUC equals a single run's."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        rank = (i + j) / 2.0 + 1.0
        rank_sum += sum(labels[order[m]] for m in range(i, j + 1)) * rank
        i = j + 1
    u = rank_sum - positives * (positives + 1) / 2.0
    return u / (positives * negatives)


def merge_evaluation(parts, task):
    samples = sum(p["samples"] for p in parts)
    if task == "anomaly_detection":
        scores = [s for p in parts for s in p.get("scores", [])]
        labels = [l for p in parts for l in p.get("labels", [])]
        return roc_auc(scores, labels) if samples else None
    return sum(p["correct"] for p in parts) / samples if samples else None


def case_order(name):
    """A regression's case order: the bundled models, then random:0, 1, ..."""
    bundled = {"digits_mlp": -2, "digits_cnn": -1}
    if name in bundled:
        return bundled[name]
    if name.startswith("random:"):
        return int(name.split(":", 1)[1])
    return 1 << 62


def merge_regression(reports):
    cases = sorted((c for r in reports for c in r["cases"]), key=lambda c: case_order(c["name"]))
    failed = [c for c in cases if not c["passed"]]
    return {
        "kind": "regression",
        "seed": reports[0]["seed"],
        "networks": sum(r["networks"] for r in reports),
        "failed": sum(r["failed"] for r in reports),
        "layers_compared": sum(r["layers_compared"] for r in reports),
        "elements_compared": sum(r["elements_compared"] for r in reports),
        "first_failure": failed[0] if failed else None,
        "cases": cases,
    }


def merge_data_set(reports):
    reports = sorted(reports, key=lambda r: r["first"])
    start = reports[0]["first"]
    task = reports[0]["task"]
    inputs = sum(r["inputs"] for r in reports)
    first, traces = None, {}
    for r in reports:
        if r.get("first_mismatch"):
            first = dict(r["first_mismatch"])  # its input: the data set's index, as every shard numbers it
            first["reproduce"] = r.get("reproduce")
            # The failing shard's trace of that input and its GTKWave view, as a single run links them.
            traces = {k: r[k] for k in ("trace_on_fail", "trace_on_fail_view") if r.get(k)}
            break
    figure = "auc" if task == "anomaly_detection" else "accuracy"

    def weighted(key):
        return sum(r[key] * r["inputs"] for r in reports) / inputs if inputs else 0.0

    return {
        "kind": "data_set",
        **{k: reports[0][k] for k in ("seed", "rtl_variant") if k in reports[0]},
        **traces,
        "model": reports[0]["model"],
        "data": reports[0]["data"],
        "precision": reports[0]["precision"],
        "policy_options": reports[0].get("policy_options", ""),
        "first": start,
        "task": task,
        "inputs": inputs,
        "failed_inputs": sum(r["failed_inputs"] for r in reports),
        "layers_compared": sum(r["layers_compared"] for r in reports),
        "elements_compared": sum(r["elements_compared"] for r in reports),
        "mismatches": sum(r["mismatches"] for r in reports),
        "metrics_compared": sum(r.get("metrics_compared", 0) for r in reports),
        "configs_compared": sum(r.get("configs_compared", 0) for r in reports),
        "reruns": sum(r.get("reruns", 0) for r in reports),
        "first_mismatch": first,
        figure: merge_evaluation([r["evaluation"]["rtl"] for r in reports], task),
        f"golden_{figure}": merge_evaluation([r["evaluation"]["golden"] for r in reports], task),
        "cycles_per_inference": weighted("cycles_per_inference"),
        "bytes_moved_per_inference": weighted("bytes_moved_per_inference"),
        "memory_stall_cycles_per_inference": weighted("memory_stall_cycles_per_inference"),
        **{k: weighted(k) for k in ("sae_cycles_per_inference", "pcu_cycles_per_inference")
           if all(k in r for r in reports)},
        "shard_seconds": [r["seconds"] for r in reports],
        "array": reports[0].get("array"),
        "avg_bits": weighted("avg_bits"),
        "layers": merge_layers(reports, inputs),
        "width_histogram": merge_histograms(reports),
        "precision_maps": [m for r in reports for m in r.get("precision_maps", [])],
    }


def nothing_merged(spec):
    """The merged report of a run no shard produced a result for: a stopped
    run, so aps-report shows it failed with the shards' problems."""
    base = {"kind": spec["kind"], "error": "no shard produced a result", "shards": spec["shards"],
            "shards_merged": 0, "elements_compared": 0, "layers_compared": 0}
    if spec["kind"] == "regression":
        return {**base, "seed": None, "networks": 0, "failed": 0, "cases": [], "first_failure": None}
    given = asked(spec["command"])
    return {**base, "model": given.get("model", ""), "data": given.get("data", ""), "inputs": 0, "failed_inputs": 0,
            "mismatches": 0, "first_mismatch": None}


def merge_layers(reports, inputs):
    """Per-layer figures per inference, weighted by each shard's inputs."""
    layers = [dict(l) for l in reports[0]["layers"]]
    for key in (*LAYER_FIGURES, "rerun_cycles_per_inference"):
        for i, layer in enumerate(layers):
            layer[key] = sum(r["layers"][i].get(key, 0.0) * r["inputs"] for r in reports) / inputs if inputs else 0.0
    return layers


def merge_histograms(reports):
    out = {}
    for r in reports:
        for layer, widths in r.get("width_histogram", {}).items():
            for w, n in widths.items():
                out.setdefault(layer, {})[w] = out.get(layer, {}).get(w, 0) + n
    return out


def lost_shard_suite(name, slot, why):
    """A shard without a result, as a JUnit suite of one error: a CI server
    reading the merged file sees the run incomplete, not a smaller green one."""
    suite = ET.Element("testsuite", name=f"{name} shard {slot}", tests="1", failures="0", errors="1", time="0")
    case = ET.SubElement(suite, "testcase", name=f"shard {slot}", classname=name)
    ET.SubElement(case, "error", message=why, type="lost shard")
    return suite


def merge_junit(suites, name):
    """One <testsuites> root holding each shard's <testsuite>, as Jenkins and
    GitLab read merged results."""
    root = ET.Element("testsuites", name=name)
    tests = failures = errors = 0
    time = 0.0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
        time += float(suite.get("time", 0))
        root.append(suite)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", f"{time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def merge_folder(folder, spec):
    """(merged report, merged JUnit, problems, refused, no_coverage): problems
    name each shard without a result; refused, whether aps-sim refused a
    shard's arguments or input (its exit 2); no_coverage, the shards whose
    coverage file adds nothing to the run's: those whose report is of another
    run (left out of the report and the JUnit too) and those no case or input
    fell in (more shards than cases: they ran no accelerator)."""
    problems = []
    refused = False
    reports, suites, lost = [], {}, {}
    for k in range(1, spec["shards"] + 1):
        code = folder.exit_code(k)
        r, suite, why = folder.shard_result(k, spec)
        refused = refused or (code == 2 and r is None)
        if r is None:
            problems.append(f"shard {k}/{spec['shards']}: {why}")
            lost[k] = why
            continue
        if r.get("error"):
            # An input that stopped its shard (the watchdog, an RTL assertion) has a reproduce line.
            repro = f"; reproduce: {r['reproduce']}" if r.get("reproduce") else ""
            problems.append(f"shard {k}/{spec['shards']}: {r['error']} (exit {code}){repro}")
        elif code not in (0, 1):
            problems.append(f"shard {k}/{spec['shards']}: exit {code} (see {folder.shard_file(k, 'log')})")
        reports.append((k, r))
        if suite is None:
            problems.append(f"shard {k}/{spec['shards']}: {why}")
            lost[k] = why
        else:
            suites[k] = suite
    good = [(k, r) for k, r in reports if not r.get("error")]
    expected = asked(spec["command"]) if spec["kind"] == "data_set" else {}
    others = other_run_problems([r for _, r in good], spec["kind"], expected)
    for i, why in sorted(others.items()):
        problems.append(f"shard {good[i][0]}/{spec['shards']}: {folder.shard_file(good[i][0], 'json')}: {why}")
        lost[good[i][0]] = why
    dropped = {good[i][0] for i in others}
    good = [r for i, (_, r) in enumerate(good) if i not in others]
    merged = None
    if good:
        merged = merge_regression(good) if spec["kind"] == "regression" else merge_data_set(good)
        merged["shards"] = spec["shards"]
        merged["shards_merged"] = len(good)
    shards = spec["shards"]
    junits = [lost_shard_suite(spec["name"], f"{k}/{shards}", lost[k]) if k in lost else suites[k]
              for k in range(1, shards + 1) if k in lost or k in suites]
    junit = merge_junit(junits, spec["name"]) if junits else None
    if merged is None:
        merged = nothing_merged(spec)
    # A shard's trace path is its own working directory's (the run's, where it ran).
    for key in ("trace_on_fail", "trace_on_fail_view"):
        if merged.get(key) and not os.path.isabs(merged[key]) and spec.get("cwd"):
            merged[key] = os.path.join(spec["cwd"], merged[key])
    idle = {k for k, r in reports if not r.get("error") and r.get("inputs", r.get("networks")) == 0}
    return merged, junit, problems, refused, dropped | idle
