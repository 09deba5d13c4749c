#!/usr/bin/python3
"""aps-golden eval --outputs: one entry per sample, in data order, each with
its label and an output whose argmax scores what the run printed.

    check_eval_outputs.py OUTPUTS.json REPORT.json
"""

import json
import sys


def problems_of(outputs, report):
    samples = outputs["samples"]
    out = []
    if len(samples) != report["samples"]:
        out.append(f"{len(samples)} outputs for {report['samples']} samples")
    if [s["index"] for s in samples] != list(range(len(samples))):
        out.append("the samples are not in data order")
    correct = sum(max(range(len(s["output"])), key=lambda k: (s["output"][k], -k)) == s["label"] for s in samples)
    if correct != report["correct"]:
        out.append(f"the outputs' argmax gets {correct} right, the run printed {report['correct']}")
    return out


def main():
    with open(sys.argv[1]) as f:
        outputs = json.load(f)
    with open(sys.argv[2]) as f:
        report = json.load(f)
    problems = problems_of(outputs, report)
    # The check can fail: outputs that do not score what the run printed.
    broken = json.loads(json.dumps(outputs))
    for s in broken["samples"]:
        s["output"] = list(reversed(s["output"]))
    if not problems_of(broken, report):
        problems.append("the check passed outputs that score differently")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {len(outputs['samples'])} outputs score {report['correct']} correct")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
