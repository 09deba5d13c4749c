#!/usr/bin/python3
"""Models the co-simulation tests need beyond the bundled ones.

Usage: make_cosim_models.py MODELS_DIR OUT_DIR

  digits_mlp_zp128.onnx  digits_mlp (QDQ) with its input quantized over
                         [-1, 1] (zero point 128), so that layer 0 sees a
                         non-zero activation zero point: the bundled models'
                         activation zero points are all 0, which hides a
                         missing zero-point subtraction.
  conv16/model.onnx      one 3x3 convolution over a 16-channel 12x12 map
                         (QDQ), the compute-bound case of the cycle-scaling
                         check (each weight tile serves 144 pixels; a fully
                         connected layer at batch 1 waits for its weights),
                         with test_data_set_0/input_0.pb (2 random samples).
  resnet_tiny/           a small residual CNN with random weights, float
                         (model.onnx: Conv + BatchNormalization + Relu, a
                         residual Add, AveragePool, GlobalAveragePool, Gemm)
                         and int8 QDQ (model_int8.onnx, the same quantization
                         recipe as the bundled models, BatchNormalization
                         folded), with calibration/ and test_data_set_0/.
  padded_cnn/            a float CNN whose padding comes from Pad nodes: F.pad
                         as torch.onnx writes it (its pads computed from
                         constants) before the stem, a Pad as wide as the
                         kernel before a strided convolution (an output row of
                         padding only) and one before an AveragePool (after a
                         layer without ReLU, so the padding is a non-zero
                         zero point), with calibration/ and test_data_set_0/.
  conv1d_net/            a float 1-D CNN as PyTorch exports Conv1d: [N,4,40],
                         a strided Conv1d, a depthwise Conv1d, MaxPool1d
                         with its ReLU after it (F.relu(F.max_pool1d(x)),
                         applied in the depthwise layer), GlobalAveragePool,
                         Gemm; calibration/ and test_data_set_0/.
  global_max_cnn/        a float CNN ending in GlobalMaxPool with its ReLU
                         after it (applied in the convolution), Flatten,
                         Gemm; calibration/ and test_data_set_0/.
  leaky_cnn/             a float CNN with LeakyRelu and PRelu: a Conv's
                         LeakyRelu(0.1) and a Conv's PRelu with a slope per
                         channel ([C,1,1], one negative, one 0, one 1), both
                         in the layer's output stage; a LeakyRelu after a
                         MaxPool (a requantizing layer); a PRelu with one
                         shared slope after the Gemm; calibration/ and
                         test_data_set_0/.
  leaky_qdq_cnn/         int8 QDQ as ONNX Runtime writes LeakyRelu and PRelu:
                         each between its own QDQ pairs (a requantizing layer
                         with a slope), PRelu's slope quantized; and a Conv
                         whose LeakyRelu comes before its one QuantizeLinear
                         (in the layer); test_data_set_0/.
  table_cnn/             a float CNN whose activations are output tables: a
                         Conv's Sigmoid, a Swish written as x * Sigmoid(x), a
                         HardSwish after a MaxPool, a Tanh after a
                         GlobalAveragePool, a Gemm ending in Sigmoid (a
                         multi-label head); calibration/ and test_data_set_0/.
  table_qdq_cnn/         int8 QDQ as ONNX Runtime writes Sigmoid, Tanh,
                         HardSigmoid, Elu and Softplus: each between its own
                         QDQ pairs; test_data_set_0/.
  symmetric_qdq_cnn/     int8 QDQ with symmetric activations (zero point 0) as
                         ONNX Runtime writes them: each Relu between its own
                         QDQ pairs, its output at a narrower scale than its
                         input (a requantizing layer on the accelerator);
                         test_data_set_0/.
  qoperator_contrib/     QOperator with ONNX Runtime's com.microsoft ops as its
                         quantizer and the ONNX model zoo's int8 models write
                         them: QLinearConv, QLinearAdd as a residual Add and
                         as a separate bias (mnist-12-int8), QLinearLeakyRelu
                         after the residual Add, MaxPool of codes,
                         QLinearAveragePool, QLinearGlobalAveragePool, QGemm
                         (transB, int32 bias), DequantizeLinear; test_data_set_0/.
  partly_quantized_resnet/
                         int8 QDQ as TensorRT's pytorch-quantization writes
                         it: Q/DQ only on each layer's input (symmetric, amax
                         calibrated) and weights, so a Relu -> MaxPool (then
                         quantized), a convolution's result into the residual
                         Add, the pooled features and the logits are float
                         (quantized by aps from calibration/);
                         test_data_set_0/.
  wide_fc_cnn/           a float CNN as PyTorch's MNIST example is built, small:
                         Conv, Relu, Flatten of an 11x11x38 map, Gemm over
                         its 4598 features (605 input words: a weight tile
                         larger than a weight buffer slot of the default
                         build, loaded in three parts, the last shorter, its
                         38 channels leaving lanes of each pixel's last block
                         empty), Relu, Gemm; calibration/ and test_data_set_0/.
  wide_kernel_cnn/       a float CNN whose second convolution's 13x13 kernel
                         covers its whole 11x11x38 input and a padding of 1
                         (one output pixel, a tile of 845 words loaded in four
                         parts that end inside kernel rows, padded taps among
                         them), GlobalAveragePool, Gemm; calibration/ and
                         test_data_set_0/.
  torch_mnist_example/   the network of PyTorch's MNIST example (pytorch/examples
                         mnist/main.py), random weights: Conv 1->32, Relu,
                         Conv 32->64, Relu, MaxPool 2, Flatten of 9216
                         features, Gemm 9216->128 (16 tiles of 1152 words,
                         each loaded in five parts), Relu, Gemm 128->10,
                         LogSoftmax; calibration/ (64 samples) and
                         test_data_set_0/ (1 sample).
  uint8_image_cnn/       a float CNN that takes image bytes, as a Keras model
                         exported with its uint8 NHWC input: Transpose, Cast
                         to float, Div 255, Sub and Div by per-channel mean
                         and std, Conv, Relu, MaxPool, Flatten, Gemm;
                         calibration/ and test_data_set_0/ hold uint8 images,
                         test_data_set_0/labels.pb the float model's classes
                         (numpy), so accuracy is agreement with it.
  tflite_int8_io/        int8 QDQ as tf2onnx converts a full-integer TFLite
                         model: an int8 NHWC input read by a DequantizeLinear,
                         int32 biases as DequantizeLinear, MaxPool between
                         Q/DQ pairs of one scale, an NHWC flatten, MatMul +
                         Add, and the int8 output of the last QuantizeLinear
                         as the graph output; test_data_set_0/ holds int8
                         codes, test_data_set_float/ float samples,
                         test_data_set_uint8/ codes of the wrong type,
                         calibration/ 256 int8 samples.
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


def conv16(out):
    rng = np.random.default_rng(16)
    c, hw = 16, 12
    w = rng.integers(-127, 128, size=(c, c, 3, 3), dtype=np.int8)
    w_scale = np.full(c, 0.01, np.float32)
    x_scale, y_scale = np.float32(1 / 255), np.float32(0.05)
    bias = rng.integers(-5000, 5000, size=c).astype(np.int32)
    inits = [
        numpy_helper.from_array(np.array(x_scale, np.float32), "x_scale"),
        numpy_helper.from_array(np.array(0, np.uint8), "x_zp"),
        numpy_helper.from_array(w, "w_q"),
        numpy_helper.from_array(w_scale, "w_scale"),
        numpy_helper.from_array(np.zeros(c, np.int8), "w_zp"),
        numpy_helper.from_array(bias, "b_q"),
        numpy_helper.from_array((x_scale * w_scale).astype(np.float32), "b_scale"),
        numpy_helper.from_array(np.zeros(c, np.int32), "b_zp"),
        numpy_helper.from_array(np.array(y_scale, np.float32), "y_scale"),
        numpy_helper.from_array(np.array(128, np.uint8), "y_zp"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "x_scale", "x_zp"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zp"], ["x"]),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], axis=0),
        helper.make_node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["b"], axis=0),
        helper.make_node("Conv", ["x", "w", "b"], ["y_f"], name="conv16", pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["y_f", "y_scale", "y_zp"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "y_scale", "y_zp"], ["fmap"]),
    ]
    graph = helper.make_graph(
        nodes, "conv16", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c, hw, hw])],
        [helper.make_tensor_value_info("fmap", TensorProto.FLOAT, ["N", c, hw, hw])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    folder = os.path.join(out, "conv16")
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    x = rng.random((2, c, hw, hw), dtype=np.float32)
    with open(os.path.join(folder, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "input").SerializeToString())


def conv2d(x, w, b, pad):
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, m, oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,mc->nmhw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    return (y + b[None, :, None, None]).astype(np.float32)


def resnet_tiny(out):
    """Float and QDQ versions of one small residual network."""
    rng = np.random.default_rng(7)
    p = {
        "c1.w": rng.normal(0, 0.4, (8, 3, 3, 3)).astype(np.float32), "c1.b": rng.normal(0, 0.1, 8).astype(np.float32),
        "bn.scale": rng.uniform(0.5, 1.5, 8).astype(np.float32), "bn.bias": rng.normal(0, 0.1, 8).astype(np.float32),
        "bn.mean": rng.normal(0, 0.2, 8).astype(np.float32), "bn.var": rng.uniform(0.5, 2, 8).astype(np.float32),
        "c2.w": rng.normal(0, 0.15, (8, 8, 3, 3)).astype(np.float32), "c2.b": rng.normal(0, 0.1, 8).astype(np.float32),
        "fc.w": rng.normal(0, 0.5, (5, 8)).astype(np.float32), "fc.b": rng.normal(0, 0.1, 5).astype(np.float32),
    }
    eps = 1e-5
    g = p["bn.scale"] / np.sqrt(p["bn.var"] + eps)
    folded_w = (p["c1.w"] * g[:, None, None, None]).astype(np.float32)
    folded_b = ((p["c1.b"] - p["bn.mean"]) * g + p["bn.bias"]).astype(np.float32)

    def forward(x):
        # No ReLU on the stem: conv2 then reads a non-zero zero point, which is
        # what its padding must hold.
        a = conv2d(x, folded_w, folded_b, 1)
        b = conv2d(a, p["c2.w"], p["c2.b"], 1)
        s = np.maximum(a + b, 0)
        pool = s.reshape(s.shape[0], 8, 3, 2, 3, 2).mean(axis=(3, 5))  # AveragePool 2x2 stride 2: 6x6 -> 3x3
        gap = pool.mean(axis=(2, 3))
        logits = gap @ p["fc.w"].T + p["fc.b"]
        return [x, a, b, s, pool, gap, logits]

    calib = rng.uniform(-1, 1, (256, 3, 6, 6)).astype(np.float32)
    test = rng.uniform(-1, 1, (32, 3, 6, 6)).astype(np.float32)
    acts = forward(calib)

    def qparams(t):
        lo, hi = min(0.0, float(t.min())), max(0.0, float(t.max()))
        scale = np.float32((hi - lo) / 255.0)
        return scale, np.uint8(int(np.clip(np.rint(-lo / float(scale)), 0, 255)))

    folder = os.path.join(out, "resnet_tiny")
    for sub in ("calibration", "test_data_set_0"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    with open(os.path.join(folder, "calibration", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(calib, "input").SerializeToString())
    with open(os.path.join(folder, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(test, "input").SerializeToString())
    with open(os.path.join(folder, "test_data_set_0", "labels.pb"), "wb") as f:
        f.write(numpy_helper.from_array(np.argmax(forward(test)[-1], axis=1).astype(np.int64), "labels").SerializeToString())

    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 6, 6])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])
    # Float model, with BatchNormalization as PyTorch exports it.
    inits = [numpy_helper.from_array(v, k) for k, v in p.items()]
    inits.append(numpy_helper.from_array(np.array([1, 1], np.int64), "flat_shape"))
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["a"], name="bn1",
                         epsilon=eps),
        helper.make_node("Conv", ["a", "c2.w", "c2.b"], ["b"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["a", "b"], ["s_pre"], name="residual"),
        helper.make_node("Relu", ["s_pre"], ["s"], name="relu2"),
        helper.make_node("AveragePool", ["s"], ["pool"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["pool"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    model = checked_model(nodes, "resnet_tiny", x_info, y_info, inits)
    onnx.save(model, os.path.join(folder, "model.onnx"))

    # QDQ model: Q -> DQ around every activation, int8 symmetric per-channel
    # weights, int32 biases; BatchNormalization folded into conv1.
    names = ["input", "a", "b", "s", "pool", "gap", "logits"]
    q = {n: qparams(t) for n, t in zip(names, acts)}
    inits, nodes = [], []

    def act_qdq(name, src, dst):
        s, z = q[name]
        inits.extend([numpy_helper.from_array(np.array(s, np.float32), f"{name}_s"),
                      numpy_helper.from_array(np.array(z, np.uint8), f"{name}_z")])
        nodes.append(helper.make_node("QuantizeLinear", [src, f"{name}_s", f"{name}_z"], [f"{name}_q"]))
        nodes.append(helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s", f"{name}_z"], [dst]))

    def weights(prefix, w, b, in_scale):
        amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        ws = (amax / 127.0).astype(np.float32)
        wq = np.clip(np.rint(w / ws.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
        bs = (np.float32(in_scale) * ws).astype(np.float32)
        bq = np.rint(b / bs).astype(np.int32)
        inits.extend([numpy_helper.from_array(wq, f"{prefix}.wq"), numpy_helper.from_array(ws, f"{prefix}.ws"),
                      numpy_helper.from_array(np.zeros(w.shape[0], np.int8), f"{prefix}.wz"),
                      numpy_helper.from_array(bq, f"{prefix}.bq"), numpy_helper.from_array(bs, f"{prefix}.bs"),
                      numpy_helper.from_array(np.zeros(w.shape[0], np.int32), f"{prefix}.bz")])
        nodes.append(helper.make_node("DequantizeLinear", [f"{prefix}.wq", f"{prefix}.ws", f"{prefix}.wz"], [f"{prefix}.w"], axis=0))
        nodes.append(helper.make_node("DequantizeLinear", [f"{prefix}.bq", f"{prefix}.bs", f"{prefix}.bz"], [f"{prefix}.b"], axis=0))

    act_qdq("input", "input", "x_dq")
    weights("c1", folded_w, folded_b, q["input"][0])
    nodes.append(helper.make_node("Conv", ["x_dq", "c1.w", "c1.b"], ["c1_out"], name="conv1", pads=[1, 1, 1, 1]))
    act_qdq("a", "c1_out", "a_dq")
    weights("c2", p["c2.w"], p["c2.b"], q["a"][0])
    nodes.append(helper.make_node("Conv", ["a_dq", "c2.w", "c2.b"], ["b_f"], name="conv2", pads=[1, 1, 1, 1]))
    act_qdq("b", "b_f", "b_dq")
    nodes.append(helper.make_node("Add", ["a_dq", "b_dq"], ["s_pre"], name="residual"))
    nodes.append(helper.make_node("Relu", ["s_pre"], ["s_f"], name="relu2"))
    act_qdq("s", "s_f", "s_dq")
    nodes.append(helper.make_node("AveragePool", ["s_dq"], ["pool_f"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2]))
    act_qdq("pool", "pool_f", "pool_dq")
    nodes.append(helper.make_node("GlobalAveragePool", ["pool_dq"], ["gap_f"], name="gap"))
    act_qdq("gap", "gap_f", "gap_dq")
    nodes.append(helper.make_node("Flatten", ["gap_dq"], ["flat"], name="flatten"))
    weights("fc", p["fc.w"], p["fc.b"], q["gap"][0])
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits_f"], name="fc", transB=1))
    act_qdq("logits", "logits_f", "logits")
    model = checked_model(nodes, "resnet_tiny_int8", x_info, y_info, inits)
    onnx.save(model, os.path.join(folder, "model_int8.onnx"))


def uniform_samples(rng, n, sample_shape):
    return rng.uniform(-1, 1, (n, *sample_shape))


def varied_samples(rng, count, shape):
    """Each sample's channels at their own gain and offset, so that pooled
    features (and the class) vary from sample to sample."""
    return (rng.uniform(-1, 1, (count, *shape)) * rng.uniform(0, 2, (count, shape[0], 1, 1)) +
            rng.normal(0, 0.5, (count, shape[0], 1, 1)))


def int8_channel_weights(w, name, inits):
    """Symmetric int8 codes of weights `w` with one scale per output channel
    (axis 0), appended to `inits`; the names of codes, scales and zero points."""
    s = (np.abs(w.reshape(w.shape[0], -1)).max(axis=1) / 127).astype(np.float32)
    inits.extend([numpy_helper.from_array(np.round(w / s.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.int8),
                                          f"{name}.wq"),
                  numpy_helper.from_array(s, f"{name}.ws"),
                  numpy_helper.from_array(np.zeros(w.shape[0], np.int8), f"{name}.wz")])
    return [f"{name}.wq", f"{name}.ws", f"{name}.wz"]


def maxpool2(v):
    """2x2 max pooling, stride 2, of an [N,C,H,W] array."""
    return v.reshape(v.shape[0], v.shape[1], v.shape[2] // 2, 2, v.shape[3] // 2, 2).max(axis=(3, 5))


def symmetric_scale(v):
    """The symmetric int8 scale of the values v: their largest magnitude over 127, float32."""
    return np.float32(np.abs(v).max() / 127)


def symmetric_qdq(nodes, value, key):
    """QuantizeLinear -> DequantizeLinear of `value` at scale `key`.s and the int8 zero point "zp"."""
    nodes.append(helper.make_node("QuantizeLinear", [value, f"{key}.s", "zp"], [f"{key}.q"], name=f"q_{key}"))
    nodes.append(helper.make_node("DequantizeLinear", [f"{key}.q", f"{key}.s", "zp"], [f"{key}.d"],
                                  name=f"dq_{key}"))
    return f"{key}.d"


def channel_weights_dq(nodes, inits, w, name):
    """int8_channel_weights of `w` and their DequantizeLinear; the float weights' name."""
    nodes.append(helper.make_node("DequantizeLinear", int8_channel_weights(w, name, inits), [f"{name}.w"],
                                  name=f"dq_{name}_w", axis=0))
    return f"{name}.w"


