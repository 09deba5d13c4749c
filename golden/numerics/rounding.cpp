#include "golden/numerics/rounding.hpp"

#include <cmath>

namespace aps {

double round_half_to_even(double x) {
  const double r = std::round(x);  // ties away from zero
  if (std::fabs(x - std::trunc(x)) == 0.5) return 2.0 * std::round(x / 2.0);
  return r;
}

}  // namespace aps
