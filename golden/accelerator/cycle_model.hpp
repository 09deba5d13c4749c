#pragma once
// The accelerator's exact schedule (rtl/aps_sequencer.sv, rtl/aps_dma.sv,
// rtl/aps_writeback.sv, rtl/aps_sae_unit.sv, rtl/aps_pcu.sv) against the
// harness's external memory (golden/accelerator/memory_plan.hpp): cycles per
// step and per run, the cycles the array stalls waiting for the writeback,
// the cycles the sequencer waits for the memory port, and the beats it
// moves. The scoreboard checks the RTL's counters against it, step by step.

#include <cstdint>
#include <vector>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/memory_plan.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

// Where a program runs: the build, the memory plan made for it, the memory.
struct Platform {
  HardwareLimits limits;
  MemoryPlan plan;
  MemoryTiming memory;
  ArrayShape array() const { return limits.array; }
};
// The platform of a program on a build and memory: the plan may use
// `spm_words` of the scratchpad (0: all of it) and the memory's size.
Platform make_platform(const NetworkProgram& program, const HardwareLimits& limits, const MemoryTiming& memory,
                       int64_t spm_words = 0);

// One step on the accelerator, exactly as the RTL schedules it:
//   3 cycles to fetch and check the descriptor;
//   the transfers before computing (input(s), then channel parameters), one
//   after another, each load_cycles() long plus a cycle to start the next;
//   per tile 2 cycles (weight header, first read; a convolution 1 more to
//   capture the first word), where a convolution's tile first waits until
//   its weights are in their slot (tile t + 1 loads while tile t computes);
//   a tile loaded in parts (weight_parts) waits, reads a header and captures
//   again for each part, the part after next loading while one computes;
//   per pixel R words of `bits` cycles each (1 for pooling), where the
//   pixel's last cycle waits until the writeback engine has taken the
//   previous pixel (n + 1 cycles after it started, n = channels written);
//   a drain until the last pixel's n writes are done; the store of the
//   output, if the plan asks.
// A skipped step (the cascade's re-run of SAE steps) makes only its loads.
//
// The buffers are read plane by plane (rtl/aps_plane_mem.sv): a convolution
// reads reduction_planes() of its activation shift from each in-bounds
// activation word (padding taps are not read) and of its weight shift from
// each weight tile word (the header of each part and one per word); pooling and Add read
// all 8 planes of each in-bounds word.
struct StepTiming {
  int64_t cycles = 0;
  int64_t stalls = 0;      // a finished pixel waited for the writeback
  int64_t mem_stalls = 0;  // the sequencer waited for the memory port
  int64_t beats = 0;       // memory-port beats moved: the three below and activations (loads, stores)
  int64_t weight_header_beats = 0;  // of them: weight tile headers (zero points)
  int64_t weight_plane_beats = 0;   // weight tile planes
  int64_t param_beats = 0;          // channel parameters
  int64_t act_plane_reads = 0;  // activation-word planes read for the array
  int64_t wgt_plane_reads = 0;  // weight-tile-word planes read
};
StepTiming step_timing(const NetworkProgram& program, size_t step, const LayerConfig& config, const Platform& platform);
// A scan step: its transfers, then the SAE's pipeline (`entries` words) and
// its PCU decision's `pcu_cycles`.
StepTiming scan_step_timing(const NetworkProgram& program, size_t step, int64_t pcu_cycles, const Platform& platform);
// A step the cascade's re-run skips (shadow layers, scans).
StepTiming skipped_step_timing(const NetworkProgram& program, size_t step, const Platform& platform);

// Cycles of one run of a program as the golden model executed it: per step
// and pass, and in all (the cascade check and the done cycle included).
struct RunCycles {
  std::vector<int64_t> pass0, pass1;  // per step (pass1 empty without a re-run)
  std::vector<int64_t> mem_stalls0, beats0;  // per step, pass 0
  int64_t total = 0;
  int64_t stalls = 0;                 // cycles a finished pixel waited for the writeback (both passes)
  int64_t mem_stalls = 0;             // cycles the sequencer waited for the memory port (both passes)
  int64_t beats = 0;                  // memory-port beats (both passes), and of them, as StepTiming:
  int64_t weight_header_beats = 0, weight_plane_beats = 0, param_beats = 0;
  // The rest: the input, the output, spills.
  int64_t activation_beats() const { return beats - weight_header_beats - weight_plane_beats - param_beats; }
  int64_t act_plane_reads = 0;        // buffer planes read (both passes), as StepTiming
  int64_t wgt_plane_reads = 0;
  int64_t sae = 0;                    // pass 0: scan steps without their PCU decision, and shadow layers
  int64_t pcu = 0;                    // pass 0: PCU decisions
};
RunCycles run_cycle_model(const NetworkProgram& program, const ProgramResult& result, const Platform& platform);

// Cycles of a run with static configurations (no PCU, no cascade), and an
// upper bound with an adaptive program's PCU decisions (for a watchdog).
int64_t run_cycles(const NetworkProgram& program, const std::vector<LayerConfig>& configs, const Platform& platform);

// The ideal for the array: MACs * bits / (ROWS * COLS), i.e. every PE busy on
// every cycle with one bit-plane.
double ideal_cycles(const Layer& layer, const LayerConfig& config, ArrayShape array);

}  // namespace aps
