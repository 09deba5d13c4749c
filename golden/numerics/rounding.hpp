#pragma once
// Every rounding rule of APS, defined once. Two families, never mixed:
//
//  * ONNX path (the interpreter, the model's float edges): QuantizeLinear and
//    friends round half to EVEN (IEEE nearbyint), as the ONNX spec and ONNX
//    Runtime do.
//  * Accelerator path (network program, rtl/): integer-only. Requantization
//    follows gemmlowp/TFLite: SaturatingRoundingDoublingHighMul rounds to
//    nearest at bit 31 with ties toward +infinity (its nudge-then-truncate:
//    +0.5 -> 1, -0.5 -> 0, -1.5 -> -1); RoundingDivideByPOT rounds half AWAY
//    from zero. The precision reduction (8 -> b bits) shifts right rounding
//    half UP (toward +infinity), which is an adder and an arithmetic shift in
//    RTL.
//
// rtl/aps_pkg.sv mirrors the accelerator-path functions bit for bit. The
// per-element ones are inline: every layer output runs through them.

#include <cstdint>
#include <limits>

namespace aps {

// Round to nearest, ties to even; independent of the floating-point
// environment's rounding mode.
double round_half_to_even(double x);

// gemmlowp SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b,
// i.e. a*b / 2^31, rounded to nearest with ties toward +infinity (gemmlowp
// adds 2^30, or 1 - 2^30 for a negative product, then truncates); the one
// overflow case
// (a == b == INT32_MIN) saturates to INT32_MAX.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  // C++ division truncates toward zero, as gemmlowp relies on.
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away
// from zero. exponent in [0, 31].
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x / 2^shift rounded to nearest, ties toward +infinity:
// (x + 2^(shift-1)) >> shift with an arithmetic shift. shift in [0, 30].
int32_t shift_right_round_half_up(int32_t x, int shift);

// Saturate a 64-bit value into int32.
inline int32_t saturate_int32(int64_t x) {
  if (x > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (x < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x);
}

}  // namespace aps
