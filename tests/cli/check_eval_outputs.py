#!/usr/bin/python3
"""aps-golden eval --outputs: one entry per sample, in data order, each with
its label and an output whose argmax scores what the run printed.

    check_eval_outputs.py OUTPUTS.json REPORT.json

With --values, the program engine's codes read as values with the file's
output_scale and output_zero_point land within one step of the model's own
float outputs (ONNX semantics, on the same data):

    check_eval_outputs.py --values PROGRAM_OUTPUTS.json ONNX_OUTPUTS.json
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


def value_problems(program, onnx):
    if "output_scale" not in program or "output_zero_point" not in program:
        return ["the program engine's outputs do not say how their codes read as values"]
    scale, zero = program["output_scale"], program["output_zero_point"]
    pairs = [(code, value) for p, o in zip(program["samples"], onnx["samples"])
             for code, value in zip(p["output"], o["output"])]
    if not pairs or len(program["samples"]) != len(onnx["samples"]):
        return ["the two files hold different samples, or none"]
    problems = []
    # The zero point the codes show (most codes equal ONNX's to the step):
    # one off would still leave every value within a step of ONNX's.
    offsets = sorted(code - value / scale for code, value in pairs)
    shown = round(offsets[len(offsets) // 2])
    if shown != zero:
        problems.append(f"the codes sit at zero point {shown}, the file says {zero}")
    far = sum(abs((code - zero) * scale - value) > 1.01 * scale for code, value in pairs)
    if far:
        problems.append(f"{far} of {len(pairs)} values are more than one step ({scale:g}) from ONNX semantics'")
    return problems


def check_values(program_file, onnx_file):
    with open(program_file) as f:
        program = json.load(f)
    with open(onnx_file) as f:
        onnx = json.load(f)
    problems = value_problems(program, onnx)
    # The check can fail: codes read with the zero point off by one, either way.
    for off in (-1, 1):
        shifted = dict(program, output_zero_point=program.get("output_zero_point", 0) + off)
        if not value_problems(shifted, onnx):
            problems.append(f"the check passed codes read with the zero point {off:+d}")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {len(program['samples'])} samples' codes read as ONNX semantics' values, within one step")
    return 1 if problems else 0


def main():
    if sys.argv[1] == "--values":
        return check_values(sys.argv[2], sys.argv[3])
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
