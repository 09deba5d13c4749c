// What real exporters write around the layers: an NHWC input transposed to
// NCHW, a flat input reshaped to a map, TensorFlow's NHWC flatten before a
// fully connected layer, shape arithmetic around a Reshape, a Softmax after
// the last layer, Clip as ReLU6, a fixed batch of 1, an inference Dropout,
// PyTorch's F.pad. Each graph is lowered
// and executed with the accelerator's arithmetic, and checked against the
// same graph run with ONNX semantics.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <random>
#include <fmt/format.h>

#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/import/tests/qdq_graph.hpp"
#include "golden/import/tests/tracks_onnx.hpp"
#include "golden/numerics/tensor_compare.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/tensor_proto.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"

using namespace aps;
using aps::test::check_tracks_onnx;
using aps::test::program_values;
using aps::test::random_tensor;

namespace {

test::GraphBuilder conv_head(test::GraphBuilder g, std::mt19937& rng, const std::string& from, int64_t channels) {
  g.initializer("w", random_tensor(rng, {4, channels, 3, 3}, -0.5, 0.5));
  g.initializer("b", random_tensor(rng, {4}, -0.1, 0.1));
  g.node("Conv", {from, "w", "b"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Relu", {"c"}, {"r"}, "relu");
  return g;
}

// conv_head on a [N,2,3,3] input, its result transposed channels last as "nhwc".
test::GraphBuilder nhwc_conv_head(std::mt19937& rng) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 3, 3});
  g = conv_head(g, rng, "x", 2);
  g.node("Transpose", {"r"}, {"nhwc"}, "to_nhwc").attr("perm", std::vector<int64_t>{0, 2, 3, 1});
  return g;
}

}  // namespace

TEST_CASE("an NHWC input transposed to NCHW folds into the host's input packing", "[exporters]") {
  std::mt19937 rng(3);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 4, 4, 3});
  g.node("Transpose", {"x"}, {"nchw"}, "to_nchw").attr("perm", std::vector<int64_t>{0, 3, 1, 2});
  g = conv_head(g, rng, "nchw", 3);
  g.node("GlobalAveragePool", {"r"}, {"gap"}, "gap");
  g.node("Flatten", {"gap"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {5, 4}, -1, 1));
  g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 4, 4, 3}, 0, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  CHECK(p.raw_input_shape() == FeatureShape{3, 4, 4});
  CHECK(p.input_shape == FeatureShape{27, 4, 4});  // the 3-channel stem reads packed 3x3 patches
  REQUIRE(p.input_order.size() == 48);
  CHECK(p.input_order[1] == 3);  // channel 0, pixel (0, 1) is raw element (0 * 4 + 1) * 3 + 0
  CHECK(p.input_order[16] == 1);  // channel 1, pixel (0, 0)
  check_tracks_onnx(g, p, random_tensor(rng, {40, 4, 4, 3}, 0, 1), 5);
}

TEST_CASE("a flat input reshaped to a map before the first layer", "[exporters]") {
  std::mt19937 rng(4);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 32});
  g.initializer("shape", Tensor::from_ints(DType::Int64, {4}, {-1, 2, 4, 4}));
  g.node("Reshape", {"x", "shape"}, {"map"}, "to_map");
  g = conv_head(g, rng, "map", 2);
  g.node("Flatten", {"r"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {3, 64}, -0.3, 0.3));
  g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 32}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  CHECK(p.raw_input_shape() == FeatureShape{2, 4, 4});
  CHECK(p.input_order.empty());
  check_tracks_onnx(g, p, random_tensor(rng, {40, 32}, -1, 1), 3);
}

TEST_CASE("TensorFlow's NHWC flatten before a fully connected layer reorders its weights", "[exporters]") {
  std::mt19937 rng(5);
  test::GraphBuilder g = nhwc_conv_head(rng);
  g.initializer("flat_shape", Tensor::from_ints(DType::Int64, {2}, {-1, 36}));
  g.node("Reshape", {"nhwc", "flat_shape"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {36, 5}, -0.3, 0.3));
  g.node("MatMul", {"flat", "wf"}, {"y"}, "fc");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 2, 3, 3}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 2);
  CHECK(p.layers[1].kind == LayerKind::FullyConnected);
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 3, 3}, -1, 1), 5);
}

TEST_CASE("a ReduceMean over the spatial axes of a map transposed channels last is global average pooling",
          "[exporters]") {
  // tf2onnx without its optimizer: Keras's GlobalAveragePooling2D / 1D on the NHWC view.
  for (const bool keepdims : {false, true}) {
    INFO("keepdims " << keepdims);
    std::mt19937 rng(7);
    test::GraphBuilder g = nhwc_conv_head(rng);
    g.node("ReduceMean", {"nhwc"}, {"mean"}, "gap")
        .attr("axes", std::vector<int64_t>{1, 2})
        .attr("keepdims", int64_t{keepdims});
    std::string flat = "mean";
    if (keepdims) {
      g.initializer("flat_shape", Tensor::from_ints(DType::Int64, {2}, {-1, 4}));
      g.node("Reshape", {"mean", "flat_shape"}, {"flat"}, "flatten");
      flat = "flat";
    }
    g.initializer("wf", random_tensor(rng, {4, 5}, -1, 1));
    g.node("MatMul", {flat, "wf"}, {"y"}, "fc");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 2, 3, 3}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 3);
    CHECK(p.layers[1].kind == LayerKind::AveragePool);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 3, 3}, -1, 1), 5);
  }
  {  // Conv1D: [N,C,L] transposed to [N,L,C], the mean over L.
    std::mt19937 rng(8);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 2, 6});
    g.initializer("w", random_tensor(rng, {4, 2, 3}, -0.5, 0.5));
    g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1});
    g.node("Relu", {"c"}, {"r"}, "relu");
    g.node("Transpose", {"r"}, {"nlc"}, "to_nlc").attr("perm", std::vector<int64_t>{0, 2, 1});
    g.node("ReduceMean", {"nlc"}, {"mean"}, "gap").attr("axes", std::vector<int64_t>{1}).attr("keepdims", int64_t{0});
    g.initializer("wf", random_tensor(rng, {4, 5}, -1, 1));
    g.node("MatMul", {"mean", "wf"}, {"y"}, "fc");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 2, 6}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 3);
    CHECK(p.layers[1].kind == LayerKind::AveragePool);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 6}, -1, 1), 5);
  }
  // Over H and C of the same view: not a pooling.
  std::mt19937 rng(7);
  test::GraphBuilder g = nhwc_conv_head(rng);
  g.node("ReduceMean", {"nhwc"}, {"y"}, "mean_hc").attr("axes", std::vector<int64_t>{1, 3});
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 2, 3, 3}, -1, 1);
  CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                    Catch::Contains("node 'mean_hc' (ReduceMean)") && Catch::Contains("transposed channels last"));
}

TEST_CASE("shape arithmetic around a Reshape folds to a constant target", "[exporters]") {
  std::mt19937 rng(6);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 3, 3});
  g = conv_head(g, rng, "x", 2);
  // x.view(x.size(0), -1), as PyTorch exports it.
  g.node("Shape", {"r"}, {"shape"}, "shape");
  g.initializer("zero", Tensor::scalar_int(DType::Int64, 0));
  g.node("Gather", {"shape", "zero"}, {"batch"}, "batch").attr("axis", 0);
  g.initializer("axes", Tensor::from_ints(DType::Int64, {1}, {0}));
  g.node("Unsqueeze", {"batch", "axes"}, {"batch1"}, "unsqueeze");
  g.initializer("minus_one", Tensor::from_ints(DType::Int64, {1}, {-1}));
  g.node("Concat", {"batch1", "minus_one"}, {"target"}, "concat").attr("axis", 0);
  g.node("Reshape", {"r", "target"}, {"flat"}, "view");
  g.initializer("wf", random_tensor(rng, {4, 36}, -0.3, 0.3));
  g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 2, 3, 3}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  CHECK(p.layers.size() == 2);
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 3, 3}, -1, 1), 4);
}

TEST_CASE("a Softmax (and an Identity, a Dropout) after the last layer runs on the host, a layer after it is refused", "[exporters]") {
  std::mt19937 rng(7);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 6});
  g.initializer("w1", random_tensor(rng, {6, 5}, -1, 1));
  g.node("MatMul", {"x", "w1"}, {"z"}, "fc");
  g.node("Softmax", {"z"}, {"p"}, "softmax").attr("axis", 1);
  g.node("Identity", {"p"}, {"q"}, "out");
  g.node("Dropout", {"q"}, {"y"}, "drop");  // an inference Dropout is the identity here too
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  CHECK(p.output_tail == "Softmax, Identity, Identity");
  check_tracks_onnx(g, p, random_tensor(rng, {40, 6}, -1, 1), 5);

  test::GraphBuilder after(13);
  after.input("x", DType::Float, {-1, 6});
  after.initializer("w1", random_tensor(rng, {6, 5}, -1, 1));
  after.initializer("w2", random_tensor(rng, {5, 3}, -1, 1));
  after.node("MatMul", {"x", "w1"}, {"z"}, "fc1");
  after.node("Softmax", {"z"}, {"p"}, "softmax").attr("axis", 1);
  after.node("MatMul", {"p", "w2"}, {"y"}, "fc2");
  after.output("y");
  CHECK_THROWS_WITH(build_program(after.model(), &calibration),
                    Catch::Contains("node 'fc2' (MatMul): cannot map onto the accelerator: reads 'p', which the host "
                                    "computes after the last accelerator layer"));
}

// A host Softmax keeps the prediction only over one sample's classes: across
// the batch it would give each sample's output from the others', over an
// axis of one value it makes every output 1.
namespace {

// x[N,6] (or [1,6]) -> MatMul -> z[N,5] -> Reshape to `shape` (if any) -> Softmax(axis) -> y.
test::GraphBuilder softmax_tail(int opset, std::optional<int64_t> axis, std::vector<int64_t> shape = {},
                                int64_t batch = -1) {
  std::mt19937 rng(7);
  test::GraphBuilder g(opset);
  g.input("x", DType::Float, {batch, 6});
  g.initializer("w1", random_tensor(rng, {6, 5}, -1, 1));
  g.node("MatMul", {"x", "w1"}, {"z"}, "fc");
  std::string in = "z";
  if (!shape.empty()) {
    g.initializer("shape", Tensor::from_ints(DType::Int64, {static_cast<int64_t>(shape.size())}, shape));
    g.node("Reshape", {"z", "shape"}, {"zr"}, "reshape");
    in = "zr";
  }
  auto softmax = g.node("Softmax", {in}, {"y"}, "softmax");
  if (axis) softmax.attr("axis", *axis);
  g.output("y");
  return g;
}

}  // namespace

TEST_CASE("a host Softmax over the batch, or over an axis other than the classes', is refused by name", "[exporters]") {
  std::mt19937 rng(7);
  const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
  const auto refused = [&](const test::GraphBuilder& g, const std::string& why) {
    CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                      Catch::Contains("node 'softmax' (Softmax): cannot map onto the accelerator: " + why));
  };
  refused(softmax_tail(13, 0), "axis 0 is the batch axis: it mixes the samples");
  refused(softmax_tail(13, -2), "axis -2 is the batch axis");
  refused(softmax_tail(11, 0), "axis 0 is the batch axis");  // before 13: the whole batch as one row
  refused(softmax_tail(13, 0, {-1, 5}), "axis 0 is the batch axis");
  refused(softmax_tail(13, 1, {-1, 1, 5}), "axis 1 is not the classes' axis (2 of shape [1,1,5]): every output would be 1");
  refused(softmax_tail(13, -1, {-1, 5, 1}), "axis -1 is not the classes' axis (1 of shape [1,5,1])");
  refused(softmax_tail(11, 2, {-1, 5, 1}), "axis 2 is not the classes' axis");  // [N*5, 1]
  refused(softmax_tail(13, 0, {}, 1), "axis 0 is not the classes' axis");       // a batch of one: an axis of one value
  // Over the classes, at the opset's default axis too, it runs on the host.
  for (const auto& g : {softmax_tail(11, std::nullopt), softmax_tail(13, std::nullopt), softmax_tail(13, 1, {-1, 5}),
                        softmax_tail(13, -1, {-1, 1, 5}), softmax_tail(11, 1, {-1, 1, 5}), softmax_tail(11, 2, {-1, 1, 5}),
                        softmax_tail(11, 0, {}, 1)})
    CHECK(build_program(g.model(), &calibration).output_tail == "Softmax");
}

