// aps-golden run / eval: the ONNX interpreter on user data.

#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>

#include "golden/cli/commands.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/accelerator/evaluation.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "cli/policy_cli.hpp"
#include "golden/accelerator/pcu.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/numerics/tensor_compare.hpp"
#include "golden/parallel_for.hpp"

namespace aps::cli {
namespace fs = std::filesystem;

namespace {

// Binds data tensors to the model's inputs in order, checking NaN/Inf.
TensorMap feeds_for(const OnnxModel& model, const std::vector<NamedTensor>& inputs, const std::vector<fs::path>& files) {
  if (inputs.size() != model.inputs().size())
    throw InputError(fmt::format("{}: the model takes {} input(s), {} given", model.source(), model.inputs().size(),
                                 inputs.size()));
  TensorMap feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    // The file is what is wrong, not the model: name it (the interpreter,
    // which never sees files, would name the model).
    check_feed_type(model.inputs()[i], inputs[i].tensor, files[i].string());
    // Its first dimension may hold whole batches of the model's (run_batch
    // splits them), so only the other sizes must match.
    ValueInfo per_sample = model.inputs()[i];
    if (!per_sample.dims.empty()) per_sample.dims[0] = std::nullopt;
    check_feed_shape(per_sample, inputs[i].tensor, files[i].string());
    check_whole_batches(model.inputs()[i], inputs[i].tensor, files[i].string(), model.source());
    check_finite(inputs[i], files[i]);
    feeds.emplace(model.inputs()[i].name, inputs[i].tensor);
  }
  return feeds;
}

}  // namespace

ExitCode run_command(const Args& args) {
  po::options_description options("aps-golden run --model M --input X.pb [options]");
  std::string model_path, report;
  std::vector<std::string> input_files, output_files;
  options.add_options()("help,h", "show this help")
      ("model", po::value(&model_path)->required(), "ONNX model")
      ("input", po::value(&input_files)->required(), "TensorProto file for each model input, in order")
      ("output", po::value(&output_files), "write each model output to this TensorProto file, in order")
      ("report", po::value(&report), "write a JSON report here");
  po::variables_map vm;
  if (!parse_args(args, options, vm)) return ExitCode::Ok;
  check_writable_each(output_files);
  check_writable_each({report});
  std::vector<NamedPath> read{{"--model", model_path}}, written{{"--report", report}};
  for (const std::string& f : input_files) read.push_back({"--input", f});
  for (const std::string& f : output_files) written.push_back({"--output", f});
  check_outputs_apart(read, written);

  const OnnxModel model = OnnxModel::load(model_path);
  if (!output_files.empty() && output_files.size() != model.outputs().size())
    throw InputError(fmt::format("{} --output files for {} model outputs: give one for each, in order",
                                 output_files.size(), model.outputs().size()));
  std::vector<NamedTensor> inputs;
  std::vector<fs::path> files(input_files.begin(), input_files.end());
  for (const auto& f : files) inputs.push_back(read_tensor_file(f));
  const TensorMap outputs = run_batch(model, feeds_for(model, inputs, files));

  nlohmann::json out_json = nlohmann::json::array();
  for (size_t i = 0; i < model.outputs().size(); ++i) {
    const auto& name = model.outputs()[i].name;
    const Tensor& t = outputs.at(name);
    if (!output_files.empty()) write_tensor_file(output_files[i], t, name);
    std::string line = fmt::format("{} {} {}", name, dtype_name(t.dtype()), shape_string(t.shape()));
    if (t.rank() == 2 && t.shape()[1] > 0) {
      // A row holding NaN or infinity has no meaningful argmax: '-' marks it.
      const int64_t cols = t.shape()[1];
      std::vector<std::string> argmax;
      bool non_finite = false;
      for (int64_t r = 0; r < t.shape()[0]; ++r) {
        const bool finite = !non_finite_in_row(t, r, cols);
        non_finite = non_finite || !finite;
        argmax.push_back(finite ? std::to_string(argmax_row(t, r, cols)) : "-");
      }
      line += fmt::format("  argmax per row: {}{}", fmt::join(argmax, " "),
                          non_finite ? "  (-: the row holds NaN or infinity)" : "");
    }
    std::cout << line << "\n";
    if (report.empty()) continue;
    nlohmann::json values = nlohmann::json::array();
    for (int64_t k = 0; k < t.size(); ++k) values.push_back(t.value(k));
    out_json.push_back({{"name", name}, {"dtype", dtype_name(t.dtype())}, {"shape", t.shape()}});
    out_json.back()["values"] = std::move(values);
  }
  if (!report.empty()) {
    // Moved, not copied: a whole test set's values are hundreds of megabytes.
    nlohmann::json r = {{"model", model_path}};
    r["outputs"] = std::move(out_json);
    write_json_file(report, r);
  }
  return ExitCode::Ok;
}

