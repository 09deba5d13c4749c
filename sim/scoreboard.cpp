#include "sim/scoreboard.hpp"

#include "sim/program_image.hpp"

#include <fmt/format.h>
#include <tuple>

namespace aps::sim {

std::string Mismatch::describe() const {
  std::string s = fmt::format("input {}: {} mismatch", input, check);
  if (layer >= 0) s += fmt::format(" in {}layer {} '{}'", pass ? "re-run " : "", layer, layer_name);
  if (slot >= 0) s += fmt::format(", slot {}", slot);
  if (candidate >= 0) s += fmt::format(", candidate {}", candidate);
  if (element >= 0) s += fmt::format(", element {}", element);
  s += fmt::format(": expected {}, got {}", expected, got);
  if (bits > 0) s += fmt::format(" ({}-bit)", bits);
  if (cycle >= 0) s += fmt::format(" at cycle {} ({} cycles into the input)", cycle, run_cycle);
  return s;
}

namespace {
// The check order of scoreboard.hpp: phase (1 first pass, 2 the cascade's
// decision, 3 the re-run, 4 counters, 5 read-back), then step, then the
// kind of check within a step, then time.
auto order(const Mismatch& m) {
  int phase = 1;
  if (m.rank == CheckRank::Rerun) phase = 2;
  else if (m.rank == CheckRank::Counters) phase = 4;
  else if (m.rank == CheckRank::Readback) phase = 5;
  else if (m.pass == 1) phase = 3;
  return std::make_tuple(phase, m.layer, static_cast<int>(m.rank), m.cycle);
}

// The step at which a slot's metrics are final (its last scan) and the step
// that decides its width (a Decide scan of the slot, or the DecideAll scan).
int scan_step_of(const NetworkProgram& p, int slot, bool decision) {
  int found = -1;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind != LayerKind::SaeScan) continue;
    if (decision ? (l.scan.action == PcuAction::DecideAll || (l.scan.action == PcuAction::Decide && l.scan.slot == slot))
                 : l.scan.slot == slot)
      found = static_cast<int>(i);
  }
  return found >= 0 ? found : p.pcu.slots[slot].layer;
}
}  // namespace

void Scoreboard::begin_input(int64_t input, const NetworkProgram& program, const ProgramResult& expected,
                             int64_t start_cycle) {
  program_ = &program;
  expected_ = &expected;
  input_ = input;
  start_cycle_ = start_cycle;
  input_failed_ = false;
  input_first_.reset();
  for (int pass = 0; pass < 2; ++pass) {
    const auto& outputs = pass == 0 ? expected.layer_outputs : expected.rerun_outputs;
    seen_[pass].assign(program.layers.size(), {});
    for (size_t l = 0; l < program.layers.size() && l < outputs.size(); ++l) seen_[pass][l].assign(outputs[l].size(), 0);
  }
  ++counts_.inputs;
  counts_.reruns += expected.rerun;
}

void Scoreboard::fail(Mismatch m) {
  ++counts_.mismatches;
  input_failed_ = true;
  if (!input_first_ || order(m) < order(*input_first_)) input_first_ = m;
  if (!first_ || (first_->input == m.input && order(m) < order(*first_))) first_ = std::move(m);
}

Mismatch Scoreboard::base(CheckRank rank, const std::string& check, int step) const {
  Mismatch m;
  m.rank = rank;
  m.check = check;
  m.input = input_;
  m.layer = step;
  if (step >= 0 && step < static_cast<int>(program_->layers.size())) m.layer_name = program_->layers[step].name;
  return m;
}

void Scoreboard::on_write(int64_t cycle, int pass, int layer, int64_t element, uint8_t value) {
  Mismatch m = base(CheckRank::LayerOutput, "layer output", -1);
  m.pass = pass;
  m.cycle = cycle;
  m.run_cycle = cycle - start_cycle_;
  m.layer = layer;
  m.element = element;
  m.got = value;
  if (layer < 0 || layer >= static_cast<int>(seen_[pass].size()) ||
      (pass == 1 && !expected_->rerun) || seen_[pass][layer].empty()) {
    m.check = pass ? "write in a re-run that should not happen" : "write to a layer that produces no output";
    return fail(m);
  }
  const Layer& l = program_->layers[layer];
  m.layer_name = l.name;
  const auto& configs = pass == 0 ? expected_->configs : expected_->rerun_configs;
  m.bits = l.has_weights() ? configs[layer].bits : 0;
  const auto& want = (pass == 0 ? expected_->layer_outputs : expected_->rerun_outputs)[layer];
  if (element < 0 || element >= static_cast<int64_t>(want.size())) {
    m.check = "write outside the layer's output";
    m.expected = static_cast<int64_t>(want.size());
    return fail(m);
  }
  if (seen_[pass][layer][element]++ > 0) {
    m.check = "duplicate write";
    m.expected = want[element];
    return fail(m);
  }
  ++counts_.elements_compared;
  if (value != want[element]) {
    m.expected = want[element];
    fail(m);
  }
}

