#pragma once
// The network program as the accelerator's memories hold it: descriptors,
// channel parameters, weight tiles, the PCU table and the SAE slices, and
// where every tensor lives in the activation memory. Built on the host (no
// RTL involved), so the layout can be tested on its own and checked against
// the hardware's capacity before a single cycle runs. The word layouts are
// the generated host interface (rtl/aps_host_interface.json).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "generated/host_interface.hpp"
#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps::sim {

// What an RTL build offers (read from its CSRs).
struct HardwareLimits {
  ArrayShape array;
  int64_t act_words = 0;
  int64_t wgt_words = 0;
  int64_t param_entries = 0;
  int64_t max_layers = 0;
  int64_t sae_entries = 0;
};

// The limits of an RTL build with these parameters (the steps the CSR logs
// hold bound max_layers).
HardwareLimits hardware_limits(const hw::BuildParameters& parameters);

struct TensorPlacement {
  int64_t base = 0;  // activation word address
  FeatureShape shape;
  int64_t words = 0;
};

using Descriptor = std::array<uint32_t, hw::kDescWords>;
using ParamEntry = std::array<uint32_t, hw::kParamWords>;
using PcuEntry = std::array<uint32_t, hw::kPcuEntryWords>;

struct ProgramImage {
  ArrayShape array;
  std::vector<Descriptor> descriptors;
  std::vector<ParamEntry> params;   // bias, multiplier, shift, reserved
  std::vector<uint8_t> weights;     // weight tile words, wgt_word_bytes() each
  TensorPlacement input;
  std::vector<TensorPlacement> outputs;  // one per step (empty for SAE scans)
  int64_t act_words_used = 0;
  // Adaptive precision
  std::vector<PcuEntry> pcu_table;                // one entry per PCU slot
  std::vector<std::vector<uint8_t>> sae_entries;  // SAE slice entries, sae_entry_bytes() each
  hw::CsrPcuCandidates pcu_candidates;
  hw::CsrPcuFlags pcu_flags;
  uint64_t budget = 0;
  uint32_t num_slots = 0;
};

// InputError naming the layer when the program does not fit `limits`
// (memories, descriptor fields, array shape).
ProgramImage build_image(const NetworkProgram& program, const std::vector<LayerConfig>& configs,
                         const HardwareLimits& limits);

// Descriptor word 0 of a step under a configuration (what a PCU rewrites).
uint32_t mode_word(const Layer& layer, const LayerConfig& config);

// A CHW tensor <-> its bytes in the blocked activation layout (words * ROWS
// bytes; padding lanes are 0).
std::vector<uint8_t> pack_tensor(const Codes& chw, const FeatureShape& shape, int rows);
Codes unpack_tensor(const std::vector<uint8_t>& bytes, const FeatureShape& shape, int rows);

// The configuration log word of a step (CSR configs) <-> LayerConfig.
LayerConfig unpack_step_config(uint32_t word);
uint32_t pack_step_config(const LayerConfig& config);

}  // namespace aps::sim
