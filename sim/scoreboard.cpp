#include "sim/scoreboard.hpp"

#include <fmt/format.h>

namespace aps::sim {

std::string Mismatch::describe() const {
  std::string s = fmt::format("input {}: {} mismatch", input, check);
  if (layer >= 0) s += fmt::format(" in layer {} '{}'", layer, layer_name);
  if (element >= 0) s += fmt::format(", element {}", element);
  s += fmt::format(": expected {}, got {}", expected, got);
  if (bits > 0) s += fmt::format(" ({}-bit)", bits);
  if (cycle >= 0) s += fmt::format(" at cycle {} ({} cycles into the input)", cycle, run_cycle);
  return s;
}

void Scoreboard::begin_input(int64_t input, const NetworkProgram& program, const ProgramResult& expected,
                             const std::vector<LayerConfig>& configs, int64_t start_cycle) {
  program_ = &program;
  expected_ = &expected;
  configs_ = configs;
  input_ = input;
  start_cycle_ = start_cycle;
  input_failed_ = false;
  input_first_.reset();
  seen_.assign(program.layers.size(), {});
  for (size_t l = 0; l < program.layers.size(); ++l) seen_[l].assign(expected.layer_outputs[l].size(), 0);
  ++counts_.inputs;
}

void Scoreboard::fail(Mismatch m) {
  ++counts_.mismatches;
  input_failed_ = true;
  if (!input_first_) input_first_ = m;
  if (!first_) first_ = std::move(m);
}

void Scoreboard::on_write(int64_t cycle, int layer, int64_t element, uint8_t value) {
  Mismatch m;
  m.input = input_;
  m.cycle = cycle;
  m.run_cycle = cycle - start_cycle_;
  m.layer = layer;
  m.element = element;
  m.got = value;
  if (layer < 0 || layer >= static_cast<int>(seen_.size())) {
    m.check = "write to a layer that does not exist";
    m.layer = -1;
    return fail(m);
  }
  const Layer& l = program_->layers[layer];
  m.layer_name = l.name;
  m.bits = l.has_weights() ? configs_[layer].bits : 0;
  const auto& want = expected_->layer_outputs[layer];
  if (element < 0 || element >= static_cast<int64_t>(want.size())) {
    m.check = "write outside the layer's output";
    m.expected = static_cast<int64_t>(want.size());
    return fail(m);
  }
  if (seen_[layer][element]++ > 0) {
    m.check = "duplicate write";
    m.expected = want[element];
    return fail(m);
  }
  ++counts_.elements_compared;
  if (value != want[element]) {
    m.check = "layer output";
    m.expected = want[element];
    fail(m);
  }
}

void Scoreboard::check_layer_cycles(int layer, int64_t got, int64_t expected) {
  if (got == expected) return;
  Mismatch m;
  m.check = "layer cycle count";
  m.input = input_;
  m.layer = layer;
  m.layer_name = program_->layers[layer].name;
  m.expected = expected;
  m.got = got;
  m.bits = configs_[layer].bits;
  fail(m);
}

void Scoreboard::check_run_cycles(int64_t got, int64_t expected) {
  if (got == expected) return;
  Mismatch m;
  m.check = "run cycle count";
  m.input = input_;
  m.expected = expected;
  m.got = got;
  fail(m);
}

void Scoreboard::check_readback(const Codes& got) {
  const Codes& want = expected_->output();
  const int last = static_cast<int>(program_->layers.size()) - 1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (i < got.size() && got[i] == want[i]) continue;
    Mismatch m;
    m.check = "final output read back";
    m.input = input_;
    m.layer = last;
    m.layer_name = program_->layers[last].name;
    m.element = static_cast<int64_t>(i);
    m.expected = want[i];
    m.got = i < got.size() ? got[i] : -1;
    return fail(m);
  }
}

bool Scoreboard::end_input() {
  for (size_t l = 0; l < seen_.size(); ++l) {
    bool complete = true;
    for (size_t e = 0; e < seen_[l].size(); ++e) {
      if (seen_[l][e] != 0) continue;
      complete = false;
      Mismatch m;
      m.check = "missing write";
      m.input = input_;
      m.layer = static_cast<int>(l);
      m.layer_name = program_->layers[l].name;
      m.element = static_cast<int64_t>(e);
      m.expected = expected_->layer_outputs[l][e];
      m.got = -1;
      m.bits = program_->layers[l].has_weights() ? configs_[l].bits : 0;
      fail(m);
      break;
    }
    if (complete) ++counts_.layers_compared;
  }
  return !input_failed_;
}

}  // namespace aps::sim
