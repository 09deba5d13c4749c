#!/usr/bin/python3
"""Random single-op models of the ops exporters write around the
accelerator's layers, for ONNX Runtime to check aps-golden on (ort_op_oracle.sh).

    make_op_cases.py OUT_DIR [--seed S] [--count-per-family N]

Each case is a backend-test folder without expected outputs: OUT_DIR/<op>_<k>/
model.onnx and test_data_set_0/input_0.pb, one float input (the op's other
inputs are initializers). N cases are drawn for each of the eight families
below, over the range each op defines (every Resize mode and coordinate rule,
ConvTranspose with groups, dilations, asymmetric pads, output padding,
output_shape and auto_pad, every scatter reduction, ...), so the oracle
reaches what ONNX's fixed backend vectors do not. The seed fixes every case.

Not drawn: integer inputs (the one graph input is float), Resize at opset 10
and Upsample (their nearest rule is checked by the backend vectors), 1-D and
3-D ConvTranspose, NaN inputs, and the two corners where aps-golden keeps the
operator's text and ONNX Runtime does not (below).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET_DEFAULT = 17


def save_case(out, name, node, x, initializers=(), opset=OPSET_DEFAULT, outputs=("y",)):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [onnx.ValueInfoProto(name=o) for o in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset < 19 else 9
    onnx.save(model, os.path.join(folder, "model.onnx"))
    with open(os.path.join(folder, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x.astype(np.float32), "x").SerializeToString())


def rand(rng, shape):
    return rng.uniform(-3, 3, size=shape).astype(np.float32)


def resize_case(rng, out, k):
    mode = rng.choice(["nearest", "linear", "cubic"])
    transforms = ["half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners", "tf_crop_and_resize"]
    if mode == "nearest":
        transforms.append("tf_half_pixel_for_nn")
    transform = str(rng.choice(transforms))
    shape = [int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(2, 7)), int(rng.integers(2, 7))]
    x = rand(rng, shape)
    opset = int(rng.choice([11, 13, 18]))
    attrs = {"mode": str(mode), "coordinate_transformation_mode": transform}
    if mode == "nearest":
        attrs["nearest_mode"] = str(rng.choice(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]))
    if mode == "cubic":
        attrs["cubic_coeff_a"] = float(rng.choice([-0.75, -0.5]))
        attrs["exclude_outside"] = int(rng.integers(0, 2))
    inits = []
    roi_name = ""
    if transform == "tf_crop_and_resize":
        roi_name = "roi"
    axes = opset >= 18 and rng.integers(0, 2) == 1
    if roi_name:
        # Over the axes resized: all four, or H and W when `axes` names them.
        n = 2 if axes else 4
        start = rng.uniform(0, 0.4, size=n)
        end = rng.uniform(0.6, 1.2, size=n)  # past 1: extrapolated
        if not axes:
            start[:2], end[:2] = 0, 1
        attrs["extrapolation_value"] = float(rng.choice([0.0, 10.0]))
        inits.append(("roi", np.concatenate([start, end]).astype(np.float32)))
    if axes:
        attrs["axes"] = [2, 3]
    if rng.integers(0, 2) == 0:
        s = rng.choice([0.5, 0.6, 0.75, 1.0, 1.3, 1.5, 2.0, 3.0], size=2).astype(np.float32)
        scales = s if axes else np.array([1, 1, s[0], s[1]], dtype=np.float32)
        inits.append(("scales", scales))
        inputs = ["x", roi_name, "scales"]
    else:
        hw = rng.integers(1, 13, size=2)
        sizes = hw if axes else np.array([shape[0], shape[1], hw[0], hw[1]])
        inits.append(("sizes", sizes.astype(np.int64)))
        if axes:
            attrs["keep_aspect_ratio_policy"] = str(rng.choice(["stretch", "not_larger", "not_smaller"]))
        inputs = ["x", roi_name, "", "sizes"]
    if opset == 11:
        # Opset 11's roi and scales are not optional: an empty tensor stands
        # for the one not used.
        for i, name in ((1, "no_roi"), (2, "no_scales")):
            if inputs[i] == "":
                inputs[i] = name
                inits.append((name, np.zeros([0], dtype=np.float32)))
    save_case(out, f"resize_{k}", helper.make_node("Resize", inputs, ["y"], **attrs), x, inits, opset)


def conv_transpose_case(rng, out, k):
    group = int(rng.choice([1, 1, 2]))
    cpg, mpg = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    kernel = [int(v) for v in rng.integers(1, 4, size=2)]
    strides = [int(v) for v in rng.integers(1, 4, size=2)]
    dilations = [int(v) for v in rng.integers(1, 3, size=2)]
    x = rand(rng, [int(rng.integers(1, 3)), group * cpg, int(rng.integers(1, 5)), int(rng.integers(1, 5))])
    w = rand(rng, [group * cpg, mpg] + kernel)
    b = rand(rng, [group * mpg])
    attrs = {"strides": strides, "dilations": dilations, "group": group}
    form = int(rng.integers(0, 4))
    if form == 0:
        # At most the kernel's footprint in all, so that the output is not empty.
        attrs["pads"] = [int(rng.integers(0, (kk - 1) * d // 2 + 1)) for kk, d in zip(kernel + kernel,
                                                                                        dilations + dilations)]
    elif form == 1:
        # Below the stride (ONNX Runtime's bound; PyTorch's, which aps-golden
        # takes, is below the stride or the dilation).
        attrs["output_padding"] = [int(rng.integers(0, s)) for s in strides]
    elif form == 2:
        # A kernel footprint below the stride would need negative padding: the
        # operator's definition makes the output input x stride (aps-golden
        # does), ONNX Runtime the full size; that corner is left out.
        attrs["auto_pad"] = str(rng.choice(["SAME_UPPER", "SAME_LOWER"]))
        attrs["strides"] = strides = [min(s, (kk - 1) * d + 1) for s, kk, d in zip(strides, kernel, dilations)]
    else:
        full = [s * (i - 1) + (kk - 1) * d + 1 for s, i, kk, d in zip(strides, x.shape[2:], kernel, dilations)]
        # At most the full size (ONNX Runtime refuses a larger one; the rest is
        # padding, split as auto_pad says).
        attrs["output_shape"] = [int(max(1, f - rng.integers(0, 3))) for f in full]
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)
    save_case(out, f"convtranspose_{k}", node, x, [("w", w), ("b", b)])


def depth_space_case(rng, out, k):
    b = int(rng.integers(2, 4))
    if rng.integers(0, 2) == 0:
        x = rand(rng, [int(rng.integers(1, 3)), b * b * int(rng.integers(1, 3)), int(rng.integers(1, 4)),
                       int(rng.integers(1, 4))])
        node = helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=b, mode=str(rng.choice(["DCR", "CRD"])))
    else:
        x = rand(rng, [int(rng.integers(1, 3)), int(rng.integers(1, 4)), b * int(rng.integers(1, 4)),
                       b * int(rng.integers(1, 4))])
        node = helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=b)
    save_case(out, f"depthspace_{k}", node, x)


def elements_case(rng, out, k):
    shape = [int(v) for v in rng.integers(2, 5, size=3)]
    x = rand(rng, shape)
    axis = int(rng.integers(-3, 3))
    ishape = list(shape)
    ishape[axis] = int(rng.integers(1, 5))
    length = shape[axis]
    if rng.integers(0, 2) == 0:
        idx = rng.integers(-length, length, size=ishape).astype(np.int64)
        node = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=axis)
        save_case(out, f"gatherelements_{k}", node, x, [("i", idx)])
        return
    # Distinct targets along the axis unless the reduction is order-free.
    reduction = str(rng.choice(["none", "add", "mul", "max", "min"]))
    ishape[axis] = min(ishape[axis], length)
    order = np.argsort(rng.uniform(size=shape), axis=axis)
    idx = np.take(order, range(ishape[axis]), axis=axis)
    idx = idx - length * rng.integers(0, 2, size=idx.shape)  # some counted from the end
    updates = rand(rng, ishape)
    node = helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=axis, reduction=reduction)
    save_case(out, f"scatterelements_{k}", node, x, [("i", idx.astype(np.int64)), ("u", updates)], opset=18)


def nd_case(rng, out, k):
    shape = [int(v) for v in rng.integers(2, 5, size=3)]
    x = rand(rng, shape)
    if rng.integers(0, 2) == 0:
        batch_dims = int(rng.integers(0, 2))
        m = int(rng.integers(1, 4 - batch_dims))
        lead = shape[:batch_dims] + [int(rng.integers(1, 4))]
        idx = np.stack([rng.integers(-shape[batch_dims + j], shape[batch_dims + j], size=lead) for j in range(m)], -1)
        node = helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=batch_dims)
        save_case(out, f"gathernd_{k}", node, x, [("i", idx.astype(np.int64))])
        return
    m = int(rng.integers(1, 3))
    tuples = np.array(np.meshgrid(*[range(shape[j]) for j in range(m)], indexing="ij")).reshape(m, -1).T
    n = int(rng.integers(1, min(4, len(tuples)) + 1))
    idx = tuples[rng.permutation(len(tuples))[:n]]
    updates = rand(rng, [n] + shape[m:])
    reduction = str(rng.choice(["none", "add", "mul", "max", "min"]))
    node = helper.make_node("ScatterND", ["x", "i", "u"], ["y"], reduction=reduction)
    save_case(out, f"scatternd_{k}", node, x, [("i", idx.astype(np.int64)), ("u", updates)], opset=18)


def scan_case(rng, out, k):
    shape = [int(v) for v in rng.integers(1, 6, size=3)]
    kind = int(rng.integers(0, 3))
    if kind == 0:
        x = rand(rng, shape)
        axis = int(rng.integers(-3, 3))
        node = helper.make_node("CumSum", ["x", "a"], ["y"], exclusive=int(rng.integers(0, 2)),
                                reverse=int(rng.integers(0, 2)))
        save_case(out, f"cumsum_{k}", node, x, [("a", np.array(axis, dtype=np.int64))])
    elif kind == 1:
        # Values from a few levels, so that ties occur.
        x = rng.integers(-2, 3, size=shape).astype(np.float32)
        axis = int(rng.integers(-3, 3))
        kk = int(rng.integers(0, shape[axis] + 1))
        node = helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis, largest=int(rng.integers(0, 2)))
        save_case(out, f"topk_{k}", node, x, [("k", np.array([kk], dtype=np.int64))], outputs=("v", "i"))
    else:
        x = rng.integers(-1, 2, size=shape).astype(np.float32)
        # Opset 11: the input coerced to 2-D at the axis; 13: along the axis.
        node = helper.make_node("Hardmax", ["x"], ["y"], axis=int(rng.integers(-3, 3)))
        save_case(out, f"hardmax_{k}", node, x, opset=int(rng.choice([11, 13])))


def pattern_case(rng, out, k):
    kind = int(rng.integers(0, 3))
    if kind == 0:
        x = rand(rng, [int(v) for v in rng.integers(1, 5, size=3)])
        node = helper.make_node("Trilu", ["x", "k"], ["y"], upper=int(rng.integers(0, 2)))
        save_case(out, f"trilu_{k}", node, x, [("k", np.array(int(rng.integers(-3, 4)), dtype=np.int64))])
    elif kind == 1:
        x = rng.integers(-1, 2, size=[int(v) for v in rng.integers(1, 5, size=2)]).astype(np.float32)
        save_case(out, f"nonzero_{k}", helper.make_node("NonZero", ["x"], ["y"]), x)
    else:
        depth = int(rng.integers(2, 6))
        idx = rng.integers(-depth - 1, depth + 1, size=[int(v) for v in rng.integers(1, 4, size=2)])
        node = helper.make_node("OneHot", ["i", "d", "x"], ["y"], axis=int(rng.integers(-3, 3)))
        save_case(out, f"onehot_{k}", node, rand(rng, [2]),
                  [("i", idx.astype(np.int64)), ("d", np.array([depth], dtype=np.int64))])


def float_map_case(rng, out, k):
    x = rand(rng, [int(v) for v in rng.integers(1, 5, size=4)])
    kind = int(rng.integers(0, 4))
    if kind == 0:
        node = helper.make_node("Gelu", ["x"], ["y"], approximate=str(rng.choice(["none", "tanh"])))
        save_case(out, f"gelu_{k}", node, x, opset=20)
    elif kind == 1:
        save_case(out, f"mish_{k}", helper.make_node("Mish", ["x"], ["y"]), x, opset=18)
    elif kind == 2:
        node = helper.make_node("Shrink", ["x"], ["y"], lambd=float(rng.uniform(0, 2)), bias=float(rng.uniform(-1, 1)))
        save_case(out, f"shrink_{k}", node, x)
    else:
        # Groups of one element are left out: their deviation is 0, which the
        # operator's function body divides by 0 + 1e-9 (aps-golden: 0) and
        # ONNX Runtime's kernel turns into NaN.
        axes = [[0, 2, 3], [2, 3], [1], [0, 1, 2, 3]][int(rng.integers(0, 4))]
        while np.prod([x.shape[a] for a in axes]) == 1:
            x = rand(rng, [int(v) for v in rng.integers(1, 5, size=4)])
        node = helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes=axes)
        save_case(out, f"mvn_{k}", node, x)


CASES = [resize_case, conv_transpose_case, depth_space_case, elements_case, nd_case, scan_case, pattern_case,
         float_map_case]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--count-per-family", type=int, default=30)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    made = 0
    for make in CASES:
        for k in range(a.count_per_family):
            make(rng, a.out, k)
            made += 1
    print(f"{made} cases in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
