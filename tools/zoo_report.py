#!/usr/bin/python3
"""Print the model-zoo table of models/ZOO.md from the scripts' own JSON.

Usage:  /usr/bin/python3 tools/zoo_report.py [--models models]

Reads <models>/<name>/train_log.json (tools/train_zoo.py) and
<models>/<name>/tf_int8_report.json (tools/write_tf_qdq.py --report) and
prints Markdown tables with the figures copied as they are (rounded only for
display: accuracies in % with two decimals, AUC with four).
"""

import argparse
import json
import os

NAMES = ("resnet8", "ds_cnn", "mobilenet_v1_025", "autoencoder")


def pct(v):
    return f"{100 * v:.2f} %"


def metric(d):
    if "accuracy" in d:
        return pct(d["accuracy"])
    return f"AUC {d['auc']:.4f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="models")
    args = ap.parse_args()
    rows, evals = [], []
    for name in NAMES:
        folder = os.path.join(args.models, name)
        tl_path = os.path.join(folder, "train_log.json")
        if not os.path.exists(tl_path):
            continue
        with open(tl_path) as f:
            tl = json.load(f)
        rep = {}
        rp = os.path.join(folder, "tf_int8_report.json")
        if os.path.exists(rp):
            with open(rp) as f:
                rep = json.load(f)
        fp32 = (pct(tl["fp32_test_accuracy"]) if "fp32_test_accuracy" in tl
                else f"AUC {tl['fp32_test_auc']:.4f}")
        rows.append(f"| {name} | {tl['onnx_parameters']:,} | {tl['macs']:,} | {tl['epochs']} | "
                    f"{tl['train_seconds']:.0f} | {fp32} | {tl['onnx_vs_trained_torch_max_abs_diff_100']:.1e} | "
                    f"{tl['onnx_bytes']:,} | {rep.get('bytes', 0):,} |")
        for e in rep.get("evaluations", []):
            evals.append(f"| {name} | {e['split']} | {e['samples']} | {metric(e['fp32'])} | "
                         f"{metric(e['int8_numpy'])} |")
    print("| model | parameters (BN folded) | MACs / inference | epochs | training s | "
          "fp32 test (PyTorch) | model.onnx vs PyTorch, max abs diff (100 images) | "
          "model.onnx bytes | model_tf_int8.onnx bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print("| model | split | samples | fp32 (model.onnx) | int8 (model_tf_int8.onnx, numpy QDQ) |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(evals))


if __name__ == "__main__":
    main()
