#!/usr/bin/python3
"""Generate the small digit-classifier models and data sets used by APS tests.

Usage:
    /usr/bin/python3 tools/make_digits_models.py [--out models]

Data: scikit-learn's bundled 8x8 "digits" set (1797 images, pixels 0..16),
scaled to float32 in [0, 1] (pixel / 16).  A stratified split with seed 0
gives 1437 train/calibration samples and 360 test samples.  A "noisy" split is
the 360 test images followed by one corrupted copy of each (so sample i+360 is
the corrupted version of sample i).

For each of two models it writes, under <out>/<model>/:

    model.onnx                     float32 model (opset 13, ir_version 7)
    model_int8.onnx                int8 QDQ model, laid out the way
                                   onnxruntime's static quantizer (QDQ format)
                                   would write it
    test_data_set_0/input_0.pb     test inputs            (TensorProto "input")
    test_data_set_0/output_0.pb    float model's logits   (TensorProto "logits")
    test_data_set_0/labels.pb      test labels, int64     (TensorProto "labels")
    calibration/input_0.pb         the 1437 train/calibration inputs
    calibration/labels.pb
    noisy/input_0.pb               the 720 clean + corrupted inputs
    noisy/labels.pb
    calibration_noisy/input_0.pb   the 1437 training images followed by a
    calibration_noisy/labels.pb    corrupted copy of each (seed 4321): for
                                   calibrating under corruption

Models:
    digits_mlp  [N,64] -> Gemm 64 -> Relu -> Gemm 32 -> Relu -> Gemm 10,
                trained with sklearn's MLPClassifier.
    digits_cnn  [N,1,8,8] -> Conv 8 -> Relu -> MaxPool -> Conv 16 -> Relu ->
                MaxPool -> Flatten -> Gemm 10, trained here in plain numpy.

It also writes <out>/README.md with the numpy reference accuracies (float32
and simulated int8) on the test and noisy splits.

Everything is seeded, BLAS is pinned to one thread and nothing depends on the
clock, so a rerun with the same library versions reproduces every file
byte for byte.
"""

import os

# Multi-threaded BLAS may split reductions differently from run to run, which
# would break byte-identical reruns; it also keeps us off a busy machine.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import warnings

import numpy as np
import onnx
import sklearn
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

OPSET = 13
IR_VERSION = 7
PRODUCER = "aps-tools"

SPLIT_SEED = 0
TEST_SIZE = 360
NOISE_SEED = 1234
CALIBRATION_NOISE_SEED = 4321
MLP_SEED = 0
CNN_SEED = 0

CORRUPTIONS = ("gaussian", "occlusion", "contrast", "salt_pepper")


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------

def load_splits():
    """Return (x_train, y_train, x_test, y_test); x is float32 [n,64] in [0,1]."""
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, stratify=y, random_state=SPLIT_SEED)
    return x_train, y_train, x_test, y_test


def corrupt(images, seed=NOISE_SEED):
    """Return (corrupted copy of images [n,64], name of corruption per sample).

    Each sample gets exactly one corruption, picked uniformly; all randomness
    comes from one generator so the result depends only on the seed.
    """
    rng = np.random.default_rng(seed)
    out = images.reshape(-1, 8, 8).astype(np.float64).copy()
    kinds = rng.integers(0, len(CORRUPTIONS), size=len(out))
    for img, k in zip(out, kinds):
        kind = CORRUPTIONS[k]
        if kind == "gaussian":
            img += rng.normal(0.0, 0.25, size=img.shape)
        elif kind == "occlusion":
            # A black patch erases strokes, a white one adds a fake stroke;
            # both happen in real scans.
            r, c = rng.integers(0, 6, size=2)
            img[r:r + 3, c:c + 3] = float(rng.integers(0, 2))
        elif kind == "contrast":
            # The background moves from 0 to 0.25, which is what hurts a
            # model trained only on clean black backgrounds.
            img *= 0.5
            img += 0.25
        else:  # salt_pepper
            hit = rng.random(img.shape) < 0.10
            img[hit] = rng.integers(0, 2, size=int(hit.sum()))
        np.clip(img, 0.0, 1.0, out=img)
    names = [CORRUPTIONS[k] for k in kinds]
    return out.reshape(images.shape).astype(np.float32), names


