// ReduceMean: axes as an attribute (negative counting from the back) before
// opset 18 and as an input from 18, keepdims, and integer truncation.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// x [2,2,2] = 0 .. 7.
const Tensor kX = Tensor::from_reals(DType::Float, {2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});

}  // namespace

TEST_CASE("ReduceMean over attribute axes, with and without keepdims", "[reduce]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {2, 2, 2});
  g.node("ReduceMean", {"x"}, {"kept"}).attr("axes", std::vector<int64_t>{-1, 1});
  g.node("ReduceMean", {"x"}, {"dropped"}).attr("axes", std::vector<int64_t>{0}).attr("keepdims", 0);
  g.node("ReduceMean", {"x"}, {"all"});
  g.output("kept").output("dropped").output("all");
  const auto out = g.run({{"x", kX}});
  CHECK(out.at("kept").shape() == Shape{2, 1, 1});
  CHECK(out.at("kept").reals() == std::vector<double>{1.5, 5.5});
  CHECK(out.at("dropped").shape() == Shape{2, 2});
  CHECK(out.at("dropped").reals() == std::vector<double>{2, 3, 4, 5});
  CHECK(out.at("all").shape() == Shape{1, 1, 1});
  CHECK(out.at("all").reals() == std::vector<double>{3.5});
}

TEST_CASE("ReduceMean takes axes as an input from opset 18", "[reduce]") {
  test::GraphBuilder g(18);
  g.input("x", DType::Float, {2, 2, 2});
  g.initializer("axes", Tensor::from_ints(DType::Int64, {2}, {-2, -1}));
  g.node("ReduceMean", {"x", "axes"}, {"y"}).attr("keepdims", 0);
  g.output("y");
  CHECK(g.run({{"x", kX}}).at("y").reals() == std::vector<double>{1.5, 5.5});
}

TEST_CASE("ReduceMean of integers truncates toward zero", "[reduce]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Int32, {2, 2});
  g.node("ReduceMean", {"x"}, {"y"}).attr("axes", std::vector<int64_t>{1});
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_ints(DType::Int32, {2, 2}, {1, 2, -1, -2})}}).at("y");
  CHECK(y.dtype() == DType::Int32);
  CHECK(y.ints() == std::vector<int64_t>{1, -1});
}

TEST_CASE("ReduceMean refuses an axis outside the rank, naming the node", "[reduce]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {2, 2, 2});
  g.node("ReduceMean", {"x"}, {"y"}, "gap").attr("axes", std::vector<int64_t>{3});
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", kX}}), Catch::Contains("node 'gap' (ReduceMean): axis 3 is out of range for rank 3"));
}
