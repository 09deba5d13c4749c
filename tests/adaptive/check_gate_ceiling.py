#!/usr/bin/python3
"""aps-study's perfect-gate cascade: on every split, the row re-runs at 8 bits
exactly the inputs its first map decides unlike 8 bits, so it scores what
static 8 bits scores, and it costs its first map's pass plus its re-run share
of the 8-bit pass (in bits and in cycles: a static map's cycles do not depend
on the input); its first map is one of the calibration front's.

    check_gate_ceiling.py STUDY.json
"""

import json
import sys


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def problems_of(study):
    out = []
    for split, data in study["splits"].items():
        rows = data["rows"]
        gates = [r for r in rows if r["family"] == "gate ceiling"]
        if len(gates) != 1:
            out.append(f"{split}: {len(gates)} perfect-gate rows, expected 1")
            continue
        gate = gates[0]
        s8 = next(r for r in rows if r["family"] == "static uniform" and r["avg_bits"] == 8)
        if gate["accuracy"] != s8["accuracy"]:
            out.append(f"{split}: the perfect gate scores {gate['accuracy']}, static 8 bits {s8['accuracy']}")
        first = gate["detail"].split(", re-run")[0]
        bits = first.removeprefix("first map:")
        front = [r for r in rows if r["family"] == "static front (calibration)" and r["policy"] == f"static map:{bits}"]
        if not front:
            out.append(f"{split}: the first map {bits} is not on the calibration front")
            continue
        f, share = front[0], gate["rerun_share"]
        if not close(gate["avg_bits"], f["avg_bits"] + share * 8):
            out.append(f"{split}: {gate['avg_bits']} bits, not the first map's {f['avg_bits']} + {share} x 8")
        if not close(gate["cycles"], f["cycles"] + share * s8["cycles"]):
            out.append(f"{split}: {gate['cycles']} cycles, not the first map's {f['cycles']} + {share} x {s8['cycles']}")
    return out


def main():
    with open(sys.argv[1]) as f:
        study = json.load(f)
    problems = problems_of(study)
    # The check can fail: a row that re-runs fewer inputs than it charges.
    broken = json.loads(json.dumps(study))
    for data in broken["splits"].values():
        for r in data["rows"]:
            if r["family"] == "gate ceiling":
                r["rerun_share"] += 0.01
    if not problems_of(broken):
        problems.append("the check passed a perfect-gate row whose re-runs do not add up")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: the perfect-gate row of {len(study['splits'])} split(s) scores as 8 bits and adds up")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
