#pragma once
// A layer's precision configuration: what the PCU writes before the layer
// runs and what the scoreboard compares. `bits` is the operand width b; the
// shifts say how the 8-bit codes are reduced (golden/precision_reduction.hpp).

#include <cstdint>
#include <string>
#include <vector>

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

// A precision map: one width per layer of the program (layers without
// weights, such as pooling, carry 8 and ignore it).
using PrecisionMap = std::vector<int>;

// Parses "8", "4" (every layer) or "map:8,6,4" for a program whose layers
// have weights where `has_weights` says so. A map lists either every layer
// or only the layers with weights. InputError on anything else.
PrecisionMap parse_precision(const std::string& text, const std::vector<bool>& has_weights);
// "map:8,6,4" over the layers with weights.
std::string format_precision(const PrecisionMap& map, const std::vector<bool>& has_weights);

}  // namespace aps
