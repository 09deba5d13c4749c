// Partly quantized models, as TensorRT's pytorch-quantization exports them:
// QuantizeLinear / DequantizeLinear on each layer's input and weights only,
// so a convolution's result reaches a residual Add float, the pooled
// features are float, and the logits leave the graph float. The values the
// model leaves float are quantized from calibration ranges, as a float
// model's are; every other value keeps the model's own parameters.

#include <catch2/catch.hpp>
#include <random>

#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/import/tests/qdq_graph.hpp"
#include "golden/import/tests/tracks_onnx.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"

using namespace aps;
using aps::test::check_tracks_onnx;
using aps::test::fake_quant;
using aps::test::int8_weights;
using aps::test::random_tensor;

namespace {

// A residual block and a classifier: the input quantized (shared by the
// first convolution and the residual path, as the residual quantizer
// reads it), conv1 -> Relu -> quantized -> conv2, conv2's float result
// added to the quantized input, Relu, GlobalAveragePool read float,
// Flatten -> quantized -> Gemm, float logits.
test::GraphBuilder trt_residual_block(std::mt19937& rng) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 6, 6});
  const std::string xd = fake_quant(g, "x", 1.0 / 127);
  int8_weights(g, rng, "w1", {4, 2, 3, 3});
  g.initializer("b1", random_tensor(rng, {4}, -0.1, 0.1));
  g.node("Conv", {xd, "w1", "b1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Relu", {"c1"}, {"r1"}, "relu1");
  int8_weights(g, rng, "w2", {2, 4, 3, 3});
  g.initializer("b2", random_tensor(rng, {2}, -0.1, 0.1));
  g.node("Conv", {fake_quant(g, "r1", 2.0 / 127), "w2", "b2"}, {"c2"}, "conv2")
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Add", {"c2", xd}, {"s"}, "add");
  g.node("Relu", {"s"}, {"r"}, "relu2");
  g.node("GlobalAveragePool", {"r"}, {"gap"}, "gap");
  g.node("Flatten", {"gap"}, {"f"}, "flatten");
  int8_weights(g, rng, "wf", {5, 2});
  g.initializer("bf", random_tensor(rng, {5}, -0.1, 0.1));
  g.node("Gemm", {fake_quant(g, "f", 1.0 / 127), "wf", "bf"}, {"logits"}, "fc").attr("transB", int64_t{1});
  g.output("logits");
  return g;
}

}  // namespace

TEST_CASE("a partly quantized model without calibration data is refused, naming the value it leaves float",
          "[partly_quantized]") {
  std::mt19937 rng(5);
  const OnnxModel m = trt_residual_block(rng).model();
  CHECK_THROWS_AS(build_program(m), PartlyQuantizedError);
  CHECK_THROWS_WITH(build_program(m), Catch::Contains("node 'add' (Add): 'c2' is read before it is quantized") &&
                                          Catch::Contains("give calibration data (--calibration DIR)"));
  const auto why = why_ranges_needed(m);
  REQUIRE(why);
  CHECK_THAT(*why, Catch::Contains("node 'add' (Add): 'c2' is read before it is quantized"));
}