TEST_CASE("a Softmax over a map inside the network is refused, saying the host computes one over class scores only",
          "[exporters]") {
  std::mt19937 rng(43);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 3, 3});
  g = conv_head(g, rng, "x", 2);
  g.node("Softmax", {"r"}, {"attention"}, "spatial_softmax").attr("axis", 1);
  g.node("GlobalAveragePool", {"attention"}, {"y"}, "gap");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {16, 2, 3, 3}, -1, 1);
  CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                    Catch::Contains("node 'spatial_softmax' (Softmax): cannot map onto the accelerator: a Softmax of "
                                    "a map [N,4,3,3]: the accelerator has no Softmax, and the host computes one only "
                                    "over the class scores after the last layer"));
}

TEST_CASE("a second host Softmax is checked on the first one's shape, and refused after a layout op", "[exporters]") {
  std::mt19937 rng(7);
  const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
  const auto twice = [&](int64_t second_axis, bool reshape_between) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    g.initializer("w1", random_tensor(rng, {6, 5}, -1, 1));
    g.node("MatMul", {"x", "w1"}, {"z"}, "fc");
    g.node("Softmax", {"z"}, {"p"}, "first").attr("axis", -1);
    std::string in = "p";
    if (reshape_between) {
      g.initializer("shape", Tensor::from_ints(DType::Int64, {3}, {-1, 5, 1}));
      g.node("Reshape", {"p", "shape"}, {"pr"}, "reshape");
      in = "pr";
    }
    g.node("Softmax", {in}, {"y"}, "softmax").attr("axis", second_axis);
    g.output("y");
    return g;
  };
  CHECK(build_program(twice(1, false).model(), &calibration).output_tail == "Softmax, Softmax");
  CHECK_THROWS_WITH(build_program(twice(-2, false).model(), &calibration),
                    Catch::Contains("node 'softmax' (Softmax): cannot map onto the accelerator: axis -2 is the batch axis"));
  CHECK_THROWS_WITH(build_program(twice(1, true).model(), &calibration),
                    Catch::Contains("node 'softmax' (Softmax): cannot map onto the accelerator: a host-side Softmax "
                                    "after a layout op of the host tail"));
}

TEST_CASE("Clip(0, 6) is the quantization range's saturation, a bound inside the range is refused", "[exporters]") {
  // A QDQ graph: x -> Q -> DQ -> Conv (int8 weights) -> Clip(0, 6) -> Q -> DQ.
  auto graph = [](double out_scale) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1, 1, 2, 2});
    g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 255));
    g.initializer("xz", Tensor::scalar_int(DType::Int8, -128));
    g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
    g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
    g.initializer("wq", Tensor::from_ints(DType::Int8, {2, 1, 1, 1}, {100, -50}));
    g.initializer("ws", Tensor::from_reals(DType::Float, {2}, {0.05, 0.05}));
    g.initializer("wz", Tensor::from_ints(DType::Int8, {2}, {0, 0}));
    g.node("DequantizeLinear", {"wq", "ws", "wz"}, {"w"}, "dq_w").attr("axis", 0);
    g.node("Conv", {"xd", "w"}, {"c"}, "conv");
    g.initializer("lo", Tensor::scalar_real(DType::Float, 0));
    g.initializer("hi", Tensor::scalar_real(DType::Float, 6));
    g.node("Clip", {"c", "lo", "hi"}, {"r6"}, "relu6");
    g.initializer("ys", Tensor::scalar_real(DType::Float, out_scale));
    g.initializer("yz", Tensor::scalar_int(DType::Int8, -128));
    g.node("QuantizeLinear", {"r6", "ys", "yz"}, {"yq"}, "q_out");
    g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"y"}, "dq_out");
    g.output("y");
    return g;
  };
  const NetworkProgram p = build_program(graph(6.0 / 255).model());
  REQUIRE(p.layers.size() == 1);
  CHECK_THROWS_WITH(build_program(graph(10.0 / 255).model()),
                    Catch::Contains("Clip's upper bound 6 lies inside the output's range"));
}

TEST_CASE("an inference Dropout is the identity, one in training mode, or whose mask is read, is refused",
          "[exporters]") {
  std::mt19937 rng(11);
  const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
  enum class Drop { None, Inference, Training, MaskRead };
  // fc1 -> Relu -> [Dropout (opset 13: ratio and training_mode inputs, a mask output)] -> fc2.
  auto graph = [&](Drop drop) {
    std::mt19937 weights(12);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    g.initializer("w1", random_tensor(weights, {6, 5}, -1, 1));
    g.initializer("w2", random_tensor(weights, {5, 3}, -1, 1));
    g.node("MatMul", {"x", "w1"}, {"z"}, "fc1");
    g.node("Relu", {"z"}, {"r"}, "relu");
    if (drop != Drop::None) {
      g.initializer("ratio", Tensor::scalar_real(DType::Float, 0.5));
      g.initializer("training", Tensor::scalar_int(DType::Bool, drop == Drop::Training ? 1 : 0));
      g.node("Dropout", {"r", "ratio", "training"}, {"d", "mask"}, "drop");
    }
    g.node("MatMul", {drop == Drop::None ? "r" : "d", "w2"}, {"y"}, "fc2");
    if (drop == Drop::MaskRead) g.node("Cast", {"mask"}, {"kept"}, "cast").attr("to", int64_t{1});
    g.output("y");
    return g;
  };
  // The same program as without the Dropout: same ranges, same layers, same outputs.
  const NetworkProgram plain = build_program(graph(Drop::None).model(), &calibration);
  const NetworkProgram p = build_program(graph(Drop::Inference).model(), &calibration);
  REQUIRE(p.layers.size() == plain.layers.size());
  const Tensor x = random_tensor(rng, {40, 6}, -1, 1);
  const auto configs = step_configs(p, "8");
  for (int64_t i = 0; i < 40; ++i)
    CHECK(execute_program(p, quantize_input(p, x, i), configs).output() ==
          execute_program(plain, quantize_input(plain, x, i), configs).output());
  CHECK_THROWS_WITH(build_program(graph(Drop::Training).model(), &calibration),
                    Catch::Contains("node 'drop' (Dropout): training_mode is true"));
  CHECK_THROWS_WITH(build_program(graph(Drop::MaskRead).model(), &calibration),
                    Catch::Contains("node 'drop' (Dropout): cannot map onto the accelerator: its mask 'mask' is read"));
  // The importer refuses training mode itself, as it must where no interpreter
  // runs first (a quantized model, or ranges measured before).
  const ActivationRanges ranges =
      activation_ranges(graph(Drop::Inference).model(), calibration, RangeMethod::MinMax);
  CHECK_THROWS_WITH(build_program(graph(Drop::Training).model(), ranges),
                    Catch::Contains("node 'drop' (Dropout): cannot map onto the accelerator: training_mode must be a "
                                    "constant false"));
}

namespace {

// x [N,2,5,5] -> Pad (PyTorch's F.pad export: its pads computed from
// constants) -> Conv (own pads 1) -> Relu -> Pad 1 -> AveragePool 2x2 ->
// Flatten -> Gemm. `after_pad` is the op that reads the second Pad;
// `mode` and `value` are that Pad's.
test::GraphBuilder padded_graph(const std::string& after_pad, const std::string& mode = "constant", double value = 0) {
  std::mt19937 rng(21);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 5, 5});
  // F.pad(x, (left 3, right 2, top 1, bottom 2)) as torch.onnx writes it:
  // [0]*4 appended, viewed as pairs, reversed, transposed and flattened into
  // ONNX's [begins..., ends...].
  g.initializer("torch_pads", Tensor::from_ints(DType::Int64, {4}, {3, 2, 1, 2}));
  g.initializer("four", Tensor::from_ints(DType::Int64, {1}, {4}));
  g.node("ConstantOfShape", {"four"}, {"zeros"}, "zeros").attr("value", Tensor::from_ints(DType::Int64, {1}, {0}));
  g.node("Concat", {"torch_pads", "zeros"}, {"all"}, "concat").attr("axis", 0);
  g.initializer("pairs", Tensor::from_ints(DType::Int64, {2}, {-1, 2}));
  g.node("Reshape", {"all", "pairs"}, {"paired"}, "pair");
  g.initializer("start", Tensor::from_ints(DType::Int64, {1}, {-1}));
  g.initializer("end", Tensor::from_ints(DType::Int64, {1}, {-(int64_t{1} << 62)}));
  g.initializer("axis0", Tensor::from_ints(DType::Int64, {1}, {0}));
  g.initializer("back", Tensor::from_ints(DType::Int64, {1}, {-1}));
  g.node("Slice", {"paired", "start", "end", "axis0", "back"}, {"reversed"}, "reverse");
  g.node("Transpose", {"reversed"}, {"by_end"}, "by_end").attr("perm", std::vector<int64_t>{1, 0});
  g.initializer("flat", Tensor::from_ints(DType::Int64, {1}, {-1}));
  g.node("Reshape", {"by_end", "flat"}, {"pads"}, "onnx_pads");
  g.node("Pad", {"x", "pads"}, {"xp"}, "pad_in");
  g = conv_head(g, rng, "xp", 2);  // Conv (pads 1) + Relu -> r, [N,4,8,10]
  g.initializer("pads2", Tensor::from_ints(DType::Int64, {8}, {0, 0, 1, 1, 0, 0, 1, 1}));
  g.initializer("value2", Tensor::scalar_real(DType::Float, value));
  g.node("Pad", {"r", "pads2", "value2"}, {"rp"}, "pad_mid").attr("mode", mode);
  g.node(after_pad, {"rp"}, {"pooled"}, "pool")
      .attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2});
  g.node("Flatten", {"pooled"}, {"f"}, "flatten");
  g.initializer("wf", random_tensor(rng, {3, 4 * 5 * 6}, -0.3, 0.3));
  g.node("Gemm", {"f", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  return g;
}

}  // namespace

TEST_CASE("a zero Pad before a Conv or an AveragePool is their padding, however the pads are computed", "[exporters]") {
  std::mt19937 rng(22);
  const Tensor calibration = random_tensor(rng, {64, 2, 5, 5}, -1, 1);
  const test::GraphBuilder g = padded_graph("AveragePool");
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 3);
  // The stem's padding (its own 1 plus F.pad's left 3, right 2, top 1,
  // bottom 2) goes into the host's packing of its input patches.
  CHECK(p.raw_input_shape() == FeatureShape{2, 5, 5});
  CHECK(p.layers[0].out_shape == FeatureShape{4, 8, 10});
  const Window& pool = p.layers[1].window;
  CHECK(std::vector<int>{pool.pad_top, pool.pad_left, pool.pad_bottom, pool.pad_right} == std::vector<int>{1, 1, 1, 1});
  CHECK(p.layers[1].out_shape == FeatureShape{4, 5, 6});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 5, 5}, -1, 1), 3);
}

TEST_CASE("a Pad the accelerator cannot take as padding is refused, naming it", "[exporters]") {
  std::mt19937 rng(23);
  const Tensor calibration = random_tensor(rng, {64, 2, 5, 5}, -1, 1);
  // MaxPool's padding never wins the maximum; a Pad's zeros can.
  CHECK_THROWS_WITH(build_program(padded_graph("MaxPool").model(), &calibration),
                    Catch::Contains("node 'pool' (MaxPool): cannot map onto the accelerator: reads the output of Pad "
                                    "'pad_mid', which maps onto the accelerator only as the padding of the Conv or "
                                    "AveragePool that reads it"));
  CHECK_THROWS_WITH(build_program(padded_graph("AveragePool", "reflect").model(), &calibration),
                    Catch::Contains("node 'pad_mid' (Pad): cannot map onto the accelerator: reflect padding"));
  CHECK_THROWS_WITH(build_program(padded_graph("AveragePool", "constant", 0.5).model(), &calibration),
                    Catch::Contains("node 'pad_mid' (Pad): cannot map onto the accelerator: pads with 0.5"));
  // Nor is a Pad the graph's output: the accelerator would give the map unpadded.
  test::GraphBuilder out(13);
  out.input("x", DType::Float, {-1, 2, 5, 5});
  out.initializer("w", random_tensor(rng, {3, 2, 3, 3}, -0.5, 0.5));
  out.node("Conv", {"x", "w"}, {"c"}, "conv");
  out.initializer("pads", Tensor::from_ints(DType::Int64, {8}, {0, 0, 1, 1, 0, 0, 1, 1}));
  out.node("Pad", {"c", "pads"}, {"y"}, "pad_out");
  out.output("y");
  CHECK_THROWS_WITH(build_program(out.model(), &calibration),
                    Catch::Contains("graph output 'y' is the output of Pad 'pad_out', which maps onto the accelerator "
                                    "only as the padding"));
}

