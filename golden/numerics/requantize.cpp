#include "golden/numerics/requantize.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/rounding.hpp"

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

double real_value(QuantizedMultiplier m) {
  return std::ldexp(static_cast<double>(m.multiplier), m.shift - 31);
}

int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m) {
  const int left = std::max(m.shift, 0);
  const int right = std::max(-m.shift, 0);
  const int32_t shifted = saturate_int32(static_cast<int64_t>(x) * (int64_t{1} << left));
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, m.multiplier), right);
}

uint8_t requantize(int32_t acc, QuantizedMultiplier m, int32_t output_zero_point, bool relu) {
  const int64_t y = static_cast<int64_t>(multiply_by_quantized_multiplier(acc, m)) + output_zero_point;
  const int64_t lo = relu ? output_zero_point : 0;
  return static_cast<uint8_t>(std::clamp<int64_t>(y, lo, 255));
}

}  // namespace aps
