#pragma once
// Reduction of an 8-bit operand to b bits: the one rule by which a layer at
// precision b sees its inputs and weights. rtl/aps_pkg.sv (reduce_code) is
// its twin.
//
// Codes and zero points are reduced alike, so the MAC keeps subtracting the
// zero point from the code before multiplying, now with b-bit values:
//
//   reduce(c, b, s) = c                                   if b == 8 and s == 0
//                   = clamp((c + 2^(s-1)) >> s, range_b)  otherwise
//
// with an arithmetic shift (round half toward +infinity) and
//   range_b = [0, 2^b - 1]                    for unsigned codes (activations)
//   range_b = [-(2^(b-1) - 1), 2^(b-1) - 1]   for signed codes (weights);
// the signed range is symmetric so that 2-bit weights are ternary.
//
// The shift s is normally 8 - b: a reduced value then carries scale
// s_8 * 2^(8-b), so an accumulator of reduced products returns to the 8-bit
// scale by shifting left by s_act + s_w, and the requantization multiplier
// stays the 8-bit one. Rounding half up from one plane makes a reduced code
// half an 8-bit code high on average; calibration cancels the drift this
// leaves in a layer's accumulators through its bias at that width
// (golden/adaptation/bias_correction.hpp). Adaptive scaling picks a smaller activation
// shift (s < 8 - b) when the input's actual range is small; only the shifts
// change.

#include <array>
#include <cstdint>

namespace aps {

inline constexpr int kMinBits = 2;
inline constexpr int kMaxBits = 8;

enum class Signedness { Unsigned, Signed };

// Lowest/highest b-bit value an operand may take after reduction.
int32_t reduced_min(int bits, Signedness s);
int32_t reduced_max(int bits, Signedness s);

// bits in [2, 8], shift in [0, 8 - bits] (normally exactly 8 - bits).
int32_t reduce_code(int32_t code, int bits, int shift, Signedness s);

// reduce_code of every 8-bit code of one signedness at one width and shift,
// indexed by the code's byte (a signed code's two's complement): a layer
// reduces its tensors by lookup, the rule itself evaluated once per code.
std::array<int32_t, 256> reduction_table(int bits, int shift, Signedness s);

// The shift that plain (non-adaptive) reduction uses.
constexpr int default_shift(int bits) { return kMaxBits - bits; }

// How many of an 8-bit code's bit-planes, most significant first, its
// reduction by `shift` reads: the rounding adds at bit shift - 1 and nothing
// below it reaches the result, so a code whose lower planes are zero reduces
// exactly as the whole code does. Weights are stored plane by plane and a
// layer loads only these planes (rtl/aps_pkg.sv reduction_planes is the twin).
constexpr int reduction_planes(int shift) { return shift <= 1 ? kMaxBits : kMaxBits + 1 - shift; }

}  // namespace aps
