#include "golden/numerics/rounding.hpp"

#include <cmath>

namespace aps {

double round_half_to_even(double x) {
  const double r = std::round(x);  // ties away from zero
  if (std::fabs(x - std::trunc(x)) == 0.5) return 2.0 * std::round(x / 2.0);
  return r;
}

int32_t shift_right_round_half_up(int32_t x, int shift) {
  if (shift == 0) return x;
  return static_cast<int32_t>((static_cast<int64_t>(x) + (int64_t{1} << (shift - 1))) >> shift);
}

}  // namespace aps
