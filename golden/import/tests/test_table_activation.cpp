// Sigmoid, Tanh, HardSwish, Swish and the other elementwise activations:
// an output table on a requantizing layer.

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

// x -> Q -> DQ -> Conv -> Q (grid [-8, 8]) -> DQ -> `op` -> Q (grid [lo, hi])
// -> DQ -> Flatten.
test::GraphBuilder table_between_quantizers(const std::string& op, double lo, double hi) {
  std::mt19937 rng(71);
  test::GraphBuilder g(14);
  test::qdq_conv_head(g, rng);
  g.node(op, {test::uint8_quant(g, "c", 16.0 / 255, 128)}, {"r"}, "act");
  g.node("Flatten", {test::uint8_quant(g, "r", (hi - lo) / 255, std::lround(-lo * 255 / (hi - lo)))}, {"y"},
         "flatten");
  g.output("y");
  return g;
}

}  // namespace

TEST_CASE("an activation between two quantizers is a table layer that ONNX's codes agree with", "[table]") {
  for (const auto& [op, lo, hi] : std::vector<std::tuple<std::string, double, double>>{
           {"Sigmoid", 0.0, 1.0}, {"Tanh", -1.0, 1.0}, {"HardSwish", -0.5, 8.0}, {"Softplus", 0.0, 8.0}}) {
    INFO(op);
    const test::GraphBuilder g = table_between_quantizers(op, lo, hi);
    const OnnxModel m = g.model();
    const NetworkProgram p = build_program(m);
    REQUIRE(p.layers.size() == 2);
    CHECK(p.layers[1].has_output_table());
    CHECK(p.layers[1].table_in_q == p.layers[0].out_q);  // the table reads the conv's grid
    std::mt19937 rng(72);
    const Tensor x = random_tensor(rng, {20, 1, 4, 4}, -2, 2);
    const test::CodeComparison c = test::compare_output_codes(m, p, x, (hi - lo) / 255);
    // The conv's own near-ties only: the table is ONNX's op on ONNX's codes.
    CHECK(c.far == 0);
    CHECK(c.differ * 50 <= c.onnx.size());
  }
}

TEST_CASE("a float model's Swish and Sigmoid head are their layers' tables", "[table]") {
  std::mt19937 rng(73);
  test::GraphBuilder g(14);
  g.input("x", DType::Float, {-1, 2, 4, 4});
  g.initializer("w1", random_tensor(rng, {3, 2, 3, 3}, -0.5, 0.5));
  g.node("Conv", {"x", "w1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Sigmoid", {"c1"}, {"g1"}, "gate1");
  g.node("Mul", {"g1", "c1"}, {"s1"}, "swish1");
  g.node("HardSwish", {"s1"}, {"h1"}, "hardswish1");
  g.node("Flatten", {"h1"}, {"flat"}, "flatten");
  g.initializer("wf", random_tensor(rng, {4, 48}, -0.3, 0.3));
  g.node("Gemm", {"flat", "wf"}, {"fc"}, "fc").attr("transB", 1);
  g.node("Sigmoid", {"fc"}, {"y"}, "head");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {64, 2, 4, 4}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  // The Swish and the head are their layers' tables; the HardSwish reads a
  // finished layer's codes, a step of its own.
  REQUIRE(p.layers.size() == 3);
  CHECK(p.layers[0].name == "conv1");
  CHECK(p.layers[0].has_output_table());
  CHECK(p.layers[1].name == "hardswish1");
  CHECK(p.layers[1].has_output_table());
  CHECK(p.layers[2].name == "fc");
  CHECK(p.layers[2].has_output_table());
  test::check_tracks_onnx(g, p, calibration, 4);
}

TEST_CASE("a Sigmoid whose input another node also reads is a step of its own", "[table]") {
  std::mt19937 rng(75);
  test::GraphBuilder g(14);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("w", random_tensor(rng, {3, 4}, -1, 1));
  g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
  g.node("Sigmoid", {"h"}, {"s"}, "gate");
  g.node("Add", {"h", "s"}, {"y"}, "sum");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {32, 4}, -1, 1);
  const NetworkProgram p = build_program(g.model(), &calibration);
  REQUIRE(p.layers.size() == 3);
  CHECK_FALSE(p.layers[0].has_output_table());  // the Add reads the Gemm's own result
  CHECK(p.layers[1].name == "gate");
  CHECK(p.layers[1].has_output_table());
  CHECK(p.layers[2].kind == LayerKind::Add);
  test::check_tracks_onnx(g, p, calibration, 3);
}

TEST_CASE("a Swish gate another node also reads leaves the Mul refused", "[table]") {
  std::mt19937 rng(74);
  test::GraphBuilder g(14);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("w", random_tensor(rng, {3, 4}, -1, 1));
  g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
  g.node("Sigmoid", {"h"}, {"s"}, "gate");
  g.node("Mul", {"h", "s"}, {"m"}, "swish");
  g.node("Add", {"m", "s"}, {"y"}, "sum");
  g.output("y");
  const Tensor calibration = random_tensor(rng, {16, 4}, -1, 1);
  CHECK_THROWS_WITH(build_program(g.model(), &calibration), Catch::Contains("node 'swish' (Mul)"));
}

