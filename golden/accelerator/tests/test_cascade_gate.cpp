// The cascade's confidence gate: the three largest codes as the RTL tracks
// them, the score by hand, and the register limits.

#include <catch2/catch.hpp>

#include "golden/accelerator/cascade_gate.hpp"
#include "golden/errors.hpp"

using namespace aps;

TEST_CASE("output gaps: top1 minus the second and the third code, from code 0", "[gate]") {
  CHECK(output_gaps({1, 5, 2}) == OutputGaps{3, 4});
  CHECK(output_gaps({9, 3, 9, 9}) == OutputGaps{0, 0});  // ties count as distinct outputs
  CHECK(output_gaps({2, 4, 6, 8}) == OutputGaps{2, 4});  // each new top pushes the old second down
  CHECK(output_gaps({8, 6, 4, 7}) == OutputGaps{1, 2});  // a new second pushes the old one to third
  CHECK(output_gaps({7}) == OutputGaps{7, 7});
  CHECK(output_gaps({7, 3}) == OutputGaps{4, 7});
}

TEST_CASE("the gate re-runs when its weighted gaps fall below the threshold", "[gate]") {
  const CascadeGate g{2, 1, 20};
  CHECK(g.score({5, 9}) == 19);
  CHECK(g.escalates({5, 9}));
  CHECK_FALSE(g.escalates({5, 10}));  // 20 is not below 20
  CHECK_FALSE(CascadeGate::margin(0).escalates({0, 0}));
  CHECK(CascadeGate::margin(8).escalates({7, 200}));  // the plain check ignores the third
  CHECK(CascadeGate::margin(8).describe() == "margin < 8");
  CHECK(g.describe() == "2*m12 + 1*m13 < 20");
  // The largest score still fits the threshold field.
  CHECK(CascadeGate{15, 15, 0}.score({255, 255}) < CascadeGate::kMaxThreshold);
}

TEST_CASE("the gate's weights and threshold must fit the register", "[gate]") {
  CHECK_NOTHROW(check_gate({15, 15, CascadeGate::kMaxThreshold}, "p"));
  CHECK_THROWS_AS(check_gate({16, 0, 1}, "p"), InputError);
  CHECK_THROWS_AS(check_gate({1, -1, 1}, "p"), InputError);
  CHECK_THROWS_WITH(check_gate({1, 0, CascadeGate::kMaxThreshold + 1}, "p.onnx"),
                    Catch::Contains("p.onnx: cascade gate") && Catch::Contains("threshold 0..8191"));
}
