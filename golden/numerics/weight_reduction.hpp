#pragma once
// How a layer's int8 weights become the operands its PEs multiply at b bits.
// rtl/aps_pkg.sv (weight_operand, weight_zp_operand, weight_planes) is its
// twin.
//
// Weights are stored bit-plane-major, most significant plane first, and a
// layer reads only the planes its rule needs. Two rules:
//
//   RoundHalfUp  the operand is reduce_code(w, b, s) (precision_reduction.hpp);
//                rounding looks at the plane below the kept ones, so a layer
//                reads b + 1 planes.
//   Midpoint     the operand is the kept planes read as the middle of the
//                interval they leave open: 2 * floor(w / 2^s) + 1 half-steps,
//                floor(w / 2^s) clamped to the b-bit two's-complement range.
//                The appended 1 is a constant, not a plane: a layer reads b
//                planes. The levels are odd and symmetric (2 bits: -3, -1, 1,
//                3 half-steps), unbiased like rounding, one more than the
//                symmetric rounding range holds, and none is zero.
//
// The weight zero point is subtracted before the multiply under both rules.
// Under Midpoint it is not truncated (that would cancel the midpoint): it is
// rounded half up to the half-step grid, (2 z + 2^(s-1)) >> s, exact for the
// symmetric weights (z = 0) exporters write. So a zero point is read with
// the planes its rounding needs, one more than rounding half up reads (the
// tile headers hold them); only the weights themselves save a plane. And a
// weight equal to its zero point no longer multiplies
// by exactly 0: the array leaves lanes that hold no input channel (stored
// with the zero point as their weight) out of its sums.
//
// An operand carries scale s_w * 2^weight_operand_shift: s under RoundHalfUp,
// s - 1 (the half-step) under Midpoint. At s = 0 (8 bits) both rules are the
// identity.

#include <array>
#include <cstdint>
#include <string_view>

namespace aps {

enum class WeightReduction { RoundHalfUp, Midpoint };

std::string_view weight_reduction_name(WeightReduction r);  // "round" or "midpoint"
// InputError naming `what` unless `name` is "round" or "midpoint".
WeightReduction parse_weight_reduction(std::string_view name, std::string_view what);

// The PE operand of weight code w (-128..127) at `bits`, weight shift `shift`.
int32_t weight_operand(int32_t code, int bits, int shift, WeightReduction r);
// weight_operand of every int8 code, indexed by its byte (two's complement):
// a layer reduces its weights by lookup.
std::array<int32_t, 256> weight_operand_table(int bits, int shift, WeightReduction r);
// The operand its zero point z becomes.
int32_t weight_zero_point_operand(int32_t zero_point, int bits, int shift, WeightReduction r);
// How far left an accumulator of these operands returns to the 8-bit weight scale.
int weight_operand_shift(int shift, WeightReduction r);
// Bit-planes of the stored weights, most significant first, a layer reads.
int weight_planes(int shift, WeightReduction r);
// Bit-planes of a zero point (a tile's header) a layer reads: it rounds at
// the operand's scale.
int weight_zero_point_planes(int shift, WeightReduction r);
// Bits of the signed operand (for the energy model's multiplier width).
int weight_operand_bits(int bits, int shift, WeightReduction r);

}  // namespace aps
