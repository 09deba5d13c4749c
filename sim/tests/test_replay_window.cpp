// Where aps-sim --trace-on-fail traces a failing input's replay, from the
// cycle model's step cycles: the failing step, the gate's step, or all.

#include <catch2/catch.hpp>

#include "sim/replay_window.hpp"

using namespace aps;
using namespace aps::sim;

namespace {
// Three steps of 100, 200 and 400 cycles in the first pass, 10, 20 and 30 in
// the re-run; the first step starts 2 cycles after the replay's base and the
// re-run 1 cycle after the first pass's last step.
RunCycles three_steps() {
  RunCycles c;
  c.pass0 = {100, 200, 400};
  c.pass1 = {10, 20, 30};
  return c;
}

Mismatch at(CheckRank rank, int pass, int layer) {
  Mismatch m;
  m.rank = rank;
  m.input = 7;
  m.pass = pass;
  m.layer = layer;
  m.layer_name = layer >= 0 ? "conv" : "";
  return m;
}
}  // namespace

TEST_CASE("a step's check traces that step with context either side", "[replay_window]") {
  const ReplayWindow w = replay_window(at(CheckRank::LayerOutput, 0, 1), three_steps());
  CHECK(w.cycles.start == 2 + 100 - 16);
  CHECK(w.cycles.end == 2 + 100 + 200 + 64);
  CHECK(w.file == "aps-fail-input7-layer1.vcd");
  CHECK(w.what == "layer 1 conv");
}

TEST_CASE("a re-run step's check traces that step after the whole first pass", "[replay_window]") {
  const ReplayWindow w = replay_window(at(CheckRank::LayerOutput, 1, 2), three_steps());
  CHECK(w.cycles.start == 2 + 700 + 1 + 30 - 16);
  CHECK(w.cycles.end == 2 + 700 + 1 + 30 + 30 + 64);
  CHECK(w.what == "layer 2 conv in the re-run");
}

TEST_CASE("the cascade's checks trace the first pass's last step, whose codes the gate reads", "[replay_window]") {
  const ReplayWindow w = replay_window(at(CheckRank::Rerun, 0, -1), three_steps());
  CHECK(w.cycles.start == 2 + 300 - 16);
  CHECK(w.cycles.end == 2 + 700 + 64);
  CHECK(w.file == "aps-fail-input7-gate.vcd");
  CHECK(w.what == "layer 2 and the cascade's decision");
}

TEST_CASE("a check tied to no step traces the whole input", "[replay_window]") {
  const ReplayWindow w = replay_window(at(CheckRank::Counters, 0, -1), three_steps());
  CHECK(w.cycles.start == 0);
  CHECK(w.cycles.end == -1);
  CHECK(w.file == "aps-fail-input7.vcd");
  CHECK(w.what == "the whole input");
}

TEST_CASE("a step the cycles do not cover traces the whole input", "[replay_window]") {
  CHECK(replay_window(at(CheckRank::LayerOutput, 0, 3), three_steps()).what == "the whole input");
  RunCycles no_rerun = three_steps();
  no_rerun.pass1.clear();
  CHECK(replay_window(at(CheckRank::LayerOutput, 1, 0), no_rerun).what == "the whole input");
}

TEST_CASE("a read-back check after a re-run traces the re-run's last step", "[replay_window]") {
  const ReplayWindow w = replay_window(at(CheckRank::Readback, 1, 2), three_steps());
  CHECK(w.cycles.start == 2 + 700 + 1 + 30 - 16);
  CHECK(w.what == "layer 2 conv in the re-run");
}
