// The decision a cascade keeps and the margin it escalates on, computed by
// hand for a classifier and for an anomaly detector.

#include <catch2/catch.hpp>

#include "golden/accelerator/decision_rule.hpp"
#include "golden/errors.hpp"

using namespace aps;

namespace {
// A program whose input and output codes both dequantize as code * 0.5
// (exact in binary, so the margins below are exact too).
NetworkProgram identity_scales() {
  NetworkProgram p;
  p.input_q = {0.5, 0};
  p.layers.resize(1);
  p.layers.back().out_q = {0.5, 0};
  return p;
}
}  // namespace

TEST_CASE("a classifier decides its largest output code, with the top-2 margin", "[decision]") {
  const NetworkProgram p = identity_scales();
  const Decision d = DecisionRule::classifier().decide(p, {}, {3, 40, 25, 7});
  CHECK(d.value == 1);
  CHECK(d.margin == 15);
}

TEST_CASE("an anomaly detector decides on its reconstruction error against the threshold", "[decision]") {
  const NetworkProgram p = identity_scales();
  // Input codes 10, 10 (5, 5); output 12, 10 (6, 5): error (1^2 + 0) / 2 = 0.5.
  const Codes in{10, 10}, out{12, 10};
  const Decision normal = DecisionRule::anomaly_threshold(1.0).decide(p, in, out);
  CHECK(normal.value == 0);
  CHECK(normal.margin == 50);  // |0.5 - 1| / 1
  CHECK(normal.score == 0.5);
  const Decision anomaly = DecisionRule::anomaly_threshold(0.25).decide(p, in, out);
  CHECK(anomaly.value == 1);
  CHECK(anomaly.margin == 100);  // 0.25 / 0.25
  // At the threshold the input is normal, with no margin.
  CHECK(DecisionRule::anomaly_threshold(0.5).decide(p, in, out).value == 0);
  CHECK(DecisionRule::anomaly_threshold(0.5).decide(p, in, out).margin == 0);
  // Far from the threshold, the margin saturates at 255 %.
  CHECK(DecisionRule::anomaly_threshold(0.125).decide(p, in, out).margin == 255);
  CHECK_THROWS_AS(DecisionRule::anomaly_threshold(0.0), InputError);
  CHECK_THROWS_AS(DecisionRule::anomaly_threshold(-1.0), InputError);
}

TEST_CASE("an anomaly detector whose graph normalizes its input is refused, not scored on the normalized input",
          "[decision]") {
  NetworkProgram p = identity_scales();
  p.source = "ae.onnx";
  p.input_steps.push_back({InputStep::Op::Mul, false, {0.5f, 0.5f}});
  CHECK_THROWS_WITH(DecisionRule::anomaly_threshold(1.0).decide(p, {10, 10}, {12, 10}),
                    Catch::Contains("ae.onnx: an anomaly detector whose graph normalizes its input is not supported"));
  CHECK(DecisionRule::classifier().decide(p, {10, 10}, {12, 10}).value == 0);  // a classifier's decision ignores it
}
