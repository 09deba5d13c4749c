#pragma once
// Scoreboard: checks the accelerator against the golden model, input by
// input. The checks, in the order that decides which mismatch of an input is
// reported first (the earliest is the one to look at: everything after it
// may only be its consequence):
//   1. the first pass, step by step; at each step
//      a. the SAE metrics of a scan (every candidate width of its slot),
//      b. the precision map: the width the PCU decided for a slot, at the
//         step that decided it,
//      c. the configuration the step ran with (bits and shifts),
//      d. every element the step wrote, each exactly once;
//   2. the cascade's decision: the output's gaps to the second and third code
//      (the gate's inputs) and whether it re-ran;
//   3. the re-run, step by step: configuration, then elements;
//   4. the host port's end-of-run pins (the interrupt when done rose; done
//      and the interrupt after the host wrote 1 to status.done), then the
//      counters: every step's cycles, memory-port beats and memory stall
//      cycles, the run's cycles, stall, memory stall, beat, PCU and SAE
//      counts, against the cycle model;
//   5. the final output, read back from the external memory.
// A mismatch carries what is needed to find it again: input, check, step,
// element (or slot and candidate), expected, got, precision and cycle.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps::sim {

// The kind of check, in the order of the checks at one step (1a-1d above),
// then the phases after the steps (2, 4, 5).
enum class CheckRank { SaeMetric = 0, PrecisionMap, LayerConfig, LayerOutput, Rerun, Counters, Readback };

struct Mismatch {
  std::string check;       // "layer output", "SAE metric", "missing write", "cycles", ...
  CheckRank rank = CheckRank::LayerOutput;
  int64_t input = -1;
  int pass = 0;            // 1: the cascade's re-run
  int layer = -1;          // step index in the program (-1: not tied to a step)
  std::string layer_name;
  int64_t element = -1;    // element of the step's output (-1: not an element)
  int slot = -1;           // PCU slot (SAE metric, precision map)
  int candidate = -1;      // candidate width index (SAE metric)
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
  int64_t metrics_compared = 0;
  int64_t configs_compared = 0;
  int64_t reruns = 0;
};

class Scoreboard {
 public:
  // Starts an input: `expected` is the golden result.
  void begin_input(int64_t input, const NetworkProgram& program, const ProgramResult& expected, int64_t start_cycle);
  // A monitor event.
  void on_write(int64_t cycle, int pass, int layer, int64_t element, uint8_t value);
  void check_metric(int slot, int candidate, uint64_t got);
  void check_slot_bits(int slot, int got);
  void check_config(int step, int pass, const LayerConfig& got);
  void check_rerun(bool got_rerun, OutputGaps got);
  void check_step_cycles(int step, int pass, int64_t got, int64_t expected) {
    check_step_counter("step cycle count", step, pass, got, expected);
  }
  // A per-step counter (`what`: "step cycle count", "step memory beats", ...).
  void check_step_counter(const char* what, int step, int pass, int64_t got, int64_t expected);
  // A whole-run counter (`what`: "run cycle count", "stall cycle count", ...).
  void check_counter(const char* what, int64_t got, int64_t expected);
  void check_readback(const Codes& got);
  // Completeness of every step's output; returns true if this input matched.
  bool end_input();
  // A failed check found outside the scoreboard (e.g. the RTL refused a descriptor).
  void record(Mismatch m) { fail(std::move(m)); }

  const ScoreboardCounts& counts() const { return counts_; }
  const std::optional<Mismatch>& first_mismatch() const { return first_; }
  // The first mismatch (in check order) of the current or last input.
  const std::optional<Mismatch>& input_mismatch() const { return input_first_; }
  bool input_failed() const { return input_failed_; }

 private:
  void fail(Mismatch m);
  Mismatch base(CheckRank rank, const std::string& check, int step) const;

  const NetworkProgram* program_ = nullptr;
  const ProgramResult* expected_ = nullptr;
  std::vector<std::vector<uint8_t>> seen_[2];  // per pass, per step, per element: writes
  int64_t input_ = -1, start_cycle_ = 0;
  bool input_failed_ = false;
  ScoreboardCounts counts_;
  std::optional<Mismatch> first_;
  std::optional<Mismatch> input_first_;
};

}  // namespace aps::sim
