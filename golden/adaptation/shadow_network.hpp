#pragma once
// The up-front schedule's shadow network: a copy of every layer before the
// last one with weights, restricted to the channels the later layers' SAE
// slices need (`channels[j]`: input channels of the j-th layer with weights
// to keep; a layer reading the network input keeps all of it).
//
// A convolution or fully connected layer mixes channels: its copy reads only
// its input's kept channels and scales its multiplier by (full fan-in / kept
// fan-in), so its partial sums keep the full layer's scale. Pooling, a
// depthwise convolution and a residual Add keep channels apart: output
// channel c comes from input channel c alone, so such a layer and its inputs
// keep one set of channels, the union of what every member's readers need,
// and a depthwise copy keeps its full fan-in. Other grouped convolutions are
// refused (InputError), as is a layer before the last that no slice needs.

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
  std::vector<Layer> layers;   // layer i copies main layer i (inputs are the same indices)
  std::vector<int> source_of;  // per layer with weights
  std::vector<std::vector<int64_t>> kept;  // per shadow layer: the main layer's output channels it computes, ascending

  // Where main channel `channel` of shadow layer `layer`'s output sits in it.
  int64_t position(int layer, int64_t channel) const;

  int64_t macs() const;
};

ShadowNetwork build_shadow_network(const NetworkProgram& program, const std::vector<std::vector<int64_t>>& channels);
// The shadow network a calibration profile sized: its shadow_channels per layer.
ShadowNetwork profile_shadow_network(const NetworkProgram& program, const CalibrationProfile& profile);

// Every shadow layer's output for one input, at 8 bits.
std::vector<Codes> run_shadow_network(const ShadowNetwork& shadow, const Codes& input);

}  // namespace aps
