#pragma once
// A staged cascade: escalation in more than one step. Stage 0 runs every
// input at a cheap static map; an input whose decision margin (DecisionRule:
// top-1 minus top-2 output code, or an anomaly detector's distance to its
// threshold) is below the stage's threshold goes on to the next,
// wider stage, and the last stage is 8 bits. With two stages it is the
// accelerator's cascade; with three (say 2-3 bits, then 4-5, then 8) an
// input the cheap pass cannot settle may still stop short of 8 bits.
//
// Chosen offline on calibration data (choose_staged_cascade) and evaluated
// in the golden model (run_staged_cascade): the RTL's cascade has one re-run,
// so the study reports this as a golden row, with every pass charged in full.

#include <cstdint>
#include <string>
#include <vector>

#include "golden/accelerator/decision_rule.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

struct CascadeStage {
  std::vector<int> bits;     // per main layer with weights
  double avg_bits = 0;       // MAC-weighted, of this stage's map
  int margin_threshold = 0;  // go on to the next stage when the margin is below this (last stage: 0)
  bool operator==(const CascadeStage&) const = default;
};

// What each map of a static front did on the calibration samples.
struct FrontOutcomes {
  std::vector<std::vector<int>> bits;       // per map
  std::vector<double> avg_bits;             // per map, MAC-weighted
  std::vector<std::vector<int64_t>> preds;  // per map, per sample
  std::vector<std::vector<int>> margins;    // per map, per sample
  std::vector<std::vector<OutputGaps>> gaps;  // per map, per sample: the cascade gate's features
};

struct StagedCascadeChoice {
  std::vector<CascadeStage> stages;  // one to three; the last is the front's last map
  double expected_bits = 0;          // per input on calibration, every pass counted
  double agreement = 0;              // with `preds8` on calibration
};

// The cheapest cascade of one to three stages, ending at the front's last
// map (the caller makes it the 8-bit map), whose final predictions agree with `preds8` on at least
// `target_agreement` of the samples. Cost: the MAC-weighted bits of every
// pass an input runs, averaged over the samples. Exhaustive over the front's
// maps and every threshold (margins 0..255).
StagedCascadeChoice choose_staged_cascade(const FrontOutcomes& front, const std::vector<int64_t>& preds8,
                                          double target_agreement);

// "3,3,6 <4> 4,4,6 <2> 8,8,8": each stage's map, and between two stages the
// margin below which an input goes on.
std::string describe_stages(const std::vector<CascadeStage>& stages);

struct StagedRun {
  std::vector<ProgramResult> passes;  // every stage it ran, in order
  // The last stage the input reached.
  const ProgramResult& result() const { return passes.back(); }
};

// One input through the cascade: the stages' maps on `program` (static maps
// over its main layers with weights), escalating on the rule's margin.
StagedRun run_staged_cascade(const NetworkProgram& program, const std::vector<CascadeStage>& stages,
                             const DecisionRule& rule, const Codes& input);

}  // namespace aps