def checked_model(nodes, name, x_info, y_info, inits):
    """An opset-13 model of one graph with one input and one output, checked."""
    model = helper.make_model(helper.make_graph(nodes, name, [x_info], [y_info], inits),
                              opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    return model


def save_float_model(model, folder, rng, sample_shape, samples=uniform_samples, counts=(256, 24)):
    """A model with calibration/ (256 samples) and test_data_set_0/ (24), by default uniform in [-1, 1]."""
    for sub, n in zip(("calibration", "test_data_set_0"), counts):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        with open(os.path.join(folder, sub, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(samples(rng, n, sample_shape).astype(np.float32),
                                            "input").SerializeToString())
    onnx.save(model, os.path.join(folder, "model.onnx"))


def padded_cnn(out):
    rng = np.random.default_rng(9)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.4, (4, 1, 3, 3)).astype(np.float32), "c1.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "c1.b"),
        numpy_helper.from_array(rng.normal(0, 0.3, (6, 4, 3, 3)).astype(np.float32), "c2.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 6).astype(np.float32), "c2.b"),
        numpy_helper.from_array(rng.normal(0, 0.3, (5, 54)).astype(np.float32), "fc.w"),
        # F.pad(x, (left 2, right 1, top 1, bottom 2)), as torch.onnx (opset 13) writes it.
        numpy_helper.from_array(np.array([2, 1, 1, 2], np.int64), "torch_pads"),
        numpy_helper.from_array(np.array([4], np.int64), "four"),
        numpy_helper.from_array(np.array([-1, 2], np.int64), "pairs"),
        numpy_helper.from_array(np.array([-1], np.int64), "start"),
        numpy_helper.from_array(np.array([-(2**63 - 1)], np.int64), "end"),
        numpy_helper.from_array(np.array([0], np.int64), "axis0"),
        numpy_helper.from_array(np.array([-1], np.int64), "back"),
        numpy_helper.from_array(np.array([-1], np.int64), "flat"),
        # Top 3 before a 3x3 window: the first output row reads only padding.
        numpy_helper.from_array(np.array([0, 0, 3, 1, 0, 0, 1, 3], np.int64), "pads_mid"),
        numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64), "pads_pool"),
        numpy_helper.from_array(np.array(0, np.float32), "zero"),
    ]
    nodes = [
        helper.make_node("ConstantOfShape", ["four"], ["zeros"], name="zeros",
                         value=numpy_helper.from_array(np.array([0], np.int64))),
        helper.make_node("Concat", ["torch_pads", "zeros"], ["all"], name="concat", axis=0),
        helper.make_node("Reshape", ["all", "pairs"], ["paired"], name="pair"),
        helper.make_node("Slice", ["paired", "start", "end", "axis0", "back"], ["reversed"], name="reverse"),
        helper.make_node("Transpose", ["reversed"], ["by_end"], name="by_end", perm=[1, 0]),
        helper.make_node("Reshape", ["by_end", "flat"], ["pads_in"], name="onnx_pads"),
        helper.make_node("Pad", ["input", "pads_in", "zero"], ["xp"], name="pad_in"),
        helper.make_node("Conv", ["xp", "c1.w", "c1.b"], ["c1"], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Pad", ["r1", "pads_mid"], ["r1p"], name="pad_mid"),
        helper.make_node("Conv", ["r1p", "c2.w", "c2.b"], ["c2"], name="conv2", strides=[2, 2]),
        helper.make_node("Pad", ["c2", "pads_pool"], ["c2p"], name="pad_pool"),
        helper.make_node("AveragePool", ["c2p"], ["pool"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w"], ["logits"], name="fc", transB=1),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 9, 9])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])
    model = checked_model(nodes, "padded_cnn", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "padded_cnn"), rng, (1, 9, 9))


def conv1d_net(out):
    rng = np.random.default_rng(10)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.3, (8, 4, 5)).astype(np.float32), "c1.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "c1.b"),
        numpy_helper.from_array(rng.normal(0, 0.5, (8, 1, 3)).astype(np.float32), "dw.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "dw.b"),
        numpy_helper.from_array(rng.normal(0, 0.5, (6, 8)).astype(np.float32), "fc.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 6).astype(np.float32), "fc.b"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[5], pads=[2, 2],
                         strides=[2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "dw.w", "dw.b"], ["dw"], name="depthwise", kernel_shape=[3], pads=[1, 1],
                         group=8),
        helper.make_node("MaxPool", ["dw"], ["mp"], name="maxpool", kernel_shape=[2], strides=[2]),
        helper.make_node("Relu", ["mp"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4, 40])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 6])
    model = checked_model(nodes, "conv1d_net", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "conv1d_net"), rng, (4, 40))


