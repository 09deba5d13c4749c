// QLinearMatMul and MatMulInteger with per-column parameters of b (and
// per-row of a), computed by hand, and the parameter shapes ONNX does not
// allow, refused with the node named.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

struct QParams {
  Tensor a_scale = Tensor::scalar_real(DType::Float, 0.5);
  Tensor a_zp = Tensor::scalar_int(DType::UInt8, 10);
  Tensor b_scale = Tensor::from_reals(DType::Float, {3}, {1.0, 0.25, 2.0});
  Tensor b_zp = Tensor::from_ints(DType::Int8, {3}, {0, 1, -1});
  Tensor y_scale = Tensor::scalar_real(DType::Float, 2.0);
  Tensor y_zp = Tensor::scalar_int(DType::UInt8, 5);
};

// a (uint8, fed) [[10, 20], [30, 40]] times the constant b (int8) [[1, 2, 3], [4, 5, 6]].
TensorMap qlinear_matmul(const QParams& q) {
  test::GraphBuilder g(13);
  g.input("a", DType::UInt8, {2, 2});
  g.initializer("a_scale", q.a_scale).initializer("a_zp", q.a_zp);
  g.initializer("b", Tensor::from_ints(DType::Int8, {2, 3}, {1, 2, 3, 4, 5, 6}));
  g.initializer("b_scale", q.b_scale).initializer("b_zp", q.b_zp);
  g.initializer("y_scale", q.y_scale).initializer("y_zp", q.y_zp);
  g.node("QLinearMatMul", {"a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"}, {"y"}, "fc");
  g.output("y");
  return g.run({{"a", Tensor::from_ints(DType::UInt8, {2, 2}, {10, 20, 30, 40})}});
}

}  // namespace

TEST_CASE("QLinearMatMul requantizes each column of b with its own scale and zero point", "[qlinear_matmul]") {
  // a - 10 = [[0, 10], [20, 30]]; b - b_zp per column = [[1, 1, 4], [4, 4, 7]].
  // acc = [[40, 40, 70], [140, 140, 290]].
  // m_j = fl32(fl32(0.5 * b_scale_j) / 2) = [0.25, 0.0625, 0.5].
  // acc * m = [[10, 2.5, 35], [35, 8.75, 145]]; rint (half to even) + 5:
  const Tensor y = qlinear_matmul(QParams{}).at("y");
  CHECK(y.dtype() == DType::UInt8);
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.ints() == std::vector<int64_t>{15, 7, 40, 40, 14, 150});
}

TEST_CASE("QLinearMatMul: a column of b at scale 0 is all zero weights, its output the zero point", "[qlinear_matmul]") {
  QParams q;
  q.b_scale = Tensor::from_reals(DType::Float, {3}, {1.0, 0.0, 2.0});
  CHECK(qlinear_matmul(q).at("y").ints() == std::vector<int64_t>{15, 5, 40, 40, 5, 150});
}

TEST_CASE("QLinearMatMul takes per-column parameters of a 2-D b shaped 1 x N too", "[qlinear_matmul]") {
  QParams q;
  q.b_scale = q.b_scale.reshaped({1, 3});
  q.b_zp = q.b_zp.reshaped({1, 3});
  CHECK(qlinear_matmul(q).at("y").ints() == std::vector<int64_t>{15, 7, 40, 40, 14, 150});
}

TEST_CASE("QLinearMatMul with per-row parameters of a", "[qlinear_matmul]") {
  QParams q;
  q.a_scale = Tensor::from_reals(DType::Float, {2}, {0.5, 1.0});
  q.a_zp = Tensor::from_ints(DType::UInt8, {2}, {10, 0});
  q.b_scale = Tensor::scalar_real(DType::Float, 1.0);
  q.b_zp = Tensor::scalar_int(DType::Int8, 0);
  q.y_scale = Tensor::scalar_real(DType::Float, 8.0);
  q.y_zp = Tensor::scalar_int(DType::UInt8, 0);
  // Row 0: (a - 10) = [0, 10], acc [40, 50, 60], m = 0.0625 -> [2.5, 3.125, 3.75].
  // Row 1: (a - 0) = [30, 40], acc [190, 260, 330], m = 0.125 -> [23.75, 32.5, 41.25].
  CHECK(qlinear_matmul(q).at("y").ints() == std::vector<int64_t>{2, 3, 4, 24, 32, 41});
}

TEST_CASE("QLinearMatMul with per-column parameters of each matrix of an N-D b", "[qlinear_matmul]") {
  test::GraphBuilder g(13);
  g.input("a", DType::UInt8, {2, 1, 2});
  g.initializer("a_scale", Tensor::scalar_real(DType::Float, 1.0));
  g.initializer("a_zp", Tensor::scalar_int(DType::UInt8, 0));
  g.initializer("b", Tensor::from_ints(DType::Int8, {2, 2, 2}, {1, 0, 0, 1, 1, 1, 1, -1}));
  g.initializer("b_scale", Tensor::from_reals(DType::Float, {2, 1, 2}, {1.0, 2.0, 0.5, 4.0}));
  g.initializer("b_zp", Tensor::from_ints(DType::Int8, {2, 1, 2}, {0, 0, 0, 0}));
  g.initializer("y_scale", Tensor::scalar_real(DType::Float, 1.0));
  g.initializer("y_zp", Tensor::scalar_int(DType::Int8, 0));
  g.node("QLinearMatMul", {"a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"}, {"y"});
  g.output("y");
  // acc = [[1, 2]], [[7, -1]]; scaled [[1, 4]], [[3.5, -4]]; 3.5 rounds to 4.
  const Tensor y = g.run({{"a", Tensor::from_ints(DType::UInt8, {2, 1, 2}, {1, 2, 3, 4})}}).at("y");
  CHECK(y.shape() == Shape{2, 1, 2});
  CHECK(y.ints() == std::vector<int64_t>{1, 4, 4, -4});
}

