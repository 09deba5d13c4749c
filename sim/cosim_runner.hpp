#pragma once
// Runs a set of inputs through the accelerator and the golden model side by
// side: golden first (per input, the expected output of every layer), then
// the RTL under the scoreboard. Inputs are spread over --jobs independent
// accelerator instances on threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "golden/accelerator/evaluation.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "sim/accelerator_session.hpp"
#include "sim/scoreboard.hpp"

namespace aps::sim {

// The session of accelerator instance `instance` of a run: the run's device
// and stall seeds plus the instance, so instances differ and any one can be
// started again alone.
SessionOptions instance_session(const SessionOptions& run, int instance);

struct CosimOptions {
  SessionOptions session;
  std::vector<LayerConfig> configs;  // one per layer
  int jobs = 1;
  bool rtl = true;                   // false: golden only (for benchmarks)
  bool check = true;                 // false: RTL without golden and scoreboard (for benchmarks)
  Task task = Task::Classification;  // how labelled outputs are scored
  // The data set's index of inputs[0]. Mismatches, the watchdog and
  // on_stopped name an input by its index in the data set, as the line that
  // re-runs it (--first) does, not by its place in this run or shard.
  int64_t first_input = 0;
  // Called after each input with the number done so far (progress display).
  std::function<void(int64_t done)> progress;
  // Called, before run_cosim rethrows, when an input's run threw (the
  // watchdog, an RTL assertion, an interrupt): the input and the instance
  // that ran it, so the caller can print the line that re-runs it alone.
  std::function<void(int64_t input, int instance)> on_stopped;
  // When given, filled before run_cosim rethrows with the inputs that
  // finished before the one that threw: their counts, figures and first
  // mismatch (`inputs` counts them), so a stopped run loses nothing it did.
  struct CosimResult* partial = nullptr;
};

struct CosimResult {
  ScoreboardCounts counts;
  std::optional<Mismatch> first_mismatch;  // its input: the data set's index (first_input + place)
  int64_t failed_inputs = 0;
  Evaluation rtl_eval;          // the RTL's outputs against the labels (none without labels)
  Evaluation golden_eval;       // the golden model's
  int64_t rtl_cycles = 0;       // accelerator cycles over all inputs
  // Per layer, summed over inputs: the first pass (as the memory figures
  // below, which the RTL logs for it only) and the cascade's re-run.
  std::vector<int64_t> layer_cycles, layer_rerun_cycles;
  std::vector<int64_t> layer_mem_beats, layer_mem_stalls;  // per layer, first pass, summed over inputs
  int64_t mem_beats = 0, mem_stalls = 0;  // over all inputs (both passes)
  int rows = 0;                 // bytes per memory-port beat
  int64_t sim_cycles = 0;       // simulated cycles including host transfers and loading
  double seconds = 0;           // wall time
  int64_t inputs = 0;
  std::string variant;
  std::vector<std::string> input_failures;  // per input: "" if it passed, else its first mismatch
  std::vector<double> input_seconds;        // per input: wall time of its golden run and RTL run
  std::vector<int> input_instance;          // per input: the accelerator instance (thread) that ran it; its
                                            // seeds are the run's plus the instance
  std::vector<int64_t> finished;            // the places of the inputs that finished, in order (all of them
                                            // unless the run stopped; with --jobs > 1 not always a prefix)
  // Adaptive precision, from the golden run of each input (the RTL's were checked equal).
  double bit_macs = 0;          // sum over inputs of sum(macs * bits) over both passes
  int64_t reruns = 0;
  int64_t pcu_cycles = 0;       // RTL
  int64_t sae_cycles = 0;       // RTL: scan steps (without their PCU decision) and shadow layers, pass 0
  std::vector<std::string> precision_maps;                 // per input: "map:b1,b2,..." of pass 0
  std::vector<std::map<int, int64_t>> width_histogram;     // per main layer with weights: width -> inputs
  // Why the trace could not be written ("": it was, or none was asked for).
  // The run's results stand; the caller reports it after them.
  std::string trace_error;
};

// The accelerator instances a run of `inputs` inputs with --jobs `jobs` uses:
// no more than the inputs, at least one.
int cosim_instances(int jobs, size_t inputs);

CosimResult run_cosim(const NetworkProgram& program, const std::vector<Codes>& inputs,
                      const std::vector<int64_t>& labels, const CosimOptions& options);

}  // namespace aps::sim