def make_noisy_split(x_test, y_test):
    """Clean test images first, then their corrupted copies in the same order."""
    x_bad, kinds = corrupt(x_test)
    x = np.concatenate([x_test, x_bad]).astype(np.float32)
    y = np.concatenate([y_test, y_test]).astype(np.int64)
    return x, y, kinds


# ----------------------------------------------------------------------------
# Model description shared by numpy inference and both ONNX exporters
# ----------------------------------------------------------------------------
# A model is a list of layers (dicts):
#   {"op": "Gemm", "name", "W" [out,in], "b" [out], "relu": bool}
#   {"op": "Conv", "name", "W" [out,in,3,3], "b" [out], "relu": bool}
#   {"op": "MaxPool", "name"}   2x2, stride 2
#   {"op": "Flatten", "name"}   axis 1


def im2col3x3(x):
    """[N,C,H,W] -> [N*H*W, C*9] patches for a 3x3, pad 1, stride 1 conv.

    Column order (c, kh, kw) matches W.reshape(out, -1).
    """
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + w]
                     for i in range(3) for j in range(3)], axis=2)  # N,C,9,H,W
    return cols.transpose(0, 3, 4, 1, 2).reshape(n * h * w, c * 9)


def conv3x3(x, w, b):
    n, _, h, wd = x.shape
    out = im2col3x3(x) @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2)


def maxpool2x2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def run_layer(layer, x):
    op = layer["op"]
    if op == "Gemm":
        y = x @ layer["W"].T + layer["b"]
    elif op == "Conv":
        y = conv3x3(x, layer["W"], layer["b"])
    elif op == "MaxPool":
        return maxpool2x2(x)
    elif op == "Flatten":
        return x.reshape(x.shape[0], -1)
    else:
        raise ValueError(op)
    return np.maximum(y, 0) if layer["relu"] else y


def forward_float(layers, x):
    """float32 forward pass; returns the list of every layer's output."""
    outs = []
    for layer in layers:
        x = run_layer(layer, x).astype(np.float32)
        outs.append(x)
    return outs


# ----------------------------------------------------------------------------
# MLP (sklearn)
# ----------------------------------------------------------------------------

def train_mlp(x_train, y_train):
    clf = MLPClassifier(hidden_layer_sizes=(64, 32), activation="relu",
                        alpha=1e-4, max_iter=500, random_state=MLP_SEED)
    # A run that hits max_iter would quietly ship a worse model; fail instead.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(x_train.astype(np.float64), y_train)
    layers = []
    names = ("fc1", "fc2", "fc3")
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        layers.append({"op": "Gemm", "name": names[i],
                       # sklearn stores [in,out]; ONNX Gemm with transB=1
                       # wants [out,in].
                       "W": np.ascontiguousarray(w.T, dtype=np.float32),
                       "b": b.astype(np.float32),
                       "relu": i < 2})
    print(f"mlp: sklearn stopped after {clf.n_iter_} iterations")
    return layers


# ----------------------------------------------------------------------------
# CNN (numpy, hand-written backward pass)
# ----------------------------------------------------------------------------

def conv3x3_backward(dout, cols, x_shape, w, need_dx):
    """Gradients of conv3x3 given the im2col matrix used in the forward pass."""
    n, c, h, wd = x_shape
    o = w.shape[0]
    dflat = dout.transpose(0, 2, 3, 1).reshape(-1, o)
    dw = (dflat.T @ cols).reshape(w.shape)
    db = dflat.sum(axis=0)
    if not need_dx:
        return None, dw, db
    dcols = (dflat @ w.reshape(o, -1)).reshape(n, h, wd, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, wd + 2), dtype=dout.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + wd] += dcols[..., i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1], dw, db


