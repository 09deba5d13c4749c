#!/usr/bin/python3
"""Writes a float MLP for the digits data (64 features, 10 classes) with
LAYERS Gemm layers, 16 wide between, random weights: deep enough that its
up-front SAE program (shadow layers and scans beside every layer) has more
steps than the RTL's descriptor table.

Usage: make_deep_mlp.py OUT.onnx LAYERS
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out, layers = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(5)
    widths = [64] + [16] * (layers - 1) + [10]
    nodes, inits = [], []
    x = "input"
    for i in range(layers):
        w = rng.normal(0, 1 / np.sqrt(widths[i]), (widths[i + 1], widths[i])).astype(np.float32)
        b = rng.normal(0, 0.1, widths[i + 1]).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        y = "logits" if i == layers - 1 else f"g{i}"
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [y], name=f"fc{i}", transB=1))
        if i < layers - 1:
            nodes.append(helper.make_node("Relu", [y], [f"r{i}"], name=f"relu{i}"))
            x = f"r{i}"
    graph = helper.make_graph(nodes, "deep_mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 64])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
