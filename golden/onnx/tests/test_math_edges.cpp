// The math and layout ops at the edges ONNX's node vectors leave out: Split
// into uneven parts (opset 18), Range's count in float32, ReduceLogSumExp of
// large values, Mod of INT64_MIN by -1, integer Pow of a large exponent, and
// LayerNormalization's statistics in stash_type.

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

TEST_CASE("Split from opset 18 cuts num_outputs parts of ceil(len / n), the last one shorter", "[math]") {
  test::GraphBuilder g(18);
  g.input("x", DType::Float, {10});
  g.node("Split", {"x"}, {"a", "b", "c"}).attr("num_outputs", int64_t{3});
  g.output("a").output("b").output("c");
  std::vector<double> v(10);
  for (int i = 0; i < 10; ++i) v[i] = i;
  const auto out = g.run({{"x", Tensor::from_reals(DType::Float, {10}, v)}});
  CHECK(out.at("a").shape() == Shape{4});
  CHECK(out.at("b").shape() == Shape{4});
  CHECK(out.at("c").reals() == std::vector<double>{8, 9});
}

TEST_CASE("Range counts its elements in its inputs' type", "[math]") {
  test::GraphBuilder g(11);
  g.initializer("start", Tensor::scalar_real(DType::Float, 0.0));
  g.initializer("limit", Tensor::scalar_real(DType::Float, 0.3));
  g.initializer("delta", Tensor::scalar_real(DType::Float, 0.1));
  g.input("unused", DType::Float, {1});
  g.node("Range", {"start", "limit", "delta"}, {"y"});
  g.output("y");
  // In float32 (0.3 - 0) / 0.1 is 3; in double it is 3.0000000745, whose ceiling is 4.
  CHECK(g.run({{"unused", Tensor::from_reals(DType::Float, {1}, {0})}}).at("y").shape() == Shape{3});
}

TEST_CASE("ReduceLogSumExp of large values does not overflow", "[math]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {2});
  g.node("ReduceLogSumExp", {"x"}, {"y"}).attr("keepdims", int64_t{0});
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {2}, {1000, 1000})}}).at("y");
  CHECK(y.reals()[0] == Approx(1000 + std::log(2.0)));
}

TEST_CASE("Mod of INT64_MIN by -1 is 0, and a large integer power wraps without looping", "[math]") {
  test::GraphBuilder g(13);
  g.input("a", DType::Int64, {1});
  g.input("b", DType::Int64, {1});
  g.node("Mod", {"a", "b"}, {"m"});
  g.node("Pow", {"a", "b"}, {"p"});
  g.output("m").output("p");
  const auto out = g.run({{"a", Tensor::from_ints(DType::Int64, {1}, {std::numeric_limits<int64_t>::min()})},
                          {"b", Tensor::from_ints(DType::Int64, {1}, {-1})}});
  CHECK(out.at("m").ints()[0] == 0);
  const auto big = g.run({{"a", Tensor::from_ints(DType::Int64, {1}, {3})},
                          {"b", Tensor::from_ints(DType::Int64, {1}, {int64_t{1} << 40})}});
  uint64_t expected = 1, base = 3;  // 3^(2^40) modulo 2^64, by squaring 40 times
  for (int i = 0; i < 40; ++i) base *= base;
  expected = base;
  CHECK(static_cast<uint64_t>(big.at("p").ints()[0]) == expected);
}

TEST_CASE("LayerNormalization's Mean and InvStdDev are float32 (stash_type), whatever x's type", "[math]") {
  test::GraphBuilder g(17);
  g.input("x", DType::Float16, {1, 4});
  g.initializer("scale", Tensor::from_reals(DType::Float16, {4}, {1, 1, 1, 1}));
  g.node("LayerNormalization", {"x", "scale"}, {"y", "mean", "inv_std"});
  g.output("y").output("mean").output("inv_std");
  const auto out = g.run({{"x", Tensor::from_reals(DType::Float16, {1, 4}, {1, 2, 3, 4})}});
  CHECK(out.at("y").dtype() == DType::Float16);
  CHECK(out.at("mean").dtype() == DType::Float);
  CHECK(out.at("mean").reals()[0] == 2.5);
  CHECK(out.at("inv_std").dtype() == DType::Float);
}
