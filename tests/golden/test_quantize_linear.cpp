// ONNX QuantizeLinear / DequantizeLinear on values, and through the op
// kernels for per-axis and bad-parameter cases.

#include <catch2/catch.hpp>

#include "golden/exit_code.hpp"
#include "golden/quantize_linear.hpp"
#include "tests/golden/graph_builder.hpp"

using namespace aps;

TEST_CASE("quantize_linear: ties to even, zero point, saturation at both ends", "[quantize]") {
  CHECK(quantize_linear(0.5, 1.0f, 0, DType::UInt8) == 0);
  CHECK(quantize_linear(1.5, 1.0f, 0, DType::UInt8) == 2);
  CHECK(quantize_linear(2.5, 1.0f, 0, DType::UInt8) == 2);
  CHECK(quantize_linear(-2.5, 1.0f, 0, DType::Int8) == -2);
  CHECK(quantize_linear(-3.5, 1.0f, 0, DType::Int8) == -4);
  // zero point 255 and 0, saturation at the top and bottom of uint8
  CHECK(quantize_linear(-1.0, 1.0f, 255, DType::UInt8) == 254);
  CHECK(quantize_linear(1.0, 1.0f, 255, DType::UInt8) == 255);
  CHECK(quantize_linear(-1.0, 1.0f, 0, DType::UInt8) == 0);
  CHECK(quantize_linear(1000.0, 1.0f, 0, DType::UInt8) == 255);
  // int8 saturates at -128 and 127
  CHECK(quantize_linear(-1000.0, 1.0f, 0, DType::Int8) == -128);
  CHECK(quantize_linear(1000.0, 1.0f, 0, DType::Int8) == 127);
  CHECK(quantize_linear(0.0, 0.1f, -128, DType::Int8) == -128);
  // the quotient is float32: 0.3 / 0.1 in float32 is 3.0000002 -> 3
  CHECK(quantize_linear(0.3, 0.1f, 0, DType::UInt8) == 3);
}

TEST_CASE("dequantize_linear computes (q - z) * s in float32", "[quantize]") {
  CHECK(dequantize_linear(255, 0.5f, 255) == 0.0);
  CHECK(dequantize_linear(0, 0.5f, 255) == -127.5);
  CHECK(dequantize_linear(-128, 2.0f, 0) == -256.0);
  CHECK(dequantize_linear(3, 0.1f, 0) == static_cast<double>(3.0f * 0.1f));
}

TEST_CASE("QuantizeLinear per axis uses one scale and zero point per channel", "[quantize]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 2, 2});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {1.0, 0.5}));
  g.initializer("z", Tensor::from_ints(DType::UInt8, {2}, {0, 10}));
  g.node("QuantizeLinear", {"x", "s", "z"}, {"y"}).attr("axis", 1);
  g.output("y");
  const auto out = g.run({{"x", Tensor::from_reals(DType::Float, {1, 2, 2}, {1.5, 2.5, 1.5, 2.5})}});
  CHECK(out.at("y").ints() == std::vector<int64_t>{2, 2, 13, 15});
}

TEST_CASE("QuantizeLinear refuses a scale <= 0 and a per-axis count mismatch", "[quantize]") {
  for (double bad : {0.0, -1.0}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {2});
    g.initializer("s", Tensor::scalar_real(DType::Float, bad));
    g.node("QuantizeLinear", {"x", "s"}, {"y"});
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {2}, {1, 2})}}),
                      Catch::Contains("not a positive number"));
  }
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 3});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {1, 1}));
  g.node("QuantizeLinear", {"x", "s"}, {"y"}).attr("axis", 1);
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {1, 3}, {1, 2, 3})}}),
                    Catch::Contains("2 scales for axis 1 of size 3"));
}

TEST_CASE("DequantizeLinear int8 vs uint8 and per axis", "[quantize]") {
  test::GraphBuilder g(13);
  g.input("q", DType::Int8, {2, 2});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {0.5, 2.0}));
  g.initializer("z", Tensor::from_ints(DType::Int8, {2}, {-128, 127}));
  g.node("DequantizeLinear", {"q", "s", "z"}, {"y"}).attr("axis", 0);
  g.output("y");
  const auto out = g.run({{"q", Tensor::from_ints(DType::Int8, {2, 2}, {-128, 127, -128, 127})}});
  CHECK(out.at("y").reals() == std::vector<double>{0.0, 127.5, -510.0, 0.0});
}
