#pragma once
// Estimated energy of one inference on the accelerator, from operation
// counts and per-operation energies at 45 nm (M. Horowitz, "Computing's
// energy problem", ISSCC 2014):
//
//   8-bit integer multiply      0.2 pJ   (a b-bit x w-bit multiply: 0.2 * (b/8) * (w/8),
//                                          the array multiplier's area scaling; w is b, or
//                                          b + 1 for midpoint weights)
//   32-bit integer add          0.1 pJ   (accumulating one product)
//   16-bit integer multiply     0.8 pJ   (SAE: coefficient x error^2; 0.2 * (16/8)^2)
//   64-bit integer add          0.2 pJ   (SAE metric accumulation)
//   32-bit float multiply       3.7 pJ, 32-bit float add 0.9 pJ (the fp32 reference)
//   SRAM read or write, 64 bits 10 pJ    (an 8 KB array)
//   DRAM access, 64 bits        1.3 nJ   (Horowitz gives 1.3-2.6 nJ; the low end)
//
// What is counted: every MAC at its layer's width; every bit-plane the
// sequencer reads from the plane-banked buffers (rtl/aps_plane_mem.sv: a
// plane of an activation word is ROWS bits, of a weight tile word ROWS x
// COLS bits; a layer at width b reads the planes its reduction needs,
// golden/numerics/weight_reduction.hpp, so narrow layers read less), charged
// as 64-bit SRAM accesses; every output byte written; the SAE's per-element operations and slice reads; shadow
// layers like any layer, re-runs like any run; and every byte through the
// memory port (weights, channel parameters, inputs, outputs and spills).
// The plane reads and the beats are the cycle model's, which the RTL's
// counters match run by run. Not counted: control logic, the host's
// transfers.

#include <cstdint>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

struct EnergyModel {
  double mult8_pj = 0.2;
  double add32_pj = 0.1;
  double mult16_pj = 0.8;
  double add64_pj = 0.2;
  double fmul32_pj = 3.7;
  double fadd32_pj = 0.9;
  double sram64_pj = 10.0;
  double dram64_pj = 1300.0;
};

// Where one run's energy goes (pJ): the terms run_energy_pj sums.
struct EnergyBreakdown {
  double macs = 0;            // multiplies and accumulates at each layer's width (pooling and Add: their adds)
  double buffer_reads = 0;    // activation and weight planes read from the plane-banked buffers
  double buffer_writes = 0;   // output codes written to the scratchpad
  double sae = 0;             // the SAE's per-element operations and slice reads (an up-front
                              // schedule's shadow layers count as layers, in the terms above and below)
  double ext_weight_planes = 0;   // memory port: weight tile planes
  double ext_weight_headers = 0;  // memory port: weight tile headers
  double ext_params = 0;          // memory port: channel parameters
  double ext_activations = 0;     // memory port: the input, the output, spills
  double total() const {
    return macs + buffer_reads + buffer_writes + sae + ext_weight_planes + ext_weight_headers + ext_params +
           ext_activations;
  }
};

// Energy of one run of a program as the golden model executed it, with its
// cycle model's beats and plane reads.
EnergyBreakdown run_energy_breakdown(const NetworkProgram& program, const ProgramResult& run, const RunCycles& cycles,
                                     ArrayShape array, const EnergyModel& e = {});
// Its total (pJ).
double run_energy_pj(const NetworkProgram& program, const ProgramResult& run, const RunCycles& cycles, ArrayShape array,
                     const EnergyModel& e = {});

// Energy (pJ) of main step `step` run alone at `config`: its MACs, buffer
// planes and writes, and its memory-port bytes. What the budget policy
// charges a layer at each width (golden/adaptation/budget_cost.hpp).
double step_energy_pj(const NetworkProgram& program, size_t step, const LayerConfig& config, const Platform& platform,
                      const EnergyModel& e = {});

// Energy (pJ) of the float32 model: MACs in float32, and four times the
// SRAM reads, writes and external traffic of `static8`, a run of the same
// program at 8 bits (every operand, tensor and weight at 32 bits, with the
// accelerator's reuse).
double fp32_energy_pj(const NetworkProgram& program, const RunCycles& static8, ArrayShape array,
                      const EnergyModel& e = {});

}  // namespace aps
