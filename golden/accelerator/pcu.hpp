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
//                     estimated error per unit of cost saved steps down until
//                     the slots' costs at their widths sum to <= budget (ties:
//                     the lower group); a slot's cost at each candidate width
//                     and at 8 bits is in its table entry, in the unit the
//                     host chose (golden/adaptation/budget_cost.hpp)
//   adaptive scaling  act_shift = max(0, 8 - b - k), k = leading zeros of
//                     max(largest input code, input zero point) as an 8-bit value
//   cascade           after the run, if the confidence gate's score of the
//                     output codes is below its threshold
//                     (golden/accelerator/cascade_gate.hpp), every slot
//                     re-runs at its fallback width

#include <cstdint>
#include <vector>

#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"

namespace aps {

// The PCU's error unit: estimated and threshold errors count 2^-16 of a
// squared output code (so 1.0 code^2 of mean squared error = 65536).
inline constexpr double kErrorUnitsPerCode2 = 65536.0;

uint64_t estimated_error(uint64_t metric, uint32_t alpha);

// Width by threshold for one slot (metrics: one per candidate).
int threshold_width(const PcuProgram& pcu, int slot, const std::vector<uint64_t>& metrics);

struct PcuState {
  std::vector<std::vector<uint64_t>> metrics;  // per slot, per candidate
  std::vector<int> bits;                       // per slot: the width decided (initial_bits until then)
  std::vector<bool> decided;                   // per slot: a decision was made in this run
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

// top1 - top2 of output codes (output_gaps' margin).
int output_margin(const std::vector<uint8_t>& codes);

// Cycles the sequencer waits for the PCU (rtl/aps_pcu.sv): a Decide is 4
// (issue, table read, decide, done); a DecideAll is 1 + n (one table entry
// per slot) + 1 (group widths) + 1 (done) without a budget, and with one
// 1 + n + 1 (init) + steps * (n + 2) (check, scan the groups, apply) + the end
// (check + assign = 2 when the budget holds, n + 3 when nothing can narrow)
// + 1 (done).
inline constexpr int kPcuDecideCycles = 4;
int pcu_decide_all_cycles(const PcuProgram& pcu, int budget_steps, bool exhausted);

}  // namespace aps
