// Sigmoid and Log: float32 results at the extremes, integer inputs refused.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

Tensor run_unary(const std::string& op, const Tensor& x) {
  test::GraphBuilder g(13);
  g.input("x", x.dtype(), x.shape());
  g.node(op, {"x"}, {"y"}, "act");
  g.output("y");
  return g.run({{"x", x}}).at("y");
}

}  // namespace

TEST_CASE("Sigmoid saturates to 0 and 1 and is 0.5 at 0", "[activation]") {
  const Tensor y = run_unary("Sigmoid", Tensor::from_reals(DType::Float, {4}, {-1000, 0, 1000, 2}));
  CHECK(y.reals()[0] == 0.0);
  CHECK(y.reals()[1] == 0.5);
  CHECK(y.reals()[2] == 1.0);
  CHECK(y.reals()[3] == static_cast<double>(static_cast<float>(1.0 / (1.0 + std::exp(-2.0)))));
}

TEST_CASE("Log of 0 is -inf and of a negative number NaN", "[activation]") {
  const Tensor y = run_unary("Log", Tensor::from_reals(DType::Float, {3}, {0, -1, 1}));
  CHECK(y.reals()[0] == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(y.reals()[1]));
  CHECK(y.reals()[2] == 0.0);
}

TEST_CASE("Sigmoid refuses an integer input, naming the node", "[activation]") {
  CHECK_THROWS_WITH(run_unary("Sigmoid", Tensor::from_ints(DType::Int32, {1}, {1})),
                    Catch::Contains("node 'act' (Sigmoid): Sigmoid needs a floating input"));
}
