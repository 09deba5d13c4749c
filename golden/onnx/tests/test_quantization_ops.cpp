// The QuantizeLinear / DequantizeLinear op kernels: per-axis parameters and
// the parameters they refuse.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

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
