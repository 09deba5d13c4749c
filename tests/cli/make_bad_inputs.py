#!/usr/bin/python3
"""Writes the malformed models and data files the command-line tests feed to
aps-golden (and later aps-sim). Each file has one defect; its name says which.

Usage: make_bad_inputs.py MODELS_DIR OUT_DIR [ONNX_TESTDATA_DIR]
"""

import os
import random
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(model, path):
    # No checker: these models are broken on purpose.
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def write_tensor(path, array, name="input"):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def tiny_model(nodes, inputs, outputs, initializers=(), opset=13, ir_version=7):
    graph = helper.make_graph(nodes, "bad", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir_version)


def main():
    models, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    mlp_path = os.path.join(models, "digits_mlp", "model.onnx")
    mlp_bytes = open(mlp_path, "rb").read()

    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(mlp_bytes[: len(mlp_bytes) // 2])
    rng = random.Random(1234)
    with open(os.path.join(out, "random_bytes.onnx"), "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(4096)))

    mlp = onnx.load(mlp_path)
    missing = onnx.ModelProto()
    missing.CopyFrom(mlp)
    kept = [i for i in missing.graph.initializer if i.name != missing.graph.node[0].input[1]]
    del missing.graph.initializer[:]
    missing.graph.initializer.extend(kept)
    save(missing, os.path.join(out, "missing_initializer.onnx"))
    # Quantized at run time, as onnxruntime's quantize_dynamic writes it.
    dynamic = tiny_model(
        [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xzp"], name="quantize_x"),
         helper.make_node("MatMulInteger", ["xq", "w", "xzp"], ["acc"], name="fc"),
         helper.make_node("Cast", ["acc"], ["y"], to=TensorProto.FLOAT, name="cast")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(np.ones((64, 10), np.uint8), "w")])
    save(dynamic, os.path.join(out, "dynamic_quantization.onnx"))
    # A QDQ graph whose input is int32 codes (int8 and uint8 ones are taken).
    codes_in = tiny_model(
        [helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["x"], name="dequantize_x"),
         helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")],
        [helper.make_tensor_value_info("xq", TensorProto.INT32, ["N", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0, np.int32), "zp"),
         numpy_helper.from_array(np.ones((64, 10), np.float32), "w")])
    save(codes_in, os.path.join(out, "int32_graph_input.onnx"))
    # digits_mlp with an input that declares no shape at all.
    no_shape = onnx.ModelProto()
    no_shape.CopyFrom(mlp)
    no_shape.graph.input[0].type.tensor_type.ClearField("shape")
    save(no_shape, os.path.join(out, "input_without_shape.onnx"))
    # digits_mlp's quantized model with its input declared float64: the data
    # (float32) and the graph disagree, under either engine.
    float64_in = onnx.ModelProto()
    float64_in.CopyFrom(onnx.load(os.path.join(models, "digits_mlp", "model_int8.onnx")))
    float64_in.graph.input[0].type.tensor_type.elem_type = TensorProto.DOUBLE
    save(float64_in, os.path.join(out, "float64_graph_input.onnx"))
    # digits_cnn's quantized model whose conv1 claims a 5 x 5 kernel over 3 x 3 weights.
    kernel_lie = onnx.load(os.path.join(models, "digits_cnn", "model_int8.onnx"))
    conv1 = next(n for n in kernel_lie.graph.node if n.name == "conv1")
    next(a for a in conv1.attribute if a.name == "kernel_shape").ints[:] = [5, 5]
    save(kernel_lie, os.path.join(out, "kernel_shape_lie.onnx"))
    # digits_mlp exported without its parameters: its weights are graph inputs.
    no_params = onnx.ModelProto()
    no_params.CopyFrom(mlp)
    for init in no_params.graph.initializer:
        no_params.graph.input.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
    del no_params.graph.initializer[:]
    save(no_params, os.path.join(out, "weights_as_inputs.onnx"))
    # digits_mlp exported with a dummy batch of 8 and no dynamic batch axis.
    batch8 = onnx.ModelProto()
    batch8.CopyFrom(mlp)
    for value in (batch8.graph.input[0], batch8.graph.output[0]):
        value.type.tensor_type.shape.dim[0].Clear()
        value.type.tensor_type.shape.dim[0].dim_value = 8
    save(batch8, os.path.join(out, "fixed_batch_8.onnx"))
    # Inputs that declare a size as -1, as some exporters write a free size:
    # the batch (dimension 0), and a feature dimension.
    for name, axis in (("negative_batch_dim.onnx", 0), ("negative_feature_dim.onnx", 1)):
        negative_dim = onnx.ModelProto()
        negative_dim.CopyFrom(mlp)
        negative_dim.graph.input[0].type.tensor_type.shape.dim[axis].dim_value = -1
        save(negative_dim, os.path.join(out, name))
    # digits_mlp with its first hidden layer's activations as a second output.
    two_outputs = onnx.ModelProto()
    two_outputs.CopyFrom(mlp)
    two_outputs.graph.output.append(helper.make_tensor_value_info(mlp.graph.node[1].output[0], TensorProto.FLOAT, None))
    save(two_outputs, os.path.join(out, "two_outputs.onnx"))
    # A QDQ model whose last Gemm writes the graph output in float (no
    # QuantizeLinear / DequantizeLinear pair after it).
    float_last = onnx.load(os.path.join(models, "digits_mlp", "model_int8.onnx"))
    nodes = list(float_last.graph.node)
    assert [n.op_type for n in nodes[-2:]] == ["QuantizeLinear", "DequantizeLinear"]
    nodes = nodes[:-2]
    nodes[-1].output[0] = float_last.graph.output[0].name
    del float_last.graph.node[:]
    float_last.graph.node.extend(nodes)
    save(float_last, os.path.join(out, "qdq_float_output.onnx"))
    # digits_mlp's int8 model with int8 activations: every uint8 zero point z
    # becomes int8 z - 128, which shifts the codes and keeps every value.
    int8_acts = onnx.load(os.path.join(models, "digits_mlp", "model_int8.onnx"))
    shifted = 0
    for t in int8_acts.graph.initializer:
        if t.data_type == TensorProto.UINT8:
            t.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(t).astype(np.int16) - 128).astype(np.int8), t.name))
            shifted += 1
    assert shifted > 0
    save(int8_acts, os.path.join(out, "mlp_int8_activations.onnx"))
    # digits_mlp's int8 model with its weights beside it, in model.onnx.data.
    os.makedirs(os.path.join(out, "weights_beside"), exist_ok=True)
    onnx.save_model(onnx.load(os.path.join(models, "digits_mlp", "model_int8.onnx")),
                    os.path.join(out, "weights_beside", "model.onnx"), save_as_external_data=True,
                    location="model.onnx.data", size_threshold=0)
    shutil.copyfile(os.path.join(out, "weights_beside", "model.onnx"), os.path.join(out, "weights_beside", "model.bin"))
    # A weight that is NaN: ONNX semantics carry it to every output.
    nan_weight = onnx.ModelProto()
    nan_weight.CopyFrom(mlp)
    w = nan_weight.graph.initializer[[i.name for i in nan_weight.graph.initializer].index(nan_weight.graph.node[0].input[1])]
    values = numpy_helper.to_array(w).copy()
    values.flat[0] = np.nan
    w.CopyFrom(numpy_helper.from_array(values, w.name))
    save(nan_weight, os.path.join(out, "nan_weight.onnx"))
    # A NaN the network never reads: its range is measured, and must not
    # reach the profile.
    unread_nan = onnx.ModelProto()
    unread_nan.CopyFrom(mlp)
    unread_nan.graph.node.append(helper.make_node(
        "Constant", [], ["unread"], name="unread_nan",
        value=helper.make_tensor("v", TensorProto.FLOAT, [2], [float("nan"), 1.0])))
    save(unread_nan, os.path.join(out, "unread_nan.onnx"))

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    save(tiny_model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")], [x], [y]),
         os.path.join(out, "dangling_input.onnx"))
    save(tiny_model([helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                     helper.make_node("Relu", ["a"], ["b"], name="second"),
                     helper.make_node("Identity", ["b"], ["y"], name="out")], [x], [y]),
         os.path.join(out, "cycle.onnx"))
    save(tiny_model([helper.make_node("Det", ["x"], ["y"], name="squash")], [x], [y]),
         os.path.join(out, "unsupported_op.onnx"))
    save(tiny_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [x], [y], opset=30),
         os.path.join(out, "future_opset.onnx"))
    ext = numpy_helper.from_array(np.ones(4, np.float32), "w")
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    entry = ext.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    save(tiny_model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [x], [y], [ext]),
         os.path.join(out, "external_data.onnx"))

    # Data files for digits_mlp ([N,64] float32).
    write_tensor(os.path.join(out, "wrong_dtype.pb"), np.zeros((1, 64), np.int32))
    write_tensor(os.path.join(out, "wrong_shape.pb"), np.zeros((1, 63), np.float32))
    nan = np.zeros((1, 64), np.float32)
    nan[0, 5] = np.nan
    write_tensor(os.path.join(out, "nan_input.pb"), nan)
    inf = np.zeros((1, 64), np.float32)
    inf[0, 7] = np.inf
    write_tensor(os.path.join(out, "inf_input.pb"), inf)
    huge = TensorProto()
    huge.name = "input"
    huge.data_type = TensorProto.FLOAT
    huge.dims.extend([1 << 20, 1 << 20])
    huge.raw_data = b"\0" * 16
    with open(os.path.join(out, "huge_tensor.pb"), "wb") as f:
        f.write(huge.SerializeToString())
    write_tensor(os.path.join(out, "good_input.pb"), np.zeros((1, 64), np.float32))
    # Copies a test may name as both input and output: a broken check
    # overwrites these, not the bundled model or another test's input.
    write_tensor(os.path.join(out, "scratch_input.pb"), np.zeros((1, 64), np.float32))
    shutil.copy(os.path.join(models, "digits_mlp", "model_int8.onnx"), os.path.join(out, "scratch_model.onnx"))
    scratch_float = os.path.join(out, "scratch_float")
    shutil.rmtree(scratch_float, ignore_errors=True)
    os.makedirs(scratch_float)
    shutil.copy(mlp_path, os.path.join(scratch_float, "model.onnx"))
    shutil.copytree(os.path.join(models, "digits_mlp", "calibration"), os.path.join(scratch_float, "calibration"))
    good = numpy_helper.from_array(np.zeros((1, 64), np.float32), "input").SerializeToString()
    with open(os.path.join(out, "truncated_input.pb"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(os.path.join(out, "random_bytes_input.pb"), "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(512)))
    open(os.path.join(out, "empty_input.pb"), "wb").close()
    os.makedirs(os.path.join(out, "empty_data"), exist_ok=True)
    # Sample folders hold varied pixel values: calibration refuses one value
    # everywhere before it reaches what these folders are for.
    pixels = np.random.default_rng(1234)

    def samples(*shape):
        return pixels.random(shape, dtype=np.float32)

    unlabelled = os.path.join(out, "unlabelled")
    os.makedirs(unlabelled, exist_ok=True)
    write_tensor(os.path.join(unlabelled, "input_0.pb"), samples(2, 64))
    # digits_cnn takes [N,1,8,8]: the same 64 values per sample, flattened.
    flat = os.path.join(out, "flat_for_cnn")
    os.makedirs(flat, exist_ok=True)
    write_tensor(os.path.join(flat, "input_0.pb"), samples(2, 64))
    write_tensor(os.path.join(flat, "labels.pb"), np.array([0, 1], np.int64), "labels")
    # 20 digits_mlp-shaped samples: no whole batches of 8.
    twenty = os.path.join(out, "mlp_20_samples")
    os.makedirs(twenty, exist_ok=True)
    write_tensor(os.path.join(twenty, "input_0.pb"), samples(20, 64))
    write_tensor(os.path.join(twenty, "labels.pb"), np.zeros(20, np.int64), "labels")
    negative = os.path.join(out, "negative_label")
    os.makedirs(negative, exist_ok=True)
    write_tensor(os.path.join(negative, "input_0.pb"), samples(2, 64))
    write_tensor(os.path.join(negative, "labels.pb"), np.array([3, -1], np.int64), "labels")
    # A report name that is a link into a folder that does not exist.
    link = os.path.join(out, "dangling_report.json")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.join("no_such_folder", "r.json"), link)
    # A folder where aps-sim writes a trace's GTKWave save file.
    os.makedirs(os.path.join(out, "trace_blocked", "t.gtkw"), exist_ok=True)
    # Two study splits, the second with a label beyond digits_mlp's 10 classes.
    for split, labels in (("good", [0, 1, 2]), ("beyond", [3, 9, 10])):
        folder = os.path.join(out, "study_splits", split)
        os.makedirs(folder, exist_ok=True)
        write_tensor(os.path.join(folder, "input_0.pb"), samples(3, 64))
        write_tensor(os.path.join(folder, "labels.pb"), np.array(labels, np.int64), "labels")
    # A batch of no samples, and one of float64 samples.
    for name, batch, labels in (("no_samples", np.zeros((0, 64), np.float32), np.zeros(0, np.int64)),
                                ("float64_samples", samples(2, 64).astype(np.float64), np.array([0, 1], np.int64))):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        write_tensor(os.path.join(folder, "input_0.pb"), batch)
        write_tensor(os.path.join(folder, "labels.pb"), labels, "labels")
    beyond = os.path.join(out, "label_beyond_classes")
    os.makedirs(beyond, exist_ok=True)
    write_tensor(os.path.join(beyond, "input_0.pb"), samples(3, 64))
    write_tensor(os.path.join(beyond, "labels.pb"), np.array([3, 9, 10], np.int64), "labels")
    # Calibration data of one value everywhere (a zero-filled placeholder).
    constant = os.path.join(out, "constant_calibration")
    os.makedirs(constant, exist_ok=True)
    write_tensor(os.path.join(constant, "input_0.pb"), np.full((16, 64), 0.5, np.float32))
    write_tensor(os.path.join(constant, "labels.pb"), np.zeros(16, np.int64), "labels")
    # Varied pixels and one value of 1e30: its range leaves every pixel on
    # one code. All-zero weights make a float model that really does give
    # one output for everything: that is not refused.
    outlier = os.path.join(out, "outlier_calibration")
    os.makedirs(outlier, exist_ok=True)
    outlier_batch = samples(16, 64)
    outlier_batch[3, 5] = 1e30
    write_tensor(os.path.join(outlier, "input_0.pb"), outlier_batch)
    write_tensor(os.path.join(outlier, "labels.pb"), np.zeros(16, np.int64), "labels")
    dead = onnx.ModelProto()
    dead.CopyFrom(mlp)
    for init in dead.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(np.zeros_like(numpy_helper.to_array(init)), init.name))
    save(dead, os.path.join(out, "all_zero_weights.onnx"))
    # One sample written without its batch dimension: 64 "samples" of one value.
    no_batch = os.path.join(out, "no_batch_dimension")
    os.makedirs(no_batch, exist_ok=True)
    write_tensor(os.path.join(no_batch, "input_0.pb"), samples(64))
    write_tensor(os.path.join(no_batch, "labels.pb"), np.array([1], np.int64), "labels")
    # Calibration samples for digits_cnn in NHWC ([8,8,1], not [1,8,8]), more
    # than one interpreter run takes, so the runs would meet parts of the batch.
    nhwc = os.path.join(out, "calibration_nhwc_for_cnn")
    os.makedirs(nhwc, exist_ok=True)
    write_tensor(os.path.join(nhwc, "input_0.pb"), samples(300, 8, 8, 1))
    # Two test_data_set folders for digits_mlp, the second with 63 values per sample.
    for k, width in ((0, 64), (1, 63)):
        folder = os.path.join(out, "one_folder_misshapen", f"test_data_set_{k}")
        os.makedirs(folder, exist_ok=True)
        write_tensor(os.path.join(folder, "input_0.pb"), samples(2, width))
        write_tensor(os.path.join(folder, "labels.pb"), np.array([0, 1], np.int64), "labels")
    # An anomaly detector's labels are 0 or 1 (the autoencoder takes 784 values).
    # The bundled autoencoder without the aps.* metadata, as MLPerf Tiny's
    # comes: its output has its input's shape, so it is an anomaly detector.
    ae = onnx.load(os.path.join(models, "autoencoder", "model.onnx"))
    kept = [p for p in ae.metadata_props if not p.key.startswith("aps.")]
    del ae.metadata_props[:]
    ae.metadata_props.extend(kept)
    save(ae, os.path.join(out, "autoencoder_no_metadata.onnx"))
    ae_slice = os.path.join(out, "anomaly_slice")
    os.makedirs(ae_slice, exist_ok=True)
    write_tensor(os.path.join(ae_slice, "input_0.pb"), samples(6, 784))
    write_tensor(os.path.join(ae_slice, "labels.pb"), np.array([0, 1, 0, 1, 0, 1], np.int64), "labels")
    # A 16-class classifier of 16 normalized features, without metadata: as
    # many values out as in, so it is taken for an anomaly detector unless
    # --task says otherwise.
    f = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 16])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 16])
    square = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in (
        ("mean", 0.5), ("std", 0.25), ("w", pixels.standard_normal((16, 16))), ("b", np.zeros(16)))]
    save(tiny_model([helper.make_node("Sub", ["features", "mean"], ["centred"], name="centre"),
                     helper.make_node("Div", ["centred", "std"], ["normalized"], name="scale"),
                     helper.make_node("Gemm", ["normalized", "w", "b"], ["logits"], name="fc", transB=1)],
                    [f], [logits], square), os.path.join(out, "square_classifier.onnx"))
    for name, n in (("square_data", 24), ("square_calibration", 64)):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        write_tensor(os.path.join(folder, "input_0.pb"), samples(n, 16))
        write_tensor(os.path.join(folder, "labels.pb"), pixels.integers(0, 16, n).astype(np.int64), "labels")
    # Labels of one kind only: no ROC AUC can be scored.
    all_normal = os.path.join(out, "anomaly_all_normal")
    os.makedirs(all_normal, exist_ok=True)
    write_tensor(os.path.join(all_normal, "input_0.pb"), samples(3, 784))
    write_tensor(os.path.join(all_normal, "labels.pb"), np.zeros(3, np.int64), "labels")
    # A split whose second folder lost its labels.
    for index, labelled in ((0, True), (1, False)):
        folder = os.path.join(out, "labels_in_one_folder", f"test_data_set_{index}")
        os.makedirs(folder, exist_ok=True)
        write_tensor(os.path.join(folder, "input_0.pb"), samples(2, 64))
        if labelled:
            write_tensor(os.path.join(folder, "labels.pb"), np.array([0, 1], np.int64), "labels")
    anomaly = os.path.join(out, "anomaly_label_two")
    os.makedirs(anomaly, exist_ok=True)
    write_tensor(os.path.join(anomaly, "input_0.pb"), samples(3, 784))
    write_tensor(os.path.join(anomaly, "labels.pb"), np.array([0, 1, 2], np.int64), "labels")

    # Quantization parameters that break the number contract ([1,4] models).
    write_tensor(os.path.join(out, "input4.pb"), np.zeros((1, 4), np.float32), name="x")

    def qdq(name, scale, zero_point):
        init = [numpy_helper.from_array(np.array(scale, np.float32), "s"), zero_point]
        nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="quant"),
                 helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dequant")]
        save(tiny_model(nodes, [x], [y], init), os.path.join(out, name))

    uint8_zp = numpy_helper.from_array(np.array(128, np.uint8), "zp")
    qdq("zero_scale.onnx", 0.0, uint8_zp)
    qdq("negative_scale.onnx", -0.5, uint8_zp)
    # A uint8 zero point of 300: uint8 values travel widened in int32_data,
    # so the file can hold what the type cannot.
    wide_zp = helper.make_tensor("zp", TensorProto.UINT8, [], [300])
    qdq("zero_point_out_of_range.onnx", 0.1, wide_zp)
    # Per-axis weights with 3 scales for an axis of 4 output channels.
    w = numpy_helper.from_array(np.ones((4, 4), np.int8), "w")
    ws = numpy_helper.from_array(np.full(3, 0.1, np.float32), "ws")
    wz = numpy_helper.from_array(np.zeros(3, np.int8), "wz")
    save(tiny_model([helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], name="weights", axis=1),
                     helper.make_node("MatMul", ["x", "wf"], ["y"], name="fc")], [x], [y], [w, ws, wz]),
         os.path.join(out, "per_axis_scale_count.onnx"))

    # Labelled data with a stray second input file: the input files are at
    # fault, not labels.pb. And a folder holding a split and split folders.
    stray = os.path.join(out, "stray_input_1")
    os.makedirs(stray, exist_ok=True)
    write_tensor(os.path.join(stray, "input_0.pb"), samples(3, 64))
    write_tensor(os.path.join(stray, "input_1.pb"), samples(3, 64))
    write_tensor(os.path.join(stray, "labels.pb"), np.arange(6, dtype=np.int64), "labels")
    both = os.path.join(out, "split_and_split_folders")
    os.makedirs(os.path.join(both, "test_data_set_0"), exist_ok=True)
    for folder in (both, os.path.join(both, "test_data_set_0")):
        write_tensor(os.path.join(folder, "input_0.pb"), samples(2, 64))
        write_tensor(os.path.join(folder, "labels.pb"), np.array([0, 1], np.int64), "labels")

    # A float model that takes raw uint8 values, calibrated on float data:
    # the data file is at fault, not the model.
    raw = helper.make_tensor_value_info("raw", TensorProto.UINT8, ["N", 4])
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 2])
    save(tiny_model([helper.make_node("Cast", ["raw"], ["xf"], name="to_float", to=TensorProto.FLOAT),
                     helper.make_node("MatMul", ["xf", "w"], ["scores"], name="fc")],
                    [raw], [scores], [numpy_helper.from_array(np.ones((4, 2), np.float32), "w")]),
         os.path.join(out, "uint8_input.onnx"))
    float_calibration = os.path.join(out, "float_calibration_for_uint8")
    os.makedirs(float_calibration, exist_ok=True)
    write_tensor(os.path.join(float_calibration, "input_0.pb"), samples(8, 4), "raw")
    write_tensor(os.path.join(float_calibration, "labels.pb"), np.zeros(8, np.int64), "labels")

    # A network with no layer that has weights (a quantized pool alone): its
    # MACs are 0, so it has no average width.
    fmap4 = helper.make_tensor_value_info("fmap", TensorProto.FLOAT, [1, 2, 4, 4])
    pooled = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, 2, 2, 2])
    pool_params = [numpy_helper.from_array(np.array(v, dt), n) for n, v, dt in (
        ("xs", 1 / 32, np.float32), ("xz", 128, np.uint8), ("ys", 1 / 64, np.float32), ("yz", 128, np.uint8))]
    save(tiny_model([helper.make_node("QuantizeLinear", ["fmap", "xs", "xz"], ["qx"], name="quant"),
                     helper.make_node("DequantizeLinear", ["qx", "xs", "xz"], ["dx"], name="dequant_in"),
                     helper.make_node("AveragePool", ["dx"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
                     helper.make_node("QuantizeLinear", ["p", "ys", "yz"], ["qp"], name="requant"),
                     helper.make_node("DequantizeLinear", ["qp", "ys", "yz"], ["pooled"], name="dequant_out")],
                    [fmap4], [pooled], pool_params), os.path.join(out, "pool_only.onnx"))
    pool_data = os.path.join(out, "pool_only_data")
    os.makedirs(pool_data, exist_ok=True)
    write_tensor(os.path.join(pool_data, "input_0.pb"), samples(3, 2, 4, 4), "fmap")
    write_tensor(os.path.join(pool_data, "labels.pb"), np.array([0, 1, 2], np.int64), "labels")

    # A network the default RTL build cannot hold: a 96x96 image convolved to
    # 16 channels needs 18432 scratchpad words for its output alone (the
    # build has 8192 words of 8 bytes; a layer's input and output must fit
    # together).
    img = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 96, 96])
    fmap = helper.make_tensor_value_info("fmap", TensorProto.FLOAT, [1, 16, 96, 96])
    params = [numpy_helper.from_array(np.array(v, dt), n) for n, v, dt in (
        ("xs", 1 / 64, np.float32), ("xz", 0, np.uint8), ("cw", np.ones((16, 1, 3, 3)), np.int8),
        ("cws", 0.01, np.float32), ("cwz", 0, np.int8), ("ys", 0.05, np.float32), ("yz", 0, np.uint8))]
    save(tiny_model([helper.make_node("QuantizeLinear", ["image", "xs", "xz"], ["qx"], name="quant"),
                     helper.make_node("QLinearConv", ["qx", "xs", "xz", "cw", "cws", "cwz", "ys", "yz"], ["qy"],
                                      name="wide_conv", pads=[1, 1, 1, 1]),
                     helper.make_node("DequantizeLinear", ["qy", "ys", "yz"], ["fmap"], name="dequant")],
                    [img], [fmap], params), os.path.join(out, "too_wide_for_rtl.onnx"))
    write_tensor(os.path.join(out, "image.pb"), np.zeros((1, 1, 96, 96), np.float32), name="image")
    # The same convolution in float, whose calibration data is unreadable: the
    # build is found too small before the calibration batch is read.
    wide = numpy_helper.from_array(np.ones((16, 1, 3, 3), np.float32), "w")
    save(tiny_model([helper.make_node("Conv", ["image", "w"], ["fmap"], name="wide_conv", pads=[1, 1, 1, 1])],
                    [img], [fmap], [wide]), os.path.join(out, "too_wide_float.onnx"))
    unreadable = os.path.join(out, "unreadable_calibration")
    os.makedirs(unreadable, exist_ok=True)
    with open(os.path.join(unreadable, "input_0.pb"), "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(512)))

    # An ONNX backend test whose expected output is off by one code: onnx-test
    # must report FAIL and exit 1, proving the comparison can fail.
    planted = os.path.join(out, "planted_qlinearmatmul")
    testdata = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/libonnx-testdata/data"
    shutil.rmtree(planted, ignore_errors=True)
    shutil.copytree(os.path.join(testdata, "node", "test_qlinearmatmul_2D"), planted)
    out_pb = os.path.join(planted, "test_data_set_0", "output_0.pb")
    t = onnx.load_tensor(out_pb)
    arr = numpy_helper.to_array(t).copy()
    arr.flat[0] = arr.flat[0] + 1 if arr.flat[0] < 255 else arr.flat[0] - 1
    with open(out_pb, "wb") as f:
        f.write(numpy_helper.from_array(arr, t.name).SerializeToString())
    # The same test with no expected output: it compares nothing, so it fails.
    unchecked = os.path.join(out, "unchecked_qlinearmatmul")
    shutil.rmtree(unchecked, ignore_errors=True)
    shutil.copytree(planted, unchecked)
    os.remove(os.path.join(unchecked, "test_data_set_0", "output_0.pb"))


if __name__ == "__main__":
    main()