namespace {

struct Outcome {
  Evaluation evaluation;
  double bit_macs = 0;  // sum over inputs of the MAC-weighted work: bits of every pass
  int64_t reruns = 0;
  nlohmann::json outputs = nlohmann::json::array();  // per sample, with --outputs
};

nlohmann::json sample_json(const DataSet& ds, int64_t row, nlohmann::json output) {
  return {{"data", ds.folder.string()}, {"index", row}, {"label", ds.labels->ints()[row]}, {"output", std::move(output)}};
}

// ONNX semantics: the model's own output; anomaly scores against the float
// input. A model with a fixed batch of 1 runs sample by sample.
Outcome evaluate_onnx(const OnnxModel& model, const std::vector<DataSet>& sets, Task task, bool keep_outputs,
                      int jobs) {
  if (model.outputs().size() != 1)
    throw InputError(fmt::format("{}: eval scores a model's one output, and this model has {}", model.source(),
                                 model.outputs().size()));
  Outcome o{Evaluation(task)};
  // Every folder before any runs: a bad last one is not found after hours.
  for (const DataSet& ds : sets) {
    check_has_samples(ds);
    check_batches_fit(model, ds);
    for (size_t i = 0; i < std::min(ds.inputs.size(), model.inputs().size()); ++i)
      check_feed_type(model.inputs()[i], ds.inputs[i].tensor, ds.input_file(i).string());
  }
  for (const DataSet& ds : sets) {
    std::vector<fs::path> files;
    for (size_t i = 0; i < ds.inputs.size(); ++i) files.push_back(ds.input_file(i));
    const TensorMap out = run_batch(model, feeds_for(model, ds.inputs, files), nullptr, jobs);
    const Tensor& y = out.at(model.outputs().front().name);
    const int64_t n = ds.sample_count();
    if (y.rank() < 2 || y.shape()[0] != n)
      throw InputError(fmt::format("{}: output has shape {}, expected [{},...]", model.source(),
                                   shape_string(y.shape()), n));
    check_class_labels(task, ds.labels->ints(), y.size() / n, (ds.folder / "labels.pb").string(), model.source());
    const int64_t width = y.size() / n;
    for (int64_t r = 0; r < n; ++r) {
      o.evaluation.add_float(ds.inputs[0].tensor, y, r, ds.labels->ints()[r], model.source());
      if (keep_outputs) {
        std::vector<double> row;  // value(): an integer output (a QuantizeLinear at the end) too
        for (int64_t j = 0; j < width; ++j) row.push_back(y.value(r * width + j));
        o.outputs.push_back(sample_json(ds, r, std::move(row)));
      }
    }
  }
  return o;
}

Outcome evaluate_program(const NetworkProgram& program, const std::vector<LayerConfig>& configs,
                         const std::vector<DataSet>& sets, Task task, bool keep_outputs, int threads) {
  Outcome o{Evaluation(task)};
  for (const DataSet& ds : sets) {  // every folder before any runs
    check_program_batch(program, ds);
    check_class_labels(task, ds.labels->ints(), program.output_layer().out_shape.size(),
                       (ds.folder / "labels.pb").string(), program.source);
  }
  // What one input's run leaves for the figures, kept for a chunk of inputs
  // run in parallel and then added in input order (the same figures for any
  // thread count).
  struct Run {
    Codes input, output;
    bool rerun = false;
    double bit_macs = 0;
    std::vector<std::vector<uint64_t>> metrics;
  };
  constexpr int64_t kChunk = 256;
  for (const DataSet& ds : sets) {
    for (int64_t first = 0; first < ds.sample_count(); first += kChunk) {
      std::vector<Run> runs(static_cast<size_t>(std::min(kChunk, ds.sample_count() - first)));
      parallel_for(runs.size(), threads, [&](size_t i) {
        Run& run = runs[i];
        run.input = quantize_input(program, ds.inputs[0].tensor, first + static_cast<int64_t>(i));
        ProgramResult pr = execute_program(program, run.input, configs);
        run.output = pr.output();
        run.rerun = pr.rerun;
        run.bit_macs = bit_macs(program, pr);
        run.metrics = std::move(pr.metrics);
      });
      for (size_t i = 0; i < runs.size(); ++i) {
        const Run& run = runs[i];
        const int64_t r = first + static_cast<int64_t>(i);
        o.evaluation.add(program, run.input, run.output, ds.labels->ints()[r]);
        o.reruns += run.rerun;
        o.bit_macs += run.bit_macs;
        if (keep_outputs) {
          nlohmann::json sample = sample_json(ds, r, run.output);
          // What a confidence gate could read besides the output: the SAE's
          // metrics, per PCU slot and candidate width (a policy with scans).
          if (!run.metrics.empty()) sample["sae_metrics"] = run.metrics;
          o.outputs.push_back(std::move(sample));
        }
      }
    }
  }
  return o;
}

}  // namespace