TEST_CASE("a Pad of codes (QOperator) pads with the zero point, or is refused", "[exporters]") {
  std::mt19937 rng(24);
  // x -> Q (zero point 10) -> Pad (constant_value `fill`) -> QLinearConv -> DQ -> Flatten -> Gemm.
  auto graph = [](int64_t fill) {
    std::mt19937 weights(25);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.initializer("xz", Tensor::scalar_int(DType::UInt8, 10));
    g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q");
    g.initializer("pads", Tensor::from_ints(DType::Int64, {8}, {0, 0, 1, 2, 0, 0, 2, 1}));
    g.initializer("fill", Tensor::scalar_int(DType::UInt8, fill));
    g.node("Pad", {"xq", "pads", "fill"}, {"xp"}, "pad");
    std::vector<int64_t> w;
    for (int i = 0; i < 18; ++i) w.push_back(static_cast<int64_t>(weights() % 200) - 100);
    g.initializer("w", Tensor::from_ints(DType::Int8, {2, 1, 3, 3}, w));
    g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 128));
    g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
    g.initializer("ys", Tensor::scalar_real(DType::Float, 1.0 / 32));
    g.initializer("yz", Tensor::scalar_int(DType::UInt8, 128));
    g.node("QLinearConv", {"xp", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"yq"}, "qconv");
    g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"c"}, "dq");
    g.node("Flatten", {"c"}, {"y"}, "flatten");
    g.output("y");
    return g;
  };
  const test::GraphBuilder g = graph(10);
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 1);
  CHECK(p.layers[0].out_shape == FeatureShape{2, 5, 5});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 4, 4}, 0, 1), 50);
  CHECK_THROWS_WITH(build_program(graph(0).model()),
                    Catch::Contains("node 'pad' (Pad): cannot map onto the accelerator: pads codes with 0, not the zero "
                                    "point"));
}

TEST_CASE("a float model's Hardtanh is its output grid's ends, though its zero point is a tie", "[exporters]") {
  // Calibration drives the Conv beyond both bounds: the range is exactly
  // [lo, hi], whose zero point (127.5 for [-1, 1], 212.5 for [-5, 1]) rounds
  // to one side and leaves one bound inside the grid unless the grid changes.
  for (const auto& [lo, hi] : {std::pair{-1.0, 1.0}, std::pair{-5.0, 1.0}}) {
    std::mt19937 rng(26);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("w", Tensor::from_reals(DType::Float, {2, 1, 1, 1}, {6.0, -6.0}));
    g.node("Conv", {"x", "w"}, {"c"}, "conv");
    g.initializer("lo", Tensor::scalar_real(DType::Float, lo));
    g.initializer("hi", Tensor::scalar_real(DType::Float, hi));
    g.node("Clip", {"c", "lo", "hi"}, {"h"}, "hardtanh");
    g.node("Flatten", {"h"}, {"f"}, "flatten");
    g.initializer("wf", random_tensor(rng, {3, 32}, -0.5, 0.5));
    g.node("Gemm", {"f", "wf"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 1, 4, 4}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 2);
    const ActivationQuant& q = p.layers[0].out_q;
    // Both bounds quantize to the grid's end codes (the Clip is the
    // saturation), and each end of the grid lies within a step of its bound.
    CHECK(q.scale * (254.5 - q.zero_point) <= hi);
    CHECK(q.scale * (0.5 - q.zero_point) >= lo);
    CHECK(q.scale * (255 - q.zero_point) >= hi - q.scale);
    CHECK(-q.scale * q.zero_point <= lo + q.scale);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 4, 4}, -1, 1), 3);
  }
}

TEST_CASE("a layer's result read both before and after the Relu fused into it is refused, saying so", "[exporters]") {
  std::mt19937 rng(27);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 3, 3});
  g.initializer("w", random_tensor(rng, {2, 2, 3, 3}, -0.5, 0.5));
  g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Relu", {"c"}, {"r"}, "relu");
  g.node("Add", {"c", "r"}, {"y"}, "add");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 2, 3, 3}, -1, 1);
  CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                    Catch::Contains("node 'add' (Add): cannot map onto the accelerator: reads 'c', the result of layer "
                                    "'conv' before the Relu fused into it: the accelerator keeps only the fused result"));
}

TEST_CASE("a 1-D network (Conv1d, Pad, pooling, mean over time) maps as maps of height 1", "[exporters]") {
  std::mt19937 rng(28);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 3, 12});
  g.initializer("w1", random_tensor(rng, {4, 3, 3}, -0.5, 0.5));
  g.initializer("b1", random_tensor(rng, {4}, -0.1, 0.1));
  g.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1});
  g.node("Relu", {"c1"}, {"r1"}, "relu1");
  g.initializer("pads", Tensor::from_ints(DType::Int64, {6}, {0, 0, 1, 0, 0, 2}));
  g.node("Pad", {"r1", "pads"}, {"p1"}, "pad");
  g.initializer("w2", random_tensor(rng, {5, 4, 3}, -0.5, 0.5));
  g.node("Conv", {"p1", "w2"}, {"c2"}, "conv2").attr("strides", std::vector<int64_t>{2});
  g.node("Relu", {"c2"}, {"r2"}, "relu2");
  g.node("MaxPool", {"r2"}, {"m"}, "maxpool")
      .attr("kernel_shape", std::vector<int64_t>{2})
      .attr("strides", std::vector<int64_t>{2});
  g.node("AveragePool", {"m"}, {"a"}, "avgpool").attr("kernel_shape", std::vector<int64_t>{2});
  g.node("ReduceMean", {"a"}, {"mean"}, "mean").attr("axes", std::vector<int64_t>{-1}).attr("keepdims", int64_t{0});
  g.initializer("wf", random_tensor(rng, {3, 5}, -1, 1));
  g.node("Gemm", {"mean", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 3, 12}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 6);
  CHECK(p.raw_input_shape() == FeatureShape{3, 1, 12});
  const Window& w = p.layers[1].window;  // conv2: the Pad's (1, 2) as its padding, height 1 throughout
  CHECK(std::vector<int>{w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left, w.pad_bottom,
                         w.pad_right} == std::vector<int>{1, 3, 1, 2, 0, 1, 0, 2});
  CHECK(p.layers[1].out_shape == FeatureShape{5, 1, 7});
  CHECK(p.layers[3].out_shape == FeatureShape{5, 1, 2});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 3, 12}, -1, 1), 3);

  // A MatMul over the last axis of a 3-D value is not a fully connected layer.
  test::GraphBuilder m(13);
  m.input("x", DType::Float, {-1, 3, 12});
  m.initializer("w", random_tensor(rng, {12, 4}, -1, 1));
  m.node("MatMul", {"x", "w"}, {"y"}, "per_step");
  m.output("y");
  CHECK_THROWS_WITH(build_program(m.model(), &calibration),
                    Catch::Contains("node 'per_step' (MatMul): cannot map onto the accelerator: input is [N,3,12]; a "
                                    "fully connected layer reads [N, features] (insert Flatten)"));
}

TEST_CASE("an input normalization (Sub, Div, Mul, Add or BatchNormalization of the graph input) runs on the host",
          "[exporters]") {
  std::mt19937 rng(29);
  enum class Norm { MeanStd, Rescaling, BatchNorm };
  // NHWC pixels in [0, 255] -> Transpose -> the normalization -> conv_head -> GAP -> Gemm.
  auto graph = [](Norm norm) {
    std::mt19937 weights(30);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 4, 4, 3});
    g.node("Transpose", {"x"}, {"nchw"}, "to_nchw").attr("perm", std::vector<int64_t>{0, 3, 1, 2});
    if (norm == Norm::MeanStd) {  // (x - mean) / std, per channel
      g.initializer("mean", Tensor::from_reals(DType::Float, {1, 3, 1, 1}, {120, 110, 100}));
      g.initializer("std", Tensor::from_reals(DType::Float, {3, 1, 1}, {60, 70, 80}));
      g.node("Sub", {"nchw", "mean"}, {"centred"}, "sub_mean");
      g.node("Div", {"centred", "std"}, {"n"}, "div_std");
    } else if (norm == Norm::Rescaling) {  // Keras' Rescaling(1/127.5, offset=-1)
      g.initializer("k", Tensor::scalar_real(DType::Float, 1 / 127.5));
      g.initializer("off", Tensor::scalar_real(DType::Float, -1));
      g.node("Mul", {"k", "nchw"}, {"scaled"}, "rescale");
      g.node("Add", {"scaled", "off"}, {"n"}, "offset");
    } else {
      g.initializer("bn_scale", Tensor::from_reals(DType::Float, {3}, {0.02, 0.01, 0.03}));
      g.initializer("bn_bias", Tensor::from_reals(DType::Float, {3}, {0.1, -0.2, 0}));
      g.initializer("bn_mean", Tensor::from_reals(DType::Float, {3}, {128, 100, 90}));
      g.initializer("bn_var", Tensor::from_reals(DType::Float, {3}, {1, 4, 2}));
      g.node("BatchNormalization", {"nchw", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"n"}, "input_bn");
    }
    g = conv_head(g, weights, "n", 3);
    g.node("GlobalAveragePool", {"r"}, {"gap"}, "gap");
    g.node("Flatten", {"gap"}, {"flat"}, "flatten");
    g.initializer("wf", random_tensor(weights, {5, 4}, -1, 1));
    g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    return g;
  };
  const Tensor calibration = random_tensor(rng, {64, 4, 4, 3}, 0, 255);
  for (Norm norm : {Norm::MeanStd, Norm::Rescaling, Norm::BatchNorm}) {
    const test::GraphBuilder g = graph(norm);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.input_steps.size() == 2);
    CHECK(p.layers.size() == 3);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 4, 4, 3}, 0, 255), 5);
  }
  // The Sub's constant indexes the raw (NHWC) sample: channel 1 of pixel (0, 0) is raw element 1.
  const NetworkProgram p = build_program(graph(Norm::MeanStd).model(), &calibration);
  CHECK(p.input_steps[0].op == InputStep::Op::Sub);
  CHECK(p.input_steps[0].constant[1] == 110);
  CHECK(p.input_steps[1].constant[2] == 80);

  // A variance below zero makes the BatchNormalization's gain NaN.
  test::GraphBuilder negative(13);
  negative.input("x", DType::Float, {-1, 2, 3, 3});
  negative.initializer("bn_scale", Tensor::from_reals(DType::Float, {2}, {1, 1}));
  negative.initializer("bn_bias", Tensor::from_reals(DType::Float, {2}, {0, 0}));
  negative.initializer("bn_mean", Tensor::from_reals(DType::Float, {2}, {0, 0}));
  negative.initializer("bn_var", Tensor::from_reals(DType::Float, {2}, {1, -1}));
  negative.node("BatchNormalization", {"x", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"n"}, "input_bn");
  negative = conv_head(negative, rng, "n", 2);
  negative.output("r");
  CHECK_THROWS_WITH(build_program(negative.model(), ActivationRanges{{"n", {-1.0, 1.0}}, {"r", {0.0, 1.0}}}),
                    Catch::Contains("node 'input_bn' (BatchNormalization): its constant on the network input holds") &&
                        Catch::Contains("not a finite number"));

  test::GraphBuilder wide(13);
  wide.input("x", DType::Float, {-1, 6});
  wide.initializer("two_rows", Tensor::from_reals(DType::Float, {2, 6}, std::vector<double>(12, 1)));
  wide.node("Sub", {"x", "two_rows"}, {"n"}, "sub");
  wide.initializer("w", random_tensor(rng, {6, 3}, -1, 1));
  wide.node("MatMul", {"n", "w"}, {"y"}, "fc");
  wide.output("y");
  CHECK_THROWS_WITH(build_program(wide.model(), ActivationRanges{}),
                    Catch::Contains("node 'sub' (Sub): cannot map onto the accelerator: its constant [2,6] does not "
                                    "broadcast onto the network input [N,6]"));
}

