#include "golden/numerics/precision_reduction.hpp"

#include <algorithm>

#include "golden/numerics/rounding.hpp"

namespace aps {

int32_t reduced_min(int bits, Signedness s) {
  return s == Signedness::Unsigned ? 0 : -((1 << (bits - 1)) - 1);
}

int32_t reduced_max(int bits, Signedness s) {
  return s == Signedness::Unsigned ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
}

int32_t reduce_code(int32_t code, int bits, int shift, Signedness s) {
  if (bits == kMaxBits && shift == 0) return code;
  return std::clamp(static_cast<int32_t>(shift_right_round_half_up(code, shift)), reduced_min(bits, s), reduced_max(bits, s));
}

std::array<int32_t, 256> reduction_table(int bits, int shift, Signedness s) {
  std::array<int32_t, 256> t{};
  for (int byte = 0; byte < 256; ++byte) {
    const int32_t code = s == Signedness::Signed ? static_cast<int8_t>(byte) : byte;
    t[static_cast<size_t>(byte)] = reduce_code(code, bits, shift, s);
  }
  return t;
}

}  // namespace aps
