#!/usr/bin/python3
"""A zoo model in the golden model: ONNX semantics and the accelerator's
integer arithmetic (8 bits) on the 20-image slice score like the model.

    check_golden.py APS_GOLDEN MODEL.onnx DATA_DIR

Classifiers: each engine gets at least 16 of 20 right, and the two engines
differ by at most 2 images. The autoencoder: ROC AUC of both at least 0.75
and within 0.1 of each other (one anomaly in 20 makes the AUC coarse).
"""

import json
import subprocess
import sys


def evaluate(golden, model, data, engine):
    report = f"{data}/eval_{engine}.json"
    cmd = [golden, "eval", "--model", model, "--data", f"{data}/slice_20", "--engine", engine, "--report", report]
    if engine == "program":
        cmd += ["--calibration", f"{data}/calibration"]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout.strip())
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {result.returncode}")
    with open(report) as f:
        return json.load(f)


def main():
    golden, model, data = sys.argv[1:4]
    onnx = evaluate(golden, model, data, "onnx")
    program = evaluate(golden, model, data, "program")
    if onnx["task"] == "classification":
        ok = onnx["correct"] >= 16 and program["correct"] >= 16 and abs(onnx["correct"] - program["correct"]) <= 2
    else:
        ok = onnx["auc"] >= 0.75 and program["auc"] >= 0.75 and abs(onnx["auc"] - program["auc"]) <= 0.1
    print("ok" if ok else "FAILED: the engines do not score like the model")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
