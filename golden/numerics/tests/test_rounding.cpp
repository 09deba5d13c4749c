// The rounding rules of golden/numerics/rounding.hpp, at their ties and edges.

#include <catch2/catch.hpp>
#include <limits>

#include "golden/numerics/rounding.hpp"

using namespace aps;

TEST_CASE("round_half_to_even rounds ties to the even neighbour", "[rounding]") {
  CHECK(round_half_to_even(0.5) == 0.0);
  CHECK(round_half_to_even(1.5) == 2.0);
  CHECK(round_half_to_even(2.5) == 2.0);
  CHECK(round_half_to_even(-0.5) == 0.0);
  CHECK(round_half_to_even(-1.5) == -2.0);
  CHECK(round_half_to_even(-2.5) == -2.0);
  CHECK(round_half_to_even(2.4999999) == 2.0);
  CHECK(round_half_to_even(2.5000001) == 3.0);
  CHECK(round_half_to_even(-7.0) == -7.0);
}

TEST_CASE("SaturatingRoundingDoublingHighMul matches gemmlowp", "[rounding]") {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  CHECK(saturating_rounding_doubling_high_mul(kMin, kMin) == kMax);  // the one overflow
  CHECK(saturating_rounding_doubling_high_mul(kMax, kMax) == kMax - 1);
  CHECK(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 1 << 29);
  // a*b / 2^31 = +-0.5, +-1.5, 2.5 exactly: ties go toward +infinity
  // (gemmlowp's nudge is 2^30 for a positive product, 1 - 2^30 otherwise).
  CHECK(saturating_rounding_doubling_high_mul(1, 1 << 29) == 0);    // 0.25
  CHECK(saturating_rounding_doubling_high_mul(1, 1 << 30) == 1);    // 0.5 -> 1
  CHECK(saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0);   // -0.5 -> 0
  CHECK(saturating_rounding_doubling_high_mul(3, 1 << 30) == 2);    // 1.5 -> 2
  CHECK(saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);  // -1.5 -> -1
  CHECK(saturating_rounding_doubling_high_mul(5, 1 << 30) == 3);    // 2.5 -> 3
  CHECK(saturating_rounding_doubling_high_mul(-5, 1 << 30) == -2);  // -2.5 -> -2
}

TEST_CASE("RoundingDivideByPOT rounds ties away from zero", "[rounding]") {
  CHECK(rounding_divide_by_pot(5, 1) == 3);    // 2.5
  CHECK(rounding_divide_by_pot(-5, 1) == -3);  // -2.5
  CHECK(rounding_divide_by_pot(7, 2) == 2);    // 1.75
  CHECK(rounding_divide_by_pot(6, 2) == 2);    // 1.5
  CHECK(rounding_divide_by_pot(-6, 2) == -2);  // -1.5
  CHECK(rounding_divide_by_pot(-7, 2) == -2);
  CHECK(rounding_divide_by_pot(4, 0) == 4);
  CHECK(rounding_divide_by_pot(std::numeric_limits<int32_t>::max(), 31) == 1);
  CHECK(rounding_divide_by_pot(std::numeric_limits<int32_t>::min(), 31) == -1);
}

TEST_CASE("shift_right_round_half_up rounds ties toward +infinity", "[rounding]") {
  CHECK(shift_right_round_half_up(2, 2) == 1);    // 0.5 -> 1
  CHECK(shift_right_round_half_up(-2, 2) == 0);   // -0.5 -> 0
  CHECK(shift_right_round_half_up(6, 2) == 2);    // 1.5 -> 2
  CHECK(shift_right_round_half_up(-6, 2) == -1);  // -1.5 -> -1
  CHECK(shift_right_round_half_up(255, 4) == 16);
  CHECK(shift_right_round_half_up(9, 0) == 9);
}
