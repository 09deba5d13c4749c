#include "golden/numerics/weight_reduction.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/rounding.hpp"

namespace aps {
namespace {

bool midpoint(int shift, WeightReduction r) { return r == WeightReduction::Midpoint && shift > 0; }

}  // namespace

std::string_view weight_reduction_name(WeightReduction r) {
  return r == WeightReduction::Midpoint ? "midpoint" : "round";
}

WeightReduction parse_weight_reduction(std::string_view name, std::string_view what) {
  if (name == "round") return WeightReduction::RoundHalfUp;
  if (name == "midpoint") return WeightReduction::Midpoint;
  throw InputError(fmt::format("{}: weight reduction '{}' is neither round nor midpoint", what, name));
}

int32_t weight_operand(int32_t code, int bits, int shift, WeightReduction r) {
  if (!midpoint(shift, r)) return reduce_code(code, bits, shift, Signedness::Signed);
  const int32_t half = 1 << (bits - 1);
  return 2 * std::clamp(code >> shift, -half, half - 1) + 1;  // >> on a negative int32 is floor (C++20)
}

int32_t weight_zero_point_operand(int32_t zero_point, int bits, int shift, WeightReduction r) {
  if (!midpoint(shift, r)) return reduce_code(zero_point, bits, shift, Signedness::Signed);
  return static_cast<int32_t>(shift_right_round_half_up(2 * zero_point, shift));
}

std::array<int32_t, 256> weight_operand_table(int bits, int shift, WeightReduction r) {
  std::array<int32_t, 256> t{};
  for (int byte = 0; byte < 256; ++byte) t[static_cast<size_t>(byte)] = weight_operand(static_cast<int8_t>(byte), bits, shift, r);
  return t;
}

int weight_operand_shift(int shift, WeightReduction r) { return midpoint(shift, r) ? shift - 1 : shift; }

int weight_planes(int shift, WeightReduction r) {
  return midpoint(shift, r) ? kMaxBits - shift : reduction_planes(shift);
}

int weight_zero_point_planes(int shift, WeightReduction r) { return reduction_planes(weight_operand_shift(shift, r)); }

int weight_operand_bits(int bits, int shift, WeightReduction r) { return midpoint(shift, r) ? bits + 1 : bits; }

}  // namespace aps
