#pragma once
// Precision Control Unit, golden model (rtl/aps_pcu.sv is its twin): turns
// SAE metrics and the profile's parameters into widths, and widths into the
// configuration each layer runs with. Integer only.
//
//   estimated error   est(s, c) = min(2^64 - 1, (metric(s, c) * alpha(s, c)) >> 16)
//   threshold choice  the smallest candidate c with est(s, c) <= tau(s); else 8
//   just-in-time      a slot decides right after its scan; the first slot of a
//                     group to decide sets the group's width, later members take it
//   up-front          after all scans: every slot by threshold, then each group
//                     takes the widest width of its members; with a budget, the
//                     thresholds are ignored and, from 8 bits everywhere, the
//                     group whose next narrower candidate costs the least
//                     estimated error per bit-MAC saved steps down until
//                     sum(macs * bits) <= budget (ties: the lower group)
//   adaptive scaling  act_shift = max(0, 8 - b - k), k = leading zeros of
//                     max(largest input code, input zero point) as an 8-bit value
//   cascade           after the run, if top1 - top2 of the output codes is
//                     below the margin threshold, every slot re-runs at its
//                     fallback width

#include <cstdint>
#include <vector>

#include "golden/layer_config.hpp"
#include "golden/network_program.hpp"

namespace aps {

uint64_t estimated_error(uint64_t metric, uint32_t alpha);

// Width by threshold for one slot (metrics: one per candidate).
int threshold_width(const PcuProgram& pcu, int slot, const std::vector<uint64_t>& metrics);

struct PcuState {
  std::vector<std::vector<uint64_t>> metrics;  // per slot, per candidate
  std::vector<int> bits;                       // per slot: the width decided (initial_bits until then)
  std::vector<int> group_bits;                 // per group: -1 until decided (just-in-time)
  int decide_all_cycles = 0;                   // PCU cycles of the last DecideAll

  explicit PcuState(const PcuProgram& pcu);
};

// Just-in-time decision for `slot` after its scan.
void pcu_decide(const PcuProgram& pcu, PcuState& state, int slot);
// Up-front decision of every slot after all scans.
void pcu_decide_all(const PcuProgram& pcu, PcuState& state);

// The configuration of a PCU-controlled layer at width `bits` whose input's
// largest code is `input_max`.
LayerConfig pcu_config(const PcuProgram& pcu, int bits, int input_max, int input_zero_point);

// top1 - top2 of output codes (0 for fewer than two).
int output_margin(const std::vector<uint8_t>& codes);

// Cycles the PCU spends: per Decide, and per DecideAll for `steps` budget
// step-downs (the RTL's FSM, rtl/aps_pcu.sv).
inline constexpr int kPcuDecideCycles = 2;
int pcu_decide_all_cycles(const PcuProgram& pcu, int budget_steps);

}  // namespace aps
