#pragma once
// A layer's precision configuration: what the PCU writes before the layer
// runs and what the scoreboard compares. `bits` is the operand width b; the
// shifts say how the 8-bit codes are reduced (golden/numerics/precision_reduction.hpp).

#include <cstdint>
#include <string>

namespace aps {

struct LayerConfig {
  int bits = 8;          // 2..8
  int act_shift = 0;     // 8 - bits, or less under adaptive scaling
  int weight_shift = 0;  // 8 - bits
  bool operator==(const LayerConfig&) const = default;
};

// The plain configuration of width b: both shifts 8 - b.
LayerConfig static_config(int bits);

// InputError naming `what` unless 2 <= bits <= 8 and 0 <= shifts <= 8 - bits.
void check_layer_config(const LayerConfig& c, const std::string& what);

}  // namespace aps
