#include <catch2/catch.hpp>
#include <set>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/weight_reduction.hpp"

using namespace aps;

namespace {
constexpr WeightReduction kRules[] = {WeightReduction::RoundHalfUp, WeightReduction::Midpoint};

// The top `planes` bits of an int8 code, the rest 0: what a layer that
// reads `planes` planes has of it.
int32_t top_planes(int32_t code, int planes) {
  const int keep = ~((1 << (kMaxBits - planes)) - 1) & 0xff;
  return static_cast<int8_t>(static_cast<uint8_t>(code) & keep);
}
}  // namespace

TEST_CASE("at 8 bits both weight rules are the identity", "[precision]") {
  for (const auto r : kRules)
    for (int code = -128; code <= 127; ++code) {
      CHECK(weight_operand(code, 8, 0, r) == code);
      CHECK(weight_zero_point_operand(code, 8, 0, r) == code);
    }
  CHECK(weight_operand_shift(0, WeightReduction::Midpoint) == 0);
  CHECK(weight_planes(0, WeightReduction::Midpoint) == 8);
}

TEST_CASE("round half up is reduce_code and reads one plane below the kept ones", "[precision]") {
  for (int bits = kMinBits; bits < kMaxBits; ++bits) {
    const int s = default_shift(bits);
    for (int code = -128; code <= 127; ++code)
      REQUIRE(weight_operand(code, bits, s, WeightReduction::RoundHalfUp) == reduce_code(code, bits, s, Signedness::Signed));
    CHECK(weight_planes(s, WeightReduction::RoundHalfUp) == reduction_planes(s));
    CHECK(weight_operand_shift(s, WeightReduction::RoundHalfUp) == s);
  }
}

TEST_CASE("midpoint reads the b kept planes and no others", "[precision]") {
  for (int bits = kMinBits; bits < kMaxBits; ++bits) {
    const int s = default_shift(bits);
    const int planes = weight_planes(s, WeightReduction::Midpoint);
    CHECK(planes == bits);
    bool fewer_differs = false;
    for (int code = -128; code <= 127; ++code) {
      INFO("bits " << bits << " code " << code);
      REQUIRE(weight_operand(top_planes(code, planes), bits, s, WeightReduction::Midpoint) ==
              weight_operand(code, bits, s, WeightReduction::Midpoint));
      fewer_differs |= weight_operand(top_planes(code, planes - 1), bits, s, WeightReduction::Midpoint) !=
                       weight_operand(code, bits, s, WeightReduction::Midpoint);
    }
    CHECK(fewer_differs);
  }
}

TEST_CASE("midpoint levels are odd half-steps, 2^b of them, symmetric and none zero", "[precision]") {
  for (int bits = kMinBits; bits < kMaxBits; ++bits) {
    const int s = default_shift(bits);
    std::set<int32_t> levels;
    for (int code = -128; code <= 127; ++code) levels.insert(weight_operand(code, bits, s, WeightReduction::Midpoint));
    INFO("bits " << bits);
    CHECK(levels.size() == (size_t{1} << bits));
    for (const int32_t v : levels) {
      CHECK(v % 2 != 0);
      CHECK(levels.count(-v) == 1);
    }
  }
  CHECK(std::set<int32_t>{-3, -1, 1, 3} == [] {
    std::set<int32_t> l;
    for (int code = -128; code <= 127; ++code) l.insert(weight_operand(code, 2, 6, WeightReduction::Midpoint));
    return l;
  }());
}

TEST_CASE("a midpoint operand is within half a step of its code, half a code high on average", "[precision]") {
  for (int bits = kMinBits; bits < kMaxBits; ++bits) {
    const int s = default_shift(bits);
    const int64_t step = int64_t{1} << s;  // one reduced step in 8-bit codes
    int64_t midpoint_sum = 0;
    for (int code = -128; code <= 127; ++code) {
      // An operand in 8-bit codes: operand * 2^weight_operand_shift.
      const int64_t m = int64_t{weight_operand(code, bits, s, WeightReduction::Midpoint)}
                        << weight_operand_shift(s, WeightReduction::Midpoint);
      INFO("bits " << bits << " code " << code);
      REQUIRE(2 * std::abs(m - code) <= step);
      midpoint_sum += m - code;
    }
    // Every interval of `step` codes averages +1/2 code, as rounding half
    // up does where it does not clamp.
    CHECK(2 * midpoint_sum == 256);
  }
}

TEST_CASE("a midpoint zero point is rounded to the half-step grid, not truncated", "[precision]") {
  CHECK(weight_zero_point_operand(0, 4, 4, WeightReduction::Midpoint) == 0);
  // z = 8 at s = 4 is exactly one half-step.
  CHECK(weight_zero_point_operand(8, 4, 4, WeightReduction::Midpoint) == 1);
  CHECK(weight_zero_point_operand(-8, 4, 4, WeightReduction::Midpoint) == -1);
  CHECK(weight_zero_point_operand(3, 4, 4, WeightReduction::Midpoint) == 0);
  CHECK(weight_zero_point_operand(4, 4, 4, WeightReduction::Midpoint) == 1);  // half up
  // A weight equal to its zero point still multiplies by about zero.
  for (int z : {-24, 0, 40})
    CHECK(std::abs(weight_operand(z, 4, 4, WeightReduction::Midpoint) - weight_zero_point_operand(z, 4, 4, WeightReduction::Midpoint)) <= 1);
}

TEST_CASE("weight reduction names round-trip and a wrong one is refused", "[precision]") {
  for (const auto r : kRules) CHECK(parse_weight_reduction(weight_reduction_name(r), "--weight-reduction") == r);
  CHECK_THROWS_AS(parse_weight_reduction("truncate", "--weight-reduction"), InputError);
}