TEST_CASE("a Conv's bias written as a separate Add of a [C,1,1] constant (the ONNX model zoo's mnist-8)",
          "[exporters]") {
  std::mt19937 rng(31);
  // mnist-8's layout: batch fixed at 1, SAME_UPPER convolutions without a
  // bias input, each followed by Add(Parameter [C,1,1]), a Reshape to
  // [1,256] and MatMul + Add([1,10]). Here smaller, and the second Add's
  // constant `second` varies.
  auto graph = [](const Tensor& second) {
    std::mt19937 weights(32);
    test::GraphBuilder g(8);
    g.input("Input3", DType::Float, {1, 1, 8, 8});
    g.initializer("w1", random_tensor(weights, {4, 1, 5, 5}, -0.3, 0.3));
    g.node("Conv", {"Input3", "w1"}, {"c1"}, "Convolution28").attr("auto_pad", std::string("SAME_UPPER"))
        .attr("kernel_shape", std::vector<int64_t>{5, 5});
    g.initializer("Parameter6", random_tensor(weights, {4, 1, 1}, -0.2, 0.2));
    g.node("Add", {"c1", "Parameter6"}, {"p1"}, "Plus30");
    g.node("Relu", {"p1"}, {"r1"}, "ReLU32");
    g.node("MaxPool", {"r1"}, {"m1"}, "Pooling66")
        .attr("kernel_shape", std::vector<int64_t>{2, 2})
        .attr("strides", std::vector<int64_t>{2, 2});
    g.initializer("w2", random_tensor(weights, {6, 4, 3, 3}, -0.3, 0.3));
    g.node("Conv", {"m1", "w2"}, {"c2"}, "Convolution110").attr("auto_pad", std::string("SAME_UPPER"))
        .attr("kernel_shape", std::vector<int64_t>{3, 3});
    g.initializer("Parameter88", second);
    g.node("Add", {"c2", "Parameter88"}, {"p2"}, "Plus112");
    g.node("Relu", {"p2"}, {"r2"}, "ReLU114");
    g.initializer("shape", Tensor::from_ints(DType::Int64, {2}, {1, 96}));
    g.node("Reshape", {"r2", "shape"}, {"flat"}, "Times212_reshape0");
    g.initializer("w3", random_tensor(weights, {96, 10}, -0.3, 0.3));
    g.node("MatMul", {"flat", "w3"}, {"mm"}, "Times212");
    g.initializer("Parameter194", random_tensor(weights, {1, 10}, -0.1, 0.1));
    g.node("Add", {"mm", "Parameter194"}, {"Plus214_Output_0"}, "Plus214");
    g.output("Plus214_Output_0");
    return g;
  };
  const Tensor calibration = random_tensor(rng, {64, 1, 8, 8}, 0, 1);
  const test::GraphBuilder g = graph(random_tensor(rng, {6, 1, 1}, -0.2, 0.2));
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 4);
  check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 8, 8}, 0, 1), 10);
  // A scalar is one bias for every channel; a constant along the width is no bias.
  CHECK_NOTHROW(build_program(graph(Tensor::from_reals(DType::Float, {1}, {0.1})).model(), &calibration));
  CHECK_THROWS_WITH(build_program(graph(random_tensor(rng, {1, 1, 4}, -0.2, 0.2)).model(), &calibration),
                    Catch::Contains("node 'Plus112' (Add): cannot map onto the accelerator: adds a constant [1,1,4] that "
                                    "is not one value per output channel of layer 'Convolution110' [N,6,4,4]"));
}

TEST_CASE("a Mul, Div or Sub of a constant right after a Conv or Gemm folds into it as a BatchNormalization does",
          "[exporters]") {
  std::mt19937 rng(41);
  // Conv -> Mul(per channel) -> Sub(one value, either side) -> Relu -> GAP -> Gemm -> Div: TensorFlow exporters
  // write an unfused BatchNormalization as such a Mul and Add, and a scale after the logits as a Div.
  auto graph = [&rng](bool constant_first) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 2, 6, 6});
    g.initializer("w", random_tensor(rng, {4, 2, 3, 3}, -0.5, 0.5));
    g.initializer("b", random_tensor(rng, {4}, -0.1, 0.1));
    g.node("Conv", {"x", "w", "b"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.initializer("gain", Tensor::from_reals(DType::Float, {4, 1, 1}, {1.5, -0.5, 2.0, 0.25}));
    g.node("Mul", {"c", "gain"}, {"scaled"}, "scale");
    g.initializer("offset", Tensor::from_reals(DType::Float, {}, {0.1}));
    g.node("Sub", constant_first ? std::vector<std::string>{"offset", "scaled"} : std::vector<std::string>{"scaled", "offset"},
           {"shifted"}, "shift");
    g.node("Relu", {"shifted"}, {"r"}, "relu");
    g.node("GlobalAveragePool", {"r"}, {"gap"}, "gap");
    g.node("Flatten", {"gap"}, {"flat"}, "flatten");
    g.initializer("fw", random_tensor(rng, {3, 4}, -0.5, 0.5));
    g.node("Gemm", {"flat", "fw"}, {"logits"}, "fc").attr("transB", 1);
    g.initializer("temperature", Tensor::from_reals(DType::Float, {1}, {2.0}));
    g.node("Div", {"logits", "temperature"}, {"y"}, "cool");
    g.output("y");
    return g;
  };
  const Tensor calibration = random_tensor(rng, {64, 2, 6, 6}, -1, 1);
  for (const bool constant_first : {false, true}) {
    INFO("constant first: " << constant_first);
    const test::GraphBuilder g = graph(constant_first);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 3);  // conv, pooling, fc
    check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 6, 6}, -1, 1), 3);
  }
  // After an activation the constant is no longer the layer's affine.
  test::GraphBuilder late(13);
  late.input("x", DType::Float, {-1, 2, 6, 6});
  late = conv_head(late, rng, "x", 2);
  late.initializer("k", Tensor::from_reals(DType::Float, {1}, {3.0}));
  late.node("Mul", {"r", "k"}, {"y"}, "late_scale");
  late.output("y");
  CHECK_THROWS_WITH(build_program(late.model(), &calibration),
                    Catch::Contains("node 'late_scale' (Mul): cannot map onto the accelerator: a Mul of a constant is "
                                    "supported only as a per-channel scale or offset of a Gemm, MatMul or Conv right "
                                    "before it (before any activation)"));
  // A constant divided by a layer's output is no affine of it; a constant along the width is not per channel.
  test::GraphBuilder inverse(13);
  inverse.input("x", DType::Float, {-1, 2, 6, 6});
  inverse.initializer("w", random_tensor(rng, {4, 2, 3, 3}, -0.5, 0.5));
  inverse.node("Conv", {"x", "w"}, {"c"}, "conv");
  inverse.initializer("k", Tensor::from_reals(DType::Float, {1}, {3.0}));
  inverse.node("Div", {"k", "c"}, {"y"}, "invert");
  inverse.output("y");
  CHECK_THROWS_WITH(build_program(inverse.model(), &calibration),
                    Catch::Contains("node 'invert' (Div): cannot map onto the accelerator: divides a constant by a "
                                    "layer's output, which is not affine"));
  // A divisor of 0 or an infinite factor is the node's fault, not the layer's weights'.
  for (const auto& [op, k] : {std::pair<std::string, double>{"Div", 0.0}, {"Mul", INFINITY}}) {
    test::GraphBuilder bad(13);
    bad.input("x", DType::Float, {-1, 2, 6, 6});
    bad.initializer("w", random_tensor(rng, {4, 2, 3, 3}, -0.5, 0.5));
    bad.node("Conv", {"x", "w"}, {"c"}, "conv");
    bad.initializer("k", Tensor::from_reals(DType::Float, {1}, {k}));
    bad.node(op, {"c", "k"}, {"y"}, "bad_" + op);
    bad.output("y");
    CHECK_THROWS_WITH(build_program(bad.model(), &calibration),
                      Catch::Contains(fmt::format("node 'bad_{}' ({}): cannot map onto the accelerator: {} {}: the "
                                                  "layer's values would not be finite",
                                                  op, op, op == "Div" ? "divides by" : "multiplies by", k)));
  }
  test::GraphBuilder width(13);
  width.input("x", DType::Float, {-1, 2, 6, 6});
  width.initializer("w", random_tensor(rng, {4, 2, 3, 3}, -0.5, 0.5));
  width.node("Conv", {"x", "w"}, {"c"}, "conv");
  width.initializer("k", random_tensor(rng, {1, 1, 4}, 0.5, 1.5));
  width.node("Mul", {"c", "k"}, {"y"}, "by_width");
  width.output("y");
  CHECK_THROWS_WITH(build_program(width.model(), &calibration),
                    Catch::Contains("node 'by_width' (Mul): cannot map onto the accelerator: multiplies by a constant "
                                    "[1,1,4] that is not one value per output channel of layer 'conv' [N,4,4,4]"));
}

TEST_CASE("a Pad between QDQ pairs (ONNX Runtime's QDQ layout) is the Conv's padding", "[exporters]") {
  std::mt19937 rng(33);
  // x -> Q -> DQ -> Pad(0) -> Q -> DQ -> Conv (int8 weights) -> Q -> DQ -> Flatten.
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1, 4, 4});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 128));
  g.initializer("xz", Tensor::scalar_int(DType::UInt8, 64));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
  g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
  g.initializer("pads", Tensor::from_ints(DType::Int64, {8}, {0, 0, 2, 1, 0, 0, 0, 1}));
  g.node("Pad", {"xd", "pads"}, {"xp"}, "pad");
  g.node("QuantizeLinear", {"xp", "xs", "xz"}, {"pq"}, "q_pad");
  g.node("DequantizeLinear", {"pq", "xs", "xz"}, {"pd"}, "dq_pad");
  std::vector<int64_t> w;
  for (int i = 0; i < 18; ++i) w.push_back(static_cast<int64_t>(rng() % 200) - 100);
  g.initializer("wq", Tensor::from_ints(DType::Int8, {2, 1, 3, 3}, w));
  g.initializer("ws", Tensor::from_reals(DType::Float, {2}, {1.0 / 128, 1.0 / 256}));
  g.initializer("wz", Tensor::from_ints(DType::Int8, {2}, {0, 0}));
  g.node("DequantizeLinear", {"wq", "ws", "wz"}, {"wd"}, "dq_w").attr("axis", int64_t{0});
  g.node("Conv", {"pd", "wd"}, {"c"}, "conv");
  g.initializer("ys", Tensor::scalar_real(DType::Float, 1.0 / 32));
  g.initializer("yz", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"c", "ys", "yz"}, {"yq"}, "q_out");
  g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"yd"}, "dq_out");
  g.node("Flatten", {"yd"}, {"y"}, "flatten");
  g.output("y");
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 1);
  CHECK(p.layers[0].out_shape == FeatureShape{2, 4, 4});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 4, 4}, -0.4, 1.4), 32);
}

namespace {
// x[?,4] -> Q -> DQ -> MatMul (int8 weights) -> [activation] -> Q -> DQ -> y.
// `late`: the activation reads the MatMul's requantized output (MatMul -> Q
// -> DQ -> activation -> Q -> DQ), as an exporter that did not fuse it
// writes; otherwise it reads the MatMul's result, fused as usual.
test::GraphBuilder matmul_then(const std::string& activation, bool late) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("xz", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
  g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
  g.initializer("wq", Tensor::from_ints(DType::Int8, {4, 3}, {90, -70, 20, -60, 50, -110, 30, 80, -40, -20, -90, 70}));
  g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 8));
  g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
  g.node("DequantizeLinear", {"wq", "ws", "wz"}, {"wd"}, "dq_w");
  g.node("MatMul", {"xd", "wd"}, {"m"}, "fc");
  g.initializer("ys", Tensor::scalar_real(DType::Float, 1.0 / 4));
  g.initializer("yz", Tensor::scalar_int(DType::UInt8, 100));
  std::string before = "m";
  if (late) {
    g.node("QuantizeLinear", {"m", "ys", "yz"}, {"mq"}, "q_fc");
    g.node("DequantizeLinear", {"mq", "ys", "yz"}, {"md"}, "dq_fc");
    before = "md";
  }
  if (activation == "Relu") {
    g.node("Relu", {before}, {"a"}, "act");
  } else {
    g.initializer("lo", Tensor::scalar_real(DType::Float, 0));
    g.initializer("hi", Tensor::scalar_real(DType::Float, 1000));
    g.node("Clip", {before, "lo", "hi"}, {"a"}, "act");
  }
  g.node("QuantizeLinear", {"a", "ys", "yz"}, {"aq"}, "q_out");
  g.node("DequantizeLinear", {"aq", "ys", "yz"}, {"y"}, "dq_out");
  g.output("y");
  return g;
}
}  // namespace

