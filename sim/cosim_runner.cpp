#include "sim/cosim_runner.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "golden/accelerator/precision_map.hpp"

namespace aps::sim {

namespace {

struct WorkerResult {
  double bit_macs = 0;
  int64_t reruns = 0, pcu_cycles = 0, sae_cycles = 0;
  std::vector<std::pair<int64_t, std::string>> maps;
  std::vector<std::map<int, int64_t>> histogram;
  std::vector<std::pair<int64_t, std::string>> failures;
  std::vector<std::pair<int64_t, double>> seconds;  // per input run here
  Scoreboard scoreboard;
  // The scoreboard's counts and first mismatch as of the last input that
  // finished (an input stopped half way has counted some of its checks).
  ScoreboardCounts done_counts;
  std::optional<Mismatch> done_first;
  int64_t failed_inputs = 0, rtl_cycles = 0, sim_cycles = 0;
  Evaluation rtl_eval, golden_eval;
  std::vector<int64_t> layer_cycles, layer_rerun_cycles, layer_mem_beats, layer_mem_stalls;
  int64_t mem_beats = 0, mem_stalls = 0;
  int rows = 0;
  std::string variant;
};

}  // namespace

SessionOptions instance_session(const SessionOptions& run, int instance) {
  SessionOptions so = run;
  so.device.seed = run.device.seed + static_cast<uint64_t>(instance);
  so.stall_seed = run.stall_seed + static_cast<uint64_t>(instance);
  return so;
}

int cosim_instances(int jobs, size_t inputs) {
  return std::max(1, std::min<int>(jobs, static_cast<int>(std::min<size_t>(std::max<size_t>(inputs, 1), INT32_MAX))));
}

CosimResult run_cosim(const NetworkProgram& program, const std::vector<Codes>& inputs,
                      const std::vector<int64_t>& labels, const CosimOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const int jobs = cosim_instances(options.jobs, inputs.size());
  std::vector<WorkerResult> results(static_cast<size_t>(jobs));
  std::atomic<int64_t> next{0}, done{0};
  std::atomic<bool> abort{false};
  std::exception_ptr error;
  int64_t error_input = -1;  // the input whose run threw `error`, if one did
  int error_instance = 0;
  std::string trace_error;  // only the first worker traces
  std::mutex error_mutex;

  auto worker = [&](int w) {
    WorkerResult& wr = results[w];
    wr.rtl_eval = wr.golden_eval = Evaluation(options.task);
    wr.layer_cycles.assign(program.layers.size(), 0);
    wr.layer_rerun_cycles.assign(program.layers.size(), 0);
    wr.layer_mem_beats.assign(program.layers.size(), 0);
    wr.layer_mem_stalls.assign(program.layers.size(), 0);
    const std::vector<int> main_weighted = weighted_layers(program);
    wr.histogram.assign(main_weighted.size(), {});
    int64_t current = -1;
    try {
      std::optional<AcceleratorSession> session;
      SessionOptions so = instance_session(options.session, w);
      if (w != 0) so.trace_path.clear();  // one trace file, from the first instance
      if (options.rtl) {
        session.emplace(program, so);
        session->configure(options.configs);
        wr.variant = session->variant();
        wr.rows = session->limits().array.rows;
      }
      for (int64_t i; !abort && (i = next.fetch_add(1)) < static_cast<int64_t>(inputs.size());) {
        current = i;
        const auto input_start = std::chrono::steady_clock::now();
        ProgramResult expected;
        const bool golden = options.check || !options.rtl;
        if (golden) expected = execute_program(program, inputs[i], options.configs);
        if (options.rtl) {
          const int64_t index = options.first_input + i;
          const InputRun run = options.check ? session->run(index, inputs[i], expected, wr.scoreboard)
                                             : session->run_unchecked(index, inputs[i]);
          if (options.check && !run.passed) {
            ++wr.failed_inputs;
            const auto& first = wr.scoreboard.input_mismatch();
            wr.failures.emplace_back(i, first ? first->describe() : "failed");
          }
          if (!labels.empty()) wr.rtl_eval.add(program, inputs[i], run.output, labels[i]);
          wr.rtl_cycles += run.cycles;
          wr.pcu_cycles += run.pcu_cycles;
          wr.sae_cycles += run.sae_cycles;
          wr.mem_beats += run.mem_beats;
          wr.mem_stalls += run.mem_stalls;
          for (size_t l = 0; l < run.layer_cycles.size(); ++l) {
            wr.layer_cycles[l] += run.layer_cycles[l];
            wr.layer_mem_beats[l] += run.layer_mem_beats[l];
            wr.layer_mem_stalls[l] += run.layer_mem_stalls[l];
            if (l < run.rerun_layer_cycles.size()) wr.layer_rerun_cycles[l] += run.rerun_layer_cycles[l];
          }
        }
        // Counted once the input has finished, so the golden figures and the
        // RTL's always cover the same inputs (options.partial).
        if (golden) {
          if (!labels.empty()) wr.golden_eval.add(program, inputs[i], expected.output(), labels[i]);
          wr.bit_macs += bit_macs(program, expected);
          for (size_t j = 0; j < main_weighted.size(); ++j) ++wr.histogram[j][expected.configs[main_weighted[j]].bits];
          wr.reruns += expected.rerun;
          wr.maps.emplace_back(i, main_precision_text(program, expected.configs));
        }
        if (session) wr.sim_cycles = session->cycle();
        wr.done_counts = wr.scoreboard.counts();
        if (!wr.done_first && wr.scoreboard.first_mismatch()) wr.done_first = wr.scoreboard.first_mismatch();
        wr.seconds.emplace_back(i, std::chrono::duration<double>(std::chrono::steady_clock::now() - input_start).count());
        const int64_t d = ++done;
        if (options.progress && w == 0) options.progress(d);
      }
      current = -1;
      if (session) {
        wr.sim_cycles = session->cycle();
        // Closed here, not by the destructor, so a trace that cannot be
        // written is reported instead of vanishing; kept apart so it never
        // hides the run's results or what another worker found.
        try {
          session->close_trace();
        } catch (const Interrupted&) {
          throw;
        } catch (const std::exception& e) {
          trace_error = e.what();
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) {
        error = std::current_exception();
        error_input = current;
        error_instance = w;
      }
      abort = true;
    }
  };

  if (jobs == 1) {
    worker(0);
  } else {
    std::vector<std::thread> threads;
    for (int w = 0; w < jobs; ++w) threads.emplace_back(worker, w);
    for (auto& t : threads) t.join();
  }
  // The workers' results summed, each over the inputs it finished.
  const auto merged = [&] {
    CosimResult r;
    r.rtl_eval = r.golden_eval = Evaluation(options.task);
    r.layer_cycles.assign(program.layers.size(), 0);
    r.layer_rerun_cycles.assign(program.layers.size(), 0);
    r.layer_mem_beats.assign(program.layers.size(), 0);
    r.layer_mem_stalls.assign(program.layers.size(), 0);
    r.inputs = static_cast<int64_t>(inputs.size());
    r.trace_error = trace_error;
    r.input_failures.assign(inputs.size(), "");
    r.input_seconds.assign(inputs.size(), 0.0);
    r.input_instance.assign(inputs.size(), 0);
    r.precision_maps.assign(inputs.size(), "");
    for (size_t w = 0; w < results.size(); ++w) {
      const WorkerResult& wr = results[w];
      const auto& c = wr.done_counts;
      r.counts.inputs += c.inputs;
      r.counts.layers_compared += c.layers_compared;
      r.counts.elements_compared += c.elements_compared;
      r.counts.mismatches += c.mismatches;
      r.counts.metrics_compared += c.metrics_compared;
      r.counts.configs_compared += c.configs_compared;
      r.counts.reruns += c.reruns;
      const auto& m = wr.done_first;
      if (m && (!r.first_mismatch || m->input < r.first_mismatch->input)) r.first_mismatch = m;
      r.failed_inputs += wr.failed_inputs;
      r.rtl_eval.merge(wr.rtl_eval);
      r.golden_eval.merge(wr.golden_eval);
      r.rtl_cycles += wr.rtl_cycles;
      r.sim_cycles += wr.sim_cycles;
      for (size_t l = 0; l < wr.layer_cycles.size(); ++l) {
        r.layer_cycles[l] += wr.layer_cycles[l];
        r.layer_rerun_cycles[l] += wr.layer_rerun_cycles[l];
        r.layer_mem_beats[l] += wr.layer_mem_beats[l];
        r.layer_mem_stalls[l] += wr.layer_mem_stalls[l];
      }
      r.mem_beats += wr.mem_beats;
      r.mem_stalls += wr.mem_stalls;
      if (wr.rows) r.rows = wr.rows;
      if (!wr.variant.empty()) r.variant = wr.variant;
      for (const auto& [i, what] : wr.failures) r.input_failures[i] = what;
      for (const auto& [i, s] : wr.seconds) {
        r.finished.push_back(i);
        r.input_seconds[i] = s;
        r.input_instance[i] = static_cast<int>(w);
      }
      for (const auto& [i, map] : wr.maps) r.precision_maps[i] = map;
      r.bit_macs += wr.bit_macs;
      r.reruns += wr.reruns;
      r.pcu_cycles += wr.pcu_cycles;
      r.sae_cycles += wr.sae_cycles;
      if (r.width_histogram.empty()) r.width_histogram.assign(wr.histogram.size(), {});
      for (size_t j = 0; j < wr.histogram.size(); ++j)
        for (const auto& [b, n] : wr.histogram[j]) r.width_histogram[j][b] += n;
    }
    std::sort(r.finished.begin(), r.finished.end());
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
  if (error) {
    if (error_input >= 0 && options.on_stopped) options.on_stopped(options.first_input + error_input, error_instance);
    if (options.partial) {
      CosimResult& p = *options.partial;
      p = merged();
      p.inputs = p.counts.inputs;
      std::erase(p.precision_maps, "");  // the inputs that did not finish: entry k is input finished[k]
    }
    std::rethrow_exception(error);
  }
  return merged();
}

}  // namespace aps::sim
