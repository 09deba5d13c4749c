// aps-sim regress: random networks (and the bundled models at random
// precision maps) through the RTL, each checked like any co-simulation.
// Cases are numbered; --shard K/N runs every N-th of them so a farm can
// split a long regression and merge the JUnit files.

#include <algorithm>
#include <atomic>
#include <fmt/format.h>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/adaptation/adaptive_program.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/import/program_loader.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/cosim_report.hpp"
#include "sim/cli/junit_writer.hpp"
#include "sim/cli/progress_bar.hpp"
#include "sim/cli/shard.hpp"
#include "sim/cli/trace_name.hpp"
#include "sim/cosim_runner.hpp"
#include "sim/descriptor_fault.hpp"
#include "sim/coverage_store.hpp"
#include "sim/random_network.hpp"
#include "sim/sim_controller.hpp"

#ifndef APS_MODELS_DIR
#define APS_MODELS_DIR "models"
#endif

namespace aps::sim::cli {
namespace fs = std::filesystem;
namespace po = aps::cli::po;

namespace {

struct CaseSpec {
  std::string name;   // "random:17" or "digits_mlp"
  int64_t random_index = -1;
};

struct CaseOutcome {
  std::string name;
  uint64_t seed = 0;
  std::string failure;  // empty = passed
  std::string precision;
  std::string policy;
  std::string host;   // how the host drives the case: its wait and stalls
  std::string fault;  // the descriptor fault the case also runs ("" if none)
  int64_t layers = 0, inputs = 0, elements = 0;
  double seconds = 0;
  bool finished = false;  // an interrupt leaves later cases unrun
};

RandomCase bundled_case(const std::string& model_dir, const std::string& name, uint64_t seed) {
  const LoadedProgram lp = load_network_program(fs::path(model_dir) / name / "model_int8.onnx");
  RandomCase c;
  c.program = lp.program;
  std::mt19937_64 rng(seed);
  for (const auto& l : c.program.layers)
    c.configs.push_back(static_config(l.has_weights() ? std::uniform_int_distribution<int>(2, 8)(rng) : 8));
  const DataSet ds = load_data_set(fs::path(model_dir) / name / "test_data_set_0");
  const int64_t n = ds.sample_count();
  for (int k = 0; k < 3; ++k)
    c.inputs.push_back(quantize_input(c.program, ds.inputs[0].tensor, std::uniform_int_distribution<int64_t>(0, n - 1)(rng)));
  if (std::bernoulli_distribution(0.5)(rng)) {  // a random profile and policy, as for the random networks
    const NetworkProgram base = c.program;
    c.program = random_policy_program(base, rng(), c.policy);
    c.configs = carry_configs(base, c.configs, c.program);
  }
  return c;
}

// How a case drives the host port, and whether it also runs a descriptor
// fault: drawn from the case seed (apart from the network's own draws), so
// --only reproduces it.
struct CaseHost {
  HostWait wait = HostWait::DonePin;
  double stall_probability = 0;
  std::optional<hw::Error> fault;
};

CaseHost case_host(uint64_t case_seed) {
  std::mt19937_64 rng(case_seed ^ 0x6f73'7448'2d63'6173ULL);
  CaseHost h;
  h.wait = static_cast<HostWait>(std::uniform_int_distribution<int>(0, 2)(rng));
  if (std::bernoulli_distribution(0.25)(rng)) h.stall_probability = 0.1;
  if (std::bernoulli_distribution(0.125)(rng)) {
    const std::vector<hw::Error> codes = descriptor_fault_codes();
    h.fault = codes[std::uniform_int_distribution<size_t>(0, codes.size() - 1)(rng)];
  }
  return h;
}

std::string host_text(const CaseHost& h) {
  static const char* const waits[] = {"done pin", "status polling", "blocked read"};
  return fmt::format("{}{}", waits[static_cast<int>(h.wait)], h.stall_probability > 0 ? ", stalls" : "");
}

// Runs the case's descriptor fault on a fresh session: "" if the RTL stopped
// as required. A program with no step for the drawn code (a scan fault on a
// static program) takes the next code that applies.
std::string run_descriptor_fault(const NetworkProgram& program, const CosimOptions& co, hw::Error code, uint64_t seed,
                                 std::string& what) {
  AcceleratorSession session(program, co.session);
  session.configure(co.configs);
  std::mt19937_64 rng(seed);
  const std::vector<hw::Error> codes = descriptor_fault_codes();
  size_t k = static_cast<size_t>(std::find(codes.begin(), codes.end(), code) - codes.begin());
  for (size_t tries = 0; tries < codes.size(); ++tries, k = (k + 1) % codes.size()) {
    if (const auto fault = plan_descriptor_fault(session.image(), session.limits(), codes[k], rng)) {
      what = fault->what;
      return check_descriptor_fault(session, *fault, co.session.max_cycles);
    }
  }
  what = "none applies";
  return "";
}

}  // namespace

ExitCode regress_command(const Args& args) {
  po::options_description options("aps-sim regress --seed S --count N [options]");
  std::string seed_text = "1";
  int64_t count = 100, max_cycles = 0;
  int jobs = 1;
  std::string shard = "1/1", only, junit, report, coverage_file, models = APS_MODELS_DIR;
  bool no_bundled = false, fc_only = false, cnn_only = false, trace_on_fail = false;
  options.add_options()("help,h", "show this help")
      ("seed", po::value(&seed_text)->default_value("1"), "regression seed: case k uses a seed derived from it")
      ("count", po::value(&count)->default_value(100), "random networks")
      ("shard", po::value(&shard)->default_value("1/1"), "run shard K of N (every N-th case, from the K-th)")
      ("only", po::value(&only), "run just this case (e.g. random:17 or digits_mlp)")
      ("jobs", po::value(&jobs)->default_value(1), "cases in parallel (one accelerator instance each)")
      ("models", po::value(&models), "folder of the bundled models")
      ("no-bundled", po::bool_switch(&no_bundled), "random networks only")
      ("fc-only", po::bool_switch(&fc_only), "random fully connected networks only (no convolutions)")
      ("cnn-only", po::bool_switch(&cnn_only), "random CNNs only (a feature-map input, a convolution first)")
      ("max-cycles", po::value(&max_cycles)->default_value(0), "watchdog per input (0: 20x the cycle model + 10000)")
      ("trace-on-fail", po::bool_switch(&trace_on_fail), "re-run a failing case with a full trace")
      ("junit", po::value(&junit), "write JUnit XML here (one test case per network)")
      ("report", po::value(&report), "write a JSON report here")
      ("coverage", po::value(&coverage_file), "write the RTL's line, toggle and functional coverage here (Verilator .dat)");
  po::variables_map vm;
  if (!aps::cli::parse_args(args, options, vm)) return ExitCode::Ok;
  const Shard my_shard = parse_shard(shard);
  if (no_bundled && vm.count("models") && !vm["models"].defaulted())
    throw InputError("--models names the bundled models' folder, which --no-bundled leaves unread: give one or the other");
  if (!only.empty() && my_shard.n > 1)
    throw InputError(fmt::format("--only runs one case, and --shard {} a share of them: give one or the other", shard));
  if (count < 0 || jobs < 1) throw InputError("--count must be >= 0 and --jobs >= 1");
  if (max_cycles < 0) throw InputError("--max-cycles must be at least 0 (0: 20x the cycle model + 10000)");
  const uint64_t seed = aps::cli::parse_whole_number(seed_text, "--seed");
  aps::cli::check_writable_each({junit, report, coverage_file});
  std::vector<aps::cli::NamedPath> read{{"--models", models}};
  if (!no_bundled)
    for (const char* name : {"digits_mlp", "digits_cnn"}) {
      read.push_back({"--models", (fs::path(models) / name / "model_int8.onnx").string()});
      read.push_back({"--models", (fs::path(models) / name / "test_data_set_0").string()});
    }
  const std::vector<aps::cli::NamedPath> outputs{{"--report", report}, {"--junit", junit}, {"--coverage", coverage_file}};
  aps::cli::check_outputs_apart(read, outputs);

  std::vector<CaseSpec> cases;
  if (!no_bundled) {
    cases.push_back({"digits_mlp", -1});
    cases.push_back({"digits_cnn", -2});
  }
  for (int64_t k = 0; k < count; ++k) cases.push_back({fmt::format("random:{}", k), k});
  std::vector<CaseSpec> mine;
  for (size_t i = 0; i < cases.size(); ++i)
    if ((only.empty() && my_shard.has_case(static_cast<int64_t>(i))) || cases[i].name == only) mine.push_back(cases[i]);
  if (!only.empty() && mine.empty()) throw InputError(fmt::format("--only '{}' names no case of this regression", only));

  DeviceOptions device;
  device.seed = seed;
  const HardwareLimits limits = probe_hardware(make_device, device);
  // Counted from here: the cases' devices, not the probe, so that shards
  // merge into exactly a single process's counts.
  CoverageStore coverage;
  if (!coverage_file.empty()) device.coverage = &coverage;
  RandomNetworkOptions rn;
  if (fc_only && cnn_only) throw InputError("--fc-only and --cnn-only exclude each other");
  rn.convolutions = !fc_only;
  rn.cnn_only = cnn_only;

  install_stop_handlers();
  ProgressBar bar("networks", static_cast<int64_t>(mine.size()));
  std::vector<CaseOutcome> outcomes(mine.size());
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0};
  std::exception_ptr error;
  std::mutex mutex;
  auto worker = [&] {
    try {
      for (size_t i; (i = next.fetch_add(1)) < mine.size();) {
        const CaseSpec& spec = mine[i];
        CaseOutcome& o = outcomes[i];
        o.name = spec.name;
        o.seed = case_seed(seed, spec.random_index);
        // Bundled models have negative indices: their own seeds, never a random case's.
        const RandomCase c = spec.random_index >= 0 ? random_case(o.seed, limits, rn) : bundled_case(models, spec.name, o.seed);
        o.precision = main_precision_text(c.program, c.configs);
        o.policy = c.policy;
        CosimOptions co;
        co.configs = c.configs;
        co.session.make_device = make_device;
        co.session.device = device;
        co.session.device.seed = o.seed;
        co.session.memory = c.memory;
        const CaseHost host = case_host(o.seed);
        co.session.host_wait = host.wait;
        co.session.stall_seed = o.seed;
        co.session.stall_probability = host.stall_probability;
        o.host = host_text(host);
        co.session.spm_words = c.spm_words;
        const Platform platform = make_platform(c.program, limits, c.memory, c.spm_words);
        co.session.max_cycles = max_cycles > 0 ? max_cycles : 20 * run_cycles(c.program, c.configs, platform) + 10000;
        try {
          const CosimResult r = run_cosim(c.program, c.inputs, {}, co);
          o.layers = r.counts.layers_compared;
          o.inputs = r.inputs;
          o.elements = r.counts.elements_compared;
          o.seconds = r.seconds;
          if (r.first_mismatch) o.failure = r.first_mismatch->describe();
          else if (r.counts.elements_compared == 0) o.failure = "nothing was compared";
          if (o.failure.empty() && host.fault) o.failure = run_descriptor_fault(c.program, co, *host.fault, o.seed, o.fault);
        } catch (const WatchdogTimeout& e) {
          o.failure = fmt::format("watchdog: {}", e.what());
        } catch (const RtlAssertion& e) {
          o.failure = e.what();
        }
        if (!o.failure.empty() && trace_on_fail) {
          const std::string file = trace_name_apart(
              fmt::format("aps-regress-{}.vcd",
                          spec.random_index < 0 ? spec.name : fmt::format("random{}", spec.random_index)),
              read, outputs);
          CosimOptions traced = co;
          traced.session.trace_path = file;
          // The traced re-run is expected to fail as the first run did; only a
          // trace that was not written changes what the failure line says.
          std::string trace_error;
          std::error_code ec;
          // So a stale trace cannot pass for this one.
          if (fs::is_regular_file(file, ec) && !fs::remove(file, ec))
            trace_error = fmt::format("{} is left from before and cannot be replaced: {}", file, ec.message());
          if (trace_error.empty()) {
            try {
              trace_error = run_cosim(c.program, c.inputs, {}, traced).trace_error;
            } catch (const Interrupted&) {
              // The case's failure stands; only its trace was cut short.
              o.failure += " [no trace: interrupted]";
              o.finished = true;
              throw;
            } catch (const WatchdogTimeout&) {
            } catch (const RtlAssertion&) {
            } catch (const std::exception& e) {
              trace_error = e.what();
            }
          }
          if (trace_error.empty() && !fs::is_regular_file(file, ec)) trace_error = fmt::format("{} was not written", file);
          o.failure += trace_error.empty() ? fmt::format(" [trace: {}]", file) : fmt::format(" [no trace: {}]", trace_error);
        }
        o.finished = true;
        bar.update(++done);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
      next = mine.size();
    }
  };
  std::vector<std::thread> threads;
  // No more threads than cases: each runs one accelerator instance.
  const auto workers = std::max<size_t>(1, std::min(static_cast<size_t>(jobs), mine.size()));
  for (size_t j = 0; j < workers; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  bar.finish();
  // An interrupted regression still writes its results, of the cases that
  // finished, marked interrupted: an earlier run's files must not stand.
  int interrupted_by = 0;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const Interrupted& e) {
      interrupted_by = e.signal();
    }
  }
  if (interrupted_by)
    outcomes.erase(std::remove_if(outcomes.begin(), outcomes.end(), [](const CaseOutcome& o) { return !o.finished; }),
                   outcomes.end());

