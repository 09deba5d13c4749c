#pragma once
// Requantization of the accelerator path: int32 accumulator -> uint8 code,
// integer only, gemmlowp/TFLite semantics. rtl/aps_requant.sv is its twin.
//
//   y = clamp( MultiplyByQuantizedMultiplier(acc, M) + z_out, lo, 255 )
//   lo = relu ? z_out : 0
//
// MultiplyByQuantizedMultiplier(x, {m, s}) =
//   RoundingDivideByPOT( SRDHM( sat32(x * 2^max(s,0)), m ), max(-s,0) )
//
// The real multiplier s_in * s_w / s_out is represented as m * 2^(s-31) with
// m in [2^30, 2^31). The left shift saturates (TFLite leaves overflow
// undefined; the RTL saturates, so the contract does too).

#include <cstdint>

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

int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m);

// The full output stage of a layer.
uint8_t requantize(int32_t acc, QuantizedMultiplier m, int32_t output_zero_point, bool relu);

}  // namespace aps
