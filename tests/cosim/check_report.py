#!/usr/bin/python3
"""Checks an aps-sim JSON report.

Usage: check_report.py REPORT.json [--clean] [--min-inputs N] [--says KEY TEXT]...

Always: the documented top-level keys are present.
--clean: no mismatches, something compared, RTL accuracy == golden accuracy,
    and the per-layer figures add up to the run's: the first pass's bytes
    and memory stalls to the run's without re-runs (to no more with them),
    both passes' cycles to no more than the run's, re-run cycles only where
    the cascade re-ran.
--says: the report's KEY is a string that contains TEXT.
"""

import argparse
import json
import sys

KEYS = ["inputs", "layers_compared", "elements_compared", "mismatches", "first_mismatch", "accuracy",
        "avg_bits", "cycles_per_inference", "sim_cycles_per_second", "inferences_per_second"]


def check_layer_sums(name, r):
    layers, reran = r["layers"], r.get("reruns", 0) > 0
    for key, run_key in (("bytes_moved_per_inference", "bytes_moved_per_inference"),
                         ("memory_stall_cycles_per_inference", "memory_stall_cycles_per_inference")):
        total, whole = sum(l[key] for l in layers), r[run_key]
        if (total > whole + 1e-6) if reran else abs(total - whole) > 1e-6:
            sys.exit(f"{name}: the layers' {key} add up to {total}, the run's is {whole}")
    rerun = sum(l["rerun_cycles_per_inference"] for l in layers)
    if (rerun > 0) != reran:
        sys.exit(f"{name}: re-run cycles {rerun} per inference, but {r.get('reruns', 0)} re-runs")
    cycles = sum(l["cycles_per_inference"] for l in layers) + rerun
    if cycles > r["cycles_per_inference"] + 1e-6:
        sys.exit(f"{name}: the layers' cycles add up to {cycles}, more than the run's {r['cycles_per_inference']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--clean", action="store_true")
    ap.add_argument("--min-inputs", type=int, default=1)
    ap.add_argument("--says", nargs=2, action="append", default=[], metavar=("KEY", "TEXT"))
    a = ap.parse_args()
    r = json.load(open(a.report))
    missing = [k for k in KEYS if k not in r]
    if missing:
        sys.exit(f"{a.report}: missing keys {missing}")
    if r["inputs"] < a.min_inputs:
        sys.exit(f"{a.report}: {r['inputs']} inputs, expected at least {a.min_inputs}")
    if a.clean:
        if r["mismatches"] != 0 or r["first_mismatch"] is not None:
            sys.exit(f"{a.report}: {r['mismatches']} mismatches: {r['first_mismatch']}")
        if r["elements_compared"] <= 0 or r["layers_compared"] <= 0:
            sys.exit(f"{a.report}: nothing compared")
        if r["accuracy"] is not None and r["accuracy"] != r["golden_accuracy"]:
            sys.exit(f"{a.report}: RTL accuracy {r['accuracy']} != golden {r['golden_accuracy']}")
        check_layer_sums(a.report, r)
    for key, text in a.says:
        if not isinstance(r.get(key), str) or text not in r[key]:
            sys.exit(f"{a.report}: '{key}' is {r.get(key)!r}, expected it to say '{text}'")
    print(f"{a.report}: ok ({r['inputs']} inputs, {r['elements_compared']} elements, accuracy {r['accuracy']})")


if __name__ == "__main__":
    main()
