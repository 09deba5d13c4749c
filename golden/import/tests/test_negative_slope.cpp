// LeakyRelu and PRelu: the slope of negative values, in a layer's output
// stage or in a requantizing layer between two quantizers.

#include <catch2/catch.hpp>
#include <algorithm>
#include <random>

#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"
#include "qdq_graph.hpp"
#include "tracks_onnx.hpp"

using namespace aps;
using test::random_tensor;

namespace {

// x -> Q -> DQ -> Conv -> Q (grid [-8, 8]) -> DQ -> `op` -> Q (grid
// [lo, 8]) -> DQ -> Flatten, `op` a LeakyRelu(0.2) or a PRelu of a quantized
// slope per channel.
test::GraphBuilder slope_between_quantizers(const std::string& op, double lo) {
  std::mt19937 rng(61);
  test::GraphBuilder g(13);
  test::qdq_conv_head(g, rng);
  const std::string cd = test::uint8_quant(g, "c", 16.0 / 255, 128);
  if (op == "LeakyRelu") {
    g.node("LeakyRelu", {cd}, {"r"}, "leaky").attr("alpha", 0.2f);
  } else {
    // slopes 0.5 and -0.25 as int8 codes of scale 1/128
    g.initializer("slope.q", Tensor::from_ints(DType::Int8, {2, 1, 1}, {64, -32}));
    g.initializer("slope.s", Tensor::scalar_real(DType::Float, 1.0 / 128));
    g.initializer("slope.z", Tensor::scalar_int(DType::Int8, 0));
    g.node("DequantizeLinear", {"slope.q", "slope.s", "slope.z"}, {"slope"}, "dq_slope");
    g.node("PRelu", {cd, "slope"}, {"r"}, "prelu");
  }
  g.node("Flatten", {test::uint8_quant(g, "r", (8.0 - lo) / 255, std::lround(-lo * 255 / (8.0 - lo)))}, {"y"},
         "flatten");
  g.output("y");
  return g;
}

// The program's codes against ONNX's: the same rounding of the same codes,
// apart from the multiplier's last bits at a tie.
void check_codes(const test::GraphBuilder& g, double lo) {
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  REQUIRE(p.layers.size() == 2);
  CHECK(p.layers[1].kind == LayerKind::AveragePool);  // the requantizing layer
  CHECK(p.layers[1].leaky());
  std::mt19937 rng(62);
  const Tensor x = random_tensor(rng, {20, 1, 4, 4}, -2, 2);
  const test::CodeComparison c = test::compare_output_codes(m, p, x, (8.0 - lo) / 255);
  const auto& y = c.onnx.reals();
  CHECK(std::count_if(y.begin(), y.end(), [](double v) { return v < -0.05; }) > 10);  // the slope bites
  CHECK(c.far == 0);
  CHECK(c.differ * 50 <= c.onnx.size());
}

// x -> Conv -> LeakyRelu(0.1) -> Conv -> PRelu (per channel, one negative)
// -> Flatten -> Gemm, float.
test::GraphBuilder float_slopes(std::mt19937& rng, const Tensor& slope) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 4, 4});
  g.initializer("w1", random_tensor(rng, {3, 2, 3, 3}, -0.5, 0.5));
  g.node("Conv", {"x", "w1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("LeakyRelu", {"c1"}, {"l1"}, "leaky1").attr("alpha", 0.1f);
  g.initializer("w2", random_tensor(rng, {3, 3, 3, 3}, -0.5, 0.5));
  g.node("Conv", {"l1", "w2"}, {"c2"}, "conv2").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.initializer("slope", slope);
  g.node("PRelu", {"c2", "slope"}, {"p2"}, "prelu2");
  g.node("Flatten", {"p2"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {4, 48}, -0.3, 0.3));
  g.node("Gemm", {"flat", "wf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  return g;
}

Tensor channel_slope(std::vector<double> v, std::vector<int64_t> dims) {
  return Tensor::from_reals(DType::Float, std::move(dims), std::move(v));
}

}  // namespace

TEST_CASE("a LeakyRelu or PRelu between two quantizers is a requantizing layer with the slope", "[negative_slope]") {
  check_codes(slope_between_quantizers("LeakyRelu", -2), -2);
  check_codes(slope_between_quantizers("PRelu", -2), -2);
}

TEST_CASE("a float layer's LeakyRelu and PRelu are its output stage, one slope per channel", "[negative_slope]") {
  std::mt19937 rng(63);
  const test::GraphBuilder g = float_slopes(rng, channel_slope({0.25, -0.5, 1.0}, {3, 1, 1}));
  // Checked on its calibration samples: a sample beyond the calibrated ranges
  // saturates, which is not what this test is about.
  const Tensor calibration = random_tensor(rng, {64, 2, 4, 4}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 3);
  CHECK(p.layers[0].negative_slopes == std::vector<int32_t>(3, slope_code(0.1f)));
  CHECK(p.layers[1].negative_slopes == std::vector<int32_t>{kUnitSlope / 4, -kUnitSlope / 2, kUnitSlope});
  CHECK_FALSE(p.layers[2].leaky());
  test::check_tracks_onnx(g, p, calibration, 4);
}

TEST_CASE("slopes the output stage cannot hold are refused, naming the node", "[negative_slope]") {
  std::mt19937 rng(64);
  const Tensor calibration = random_tensor(rng, {16, 2, 4, 4}, -1, 1);
  auto build = [&](const Tensor& slope) { return build_program(float_slopes(rng, slope).model(), &calibration); };
  CHECK_THROWS_WITH(build(channel_slope({0.25, 1.5, 0.0}, {3, 1, 1})),
                    Catch::Contains("node 'prelu2' (PRelu)") && Catch::Contains("slope 1.5 of channel 1 is beyond [-1, 1]"));
  // One slope per column of the map, not per channel.
  CHECK_THROWS_WITH(build(channel_slope({0.1, 0.2, 0.3, 0.4}, {4})),
                    Catch::Contains("node 'prelu2' (PRelu)") && Catch::Contains("the slope varies within channel 0"));
  CHECK_THROWS_WITH(build(channel_slope({0.1, 0.2}, {2, 1, 1})), Catch::Contains("do not broadcast"));
}

TEST_CASE("a ReLU after a negative slope is refused, after slopes of at least 0 it is the layer's ReLU",
          "[negative_slope]") {
  std::mt19937 rng(65);
  for (const double s : {0.5, -0.5}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 4});
    g.initializer("w", random_tensor(rng, {3, 4}, -1, 1));
    g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
    g.node("LeakyRelu", {"h"}, {"l"}, "leaky").attr("alpha", static_cast<float>(s));
    g.node("Relu", {"l"}, {"y"}, "relu");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {16, 4}, -1, 1);
    if (s < 0) {
      CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                        Catch::Contains("node 'relu' (Relu)") && Catch::Contains("follows a negative slope"));
    } else {
      const NetworkProgram p = build_program(g.model(), &calibration);
      CHECK(p.layers[0].relu);
      CHECK_FALSE(p.layers[0].leaky());
    }
  }
}

