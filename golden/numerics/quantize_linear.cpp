#include "golden/numerics/quantize_linear.hpp"

#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/rounding.hpp"

namespace aps {

bool is_positive_scale(double scale) { return scale > 0 && std::isfinite(scale); }

double checked_scale(double scale, std::string_view what, std::string_view where) {
  if (!is_positive_scale(scale)) throw InputError(fmt::format("{}: {} {} is not a positive number", where, what, scale));
  return scale;
}

double checked_dequantize_scale(double scale, std::string_view what, std::string_view where) {
  if (!(scale >= 0 && std::isfinite(scale)))
    throw InputError(fmt::format("{}: {} {} is not a number >= 0", where, what, scale));
  return scale;
}

int64_t quantize_linear(double x, float scale, int64_t zero_point, DType type) {
  const float quotient = static_cast<float>(static_cast<float>(x) / scale);
  const double lo = static_cast<double>(dtype_min(type));
  const double hi = static_cast<double>(dtype_max(type));
  if (std::isnan(quotient)) return zero_point < dtype_min(type) ? dtype_min(type) : zero_point;
  const double q = round_half_to_even(static_cast<double>(quotient)) + static_cast<double>(zero_point);
  if (q <= lo) return dtype_min(type);
  if (q >= hi) return dtype_max(type);
  return static_cast<int64_t>(q);
}

double dequantize_linear(int64_t q, float scale, int64_t zero_point) {
  const float diff = static_cast<float>(q - zero_point);
  return static_cast<double>(diff * scale);
}

float qlinear_multiplier(float scale_a, float scale_b, float scale_y) {
  const float product = scale_a * scale_b;
  return product / scale_y;
}

int64_t qlinear_requantize(int64_t acc, float multiplier, int64_t zero_point, DType type) {
  const float scaled = static_cast<float>(acc) * multiplier;
  const double q = round_half_to_even(static_cast<double>(scaled)) + static_cast<double>(zero_point);
  if (q <= static_cast<double>(dtype_min(type))) return dtype_min(type);
  if (q >= static_cast<double>(dtype_max(type))) return dtype_max(type);
  return static_cast<int64_t>(q);
}

}  // namespace aps
