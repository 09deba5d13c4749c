#include "golden/accelerator/layer_config.hpp"

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps {

LayerConfig static_config(int bits) { return {bits, default_shift(bits), default_shift(bits)}; }

void check_layer_config(const LayerConfig& c, const std::string& what) {
  if (c.bits < kMinBits || c.bits > kMaxBits)
    throw InputError(fmt::format("{}: precision {} is outside {}..{} bits", what, c.bits, kMinBits, kMaxBits));
  for (int s : {c.act_shift, c.weight_shift})
    if (s < 0 || s > default_shift(c.bits))
      throw InputError(fmt::format("{}: shift {} is outside 0..{} for {} bits", what, s, default_shift(c.bits), c.bits));
}

}  // namespace aps
