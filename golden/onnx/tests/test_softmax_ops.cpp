// Softmax and LogSoftmax: before opset 13 the input is coerced to 2-D at
// `axis` (default 1) and normalized over all the dimensions from axis on;
// from opset 13 over the one axis (default -1).

#include <catch2/catch.hpp>

#include <cmath>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// x of shape [1,2,2] = [[[0, ln 3], [ln 2, ln 2]]]: the four exponentials
// are 1, 3, 2, 2.
const std::vector<double> kX{0.0, std::log(3.0), std::log(2.0), std::log(2.0)};

std::vector<double> run(const std::string& op, int64_t opset, const int64_t* axis) {
  test::GraphBuilder g(opset);
  g.input("x", DType::Float, {1, 2, 2});
  auto node = g.node(op, {"x"}, {"y"});
  if (axis) node.attr("axis", *axis);
  g.output("y");
  Tensor x = Tensor::from_reals(DType::Float, {1, 2, 2}, kX);
  for (double& v : x.reals()) v = static_cast<float>(v);
  return g.run({{"x", x}}).at("y").reals();
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
}

}  // namespace

TEST_CASE("Softmax before opset 13 normalizes over all dimensions from axis 1", "[softmax]") {
  // One row of four: 1, 3, 2, 2 over 8.
  for (int64_t opset : {1, 11, 12}) check_close(run("Softmax", opset, nullptr), {0.125, 0.375, 0.25, 0.25});
  const int64_t last = -1;  // the last axis alone is a row of two
  check_close(run("Softmax", 11, &last), {0.25, 0.75, 0.5, 0.5});
}

TEST_CASE("Softmax from opset 13 normalizes over one axis, by default the last", "[softmax]") {
  check_close(run("Softmax", 13, nullptr), {0.25, 0.75, 0.5, 0.5});
  const int64_t one = 1;  // columns: (1, 2) and (3, 2)
  check_close(run("Softmax", 13, &one), {1.0 / 3, 0.6, 2.0 / 3, 0.4});
  const int64_t minus_two = -2;
  check_close(run("Softmax", 13, &minus_two), {1.0 / 3, 0.6, 2.0 / 3, 0.4});
}

TEST_CASE("LogSoftmax follows the same axis rules", "[softmax]") {
  check_close(run("LogSoftmax", 11, nullptr),
              {std::log(0.125), std::log(0.375), std::log(0.25), std::log(0.25)});
  check_close(run("LogSoftmax", 13, nullptr), {std::log(0.25), std::log(0.75), std::log(0.5), std::log(0.5)});
}

TEST_CASE("Softmax refuses an axis outside the rank, naming the node", "[softmax]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 2});
  g.node("Softmax", {"x"}, {"y"}, "probs").attr("axis", 2);
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {1, 2}, {0, 1})}}),
                    Catch::Contains("node 'probs' (Softmax): axis 2 is out of range for rank 2"));
}
