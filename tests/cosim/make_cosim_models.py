#!/usr/bin/python3
"""Models the co-simulation tests need beyond the bundled ones.

Usage: make_cosim_models.py MODELS_DIR OUT_DIR

  digits_mlp_zp128.onnx  digits_mlp (QDQ) with its input quantized over
                         [-1, 1] (zero point 128), so that layer 0 sees a
                         non-zero activation zero point: the bundled models'
                         activation zero points are all 0, which hides a
                         missing zero-point subtraction.
  fc256/model.onnx       one 256 -> 256 fully connected QDQ layer, the
                         compute-bound case of the cycle-scaling check, with
                         test_data_set_0/input_0.pb (4 random samples).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def centered_mlp(models, out):
    m = onnx.load(os.path.join(models, "digits_mlp", "model_int8.onnx"))
    for init in m.graph.initializer:
        if init.name == "input_scale":
            init.CopyFrom(numpy_helper.from_array(np.array(2.0 / 255.0, np.float32), "input_scale"))
        elif init.name == "input_zero_point":
            init.CopyFrom(numpy_helper.from_array(np.array(128, np.uint8), "input_zero_point"))
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, "digits_mlp_zp128.onnx"))


def fc256(out):
    rng = np.random.default_rng(256)
    n = 256
    w = rng.integers(-127, 128, size=(n, n), dtype=np.int8)
    w_scale = np.full(n, 0.01, np.float32)
    x_scale, y_scale = np.float32(1 / 255), np.float32(0.05)
    bias = rng.integers(-5000, 5000, size=n).astype(np.int32)
    inits = [
        numpy_helper.from_array(np.array(x_scale, np.float32), "x_scale"),
        numpy_helper.from_array(np.array(0, np.uint8), "x_zp"),
        numpy_helper.from_array(w, "w_q"),
        numpy_helper.from_array(w_scale, "w_scale"),
        numpy_helper.from_array(np.zeros(n, np.int8), "w_zp"),
        numpy_helper.from_array(bias, "b_q"),
        numpy_helper.from_array((x_scale * w_scale).astype(np.float32), "b_scale"),
        numpy_helper.from_array(np.zeros(n, np.int32), "b_zp"),
        numpy_helper.from_array(np.array(y_scale, np.float32), "y_scale"),
        numpy_helper.from_array(np.array(128, np.uint8), "y_zp"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "x_scale", "x_zp"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zp"], ["x"]),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], axis=0),
        helper.make_node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["b"], axis=0),
        helper.make_node("Gemm", ["x", "w", "b"], ["y_f"], name="fc256", transB=1),
        helper.make_node("QuantizeLinear", ["y_f", "y_scale", "y_zp"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "y_scale", "y_zp"], ["logits"]),
    ]
    graph = helper.make_graph(nodes, "fc256", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    folder = os.path.join(out, "fc256")
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    x = rng.random((4, n), dtype=np.float32)
    with open(os.path.join(folder, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "input").SerializeToString())


def main():
    models, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    centered_mlp(models, out)
    fc256(out)


if __name__ == "__main__":
    main()
