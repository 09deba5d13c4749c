#!/usr/bin/python3
"""Write the Fashion-MNIST data-set folders for one zoo model.

Usage:

    /usr/bin/python3 tools/make_fashion_data.py --model models/resnet8/model.onnx \\
        --out build/zoo/resnet8 [--splits calibration,test_data_set_0,...] \\
        [--slices 20,1000]

The data are made at build time and never committed.  Each split is a folder
`DIR/<split>/` with

    input_0.pb   TensorProto named after the model's graph input, float32,
                 [N, *the model input's non-batch dims] (e.g. [N,1,28,28] for
                 NCHW, [N,28,28,1] for NHWC, [N,784] for a flat input); the
                 model's batch dim may be fixed (1) or symbolic
    labels.pb    TensorProto "labels", int64 [N]

Splits (see tools/fashion_mnist.py for the loader and the corruption recipe):

    calibration            2000 TRAINING images, 200 of each class, drawn with
                           numpy.random.default_rng(CALIBRATION_SEED), in
                           ascending training-set order; never a test image
    calibration_corrupted  those 2000, then a corrupted copy of each (row
                           i + 2000 is row i corrupted, CALIBRATION_CORRUPT_SEED)
    test_data_set_0        all 10,000 test images, in file order
    corrupted              the 10,000 test images corrupted (TEST_CORRUPT_SEED),
                           same order and labels
    slice_N                the first N test images (default N = 20 and 1000)

Labels are the class (0..9) for classifiers.  For the autoencoder (the model's
metadata `aps.task` = `anomaly_detection`; without metadata, a model whose
output has 784 elements; --task overrides), labels are 1 for the held-out anomaly class (metadata
`aps.anomaly_class`, 8 'Bag' by default) and 0 for every other class;
its splits are the same images as the classifiers'.
"""

import argparse
import os
import sys
import time

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402

CALIBRATION_SEED = 0
CALIBRATION_PER_CLASS = 200
CALIBRATION_CORRUPT_SEED = 4321
TEST_CORRUPT_SEED = 1234
DEFAULT_SLICES = (20, 1000)
DEFAULT_ANOMALY_CLASS = 8

SPLITS = ("calibration", "calibration_corrupted", "test_data_set_0", "corrupted", "slices")


def model_interface(path):
    """(input name, non-batch input dims, task, anomaly class) of an ONNX model."""
    m = onnx.load(path, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    inputs = [i for i in m.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise SystemExit(f"{path}: expected one graph input, found {len(inputs)}")
    inp = inputs[0]
    dims = inp.type.tensor_type.shape.dim
    sample = []
    for d in dims[1:]:
        if not d.HasField("dim_value"):
            raise SystemExit(f"{path}: input '{inp.name}' has a symbolic non-batch dim")
        sample.append(d.dim_value)
    if len(dims) < 2 or int(np.prod(sample)) != 784:
        raise SystemExit(f"{path}: input '{inp.name}' dims {sample} do not hold one 28x28 image")
    meta = {p.key: p.value for p in m.metadata_props}
    task = meta.get("aps.task")
    if task is None:
        out_dims = m.graph.output[0].type.tensor_type.shape.dim[1:]
        out_n = int(np.prod([d.dim_value for d in out_dims])) if out_dims else 0
        task = "anomaly_detection" if out_n == 784 else "classification"
    anomaly = int(meta.get("aps.anomaly_class", DEFAULT_ANOMALY_CLASS))
    return inp.name, tuple(sample), task, anomaly


def make_splits(splits, slices, task, anomaly, per_class):
    """Yield (split name, float images [N,28,28], labels int64 [N])."""
    def relabel(y):
        if task == "anomaly_detection":
            return (y == anomaly).astype(np.int64)
        return y.astype(np.int64)

    need_train = any(s.startswith("calibration") for s in splits)
    need_test = any(not s.startswith("calibration") for s in splits)
    if need_train:
        xtr, ytr = fashion_mnist.load("train")
        idx = fashion_mnist.balanced_subset(ytr, per_class, CALIBRATION_SEED)
        xc, yc = fashion_mnist.to_float(xtr[idx]), ytr[idx]
        if "calibration" in splits:
            yield "calibration", xc, relabel(yc)
        if "calibration_corrupted" in splits:
            bad, _ = fashion_mnist.corrupt(xc, CALIBRATION_CORRUPT_SEED)
            yield ("calibration_corrupted", np.concatenate([xc, bad]),
                   relabel(np.concatenate([yc, yc])))
    if need_test:
        xte, yte = fashion_mnist.load("test")
        xt = fashion_mnist.to_float(xte)
        if "test_data_set_0" in splits:
            yield "test_data_set_0", xt, relabel(yte)
        if "corrupted" in splits:
            bad, _ = fashion_mnist.corrupt(xt, TEST_CORRUPT_SEED)
            yield "corrupted", bad, relabel(yte)
        if "slices" in splits:
            for n in slices:
                yield f"slice_{n}", xt[:n], relabel(yte[:n])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="the ONNX model the data are for")
    ap.add_argument("--out", required=True, help="folder to write the split folders into")
    ap.add_argument("--splits", default=",".join(SPLITS),
                    help=f"comma-separated subset of {','.join(SPLITS)} (default: all)")
    ap.add_argument("--calibration-per-class", type=int, default=CALIBRATION_PER_CLASS,
                    help="training images per class in the calibration splits (default %(default)s; "
                         "fewer make quick tests, never a published figure)")
    ap.add_argument("--slices", default=",".join(str(n) for n in DEFAULT_SLICES),
                    help="sizes N of the slice_N splits (default 20,1000)")
    ap.add_argument("--task", choices=("auto", "classification", "anomaly_detection"),
                    default="auto", help="override the task read from the model (default auto)")
    ap.add_argument("--anomaly-class", type=int, default=None,
                    help="override the model's held-out anomaly class")
    args = ap.parse_args(argv)
    splits = [s for s in args.splits.split(",") if s]
    bad = [s for s in splits if s not in SPLITS]
    if bad:
        raise SystemExit(f"unknown split(s) {bad}; choose from {SPLITS}")
    slices = [int(n) for n in args.slices.split(",") if n]
    if any(n < 1 or n > 10000 for n in slices):
        raise SystemExit("slice sizes must lie in 1..10000")
    if args.calibration_per_class < 1:
        raise SystemExit("--calibration-per-class must be at least 1")

    start = time.perf_counter()
    name, dims, task, anomaly = model_interface(args.model)
    if args.task != "auto":
        task = args.task
    if args.anomaly_class is not None:
        anomaly = args.anomaly_class
    for split, x, y in make_splits(splits, slices, task, anomaly, args.calibration_per_class):
        folder = os.path.join(args.out, split)
        fashion_mnist.write_data_set(folder, name, fashion_mnist.shape_for_model(x, dims), y)
        print(f"{folder}: {len(y)} samples, input '{name}' {[len(y), *dims]}"
              + (f", {int(y.sum())} anomalies" if task == "anomaly_detection" else ""))
    print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