TEST_CASE("a layer whose output scale is tiny against its input's saturates as ONNX does", "[exporters]") {
  // Output scale 1e-6 (a ReLU calibration saw nearly dead): multiplier 7812.5,
  // above what the accelerator holds; every non-zero accumulator saturates.
  test::GraphBuilder g = matmul_then("Relu", false);
  for (auto& t : *g.proto().mutable_graph()->mutable_initializer())
    if (t.name() == "ys") t = tensor_to_proto(Tensor::scalar_real(DType::Float, 1e-6), "ys");
  const NetworkProgram p = build_program(g.model());
  std::mt19937 rng(91);
  const Tensor x = random_tensor(rng, {64, 4}, -2, 2);
  const OnnxModel m = g.model();
  const Tensor y = run_batch(m, {{"x", x}}).at("y");
  int64_t saturated = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const std::vector<double> out = program_values(p, x, i);
    for (int64_t c = 0; c < 3; ++c) {
      CHECK(out[c] == Approx(y.reals()[i * 3 + c]).margin(1e-9));
      saturated += out[c] > 1e-4;
    }
  }
  CHECK(saturated > 0);
  // A float bias off the accumulator's grid, times that multiplier, would move
  // ONNX's output by codes the saturating layer cannot follow: refused.
  test::GraphBuilder biased = matmul_then("Relu", false);
  for (auto& t : *biased.proto().mutable_graph()->mutable_initializer())
    if (t.name() == "ys") t = tensor_to_proto(Tensor::scalar_real(DType::Float, 1e-6), "ys");
  biased.initializer("b", Tensor::from_reals(DType::Float, {3}, {0.3 / 128, 0, 0}));  // 0.3 of an accumulator step
  biased.node("Add", {"m", "b"}, {"mb"}, "bias");
  for (auto& n : *biased.proto().mutable_graph()->mutable_node())
    if (n.name() == "act") n.set_input(0, "mb");
  CHECK_THROWS_WITH(build_program(biased.model()),
                    Catch::Contains("layer 'fc': requantization multiplier") &&
                        Catch::Contains("the bias of channel 0 is not on the accumulator's grid"));
  // The layer after it reads that tiny scale: a bias beyond int32 at its
  // accumulator's scale is refused (clamped, it saturated every output).
  test::GraphBuilder next = matmul_then("Relu", false);
  for (auto& t : *next.proto().mutable_graph()->mutable_initializer())
    if (t.name() == "xs") t = tensor_to_proto(Tensor::scalar_real(DType::Float, 1e-12), "xs");
  next.initializer("b", Tensor::from_reals(DType::Float, {3}, {1, -1, 0.5}));
  next.node("Add", {"m", "b"}, {"mb"}, "bias");
  for (auto& n : *next.proto().mutable_graph()->mutable_node())
    if (n.name() == "act") n.set_input(0, "mb");
  CHECK_THROWS_WITH(build_program(next.model()),
                    Catch::Contains("layer 'fc': the bias at the accumulator's scale is") && Catch::Contains("beyond int32"));
}

TEST_CASE("a bias of 8-bit codes at a scale of its own is the layer's bias, as a float bias is", "[exporters]") {
  for (const DType type : {DType::Int8, DType::UInt8}) {
    INFO(dtype_name(type));
    test::GraphBuilder g = matmul_then("Relu", false);
    const int64_t zero = type == DType::UInt8 ? 100 : -3;
    g.initializer("bq", Tensor::from_ints(type, {3}, {zero + 40, zero - 25, zero + 7}));
    g.initializer("bs", Tensor::scalar_real(DType::Float, 1.0 / 32));
    g.initializer("bz", Tensor::scalar_int(type, zero));
    g.node("DequantizeLinear", {"bq", "bs", "bz"}, {"bd"}, "dq_b");
    g.node("Add", {"m", "bd"}, {"mb"}, "bias");
    for (auto& n : *g.proto().mutable_graph()->mutable_node())
      if (n.name() == "act") n.set_input(0, "mb");
    const NetworkProgram p = build_program(g.model());
    REQUIRE(p.layers.size() == 1);
    std::mt19937 rng(93);
    const Tensor x = random_tensor(rng, {32, 4}, -2, 2);
    const OnnxModel m = g.model();
    const Tensor y = run_batch(m, {{"x", x}}).at("y");
    // On the accumulator's grid the bias is exact: every output equal but for
    // the odd rounding tie (a zero point dropped moves most of them).
    int64_t equal = 0;
    for (int64_t i = 0; i < 32; ++i) {
      const std::vector<double> out = program_values(p, x, i);
      for (int64_t c = 0; c < 3; ++c) {
        CHECK(std::fabs(out[c] - y.reals()[i * 3 + c]) <= 0.25 + 1e-9);
        equal += std::fabs(out[c] - y.reals()[i * 3 + c]) < 1e-9;
      }
    }
    CHECK(equal >= 90);
  }
}

TEST_CASE("a Relu or Clip(0, _) after a layer's QuantizeLinear / DequantizeLinear is that layer's ReLU", "[exporters]") {
  // On codes of one grid the activation is max(code, zero point): the same
  // program as the fused form, and the ONNX semantics up to requantization ties.
  std::mt19937 rng(41);
  const Tensor x = random_tensor(rng, {64, 4}, -3, 3);
  for (const std::string activation : {"Relu", "Clip"}) {
    INFO(activation);
    const test::GraphBuilder late = matmul_then(activation, true);
    const NetworkProgram p = build_program(late.model());
    const NetworkProgram fused = build_program(matmul_then(activation, false).model());
    REQUIRE(p.layers.size() == 1);
    CHECK(p.layers[0].relu);
    const OnnxModel m = late.model();
    const Tensor y = run_batch(m, {{"x", x}}).at("y");
    const auto configs = step_configs(p, "8");
    int64_t clamped = 0, equal = 0;
    for (int64_t i = 0; i < 64; ++i) {
      const Codes out = execute_program(p, quantize_input(p, x, i), configs).output();
      CHECK(out == execute_program(fused, quantize_input(fused, x, i), configs).output());
      for (int64_t c = 0; c < 3; ++c) {
        const double code = std::round(y.reals()[i * 3 + c] * 4) + 100;
        CHECK(std::fabs(out[c] - code) <= 1.0);
        equal += out[c] == code;
        clamped += out[c] == 100;
      }
    }
    CHECK(equal >= 64 * 3 * 9 / 10);
    CHECK(clamped >= 32);  // the data reaches the ReLU
  }
}

TEST_CASE("a Relu after a MaxPool (PyTorch's F.relu(F.max_pool2d(conv(x)))) is the Conv's ReLU", "[exporters]") {
  std::mt19937 rng(43);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1, 6, 6});
  g.initializer("w", random_tensor(rng, {4, 1, 3, 3}, -0.5, 0.5));
  g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("MaxPool", {"c"}, {"p"}, "pool")
      .attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2});
  g.node("Relu", {"p"}, {"r"}, "relu");
  g.node("Flatten", {"r"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {5, 36}, -0.5, 0.5));
  g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  const Tensor calibration = random_tensor(rng, {512, 1, 6, 6}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 3);
  CHECK(p.layers[0].relu);
  CHECK(p.layers[0].out_q.zero_point == 0);  // the grid of the values after the ReLU
  CHECK(p.layers[1].kind == LayerKind::MaxPool);
  check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 6, 6}, -1, 1), 5);
}

TEST_CASE("a late Relu is refused when another node reads the values it would change, or no layer precedes it",
          "[exporters]") {
  SECTION("the requantized output is read by the Relu and by a residual Add") {
    test::GraphBuilder g = matmul_then("Relu", true);
    auto& nodes = *g.proto().mutable_graph()->mutable_node();
    for (auto& n : nodes)
      if (n.name() == "dq_out") n.set_output(0, "yd");
    g.node("Add", {"yd", "md"}, {"s"}, "residual");
    g.node("QuantizeLinear", {"s", "ys", "yz"}, {"sq"}, "q_sum");
    g.node("DequantizeLinear", {"sq", "ys", "yz"}, {"y"}, "dq_sum");
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'act' (Relu): cannot map onto the accelerator: 'md' is read by more than "
                                      "this Relu: applying it in layer 'fc'"));
  }
  SECTION("the requantized output is read by a residual Add and, through a Flatten, by the Relu") {
    test::GraphBuilder g = matmul_then("Relu", true);
    for (auto& n : *g.proto().mutable_graph()->mutable_node()) {
      if (n.name() == "act") n.set_input(0, "flat");
      if (n.name() == "dq_out") n.set_output(0, "yd");
    }
    g.node("Flatten", {"md"}, {"flat"}, "flatten");
    g.node("Add", {"yd", "md"}, {"s"}, "residual");
    g.node("QuantizeLinear", {"s", "ys", "yz"}, {"sq"}, "q_sum");
    g.node("DequantizeLinear", {"sq", "ys", "yz"}, {"y"}, "dq_sum");
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'act' (Relu): cannot map onto the accelerator: 'md' is read by more than "
                                      "this Relu"));
  }
  SECTION("a float Conv's result is read by a Flatten and, through Identity and Flatten, by the Relu") {
    std::mt19937 rng(67);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("w", random_tensor(rng, {2, 1, 3, 3}, -1, 1));
    g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.node("Identity", {"c"}, {"i"}, "identity");
    g.node("Flatten", {"i"}, {"flat"}, "flatten");
    g.node("Relu", {"flat"}, {"r"}, "act");
    g.node("Flatten", {"c"}, {"cf"}, "flatten_skip");
    g.node("Add", {"r", "cf"}, {"y"}, "sum");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 1, 4, 4}, -1, 1);
    CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                      Catch::Contains("node 'act' (Relu): cannot map onto the accelerator: 'c' is read by more than "
                                      "this Relu"));
  }
  SECTION("two Relus read one float Conv's result: the second says the first took it") {
    std::mt19937 rng(71);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("w", random_tensor(rng, {2, 1, 3, 3}, -1, 1));
    g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.node("Relu", {"c"}, {"r1"}, "act1");
    g.node("Relu", {"c"}, {"r2"}, "act2");
    g.node("Add", {"r1", "r2"}, {"y"}, "sum");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 1, 4, 4}, -1, 1);
    CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                      Catch::Contains("node 'act2' (Relu): cannot map onto the accelerator: reads 'c', the result of "
                                      "layer 'conv' before the Relu fused into it: the accelerator keeps only the "
                                      "fused result"));
  }
  SECTION("the Relu reads the network input") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 4});
    g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 16));
    g.initializer("xz", Tensor::scalar_int(DType::UInt8, 128));
    g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
    g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
    g.node("Relu", {"xd"}, {"y"}, "act");
    g.output("y");
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'act' (Relu): cannot map onto the accelerator: Relu must follow a Gemm, "
                                      "MatMul, Conv or Add"));
  }
  SECTION("the Relu reads an average pooling") {
    std::mt19937 rng(47);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("w", random_tensor(rng, {2, 1, 3, 3}, -0.5, 0.5));
    g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.node("GlobalAveragePool", {"c"}, {"p"}, "gap");
    g.node("Relu", {"p"}, {"y"}, "act");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {16, 1, 4, 4}, -1, 1);
    CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                      Catch::Contains("node 'act' (Relu): cannot map onto the accelerator: Relu must follow"));
  }
}

TEST_CASE("GlobalMaxPool is max pooling over the whole map, with a Relu after it applied in the Conv", "[exporters]") {
  std::mt19937 rng(53);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 5, 7});
  g.initializer("w", random_tensor(rng, {6, 2, 3, 3}, -0.5, 0.5));
  g.node("Conv", {"x", "w"}, {"c"}, "conv");
  g.node("GlobalMaxPool", {"c"}, {"p"}, "gmp");
  g.node("Relu", {"p"}, {"r"}, "relu");
  g.node("Flatten", {"r"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {4, 6}, -1, 1));
  g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  const Tensor calibration = random_tensor(rng, {512, 2, 5, 7}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 3);
  CHECK(p.layers[0].relu);
  CHECK(p.layers[0].out_q.zero_point == 0);
  CHECK(p.layers[1].kind == LayerKind::MaxPool);
  CHECK(p.layers[1].window.kernel_h == 3);
  CHECK(p.layers[1].window.kernel_w == 5);
  CHECK(p.layers[1].out_shape == FeatureShape{6, 1, 1});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 5, 7}, -1, 1), 4);
}

TEST_CASE("a Softmax quantized again (ONNX Runtime's QDQ classifier tail) runs on the host", "[exporters]") {
  // matmul_then's layer, its output through Softmax -> Q (scale, 0) -> DQ.
  const auto graph = [](double scale) {
    test::GraphBuilder g = matmul_then("Relu", false);
    for (auto& n : *g.proto().mutable_graph()->mutable_node())
      if (n.name() == "dq_out") n.set_output(0, "logits");
    g.node("Softmax", {"logits"}, {"p"}, "softmax").attr("axis", 1);
    g.initializer("ps", Tensor::scalar_real(DType::Float, scale));
    g.initializer("pz", Tensor::scalar_int(DType::UInt8, 0));
    g.node("QuantizeLinear", {"p", "ps", "pz"}, {"pq"}, "q_probs");
    g.node("DequantizeLinear", {"pq", "ps", "pz"}, {"y"}, "dq_probs");
    return g;
  };
  std::mt19937 rng(59);
  const test::GraphBuilder g = graph(1.0 / 256);
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 1);
  CHECK(p.output_tail == "Softmax, QuantizeLinear, DequantizeLinear");
  check_tracks_onnx(g, p, random_tensor(rng, {40, 4}, -3, 3), 3);
  // A negative scale would reverse the order the prediction reads.
  CHECK_THROWS_WITH(build_program(graph(-1.0 / 256).model()),
                    Catch::Contains("node 'q_probs' (QuantizeLinear)") && Catch::Contains("scale"));
}

