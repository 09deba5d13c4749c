#pragma once
// The up-front schedule's shadow network: for every layer before the last
// one with weights, a copy restricted to the channels the next layers' SAE
// slices need (`channels[j]`: input channels of the j-th layer with weights
// to keep; the first layer keeps all its input). A copy with fewer inputs
// scales its multiplier by (full fan-in / kept fan-in), so its partial sums
// keep the full layer's scale. Chains only (no residual Add), no grouped
// convolutions: InputError otherwise.

#include <cstdint>
#include <vector>

#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/adaptation/calibration_profile.hpp"

namespace aps {

// The shadow layers (inputs refer to shadow indices; -1 = network input)
// and, per layer with weights, the index of the shadow layer whose output
// stands for its input (-1 = the network input).
struct ShadowNetwork {
  std::vector<Layer> layers;
  std::vector<int> source_of;  // per layer with weights

  int64_t macs() const;
};

ShadowNetwork build_shadow_network(const NetworkProgram& program, const std::vector<std::vector<int64_t>>& channels);
// The shadow network a calibration profile sized: its shadow_channels per layer.
ShadowNetwork profile_shadow_network(const NetworkProgram& program, const CalibrationProfile& profile);

// Every shadow layer's output for one input, at 8 bits.
std::vector<Codes> run_shadow_network(const ShadowNetwork& shadow, const Codes& input);

}  // namespace aps
