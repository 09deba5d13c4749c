#pragma once
// The accelerator's exact schedule (rtl/aps_sequencer.sv, rtl/aps_writeback.sv,
// rtl/aps_sae_unit.sv, rtl/aps_pcu.sv): cycles per step and per run, and the
// cycles the array stalls waiting for the writeback. The scoreboard checks
// the RTL's counters against it, step by step.

#include <cstdint>
#include <vector>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

// Cycles of one layer on the accelerator, exactly as rtl/aps_sequencer.sv and
// rtl/aps_writeback.sv schedule it: 3 cycles to fetch and check the
// descriptor; per tile 2 cycles (weight header, first read); per pixel R
// words of `bits` cycles each (1 for max pooling), where the pixel's last
// cycle waits until the writeback engine has taken the previous pixel
// (n + 1 cycles after it started, n = channels written); and at the end a
// drain until the last pixel's n writes are done. A pixel whose last cycle
// comes before the writeback has taken the previous one stalls (the
// sequencer's stall counter).
struct LayerTiming {
  int64_t cycles = 0;
  int64_t stalls = 0;
};
LayerTiming layer_timing(const NetworkProgram& program, size_t layer, const LayerConfig& config, ArrayShape array);
int64_t layer_cycles(const NetworkProgram& program, size_t layer, const LayerConfig& config, ArrayShape array);

// Cycles of a whole run: the layers plus the cycle that signals done.
int64_t run_cycles(const NetworkProgram& program, const std::vector<LayerConfig>& configs, ArrayShape array);

// Cycles of a scan step with `entries` words (rtl/aps_sae_unit.sv: a 3-stage
// pipeline after the 3 descriptor cycles, then the step's last cycle),
// without its PCU decision.
inline int64_t scan_cycles(int64_t entries) { return entries == 0 ? 6 : entries + 8; }
// Cycles of a step the cascade's re-run skips (shadow layers, scans).
inline constexpr int64_t kSkippedStepCycles = 4;

// Cycles of one run of a program as the golden model executed it: per step
// and pass, and in all (the cascade check and the done cycle included).
struct RunCycles {
  std::vector<int64_t> pass0, pass1;  // per step (pass1 empty without a re-run)
  int64_t total = 0;
  int64_t stalls = 0;                 // cycles a finished pixel waited for the writeback (both passes)
  int64_t sae = 0;                    // pass 0: scan steps without their PCU decision, and shadow layers
  int64_t pcu = 0;                    // pass 0: PCU decisions
};
RunCycles run_cycle_model(const NetworkProgram& program, const ProgramResult& result, ArrayShape array);

// The ideal for the array: MACs * bits / (ROWS * COLS), i.e. every PE busy on
// every cycle with one bit-plane.
double ideal_cycles(const Layer& layer, const LayerConfig& config, ArrayShape array);

}  // namespace aps