TEST_CASE("a partly quantized model quantizes the values it leaves float from calibration ranges, and keeps its own "
          "parameters elsewhere",
          "[partly_quantized]") {
  std::mt19937 rng(7);
  const test::GraphBuilder g = trt_residual_block(rng);
  const OnnxModel m = g.model();
  const Tensor calibration = random_tensor(rng, {128, 2, 6, 6}, -1, 1);
  const ActivationRanges ranges = activation_ranges(m, calibration, RangeMethod::MinMax);
  const NetworkProgram p = build_program(m, ranges);
  REQUIRE(p.layers.size() == 5);
  const auto layer = [&](const std::string& name) -> const Layer& {
    for (const Layer& l : p.layers)
      if (l.name == name) return l;
    FAIL("no layer " << name);
    throw;
  };
  const auto from_range = [&](const std::string& value) {
    return activation_quant_from_range(ranges.at(value).first, ranges.at(value).second);
  };
  // The model's own parameters where it quantizes: the input, conv1's result (r1's Q).
  CHECK(layer("conv1").in_q == ActivationQuant{static_cast<float>(1.0 / 127), 128});
  CHECK(layer("conv1").out_q == ActivationQuant{static_cast<float>(2.0 / 127), 128});
  CHECK(layer("gap").out_q == ActivationQuant{static_cast<float>(1.0 / 127), 128});
  // Calibration ranges where it does not: conv2's result read by the Add, the
  // Add's (with its Relu) read by the pooling, and the logits.
  CHECK(layer("conv2").out_q == from_range("c2"));
  CHECK(layer("add").out_q == from_range("r"));
  CHECK(layer("add").relu);
  CHECK(layer("fc").out_q == from_range("logits"));
  // The same program from a calibration batch.
  const NetworkProgram q = build_program(m, &calibration);
  CHECK(q.layers.back().out_q == p.layers.back().out_q);
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 6, 6}, -1, 1), 5);
}

TEST_CASE("a partly quantized model whose first layer reads the float graph input quantizes it from its range",
          "[partly_quantized]") {
  std::mt19937 rng(11);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 6});
  int8_weights(g, rng, "w", {3, 6});
  g.node("Gemm", {"x", "w"}, {"m"}, "fc").attr("transB", int64_t{1});
  g.output(fake_quant(g, "m", 3.0 / 127));
  const OnnxModel m = g.model();
  CHECK_THROWS_WITH(build_program(m), Catch::Contains("node 'fc' (Gemm): reads 'x', the graph input, unquantized"));
  const Tensor calibration = random_tensor(rng, {64, 6}, -2, 1);
  const ActivationRanges ranges = activation_ranges(m, calibration, RangeMethod::MinMax);
  const NetworkProgram p = build_program(m, ranges);
  REQUIRE(p.layers.size() == 1);
  CHECK(p.layers[0].in_q == activation_quant_from_range(ranges.at("x").first, ranges.at("x").second));
  CHECK(p.layers[0].out_q == ActivationQuant{static_cast<float>(3.0 / 127), 128});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 6}, -2, 1), 3);
}

TEST_CASE("a fully quantized model needs no ranges, and ranges given change nothing", "[partly_quantized]") {
  std::mt19937 rng(13);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 6});
  int8_weights(g, rng, "w", {3, 6});
  g.node("Gemm", {fake_quant(g, "x", 1.0 / 127), "w"}, {"m"}, "fc").attr("transB", int64_t{1});
  g.output(fake_quant(g, "m", 3.0 / 127));
  const OnnxModel m = g.model();
  CHECK_FALSE(why_ranges_needed(m));
  const NetworkProgram plain = build_program(m);
  const NetworkProgram ranged = build_program(m, activation_ranges(m, random_tensor(rng, {64, 6}, -2, 1),
                                                                   RangeMethod::MinMax));
  REQUIRE(ranged.layers.size() == 1);
  CHECK(ranged.layers[0].in_q == plain.layers[0].in_q);
  CHECK(ranged.layers[0].out_q == plain.layers[0].out_q);
  CHECK(ranged.layers[0].multipliers == plain.layers[0].multipliers);
}

