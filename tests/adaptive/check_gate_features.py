#!/usr/bin/python3
"""bench/gate_features.py's table: every gate keeps the target on the
calibration inputs its threshold was chosen on, the perfect gate keeps every
8-bit decision on every split, and every map has every gate on every split.

    check_gate_features.py RESULTS.json TARGET GATES   (GATES: how many each cell must have)
"""

import json
import sys


def problems_of(rows, target, expected_gates):
    out = []
    for r in rows:
        where = f"map {r['map']}, {r['split']}, {r['gate']}"
        if r["split"] == "calibration" and r["agreement"] < target:
            out.append(f"{where}: {100 * r['agreement']:.2f} % agreement, below the target on its own inputs")
        if r["gate"] == "perfect" and r["agreement"] != 1.0:
            out.append(f"{where}: the perfect gate changed an 8-bit decision")
        if not 0.0 <= r["rerun"] <= 1.0:
            out.append(f"{where}: re-run share {r['rerun']}")
    cells = {}
    for r in rows:
        cells.setdefault((r["map"], r["split"]), set()).add(r["gate"])
    for (m, split), gates in cells.items():
        if len(gates) != expected_gates:
            out.append(f"map {m}, {split}: {len(gates)} gates, expected {expected_gates}")
    return out


def main():
    with open(sys.argv[1]) as f:
        rows = json.load(f)
    target, expected_gates = float(sys.argv[2]), int(sys.argv[3])
    problems = problems_of(rows, target, expected_gates) if rows else ["no rows"]
    # The check can fail: a threshold that misses the target where it was chosen.
    broken = json.loads(json.dumps(rows))
    next(r for r in broken if r["split"] == "calibration")["agreement"] = target - 0.01
    if not problems_of(broken, target, expected_gates):
        problems.append("the check passed a gate below the target on its calibration inputs")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {len(rows)} gate rows")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
