#!/usr/bin/python3
"""Hostile single-op models for the exporter ops: aps-golden must answer each
with a result or a one-line error naming the node, never a crash.

    check_hostile_ops.py APS_GOLDEN WORK_DIR [--seed S] [--count N]

The attributes and inputs are drawn from what a broken or malicious file may
hold: huge, negative and NaN values, 2^31 and 2^62, empty dimensions, ranks
an op does not take. Each case is a backend-test folder with a dummy expected
output, so onnx-test reports PASS, FAIL or ERROR for every one. The check
fails on a crash or sanitizer abort (onnx-test's exit is neither 0 nor 1), on
a case without its verdict line, on an internal error, and on an error line
that names no node.
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def save(out, name, node, x, inits=(), opset=18, outputs=("y",)):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", 1, list(x.shape))],
                              [onnx.ValueInfoProto(name=o) for o in outputs],
                              initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x.astype(np.float32), "x").SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(np.zeros([1], np.float32), outputs[0]).SerializeToString())


def make_cases(out, seed, count):
    rng = np.random.default_rng(seed)

    def wild(lo=-5, hi=5):
        return int(rng.choice([rng.integers(lo, hi), 0, -1, 2**31, -(2**31), 2**40, 2**62, -(2**62)]))

    def shape(n):
        return [int(rng.choice([0, 1, 2, 3])) for _ in range(n)]

    ops = ["Resize", "Upsample", "ConvTranspose", "DepthToSpace", "SpaceToDepth", "GatherElements", "ScatterElements",
           "GatherND", "ScatterND", "TopK", "CumSum", "Trilu", "OneHot", "NonZero", "Hardmax",
           "MeanVarianceNormalization"]
    names = []
    for k in range(count):
        op = str(rng.choice(ops))
        r = int(rng.integers(1, 5))
        x = rng.normal(size=shape(r)).astype(np.float32)
        name = f"{op.lower()}_{k}"
        if op == "Resize":
            scales = rng.choice([0.0, -1.0, 1e30, np.nan, 0.5, 2.0, 1e-30], size=r).astype(np.float32)
            if rng.integers(0, 2):
                inits, ins = [("s", np.array([wild(0, 6) for _ in range(r)], np.int64))], ["x", "", "", "s"]
            else:
                inits, ins = [("s", scales)], ["x", "", "s"]
            attrs = dict(mode=str(rng.choice(["nearest", "linear", "cubic", "bogus"])),
                         coordinate_transformation_mode=str(rng.choice(["half_pixel", "align_corners",
                                                                         "tf_crop_and_resize", "asymmetric"])))
            if rng.integers(0, 2):
                attrs["axes"] = [wild(-4, 4) for _ in range(int(rng.integers(0, 3)))]
            if attrs["coordinate_transformation_mode"] == "tf_crop_and_resize":
                roi = rng.choice([0.0, 1.0, np.nan, 1e30, -5.0], size=int(rng.integers(0, 2 * r + 2)))
                inits.append(("roi", roi.astype(np.float32)))
                ins[1] = "roi"
            save(out, name, helper.make_node("Resize", ins, ["y"], **attrs), x, inits)
        elif op == "Upsample":
            scales = rng.choice([0.0, 1e30, 2.0, 0.5], size=r).astype(np.float32)
            save(out, name, helper.make_node("Upsample", ["x", "s"], ["y"], mode="nearest"), x, [("s", scales)], opset=9)
        elif op == "ConvTranspose":
            attrs = {}
            for a in ("strides", "dilations", "output_padding", "output_shape"):
                if rng.integers(0, 2):
                    attrs[a] = [wild(-2, 4) for _ in range(max(0, r - 2))]
            if rng.integers(0, 2):
                attrs["pads"] = [wild(-2, 4) for _ in range(max(0, 2 * (r - 2)))]
            if rng.integers(0, 2):
                attrs["group"] = wild(0, 3)
            if rng.integers(0, 3) == 0:
                attrs["auto_pad"] = str(rng.choice(["SAME_UPPER", "VALID", "junk"]))
            w = rng.normal(size=shape(r)).astype(np.float32)
            save(out, name, helper.make_node("ConvTranspose", ["x", "w"], ["y"], **attrs), x, [("w", w)])
        elif op in ("DepthToSpace", "SpaceToDepth"):
            save(out, name, helper.make_node(op, ["x"], ["y"], blocksize=wild(0, 4)), x)
        elif op in ("GatherElements", "ScatterElements"):
            idx = rng.integers(-6, 6, size=shape(r)).astype(np.int64)
            scatter = op == "ScatterElements"
            inits = [("i", idx)] + ([("u", rng.normal(size=idx.shape).astype(np.float32))] if scatter else [])
            node = helper.make_node(op, ["x", "i"] + (["u"] if scatter else []), ["y"], axis=wild(-4, 4))
            save(out, name, node, x, inits)
        elif op in ("GatherND", "ScatterND"):
            idx = rng.integers(-6, 6, size=shape(int(rng.integers(1, 4)))).astype(np.int64)
            scatter = op == "ScatterND"
            updates = rng.normal(size=shape(int(rng.integers(0, 4)))).astype(np.float32)
            attrs = {} if scatter else {"batch_dims": wild(-1, 3)}
            node = helper.make_node(op, ["x", "i"] + (["u"] if scatter else []), ["y"], **attrs)
            save(out, name, node, x, [("i", idx)] + ([("u", updates)] if scatter else []))
        elif op == "TopK":
            node = helper.make_node("TopK", ["x", "k"], ["y", "i"], axis=wild(-4, 4))
            save(out, name, node, x, [("k", np.array([wild(-2, 5)], np.int64))], outputs=("y", "i"))
        elif op == "CumSum":
            save(out, name, helper.make_node("CumSum", ["x", "a"], ["y"]), x, [("a", np.array(wild(-4, 4), np.int64))])
        elif op == "Trilu":
            save(out, name, helper.make_node("Trilu", ["x", "k"], ["y"]), x, [("k", np.array(wild(-4, 4), np.int64))])
        elif op == "OneHot":
            idx = rng.integers(-5, 5, size=shape(int(rng.integers(0, 3)))).astype(np.int64)
            node = helper.make_node("OneHot", ["i", "d", "x"], ["y"], axis=wild(-4, 4))
            save(out, name, node, rng.normal(size=[2]).astype(np.float32),
                 [("i", idx), ("d", np.array([wild(0, 5)], np.int64))])
        elif op == "NonZero":
            save(out, name, helper.make_node("NonZero", ["x"], ["y"]), x)
        elif op == "Hardmax":
            save(out, name, helper.make_node("Hardmax", ["x"], ["y"], axis=wild(-4, 4)), x)
        else:
            axes = [wild(-4, 4) for _ in range(int(rng.integers(0, 4)))]
            save(out, name, helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes=axes), x)
        names.append(name)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("golden")
    ap.add_argument("work")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--count", type=int, default=400)
    a = ap.parse_args()
    names = make_cases(a.work, a.seed, a.count)
    run = subprocess.run([a.golden, "onnx-test"] + [os.path.join(a.work, n) for n in names],
                         capture_output=True, text=True)
    problems = []
    if run.returncode not in (0, 1):
        problems.append(f"onnx-test ended with status {run.returncode}: {run.stderr.strip()[-400:]}")
    verdicts = {}
    for line in run.stdout.splitlines():
        m = re.match(r"(PASS|FAIL|ERROR) +(\S+) +(.*)", line)
        if m:
            verdicts[m.group(2)] = (m.group(1), m.group(3))
    for n in names:
        if n not in verdicts:
            problems.append(f"{n}: no verdict line")
            continue
        verdict, detail = verdicts[n]
        if "internal error" in detail:
            problems.append(f"{n}: {detail}")
        elif verdict == "ERROR" and " node " not in detail:
            problems.append(f"{n}: the error names no node: {detail}")
    counts = {v: sum(1 for x, _ in verdicts.values() if x == v) for v in ("PASS", "FAIL", "ERROR")}
    print(f"{len(names)} hostile models: {counts['PASS']} ran and matched the dummy output, {counts['FAIL']} ran, "
          f"{counts['ERROR']} refused with a one-line error")
    for p in problems[:20]:
        print(f"problem: {p}")
    if problems:
        print(f"{len(problems)} problems")
        return 1
    print("no crash, no internal error, every refusal names its node")
    return 0


if __name__ == "__main__":
    sys.exit(main())
