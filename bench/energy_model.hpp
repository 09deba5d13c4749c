#pragma once
// Estimated energy of one inference on the accelerator, from operation
// counts and per-operation energies at 45 nm (M. Horowitz, "Computing's
// energy problem", ISSCC 2014):
//
//   8-bit integer multiply      0.2 pJ   (a b-bit x b-bit multiply: 0.2 * (b/8)^2,
//                                          the array multiplier's area scaling)
//   32-bit integer add          0.1 pJ   (accumulating one product)
//   16-bit integer multiply     0.8 pJ   (SAE: coefficient x error^2; 0.2 * (16/8)^2)
//   64-bit integer add          0.2 pJ   (SAE metric accumulation)
//   32-bit float multiply       3.7 pJ, 32-bit float add 0.9 pJ (the fp32 reference)
//   SRAM read or write, 64 bits 10 pJ    (an 8 KB array)
//   DRAM access, 64 bits        1.3 nJ   (Horowitz gives 1.3-2.6 nJ; the low end)
//
// What is counted: every MAC at its layer's width, every activation word
// (ROWS bytes) and weight tile word (ROWS x COLS bytes, in 64-bit accesses)
// the sequencer reads, every output byte written, the SAE's per-element
// operations and slice reads, shadow layers like any layer, re-runs like
// any run, and every byte through the memory port (weights, channel
// parameters, inputs, outputs and spills: the cycle model's beats, which
// the RTL's beat counters match). Not counted: control logic, the host's
// transfers.

#include <cstdint>

#include "golden/accelerator/accelerator_geometry.hpp"
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

// Energy (pJ) of one run of a program as the golden model executed it,
// `external_bytes` moved through the memory port.
double run_energy_pj(const NetworkProgram& program, const ProgramResult& run, ArrayShape array, int64_t external_bytes,
                     const EnergyModel& e = {});

// Energy (pJ) of the float32 model: MACs in float32, 32-bit operands read
// once per MAC pair from SRAM (the same reuse as the accelerator's words),
// and four times the external traffic of the 8-bit model's
// `int8_external_bytes` (every tensor and weight at 32 bits).
double fp32_energy_pj(const NetworkProgram& program, ArrayShape array, int64_t int8_external_bytes,
                      const EnergyModel& e = {});

}  // namespace aps
