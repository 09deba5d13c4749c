#pragma once
// The network program as the accelerator's memories hold it: descriptors,
// channel parameters, weight tiles, and where every tensor lives in the
// activation memory. Built on the host (no RTL involved), so the layout can
// be tested on its own and checked against the hardware's capacity before a
// single cycle runs.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "golden/accelerator_geometry.hpp"
#include "golden/layer_config.hpp"
#include "golden/network_program.hpp"
#include "golden/program_executor.hpp"

namespace aps::sim {

// What the RTL build offers (read from its CSRs).
struct HardwareLimits {
  ArrayShape array;
  int64_t act_words = 0;
  int64_t wgt_words = 0;
  int64_t param_entries = 0;
  int64_t max_layers = 0;
  int64_t sae_entries = 0;
};

struct TensorPlacement {
  int64_t base = 0;  // activation word address
  FeatureShape shape;
  int64_t words = 0;
};

struct ProgramImage {
  ArrayShape array;
  std::vector<std::array<uint32_t, 16>> descriptors;
  std::vector<std::array<int32_t, 4>> params;  // bias, multiplier, shift, reserved
  std::vector<uint8_t> weights;                // weight tile words, ROWS * COLS bytes each
  TensorPlacement input;
  std::vector<TensorPlacement> outputs;        // one per step (empty for SAE scans)
  int64_t act_words_used = 0;
  // Adaptive precision
  std::vector<std::array<uint32_t, 16>> pcu_table;  // one entry per PCU slot
  std::vector<std::vector<uint8_t>> sae_entries;    // SAE slice entries, sae_entry_bytes() each
  uint32_t pcu_candidates = 0;                      // CSR: count[3:0] c0[7:4] c1[11:8] c2[15:12] c3[19:16]
  uint32_t pcu_flags = 0;                           // CSR: scaling, cascade, margin threshold
  uint64_t budget = 0;
  uint32_t num_slots = 0;
};

// InputError naming the layer when the program does not fit `limits`
// (memories, descriptor fields, array shape).
ProgramImage build_image(const NetworkProgram& program, const std::vector<LayerConfig>& configs,
                         const HardwareLimits& limits);

// Descriptor word 0 for a layer under a configuration (what a PCU rewrites).
uint32_t mode_word(const Layer& layer, const LayerConfig& config);

// A CHW tensor <-> its bytes in the blocked activation layout (words * ROWS
// bytes; padding lanes are 0).
std::vector<uint8_t> pack_tensor(const Codes& chw, const FeatureShape& shape, int rows);
Codes unpack_tensor(const std::vector<uint8_t>& bytes, const FeatureShape& shape, int rows);

}  // namespace aps::sim