TEST_CASE("QLinearMatMul refuses parameter shapes ONNX does not allow, naming the node", "[qlinear_matmul]") {
  QParams wrong_count;  // one scale per row of b (K = 2), not per column
  wrong_count.b_scale = Tensor::from_reals(DType::Float, {2}, {1, 1});
  wrong_count.b_zp = Tensor::from_ints(DType::Int8, {2}, {0, 0});
  CHECK_THROWS_WITH(qlinear_matmul(wrong_count),
                    Catch::Contains("node 'fc' (QLinearMatMul): b_scale has shape [2]; for b of shape [2,3] it must "
                                    "be a scalar, [3] or [1,3]"));

  QParams mixed;  // per-column scales with a per-tensor zero point
  mixed.b_zp = Tensor::scalar_int(DType::Int8, 0);
  CHECK_THROWS_WITH(qlinear_matmul(mixed), Catch::Contains("node 'fc' (QLinearMatMul): b_scale has shape [3] but "
                                                           "b_zero_point has shape []; they must match"));

  QParams per_column_y;
  per_column_y.y_scale = Tensor::from_reals(DType::Float, {3}, {1, 1, 1});
  CHECK_THROWS_WITH(qlinear_matmul(per_column_y),
                    Catch::Contains("node 'fc' (QLinearMatMul): y_scale must be one float32 value, got float32 [3]"));

  QParams negative_scale;
  negative_scale.b_scale = Tensor::from_reals(DType::Float, {3}, {1, -1, 1});
  CHECK_THROWS_WITH(qlinear_matmul(negative_scale),
                    Catch::Contains("node 'fc' (QLinearMatMul): b_scale -1 is not a number >= 0"));
  QParams zero_a_scale;
  zero_a_scale.a_scale = Tensor::scalar_real(DType::Float, 0);
  CHECK_THROWS_WITH(qlinear_matmul(zero_a_scale),
                    Catch::Contains("node 'fc' (QLinearMatMul): a_scale 0 is not a positive number"));

  QParams wrong_type;
  wrong_type.b_zp = Tensor::from_ints(DType::UInt8, {3}, {0, 0, 0});
  CHECK_THROWS_WITH(qlinear_matmul(wrong_type),
                    Catch::Contains("node 'fc' (QLinearMatMul): b_zero_point is uint8, the operand is int8"));
}

TEST_CASE("QLinearMatMul refuses a flat per-column vector for an N-D b", "[qlinear_matmul]") {
  test::GraphBuilder g(13);
  g.input("a", DType::UInt8, {2, 1, 2});
  g.initializer("a_scale", Tensor::scalar_real(DType::Float, 1.0));
  g.initializer("a_zp", Tensor::scalar_int(DType::UInt8, 0));
  g.initializer("b", Tensor::from_ints(DType::Int8, {2, 2, 2}, {1, 0, 0, 1, 1, 1, 1, -1}));
  g.initializer("b_scale", Tensor::from_reals(DType::Float, {2}, {1.0, 2.0}));
  g.initializer("b_zp", Tensor::from_ints(DType::Int8, {2}, {0, 0}));
  g.initializer("y_scale", Tensor::scalar_real(DType::Float, 1.0));
  g.initializer("y_zp", Tensor::scalar_int(DType::Int8, 0));
  g.node("QLinearMatMul", {"a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"}, {"y"}, "bmm");
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"a", Tensor::from_ints(DType::UInt8, {2, 1, 2}, {1, 2, 3, 4})}}),
                    Catch::Contains("node 'bmm' (QLinearMatMul): b_scale has shape [2]; for b of shape [2,2,2] it "
                                    "must be a scalar or [2,1,2]"));
}

TEST_CASE("MatMulInteger subtracts a zero point per column of b", "[qlinear_matmul]") {
  test::GraphBuilder g(13);
  g.input("a", DType::UInt8, {1, 2});
  g.initializer("b", Tensor::from_ints(DType::Int8, {2, 2}, {1, 2, 3, 4}));
  g.initializer("a_zp", Tensor::scalar_int(DType::UInt8, 1));
  g.initializer("b_zp", Tensor::from_ints(DType::Int8, {2}, {1, -2}));
  g.node("MatMulInteger", {"a", "b", "a_zp", "b_zp"}, {"y"});
  g.output("y");
  // (a - 1) = [1, 2]; b - b_zp = [[0, 4], [2, 6]]; y = [4, 16].
  const Tensor y = g.run({{"a", Tensor::from_ints(DType::UInt8, {1, 2}, {2, 3})}}).at("y");
  CHECK(y.dtype() == DType::Int32);
  CHECK(y.ints() == std::vector<int64_t>{4, 16});
}
