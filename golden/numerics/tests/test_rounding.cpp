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

TEST_CASE("shift_right_round_half_even rounds ties to the even neighbour", "[rounding]") {
  CHECK(shift_right_round_half_even(2, 2) == 0);    // 0.5 -> 0
  CHECK(shift_right_round_half_even(6, 2) == 2);    // 1.5 -> 2
  CHECK(shift_right_round_half_even(10, 2) == 2);   // 2.5 -> 2
  CHECK(shift_right_round_half_even(-2, 2) == 0);   // -0.5 -> 0
  CHECK(shift_right_round_half_even(-6, 2) == -2);  // -1.5 -> -2
  CHECK(shift_right_round_half_even(7, 2) == 2);    // 1.75
  CHECK(shift_right_round_half_even(5, 2) == 1);    // 1.25
  CHECK(shift_right_round_half_even(9, 0) == 9);
  constexpr int64_t kBig = (int64_t{1} << 62) - 1;
  CHECK(shift_right_round_half_even(kBig, 62) == 1);
  CHECK(shift_right_round_half_even(-kBig, 62) == -1);
  CHECK(shift_right_round_half_even(int64_t{3} << 40, 41) == 2);       // 1.5 -> 2
  CHECK(shift_right_round_half_even(-(int64_t{5} << 40), 41) == -2);  // -2.5 -> -2
}

TEST_CASE("shift_right_round_half_up rounds ties toward +infinity", "[rounding]") {
  CHECK(shift_right_round_half_up(2, 2) == 1);    // 0.5 -> 1
  CHECK(shift_right_round_half_up(-2, 2) == 0);   // -0.5 -> 0
  CHECK(shift_right_round_half_up(6, 2) == 2);    // 1.5 -> 2
  CHECK(shift_right_round_half_up(-6, 2) == -1);  // -1.5 -> -1
  CHECK(shift_right_round_half_up(255, 4) == 16);
  CHECK(shift_right_round_half_up(9, 0) == 9);
  // the widths requantization uses: a 62-bit product, shifts up to 62
  constexpr int64_t kBig = (int64_t{1} << 62) - 1;
  CHECK(shift_right_round_half_up(kBig, 62) == 1);    // just below 1
  CHECK(shift_right_round_half_up(-kBig, 62) == -1);
  CHECK(shift_right_round_half_up(int64_t{3} << 40, 41) == 2);     // 1.5 -> 2
  CHECK(shift_right_round_half_up(-(int64_t{3} << 40), 41) == -1);  // -1.5 -> -1
}