  int64_t failed = 0, elements = 0, layers = 0;
  nlohmann::json jcases = nlohmann::json::array();
  std::vector<JUnitCase> junit_cases;
  for (const CaseOutcome& o : outcomes) {
    elements += o.elements;
    layers += o.layers;
    std::string repro;
    if (!o.failure.empty()) {
      ++failed;
      // The generator's options change the cases: the reproduction carries them.
      const std::string kind = fc_only ? " --fc-only" : cnn_only ? " --cnn-only" : "";
      // A watchdog failure reproduces only on the same budget.
      const std::string budget = max_cycles ? fmt::format(" --max-cycles {}", max_cycles) : "";
      repro = fmt::format("{} regress --seed {} --count {}{}{} --only {} --trace-on-fail", rtl_command_name(), seed,
                          count, kind, budget, o.name);
      std::cout << fmt::format("FAIL {} (case seed {:#x}, precision {}, policy {}, host {}): {}\n  reproduce: {}\n", o.name,
                               o.seed, o.precision, o.policy, o.host, o.failure, repro);
    }
    jcases.push_back({{"name", o.name}, {"seed", o.seed}, {"precision", o.precision}, {"policy", o.policy},
                      {"host", o.host}, {"descriptor_fault", o.fault}, {"passed", o.failure.empty()},
                      {"failure", o.failure}, {"elements_compared", o.elements}, {"seconds", o.seconds},
                      {"reproduce", repro}});
    junit_cases.push_back({o.name, o.failure, o.seconds, repro.empty() ? "" : "reproduce: " + repro});
  }
  std::cout << fmt::format("regression seed {} shard {}: {} networks, {} passed, {} failed; {} layers and {} elements compared\n",
                           seed, shard, outcomes.size(), outcomes.size() - failed, failed, layers, elements);
  if (!coverage_file.empty()) coverage.write(coverage_file);
  if (interrupted_by)  // so that the file does not read as a passing run of fewer cases
    junit_cases.push_back({"interrupted", fmt::format("interrupted by signal {}", interrupted_by), 0, ""});
  if (!junit.empty()) aps::cli::write_text_file(junit, junit_xml(fmt::format("aps-sim regress seed {} shard {}", seed, shard), junit_cases));
  if (!report.empty()) {
    nlohmann::json j{{"seed", seed}, {"shard", shard}, {"networks", outcomes.size()}, {"failed", failed},
                     {"layers_compared", layers}, {"elements_compared", elements}, {"cases", jcases}};
    if (interrupted_by) j["error"] = "interrupted";
    aps::cli::write_json_file(report, j);
  }
  if (interrupted_by) {
    std::cerr << "aps-sim regress: interrupted by signal " << interrupted_by << "; the results of the " << outcomes.size()
              << " networks that finished written\n";
    return ExitCode::Interrupted;
  }
  if (failed > 0) return ExitCode::Mismatch;
  // A shard with no case (more shards than cases) has nothing to compare.
  if (elements == 0 && !(my_shard.n > 1 && mine.empty())) {
    std::cerr << "aps-sim regress: nothing was compared\n";
    return ExitCode::Mismatch;
  }
  return ExitCode::Ok;
}

}  // namespace aps::sim::cli