def maxpool2x2_train(x):
    """Forward maxpool that also returns the winning index of each window.

    argmax picks the first maximum, so ties (common after ReLU zeros) send
    the gradient to exactly one input, as a real max would.
    """
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, h // 2, w // 2, 4)
    idx = win.argmax(axis=-1)
    return np.take_along_axis(win, idx[..., None], -1)[..., 0], idx


def maxpool2x2_backward(dout, idx):
    n, c, h2, w2 = dout.shape
    dwin = np.zeros((n, c, h2, w2, 4), dtype=dout.dtype)
    np.put_along_axis(dwin, idx[..., None], dout[..., None], -1)
    dwin = dwin.reshape(n, c, h2, w2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return dwin.reshape(n, c, h2 * 2, w2 * 2)


def cnn_loss_and_grads(p, x, y, weight_decay):
    """Softmax cross-entropy loss and its gradients for one mini-batch."""
    cols1 = im2col3x3(x)
    z1 = (cols1 @ p["conv1.W"].reshape(8, -1).T + p["conv1.b"])
    z1 = z1.reshape(x.shape[0], 8, 8, 8).transpose(0, 3, 1, 2)
    a1 = np.maximum(z1, 0)
    p1, idx1 = maxpool2x2_train(a1)
    cols2 = im2col3x3(p1)
    z2 = (cols2 @ p["conv2.W"].reshape(16, -1).T + p["conv2.b"])
    z2 = z2.reshape(x.shape[0], 4, 4, 16).transpose(0, 3, 1, 2)
    a2 = np.maximum(z2, 0)
    p2, idx2 = maxpool2x2_train(a2)
    f = p2.reshape(x.shape[0], -1)
    logits = f @ p["fc.W"].T + p["fc.b"]

    shifted = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(shifted)
    prob /= prob.sum(axis=1, keepdims=True)
    m = x.shape[0]
    loss = -np.log(prob[np.arange(m), y] + 1e-12).mean()

    dlogits = prob
    dlogits[np.arange(m), y] -= 1.0
    dlogits /= m
    g = {"fc.W": dlogits.T @ f, "fc.b": dlogits.sum(axis=0)}
    dp2 = (dlogits @ p["fc.W"]).reshape(p2.shape)
    dz2 = maxpool2x2_backward(dp2, idx2) * (z2 > 0)
    dp1, g["conv2.W"], g["conv2.b"] = conv3x3_backward(
        dz2, cols2, p1.shape, p["conv2.W"], need_dx=True)
    dz1 = maxpool2x2_backward(dp1, idx1) * (z1 > 0)
    _, g["conv1.W"], g["conv1.b"] = conv3x3_backward(
        dz1, cols1, x.shape, p["conv1.W"], need_dx=False)
    for k in g:
        if k.endswith(".W"):
            g[k] += weight_decay * p[k]
    return loss, g


def init_cnn(rng):
    def he(shape, fan_in):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    return {
        "conv1.W": he((8, 1, 3, 3), 9), "conv1.b": np.zeros(8),
        "conv2.W": he((16, 8, 3, 3), 72), "conv2.b": np.zeros(16),
        "fc.W": rng.normal(0.0, np.sqrt(1.0 / 64), size=(10, 64)),
        "fc.b": np.zeros(10),
    }


def train_cnn(x_train, y_train, epochs=40, batch=32, lr=3e-3,
              weight_decay=1e-4):
    """Adam with cosine-decayed learning rate, in float64 for stable sums."""
    rng = np.random.default_rng(CNN_SEED)
    p = init_cnn(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    x = x_train.reshape(-1, 1, 8, 8).astype(np.float64)
    n = len(x)
    steps_per_epoch = (n + batch - 1) // batch
    total = epochs * steps_per_epoch
    t = 0
    for epoch in range(epochs):
        order = rng.permutation(n)
        losses = []
        for s in range(steps_per_epoch):
            sel = order[s * batch:(s + 1) * batch]
            loss, g = cnn_loss_and_grads(p, x[sel], y_train[sel], weight_decay)
            losses.append(loss)
            t += 1
            step_lr = lr * 0.5 * (1.0 + np.cos(np.pi * (t - 1) / total))
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
                mhat = m[k] / (1 - b1 ** t)
                vhat = v[k] / (1 - b2 ** t)
                p[k] -= step_lr * mhat / (np.sqrt(vhat) + eps)
        if (epoch + 1) % 10 == 0:
            print(f"cnn: epoch {epoch + 1:3d} mean loss {np.mean(losses):.4f}")
    f32 = {k: val.astype(np.float32) for k, val in p.items()}
    return [
        {"op": "Conv", "name": "conv1", "W": f32["conv1.W"],
         "b": f32["conv1.b"], "relu": True},
        {"op": "MaxPool", "name": "pool1"},
        {"op": "Conv", "name": "conv2", "W": f32["conv2.W"],
         "b": f32["conv2.b"], "relu": True},
        {"op": "MaxPool", "name": "pool2"},
        {"op": "Flatten", "name": "flatten"},
        {"op": "Gemm", "name": "fc", "W": f32["fc.W"], "b": f32["fc.b"],
         "relu": False},
    ]


# ----------------------------------------------------------------------------
# Quantization (static, QDQ; numpy simulation mirrors the exported graph)
# ----------------------------------------------------------------------------

def activation_qparams(t):
    """uint8 asymmetric min-max params; the range always includes 0."""
    rmin = min(0.0, float(t.min()))
    rmax = max(0.0, float(t.max()))
    scale = np.float32((rmax - rmin) / 255.0)
    if scale == 0:
        scale = np.float32(1.0)
    zp = int(np.clip(np.rint(-rmin / float(scale)), 0, 255))
    return scale, np.uint8(zp)


def weight_qparams(w):
    """int8 symmetric per-output-channel (axis 0) quantization of w."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scale = (amax / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    bshape = (-1,) + (1,) * (w.ndim - 1)
    q = np.clip(np.rint(w / scale.reshape(bshape)), -127, 127).astype(np.int8)
    return q, scale, np.zeros(w.shape[0], dtype=np.int8)


def bias_qparams(b, input_scale, weight_scale):
    scale = (np.float32(input_scale) * weight_scale).astype(np.float32)
    q = np.rint(b / scale).astype(np.int32)
    return q, scale, np.zeros(b.shape[0], dtype=np.int32)


def quantize(x, scale, zp):
    """QuantizeLinear for uint8: saturate(rint(x / scale) + zp)."""
    q = np.rint(x.astype(np.float32) / np.float32(scale)) + float(zp)
    return np.clip(q, 0, 255).astype(np.uint8)


def dequantize(q, scale, zp, axis_shape=None):
    """DequantizeLinear: (q - zp) * scale, per tensor or broadcast per channel."""
    s = np.asarray(scale, dtype=np.float32)
    z = np.asarray(zp).astype(np.int64)
    if axis_shape is not None:
        s, z = s.reshape(axis_shape), z.reshape(axis_shape)
    d = (q.astype(np.int64) - z).astype(np.float32)
    return (d * s).astype(np.float32)


def quantize_model(layers, x_calib):
    """Attach calibration ranges and quantized weights to each layer.

    Returns (input qparams, list of per-layer dicts holding the output
    qparams and, for Gemm/Conv, quantized weight and bias).
    """
    outs = forward_float(layers, x_calib)
    in_q = activation_qparams(x_calib)
    cur = in_q
    qlayers = []
    for layer, out in zip(layers, outs):
        ql = {}
        if layer["op"] in ("Gemm", "Conv"):
            wq, ws, wzp = weight_qparams(layer["W"])
            bq, bs, bzp = bias_qparams(layer["b"], cur[0], ws)
            ql.update(wq=wq, ws=ws, wzp=wzp, bq=bq, bs=bs, bzp=bzp)
            cur = activation_qparams(out)
        # MaxPool and Flatten only move values around, so they keep their
        # input's qparams, as onnxruntime does for these ops.
        ql["out_q"] = cur
        qlayers.append(ql)
    return in_q, qlayers


def forward_qdq(layers, in_q, qlayers, x):
    """float32 numpy simulation of the QDQ graph; returns the logits."""
    x = dequantize(quantize(x, *in_q), *in_q)
    for layer, ql in zip(layers, qlayers):
        if layer["op"] in ("Gemm", "Conv"):
            wshape = (-1,) + (1,) * (layer["W"].ndim - 1)
            qlayer = dict(layer)
            qlayer["W"] = dequantize(ql["wq"], ql["ws"], ql["wzp"], wshape)
            qlayer["b"] = dequantize(ql["bq"], ql["bs"], ql["bzp"])
            y = run_layer(qlayer, x).astype(np.float32)
        else:
            y = run_layer(layer, x)
        x = dequantize(quantize(y, *ql["out_q"]), *ql["out_q"])
    return x


# ----------------------------------------------------------------------------
# ONNX export
# ----------------------------------------------------------------------------

def input_shape(kind):
    return ["N", 64] if kind == "mlp" else ["N", 1, 8, 8]


def float_op_nodes(layer, x, w, b, out):
    """Nodes for one layer in float form; returns (nodes, output name)."""
    name, op = layer["name"], layer["op"]
    nodes = []
    if op == "Gemm":
        nodes.append(helper.make_node("Gemm", [x, w, b], [out], name=name,
                                      transB=1))
    elif op == "Conv":
        nodes.append(helper.make_node("Conv", [x, w, b], [out], name=name,
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                      strides=[1, 1]))
    elif op == "MaxPool":
        nodes.append(helper.make_node("MaxPool", [x], [out], name=name,
                                      kernel_shape=[2, 2], strides=[2, 2]))
    elif op == "Flatten":
        nodes.append(helper.make_node("Flatten", [x], [out], name=name,
                                      axis=1))
    if layer.get("relu"):
        relu_out = f"{name}_relu_out"
        nodes.append(helper.make_node("Relu", [out], [relu_out],
                                      name=f"{name}_relu"))
        out = relu_out
    return nodes, out


def make_model(graph_name, nodes, inits, kind, doc):
    graph = helper.make_graph(
        nodes, graph_name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                       input_shape(kind))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["N", 10])],
        initializer=inits)
    model = helper.make_model(
        graph, producer_name=PRODUCER, doc_string=doc,
        opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def export_float(layers, kind, graph_name):
    nodes, inits = [], []
    x = "input"
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1
        out = "logits" if last else f"{layer['name']}_out"
        w = b = None
        if layer["op"] in ("Gemm", "Conv"):
            w, b = f"{layer['name']}.weight", f"{layer['name']}.bias"
            inits += [numpy_helper.from_array(layer["W"], w),
                      numpy_helper.from_array(layer["b"], b)]
        new, x = float_op_nodes(layer, x, w, b, out)
        nodes += new
    return make_model(graph_name, nodes, inits, kind,
                      "float32 digits classifier")


def qdq_pair(tensor, scale_name, zp_name, out=None):
    """QuantizeLinear -> DequantizeLinear on an activation, ORT naming."""
    q = f"{tensor}_QuantizeLinear_Output"
    dq = out or f"{tensor}_DequantizeLinear_Output"
    return [helper.make_node("QuantizeLinear", [tensor, scale_name, zp_name],
                             [q], name=f"{tensor}_QuantizeLinear"),
            helper.make_node("DequantizeLinear", [q, scale_name, zp_name],
                             [dq], name=f"{tensor}_DequantizeLinear")], dq


def act_inits(prefix, qp):
    scale, zp = qp
    return ([numpy_helper.from_array(np.array(scale, dtype=np.float32),
                                     f"{prefix}_scale"),
             numpy_helper.from_array(np.array(zp, dtype=np.uint8),
                                     f"{prefix}_zero_point")],
            f"{prefix}_scale", f"{prefix}_zero_point")


def const_dq(name, q, scale, zp):
    """Initializers plus a per-channel (axis 0) DequantizeLinear node."""
    inits = [numpy_helper.from_array(q, f"{name}_quantized"),
             numpy_helper.from_array(scale, f"{name}_scale"),
             numpy_helper.from_array(zp, f"{name}_zero_point")]
    node = helper.make_node(
        "DequantizeLinear",
        [f"{name}_quantized", f"{name}_scale", f"{name}_zero_point"],
        [f"{name}_DequantizeLinear_Output"],
        name=f"{name}_DequantizeLinear", axis=0)
    return inits, node, f"{name}_DequantizeLinear_Output"


def export_qdq(layers, in_q, qlayers, kind, graph_name):
    inits, names_s, names_z = act_inits("input", in_q)
    nodes, x = qdq_pair("input", names_s, names_z)
    cur_s, cur_z = names_s, names_z
    for i, (layer, ql) in enumerate(zip(layers, qlayers)):
        name = layer["name"]
        last = i == len(layers) - 1
        w = b = None
        if layer["op"] in ("Gemm", "Conv"):
            wi, wn, w = const_dq(f"{name}.weight", ql["wq"], ql["ws"], ql["wzp"])
            bi, bn, b = const_dq(f"{name}.bias", ql["bq"], ql["bs"], ql["bzp"])
            inits += wi + bi
            nodes += [wn, bn]
        new, y = float_op_nodes(layer, x, w, b, f"{name}_out")
        nodes += new
        if layer["op"] in ("Gemm", "Conv"):
            prefix = "logits" if last else y
            new_inits, cur_s, cur_z = act_inits(prefix, ql["out_q"])
            inits += new_inits
        qdq, x = qdq_pair(y, cur_s, cur_z, out="logits" if last else None)
        nodes += qdq
    return make_model(graph_name, nodes, inits, kind,
                      "int8 QDQ digits classifier (static, min-max, "
                      "uint8 activations, int8 per-channel weights)")


# ----------------------------------------------------------------------------
# Output files
# ----------------------------------------------------------------------------

def write_tensor(path, array, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def write_model(path, model):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def accuracy(logits, labels):
    return float((logits.argmax(axis=1) == labels).mean())


def build_one(kind, layers, data, out_dir):
    """Export, quantize, evaluate and write one model; returns its figures."""
    x_train, y_train, x_test, y_test, x_noisy, y_noisy = data
    shape = (-1, 64) if kind == "mlp" else (-1, 1, 8, 8)
    xs = {k: v.reshape(shape) for k, v in
          (("train", x_train), ("test", x_test), ("noisy", x_noisy))}
    name = f"digits_{kind}"
    root = os.path.join(out_dir, name)

    in_q, qlayers = quantize_model(layers, xs["train"])
    write_model(os.path.join(root, "model.onnx"),
                export_float(layers, kind, name))
    write_model(os.path.join(root, "model_int8.onnx"),
                export_qdq(layers, in_q, qlayers, kind, name + "_int8"))

    test_logits = forward_float(layers, xs["test"])[-1]
    write_tensor(os.path.join(root, "test_data_set_0", "input_0.pb"),
                 xs["test"], "input")
    write_tensor(os.path.join(root, "test_data_set_0", "output_0.pb"),
                 test_logits, "logits")
    write_tensor(os.path.join(root, "test_data_set_0", "labels.pb"),
                 y_test, "labels")
    write_tensor(os.path.join(root, "calibration", "input_0.pb"),
                 xs["train"], "input")
    write_tensor(os.path.join(root, "calibration", "labels.pb"),
                 y_train, "labels")
    write_tensor(os.path.join(root, "noisy", "input_0.pb"),
                 xs["noisy"], "input")
    write_tensor(os.path.join(root, "noisy", "labels.pb"), y_noisy, "labels")
    # Calibration data for deployment under corruption: the training images
    # and a corrupted copy of each (its own seed, never the test images).
    x_cal_bad, _ = corrupt(x_train, seed=CALIBRATION_NOISE_SEED)
    write_tensor(os.path.join(root, "calibration_noisy", "input_0.pb"),
                 np.concatenate([x_train, x_cal_bad]).reshape(shape).astype(np.float32), "input")
    write_tensor(os.path.join(root, "calibration_noisy", "labels.pb"),
                 np.concatenate([y_train, y_train]).astype(np.int64), "labels")

    n = len(y_test)
    fp_noisy = forward_float(layers, xs["noisy"])[-1]
    q_noisy = forward_qdq(layers, in_q, qlayers, xs["noisy"])
    return {
        "test_fp32": accuracy(test_logits, y_test),
        "test_int8": accuracy(forward_qdq(layers, in_q, qlayers, xs["test"]),
                              y_test),
        "noisy_fp32": accuracy(fp_noisy, y_noisy),
        "noisy_int8": accuracy(q_noisy, y_noisy),
        "corrupted_fp32": accuracy(fp_noisy[n:], y_noisy[n:]),
        "corrupted_int8": accuracy(q_noisy[n:], y_noisy[n:]),
    }


README_TEMPLATE = """\
# Digit-classifier test models

Generated by `tools/make_digits_models.py`; do not edit by hand.
To regenerate (deterministic, byte-identical on the same library versions):

    /usr/bin/python3 tools/make_digits_models.py --out models

Made with numpy {numpy}, scikit-learn {sklearn}, onnx {onnx}.

## Data

scikit-learn's bundled `load_digits()` (1797 8x8 images, pixels 0..16),
input = pixel / 16.0 as float32, so values lie in [0, 1].

| split | samples | how |
|---|---|---|
| calibration | {n_train} | `train_test_split(test_size=360, stratify=y, random_state={split_seed})`, train part; used to train both models and to calibrate int8 |
| calibration_noisy | {n_cal_noisy} | the calibration split, then a corrupted copy of each image (same recipe as the noisy split, seed {cal_noise_seed}); for calibrating adaptation under corruption; no test image |
| test_data_set_0 | {n_test} | the test part of the same split |
| noisy | {n_noisy} | rows 0..{last_clean} = test split unchanged; row i+{n_test} = corrupted copy of row i (same label) |

Corruption of the noisy half: `numpy.random.default_rng({noise_seed})`; each
image gets one corruption, chosen uniformly, then is clipped to [0, 1]:

- gaussian: add N(0, 0.25^2) to every pixel ({n_gaussian} images)
- occlusion: one random 3x3 patch (fully inside the image) set to 0 or 1
  ({n_occlusion} images)
- contrast: x*0.5 + 0.25 ({n_contrast} images)
- salt_pepper: each pixel with prob. 0.10 set to 0 or 1 ({n_salt_pepper} images)

## Files (per model folder)

| file | contents |
|---|---|
| `model.onnx` | float32 model, opset 13, ir_version 7, input `input`, output `logits` [N,10], batch dim `N` |
| `model_int8.onnx` | int8 QDQ version of the same model (onnxruntime static-quantizer layout) |
| `test_data_set_0/input_0.pb` | TensorProto `input`, float32, test split |
| `test_data_set_0/output_0.pb` | TensorProto `logits`, float32 [360,10]: the float model's logits, computed in numpy float32 |
| `test_data_set_0/labels.pb` | TensorProto `labels`, int64 [360] (our extension to the ONNX backend-test layout) |
| `calibration/input_0.pb`, `labels.pb` | the {n_train} train/calibration samples |
| `calibration_noisy/input_0.pb`, `labels.pb` | the {n_cal_noisy} training images and their corrupted copies |
| `noisy/input_0.pb`, `labels.pb` | the {n_noisy} clean + corrupted samples |

`test_data_set_0` follows ONNX's backend-test convention, so
`onnx-test models/digits_mlp` checks the float model.
Inputs are [n,64] for `digits_mlp` and [n,1,8,8] for `digits_cnn`.

## Models

- `digits_mlp`: Gemm(64->64) -> Relu -> Gemm(64->32) -> Relu -> Gemm(32->10).
  Trained with `MLPClassifier(hidden_layer_sizes=(64, 32), activation='relu',
  alpha=1e-4, max_iter=500, random_state={mlp_seed})`.
- `digits_cnn`: Conv(1->8, 3x3, pad 1) -> Relu -> MaxPool(2x2, s2) ->
  Conv(8->16, 3x3, pad 1) -> Relu -> MaxPool(2x2, s2) -> Flatten -> Gemm(64->10).
  Trained in numpy (im2col conv, softmax cross-entropy, Adam lr 3e-3 with
  cosine decay, batch 32, 40 epochs, weight decay 1e-4, seed {cnn_seed}).

## int8 quantization (QDQ, opset 13)

- Activations: uint8, asymmetric, per tensor, min-max over the {n_train}
  calibration samples run through the float model; the range always includes
  0; scale = (rmax - rmin) / 255, zero point = round(-rmin / scale).
  Q -> DQ on the model input, on every layer output (after its Relu), and on
  the logits. MaxPool and Flatten outputs get Q -> DQ with their input's
  scale / zero point.
- Weights: int8, symmetric, per output channel (axis 0), range [-127, 127],
  zero point 0.
- Bias: int32, per channel, scale = input scale * weight scale, zero point 0.
- Float Gemm / Conv / Relu / MaxPool / Flatten stay between DQ and Q nodes.

## Accuracies (the script's numpy figures; the C++ tool re-measures them)

int8 = float32 numpy simulation of the QDQ graph (quantize/dequantize exactly
as the graph does). "corrupted half" counts only noisy rows {n_test}..{last_noisy}.
Another runtime's float logits differ from these by float rounding (~1e-5).
For int8, a value that lands within rounding error of a .5 quantization
boundary may round the other way elsewhere, so an int8 logit can differ by
one quantization step (rare: 1 of the 7200 noisy digits_mlp logits when
this was written).

| model | test fp32 | test int8 | noisy fp32 | noisy int8 | corrupted half fp32 | corrupted half int8 |
|---|---|---|---|---|---|---|
{rows}
"""


def write_readme(out_dir, results, n_train, n_test, corruption_kinds):
    def pct(v):
        return f"{100.0 * v:.2f}%"
    rows = "\n".join(
        f"| digits_{k} | " + " | ".join(pct(r[c]) for c in (
            "test_fp32", "test_int8", "noisy_fp32", "noisy_int8",
            "corrupted_fp32", "corrupted_int8")) + " |"
        for k, r in results.items())
    counts = {f"n_{c}": corruption_kinds.count(c) for c in CORRUPTIONS}
    text = README_TEMPLATE.format(
        numpy=np.__version__, sklearn=sklearn.__version__,
        onnx=onnx.__version__, n_train=n_train, n_test=n_test,
        n_noisy=2 * n_test, last_clean=n_test - 1, last_noisy=2 * n_test - 1,
        split_seed=SPLIT_SEED, noise_seed=NOISE_SEED, cal_noise_seed=CALIBRATION_NOISE_SEED,
        n_cal_noisy=2 * n_train, mlp_seed=MLP_SEED,
        cnn_seed=CNN_SEED, rows=rows, **counts)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="models",
                    help="output directory (default: models)")
    args = ap.parse_args()

    x_train, y_train, x_test, y_test = load_splits()
    x_noisy, y_noisy, kinds = make_noisy_split(x_test, y_test)
    data = (x_train, y_train, x_test, y_test, x_noisy, y_noisy)

    results = {
        "mlp": build_one("mlp", train_mlp(x_train, y_train), data, args.out),
        "cnn": build_one("cnn", train_cnn(x_train, y_train), data, args.out),
    }
    write_readme(args.out, results, len(y_train), len(y_test), kinds)

    for kind, r in results.items():
        print(f"digits_{kind}: " + ", ".join(
            f"{k} {100 * v:.2f}%" for k, v in r.items()))


if __name__ == "__main__":
    main()