TEST_CASE("a Relu after a Flatten, or a Clip(0, 6) after a MaxPool, is the layer's, on the grid after it", "[exporters]") {
  std::mt19937 rng(61);
  SECTION("Gemm -> Flatten -> Relu") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    g.initializer("w1", random_tensor(rng, {8, 6}, -1, 1));
    g.node("Gemm", {"x", "w1"}, {"h"}, "fc1").attr("transB", 1);
    g.node("Flatten", {"h"}, {"flat"}, "flatten");
    g.node("Relu", {"flat"}, {"r"}, "relu");
    g.initializer("w2", random_tensor(rng, {4, 8}, -1, 1));
    g.node("Gemm", {"r", "w2"}, {"y"}, "fc2").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {512, 6}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 2);
    CHECK(p.layers[0].relu);
    CHECK(p.layers[0].out_q.zero_point == 0);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 6}, -1, 1), 4);
  }
  SECTION("Conv -> Identity -> Flatten -> Relu -> Relu (tf2onnx's Identity, a Relu twice)") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("w", random_tensor(rng, {2, 1, 3, 3}, -1, 1));
    g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.node("Identity", {"c"}, {"i"}, "identity");
    g.node("Flatten", {"i"}, {"flat"}, "flatten");
    g.node("Relu", {"flat"}, {"r1"}, "relu1");
    g.node("Relu", {"r1"}, {"r"}, "relu2");
    g.initializer("wf", random_tensor(rng, {3, 32}, -0.5, 0.5));
    g.node("Gemm", {"r", "wf"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {512, 1, 4, 4}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 2);
    CHECK(p.layers[0].relu);
    CHECK(p.layers[0].out_q.zero_point == 0);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 4, 4}, -1, 1), 3);
  }
  SECTION("Gemm -> Flatten -> Relu -> Clip(0, 6), with every value above 6 on the calibration data") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    g.initializer("w1", random_tensor(rng, {8, 6}, -1, 1));
    g.initializer("b1", Tensor::from_reals(DType::Float, {8}, std::vector<double>(8, 20.0)));
    g.node("Gemm", {"x", "w1", "b1"}, {"h"}, "fc1").attr("transB", 1);
    g.node("Flatten", {"h"}, {"flat"}, "flatten");
    g.node("Relu", {"flat"}, {"r"}, "relu");
    g.initializer("lo", Tensor::scalar_real(DType::Float, 0));
    g.initializer("hi", Tensor::scalar_real(DType::Float, 6));
    g.node("Clip", {"r", "lo", "hi"}, {"r6"}, "relu6");
    g.initializer("w2", random_tensor(rng, {4, 8}, -1, 1));
    g.node("Gemm", {"r6", "w2"}, {"y"}, "fc2").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {256, 6}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 2);
    CHECK(p.layers[0].out_q.zero_point == 0);
    CHECK(p.layers[0].out_q.scale * 255 == Approx(6.0).epsilon(1e-6));
  }
  SECTION("Conv -> MaxPool -> Clip(0, 6)") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 6, 6});
    g.initializer("w", random_tensor(rng, {4, 1, 3, 3}, -3, 3));
    g.node("Conv", {"x", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    g.node("MaxPool", {"c"}, {"p"}, "pool")
        .attr("kernel_shape", std::vector<int64_t>{2, 2})
        .attr("strides", std::vector<int64_t>{2, 2});
    g.initializer("lo", Tensor::scalar_real(DType::Float, 0));
    g.initializer("hi", Tensor::scalar_real(DType::Float, 6));
    g.node("Clip", {"p", "lo", "hi"}, {"r"}, "relu6");
    g.node("Flatten", {"r"}, {"flat"}, "flatten");
    g.initializer("wf", random_tensor(rng, {5, 36}, -0.5, 0.5));
    g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {512, 1, 6, 6}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 3);
    // The grid is the clip's, [0, 6]: its saturation is the clip (zero point 0 needs no ReLU floor).
    CHECK(p.layers[0].out_q.zero_point == 0);
    CHECK(p.layers[0].out_q.scale * 255 == Approx(6.0).epsilon(1e-6));
    check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 6, 6}, -1, 1), 5);
  }
}

TEST_CASE("a LogSoftmax quantized again on the host is refused: its values saturate to one code", "[exporters]") {
  test::GraphBuilder g = matmul_then("Relu", false);
  for (auto& n : *g.proto().mutable_graph()->mutable_node())
    if (n.name() == "dq_out") n.set_output(0, "logits");
  g.node("LogSoftmax", {"logits"}, {"p"}, "log_softmax").attr("axis", 1);
  g.initializer("ps", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("pz", Tensor::scalar_int(DType::UInt8, 0));
  g.node("QuantizeLinear", {"p", "ps", "pz"}, {"pq"}, "q_probs");
  g.node("DequantizeLinear", {"pq", "ps", "pz"}, {"y"}, "dq_probs");
  CHECK_THROWS_WITH(build_program(g.model()),
                    Catch::Contains("node 'q_probs' (QuantizeLinear)") && Catch::Contains("LogSoftmax"));
}

namespace {
// x[?,4] -> Q -> DQ -> MatMul (int8 weights) -> Q(1/4) -> DQ -> Relu ->
// Q(1/8) -> DQ -> y, in `type` with zero point `zero`: ONNX Runtime's layout
// with symmetric activations (int8, zero point 0), where the Relu keeps its
// own QDQ pair at the narrower range's scale.
test::GraphBuilder relu_requantized(DType type, int64_t zero) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("xz", Tensor::scalar_int(type, zero));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
  g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
  g.initializer("wq", Tensor::from_ints(DType::Int8, {4, 3}, {90, -70, 20, -60, 50, -110, 30, 80, -40, -20, -90, 70}));
  g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 8));
  g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
  g.node("DequantizeLinear", {"wq", "ws", "wz"}, {"wd"}, "dq_w");
  g.node("MatMul", {"xd", "wd"}, {"m"}, "fc");
  g.initializer("ms", Tensor::scalar_real(DType::Float, 1.0 / 4));
  g.initializer("mz", Tensor::scalar_int(type, zero));
  g.node("QuantizeLinear", {"m", "ms", "mz"}, {"mq"}, "q_fc");
  g.node("DequantizeLinear", {"mq", "ms", "mz"}, {"md"}, "dq_fc");
  g.node("Relu", {"md"}, {"a"}, "relu");
  g.initializer("ys", Tensor::scalar_real(DType::Float, 1.0 / 8));
  g.initializer("yz", Tensor::scalar_int(type, zero));
  g.node("QuantizeLinear", {"a", "ys", "yz"}, {"aq"}, "q_relu");
  g.node("DequantizeLinear", {"aq", "ys", "yz"}, {"y"}, "dq_relu");
  g.output("y");
  return g;
}
}  // namespace

TEST_CASE("a QuantizeLinear to new parameters (ONNX Runtime's symmetric activations) is a requantizing layer",
          "[exporters]") {
  SECTION("MatMul -> Q -> DQ -> Relu -> Q(new scale) -> DQ, int8 with zero point 0 and uint8") {
    for (const auto& [type, zero] : {std::pair{DType::Int8, int64_t{0}}, std::pair{DType::UInt8, int64_t{90}}}) {
      INFO(dtype_name(type));
      const test::GraphBuilder g = relu_requantized(type, zero);
      const NetworkProgram p = build_program(g.model());
      REQUIRE(p.layers.size() == 2);
      CHECK(p.layers[0].relu);
      CHECK(p.layers[1].kind == LayerKind::AveragePool);
      CHECK(p.layers[1].name == "q_relu");
      CHECK(p.layers[1].window == Window{});
      CHECK(p.layers[1].in_q.scale == Approx(1.0 / 4));
      CHECK(p.layers[1].out_q.scale == Approx(1.0 / 8));
      // The ONNX semantics, up to the requantizer's rounding of ties; the
      // data reaches the ReLU and both grids' saturation.
      std::mt19937 rng(71);
      const Tensor x = random_tensor(rng, {64, 4}, -3, 3);
      const OnnxModel m = g.model();
      const Tensor y = run_batch(m, {{"x", x}}).at("y");
      const auto configs = step_configs(p, "8");
      int64_t equal = 0, zeros = 0, top = 0;
      for (int64_t i = 0; i < 64; ++i) {
        const std::vector<double> out =
            dequantize_output(p, execute_program(p, quantize_input(p, x, i), configs).output());
        for (int64_t c = 0; c < 3; ++c) {
          const double want = y.reals()[i * 3 + c];
          CHECK(std::fabs(out[c] - want) <= 1.0 / 8 + 1e-9);
          equal += std::fabs(out[c] - want) < 1e-9;
          zeros += want == 0;
          top += want >= 15.5;
        }
      }
      CHECK(equal >= 64 * 3 * 9 / 10);
      CHECK(zeros >= 32);
      CHECK(top >= 8);
    }
  }
  SECTION("Conv -> Q -> DQ -> Pad -> Q(new parameters) -> DQ -> Conv: the padding moves to the new grid") {
    std::mt19937 rng(73);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 5, 5});
    g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.initializer("xz", Tensor::scalar_int(DType::UInt8, 128));
    g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
    g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
    const auto conv = [&](const std::string& name, const std::string& in, int64_t ins, const std::string& out) {
      std::vector<int64_t> w;
      for (int64_t i = 0; i < 3 * ins * 9; ++i) w.push_back(static_cast<int64_t>(rng() % 200) - 100);
      g.initializer(name + "_wq", Tensor::from_ints(DType::Int8, {3, ins, 3, 3}, w));
      g.initializer(name + "_ws", Tensor::scalar_real(DType::Float, 1.0 / 256));
      g.initializer(name + "_wz", Tensor::scalar_int(DType::Int8, 0));
      g.node("DequantizeLinear", {name + "_wq", name + "_ws", name + "_wz"}, {name + "_wd"}, name + "_dq_w");
      g.node("Conv", {in, name + "_wd"}, {out}, name);
    };
    conv("conv1", "xd", 1, "c1");
    g.initializer("s1", Tensor::scalar_real(DType::Float, 1.0 / 32));
    g.initializer("z1", Tensor::scalar_int(DType::UInt8, 100));
    g.node("QuantizeLinear", {"c1", "s1", "z1"}, {"c1q"}, "q_conv1");
    g.node("DequantizeLinear", {"c1q", "s1", "z1"}, {"c1d"}, "dq_conv1");
    g.initializer("pads", Tensor::from_ints(DType::Int64, {8}, {0, 0, 1, 1, 0, 0, 1, 1}));
    g.node("Pad", {"c1d", "pads"}, {"c1p"}, "pad");
    g.initializer("s2", Tensor::scalar_real(DType::Float, 1.0 / 20));
    g.initializer("z2", Tensor::scalar_int(DType::UInt8, 140));
    g.node("QuantizeLinear", {"c1p", "s2", "z2"}, {"rq"}, "requant");
    g.node("DequantizeLinear", {"rq", "s2", "z2"}, {"rd"}, "dq_requant");
    conv("conv2", "rd", 3, "c2");
    g.initializer("s3", Tensor::scalar_real(DType::Float, 1.0 / 16));
    g.initializer("z3", Tensor::scalar_int(DType::UInt8, 128));
    g.node("QuantizeLinear", {"c2", "s3", "z3"}, {"c2q"}, "q_conv2");
    g.node("DequantizeLinear", {"c2q", "s3", "z3"}, {"c2d"}, "dq_conv2");
    g.node("Flatten", {"c2d"}, {"y"}, "flatten");
    g.output("y");
    const NetworkProgram p = build_program(g.model());
    REQUIRE(p.layers.size() == 3);
    CHECK(p.layers[1].kind == LayerKind::AveragePool);
    CHECK(p.layers[1].in_shape == FeatureShape{3, 3, 3});
    CHECK(p.layers[1].out_shape == FeatureShape{3, 3, 3});
    CHECK(p.layers[2].window.pad_top == 1);
    CHECK(p.layers[2].in_q.zero_point == 140);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 5, 5}, -1, 1), 27);
  }
}

