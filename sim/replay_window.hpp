#pragma once
// Where a replay of a failing input traces (aps-sim --trace-on-fail): the
// cycles that show the failing check's logic at work, placed by the cycle
// model's step cycles, and the name of the trace file.

#include <cstdint>
#include <string>

#include "golden/accelerator/cycle_model.hpp"
#include "sim/scoreboard.hpp"
#include "sim/tracer.hpp"

namespace aps::sim {

struct ReplayWindow {
  TraceWindow cycles;  // counted from the replay's cycle before it writes the input's first CSR
  std::string file;    // "aps-fail-input7-layer3.vcd", "aps-fail-input7-gate.vcd", "aps-fail-input7.vcd"
  std::string what;    // "layer 3 fc2", "layer 3 fc2 in the re-run", "layer 3 and the cascade's decision", "the whole input"
};

// A check tied to a step traces that step in its pass; the cascade's re-run
// checks (the two gaps and the decision, made from the codes the first pass's
// last step writes) trace that step and the decision after it; any other
// check not tied to a step (a whole run's counters) traces the whole run.
ReplayWindow replay_window(const Mismatch& m, const RunCycles& cycles);

}  // namespace aps::sim
