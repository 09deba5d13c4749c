// Transpose, Gather and Concat: element order checked by hand, negative axes
// and indices, and the malformed attributes each refuses with the node named.

#include <catch2/catch.hpp>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// 0, 1, 2, ... in a float tensor of `shape`.
Tensor iota(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<double> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return Tensor::from_reals(DType::Float, shape, v);
}

TensorMap transpose(const Shape& shape, const std::vector<int64_t>* perm) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, shape);
  auto node = g.node("Transpose", {"x"}, {"y"}, "tr");
  if (perm) node.attr("perm", *perm);
  g.output("y");
  return g.run({{"x", iota(shape)}});
}

}  // namespace

TEST_CASE("Transpose makes input dimension perm of k output dimension k", "[transpose]") {
  // x[i][j][k] = 6i + 3j + k over [2,2,3]; y = x with perm (2,0,1), y[k][i][j].
  const std::vector<int64_t> perm{2, 0, 1};
  const Tensor y = transpose({2, 2, 3}, &perm).at("y");
  CHECK(y.shape() == Shape{3, 2, 2});
  CHECK(y.reals() == std::vector<double>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
}

TEST_CASE("Transpose without perm reverses the dimensions", "[transpose]") {
  const Tensor y = transpose({2, 3}, nullptr).at("y");
  CHECK(y.shape() == Shape{3, 2});
  CHECK(y.reals() == std::vector<double>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("Transpose refuses a perm that is not a permutation, naming the node", "[transpose]") {
  for (const std::vector<int64_t>& bad :
       {std::vector<int64_t>{0, 0, 1}, {0, 1}, {0, 1, 3}, {-1, 0, 1}, {0, 1, 2, 3}}) {
    CHECK_THROWS_WITH(transpose({2, 2, 3}, &bad),
                      Catch::Contains("node 'tr' (Transpose): perm [") &&
                          Catch::Contains("is not a permutation of the 3 dimensions of the input [2,2,3]"));
  }
}

TEST_CASE("Transpose copies integer elements exactly", "[transpose]") {
  test::GraphBuilder g(13);
  const int64_t big = (int64_t{1} << 62) + 1;  // not representable as a double
  g.input("x", DType::Int64, {1, 2});
  g.node("Transpose", {"x"}, {"y"});
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_ints(DType::Int64, {1, 2}, {big, -big})}}).at("y");
  CHECK(y.shape() == Shape{2, 1});
  CHECK(y.ints() == std::vector<int64_t>{big, -big});
}

TEST_CASE("Gather selects along any axis with negative indices counting from the end", "[gather]") {
  // data [2,3]: 0 1 2 / 3 4 5
  auto gather = [](int64_t axis, const Tensor& indices) {
    test::GraphBuilder g(13);
    g.input("data", DType::Float, {2, 3});
    g.initializer("idx", indices);
    g.node("Gather", {"data", "idx"}, {"y"}, "ga").attr("axis", axis);
    g.output("y");
    return g.run({{"data", iota({2, 3})}}).at("y");
  };
  const Tensor cols = gather(-1, Tensor::from_ints(DType::Int64, {2, 2}, {-1, 0, 1, -3}));
  CHECK(cols.shape() == Shape{2, 2, 2});
  CHECK(cols.reals() == std::vector<double>{2, 0, 1, 0, 5, 3, 4, 3});
  const Tensor row = gather(0, Tensor::scalar_int(DType::Int32, -1));  // a scalar index drops the axis
  CHECK(row.shape() == Shape{3});
  CHECK(row.reals() == std::vector<double>{3, 4, 5});
  CHECK_THROWS_WITH(gather(1, Tensor::from_ints(DType::Int64, {1}, {3})),
                    Catch::Contains("node 'ga' (Gather): index 3 is out of range for axis 1 of size 3"));
  CHECK_THROWS_WITH(gather(0, Tensor::from_ints(DType::Int64, {1}, {-3})),
                    Catch::Contains("node 'ga' (Gather): index -3 is out of range for axis 0 of size 2"));
  CHECK_THROWS_WITH(gather(2, Tensor::from_ints(DType::Int64, {1}, {0})),
                    Catch::Contains("node 'ga' (Gather): axis 2 is out of range for rank 2"));
  CHECK_THROWS_WITH(gather(0, Tensor::from_reals(DType::Float, {1}, {0})),
                    Catch::Contains("node 'ga' (Gather): indices must be int32 or int64, got float32"));
}

TEST_CASE("Concat joins along a negative axis and checks the other dimensions", "[concat]") {
  auto concat = [](int64_t opset, const Shape& b_shape, const int64_t* axis) {
    test::GraphBuilder g(opset);
    g.input("a", DType::Float, {2, 1});
    g.input("b", DType::Float, b_shape);
    auto node = g.node("Concat", {"a", "b"}, {"y"}, "cat");
    if (axis) node.attr("axis", *axis);
    g.output("y");
    Tensor b = iota(b_shape);
    for (double& v : b.reals()) v += 10;
    return g.run({{"a", iota({2, 1})}, {"b", b}}).at("y");
  };
  const int64_t last = -1;
  const Tensor y = concat(13, {2, 2}, &last);
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.reals() == std::vector<double>{0, 10, 11, 1, 12, 13});
  // Opset 1 to 3: the axis defaults to 1.
  CHECK(concat(3, {2, 2}, nullptr).reals() == y.reals());
  CHECK_THROWS_WITH(concat(13, {2, 2}, nullptr), Catch::Contains("node 'cat' (Concat): Concat needs the axis attribute"));
  const int64_t first = -2;
  CHECK_THROWS_WITH(concat(13, {2, 2}, &first),
                    Catch::Contains("node 'cat' (Concat): input 1 (float32 [2,2]) does not join input 0 (float32 [2,1]) "
                                    "along axis 0"));
}

// The overflow of an unclamped INT64_MIN step shows under the sanitize preset
// (UBSan), which ./quickstart test runs these tests in too.
TEST_CASE("Slice with a step beyond the axis takes one element, either way, without overflow", "[slice]") {
  for (const int64_t step : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min() + 1,
                             std::numeric_limits<int64_t>::min()}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {5});
    g.initializer("starts", Tensor::from_ints(DType::Int64, {1}, {step > 0 ? 1 : 3}));
    g.initializer("ends", Tensor::from_ints(DType::Int64, {1}, {step > 0 ? 5 : -6}));
    g.initializer("axes", Tensor::from_ints(DType::Int64, {1}, {0}));
    g.initializer("steps", Tensor::from_ints(DType::Int64, {1}, {step}));
    g.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "slice");
    g.output("y");
    const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {5}, {0, 1, 2, 3, 4})}}).at("y");
    CHECK(y.shape() == Shape{1});
    CHECK(y.reals()[0] == (step > 0 ? 1 : 3));
  }
}