namespace {
// A quantization-aware export (PyTorch's fake-quantized modules, NVIDIA's
// pytorch-quantization): the weights quantized in the graph (float weight ->
// QuantizeLinear -> DequantizeLinear), BatchNormalization left after the
// Conv, and between the layers what each exporter writes around pooling.
// `pool_requantized`: the MaxPool's output quantized again at its own scale;
// otherwise the next Conv reads the pool directly. The Gemm reads a
// GlobalAveragePool flattened before its QuantizeLinear.
test::GraphBuilder qat_cnn(std::mt19937& rng, bool pool_requantized) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1, 6, 6});
  auto qdq = [&](const std::string& from, const std::string& name, double scale, int64_t zero) {
    g.initializer(name + "_s", Tensor::scalar_real(DType::Float, scale));
    g.initializer(name + "_z", Tensor::scalar_int(DType::UInt8, zero));
    g.node("QuantizeLinear", {from, name + "_s", name + "_z"}, {name + "_q"}, "q_" + name);
    g.node("DequantizeLinear", {name + "_q", name + "_s", name + "_z"}, {name + "_d"}, "dq_" + name);
    return name + "_d";
  };
  auto weights = [&](const std::string& name, const Shape& shape, int axis) {
    const Tensor w = random_tensor(rng, shape, -0.5, 0.5);
    const int64_t outs = shape[axis];
    std::vector<double> scales(static_cast<size_t>(outs), 0.0);
    const int64_t inner = w.size() / outs / (axis == 0 ? 1 : shape[0]);
    for (int64_t i = 0; i < w.size(); ++i) {
      const size_t o = static_cast<size_t>(axis == 0 ? i / (w.size() / outs) : (i / inner) % outs);
      scales[o] = std::max(scales[o], std::fabs(w.reals()[i]) / 127);
    }
    g.initializer(name + "_f", w);
    g.initializer(name + "_ws", Tensor::from_reals(DType::Float, {outs}, scales));
    g.initializer(name + "_wz", Tensor::from_ints(DType::Int8, {outs}, std::vector<int64_t>(static_cast<size_t>(outs), 0)));
    g.node("QuantizeLinear", {name + "_f", name + "_ws", name + "_wz"}, {name + "_wq"}, "q_" + name + "_w")
        .attr("axis", int64_t{axis});
    g.node("DequantizeLinear", {name + "_wq", name + "_ws", name + "_wz"}, {name + "_wd"}, "dq_" + name + "_w")
        .attr("axis", int64_t{axis});
    return name + "_wd";
  };
  const std::string x = qdq("x", "in", 1.0 / 128, 128);
  g.node("Conv", {x, weights("conv1", {4, 1, 3, 3}, 0)}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  // Channel 2's gain is negative: its weight codes are mirrored.
  g.initializer("bn_scale", Tensor::from_reals(DType::Float, {4}, {1.5, 0.7, -1.2, 1.0}));
  g.initializer("bn_bias", Tensor::from_reals(DType::Float, {4}, {0.1, -0.2, 0.05, 0.3}));
  g.initializer("bn_mean", Tensor::from_reals(DType::Float, {4}, {0.02, -0.05, 0.1, 0.0}));
  g.initializer("bn_var", Tensor::from_reals(DType::Float, {4}, {0.8, 1.2, 0.5, 1.0}));
  g.node("BatchNormalization", {"c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"b1"}, "bn1");
  g.node("Relu", {"b1"}, {"r1"}, "relu1");
  const std::string r1 = qdq("r1", "act1", 1.0 / 40, 0);
  g.node("MaxPool", {r1}, {"p1"}, "pool")
      .attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2});
  const std::string pooled = pool_requantized ? qdq("p1", "pool_out", 1.0 / 50, 10) : "p1";
  g.node("Conv", {pooled, weights("conv2", {6, 4, 3, 3}, 0)}, {"c2"}, "conv2").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  const std::string c2 = qdq("c2", "act2", 1.0 / 20, 120);
  g.node("GlobalAveragePool", {c2}, {"gap"}, "gap");
  g.node("Flatten", {"gap"}, {"flat"}, "flatten");
  const std::string flat = qdq("flat", "gap_out", 1.0 / 40, 128);
  g.node("Gemm", {flat, weights("fc", {5, 6}, 0)}, {"logits"}, "fc").attr("transB", 1);
  qdq("logits", "out", 1.0 / 16, 128);
  g.output("out_d");
  return g;
}
}  // namespace

TEST_CASE("a quantization-aware export: weights quantized in the graph, BatchNormalization after them", "[exporters]") {
  for (const bool requantized : {false, true}) {
    INFO("pool requantized: " << requantized);
    std::mt19937 rng(79);
    const test::GraphBuilder g = qat_cnn(rng, requantized);
    const NetworkProgram p = build_program(g.model());
    // conv1 (ReLU, BatchNormalization folded), the pool, [its requantization,] conv2, the global pool, fc.
    REQUIRE(p.layers.size() == (requantized ? 6u : 5u));
    CHECK(p.layers[0].relu);
    CHECK(p.layers[1].kind == LayerKind::MaxPool);
    CHECK(p.layers[1].out_q == p.layers[1].in_q);
    if (requantized) CHECK(p.layers[2].kind == LayerKind::AveragePool);
    CHECK(p.layers.back().kind == LayerKind::FullyConnected);
    check_tracks_onnx(g, p, random_tensor(rng, {40, 1, 6, 6}, -1, 1), 5);
  }
}

TEST_CASE("ONNX Runtime's com.microsoft QuantizeLinear / DequantizeLinear build the standard ops' program",
          "[exporters]") {
  std::mt19937 rng(79), same_rng(79);
  const test::GraphBuilder standard = qat_cnn(rng, false);
  test::GraphBuilder contrib = qat_cnn(same_rng, false);
  int moved = 0;
  for (auto& n : *contrib.proto().mutable_graph()->mutable_node())
    if (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear") {
      n.set_domain("com.microsoft");
      ++moved;
    }
  REQUIRE(moved == 16);
  const Tensor x = random_tensor(rng, {8, 1, 6, 6}, -1, 1);
  CHECK(contrib.run({{"x", x}}).at("out_d").reals() == standard.run({{"x", x}}).at("out_d").reals());
  const NetworkProgram a = build_program(standard.model()), b = build_program(contrib.model());
  REQUIRE(a.layers.size() == b.layers.size());
  for (int64_t i = 0; i < 8; ++i)
    CHECK(execute_program(b, quantize_input(b, x, i), step_configs(b, "8")).output() ==
          execute_program(a, quantize_input(a, x, i), step_configs(a, "8")).output());
}

TEST_CASE("a DequantizeLinear without a zero point reads 0 of its codes' type", "[exporters]") {
  test::GraphBuilder g = matmul_then("Relu", false);
  g.initializer("zero8", Tensor::scalar_int(DType::Int8, 0));
  for (auto& n : *g.proto().mutable_graph()->mutable_node()) {
    if (n.name() == "q_in") n.set_input(2, "zero8");
    if (n.name() == "dq_in") n.mutable_input()->RemoveLast();  // int8 codes, zero point omitted: 0 of int8
  }
  const NetworkProgram p = build_program(g.model());
  CHECK(p.layers[0].in_q.zero_point == 128);  // int8 0 as the accelerator's uint8 code
  // Opset 21: the QuantizeLinear names its type with output_dtype instead.
  test::GraphBuilder g21 = matmul_then("Relu", false);
  g21.proto().mutable_opset_import(0)->set_version(21);
  for (auto& n : *g21.proto().mutable_graph()->mutable_node()) {
    if (n.name() != "q_in" && n.name() != "dq_in") continue;
    n.mutable_input()->RemoveLast();
    if (n.name() == "q_in") test::NodeRef(&n).attr("output_dtype", int64_t{3});  // TensorProto INT8
  }
  CHECK(build_program(g21.model()).layers[0].in_q.zero_point == 128);
}

TEST_CASE("a weight scale of rank 2 is refused, as ONNX refuses it", "[exporters]") {
  test::GraphBuilder g = matmul_then("Relu", false);
  g.initializer("ws2", Tensor::from_reals(DType::Float, {1, 3}, {0.125, 0.125, 0.125}));
  for (auto& n : *g.proto().mutable_graph()->mutable_node())
    if (n.name() == "dq_w") n.set_input(1, "ws2");
  CHECK_THROWS_WITH(build_program(g.model()),
                    Catch::Contains("node 'dq_w' (DequantizeLinear)") && Catch::Contains("scalars or 1-D"));
}

TEST_CASE("ONNX Runtime's QOperator contrib ops the accelerator cannot take are refused, naming the node",
          "[exporters]") {
  // x -> QuantizeLinear -> [the op under test] -> DequantizeLinear -> y.
  auto model = [](const std::string& op, const std::vector<std::string>& extra, int64_t attr_value,
                  const std::string& attr) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 4});
    g.initializer("s", Tensor::scalar_real(DType::Float, 1.0 / 16));
    g.initializer("z", Tensor::scalar_int(DType::UInt8, 128));
    g.initializer("w", Tensor::from_ints(DType::Int8, {4, 4}, std::vector<int64_t>(16, 3)));
    g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
    g.initializer("c", Tensor::from_ints(DType::UInt8, {4}, {1, 2, 3, 4}));
    g.node("QuantizeLinear", {"x", "s", "z"}, {"xq"}, "q_in");
    std::vector<std::string> inputs{"xq"};
    inputs.insert(inputs.end(), extra.begin(), extra.end());
    auto n = g.node(op, inputs, {"yq"}, "contrib");
    n.domain("com.microsoft");
    if (!attr.empty()) n.attr(attr, attr_value);
    g.node("DequantizeLinear", {"yq", "s", "z"}, {"y"}, "dq_out");
    g.output("y");
    return g;
  };
  const std::vector<std::string> gemm{"s", "z", "w", "ws", "wz", "", "s", "z"};
  CHECK_THROWS_WITH(build_program(model("QGemm", {"s", "z", "w", "ws", "wz"}, 0, "").model()),
                    Catch::Contains("node 'contrib' (QGemm)") && Catch::Contains("without y_scale"));
  CHECK_THROWS_WITH(build_program(model("QGemm", {"s", "z", "w", "ws", "", "", "s", "z"}, 0, "").model()),
                    Catch::Contains("node 'contrib' (QGemm)") && Catch::Contains("input 5 must be a constant"));
  CHECK_THROWS_WITH(build_program(model("QGemm", gemm, 1, "transA").model()), Catch::Contains("transA"));
  // A fully connected QGemm maps, with its B transposed or not.
  CHECK(build_program(model("QGemm", gemm, 1, "transB").model()).layers.size() == 1);
  CHECK(build_program(model("QGemm", gemm, 0, "transB").model()).layers.size() == 1);
}

TEST_CASE("QLinearGlobalAveragePool over an NHWC map (channels_last) is refused", "[exporters]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 3, 3});
  g.initializer("s", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("z", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"x", "s", "z"}, {"xq"}, "q_in");
  g.node("QLinearGlobalAveragePool", {"xq", "s", "z", "s", "z"}, {"yq"}, "gap").domain("com.microsoft").attr("channels_last", 1);
  g.node("DequantizeLinear", {"yq", "s", "z"}, {"y"}, "dq_out");
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("node 'gap' (QLinearGlobalAveragePool)") &&
                                                  Catch::Contains("channels_last"));
}

namespace {

// x -> Q -> QLinearMatMul (output range [-1, 1]) -> QLinearAdd(+-2.5 per column) -> DQ, the
// constant's codes of `b_type` (ONNX Runtime requires A's, uint8); or, `qdq`, the same in
// ONNX Runtime's QDQ layout without its pre-processing: DQ -> MatMul -> Q/DQ -> Add(DQ(b)) -> Q/DQ.
test::GraphBuilder qlinear_bias_add_model(DType b_type, bool qdq = false) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("xz", Tensor::scalar_int(DType::UInt8, 128));
  g.initializer("w", Tensor::from_ints(DType::Int8, {4, 3}, {90, -70, 20, -60, 50, -110, 30, 80, -40, -20, -90, 70}));
  g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 64));
  g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
  g.initializer("as", Tensor::scalar_real(DType::Float, 2.0 / 255));
  g.initializer("az", Tensor::scalar_int(DType::UInt8, 128));
  const int64_t b_zero = b_type == DType::UInt8 ? 128 : 0;
  g.initializer("b", Tensor::from_ints(b_type, {3}, {b_zero + 100, b_zero - 100, b_zero}));  // +2.5, -2.5, 0 at 1/40
  g.initializer("bs", Tensor::scalar_real(DType::Float, 1.0 / 40));
  g.initializer("bz", Tensor::scalar_int(b_type, b_zero));
  g.initializer("cs", Tensor::scalar_real(DType::Float, 7.0 / 255));
  g.initializer("cz", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
  if (qdq) {
    g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
    g.node("DequantizeLinear", {"w", "ws", "wz"}, {"wd"}, "dq_w");
    g.node("MatMul", {"xd", "wd"}, {"m"}, "fc");
    g.node("QuantizeLinear", {"m", "as", "az"}, {"mq"}, "q_fc");
    g.node("DequantizeLinear", {"mq", "as", "az"}, {"md"}, "dq_fc");
    g.node("DequantizeLinear", {"b", "bs", "bz"}, {"bd"}, "dq_b");
    g.node("Add", {"md", "bd"}, {"a"}, "bias");
    g.node("QuantizeLinear", {"a", "cs", "cz"}, {"yq"}, "q_bias");
  } else {
    g.node("QLinearMatMul", {"xq", "xs", "xz", "w", "ws", "wz", "as", "az"}, {"mq"}, "fc");
    g.node("QLinearAdd", {"mq", "as", "az", "b", "bs", "bz", "cs", "cz"}, {"yq"}, "bias").domain("com.microsoft");
  }
  g.node("DequantizeLinear", {"yq", "cs", "cz"}, {"y"}, "dq_out");
  g.output("y");
  return g;
}

}  // namespace

