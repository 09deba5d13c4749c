#!/usr/bin/python3
"""Write a float zoo model in the int8 QDQ layout of TensorFlow exporters.

Usage:

    /usr/bin/python3 tools/write_tf_qdq.py --model models/resnet8/model.onnx \\
        --calibration DIR --out models/resnet8/model_tf_int8.onnx \\
        [--test DIR] [--report FILE.json]

The result mimics what tf2onnx / tflite2onnx make of a post-training int8
quantized TFLite model, built with onnx.helper from the weights of the float
model (`model.onnx` as written by tools/train_zoo.py: Conv, Gemm, Relu, Add,
GlobalAveragePool, Flatten, Reshape):

* batch 1; input `input` float32 NHWC [1,28,28,1] -> Transpose(0,3,1,2) ->
  QuantizeLinear; a flat [1,784] input instead goes through a Reshape to
  [1,1,28,28] (ds_cnn, as the MLPerf DS-CNN export does) or straight into
  QuantizeLinear (autoencoder);
* activations int8, per tensor, asymmetric (min-max over the calibration
  split, the range always includes 0: scale = (max - min) / 255, zero point
  = round(-128 - min / scale)); a Conv/Gemm followed by Relu, and an Add
  followed by Relu, have the Relu folded into their output range (zero point
  -128) and no Relu node;
* weights int8 symmetric per output channel (axis 0, zero point 0, range
  [-127, 127]) -> DequantizeLinear; bias int32 (scale = input scale * weight
  scale per channel, zero point 0) -> DequantizeLinear; float Conv / Gemm
  (transB = 1) between the DequantizeLinear and the QuantizeLinear;
  depthwise convolutions are Conv with group = channels;
* residual Add of two dequantized tensors -> QuantizeLinear;
* GlobalAveragePool -> QuantizeLinear -> DequantizeLinear -> Transpose(0,2,3,1)
  -> Reshape [1,C] -> QuantizeLinear (same scale and zero point as the pool)
  -> DequantizeLinear -> Gemm;
* classifiers end with Gemm -> QuantizeLinear -> DequantizeLinear -> Softmax
  (output `Identity`, [1,10]); the autoencoder ends with the dequantized
  reconstruction (output `Identity`, [1,784]).

opset 13, ir_version 7, checked by onnx.checker.

The module also holds `run_graph`, a small evaluator of ONNX graphs made of
the ops above (numpy; Conv through torch.nn.functional.conv2d in float32)
whose QuantizeLinear / DequantizeLinear follow the ONNX definitions exactly:
x / scale in float32, round half to even, saturate; (q - zero point) * scale
in float32.  With --test it measures the float and the int8 model on a test
split with it.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

OPSET = 13
IR_VERSION = 7


# ----------------------------------------------------------------------------
# A small ONNX evaluator
# ----------------------------------------------------------------------------

def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _per_axis(v, x, axis):
    v = np.asarray(v)
    if v.ndim == 0:
        return v
    shape = [1] * x.ndim
    shape[axis % x.ndim] = -1
    return v.reshape(shape)


def quantize_linear(x, scale, zp, axis=1):
    info = np.iinfo(np.asarray(zp).dtype)
    s = _per_axis(np.asarray(scale, np.float32), x, axis)
    z = _per_axis(np.asarray(zp), x, axis).astype(np.float32)
    q = np.rint(x.astype(np.float32) / s) + z
    return np.clip(q, info.min, info.max).astype(np.asarray(zp).dtype)


def dequantize_linear(q, scale, zp, axis=1):
    s = _per_axis(np.asarray(scale, np.float32), q, axis)
    z = _per_axis(np.asarray(zp), q, axis).astype(np.int64)
    return ((q.astype(np.int64) - z).astype(np.float32) * s).astype(np.float32)


def _conv(x, w, b, a):
    import torch
    import torch.nn.functional as F
    pads = list(a.get("pads", [0, 0, 0, 0]))
    xt = torch.from_numpy(np.array(x, dtype=np.float32, copy=True))
    if pads[0] == pads[2] and pads[1] == pads[3]:
        padding = (pads[0], pads[1])
    else:
        xt = F.pad(xt, (pads[1], pads[3], pads[0], pads[2]))
        padding = (0, 0)
    y = F.conv2d(xt, torch.from_numpy(np.array(w, dtype=np.float32, copy=True)),
                 None if b is None else torch.from_numpy(np.array(b, dtype=np.float32, copy=True)),
                 stride=tuple(a.get("strides", [1, 1])), padding=padding,
                 dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
    return y.numpy()


def run_graph(model, feeds, keep_all=False, flexible_batch=False, forced=None, computed=None):
    """Evaluate model's graph on feeds (dict name -> array).

    Returns the graph outputs (or every tensor with keep_all).  With
    flexible_batch a Reshape whose target starts with 1 keeps the input's
    batch size instead, so a batch-1 graph can run many samples at once
    (every op here treats samples independently).  With forced (dict name ->
    array) a node output named there is recorded in computed (a dict) and then
    replaced by the forced value, so each node can be checked on another
    runtime's inputs.
    """
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = _attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = _conv(x[0], x[1], x[2] if len(x) > 2 else None, a)
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = np.float32(a.get("alpha", 1.0)) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + np.float32(a.get("beta", 1.0)) * x[2]
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "Relu":
            y = np.maximum(x[0], np.float32(0))
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True, dtype=np.float32)
        elif op == "AveragePool":
            k = a["kernel_shape"]
            if list(k) != list(x[0].shape[2:]) or any(a.get("pads", [0])):
                raise ValueError("AveragePool: only a window over the whole map is supported")
            y = x[0].mean(axis=(2, 3), keepdims=True, dtype=np.float32)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
        elif op == "Reshape":
            shape = [int(d) for d in x[1]]
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            if flexible_batch and shape[0] == 1:
                shape[0] = x[0].shape[0]
            y = x[0].reshape(shape)
        elif op == "Transpose":
            y = np.ascontiguousarray(x[0].transpose(a["perm"]))
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(x[0] - x[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "QuantizeLinear":
            y = quantize_linear(x[0], x[1], x[2], a.get("axis", 1))
        elif op == "DequantizeLinear":
            y = dequantize_linear(x[0], x[1], x[2], a.get("axis", 1))
        elif op == "Identity":
            y = x[0]
        else:
            raise ValueError(f"run_graph: unsupported op {op} (node {node.name})")
        if y.dtype == np.float64:
            y = y.astype(np.float32)
        if forced is not None and node.output[0] in forced:
            computed[node.output[0]] = y
            y = forced[node.output[0]]
        env[node.output[0]] = y
    if keep_all:
        return env
    return {o.name: env[o.name] for o in model.graph.output}


def run_batched(model, x, batch=500, flexible_batch=False, name=None):
    name = name or model.graph.input[0].name
    outs = []
    for i in range(0, len(x), batch):
        r = run_graph(model, {name: x[i:i + batch]}, flexible_batch=flexible_batch)
        outs.append(r[model.graph.output[0].name])
    return np.concatenate(outs)


# ----------------------------------------------------------------------------
# Quantization parameters
# ----------------------------------------------------------------------------

def activation_qparams(rmin, rmax):
    """int8 asymmetric: the range is widened to include 0, zero point exact."""
    rmin, rmax = min(0.0, float(rmin)), max(0.0, float(rmax))
    scale = np.float32((rmax - rmin) / 255.0)
    if scale == 0:
        scale = np.float32(1.0)
    zp = int(np.clip(np.rint(-128.0 - rmin / float(scale)), -128, 127))
    return scale, np.int8(zp)


def weight_qparams(w):
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scale = (amax / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    bshape = (-1,) + (1,) * (w.ndim - 1)
    q = np.clip(np.rint(w / scale.reshape(bshape)), -127, 127).astype(np.int8)
    return q, scale


def bias_qparams(b, s_in, s_w):
    scale = (np.float32(s_in) * s_w).astype(np.float32)
    q = np.rint(b.astype(np.float64) / scale.astype(np.float64))
    info = np.iinfo(np.int32)
    clipped = int(((q < info.min) | (q > info.max)).sum())
    return np.clip(q, info.min, info.max).astype(np.int32), scale, clipped


def calibration_ranges(model, x, batch=250):
    """min/max of every float tensor of model over the samples x."""
    lo, hi = {}, {}
    name = model.graph.input[0].name
    constants = {t.name for t in model.graph.initializer}
    for i in range(0, len(x), batch):
        env = run_graph(model, {name: x[i:i + batch]}, keep_all=True)
        for k, v in env.items():
            if v.dtype != np.float32 or k in constants:
                continue
            lo[k] = min(lo.get(k, np.inf), float(v.min()))
            hi[k] = max(hi.get(k, -np.inf), float(v.max()))
    return lo, hi


# ----------------------------------------------------------------------------
# The TF-layout QDQ graph
# ----------------------------------------------------------------------------

class Builder:
    def __init__(self):
        self.nodes, self.inits = [], []
        self.names = set()

    def unique(self, base):
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def init(self, base, array):
        name = self.unique(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, base, out=None, **attrs):
        out = out or self.unique(base)
        self.nodes.append(helper.make_node(op, inputs, [out], name=self.unique(base + "_node"), **attrs))
        return out

    def qdq(self, x, base, scale, zp, out=None):
        """x -> QuantizeLinear -> DequantizeLinear; returns the DQ output."""
        s = self.init(base + "_scale", np.array(scale, dtype=np.float32))
        z = self.init(base + "_zero_point", np.array(zp, dtype=np.int8))
        q = self.node("QuantizeLinear", [x, s, z], base + "_quantized")
        return self.node("DequantizeLinear", [q, s, z], base + "_dequantized", out=out)

    def const_dq(self, base, q, scale):
        """A constant int8/int32 tensor with per-channel (axis 0) scales."""
        qn = self.init(base + "_quantized", q)
        s = self.init(base + "_scale", scale.astype(np.float32))
        z = self.init(base + "_zero_point", np.zeros(scale.shape, dtype=q.dtype))
        return self.node("DequantizeLinear", [qn, s, z], base, axis=0)


def _base(node):
    return node.name.strip("/").replace("/", "_").replace(".", "_") or node.op_type.lower()


def write_tf_qdq(float_model, x_calib):
    """Return (QDQ ModelProto, info dict) for float_model calibrated on x_calib
    (laid out as the float model's input)."""
    g = float_model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    lo, hi = calibration_ranges(float_model, x_calib)
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    in_dims = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
    flat_input = len(in_dims) == 2
    meta = {p.key: p.value for p in float_model.metadata_props}
    classifier = meta.get("aps.task", "classification") == "classification"

    b = Builder()
    info = {"activations": {}, "bias_clipped": 0}
    q = {}  # float tensor name -> (dequantized tensor in the new graph, scale, zp)

    # --- input
    in_name = g.input[0].name
    s, z = activation_qparams(lo[in_name], hi[in_name])
    info["activations"]["input"] = [float(s), int(z)]
    if flat_input:
        tf_input = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, in_dims[1]])
        first = g.node[0]
        if first.op_type == "Reshape":
            shape = b.init("input_reshape_shape", np.array([1, 1, 28, 28], dtype=np.int64))
            x = b.node("Reshape", ["input", shape], "input_reshaped")
            start = 1
            q[first.output[0]] = (b.qdq(x, "input", s, z), s, z)
        else:
            start = 0
            q[in_name] = (b.qdq("input", "input", s, z), s, z)
    else:
        c, h, w = in_dims[1:]
        tf_input = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, h, w, c])
        x = b.node("Transpose", ["input"], "input_nchw", perm=[0, 3, 1, 2])
        q[in_name] = (b.qdq(x, "input", s, z), s, z)
        start = 0

    def output_range(node):
        """The tensor whose range quantizes node's output: its Relu's output
        when node's only consumer is a Relu (the Relu is folded)."""
        cons = consumers.get(node.output[0], [])
        if len(cons) == 1 and cons[0].op_type == "Relu":
            return cons[0].output[0], True
        return node.output[0], False

    final = None
    nodes = list(g.node)[start:]
    last_compute = [n for n in nodes if n.op_type in ("Gemm", "Conv")][-1]
    for node in nodes:
        op = node.op_type
        base = _base(node)
        if op == "Relu":
            if node.input[0] not in q or node.output[0] not in q:
                raise ValueError(f"{node.name}: a Relu that does not follow Conv/Gemm/Add")
            continue
        if op in ("Conv", "Gemm"):
            xin, s_in, _ = q[node.input[0]]
            wf = inits[node.input[1]]
            bf = inits[node.input[2]] if len(node.input) > 2 else np.zeros(wf.shape[0], np.float32)
            a = _attrs(node)
            if op == "Gemm":
                if a.get("transB", 0) != 1 or a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 \
                        or a.get("beta", 1.0) != 1.0:
                    raise ValueError(f"{node.name}: expected Gemm with transB=1 only")
            wq, s_w = weight_qparams(wf)
            bq, s_b, clipped = bias_qparams(bf, s_in, s_w)
            info["bias_clipped"] += clipped
            wdq = b.const_dq(base + "_weight", wq, s_w)
            bdq = b.const_dq(base + "_bias", bq, s_b)
            if op == "Conv":
                attrs = {k: v for k, v in a.items()
                         if k in ("strides", "pads", "dilations", "group", "kernel_shape")}
                y = b.node("Conv", [xin, wdq, bdq], base + "_output", **attrs)
            else:
                y = b.node("Gemm", [xin, wdq, bdq], base + "_output", transB=1)
            rng_name, fused = output_range(node)
            s, z = activation_qparams(lo[rng_name], hi[rng_name])
            info["activations"][rng_name] = [float(s), int(z)]
            if node is last_compute and not classifier:
                # autoencoder: the dequantized reconstruction is the output
                dq = b.qdq(y, base, s, z, out="Identity")
                final = dq
            else:
                dq = b.qdq(y, base, s, z)
            q[rng_name] = (dq, s, z)
            if fused:
                q[node.output[0]] = q[rng_name]
            if node is last_compute and classifier:
                final = b.node("Softmax", [dq], "Identity", out="Identity", axis=1)
        elif op == "Add":
            xa, xb = q[node.input[0]][0], q[node.input[1]][0]
            y = b.node("Add", [xa, xb], base + "_output")
            rng_name, fused = output_range(node)
            s, z = activation_qparams(lo[rng_name], hi[rng_name])
            info["activations"][rng_name] = [float(s), int(z)]
            q[rng_name] = (b.qdq(y, base, s, z), s, z)
            if fused:
                q[node.output[0]] = q[rng_name]
        elif op in ("GlobalAveragePool", "AveragePool"):
            xin = q[node.input[0]][0]
            y = b.node("GlobalAveragePool", [xin], base + "_output")
            s, z = activation_qparams(lo[node.output[0]], hi[node.output[0]])
            info["activations"][node.output[0]] = [float(s), int(z)]
            q[node.output[0]] = (b.qdq(y, base, s, z), s, z)
        elif op in ("Flatten", "Reshape"):
            xin, s, z = q[node.input[0]]
            t = b.node("Transpose", [xin], base + "_nhwc", perm=[0, 2, 3, 1])
            shape = b.init(base + "_shape", np.array([1, -1], dtype=np.int64))
            y = b.node("Reshape", [t, shape], base + "_output")
            q[node.output[0]] = (b.qdq(y, base, s, z), s, z)
        else:
            raise ValueError(f"{node.name}: op {op} is not handled by the TF-layout writer")
    if final is None:
        raise ValueError("no output produced")

    out_dims = [1, 10] if classifier else [1, in_dims[1]]
    out_vi = helper.make_tensor_value_info("Identity", TensorProto.FLOAT, out_dims)
    graph = helper.make_graph(b.nodes, (g.name or "model") + "_tf_int8", [tf_input], [out_vi],
                              initializer=b.inits)
    m = helper.make_model(graph, producer_name="aps-tools write_tf_qdq",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    m.doc_string = ("int8 QDQ in the layout of a TensorFlow exporter (tf2onnx of a "
                    "post-training-quantized TFLite model), written by tools/write_tf_qdq.py "
                    "from " + (g.name or "the float model"))
    for k, v in list(meta.items()) + [("aps.layout", "tf_int8_qdq")]:
        m.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(m)
    return m, info


# ----------------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------------

def model_input_dims(model):
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:]