TEST_CASE("a Swish as ONNX Runtime quantizes it, its gate between quantizers, is one table", "[table]") {
  std::mt19937 rng(76);
  test::GraphBuilder g(14);
  test::qdq_conv_head(g, rng);
  const std::string cd = test::uint8_quant(g, "c", 16.0 / 255, 128);
  g.node("Sigmoid", {cd}, {"s"}, "gate");
  // A coarse gate grid, so that the gate's own quantization shows in the product.
  g.node("Mul", {cd, test::uint8_quant(g, "s", 0.1, 0)}, {"m"}, "swish");
  g.node("Flatten", {test::uint8_quant(g, "m", 8.5 / 255, 8)}, {"y"}, "flatten");
  g.output("y");
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  REQUIRE(p.layers.size() == 2);
  CHECK(p.layers[1].name == "swish");
  CHECK(p.layers[1].has_output_table());
  const Tensor x = random_tensor(rng, {20, 1, 4, 4}, -2, 2);
  const test::CodeComparison c = test::compare_output_codes(m, p, x, 8.5 / 255);
  CHECK(c.far == 0);
  CHECK(c.differ * 50 <= c.onnx.size());
}

TEST_CASE("a ReLU or Clip after a layer's table clamps the table, not the layer's input to it", "[table]") {
  for (const std::string& act : {std::string("Sigmoid"), std::string("Tanh")}) {
    INFO(act);
    std::mt19937 rng(77);
    test::GraphBuilder g(14);
    g.input("x", DType::Float, {-1, 4});
    g.initializer("w", random_tensor(rng, {3, 4}, -2, 2));
    g.node("Gemm", {"x", "w"}, {"h"}, "fc").attr("transB", 1);
    g.node(act, {"h"}, {"a"}, "act");
    g.node("Relu", {"a"}, {"r"}, "relu");
    g.initializer("lo", Tensor::scalar_real(DType::Float, 0.0));
    g.initializer("hi", Tensor::scalar_real(DType::Float, 0.5));
    g.node("Clip", {"r", "lo", "hi"}, {"y"}, "clip");
    g.output("y");
    const Tensor calibration = random_tensor(rng, {64, 4}, -1, 1);
    const NetworkProgram p = build_program(g.model(), &calibration);
    REQUIRE(p.layers.size() == 1);
    CHECK(p.layers[0].has_output_table());
    CHECK_FALSE(p.layers[0].relu);
    test::check_tracks_onnx(g, p, calibration, 3);
  }
}

TEST_CASE("a Swish gate whose DequantizeLinear reads other parameters than its QuantizeLinear is no Swish",
          "[table]") {
  std::mt19937 rng(78);
  test::GraphBuilder g(14);
  test::qdq_conv_head(g, rng);
  const std::string cd = test::uint8_quant(g, "c", 16.0 / 255, 128);
  g.node("Sigmoid", {cd}, {"s"}, "gate");
  g.initializer("s.s", Tensor::scalar_real(DType::Float, 0.1));
  g.initializer("s.z", Tensor::scalar_int(DType::UInt8, 0));
  g.initializer("s.s3", Tensor::scalar_real(DType::Float, 0.3));
  g.node("QuantizeLinear", {"s", "s.s", "s.z"}, {"s.q"}, "q_s");
  g.node("DequantizeLinear", {"s.q", "s.s3", "s.z"}, {"s.d"}, "dq_s");
  g.node("Mul", {cd, "s.d"}, {"m"}, "swish");
  g.node("Flatten", {test::uint8_quant(g, "m", 8.5 / 255, 8)}, {"y"}, "flatten");
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("node 'dq_s' (DequantizeLinear)") ||
                                                  Catch::Contains("node 'swish' (Mul)"));
}

TEST_CASE("a QDQ Swish matches with its quantizers' parameters in Constant nodes or its zero point left out",
          "[table]") {
  for (const bool constant_nodes : {false, true}) {
    INFO("constant nodes " << constant_nodes);
    std::mt19937 rng(79);
    test::GraphBuilder g(14);
    test::qdq_conv_head(g, rng);
    const std::string cd = test::fake_quant(g, "c", 16.0 / 127);
    g.node("Sigmoid", {cd}, {"s"}, "gate");
    std::string sd;
    if (constant_nodes) {
      sd = test::fake_quant(g, "s", 0.1, true);  // PyTorch's Constant nodes right before the QuantizeLinear
    } else {
      // The QuantizeLinear names its int8 zero point 0; the DequantizeLinear leaves it out.
      g.initializer("s.s", Tensor::scalar_real(DType::Float, 0.1));
      g.initializer("s.z", Tensor::scalar_int(DType::Int8, 0));
      g.node("QuantizeLinear", {"s", "s.s", "s.z"}, {"s.q"}, "q_s");
      g.node("DequantizeLinear", {"s.q", "s.s"}, {"s.d"}, "dq_s");
      sd = "s.d";
    }
    g.node("Mul", {cd, sd}, {"m"}, "swish");
    g.node("Flatten", {test::fake_quant(g, "m", 8.5 / 127)}, {"y"}, "flatten");
    g.output("y");
    const OnnxModel m = g.model();
    const NetworkProgram p = build_program(m);
    REQUIRE(p.layers.size() == 2);
    CHECK(p.layers[1].name == "swish");
    const Tensor x = random_tensor(rng, {20, 1, 4, 4}, -2, 2);
    const test::CodeComparison c = test::compare_output_codes(m, p, x, 8.5 / 127);
    CHECK(c.far == 0);
    CHECK(c.differ * 50 <= c.onnx.size());
  }
}

