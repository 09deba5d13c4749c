#!/usr/bin/python3
"""aps-study --report: every row carries the columns scripts read, the
ratios are against the static 8-bit row of the same split, and a row
without a figure (fp32 has no cycles, the yardsticks no energy) has null
there, never a 0 a script would take for the best ratio.

    check_study_report.py REPORT.json
"""

import json
import sys

KEYS = ("policy", "setting", "split", "inputs", "first", "accuracy", "fp32_accuracy", "avg_bits", "speedup", "energy_ratio", "bytes_ratio",
        "sae_exposed_share")


def problems_of(report):
    out = []
    rows = report.get("rows", [])
    if not rows:
        return ["no rows"]
    for r in rows:
        missing = [k for k in KEYS if k not in r]
        if missing:
            out.append(f"row {r.get('policy')!r}: missing {missing}")
    for split in {r["split"] for r in rows}:
        mine = [r for r in rows if r["split"] == split]
        fp32 = [r for r in mine if r["policy"] == "fp32"]
        static8 = [r for r in mine if r["family"] == "static uniform" and r["avg_bits"] == 8]
        if len(fp32) != 1 or len(static8) != 1:
            out.append(f"{split}: expected one fp32 and one static 8-bit row")
            continue
        s8 = static8[0]
        if (s8["speedup"], s8["energy_ratio"], s8["bytes_ratio"]) != (1, 1, 1):
            out.append(f"{split}: static 8 bits is not 1x itself: {s8}")
        for r in mine:
            for k in ("speedup", "energy_ratio", "bytes_ratio"):
                if r[k] is not None and not r[k] > 0:
                    out.append(f"{split} {r['policy']} {r['setting']}: {k} {r[k]}, neither a ratio nor null")
            if fp32[0] is r and any(r[k] is not None for k in ("speedup", "bytes_ratio")):  # it has an energy estimate
                out.append(f"{split}: the fp32 row has ratios it cannot have: {r}")
            if r["fp32_accuracy"] != fp32[0]["accuracy"]:
                out.append(f"{split} {r['policy']}: fp32_accuracy {r['fp32_accuracy']} is not the fp32 row's")
            if r["rtl_verified"] and not (r["energy_ratio"] > 0 and r["bytes_ratio"] > 0 and r["speedup"] > 0):
                out.append(f"{split} {r['policy']} {r['setting']}: a hardware row without its ratios")
    return out


def main():
    with open(sys.argv[1]) as f:
        report = json.load(f)
    problems = problems_of(report)
    # The check can fail: a report whose static 8-bit row is not its own yardstick.
    broken = json.loads(json.dumps(report))
    for r in broken["rows"]:
        if r["family"] == "static uniform" and r["avg_bits"] == 8:
            r["bytes_ratio"] = 0.5
    if not problems_of(broken):
        problems.append("the check passed a report with a wrong static 8-bit row")
    zeroed = json.loads(json.dumps(report))
    for r in zeroed["rows"]:
        if r["policy"] == "fp32":
            r["speedup"] = 0.0
    if not problems_of(zeroed):
        problems.append("the check passed a report whose fp32 row has a 0 speed-up")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {len(report['rows'])} rows with their columns and ratios")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
