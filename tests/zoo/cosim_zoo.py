#!/usr/bin/python3
"""A zoo model through the RTL: aps-sim co-simulates the 20-image slice at one
precision and every compared element must match the golden model.

    cosim_zoo.py APS_SIM MODEL.onnx DATA_DIR PRECISION REPORT.json

PRECISION is a static width, or "mixed": a per-layer map that cycles through
8, 4, 6, 5 over the layers with weights (Conv and Gemm nodes, one accelerator
layer each), so neighbouring layers differ in width and odd widths are used.
The check reads aps-sim's JSON report, not its exit code alone: all 20 inputs
ran, no mismatch, every layer compared, and the RTL's figure (accuracy or
AUC) equals the golden model's.
"""

import json
import subprocess
import sys

import onnx

INPUTS = 20
MIXED_CYCLE = (8, 4, 6, 5)


def weight_layer_count(model_path):
    graph = onnx.load(model_path, load_external_data=False).graph
    return sum(1 for node in graph.node if node.op_type in ("Conv", "Gemm", "QLinearConv", "QLinearMatMul", "MatMul"))


def precision_arg(model_path, precision):
    if precision != "mixed":
        return precision
    n = weight_layer_count(model_path)
    return "map:" + ",".join(str(MIXED_CYCLE[i % len(MIXED_CYCLE)]) for i in range(n))


def main():
    aps_sim, model, data, precision, report = sys.argv[1:6]
    cmd = [aps_sim, "--model", model, "--data", f"{data}/slice_20", "--calibration", f"{data}/calibration",
           "--count", str(INPUTS), "--precision", precision_arg(model, precision), "--report", report]
    print(" ".join(cmd), flush=True)
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout.strip())
    if result.returncode != 0:
        sys.exit(f"FAILED: aps-sim exited {result.returncode}")
    with open(report) as f:
        r = json.load(f)
    problems = []
    if r["inputs"] != INPUTS:
        problems.append(f"{r['inputs']} inputs ran, expected {INPUTS}")
    if r["mismatches"] != 0 or r["failed_inputs"] != 0:
        problems.append(f"{r['mismatches']} mismatches in {r['failed_inputs']} inputs")
    if r["layers_compared"] < INPUTS * len(r["layers"]):
        problems.append(f"{r['layers_compared']} layer outputs compared, expected {INPUTS * len(r['layers'])}")
    figure = "auc" if r["task"] == "anomaly_detection" else "accuracy"
    if r[figure] is None or r[figure] != r[f"golden_{figure}"]:
        problems.append(f"RTL {figure} {r[figure]} differs from golden {r[f'golden_{figure}']}")
    for p in problems:
        print(f"FAILED: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