def load_split(folder):
    import fashion_mnist
    return (fashion_mnist.read_tensor(os.path.join(folder, "input_0.pb")),
            fashion_mnist.read_tensor(os.path.join(folder, "labels.pb")))


def relayout(x, dims):
    """Samples of a data set (any of [N,1,28,28], [N,28,28,1], [N,784]) as [N,*dims]."""
    return np.ascontiguousarray(x.reshape((len(x),) + tuple(dims)), dtype=np.float32)


def score(model, x, y, classifier, flexible_batch):
    from sklearn.metrics import roc_auc_score
    out = run_batched(model, relayout(x, model_input_dims(model)), flexible_batch=flexible_batch)
    if classifier:
        return {"accuracy": float((out.argmax(1) == y).mean())}, out
    err = ((out - x.reshape(len(x), -1)) ** 2).mean(axis=1)
    return {"auc": float(roc_auc_score(y, err))}, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="float model.onnx (tools/train_zoo.py)")
    ap.add_argument("--calibration", required=True,
                    help="data-set folder (input_0.pb) for the activation ranges")
    ap.add_argument("--out", required=True)
    ap.add_argument("--test", action="append", default=[],
                    help="data-set folder to measure fp32 and int8 on (labels.pb); repeatable")
    ap.add_argument("--report", help="write the measured figures as JSON")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(2)
    fm = onnx.load(args.model)
    xc, _ = load_split(args.calibration)
    xc = relayout(xc, model_input_dims(fm))
    m, info = write_tf_qdq(fm, xc)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(m.SerializeToString())
    meta = {p.key: p.value for p in fm.metadata_props}
    classifier = meta.get("aps.task", "classification") == "classification"
    report = {"model": args.model, "out": args.out, "calibration": args.calibration,
              "calibration_samples": int(len(xc)), "bias_clipped": info["bias_clipped"],
              "ops": sorted({n.op_type for n in m.graph.node}),
              "nodes": len(m.graph.node), "bytes": os.path.getsize(args.out)}
    report["activation_qparams"] = info["activations"]
    report["evaluations"] = []
    for folder in args.test:
        xt, yt = load_split(folder)
        fp32, _ = score(fm, xt, yt, classifier, False)
        int8, _ = score(m, xt, yt, classifier, True)
        report["evaluations"].append({"split": os.path.basename(os.path.normpath(folder)),
                                      "samples": int(len(xt)),
                                      "fp32": fp32, "int8_numpy": int8})
        print(f"{folder}: fp32 {fp32}, int8 {int8}", file=sys.stderr)
    print(json.dumps({k: v for k, v in report.items() if k != "activation_qparams"}, indent=2))
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
