#pragma once
// The network program as the accelerator holds it: on chip the descriptors,
// the PCU table, the SAE slices and the output tables; in the external memory the weight tiles
// and channel parameters, at the addresses of the memory plan
// (golden/accelerator/memory_plan.hpp), which also says where every tensor
// lives. Built on the host (no RTL involved), so the layout can be tested on
// its own and checked against the hardware's capacity before a single cycle
// runs. The word layouts are the generated host interface
// (rtl/aps_host_interface.json).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "generated/host_interface.hpp"
#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/memory_plan.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps::sim {

// The limits of an RTL build with these parameters (the steps the CSR logs
// hold bound max_layers).
HardwareLimits hardware_limits(const hw::BuildParameters& parameters);

using Descriptor = std::array<uint32_t, hw::kDescWords>;
using ParamEntry = std::array<uint32_t, hw::kParamWords>;
using PcuEntry = std::array<uint32_t, hw::kPcuEntryWords>;

struct ProgramImage {
  ArrayShape array;
  std::vector<Descriptor> descriptors;
  // The external memory's image from address 0: weight tiles and channel
  // parameters where the plan puts them (the input, output and spill areas
  // are written at run time).
  std::vector<uint8_t> external;
  // Adaptive precision
  std::vector<PcuEntry> pcu_table;                // one entry per PCU slot
  std::vector<std::vector<uint8_t>> sae_entries;  // SAE slice entries, sae_entry_bytes() each
  std::vector<std::vector<uint8_t>> tables;       // output tables, lut_entry_bytes() each
  hw::CsrPcuCandidates pcu_candidates;
  hw::CsrPcuFlags pcu_flags;
  uint64_t budget = 0;
  uint32_t num_slots = 0;
};

// InputError naming the layer when the program does not fit `limits`
// (descriptor table, buffers, descriptor fields, array shape). `plan` is the
// program's memory plan on this build.
ProgramImage build_image(const NetworkProgram& program, const std::vector<LayerConfig>& configs,
                         const HardwareLimits& limits, const MemoryPlan& plan);

// The host address of word `word` of step `step`'s descriptor.
inline uint32_t descriptor_address(size_t step, uint32_t word = 0) {
  return hw::kDescBase + static_cast<uint32_t>(step * hw::desc_entry_bytes()) + 4 * word;
}

// Descriptor word 0 of a step under a configuration (what the host rewrites
// to change a layer's width): kind, precision and the step's transfers.
uint32_t mode_word(const NetworkProgram& program, size_t step, const LayerConfig& config, const MemoryPlan& plan,
                   ArrayShape array);

// A CHW tensor <-> its bytes in the blocked activation layout (words * ROWS
// bytes; padding lanes are 0).
std::vector<uint8_t> pack_tensor(const Codes& chw, const FeatureShape& shape, int rows);
Codes unpack_tensor(const std::vector<uint8_t>& bytes, const FeatureShape& shape, int rows);

// The configuration log word of a step (CSR configs) <-> LayerConfig.
LayerConfig unpack_step_config(uint32_t word);
uint32_t pack_step_config(const LayerConfig& config);

}  // namespace aps::sim