def global_max_cnn(out):
    rng = np.random.default_rng(11)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.4, (8, 2, 3, 3)).astype(np.float32), "c.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "c.b"),
        numpy_helper.from_array(rng.normal(0, 0.5, (5, 8)).astype(np.float32), "fc.w"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "c.w", "c.b"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("GlobalMaxPool", ["c"], ["gmp"], name="gmp"),
        helper.make_node("Relu", ["gmp"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w"], ["logits"], name="fc", transB=1),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 6, 6])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])
    model = checked_model(nodes, "global_max_cnn", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "global_max_cnn"), rng, (2, 6, 6))


def wide_cnns(out):
    rng = np.random.default_rng(14)
    conv1 = [numpy_helper.from_array(rng.normal(0, 0.5, (38, 1, 3, 3)).astype(np.float32), "c1.w"),
             numpy_helper.from_array(rng.normal(0, 0.1, 38).astype(np.float32), "c1.b")]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 13, 13])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])
    stem = [helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[3, 3]),
            helper.make_node("Relu", ["c1"], ["r1"], name="relu1")]

    fc = [numpy_helper.from_array(rng.normal(0, 0.03, (12, 4598)).astype(np.float32), "fc1.w"),
          numpy_helper.from_array(rng.normal(0, 0.1, 12).astype(np.float32), "fc1.b"),
          numpy_helper.from_array(rng.normal(0, 0.5, (10, 12)).astype(np.float32), "fc2.w")]
    nodes = stem + [
        helper.make_node("Flatten", ["r1"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc1.w", "fc1.b"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["hr"], name="relu2"),
        helper.make_node("Gemm", ["hr", "fc2.w"], ["logits"], name="fc2", transB=1),
    ]
    model = checked_model(nodes, "wide_fc_cnn", x_info, y_info, conv1 + fc)
    save_float_model(model, os.path.join(out, "wide_fc_cnn"), rng, (1, 13, 13), varied_samples)

    wide = [numpy_helper.from_array(rng.normal(0, 0.03, (12, 38, 13, 13)).astype(np.float32), "c2.w"),
            numpy_helper.from_array(rng.normal(0, 0.5, (10, 12)).astype(np.float32), "fc.w")]
    nodes = stem + [
        helper.make_node("Conv", ["r1", "c2.w"], ["c2"], name="conv2", kernel_shape=[13, 13], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w"], ["logits"], name="fc", transB=1),
    ]
    model = checked_model(nodes, "wide_kernel_cnn", x_info, y_info, conv1 + wide)
    save_float_model(model, os.path.join(out, "wide_kernel_cnn"), rng, (1, 13, 13), varied_samples)


def torch_mnist_example(out):
    rng = np.random.default_rng(16)

    def weights(name, shape, std):
        return numpy_helper.from_array(rng.normal(0, std, shape).astype(np.float32), name)

    inits = [weights("c1.w", (32, 1, 3, 3), 0.3), weights("c1.b", (32,), 0.1),
             weights("c2.w", (64, 32, 3, 3), 0.06), weights("c2.b", (64,), 0.1),
             weights("f1.w", (128, 9216), 0.01), weights("f1.b", (128,), 0.1),
             weights("f2.w", (10, 128), 0.1), weights("f2.b", (10,), 0.1)]
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["a"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["a"], ["b"], name="relu1"),
        helper.make_node("Conv", ["b", "c2.w", "c2.b"], ["c"], name="conv2", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["d"], name="relu2"),
        helper.make_node("MaxPool", ["d"], ["e"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["e"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "f1.w", "f1.b"], ["g"], name="fc1", transB=1),
        helper.make_node("Relu", ["g"], ["h"], name="relu3"),
        helper.make_node("Gemm", ["h", "f2.w", "f2.b"], ["y"], name="fc2", transB=1),
        helper.make_node("LogSoftmax", ["y"], ["out"], name="log_softmax", axis=1),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])
    y_info = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 10])
    model = checked_model(nodes, "torch_mnist_example", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "torch_mnist_example"), rng, (1, 28, 28),
                     lambda rng, n, shape: rng.uniform(0, 1, (n, *shape)), counts=(64, 1))


