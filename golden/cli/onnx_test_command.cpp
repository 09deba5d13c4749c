// aps-golden onnx-test: runs ONNX backend-test folders (model.onnx next to
// test_data_set_N/{input_*,output_*}.pb) through the interpreter.

#include <cmath>
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>

#include "golden/cli/commands.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/numerics/tensor_compare.hpp"

namespace aps::cli {
namespace fs = std::filesystem;

namespace {

enum class Verdict { Pass, Fail, Error };

struct TestResult {
  Verdict verdict = Verdict::Pass;
  std::string detail;
};

TestResult run_backend_test(const fs::path& dir, Tolerance tol) {
  try {
    const OnnxModel model = OnnxModel::load(dir / "model.onnx");
    const auto sets = load_data_sets(dir);
    size_t compared = 0;
    for (const DataSet& ds : sets) {
      if (ds.inputs.size() != model.inputs().size())
        throw InputError(fmt::format("{}: {} input files for a model with {} inputs", ds.folder.string(),
                                     ds.inputs.size(), model.inputs().size()));
      TensorMap feeds;
      for (size_t i = 0; i < ds.inputs.size(); ++i) feeds.emplace(model.inputs()[i].name, ds.inputs[i].tensor);
      // A model with a fixed batch of 1 runs a stack of samples one by one.
      const TensorMap got = run_batch(model, feeds);
      if (ds.outputs.size() > model.outputs().size())
        throw InputError(fmt::format("{}: more expected outputs than the model has", ds.folder.string()));
      for (size_t i = 0; i < ds.outputs.size(); ++i) {
        const auto& name = model.outputs()[i].name;
        if (auto d = compare_tensors(got.at(name), ds.outputs[i].tensor, tol))
          return {Verdict::Fail, fmt::format("{}: output '{}': {}", ds.folder.filename().string(), name, d->what)};
        ++compared;
      }
    }
    // A test with no expected output proves nothing: it fails rather than pass.
    if (compared == 0) return {Verdict::Fail, "no expected output (output_N.pb) in any data set: nothing was compared"};
    return {Verdict::Pass, fmt::format("{} data set{}", sets.size(), sets.size() == 1 ? "" : "s")};
  } catch (const InputError& e) {
    return {Verdict::Error, e.what()};
  }
}

}  // namespace

ExitCode onnx_test_command(const Args& args) {
  po::options_description options("aps-golden onnx-test DIR... [options]");
  std::vector<std::string> dirs;
  Tolerance tol;
  std::string report;
  options.add_options()("help,h", "show this help")
      ("dir", po::value(&dirs)->required(), "ONNX backend-test folders (model.onnx + test_data_set_N/)")
      ("rtol", po::value(&tol.rtol)->default_value(tol.rtol), "relative tolerance for floating outputs")
      ("atol", po::value(&tol.atol)->default_value(tol.atol), "absolute tolerance for floating outputs")
      ("report", po::value(&report), "write a JSON report here");
  po::positional_options_description positional;
  positional.add("dir", -1);
  po::variables_map vm;
  if (!parse_args(args, options, vm, &positional)) return ExitCode::Ok;
  for (const auto& [name, value] : {std::pair{"--rtol", tol.rtol}, std::pair{"--atol", tol.atol}})
    if (!(value >= 0) || std::isinf(value))
      throw InputError(fmt::format("{} must be a finite number >= 0, not {}", name, value));
  // A folder named twice (as DIR and --dir, or by two paths) is one test, not two.
  for (size_t i = 0; i < dirs.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (dirs[i] == dirs[j] || fs::equivalent(dirs[i], dirs[j], ec))
        throw InputError(fmt::format("{} is named twice ({}): give each test folder once", dirs[i], dirs[j]));
    }
  // The report must not land on a test's model or data.
  std::vector<NamedPath> read;
  for (const auto& d : dirs) {
    read.push_back({"DIR", d});
    read.push_back({"DIR", (fs::path(d) / "model.onnx").string()});
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(d, ec))
      if (is_test_data_set_folder(entry)) read.push_back({"DIR", entry.path().string()});
  }
  check_outputs_apart(read, {{"--report", report}});
  check_writable_each({report});

  int passed = 0, failed = 0, errors = 0;
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& d : dirs) {
    const TestResult r = run_backend_test(d, tol);
    const char* tag = r.verdict == Verdict::Pass ? "PASS" : r.verdict == Verdict::Fail ? "FAIL" : "ERROR";
    // A folder named with a trailing slash has an empty filename().
    const fs::path named(d);
    const fs::path name = (named.has_filename() ? named : named.parent_path()).filename();
    std::cout << fmt::format("{:<5} {}  {}\n", tag, name.string(), r.detail);
    (r.verdict == Verdict::Pass ? passed : r.verdict == Verdict::Fail ? failed : errors) += 1;
    tests.push_back({{"dir", d}, {"verdict", tag}, {"detail", r.detail}});
  }
  std::cout << fmt::format("{} passed, {} failed", passed, failed + errors);
  if (errors) std::cout << fmt::format(" ({} could not run)", errors);
  std::cout << "\n";
  if (!report.empty())
    write_json_file(report, nlohmann::json{{"passed", passed}, {"failed", failed}, {"errors", errors}, {"tests", tests}});
  if (failed) return ExitCode::Mismatch;
  if (errors) return ExitCode::BadInput;
  return ExitCode::Ok;
}

}  // namespace aps::cli
