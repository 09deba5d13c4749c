// Values ONNX carries through or refuses that the accelerator's integer grid
// would turn into a plausible number without a word: a NaN, an infinity, a
// division by zero, a zero point ONNX does not read the codes with. Each is
// refused by name when the program is built.

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/import/tests/qdq_graph.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();


// x[N,2] -> Gemm with float weights [3,2] and `bias` -> y.
test::GraphBuilder float_fc(const std::vector<double>& weights, const std::vector<double>& bias) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2});
  g.initializer("w", Tensor::from_reals(DType::Float, {3, 2}, weights));
  g.initializer("b", Tensor::from_reals(DType::Float, {3}, bias));
  g.node("Gemm", {"x", "w", "b"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  return g;
}

const ActivationRanges kFcRanges{{"x", {-1.0, 1.0}}, {"y", {-2.0, 2.0}}};

// x[N,2] -> op(x, constant) -> Gemm -> y: the op is a host step on the input.
test::GraphBuilder input_step(const std::string& op, const std::vector<double>& constant) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2});
  g.initializer("c", Tensor::from_reals(DType::Float, {2}, constant));
  g.initializer("w", Tensor::from_reals(DType::Float, {3, 2}, {0.5, -0.5, 0.25, 1.0, -1.0, 0.75}));
  g.node(op, {"x", "c"}, {"n"}, "normalize");
  g.node("Gemm", {"n", "w"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  return g;
}

}  // namespace

// A channel of zero weights computes its bias alone: a NaN there used to be
// quantized to the zero point, where ONNX's output is NaN.
TEST_CASE("a non-finite bias on a channel of zero weights is refused, naming the layer and channel", "[program]") {
  for (const double bad : {kNan, kInf}) {
    const auto g = float_fc({0.5, -0.5, 0.0, 0.0, 0.25, 1.0}, {0.1, bad, 0.2});
    CHECK_THROWS_WITH(build_program(g.model(), kFcRanges),
                      Catch::Contains("layer 'fc': the bias of output channel 1 is") &&
                          Catch::Contains(std::isnan(bad) ? "nan" : "inf"));
  }
  const auto finite = float_fc({0.5, -0.5, 0.0, 0.0, 0.25, 1.0}, {0.1, 0.3, 0.2});
  CHECK(build_program(finite.model(), kFcRanges).layers.size() == 1);
}

// The NaN bias makes the layer's output NaN on the calibration data: the bias
// is named, not the output it spoils nor a scale "beyond int32".
TEST_CASE("a NaN bias on a channel with weights is named before the NaN output it makes", "[program]") {
  const auto g = float_fc({0.5, -0.5, 0.25, 1.0, -1.0, 0.75}, {0.1, kNan, 0.2});
  for (const double y : {2.0, kNan}) {
    ActivationRanges ranges = kFcRanges;
    ranges["y"] = {-y, y};
    CHECK_THROWS_WITH(build_program(g.model(), ranges),
                      Catch::Contains("layer 'fc': the bias of output channel 1 is nan, not finite"));
  }
}

// ONNX reads int32 codes with zero point 0 and refuses another; a zero point
// of another type than the codes is invalid. The program used the codes as
// they were, so its outputs were the zero point 0 model's.
TEST_CASE("a constant's zero point ONNX would refuse is refused", "[program]") {
  const Tensor ws = test::per_channel({0.01, 0.02, 0.03});
  const Tensor bs = test::per_channel({0.005, 0.01, 0.015});
  const Tensor wz = Tensor::scalar_int(DType::Int8, 0);
  CHECK_THROWS_WITH(build_program(test::qdq_fc(ws, wz, bs, Tensor::scalar_int(DType::Int32, 7)).model()),
                    Catch::Contains("int32 codes need zero point 0, not 7"));
  CHECK(build_program(test::qdq_fc(ws, wz, bs, Tensor::scalar_int(DType::Int32, 0)).model()).layers.size() == 1);
  CHECK_THROWS_WITH(build_program(test::qdq_fc(ws, Tensor::scalar_int(DType::UInt8, 0), bs).model()),
                    Catch::Contains("zero point type uint8 differs from the codes' type int8"));
}

TEST_CASE("a host input step that makes the input NaN or infinite is refused, naming the node", "[program]") {
  const ActivationRanges ranges{{"x", {-1.0, 1.0}}, {"n", {-1.0, 1.0}}, {"y", {-2.0, 2.0}}};
  CHECK_THROWS_WITH(build_program(input_step("Div", {0.5, 0.0}).model(), ranges),
                    Catch::Contains("node 'normalize' (Div): divides the network input by a constant 0"));
  CHECK_THROWS_WITH(build_program(input_step("Mul", {kNan, 1.0}).model(), ranges),
                    Catch::Contains("node 'normalize' (Mul): its constant on the network input holds nan, not a finite number"));
  CHECK_THROWS_WITH(build_program(input_step("Sub", {0.0, kInf}).model(), ranges),
                    Catch::Contains("node 'normalize' (Sub): its constant on the network input holds inf"));
  CHECK(build_program(input_step("Div", {0.5, 2.0}).model(), ranges).input_steps.size() == 1);
  CHECK(build_program(input_step("Mul", {0.0, 2.0}).model(), ranges).input_steps.size() == 1);
}

// A value the calibration data makes NaN (0 / 0 in the graph) has no range:
// it used to be dropped, and the refusal named the value as having none.
TEST_CASE("calibration ranges mark a value that is NaN anywhere, and the builder names its node", "[program]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2});
  g.node("Sqrt", {"x"}, {"r"}, "root");
  g.output("r");
  const Tensor half_negative = Tensor::from_reals(DType::Float, {2, 2}, {0.25, 4.0, -1.0, 1.0});
  const Tensor positive = Tensor::from_reals(DType::Float, {2, 2}, {0.25, 4.0, 1.0, 1.0});
  const Tensor infinite = Tensor::from_reals(DType::Float, {2, 2}, {0.25, 4.0, kInf, 1.0});
  for (const RangeMethod method : {RangeMethod::MinMax, RangeMethod::Percentile, RangeMethod::Mse}) {
    CAPTURE(range_method_name(method));
    const ActivationRanges nan = activation_ranges(g.model(), half_negative, method);
    CHECK(std::isnan(nan.at("r").first));
    CHECK(std::isnan(nan.at("r").second));
    // An infinite end too is left to the builder: the range methods that
    // search within it would divide infinity.
    CHECK(activation_ranges(g.model(), infinite, method).at("r").second == kInf);
    const ActivationRanges fine = activation_ranges(g.model(), positive, method);
    CHECK(std::isfinite(fine.at("r").first));
    CHECK(std::isfinite(fine.at("r").second));
  }
  auto ranges = kFcRanges;
  ranges["y"] = {kNan, kNan};
  const auto fc = float_fc({0.5, -0.5, 0.25, 1.0, -1.0, 0.75}, {0.1, 0.3, 0.2});
  CHECK_THROWS_WITH(build_program(fc.model(), ranges),
                    Catch::Contains("node 'fc' (Gemm): 'y' is NaN on the calibration data"));
  ranges["y"] = {-2.0, kInf};
  CHECK_THROWS_WITH(build_program(fc.model(), ranges),
                    Catch::Contains("node 'fc' (Gemm): 'y' reaches inf on the calibration data"));
  ranges["x"] = {-kInf, 1.0};
  ranges["y"] = {-2.0, 2.0};
  CHECK_THROWS_WITH(build_program(fc.model(), ranges), Catch::Contains("'x' reaches -inf on the calibration data"));
}