ExitCode eval_command(const Args& args) {
  po::options_description options("aps-golden eval --model M --data DIR [options]");
  std::string model_path, data_path, report, engine, precision, calibration, task, outputs;
  int jobs = 1;
  options.add_options()("help,h", "show this help")
      ("model", po::value(&model_path)->required(), "ONNX model")
      ("data", po::value(&data_path)->required(), "labelled data: a test_data_set folder with labels.pb, or a folder of them")
      ("engine", po::value(&engine)->default_value("onnx"),
       "onnx: ONNX semantics (float ops, QDQ with float requantization); "
       "program: the accelerator's integer arithmetic on the network program")
      ("precision", po::value(&precision)->default_value("8"), "program engine: a width 2..8 for every layer, or map:b1,b2,... (per layer with weights, or per layer with 8 for those without)")
      ("calibration", po::value(&calibration), (std::string("program engine: ") + kCalibrationHelp + kCalibrationProfileHelp).c_str())
      ("report", po::value(&report), "write a JSON report here")
      ("jobs", po::value(&jobs)->default_value(1), "threads (the figures are the same for any number)")
      ("outputs", po::value(&outputs), "write every sample's output as JSON here (its data folder, index, label and "
                                       "output: the program's output codes, or the model's float output; under a policy with SAE "
                                       "scans, also sae_metrics: per PCU slot, per candidate width). The codes are the "
                                       "last accelerator layer's (codes_of; a host tail such as a Softmax is not "
                                       "applied), in its unsigned form, 0..255 (an int8 model's shifted by 128): "
                                       "value = (code - output_zero_point) * output_scale, both in the file");
  add_task_option(options, task);
  PolicyArgs policy;
  std::vector<std::string> program_only = add_policy_options(options, policy);
  program_only.insert(program_only.end(), {"precision", "calibration"});
  po::variables_map vm;
  if (!parse_args(args, options, vm)) return ExitCode::Ok;
  if (engine != "onnx" && engine != "program") throw InputError(fmt::format("--engine must be onnx or program, not '{}'", engine));
  if (jobs < 1) throw InputError("--jobs must be at least 1");
  if (engine == "onnx")
    refuse_given(vm, program_only, "applies to --engine program only: --engine onnx runs the model as ONNX defines it");
  else
    refuse_unused_policy_options(vm, policy);
  const std::optional<Task> task_given = task_override(task);
  check_writable_each({report, outputs});
  // The calibration folder a float model is read with, given or not.
  const std::string calibration_read =
      calibration_folder(model_path, calibration.empty() ? std::nullopt : std::optional<fs::path>(calibration)).string();
  check_outputs_apart({{"--model", model_path}, {"--data", data_path}, {"--calibration", calibration_read},
                       {"--profile", policy.profile}},
                      {{"--report", report}, {"--outputs", outputs}});

  if (fs::is_regular_file(data_path))
    throw InputError(fmt::format("{}: one input file carries no labels; give the folder that holds input_0.pb and "
                                 "labels.pb",
                                 data_path));
  const auto sets = load_data_sets(data_path);
  for (const DataSet& ds : sets)
    if (!ds.labels) throw InputError(fmt::format("{}: no labels.pb, so accuracy cannot be measured", ds.folder.string()));
  // An anomaly detector's ROC AUC needs labels of both kinds: refused before
  // the run, not after it.
  const auto check_scorable = [&](Task task) {
    if (task != Task::AnomalyDetection) return;
    for (const int64_t kind : {0, 1}) {
      bool all = true;
      for (const DataSet& ds : sets)
        for (int64_t label : ds.labels->ints()) all = all && label == kind;
      if (all)
        throw InputError(fmt::format("{}: every label is {}: the ROC AUC needs both normal samples (0) and "
                                     "anomalies (1)", data_path, kind));
    }
  };
  Outcome o;
  std::string described = "ONNX semantics";
  nlohmann::json extra;
  nlohmann::json output_quant = nlohmann::json::object();  // how --outputs' codes read as values
  if (engine == "onnx") {
    const OnnxModel model = OnnxModel::load(model_path);
    if (const std::string note = task_given ? "" : task_rule_note(model); !note.empty())
      std::cerr << "aps-golden: note: " << note << "\n";
    const Task task = task_given ? *task_given : model_task(model);
    check_scorable(task);
    o = evaluate_onnx(model, sets, task, !outputs.empty(), jobs);
  } else {
    const PolicyProgram pp = load_policy_program(
        model_path, calibration.empty() ? std::nullopt : std::optional<fs::path>(calibration), policy, nullptr,
        task_given);
    for (const std::string& note : pp.notes) std::cerr << "aps-golden: note: " << note << "\n";
    check_scorable(pp.task);
    const auto configs = step_configs(pp.program, precision);
    o = evaluate_program(pp.program, configs, sets, pp.task, !outputs.empty(), jobs);
    const Layer& last = pp.program.output_layer();
    output_quant = {{"codes_of", last.name}, {"output_scale", last.out_q.scale},
                    {"output_zero_point", last.out_q.zero_point}};
    const double macs =
        static_cast<double>(pp.program.total_macs()) * static_cast<double>(std::max<int64_t>(o.evaluation.samples(), 1));
    const std::string what = precision_text(pp, configs);
    // A network of pooling alone has no MACs to weigh widths by.
    const nlohmann::json avg_bits = macs > 0 ? nlohmann::json(o.bit_macs / macs) : nlohmann::json();
    described = fmt::format("accelerator arithmetic, {}{} model, {}{}, {}{}",
                            pp.partly_quantized ? "partly quantized " : "", model_format_name(pp.format), what,
                            pp.bias_correction_off ? ", without bias correction" : "",
                            avg_bits.is_null() ? "no layer with weights"
                                               : fmt::format("{:.2f} bits/MAC", avg_bits.get<double>()),
                            pp.program.pcu.cascade ? fmt::format(", {} re-runs", o.reruns) : "");
    int64_t shadow_macs = 0;  // the up-front SAE's simplified layers, which avg_bits leaves out
    for (const Layer& l : pp.program.layers)
      if (l.role == LayerRole::Shadow) shadow_macs += l.macs();
    extra = {{"precision", what}, {"bias_correction_off", pp.bias_correction_off},
             {"format", model_format_name(pp.format)}, {"partly_quantized", pp.partly_quantized},
             {"avg_bits", avg_bits},
             {"reruns", o.reruns}, {"macs", pp.program.total_macs()},
             {"shadow_macs", shadow_macs}};
  }
  const Evaluation& e = o.evaluation;
  if (e.task() == Task::Classification)
    std::cout << fmt::format("{}: {} / {} correct, accuracy {}  ({})\n", model_path, e.correct(), e.samples(),
                             e.format_figure(), described);
  else
    std::cout << fmt::format("{}: {} samples, ROC AUC {}  ({})\n", model_path, e.samples(), e.format_figure(), described);
  if (!report.empty()) {
    nlohmann::json j{{"model", model_path}, {"data", data_path}, {"engine", engine}, {"task", task_name(e.task())},
                     {"samples", e.samples()}, {"correct", e.correct()}};
    j[e.task() == Task::Classification ? "accuracy" : "auc"] = e.figure();
    if (!extra.is_null()) j.update(extra);
    write_json_file(report, j);
  }
  if (!outputs.empty()) {
    nlohmann::json j{{"model", model_path}, {"engine", engine}};
    j["samples"] = std::move(o.outputs);  // moved, not copied, as above
    j.update(output_quant);
    write_json_file(outputs, j, -1);
  }
  return e.samples() ? ExitCode::Ok : ExitCode::Mismatch;
}

}  // namespace aps::cli
