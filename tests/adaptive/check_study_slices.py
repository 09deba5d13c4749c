#!/usr/bin/python3
"""aps-study --first: a split studied in consecutive slices adds up to the
split studied whole. Every row whose inputs are decided one by one (fp32,
static maps, the adaptive, budget and cascade policies, the oracle) has, on
the whole, the input-weighted mean of its figures on the slices; the rows
that choose maps on the split itself (its own front, the perfect gate's first
map) are skipped, since a slice may choose others. Each slice's JSON records
where it starts.

    check_study_slices.py WHOLE.json SLICE.json [SLICE.json ...]
"""

import json
import sys

SPLIT_DEPENDENT = {"static front (this split)", "gate ceiling"}
FIGURES = ("accuracy", "avg_bits", "cycles", "energy_nj", "external_bytes", "rerun_share", "sae_cycles_exposed")


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def keyed_rows(split):
    return {(r["family"], r["policy"], r["detail"]): r for r in split["rows"] if r["family"] not in SPLIT_DEPENDENT}


def problems_of(whole, slices):
    out = []
    # A ROC AUC is not the mean of its slices' AUCs.
    for study in (whole, *slices):
        if study.get("figure", "accuracy") != "accuracy":
            return [f"{study['model']}: scored by {study['figure']}, which slices do not add up to"]
    for name, data in whole["splits"].items():
        parts = [s["splits"].get(name) for s in slices]
        if any(p is None for p in parts):
            out.append(f"{name}: missing from a slice")
            continue
        start = data.get("first", 0)
        for i, part in enumerate(parts):
            if part.get("first") != start:
                out.append(f"{name}: slice {i} starts at input {part.get('first')}, expected {start}")
            start += part["inputs"]
        if start - data.get("first", 0) != data["inputs"]:
            out.append(f"{name}: the slices hold {start - data.get('first', 0)} inputs, the whole {data['inputs']}")
            continue
        rows = keyed_rows(data)
        part_rows = [keyed_rows(p) for p in parts]
        compared = 0
        for key, row in rows.items():
            if any(key not in pr for pr in part_rows):
                out.append(f"{name}: row {key} is missing from a slice")
                continue
            for figure in FIGURES:
                mean = sum(pr[key][figure] * p["inputs"] for pr, p in zip(part_rows, parts)) / data["inputs"]
                if not close(mean, row[figure]):
                    out.append(f"{name}: {key} {figure}: {row[figure]} whole, {mean} over the slices")
            compared += 1
        if compared < 10:
            out.append(f"{name}: only {compared} rows compared")
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    studies = []
    for path in argv[1:]:
        with open(path) as f:
            studies.append(json.load(f))
    problems = problems_of(studies[0], studies[1:])
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"the slices add up to the whole on {len(studies[0]['splits'])} split(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