void Scoreboard::check_metric(int slot, int candidate, uint64_t got) {
  ++counts_.metrics_compared;
  const uint64_t want = expected_->metrics[slot][candidate];
  if (got == want) return;
  Mismatch m = base(CheckRank::SaeMetric, "SAE metric", scan_step_of(*program_, slot, false));
  m.slot = slot;
  m.candidate = candidate;
  m.expected = static_cast<int64_t>(want);
  m.got = static_cast<int64_t>(got);
  m.bits = program_->pcu.candidates[candidate];
  fail(m);
}

void Scoreboard::check_slot_bits(int slot, int got) {
  const int want = expected_->decided_bits[slot];
  if (got == want) return;
  Mismatch m = base(CheckRank::PrecisionMap, "precision map", scan_step_of(*program_, slot, true));
  m.slot = slot;
  m.expected = want;
  m.got = got;
  fail(m);
}

void Scoreboard::check_config(int step, int pass, const LayerConfig& got) {
  // A re-run the golden model did not make is check_rerun's mismatch.
  if (pass == 1 && !expected_->rerun) return;
  ++counts_.configs_compared;
  const LayerConfig& want = (pass == 0 ? expected_->configs : expected_->rerun_configs)[step];
  if (got == want) return;
  Mismatch m = base(CheckRank::LayerConfig, "layer config (the CSR configs word)", step);
  m.pass = pass;
  m.expected = pack_step_config(want);
  m.got = pack_step_config(got);
  fail(m);
}

void Scoreboard::check_rerun(bool got_rerun, OutputGaps got) {
  if (!program_->pcu.cascade) return;
  auto check_gap = [&](const char* what, int expected, int got_gap) {
    if (got_gap == expected) return;
    Mismatch m = base(CheckRank::Rerun, what, -1);
    m.expected = expected;
    m.got = got_gap;
    fail(m);
  };
  check_gap("output margin", expected_->gaps.second, got.second);
  check_gap("output gap to the third", expected_->gaps.third, got.third);
  if (got_rerun != expected_->rerun) {
    Mismatch m = base(CheckRank::Rerun, "re-run decision", -1);
    m.expected = expected_->rerun;
    m.got = got_rerun;
    fail(m);
  }
}

void Scoreboard::check_step_counter(const char* what, int step, int pass, int64_t got, int64_t expected) {
  if (got == expected) return;
  Mismatch m = base(CheckRank::Counters, what, step);
  m.pass = pass;
  m.expected = expected;
  m.got = got;
  const auto& configs = pass == 0 ? expected_->configs : expected_->rerun_configs;
  if (program_->layers[step].has_weights()) m.bits = configs[step].bits;
  fail(m);
}

void Scoreboard::check_counter(const char* what, int64_t got, int64_t expected) {
  if (got == expected) return;
  Mismatch m = base(CheckRank::Counters, what, -1);
  m.expected = expected;
  m.got = got;
  fail(m);
}

void Scoreboard::check_readback(const Codes& got) {
  const Codes& want = expected_->output();
  const int last = static_cast<int>(program_->layers.size()) - 1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (i < got.size() && got[i] == want[i]) continue;
    Mismatch m = base(CheckRank::Readback, "final output read back", last);
    m.pass = expected_->rerun ? 1 : 0;  // what the host reads is the last pass's output
    m.element = static_cast<int64_t>(i);
    m.expected = want[i];
    m.got = i < got.size() ? got[i] : -1;
    return fail(m);
  }
}

bool Scoreboard::end_input() {
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1 && !expected_->rerun) break;
    const auto& outputs = pass == 0 ? expected_->layer_outputs : expected_->rerun_outputs;
    for (size_t l = 0; l < seen_[pass].size(); ++l) {
      if (seen_[pass][l].empty()) continue;  // a step with no output in this pass
      bool complete = true;
      for (size_t e = 0; e < seen_[pass][l].size(); ++e) {
        if (seen_[pass][l][e] != 0) continue;
        complete = false;
        Mismatch m = base(CheckRank::LayerOutput, "missing write", static_cast<int>(l));
        m.pass = pass;
        m.element = static_cast<int64_t>(e);
        m.expected = outputs[l][e];
        m.got = -1;
        fail(m);
        break;
      }
      if (complete) ++counts_.layers_compared;
    }
  }
  return !input_failed_;
}

}  // namespace aps::sim