def uint8_image_cnn(out):
    rng = np.random.default_rng(15)
    inits = [
        numpy_helper.from_array(np.array(255.0, np.float32), "k255"),
        # Channels standardized far apart (one tensor scale covers them all),
        # so bytes taken as codes would not pass for the standardized values.
        numpy_helper.from_array(np.array([0.0, 0.5, 0.45], np.float32).reshape(1, 3, 1, 1), "mean"),
        numpy_helper.from_array(np.array([1.0, 0.05, 0.5], np.float32).reshape(1, 3, 1, 1), "std"),
        numpy_helper.from_array(rng.normal(0, 0.4, (8, 3, 3, 3)).astype(np.float32), "c.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "c.b"),
        numpy_helper.from_array(rng.normal(0, 0.2, (6, 8 * 6 * 6)).astype(np.float32), "fc.w"),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], name="to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node("Cast", ["nchw"], ["xf"], name="to_float", to=TensorProto.FLOAT),
        helper.make_node("Div", ["xf", "k255"], ["unit"], name="rescale"),
        helper.make_node("Sub", ["unit", "mean"], ["centred"], name="centre"),
        helper.make_node("Div", ["centred", "std"], ["x"], name="standardize"),
        helper.make_node("Conv", ["x", "c.w", "c.b"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w"], ["logits"], name="fc", transB=1),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.UINT8, ["N", 12, 12, 3])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 6])
    model = checked_model(nodes, "uint8_image_cnn", x_info, y_info, inits)
    folder = os.path.join(out, "uint8_image_cnn")
    for sub, n in (("calibration", 256), ("test_data_set_0", 24)):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        # Images: a per-sample brightness and contrast over noise, so the classes vary.
        base = rng.uniform(0, 1, (n, 12, 12, 3)) * rng.uniform(0.3, 1, (n, 1, 1, 3)) + rng.uniform(0, 0.4, (n, 1, 1, 1))
        images = np.clip(np.round(base * 255), 0, 255).astype(np.uint8)
        with open(os.path.join(folder, sub, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(images, "input").SerializeToString())
        if sub == "test_data_set_0":
            w = {t.name: numpy_helper.to_array(t) for t in inits}
            x = (images.transpose(0, 3, 1, 2).astype(np.float32) / 255 - w["mean"]) / w["std"]
            r = maxpool2(np.maximum(conv2d(x, w["c.w"], w["c.b"], 1), 0))
            labels = (r.reshape(n, -1) @ w["fc.w"].T).argmax(axis=1).astype(np.int64)
            with open(os.path.join(folder, sub, "labels.pb"), "wb") as f:
                f.write(numpy_helper.from_array(labels, "labels").SerializeToString())
    onnx.save(model, os.path.join(folder, "model.onnx"))


def symmetric_qdq_cnn(out):
    rng = np.random.default_rng(12)
    w1 = rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
    wf = rng.normal(0, 0.3, (5, 144)).astype(np.float32)
    calibration = rng.uniform(-1, 1, (256, 2, 6, 6)).astype(np.float32)

    c1 = conv2d(calibration, w1, np.zeros(4, np.float32), 1)
    c2 = conv2d(np.maximum(c1, 0), w2, np.zeros(4, np.float32), 1)
    logits = np.maximum(c2, 0).reshape(256, -1) @ wf.T
    scales = {"x": symmetric_scale(calibration), "c1": symmetric_scale(c1), "r1": symmetric_scale(np.maximum(c1, 0)), "c2": symmetric_scale(c2),
              "r2": symmetric_scale(np.maximum(c2, 0)), "y": symmetric_scale(logits)}
    inits = [numpy_helper.from_array(np.array(0, np.int8), "zp")]
    inits += [numpy_helper.from_array(np.array(v, np.float32), f"{k}.s") for k, v in scales.items()]
    nodes = []

    def qdq(value, key):
        return symmetric_qdq(nodes, value, key)

    def weights(w, name):
        return channel_weights_dq(nodes, inits, w, name)

    x = qdq("input", "x")
    nodes.append(helper.make_node("Conv", [x, weights(w1, "conv1")], ["c1"], name="conv1", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", [qdq("c1", "c1")], ["r1"], name="relu1"))
    nodes.append(helper.make_node("Conv", [qdq("r1", "r1"), weights(w2, "conv2")], ["c2"], name="conv2",
                                  pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", [qdq("c2", "c2")], ["r2"], name="relu2"))
    nodes.append(helper.make_node("Flatten", [qdq("r2", "r2")], ["f"], name="flatten"))
    nodes.append(helper.make_node("Gemm", ["f", weights(wf, "fc")], ["logits"], name="fc", transB=1))
    qdq("logits", "y")
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 6, 6])
    y_info = helper.make_tensor_value_info("y.d", TensorProto.FLOAT, ["N", 5])
    model = checked_model(nodes, "symmetric_qdq_cnn", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "symmetric_qdq_cnn"), rng, (2, 6, 6))


def leaky_cnn(out):
    rng = np.random.default_rng(21)
    slopes = np.array([0.25, -0.5, 0.0, 1.0, 0.05, 0.75], np.float32).reshape(6, 1, 1)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32), "c1.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "c1.b"),
        numpy_helper.from_array(rng.normal(0, 0.3, (6, 4, 3, 3)).astype(np.float32), "c2.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 6).astype(np.float32), "c2.b"),
        numpy_helper.from_array(slopes, "slope2"),
        numpy_helper.from_array(rng.normal(0, 0.5, (5, 6)).astype(np.float32), "fc.w"),
        numpy_helper.from_array(np.array([0.2], np.float32), "slope_fc"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("LeakyRelu", ["c1"], ["l1"], name="leaky1", alpha=0.1),
        helper.make_node("Conv", ["l1", "c2.w", "c2.b"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("PRelu", ["c2", "slope2"], ["p2"], name="prelu2"),
        helper.make_node("MaxPool", ["p2"], ["mp"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("LeakyRelu", ["mp"], ["l3"], name="leaky3", alpha=0.3),
        helper.make_node("GlobalAveragePool", ["l3"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w"], ["fc"], name="fc", transB=1),
        helper.make_node("PRelu", ["fc", "slope_fc"], ["logits"], name="prelu_fc"),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 6, 6])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])
    model = checked_model(nodes, "leaky_cnn", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "leaky_cnn"), rng, (2, 6, 6))


def leaky_qdq_cnn(out):
    rng = np.random.default_rng(22)
    w1 = rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
    w3 = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
    wf = rng.normal(0, 0.3, (5, 144)).astype(np.float32)
    slope = np.array([0.1, -0.25, 0.5, 0.0], np.float32).reshape(4, 1, 1)
    calibration = rng.uniform(-1, 1, (256, 2, 6, 6)).astype(np.float32)

    def leaky(v, a):
        return np.where(v < 0, a * v, v)

    c1 = conv2d(calibration, w1, np.zeros(4, np.float32), 1)
    l1 = leaky(c1, 0.2)
    c2 = conv2d(l1, w2, np.zeros(4, np.float32), 1)
    p2 = leaky(c2, slope[None])
    l3 = leaky(conv2d(p2, w3, np.zeros(4, np.float32), 1), 0.1)
    logits = l3.reshape(256, -1) @ wf.T

    scales = {"x": symmetric_scale(calibration), "c1": symmetric_scale(c1), "l1": symmetric_scale(l1), "c2": symmetric_scale(c2), "p2": symmetric_scale(p2),
              "l3": symmetric_scale(l3), "y": symmetric_scale(logits), "slope": np.float32(0.5 / 127)}
    inits = [numpy_helper.from_array(np.array(0, np.int8), "zp"),
             numpy_helper.from_array(np.clip(np.round(slope / scales["slope"]), -127, 127).astype(np.int8),
                                     "slope.q")]
    inits += [numpy_helper.from_array(np.array(v, np.float32), f"{k}.s") for k, v in scales.items()]
    nodes = [helper.make_node("DequantizeLinear", ["slope.q", "slope.s", "zp"], ["slope.d"], name="dq_slope")]

    def qdq(value, key):
        return symmetric_qdq(nodes, value, key)

    def weights(w, name):
        return channel_weights_dq(nodes, inits, w, name)

    x = qdq("input", "x")
    nodes.append(helper.make_node("Conv", [x, weights(w1, "conv1")], ["c1"], name="conv1", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("LeakyRelu", [qdq("c1", "c1")], ["l1"], name="leaky1", alpha=0.2))
    nodes.append(helper.make_node("Conv", [qdq("l1", "l1"), weights(w2, "conv2")], ["c2"], name="conv2",
                                  pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("PRelu", [qdq("c2", "c2"), "slope.d"], ["p2"], name="prelu2"))
    nodes.append(helper.make_node("Conv", [qdq("p2", "p2"), weights(w3, "conv3")], ["c3"], name="conv3",
                                  pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("LeakyRelu", ["c3"], ["l3"], name="leaky3", alpha=0.1))
    nodes.append(helper.make_node("Flatten", [qdq("l3", "l3")], ["f"], name="flatten"))
    nodes.append(helper.make_node("Gemm", ["f", weights(wf, "fc")], ["logits"], name="fc", transB=1))
    qdq("logits", "y")
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 6, 6])
    y_info = helper.make_tensor_value_info("y.d", TensorProto.FLOAT, ["N", 5])
    model = checked_model(nodes, "leaky_qdq_cnn", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "leaky_qdq_cnn"), rng, (2, 6, 6))


def table_cnn(out):
    rng = np.random.default_rng(23)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32), "c1.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "c1.b"),
        numpy_helper.from_array(rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32), "c2.w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 6).astype(np.float32), "c2.b"),
        numpy_helper.from_array(rng.normal(0, 0.5, (6, 6, 1, 1)).astype(np.float32), "c3.w"),
        numpy_helper.from_array(rng.normal(0, 0.5, (5, 6)).astype(np.float32), "fc.w"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c1"], ["s1"], name="sigmoid1"),
        helper.make_node("Conv", ["s1", "c2.w", "c2.b"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c2"], ["g2"], name="gate2"),
        helper.make_node("Mul", ["c2", "g2"], ["w2"], name="swish2"),
        helper.make_node("MaxPool", ["w2"], ["mp"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("HardSwish", ["mp"], ["h3"], name="hardswish3"),
        helper.make_node("Conv", ["h3", "c3.w"], ["c3"], name="conv3"),
        helper.make_node("GlobalAveragePool", ["c3"], ["gap"], name="gap"),
        helper.make_node("Tanh", ["gap"], ["t"], name="tanh"),
        helper.make_node("Flatten", ["t"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w"], ["fc"], name="fc", transB=1),
        helper.make_node("Sigmoid", ["fc"], ["probs"], name="sigmoid_out"),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 6, 6])
    y_info = helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 5])
    model = helper.make_model(helper.make_graph(nodes, "table_cnn", [x_info], [y_info], inits),
                              opset_imports=[helper.make_opsetid("", 14)], ir_version=7)
    onnx.checker.check_model(model)
    save_float_model(model, os.path.join(out, "table_cnn"), rng, (2, 6, 6))


def table_qdq_cnn(out):
    rng = np.random.default_rng(24)
    w1 = rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
    wf = rng.normal(0, 0.3, (5, 144)).astype(np.float32)
    calibration = rng.uniform(-1, 1, (256, 2, 6, 6)).astype(np.float32)

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    c1 = conv2d(calibration, w1, np.zeros(4, np.float32), 1)
    s1 = sigmoid(c1)
    c2 = conv2d(s1, w2, np.zeros(4, np.float32), 1)
    t2 = np.tanh(c2)
    h2 = np.clip(0.2 * t2 + 0.5, 0, 1)
    e2 = np.where(h2 < 0, np.exp(h2) - 1, h2)
    logits = e2.reshape(256, -1) @ wf.T
    g = np.log1p(np.exp(logits))

    scales = {"x": symmetric_scale(calibration), "c1": symmetric_scale(c1), "s1": symmetric_scale(s1), "c2": symmetric_scale(c2), "t2": symmetric_scale(t2),
              "h2": symmetric_scale(h2), "e2": symmetric_scale(e2), "y": symmetric_scale(logits), "g": symmetric_scale(g)}
    inits = [numpy_helper.from_array(np.array(0, np.int8), "zp")]
    inits += [numpy_helper.from_array(np.array(v, np.float32), f"{k}.s") for k, v in scales.items()]
    nodes = []

    def qdq(value, key):
        return symmetric_qdq(nodes, value, key)

    def weights(w, name):
        return channel_weights_dq(nodes, inits, w, name)

    x = qdq("input", "x")
    nodes.append(helper.make_node("Conv", [x, weights(w1, "conv1")], ["c1"], name="conv1", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Sigmoid", [qdq("c1", "c1")], ["s1"], name="sigmoid1"))
    nodes.append(helper.make_node("Conv", [qdq("s1", "s1"), weights(w2, "conv2")], ["c2"], name="conv2",
                                  pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Tanh", [qdq("c2", "c2")], ["t2"], name="tanh2"))
    nodes.append(helper.make_node("HardSigmoid", [qdq("t2", "t2")], ["h2"], name="hardsigmoid2", alpha=0.2))
    nodes.append(helper.make_node("Elu", [qdq("h2", "h2")], ["e2"], name="elu2"))
    nodes.append(helper.make_node("Flatten", [qdq("e2", "e2")], ["f"], name="flatten"))
    nodes.append(helper.make_node("Gemm", ["f", weights(wf, "fc")], ["logits"], name="fc", transB=1))
    nodes.append(helper.make_node("Softplus", [qdq("logits", "y")], ["g"], name="softplus"))
    qdq("g", "g")
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 6, 6])
    y_info = helper.make_tensor_value_info("g.d", TensorProto.FLOAT, ["N", 5])
    model = helper.make_model(helper.make_graph(nodes, "table_qdq_cnn", [x_info], [y_info], inits),
                              opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    save_float_model(model, os.path.join(out, "table_qdq_cnn"), rng, (2, 6, 6))


def qoperator_contrib(out):
    rng = np.random.default_rng(13)
    n = 256

    x = varied_samples(rng, n, (2, 8, 8)).astype(np.float32)
    w1 = rng.normal(0, 0.4, (8, 2, 3, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.1, 8).astype(np.float32)
    w2 = rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32)
    w3 = rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32)
    wf = rng.normal(0, 4.0, (5, 8)).astype(np.float32)
    bf = rng.normal(0, 0.1, 5).astype(np.float32)

    # Float forward for the activation ranges (uint8, asymmetric).
    c1 = np.maximum(conv2d(x, w1, b1, 1), 0)
    p1 = maxpool2(c1)
    c2 = np.maximum(conv2d(p1, w2, np.zeros(8, np.float32), 1), 0)
    c3 = conv2d(c2, w3, np.zeros(8, np.float32), 1)
    s3 = c3 + p1
    l3 = np.where(s3 < 0, np.float32(0.2) * s3, s3)
    a3 = l3.reshape(n, 8, 2, 2, 2, 2).mean(axis=(3, 5))
    g = a3.mean(axis=(2, 3))
    y = g @ wf.T + bf

    def quant(v, lo=None):
        lo = min(float(v.min()), 0.0) if lo is None else lo
        hi = max(float(v.max()), 0.0)
        scale = np.float32((hi - lo) / 255)
        return scale, np.uint8(round(-lo / scale))

    q = {"x": quant(x), "c1": quant(c1), "c2": quant(c2), "c3": quant(c3), "s3": quant(s3), "l3": quant(l3),
         "a3": quant(a3), "g": quant(g), "y": quant(y)}
    q["c1raw"] = quant(conv2d(x, w1, np.zeros(8, np.float32), 1))
    inits = []
    for k, (sc, zp) in q.items():
        inits += [numpy_helper.from_array(np.array(sc, np.float32), f"{k}.s"),
                  numpy_helper.from_array(np.array(zp, np.uint8), f"{k}.z")]

    def qs(k):
        return [f"{k}.s", f"{k}.z"]

    # The stem's bias as a separate QLinearAdd of a uint8 [C,1,1] constant (mnist-12-int8's Plus30).
    bias_scale = np.float32(np.abs(b1).max() / 127)
    inits += [numpy_helper.from_array((np.round(b1 / bias_scale) + 128).astype(np.uint8).reshape(8, 1, 1), "b1.q"),
              numpy_helper.from_array(np.array(bias_scale, np.float32), "b1.s"),
              numpy_helper.from_array(np.array(128, np.uint8), "b1.z")]
    def weights(w, name):
        return int8_channel_weights(w, name, inits)

    fc_w = weights(wf, "fc")
    inits.append(numpy_helper.from_array(
        np.round(bf / (q["g"][0] * np.abs(wf).max(axis=1) / 127)).astype(np.int32), "fc.b"))
    inits.append(numpy_helper.from_array(np.array([1, 8], np.int64), "flat_shape"))
    nodes = [
        helper.make_node("QuantizeLinear", ["input"] + qs("x"), ["xq"], name="q_in"),
        helper.make_node("QLinearConv", ["xq"] + qs("x") + weights(w1, "c1") + qs("c1raw"), ["c1q"], name="conv1",
                         pads=[1, 1, 1, 1]),
        helper.make_node("QLinearAdd", ["c1q"] + qs("c1raw") + ["b1.q", "b1.s", "b1.z"] + qs("c1"), ["c1b"],
                         name="bias1", domain="com.microsoft"),
        helper.make_node("MaxPool", ["c1b"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("QLinearConv", ["p1"] + qs("c1") + weights(w2, "c2") + qs("c2"), ["c2q"], name="conv2",
                         pads=[1, 1, 1, 1]),
        helper.make_node("QLinearConv", ["c2q"] + qs("c2") + weights(w3, "c3") + qs("c3"), ["c3q"], name="conv3",
                         pads=[1, 1, 1, 1]),
        helper.make_node("QLinearAdd", ["c3q"] + qs("c3") + ["p1"] + qs("c1") + qs("s3"), ["s3q"], name="residual",
                         domain="com.microsoft"),
        helper.make_node("QLinearLeakyRelu", ["s3q"] + qs("s3") + qs("l3"), ["l3q"], name="leaky",
                         domain="com.microsoft", alpha=0.2),
        helper.make_node("QLinearAveragePool", ["l3q"] + qs("l3") + qs("a3"), ["a3q"], name="avgpool",
                         domain="com.microsoft", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("QLinearGlobalAveragePool", ["a3q"] + qs("a3") + qs("g"), ["gq"], name="gap",
                         domain="com.microsoft"),
        helper.make_node("Reshape", ["gq", "flat_shape"], ["fq"], name="flatten"),
        helper.make_node("QGemm", ["fq"] + qs("g") + fc_w + ["fc.b"] + qs("y"), ["yq"], name="fc",
                         domain="com.microsoft", transB=1),
        helper.make_node("DequantizeLinear", ["yq"] + qs("y"), ["logits"], name="dq_out"),
    ]
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, 8, 8])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])
    model = helper.make_model(helper.make_graph(nodes, "qoperator_contrib", [x_info], [y_info], inits),
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)],
                              ir_version=7)
    save_float_model(model, os.path.join(out, "qoperator_contrib"), rng, (2, 8, 8), varied_samples)


def partly_quantized_resnet(out):
    rng = np.random.default_rng(14)
    w1 = rng.normal(0, 0.4, (8, 2, 3, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.1, 8).astype(np.float32)
    w2 = rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32)
    w3 = rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32)
    wf = rng.normal(0, 2.0, (5, 8)).astype(np.float32)
    bf = rng.normal(0, 0.1, 5).astype(np.float32)
    calibration = varied_samples(rng, 256, (2, 8, 8)).astype(np.float32)

    # The amax calibration of each input quantizer, over the float forward.
    p1 = maxpool2(np.maximum(conv2d(calibration, w1, b1, 1), 0))
    r2 = np.maximum(conv2d(p1, w2, np.zeros(8, np.float32), 1), 0)
    s = np.maximum(conv2d(r2, w3, np.zeros(8, np.float32), 1) + p1, 0)
    amax = {"x": calibration, "p1": p1, "r2": r2, "f": s.mean(axis=(2, 3))}
    inits = [numpy_helper.from_array(np.array(0, np.int8), "zp"),
             numpy_helper.from_array(b1, "conv1.b"), numpy_helper.from_array(bf, "fc.b")]
    inits += [numpy_helper.from_array(np.array(np.abs(v).max() / 127, np.float32), f"{k}.s") for k, v in amax.items()]
    nodes = []

    def quantized(value, key):
        return symmetric_qdq(nodes, value, key)

    def weights(w, name):
        return channel_weights_dq(nodes, inits, w, name)

    nodes.append(helper.make_node("Conv", [quantized("input", "x"), weights(w1, "conv1"), "conv1.b"], ["c1"],
                                  name="conv1", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
    nodes.append(helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]))
    p1d = quantized("p1", "p1")
    nodes.append(helper.make_node("Conv", [p1d, weights(w2, "conv2")], ["c2"], name="conv2", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c2"], ["r2"], name="relu2"))
    nodes.append(helper.make_node("Conv", [quantized("r2", "r2"), weights(w3, "conv3")], ["c3"], name="conv3",
                                  pads=[1, 1, 1, 1]))
    # The residual quantizer reads the block's input as conv2 does.
    nodes.append(helper.make_node("Add", ["c3", p1d], ["sum"], name="residual"))
    nodes.append(helper.make_node("Relu", ["sum"], ["s"], name="relu3"))
    nodes.append(helper.make_node("GlobalAveragePool", ["s"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["f"], name="flatten"))
    nodes.append(helper.make_node("Gemm", [quantized("f", "f"), weights(wf, "fc"), "fc.b"], ["logits"], name="fc",
                                  transB=1))
    x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 8, 8])
    y_info = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])
    model = checked_model(nodes, "partly_quantized_resnet", x_info, y_info, inits)
    save_float_model(model, os.path.join(out, "partly_quantized_resnet"), rng, (2, 8, 8), varied_samples)


def tflite_int8_io(out):
    rng = np.random.default_rng(15)
    w1 = rng.normal(0, 0.4, (8, 2, 3, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.1, 8).astype(np.float32)
    w2 = rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32)
    b2 = rng.normal(0, 0.1, 8).astype(np.float32)
    wf = rng.normal(0, 0.3, (5, 128)).astype(np.float32)
    bf = rng.normal(0, 0.1, 5).astype(np.float32)
    x = varied_samples(rng, 256, (2, 8, 8)).astype(np.float32)

    # TFLite's int8 activations: asymmetric over the float forward's range.
    a1 = maxpool2(np.maximum(conv2d(x, w1, b1, 1), 0))
    a2 = np.maximum(conv2d(a1, w2, b2, 1), 0)
    y = a2.transpose(0, 2, 3, 1).reshape(256, -1) @ wf.T + bf

    def int8_quant(v):
        lo, hi = min(float(v.min()), 0.0), max(float(v.max()), 0.0)
        scale = np.float32((hi - lo) / 255)
        return scale, np.int8(round(-128 - lo / scale))

    q = {"x": int8_quant(x), "a1": int8_quant(a1), "a2": int8_quant(a2), "y": int8_quant(y)}
    inits = []
    for k, (sc, zp) in q.items():
        inits += [numpy_helper.from_array(np.array(sc, np.float32), f"{k}.s"),
                  numpy_helper.from_array(np.array(zp, np.int8), f"{k}.z")]
    nodes = []

    def dq(value, key, out_name):
        nodes.append(helper.make_node("DequantizeLinear", [value, f"{key}.s", f"{key}.z"], [out_name],
                                      name=f"dq_{out_name}"))
        return out_name

    def q_dq(value, key):
        nodes.append(helper.make_node("QuantizeLinear", [value, f"{key}.s", f"{key}.z"], [f"{value}.q"],
                                      name=f"q_{value}"))
        return dq(f"{value}.q", key, f"{value}.d")

    def weights(w, name, in_scale, bias, axis=0):
        codes = int8_channel_weights(w, name, inits)
        if axis == 1:  # MatMul's [in, out] weights: the codes transposed, scales along axis 1
            wq = numpy_helper.to_array(inits[-3])
            inits[-3] = numpy_helper.from_array(np.ascontiguousarray(wq.T), f"{name}.wq")
        nodes.append(helper.make_node("DequantizeLinear", codes, [f"{name}.w"], name=f"dq_{name}_w", axis=axis))
        bias_scale = (in_scale * numpy_helper.to_array(inits[-2])).astype(np.float32)
        inits.extend([numpy_helper.from_array(np.round(bias / bias_scale).astype(np.int32), f"{name}.bq"),
                      numpy_helper.from_array(bias_scale, f"{name}.bs"),
                      numpy_helper.from_array(np.zeros(len(bias), np.int32), f"{name}.bz")])
        nodes.append(helper.make_node("DequantizeLinear", [f"{name}.bq", f"{name}.bs", f"{name}.bz"], [f"{name}.b"],
                                      name=f"dq_{name}_b", axis=0))
        return f"{name}.w", f"{name}.b"

    inits.append(numpy_helper.from_array(np.array([1, 128], np.int64), "flat_shape"))
    dq("input", "x", "xd")
    nodes.append(helper.make_node("Transpose", ["xd"], ["nchw"], name="to_nchw", perm=[0, 3, 1, 2]))
    w, b = weights(w1, "conv1", q["x"][0], b1)
    nodes.append(helper.make_node("Conv", ["nchw", w, b], ["c1"], name="conv1", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
    nodes.append(helper.make_node("MaxPool", [q_dq("r1", "a1")], ["p1"], name="pool1", kernel_shape=[2, 2],
                                  strides=[2, 2]))
    w, b = weights(w2, "conv2", q["a1"][0], b2)
    nodes.append(helper.make_node("Conv", [q_dq("p1", "a1"), w, b], ["c2"], name="conv2", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c2"], ["r2"], name="relu2"))
    nodes.append(helper.make_node("Transpose", [q_dq("r2", "a2")], ["nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]))
    nodes.append(helper.make_node("Reshape", ["nhwc", "flat_shape"], ["flat"], name="flatten"))
    w, b = weights(wf, "fc", q["a2"][0], bf, axis=1)
    nodes.append(helper.make_node("MatMul", ["flat", w], ["m"], name="fc"))
    nodes.append(helper.make_node("Add", ["m", b], ["logits"], name="fc_bias"))
    nodes.append(helper.make_node("QuantizeLinear", ["logits", "y.s", "y.z"], ["output"], name="q_out"))
    x_info = helper.make_tensor_value_info("input", TensorProto.INT8, [1, 8, 8, 2])
    y_info = helper.make_tensor_value_info("output", TensorProto.INT8, [1, 5])
    model = checked_model(nodes, "tflite_int8_io", x_info, y_info, inits)
    folder = os.path.join(out, "tflite_int8_io")
    samples = varied_samples(rng, 24, (2, 8, 8)).astype(np.float32).transpose(0, 2, 3, 1)
    scale, zp = q["x"]
    codes = np.clip(np.round(samples / scale) + zp, -128, 127).astype(np.int8)
    wrong_type = (codes.astype(np.int16) + 128).astype(np.uint8)
    calibration = varied_samples(rng, 256, (2, 8, 8)).astype(np.float32).transpose(0, 2, 3, 1)
    calibration = np.clip(np.round(calibration / scale) + zp, -128, 127).astype(np.int8)
    for sub, data in (("test_data_set_0", codes), ("test_data_set_float", samples), ("test_data_set_uint8", wrong_type),
                      ("calibration", calibration)):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        with open(os.path.join(folder, sub, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(data, "input").SerializeToString())
    onnx.save(model, os.path.join(folder, "model.onnx"))


def main():
    models, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    centered_mlp(models, out)
    conv16(out)
    resnet_tiny(out)
    padded_cnn(out)
    conv1d_net(out)
    global_max_cnn(out)
    symmetric_qdq_cnn(out)
    leaky_cnn(out)
    leaky_qdq_cnn(out)
    table_cnn(out)
    table_qdq_cnn(out)
    wide_cnns(out)
    uint8_image_cnn(out)
    torch_mnist_example(out)
    qoperator_contrib(out)
    partly_quantized_resnet(out)
    tflite_int8_io(out)


if __name__ == "__main__":
    main()
