#include "golden/numerics/requantize.hpp"

#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

QuantizedMultiplier quantize_multiplier(double real) {
  if (!(real >= 0.0) || !std::isfinite(real))
    throw InputError(fmt::format("requantization multiplier {} is not a finite non-negative number", real));
  if (real == 0.0) return {0, 0};
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, fraction in [0.5, 1)
  auto q = static_cast<int64_t>(std::round(fraction * static_cast<double>(int64_t{1} << 31)));
  if (q == (int64_t{1} << 31)) {  // rounding carried into the next power of two
    q /= 2;
    ++exponent;
  }
  if (exponent < -31) return {0, 0};
  if (exponent > kMaxLeftShift)
    throw InputError(fmt::format("requantization multiplier {} is too large (at most 2^{})", real, kMaxLeftShift));
  return {static_cast<int32_t>(q), exponent};
}

QuantizedMultiplier saturating_multiplier(double real) {
  // From 255 up every non-zero accumulator saturates already, and 255 is
  // clear of the carry that takes reals just below 2^8 to 2^8.
  return quantize_multiplier(real >= kHighestOutputCode ? static_cast<double>(kHighestOutputCode) : real);
}

int32_t slope_code(double slope) {
  if (!std::isfinite(slope) || std::fabs(slope) > 1.0)
    throw InputError(fmt::format("negative slope {} is not a finite number in [-1, 1]", slope));
  return static_cast<int32_t>(round_half_to_even(slope * kUnitSlope));
}

int32_t negative_multiplier(QuantizedMultiplier m, int32_t slope) {
  return static_cast<int32_t>(
      shift_right_round_half_even(static_cast<int64_t>(m.multiplier) * slope, kSlopeFractionBits));
}

double real_value(QuantizedMultiplier m) {
  return std::ldexp(static_cast<double>(m.multiplier), m.shift - 31);
}

}  // namespace aps