TEST_CASE("a layer's float result max pooled and then quantized takes the QuantizeLinear's parameters",
          "[partly_quantized]") {
  // conv -> Relu -> MaxPool -> Q/DQ -> Gemm: no calibration data needed, and no
  // requantizing layer after the pooling. The QuantizeLinear's parameters are
  // initializers or, as torch.onnx writes them, Constant nodes after the MaxPool.
  const bool constant_nodes = GENERATE(false, true);
  INFO("Constant nodes: " << constant_nodes);
  std::mt19937 rng(17);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 6, 6});
  int8_weights(g, rng, "w1", {4, 2, 3, 3});
  g.node("Conv", {fake_quant(g, "x", 1.0 / 127), "w1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Relu", {"c1"}, {"r1"}, "relu1");
  g.node("MaxPool", {"r1"}, {"p1"}, "pool1")
      .attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2});
  g.node("Flatten", {fake_quant(g, "p1", 2.0 / 127, constant_nodes)}, {"f"}, "flatten");
  int8_weights(g, rng, "wf", {5, 36});
  g.node("Gemm", {"f", "wf"}, {"m"}, "fc").attr("transB", int64_t{1});
  g.output(fake_quant(g, "m", 4.0 / 127));
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 3);
  CHECK(p.layers[0].out_q == ActivationQuant{static_cast<float>(2.0 / 127), 128});
  CHECK(p.layers[0].relu);
  CHECK(p.layers[1].kind == LayerKind::MaxPool);
  CHECK(p.layers[1].out_q == p.layers[0].out_q);
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 6, 6}, -1, 1), 5);
}

TEST_CASE("a network input read both quantized and raw is refused, naming the two quantizations",
          "[partly_quantized]") {
  // relu(conv(Q(x)) + x): the accelerator holds one copy of its input, at one grid.
  std::mt19937 rng(19);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 4, 4});
  int8_weights(g, rng, "w", {2, 2, 3, 3});
  g.node("Conv", {fake_quant(g, "x", 1.0 / 127), "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Add", {"c", "x"}, {"s"}, "add");
  g.node("Relu", {"s"}, {"y"}, "relu");
  g.output("y");
  const OnnxModel m = g.model();
  const ActivationRanges ranges = activation_ranges(m, random_tensor(rng, {32, 2, 4, 4}, -2, 2), RangeMethod::MinMax);
  CHECK_THROWS_WITH(build_program(m, ranges),
                    Catch::Contains("node 'add' (Add): cannot map onto the accelerator: reads the network input a "
                                    "second time, at another quantization") &&
                        Catch::Contains("where it was first read"));
}

TEST_CASE("a layer with a Clip, max pooled and then quantized, keeps its measured grid", "[partly_quantized]") {
  // conv -> Clip(0, 0.5) -> MaxPool -> Q at a wider range: the Clip's bound lies inside the
  // QuantizeLinear's grid, which the layer cannot saturate at; its calibration range ends at
  // the bound, and a requantizing layer follows the pooling.
  std::mt19937 rng(31);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 6, 6});
  int8_weights(g, rng, "w1", {4, 2, 3, 3});
  g.node("Conv", {fake_quant(g, "x", 1.0 / 127), "w1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.initializer("lo", Tensor::scalar_real(DType::Float, 0));
  g.initializer("hi", Tensor::scalar_real(DType::Float, 0.5));
  g.node("Clip", {"c1", "lo", "hi"}, {"r1"}, "clip1");
  g.node("MaxPool", {"r1"}, {"p1"}, "pool1")
      .attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2});
  g.node("Flatten", {fake_quant(g, "p1", 1.0 / 127)}, {"f"}, "flatten");
  int8_weights(g, rng, "wf", {5, 36});
  g.node("Gemm", {"f", "wf"}, {"m"}, "fc").attr("transB", int64_t{1});
  g.output(fake_quant(g, "m", 4.0 / 127));
  const OnnxModel m = g.model();
  CHECK_THROWS_AS(build_program(m), PartlyQuantizedError);
  const ActivationRanges ranges = activation_ranges(m, random_tensor(rng, {64, 2, 6, 6}, -1, 1), RangeMethod::MinMax);
  const NetworkProgram p = build_program(m, ranges);
  REQUIRE(p.layers.size() == 4);
  CHECK(p.layers[1].kind == LayerKind::MaxPool);
  CHECK(p.layers[2].kind == LayerKind::AveragePool);  // the requantizing layer
  CHECK(p.layers[2].out_q == ActivationQuant{static_cast<float>(1.0 / 127), 128});
  check_tracks_onnx(g, p, random_tensor(rng, {40, 2, 6, 6}, -1, 1), 5);
}