TEST_CASE("QLinearAdd of a constant, or an Add of one after Q / DQ, is a layer of its own", "[exporters]") {
  // A saturated by its producer, then the constant added.
  // A bias folded into the MatMul would skip A's saturation at +-1 (ONNX keeps it).
  const bool qdq = GENERATE(false, true);
  INFO((qdq ? "QDQ layout" : "QOperator layout"));
  const test::GraphBuilder g = qlinear_bias_add_model(DType::UInt8, qdq);
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 2);
  CHECK(p.layers[1].kind == LayerKind::Conv);
  CHECK(p.layers[1].groups == 3);
  std::mt19937 rng(83);
  const Tensor x = random_tensor(rng, {64, 4}, -3, 3);
  const OnnxModel m = g.model();
  const Tensor y = run_batch(m, {{"x", x}}).at("y");
  const auto configs = step_configs(p, "8");
  int64_t saturated = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const std::vector<double> out = dequantize_output(p, execute_program(p, quantize_input(p, x, i), configs).output());
    for (int64_t c = 0; c < 3; ++c) {
      CHECK(std::fabs(out[c] - y.reals()[i * 3 + c]) <= 7.0 / 255 + 1e-6);
      saturated += std::fabs(std::fabs(y.reals()[i * 3 + c] - (c == 0 ? 2.5 : c == 1 ? -2.5 : 0)) - 1.0) < 0.05;
    }
  }
  CHECK(saturated >= 32);  // A's saturation decides many outputs
  // Midpoint reduction would read the unit weights as 1.5 at 2 bits: the Add's
  // layer keeps rounding half up, so it computes as in the rounding program.
  NetworkProgram mid = p;
  mid.set_weight_reduction(WeightReduction::Midpoint);
  CHECK(mid.layers[0].weight_reduction == WeightReduction::Midpoint);
  CHECK(mid.layers[1].weight_reduction == WeightReduction::RoundHalfUp);
  for (int64_t i = 0; i < 8; ++i)
    CHECK(execute_program(mid, quantize_input(mid, x, i), step_configs(mid, "map:8,2")).output() ==
          execute_program(p, quantize_input(p, x, i), step_configs(p, "map:8,2")).output());
}

TEST_CASE("QLinearAdd of int8 constant codes to a uint8 map is refused, as ONNX semantics refuse it", "[exporters]") {
  const test::GraphBuilder g = qlinear_bias_add_model(DType::Int8);
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {1, 4}, {0, 0, 0, 0})}}),
                    Catch::Contains("A and B must have one type"));
  CHECK_THROWS_WITH(build_program(g.model()),
                    Catch::Contains("node 'bias' (QLinearAdd): A holds uint8 codes and B int8"));
}

TEST_CASE("a bias Add, a constant Mul or a BatchNormalization after a Transpose of a layer's result is refused",
          "[exporters]") {
  for (const std::string op : {"Add", "Mul", "BatchNormalization"}) {
    INFO(op);
    std::mt19937 rng(89);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("xs", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.initializer("xz", Tensor::scalar_int(DType::UInt8, 128));
    g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_in");
    g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_in");
    g.initializer("w", Tensor::from_ints(DType::Int8, {4, 1, 1, 1}, {10, 20, 30, 40}));
    g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
    g.node("DequantizeLinear", {"w", "ws", "wz"}, {"wd"}, "dq_w");
    g.node("Conv", {"xd", "wd"}, {"c"}, "conv");
    // [N, C, H, W] -> [N, H, C, W]: axis 1 is H, which has the channels' count.
    g.node("Transpose", {"c"}, {"t"}, "swap").attr("perm", std::vector<int64_t>{0, 2, 1, 3});
    if (op == "Add" || op == "Mul") {
      g.initializer("bias", random_tensor(rng, {4, 1, 1}, 0.5, 1));
      g.node(op, {"t", "bias"}, {"b"}, "op");
    } else {
      for (const char* name : {"g", "beta", "mean"}) g.initializer(name, random_tensor(rng, {4}, 0.5, 1.5));
      g.initializer("var", random_tensor(rng, {4}, 0.5, 1.5));
      g.node("BatchNormalization", {"t", "g", "beta", "mean", "var"}, {"b"}, "op");
    }
    g.initializer("ys", Tensor::scalar_real(DType::Float, 1.0 / 16));
    g.initializer("yz", Tensor::scalar_int(DType::UInt8, 128));
    g.node("QuantizeLinear", {"b", "ys", "yz"}, {"yq"}, "q_out");
    g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"y"}, "dq_out");
    g.output("y");
    const std::string why = op == "Add"   ? "adds a constant to layer 'conv''s output"
                            : op == "Mul" ? "multiplies layer 'conv''s output by a constant"
                                          : "normalizes a layer's output";
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'op' (" + op + "): cannot map onto the accelerator: " + why +
                                      " after a Transpose moved its channels"));
  }
}

TEST_CASE("a MaxPool left unquantized as the graph output is on its input's grid", "[exporters]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1, 4, 4});
  g.initializer("s", Tensor::scalar_real(DType::Float, 1.0 / 64));
  g.initializer("z", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"x", "s", "z"}, {"xq"}, "q_in");
  g.node("DequantizeLinear", {"xq", "s", "z"}, {"xd"}, "dq_in");
  g.initializer("w", Tensor::from_ints(DType::Int8, {2, 1, 1, 1}, {40, -40}));
  g.initializer("ws", Tensor::scalar_real(DType::Float, 1.0 / 64));
  g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
  g.node("DequantizeLinear", {"w", "ws", "wz"}, {"wd"}, "dq_w");
  g.node("Conv", {"xd", "wd"}, {"c"}, "conv");
  g.node("QuantizeLinear", {"c", "s", "z"}, {"cq"}, "q_conv");
  g.node("DequantizeLinear", {"cq", "s", "z"}, {"cd"}, "dq_conv");
  g.node("MaxPool", {"cd"}, {"y"}, "pool").attr("kernel_shape", std::vector<int64_t>{2, 2});
  g.output("y");
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 2);
  CHECK(p.layers[1].kind == LayerKind::MaxPool);
  CHECK(p.layers[1].out_q == p.layers[1].in_q);
}

TEST_CASE("Gemm's alpha folds into the weights and its beta into the bias", "[exporters]") {
  std::mt19937 rng(17);
  SECTION("float weights") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    g.initializer("w", random_tensor(rng, {4, 6}, -1, 1));
    g.initializer("b", random_tensor(rng, {4}, -1, 1));
    g.node("Gemm", {"x", "w", "b"}, {"y"}, "fc").attr("transB", 1).attr("alpha", 0.5f).attr("beta", 3.0f);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
    check_tracks_onnx(g, build_program(g.model(), &calibration), random_tensor(rng, {40, 6}, -1, 1), 4);
  }
  SECTION("quantized weights and bias, a negative beta") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    const std::string xd = test::uint8_quant(g, "x", 2.0 / 255, 128);
    test::int8_weights(g, rng, "w", {4, 6});
    g.initializer("b.q", Tensor::from_ints(DType::Int32, {4}, {300, -200, 50, 0}));
    g.initializer("b.s", Tensor::scalar_real(DType::Float, 0.001));
    g.initializer("b.z", Tensor::scalar_int(DType::Int32, 0));
    g.node("DequantizeLinear", {"b.q", "b.s", "b.z"}, {"b"}, "dq_b");
    g.node("Gemm", {xd, "w", "b"}, {"y"}, "fc").attr("transB", 1).attr("alpha", 0.25f).attr("beta", -2.0f);
    const double out_scale = 1.0 / 255;
    g.node("Flatten", {test::uint8_quant(g, "y", out_scale, 128)}, {"out"}, "flatten");
    g.output("out");
    const OnnxModel m = g.model();
    const test::CodeComparison c =
        test::compare_output_codes(m, build_program(m), random_tensor(rng, {40, 6}, -1, 1), out_scale);
    CHECK(c.far == 0);
    CHECK(c.differ <= 2);  // of 160: float near-ties only
  }
  SECTION("alpha <= 0 cannot scale quantized weights") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    const std::string xd = test::uint8_quant(g, "x", 2.0 / 255, 128);
    test::int8_weights(g, rng, "w", {4, 6});
    g.node("Gemm", {xd, "w"}, {"y"}, "fc").attr("transB", 1).attr("alpha", -1.0f);
    g.node("Flatten", {test::uint8_quant(g, "y", 1.0 / 255, 128)}, {"out"}, "flatten");
    g.output("out");
    CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("node 'fc' (Gemm)") &&
                                                    Catch::Contains("alpha -1 with quantized weights"));
  }
}

TEST_CASE("ceil_mode average pooling maps where the ceiling adds no window, and is refused where it does", "[exporters]") {
  for (const int64_t side : {8, 7}) {
    INFO("map " << side << "x" << side);
    std::mt19937 rng(19);
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 2, side, side});
    g.node("AveragePool", {"x"}, {"p"}, "pool")
        .attr("kernel_shape", std::vector<int64_t>{2, 2})
        .attr("strides", std::vector<int64_t>{2, 2})
        .attr("ceil_mode", int64_t{1});
    g.node("Flatten", {"p"}, {"flat"}, "flatten");
    const int64_t cells = 2 * ((side + 1) / 2) * ((side + 1) / 2);
    g.initializer("wf", random_tensor(rng, {3, cells}, -0.3, 0.3));
    g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 2, side, side}, -1, 1);
    if (side == 8) {
      check_tracks_onnx(g, build_program(g.model(), &calibration), random_tensor(rng, {40, 2, side, side}, -1, 1), 3);
    } else {
      CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                        Catch::Contains("node 'pool' (AveragePool)") && Catch::Contains("last window runs past the map"));
    }
  }
}

TEST_CASE("Gemm's C broadcasts: one value for every channel maps, one per sample is refused", "[exporters]") {
  std::mt19937 rng(23);
  for (const bool quantized : {false, true})
  for (const Shape& c_shape : {Shape{}, Shape{1}, Shape{1, 1}, Shape{1, 4}, Shape{4, 1}}) {
    INFO("C " << shape_string(c_shape) << (quantized ? ", int32 codes through DequantizeLinear" : ", float"));
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 6});
    g.initializer("w", random_tensor(rng, {4, 6}, -1, 1));
    if (quantized) {
      const Tensor values = random_tensor(rng, c_shape, 1, 2);
      std::vector<int64_t> codes;
      for (double v : values.reals()) codes.push_back(std::lround(v / 0.01));
      g.initializer("c.q", Tensor::from_ints(DType::Int32, c_shape, codes));
      g.initializer("c.s", Tensor::scalar_real(DType::Float, 0.01));
      g.initializer("c.z", Tensor::scalar_int(DType::Int32, 0));
      g.node("DequantizeLinear", {"c.q", "c.s", "c.z"}, {"c"}, "dq_c");
    } else {
      g.initializer("c", random_tensor(rng, c_shape, 1, 2));
    }
    g.node("Gemm", {"x", "w", "c"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
    if (c_shape == Shape{4, 1}) {
      CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                        Catch::Contains("node 'fc' (Gemm)") && Catch::Contains("[4,1]"));
    } else {
      check_tracks_onnx(g, build_program(g.model(), &calibration), random_tensor(rng, {40, 6}, -1, 1), 4);
    }
  }
}

TEST_CASE("a convolution of a fully connected layer's output reshaped to a map says it is a view", "[exporters]") {
  std::mt19937 rng(29);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 6});
  g.initializer("w", random_tensor(rng, {32, 6}, -1, 1));
  g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
  g.initializer("shape", Tensor::from_ints(DType::Int64, {4}, {-1, 2, 4, 4}));
  g.node("Reshape", {"h", "shape"}, {"map"}, "to_map");
  g.initializer("k", random_tensor(rng, {3, 2, 3, 3}, -1, 1));
  g.node("Conv", {"map", "k"}, {"y"}, "decode").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 6}, -1, 1);
  CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                    Catch::Contains("node 'decode' (Conv)") &&
                        Catch::Contains("reads [N,2,4,4], a reshaped or transposed view of a value stored as 32 "
                                        "channels of 1x1"));
}
