#pragma once
// Requantization of the accelerator path: int32 accumulator -> uint8 code,
// integer only. rtl/aps_pkg.sv's mbqm and requantize are its twins.
//
//   y = clamp( multiply_by_quantized_multiplier(acc, M') + z_out, lo, 255 )
//   lo = relu ? z_out : 0
//   M' = M, or on a leaky layer where acc < 0, {negative_multiplier(M, slope), M.shift}
//
// multiply_by_quantized_multiplier(x, {m, s}) =
//   shift_right_round_half_even( sat32(x * 2^max(s,0)) * m, 31 + max(-s,0) )
//
// The real multiplier s_in * s_w / s_out is represented as m * 2^(s-31) with
// m in [2^30, 2^31), TFLite's representation. The product is rounded once
// (TFLite rounds at bit 31 and again after the right shift, which is off by
// a whole code for small accumulators with multipliers well below 1, as an
// average pool's). The left shift saturates (TFLite leaves overflow
// undefined; the RTL saturates, so the contract does too).

#include <algorithm>
#include <cstdint>
#include <optional>

#include "golden/numerics/rounding.hpp"

namespace aps {

struct QuantizedMultiplier {
  int32_t multiplier = 0;  // Q0.31, in [2^30, 2^31), or 0 for a zero multiplier
  int32_t shift = 0;       // power of two; > 0 shifts left, < 0 shifts right

  bool operator==(const QuantizedMultiplier&) const = default;
};

// Largest left shift the accelerator supports (a multiplier below 2^8).
inline constexpr int kMaxLeftShift = 8;
// Multipliers below 2^-31 cannot be represented and become zero (TFLite).
QuantizedMultiplier quantize_multiplier(double real_multiplier);
double real_value(QuantizedMultiplier m);
// The multiplier of a layer whose accumulator is an integer (weights and
// bias, or an average pool's sum): at 255 or above every non-zero
// accumulator saturates the output from any zero point, so 255, which the
// accelerator holds, stands for them all. Calibration gives such a
// multiplier to a layer whose output range is tiny against its input's (a
// ReLU it saw nearly dead).
QuantizedMultiplier saturating_multiplier(double real_multiplier);

// |x * m| < 2^62 and the shift is at most 31 + 31, so the product and its
// rounding fit int64; the result is at most |x| + 1/2 in magnitude.
inline int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m) {
  const int left = std::max(m.shift, 0);
  const int right = std::max(-m.shift, 0);
  const int64_t shifted = saturate_int32(static_cast<int64_t>(x) * (int64_t{1} << left));
  return static_cast<int32_t>(shift_right_round_half_even(shifted * m.multiplier, 31 + right));
}

// The codes the output stage clamps to: [lowest_output_code, kHighestOutputCode].
inline constexpr int32_t kHighestOutputCode = 255;
inline int32_t lowest_output_code(int32_t output_zero_point, bool relu) { return relu ? output_zero_point : 0; }

// A LeakyRelu or PRelu folded into the output stage: the real value below 0
// is multiplied by the slope, so a negative accumulator takes M times the
// slope, in M's shift (one rounding, as for any output). The slope is Q1.30
// and at most 1 in magnitude, so the product is below 2^31 like M.
inline constexpr int kSlopeFractionBits = 30;
inline constexpr int32_t kUnitSlope = int32_t{1} << kSlopeFractionBits;
// The Q1.30 code of a real slope, rounded half to even; refuses a slope that
// is not finite or beyond [-1, 1] (the caller names the node).
int32_t slope_code(double slope);
int32_t negative_multiplier(QuantizedMultiplier m, int32_t slope);

// The full output stage of a layer; `negative` is a leaky layer's multiplier
// for a negative accumulator (negative_multiplier).
inline uint8_t requantize(int32_t acc, QuantizedMultiplier m, int32_t output_zero_point, bool relu,
                          std::optional<int32_t> negative = std::nullopt) {
  if (negative && acc < 0) m.multiplier = *negative;
  const int64_t y = static_cast<int64_t>(multiply_by_quantized_multiplier(acc, m)) + output_zero_point;
  return static_cast<uint8_t>(
      std::clamp<int64_t>(y, lowest_output_code(output_zero_point, relu), kHighestOutputCode));
}

}  // namespace aps
