#pragma once
// Scoreboard: checks the accelerator against the golden model while it runs.
// Each layer-output write seen on the monitor port is compared with the
// golden layer output at once; at the end of an input every element must
// have been written exactly once, the cycle counters must equal the golden
// cycle model, and the output read back over the host port must equal the
// golden output. The first mismatch is kept with everything needed to find
// it again: input, layer, element, expected, got, precision and cycle.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "golden/layer_config.hpp"
#include "golden/network_program.hpp"
#include "golden/program_executor.hpp"

namespace aps::sim {

struct Mismatch {
  std::string check;       // "layer output", "missing write", "duplicate write", "cycles", "readback", ...
  int64_t input = -1;
  int layer = -1;
  std::string layer_name;
  int64_t element = -1;
  int64_t expected = 0;
  int64_t got = 0;
  int bits = 0;
  int64_t cycle = -1;      // simulation cycle of the event (-1 when not tied to one)
  int64_t run_cycle = -1;  // cycles since this input's start command

  std::string describe() const;
};

struct ScoreboardCounts {
  int64_t inputs = 0;
  int64_t layers_compared = 0;
  int64_t elements_compared = 0;
  int64_t mismatches = 0;
};

class Scoreboard {
 public:
  // Starts an input: `expected` is the golden result under `configs`.
  void begin_input(int64_t input, const NetworkProgram& program, const ProgramResult& expected,
                   const std::vector<LayerConfig>& configs, int64_t start_cycle);
  // A monitor event.
  void on_write(int64_t cycle, int layer, int64_t element, uint8_t value);
  void check_layer_cycles(int layer, int64_t got, int64_t expected);
  void check_run_cycles(int64_t got, int64_t expected);
  void check_readback(const Codes& got);
  // Completeness of every layer; returns true if this input matched.
  bool end_input();
  // A failed check found outside the scoreboard (e.g. the RTL refused a descriptor).
  void record(Mismatch m) { fail(std::move(m)); }

  const ScoreboardCounts& counts() const { return counts_; }
  const std::optional<Mismatch>& first_mismatch() const { return first_; }
  // The first mismatch of the current (or last) input.
  const std::optional<Mismatch>& input_mismatch() const { return input_first_; }
  bool input_failed() const { return input_failed_; }

 private:
  void fail(Mismatch m);

  const NetworkProgram* program_ = nullptr;
  const ProgramResult* expected_ = nullptr;
  std::vector<LayerConfig> configs_;
  std::vector<std::vector<uint8_t>> seen_;  // writes per element of each layer
  int64_t input_ = -1, start_cycle_ = 0;
  bool input_failed_ = false;
  ScoreboardCounts counts_;
  std::optional<Mismatch> first_;
  std::optional<Mismatch> input_first_;
};

}  // namespace aps::sim
