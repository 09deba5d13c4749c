#include "sim/replay_window.hpp"

#include <fmt/format.h>
#include <numeric>
#include <vector>

namespace aps::sim {
namespace {

// From the replay's base cycle, read before the host writes the input's range
// and the start command, to the first step's first cycle: about 2; the
// context before a window absorbs a few cycles either way. Between the passes
// the sequencer spends one cycle on the gate (the cycle model's count).
constexpr int64_t kStartCycles = 2;
constexpr int64_t kPassGapCycles = 1;
// Context either side: the descriptor fetch before, the writeback drain after.
constexpr int64_t kBefore = 16;
constexpr int64_t kAfter = 64;

const std::vector<int64_t>& pass_steps(const RunCycles& c, int pass) { return pass == 1 ? c.pass1 : c.pass0; }

int64_t step_start(const RunCycles& c, int pass, int step) {
  int64_t start = kStartCycles;
  if (pass == 1) start += std::accumulate(c.pass0.begin(), c.pass0.end(), int64_t{0}) + kPassGapCycles;
  const auto& steps = pass_steps(c, pass);
  return std::accumulate(steps.begin(), steps.begin() + step, start);
}

// A step's cycles, with context either side.
TraceWindow around(const RunCycles& c, int pass, int step) {
  const int64_t start = step_start(c, pass, step);
  return {start - kBefore, start + pass_steps(c, pass)[step] + kAfter};
}

}  // namespace

ReplayWindow replay_window(const Mismatch& m, const RunCycles& cycles) {
  const auto& steps = pass_steps(cycles, m.pass);
  if (m.layer >= 0 && m.layer < static_cast<int>(steps.size())) {
    return {around(cycles, m.pass, m.layer), fmt::format("aps-fail-input{}-layer{}.vcd", m.input, m.layer),
            fmt::format("layer {} {}{}", m.layer, m.layer_name, m.pass == 1 ? " in the re-run" : "")};
  }
  if (m.rank == CheckRank::Rerun && !cycles.pass0.empty()) {
    const int last = static_cast<int>(cycles.pass0.size()) - 1;
    return {around(cycles, 0, last), fmt::format("aps-fail-input{}-gate.vcd", m.input),
            fmt::format("layer {} and the cascade's decision", last)};
  }
  return {{0, -1}, fmt::format("aps-fail-input{}.vcd", m.input), "the whole input"};
}

}  // namespace aps::sim
