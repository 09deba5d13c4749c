#pragma once
// Every rounding rule of APS, defined once. Two families, never mixed:
//
//  * ONNX path (the interpreter, the model's float edges): QuantizeLinear and
//    friends round half to EVEN (IEEE nearbyint), as the ONNX spec and ONNX
//    Runtime do.
//  * Accelerator path (network program, rtl/): integer-only shifts.
//    Requantization rounds the 64-bit product of accumulator and multiplier
//    once, half to EVEN as QuantizeLinear does (gemmlowp/TFLite round twice,
//    at bit 31 and again after the exponent's shift, which moves a small
//    accumulator's result a whole code: an average pool's sum of 35 times
//    0.41 gave 15, not 14; and half up, which puts a ReLU6 map's global
//    average of 16 codes a code off ONNX at each exact tie). The precision
//    reduction (8 -> b bits) shifts right rounding half UP (toward
//    +infinity: +0.5 -> 1, -0.5 -> 0, -1.5 -> -1), an adder and an
//    arithmetic shift in RTL.
//
// rtl/aps_pkg.sv mirrors the accelerator-path functions bit for bit. The
// per-element ones are inline: every layer output runs through them.

#include <cstdint>
#include <limits>

namespace aps {

// Round to nearest, ties to even; independent of the floating-point
// environment's rounding mode.
double round_half_to_even(double x);

// x / 2^shift rounded to nearest, ties toward +infinity:
// (x + 2^(shift-1)) >> shift with an arithmetic shift (C++20 defines >> of a
// negative value as floor). shift in [0, 62], |x| < 2^62.
inline int64_t shift_right_round_half_up(int64_t x, int shift) {
  if (shift == 0) return x;
  return (x + (int64_t{1} << (shift - 1))) >> shift;
}

// x / 2^shift rounded to nearest, ties to the even neighbour: the floor, one
// more when the remainder is above half, or half and the floor odd. shift in
// [0, 62], |x| < 2^62.
inline int64_t shift_right_round_half_even(int64_t x, int shift) {
  if (shift == 0) return x;
  const int64_t floor = x >> shift;
  const int64_t remainder = x - (floor << shift), half = int64_t{1} << (shift - 1);
  return floor + ((remainder > half || (remainder == half && (floor & 1))) ? 1 : 0);
}

// Saturate a 64-bit value into int32.
inline int32_t saturate_int32(int64_t x) {
  if (x > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (x < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x);
}

}  // namespace aps
