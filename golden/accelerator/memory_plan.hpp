#pragma once
// Where a network program's data lives on the accelerator, and what each step
// moves through the memory port (rtl/aps_sequencer.sv, rtl/aps_dma.sv).
//
// The external memory holds every layer's weight tiles and channel
// parameters, the network input, the network output, and the tensors the
// scratchpad cannot keep. A step reads its inputs from the scratchpad and
// writes its output there; before computing it loads what it reads that is
// not resident, and its channel parameters; a convolution streams its weight
// tiles; after computing a step stores its output if a later step will load
// it or if it is the network output. The SAE slice memory holds every scan's
// slice entries, one scan after another.
//
// The scratchpad plan keeps every tensor resident from its first to its last
// use when that fits (offline first-fit by size, tensors whose lives overlap
// never share words). When it does not fit, tensors are spilled, the ones
// holding the most word-steps first: a spilled tensor is stored by its
// producer and loaded again by each step that reads it, and occupies the
// scratchpad only during those steps. A step whose own inputs and output do
// not fit together is refused.

#include <cstdint>
#include <vector>

#include "generated/host_interface.hpp"
#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/network_program.hpp"

namespace aps {

// What an accelerator build offers (its CSRs say so; the defaults are the
// default build's, rtl/aps_host_interface.json).
struct HardwareLimits {
  ArrayShape array;
  int64_t act_words = hw::kDefaultBuild.act_words;          // scratchpad words
  int64_t wgt_words = hw::kDefaultBuild.wgt_words;          // weight buffer words, two slots
  int64_t param_entries = hw::kDefaultBuild.param_entries;  // channel parameter buffer entries
  int64_t max_layers = hw::kDefaultBuild.max_layers;        // descriptor table steps
  int64_t sae_entries = hw::kDefaultBuild.sae_entries;      // SAE slice entries
  int64_t lut_tables = hw::kDefaultBuild.lut_tables;        // output tables
};

// The external memory as the harness models it: fixed latency and a
// bytes-per-cycle limit, deterministic, so transfers take a known number of
// cycles.
struct MemoryTiming {
  int64_t latency = 16;               // request -> first read beat; last write beat -> write response
  int64_t bytes_per_cycle = 8;        // a power of two
  int64_t request_wait = 0;           // cycles each request waits before the memory takes it (back-pressure)
  int64_t size_bytes = int64_t{64} << 20;
  // Cycles between beats: a beat is ROWS bytes.
  int64_t beat_cycles(int rows) const { return bytes_per_cycle >= rows ? 1 : rows / bytes_per_cycle; }
};
// Empty when the timing is usable, else what is wrong with it.
std::string check_memory_timing(const MemoryTiming& timing);

// Cycles from the cycle a transfer of `beats` beats starts to its last cycle
// (rtl/aps_dma.sv: bursts of at most MaxBurst beats, one outstanding).
int64_t load_cycles(int64_t beats, const MemoryTiming& timing, int rows);
int64_t store_cycles(int64_t beats, const MemoryTiming& timing, int rows);

// What one step moves and where its tensors are.
struct StepMemory {
  bool load_in = false, load_in_b = false, store_out = false;
  int64_t in_base = 0, in_b_base = 0, out_base = 0;  // scratchpad words
  uint32_t ext_in = 0, ext_in_b = 0, ext_out = 0;    // external byte addresses
  uint32_t ext_weights = 0, ext_params = 0;
  // Bytes between the channel parameter blocks of consecutive widths: a step
  // at b bits reads ext_params + (8 - b) * param_stride (0: one block, the
  // 8-bit parameters at every width; a layer with a bias correction has one
  // block per width 8, 7, ..., 2).
  uint32_t param_stride = 0;
  int64_t in_beats = 0, in_b_beats = 0, out_beats = 0;  // of the transfers the step makes
  int64_t param_beats = 0;
  int64_t tile_words = 0;  // per weight tile: its header and R words (0: no weights)
  WeightParts weight_parts;  // how a tile goes through a weight buffer slot (count 0: it does not)
  // The loads of one tile: its parts, or, where it fits no slot (the host
  // image refuses it; sizes and timing still count it), the tile whole.
  WeightParts weight_loads() const { return weight_parts.fits() ? weight_parts : WeightParts{1, tile_words - 1}; }
  int64_t scan_base = 0, scan_entries = 0;  // a scan's SAE slice entries (scan_words), in order of steps
  int output_table = 0;  // 1 + the step's output table in MemoryPlan::tables (0: none)
};

// A weight tile in external memory: its header word (zero points, COLS
// beats), then bit-plane 7 of each of its R words, then plane 6, ... then
// plane 0, each word-plane hw::wgt_plane_beats beats. A step loads the
// header and the top `planes` planes: one contiguous prefix of the tile, so
// its traffic falls with the weights' width (weight_planes).
int64_t weight_tile_beats(int64_t tile_words, int planes, ArrayShape array);
// The beats of a step's whole tile at `planes` planes: each of its loads a
// header and the top planes of its words (one load: weight_tile_beats).
int64_t weight_parts_beats(const StepMemory& step, int planes, ArrayShape array);

struct MemoryPlan {
  std::vector<StepMemory> steps;  // one per program layer
  uint32_t input_ext = 0;         // where the host writes the network input
  uint32_t output_ext = 0;        // where the host reads the network output
  int64_t spm_words_used = 0;     // highest scratchpad word used + 1
  uint64_t ext_bytes = 0;         // end of the external image
  int spilled_tensors = 0;
  int64_t sae_entries_used = 0;   // SAE slice entries all scans fill
  // The distinct output tables the steps use (Layer::output_table), in order
  // of first use: the host writes them into the build's table memory.
  std::vector<std::vector<uint8_t>> tables;
};

// The fewest scratchpad words any plan needs: the largest set of tensors one
// step reads and writes together.
int64_t min_scratchpad_words(const NetworkProgram& program, int rows);

// The CMake option (cmake/ApsRtlBuild.cmake) of a build whose size holds a
// need: `words` scratchpad words at once, a weight tile of `tile_words`
// words (header included) in one slot, `channels` output channels.
std::string act_words_option(int64_t words);
std::string wgt_words_option(int64_t tile_words);
std::string param_entries_option(int64_t channels);

// When a program exceeds more than one of the build's sizes (scratchpad,
// weight slot, parameter buffer), "; the whole model needs a build
// configured with -DAPS_RTL_...=... ..." naming them all, for a refusal of
// the first one to end with: a rebuild for that one alone is refused at the
// next (MobileNetV2: its scratchpad, then its 1280-channel head). Else "".
std::string whole_model_build(const NetworkProgram& program, const HardwareLimits& limits);

// The plan for `program` on a build with `limits`, using at most `spm_words`
// scratchpad words (<= limits.act_words; less to exercise spilling) and an
// external memory of `ext_bytes` bytes. InputError naming the layer when a
// step cannot fit, naming the model when the external memory is too small.
// A step cannot fit either when the SAE slice memory cannot hold its scan's
// entries after those of the scans before it, or its output table (shared
// with every step of the same table) after the others.
MemoryPlan plan_memory(const NetworkProgram& program, const HardwareLimits& limits, int64_t spm_words,
                       uint64_t ext_bytes);

}  // namespace aps
