// aps-sim run: a model and a data set through the RTL, every layer of every
// input checked against the golden model.

#include <cstdint>
#include <fmt/format.h>
#include <iostream>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/evaluation.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/onnx/data_set.hpp"
#include "cli/policy_cli.hpp"
#include "golden/import/program_loader.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/cosim_report.hpp"
#include "sim/cli/junit_writer.hpp"
#include "sim/cli/memory_options.hpp"
#include "sim/cli/progress_bar.hpp"
#include "sim/cli/shard.hpp"
#include "sim/cli/trace_name.hpp"
#include "sim/cosim_runner.hpp"
#include "sim/replay_window.hpp"
#include "sim/tracer.hpp"
#include "sim/coverage_store.hpp"
#include "sim/waveform_view.hpp"

namespace aps::sim::cli {
namespace fs = std::filesystem;
namespace po = aps::cli::po;

namespace {

struct Samples {
  std::vector<Codes> inputs;
  std::vector<int64_t> labels;
  int64_t first = 0;  // of the split, inputs[0]'s index
};

// The inputs --first, --count and --shard select, and only those quantized:
// a shard's share of a large split, not the whole split.
Samples load_samples(const NetworkProgram& program, Task task, const std::string& data, int64_t first, int64_t count,
                     const Shard& shard, const std::string& shard_text) {
  const std::vector<DataSet> sets = load_data_sets(data);
  check_split_labels(sets);
  int64_t all = 0;
  for (const DataSet& ds : sets) {
    check_program_batch(program, ds);
    if (ds.labels)
      check_class_labels(task, ds.labels->ints(), program.output_layer().out_shape.size(),
                         (ds.folder / "labels.pb").string(), program.source);
    all += ds.sample_count();
  }
  if (first < 0 || first >= all) throw InputError(fmt::format("{}: --first {} is outside the {} samples", data, first, all));
  const int64_t available = all - first;
  // More than there are is a usable request (scripts ask for "up to N"), but
  // the run must say it ran fewer.
  if (count > available)
    std::cerr << fmt::format("aps-sim: {}: --count {} from --first {}, but only {} samples follow; running {}\n", data,
                             count, first, available, available);
  Samples s;
  const int64_t selected = count < 0 ? available : std::min(count, available);
  // A farm may cut more shards than there are inputs: an empty slice is then
  // this shard's whole share, and its result (nothing) merges with the others'.
  const auto [begin, end] = shard.slice(selected);
  if (shard.n > 1 && begin == end)
    std::cerr << fmt::format("aps-sim: --shard {}: no inputs fall in this shard of {}\n", shard_text, selected);
  s.first = first + begin;
  int64_t index = 0;  // of the split
  for (const DataSet& ds : sets) {
    const Tensor& t = ds.inputs[0].tensor;
    for (int64_t i = 0; i < ds.sample_count(); ++i, ++index) {
      if (index < s.first || index >= first + end) continue;
      s.inputs.push_back(quantize_input(program, t, i));
      if (ds.labels) s.labels.push_back(ds.labels->ints()[i]);
    }
  }
  return s;
}

int64_t parse_cycles(const std::string& v, const char* what) {
  uint64_t x = UINT64_MAX;  // what text that is not a whole number counts as
  try {
    x = aps::cli::parse_whole_number(v, what);
  } catch (const InputError&) {
  }
  if (x > static_cast<uint64_t>(INT64_MAX)) throw InputError(fmt::format("{} must be a cycle count, not '{}'", what, v));
  return static_cast<int64_t>(x);
}

}  // namespace

ExitCode run_command(const Args& args) {
  po::options_description options("aps-sim [run] --model M --data D [options]");
  std::string model, data, calibration, precision, trace, trace_start = "0", trace_end = "-1", report, junit,
      shard_text = "1/1", coverage_file;
  int64_t count = -1, first = 0, max_cycles = 0;
  std::string seed_text = "1";
  int jobs = 1;
  double stall = 0.0;
  bool trace_on_fail = false;
  options.add_options()("help,h", "show this help")
      ("model", po::value(&model)->required(), "ONNX model (float, QDQ or QOperator)")
      ("data", po::value(&data)->required(), "a test_data_set folder (input_0.pb [+ labels.pb]), a folder of them, or a .pb")
      ("calibration", po::value(&calibration),
       (std::string(aps::cli::kCalibrationHelp) + aps::cli::kCalibrationProfileHelp).c_str())
      ("count", po::value(&count), "run this many inputs (default: all; past the end of the data, the inputs there are, with a note)")
      ("first", po::value(&first)->default_value(0), "index of the first input")
      ("shard", po::value(&shard_text)->default_value("1/1"),
       "run the K-th of N contiguous slices of the selected inputs (a farm's shard K/N)")
      ("precision", po::value(&precision)->default_value("8"), "a width 2..8 for every layer, or map:b1,b2,... (per layer with weights, or per layer with 8 for those without)")
      ("seed", po::value(&seed_text)->default_value("1"), "seed of the RTL's random initial state and of --stall")
      ("jobs", po::value(&jobs)->default_value(1), "independent accelerator instances on threads")
      ("max-cycles", po::value(&max_cycles)->default_value(0), "watchdog per input (0: 20x the cycle model + 10000)")
      ("stall", po::value(&stall)->default_value(0.0), "probability of a random idle cycle before each host request")
      ("trace", po::value(&trace), "write a waveform (.vcd or .fst); with --jobs > 1, of the first instance's inputs only")
      ("trace-start", po::value(&trace_start), "first traced cycle")
      ("trace-end", po::value(&trace_end), "first cycle not traced (-1: to the end)")
      ("trace-on-fail", po::bool_switch(&trace_on_fail),
       "re-run the first failing input with a trace around the failing check (into --trace's file when given, "
       "replacing the run's trace)")
      ("report", po::value(&report), "write a JSON report here")
      ("junit", po::value(&junit), "write JUnit XML here (one test case per input)")
      ("coverage", po::value(&coverage_file), "write the RTL's line, toggle and functional coverage here (Verilator .dat)");
  MemoryArgs memory;
  add_memory_options(options, memory);
  std::string task;
  aps::cli::add_task_option(options, task);
  aps::cli::PolicyArgs policy;
  const std::vector<std::string> policy_options = aps::cli::add_policy_options(options, policy);
  po::variables_map vm;
  if (!aps::cli::parse_args(args, options, vm)) return ExitCode::Ok;
  aps::cli::refuse_unused_policy_options(vm, policy);
  if (jobs < 1) throw InputError("--jobs must be at least 1");
  if (!(stall >= 0 && stall < 1)) throw InputError("--stall must be in [0, 1)");
  if (vm.count("count") && count < 0) throw InputError("--count must be at least 0 (leave it out for every input)");
  if (max_cycles < 0) throw InputError("--max-cycles must be at least 0 (0: 20x the cycle model + 10000)");
  const uint64_t seed = aps::cli::parse_whole_number(seed_text, "--seed");
  if (trace.empty()) aps::cli::refuse_given(vm, {"trace-start", "trace-end"}, "sets the window of --trace's waveform; give --trace too");
  aps::cli::check_writable_each({report, junit, coverage_file});
  if (!trace.empty()) aps::cli::check_writable_each(trace_files(trace));
  std::vector<aps::cli::NamedPath> outputs{{"--report", report}, {"--junit", junit}, {"--coverage", coverage_file}};
  if (!trace.empty())
    for (const std::string& file : trace_files(trace)) outputs.push_back({"--trace", file});
  // The calibration folder a float model is read with, given or not.
  const std::string calibration_read =
      calibration_folder(model, calibration.empty() ? std::nullopt : std::optional<fs::path>(calibration)).string();
  const std::vector<aps::cli::NamedPath> read{
      {"--model", model}, {"--data", data}, {"--calibration", calibration_read}, {"--profile", policy.profile}};
  aps::cli::check_outputs_apart(read, outputs);

  CosimOptions co;
  co.session.make_device = make_device;
  co.session.device.seed = seed;
  co.session.stall_seed = seed;
  co.session.stall_probability = stall;
  apply_memory_options(memory, co.session);
  const HardwareLimits limits = probe_hardware(make_device, co.session.device);
  check_bandwidth(memory, limits.array.rows);
  // A network the build cannot hold is refused before a float model's
  // calibration batch is run (minutes and gigabytes on a large one).
  const auto fits_build = [&](const NetworkProgram& p) { make_platform(p, limits, co.session.memory, memory.spm_words); };
  const aps::cli::PolicyProgram pp = aps::cli::load_policy_program(
      model, calibration.empty() ? std::nullopt : std::optional<fs::path>(calibration), policy, fits_build,
      aps::cli::task_override(task));
  for (const std::string& note : pp.notes) std::cerr << "aps-sim: note: " << note << "\n";
  const NetworkProgram& program = pp.program;
  const Shard shard = parse_shard(shard_text);
  const Samples samples = load_samples(program, pp.task, data, first, count, shard, shard_text);
  const bool empty_shard = shard.n > 1 && samples.inputs.empty();
  first = samples.first;

  co.task = pp.task;
  co.configs = step_configs(program, precision);
  co.jobs = jobs;
  co.first_input = first;
  CoverageStore coverage;  // the runs' devices, not the probe
  if (!coverage_file.empty()) co.session.device.coverage = &coverage;
  const Platform platform = make_platform(program, limits, co.session.memory, memory.spm_words);
  const int64_t model_cycles = run_cycles(program, co.configs, platform);
  co.session.max_cycles = max_cycles > 0 ? max_cycles : 20 * model_cycles + 10000;
  if (!trace.empty()) {
    co.session.trace_path = trace;
    co.session.trace_window = {parse_cycles(trace_start, "--trace-start"),
                               trace_end == "-1" ? -1 : parse_cycles(trace_end, "--trace-end")};
  }
  const bool adaptive = pp.options.policy != Policy::Static;
  // The policy options given, each with its leading space (--precision reads
  // in the report's precision already).
  const std::string given_policy = aps::cli::given_options_text(vm, policy_options);
  RunDescription desc{model, data, aps::cli::precision_text(pp, co.configs),
                      given_policy.empty() ? "" : given_policy.substr(1), pp.bias_correction_off,
                      mac_weighted_bits(program, co.configs), seed, cosim_instances(jobs, samples.inputs.size())};

  install_stop_handlers();
  ProgressBar bar("inputs", static_cast<int64_t>(samples.inputs.size()));
  co.progress = [&](int64_t done) { bar.update(done); };
  // The one command that re-runs input i alone, as this run ran it: the
  // options that shape the program and the run, and the seeds of the
  // accelerator instance that ran it (a fresh instance: the inputs it ran
  // before, and their share of the stall stream, are not replayed).
  std::string run_args;
  if (!calibration.empty()) run_args += " --calibration " + aps::cli::shell_word(calibration);
  // Every policy option given passed refuse_unused_policy_options, so the
  // re-run accepts them all.
  run_args += given_policy + aps::cli::given_options_text(vm, {"precision"});
  run_args += aps::cli::given_options_text(vm, {"task"});
  if (stall != 0) run_args += fmt::format(" --stall {}", stall);
  if (max_cycles != 0) run_args += fmt::format(" --max-cycles {}", max_cycles);
  run_args += memory_args_text(memory);
  auto reproduce_on = [&](int64_t index, int instance, const std::string& trace_option) {
    return fmt::format("{} --model {} --data {} --first {} --count 1 --seed {}{} {}", rtl_command_name(),
                       aps::cli::shell_word(model),
                       aps::cli::shell_word(data), index, instance_session(co.session, instance).device.seed,
                       run_args, trace_option);
  };
  std::optional<std::pair<int64_t, int>> stopped;  // the index of the input whose run threw, and its instance
  co.on_stopped = [&](int64_t i, int instance) { stopped = {i, instance}; };
  CosimResult result, partial;
  co.partial = &partial;
  const std::string suite = shard.n > 1 ? fmt::format("aps-sim {} shard {}", model, shard_text) : "aps-sim " + model;
  // A run that ends early keeps what it can, and replaces every result file
  // it was asked for: an earlier run's must not stand for this one. An input
  // that stopped it gets the line that re-runs it alone, with a whole trace:
  // there is no mismatch to centre a window on.
  auto end_early = [&](const std::string& error, const std::string& message) {
    bar.finish();
    const std::string repro =
        stopped ? reproduce_on(stopped->first, stopped->second, fmt::format("--trace aps-stopped-input{}.vcd", stopped->first))
                : "";
    if (!coverage_file.empty()) coverage.write(coverage_file);
    // What the inputs that finished before the stop found stands, in the
    // report and on the screen.
    if (partial.inputs > 0) {
      if (adaptive) desc.avg_bits = partial.bit_macs / (static_cast<double>(program.total_macs()) * partial.inputs);
      std::cout << "before it stopped:\n" << cosim_table(program, desc, partial);
    }
    if (!report.empty()) {
      nlohmann::json j = {{"model", model}, {"data", data}, {"inputs", 0}, {"mismatches", 0}, {"first_mismatch", nullptr}};
      if (partial.inputs > 0) {
        j = cosim_json(program, desc, partial);
        j["first"] = first;
        j["shard"] = shard_text;
        // With --jobs > 1 the inputs that finished need not be the first ones:
        // their data-set indices, in the order of precision_maps.
        nlohmann::json finished = nlohmann::json::array();
        for (int64_t place : partial.finished) finished.push_back(first + place);
        j["inputs_finished"] = finished;
      }
      j["error"] = error;
      if (!repro.empty()) {
        j["stopped_input"] = stopped->first;  // its index in the data set, as in first_mismatch and the error
        j["stopped_instance"] = stopped->second;
        j["reproduce"] = repro;
      }
      aps::cli::write_json_file(report, j);
    }
    if (!junit.empty()) {
      const std::string name = stopped ? fmt::format("input {}", stopped->first) : "run";
      aps::cli::write_text_file(junit, junit_xml(suite, {{name, error, 0, repro.empty() ? "" : "reproduce: " + repro}}));
    }
    std::cerr << message << "\n";
    if (!repro.empty()) std::cerr << "aps-sim: reproduce: " << repro << "\n";
  };
  try {
    result = run_cosim(program, samples.inputs, samples.labels, co);
  } catch (const WatchdogTimeout& e) {
    end_early(e.what(), fmt::format("aps-sim: watchdog: {}", e.what()));
    return ExitCode::Timeout;
  } catch (const RtlAssertion& e) {
    end_early(e.what(), fmt::format("aps-sim: {} (the assertion's message is printed above)", e.what()));
    return ExitCode::Mismatch;
  } catch (const Interrupted& e) {
    stopped.reset();  // the input was interrupted, not at fault
    end_early("interrupted", fmt::format("aps-sim: interrupted by signal {}; trace and report closed", e.signal()));
    return ExitCode::Interrupted;
  }
  bar.finish();
  if (adaptive) desc.avg_bits = result.bit_macs / (static_cast<double>(program.total_macs()) * std::max<int64_t>(result.inputs, 1));

  std::cout << cosim_table(program, desc, result);
  nlohmann::json json = cosim_json(program, desc, result);
  json["first"] = first;
  json["array"] = {{"rows", limits.array.rows}, {"cols", limits.array.cols}};
  json["shard"] = shard_text;
  if (!result.trace_error.empty()) json["trace_error"] = result.trace_error;
  // Input i of this run is the data set's input first + i.
  auto reproduce = [&](int64_t i) { return reproduce_on(first + i, result.input_instance[i], "--trace-on-fail"); };
  if (result.first_mismatch) {
    const Mismatch& m = *result.first_mismatch;
    const int64_t place = m.input - first;  // its place in this run
    const std::string repro = reproduce(place);
    std::cout << "  reproduce: " << repro << "\n";
    json["reproduce"] = repro;
    json["first_mismatch_instance"] = result.input_instance[place];
    if (trace_on_fail) {
      // Replay the failing input alone, traced where its failing check works.
      const ProgramResult golden = execute_program(program, samples.inputs[place], co.configs);
      const ReplayWindow window = replay_window(m, run_cycle_model(program, golden, platform));
      const std::string file = trace.empty() ? trace_name_apart(window.file, read, outputs) : trace;
      SessionOptions so = instance_session(co.session, result.input_instance[place]);
      so.trace_path.clear();
      // Whatever stops the replay (its trace's conversion, a signal, the
      // watchdog, an assertion), the mismatch, its reproduce line and the
      // report stand; a signal ends the run as interrupted below.
      std::string written, trace_failure;
      std::optional<int64_t> marker;
      bool failed_again = false;
      try {
        AcceleratorSession session(program, so);
        session.configure(co.configs);
        const int64_t base = session.cycle();
        session.start_trace(file, {base + window.cycles.start, window.cycles.end < 0 ? -1 : base + window.cycles.end});
        Scoreboard sb;
        session.run(m.input, samples.inputs[place], golden, sb);
        // The replay's own first mismatch places the marker (its cycle differs
        // from the original run's, which had other inputs before it).
        // A check not tied to a cycle (a cascade gate's metric) has none to mark.
        if (sb.first_mismatch()) {
          failed_again = true;
          if (sb.first_mismatch()->cycle >= 0) marker = sb.first_mismatch()->cycle;
        }
        written = session.close_trace(marker);
      } catch (const Interrupted& e) {
        trace_failure = fmt::format("interrupted by signal {}", e.signal());
      } catch (const std::exception& e) {
        trace_failure = e.what();
      }
      if (!trace_failure.empty()) {
        std::cerr << "aps-sim: the replay's trace (" << window.what << ") was not written: " << trace_failure << "\n";
        json["trace_on_fail_error"] = trace_failure;
      } else {
        std::cout << "  trace of " << window.what << ": " << written << " (GTKWave: gtkwave " << gtkw_path_for(written)
                  << ")\n";
        // Absolute in the report: a page or merge made elsewhere links them.
        json["trace_on_fail"] = fs::absolute(written).string();
        json["trace_on_fail_view"] = fs::absolute(gtkw_path_for(written)).string();
        if (marker) {
          json["trace_on_fail_failed_again"] = true;
          json["trace_on_fail_marker_cycle"] = *marker;
          std::cout << "  the replay failed again at cycle " << *marker << " (the trace's marker)\n";
        } else if (failed_again) {
          json["trace_on_fail_failed_again"] = true;
          std::cout << "  the replay failed again, on a check not tied to a cycle (the trace has no marker)\n";
        } else {
          json["trace_on_fail_failed_again"] = false;
          std::cout << "  the replay did not fail again (the mismatch depends on the inputs run before it)\n";
        }
      }
    }
  }
  // A signal after the run (during the replay) ends it as
  // interrupted, its results written.
  const int signal = stop_request().load();
  if (signal) json["error"] = "interrupted";
  if (!report.empty()) aps::cli::write_json_file(report, json);
  if (!coverage_file.empty()) coverage.write(coverage_file);
  if (!junit.empty()) {
    std::vector<JUnitCase> cases;
    for (size_t i = 0; i < result.input_failures.size(); ++i) {
      const int64_t index = first + static_cast<int64_t>(i);
      const bool failed = !result.input_failures[i].empty();
      cases.push_back({fmt::format("input {}", index), result.input_failures[i], result.input_seconds[i],
                       failed ? "reproduce: " + reproduce(static_cast<int64_t>(i)) : ""});
    }
    aps::cli::write_text_file(junit, junit_xml(suite, cases));
  }
  if (signal) {
    std::cerr << "aps-sim: interrupted by signal " << signal << "; trace and report closed\n";
    return ExitCode::Interrupted;
  }
  // After the results, which stand without the trace; a failed comparison
  // still decides the exit code.
  if (!result.trace_error.empty()) std::cerr << "aps-sim: the trace was not written: " << result.trace_error << "\n";
  if (result.counts.mismatches > 0 || result.failed_inputs > 0) return ExitCode::Mismatch;
  if (result.counts.elements_compared == 0 && !empty_shard) {
    std::cerr << "aps-sim: nothing was compared\n";
    return ExitCode::Mismatch;
  }
  if (!result.trace_error.empty()) return ExitCode::BadInput;
  return ExitCode::Ok;
}

}  // namespace aps::sim::cli
