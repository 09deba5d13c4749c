// Sigmoid and Log: float32 results at the extremes, integer inputs refused.
// Dropout at inference: the identity, its mask all true; training mode refused.

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

TEST_CASE("Dropout at inference passes its input through with an all-true mask, training mode is refused",
          "[activation]") {
  const Tensor x = Tensor::from_reals(DType::Float, {2, 3}, {-1.5, 0, 2, 3.25, -7, 0.5});
  for (const int64_t opset : {7, 10, 13}) {
    INFO(opset);
    const bool opset12 = opset >= 12;
    test::GraphBuilder g(opset);
    g.input("x", DType::Float, {2, 3});
    if (opset12) {
      g.initializer("ratio", Tensor::scalar_real(DType::Float, 0.3));
      g.initializer("training", Tensor::scalar_int(DType::Bool, 0));
      g.node("Dropout", {"x", "ratio", "training"}, {"y", "mask"}, "drop");
    } else {
      g.node("Dropout", {"x"}, {"y", "mask"}, "drop").attr("ratio", 0.3f);
    }
    g.output("y");
    g.output("mask");
    const TensorMap out = g.run({{"x", x}});
    CHECK(out.at("y").reals() == x.reals());
    // Before opset 10 the mask has the data's type.
    const Tensor& mask = out.at("mask");
    CHECK(mask.dtype() == (opset < 10 ? DType::Float : DType::Bool));
    for (int64_t k = 0; k < mask.size(); ++k) CHECK(mask.value(k) == 1);
  }
  test::GraphBuilder training(13);
  training.input("x", DType::Float, {2, 3});
  training.initializer("ratio", Tensor::scalar_real(DType::Float, 0.3));
  training.initializer("training", Tensor::scalar_int(DType::Bool, 1));
  training.node("Dropout", {"x", "ratio", "training"}, {"y"}, "drop");
  training.output("y");
  CHECK_THROWS_WITH(training.run({{"x", x}}), Catch::Contains("node 'drop' (Dropout): training_mode is true"));
}