TEST_CASE("a constant Mul after a LeakyRelu does not fold into the layer", "[negative_slope]") {
  std::mt19937 rng(66);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("w", random_tensor(rng, {3, 4}, -1, 1));
  g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
  g.node("LeakyRelu", {"h"}, {"l"}, "leaky");
  g.initializer("k", random_tensor(rng, {3}, 0.5, 1));
  g.node("Mul", {"l", "k"}, {"y"}, "scale");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {16, 4}, -1, 1);
  CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                    Catch::Contains("node 'scale' (Mul)") && Catch::Contains("right before it (before any activation)"));
}

TEST_CASE("a slope on a layer whose multiplier would be held at 255 is refused", "[negative_slope]") {
  std::mt19937 rng(67);
  test::GraphBuilder g(13);
  test::qdq_conv_head(g, rng);
  g.node("LeakyRelu", {"c"}, {"r"}, "leaky").attr("alpha", 0.002f);
  g.node("Flatten", {test::uint8_quant(g, "r", 1e-7, 128)}, {"y"}, "flatten");
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("layer 'conv'") &&
                                                  Catch::Contains("is too large to hold, which its negative slope would need"));
}

TEST_CASE("a negative slope with no quantizer after it gets a grid that holds its mirrored values",
          "[negative_slope]") {
  std::mt19937 rng(68);
  test::GraphBuilder g(13);
  test::qdq_conv_head(g, rng);
  const double scale = 3.0 / 255;
  g.node("LeakyRelu", {test::uint8_quant(g, "c", scale, 200)}, {"r"}, "leaky").attr("alpha", -1.0f);
  g.node("Flatten", {"r"}, {"y"}, "flatten");
  g.output("y");
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  const double top = (255 - p.layers.back().out_q.zero_point) * p.layers.back().out_q.scale;
  CHECK(top >= 200 * scale - 1e-6);  // the input grid's negative end, mirrored
  const Tensor x = random_tensor(rng, {20, 1, 4, 4}, -2, 2);
  const test::CodeComparison c = test::compare_output_codes(m, p, x, p.layers.back().out_q.scale);
  CHECK(c.far == 0);
}

TEST_CASE("a ReLU6 after slopes of at least 0 is the layer's clamp, a clip from below 0 is refused",
          "[negative_slope]") {
  std::mt19937 rng(69);
  for (const double lo : {0.0, -1.0}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 4});
    g.initializer("w", random_tensor(rng, {3, 4}, -1, 1));
    g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
    g.node("LeakyRelu", {"h"}, {"l"}, "leaky").attr("alpha", 0.1f);
    g.initializer("lo", Tensor::scalar_real(DType::Float, lo));
    g.initializer("hi", Tensor::scalar_real(DType::Float, 6.0));
    g.node("Clip", {"l", "lo", "hi"}, {"y"}, "relu6");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {16, 4}, -1, 1);
    if (lo < 0) {
      CHECK_THROWS_WITH(build_program(g.model(), &calibration),
                        Catch::Contains("node 'relu6' (Clip)") && Catch::Contains("clips from -1 after the negative slope"));
    } else {
      // The grid measured after the clip starts at 0: its saturation is the clamp.
      const NetworkProgram p = build_program(g.model(), &calibration);
      CHECK_FALSE(p.layers[0].leaky());
      CHECK(p.layers[0].out_q.zero_point == 0);
    }
  }
}
