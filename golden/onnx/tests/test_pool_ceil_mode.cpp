// Pooling with ceil_mode: the last window may run past the map into the end
// padding, but never start there. A window that starts in the padding reads
// no value (MaxPool would give -inf, AveragePool 0): ONNX Runtime and PyTorch
// drop it, as the ONNX reference does from 1.16.

#include <catch2/catch.hpp>
#include <cmath>

#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// x[1,1,5,5] = 0..24 -> op(kernel 2, stride 2, pads 1, ceil_mode 1) -> y
Tensor pooled(const std::string& op, int64_t count_include_pad = 0) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 1, 5, 5});
  auto node = g.node(op, {"x"}, {"y"}, "pool");
  node.attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
      .attr("ceil_mode", int64_t{1});
  if (op == "AveragePool") node.attr("count_include_pad", count_include_pad);
  g.output("y");
  std::vector<double> x(25);
  for (int i = 0; i < 25; ++i) x[i] = i;
  return g.run({{"x", Tensor::from_reals(DType::Float, {1, 1, 5, 5}, x)}}).at("y");
}

}  // namespace

TEST_CASE("ceil_mode drops a last pooling window that would start in the end padding", "[pool]") {
  // Windows start at -1, 1, 3 (5 would start in the padding): 3 per axis.
  const Tensor max = pooled("MaxPool");
  CHECK(max.shape() == Shape{1, 1, 3, 3});
  CHECK(max.reals() == std::vector<double>{0, 2, 4, 10, 12, 14, 20, 22, 24});
  const Tensor mean = pooled("AveragePool");
  CHECK(mean.shape() == Shape{1, 1, 3, 3});
  // The corner window holds x[0][0] alone; the last column's, x[r][3..4] and x[r+1][3..4].
  CHECK(mean.reals()[0] == 0.0);
  CHECK(mean.reals()[2] == (3.0 + 4.0) / 2);
  CHECK(mean.reals()[8] == (18.0 + 19.0 + 23.0 + 24.0) / 4);
  const Tensor with_pad = pooled("AveragePool", 1);
  CHECK(with_pad.shape() == Shape{1, 1, 3, 3});
  CHECK(with_pad.reals()[0] == 0.0 / 4);
  for (double v : with_pad.reals()) CHECK(std::isfinite(v));
}
