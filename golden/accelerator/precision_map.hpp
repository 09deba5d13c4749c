#pragma once
// Precision maps and what they cost. A precision map gives every step of a
// program its width; a map over the layers with weights ("map:8,6,4") is
// what people and profiles write. The work of a configuration, or of a run,
// is counted in bit-MACs (MACs x operand width: a bit-serial array's cycles
// follow it), and the MAC-weighted average width is bit-MACs / MACs.

#include <string>
#include <vector>

#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

// A precision map: one width per layer of the program (layers without
// weights, such as pooling, carry 8 and ignore it).
using PrecisionMap = std::vector<int>;

// Parses "8", "4" (every layer) or "map:8,6,4" for a program whose layers
// have weights where `has_weights` says so. A map lists either every layer
// (8 for each layer without weights) or only the layers with weights.
// InputError on anything else.
PrecisionMap parse_precision(const std::string& text, const std::vector<bool>& has_weights);
// A comma-separated list of distinct widths in kMinBits..kMaxBits ("8,6,4"),
// as an `option` of a tool gives it; InputError naming the option otherwise.
std::vector<int> parse_width_list(const std::string& text, const std::string& option);
// "map:8,6,4" over the layers with weights.
std::string format_precision(const PrecisionMap& map, const std::vector<bool>& has_weights);

// Configurations of a precision map with the plain shifts.
std::vector<LayerConfig> static_configs(const PrecisionMap& map);

// Configurations of every step under a static precision text ("4",
// "map:8,6,4" over the main layers with weights); shadow layers and
// everything without weights run at 8 bits; PCU-controlled layers ignore it.
std::vector<LayerConfig> step_configs(const NetworkProgram& program, const std::string& precision);
// The same from one width per main layer with weights.
std::vector<LayerConfig> weighted_map_configs(const NetworkProgram& program, const std::vector<int>& bits);
// The static map of the main layers with weights, as "map:b1,b2,...".
std::string main_precision_text(const NetworkProgram& program, const std::vector<LayerConfig>& configs);

// sum(MACs x bits) over the main layers under `configs`.
double bit_macs(const NetworkProgram& program, const std::vector<LayerConfig>& configs);
// The same for one run as executed, the cascade's re-run included.
double bit_macs(const NetworkProgram& program, const ProgramResult& run);
// bit_macs / MACs: the MAC-weighted average width.
double mac_weighted_bits(const NetworkProgram& program, const std::vector<LayerConfig>& configs);

}  // namespace aps
