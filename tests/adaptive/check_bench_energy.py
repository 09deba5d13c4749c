#!/usr/bin/python3
"""aps-bench --json: each width carries its three measured speeds; its energy terms add up to its total, and its
memory-port bytes by what they carry add up to all of them; only the weight
planes fall with width (a b-bit layer reads b planes and the rounding plane
below them, golden/numerics/precision_reduction.hpp, or under midpoint weights
the b planes alone, golden/numerics/weight_reduction.hpp), the headers,
channel parameters and activations stay; tools/results_tables.py shows every
width.

    check_bench_energy.py BENCH.json RESULTS_TABLES.py RULE

RULE is the weight reduction the run was asked for (round | midpoint): the
file must say it ran with it, and its planes are counted by it.
"""

import json
import subprocess
import sys

TERMS = ("macs", "buffer_reads", "buffer_writes", "sae", "ext_weight_planes", "ext_weight_headers", "ext_params",
         "ext_activations")
KINDS = ("weight_planes", "weight_headers", "params", "activations")


def planes(bits, rule):
    if bits == 8:
        return 8
    return bits if rule == "midpoint" else bits + 1


def problems_of(bench, rule):
    out = []
    rows = {r["bits"]: r for r in bench["rows"]}
    if bench["weight_reduction"] != rule:
        out.append(f"the run reports {bench['weight_reduction']} weights, not the {rule} weights it was asked for")
    if 8 not in rows:
        return ["no 8-bit row to compare with"]
    base = rows[8]["ext_bytes"]
    for b, r in rows.items():
        # The three speeds the table reports: co-simulation, the RTL alone, the golden model alone.
        for rate in ("cosim_inferences_per_second", "rtl_only_inferences_per_second",
                     "golden_only_inferences_per_second"):
            v = r.get(rate)
            if not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
                out.append(f"{b} bits: {rate} is {v!r}, not a measured rate")
        e, x = r["energy_pj"], r["ext_bytes"]
        if abs(sum(e[t] for t in TERMS) - e["total"]) > 1e-9 * e["total"]:
            out.append(f"{b} bits: the energy terms do not add up to {e['total']}")
        if sum(x[k] for k in KINDS) != x["total"]:
            out.append(f"{b} bits: the bytes by kind do not add up to {x['total']}")
        for k in ("weight_headers", "params", "activations"):
            if x[k] != base[k]:
                out.append(f"{b} bits: {x[k]} bytes of {k}, {base[k]} at 8 bits")
        if x["weight_planes"] * 8 != base["weight_planes"] * planes(b, rule):
            out.append(f"{b} bits: {x['weight_planes']} bytes of weight planes, not {planes(b, rule)}/8 of 8 bits' "
                       f"({rule} weights)")
    return out


def main():
    with open(sys.argv[1]) as f:
        bench = json.load(f)
    rule = sys.argv[3]
    problems = problems_of(bench, rule)
    table = subprocess.run([sys.executable, sys.argv[2], "benchmarks", sys.argv[1]], capture_output=True, text=True,
                           check=True).stdout
    for r in bench["rows"]:
        x = r["ext_bytes"]
        cell = f"| {x['weight_planes']} / {x['weight_headers']} / {x['params']} / {x['activations']} |"
        if not any(line.startswith(f"| {r['bits']} |") and line.endswith(cell) for line in table.splitlines()):
            problems.append(f"results_tables.py shows no energy row for {r['bits']} bits")
    # The check can fail: channel parameters that shrink with width.
    broken = json.loads(json.dumps(bench))
    next(r for r in broken["rows"] if r["bits"] != 8)["ext_bytes"]["params"] -= 16
    if not problems_of(broken, rule):
        problems.append("the check passed channel parameters that change with width")
    # ... weight planes read under the other rule ...
    other = json.loads(json.dumps(bench))
    other["weight_reduction"] = "round" if bench["weight_reduction"] == "midpoint" else "midpoint"
    if not problems_of(other, other["weight_reduction"]):
        problems.append(f"the check passed weight planes read as {other['weight_reduction']} weights read them")
    # ... and a run that ignored the rule it was asked for.
    if not problems_of(other, rule):
        problems.append(f"the check passed a run of {other['weight_reduction']} weights asked for {rule} weights")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {len(bench['rows'])} widths")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
