// aps-golden run / eval: the ONNX interpreter on user data.

#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>

#include "golden/cli/commands.hpp"
#include "golden/data_set.hpp"
#include "golden/interpreter.hpp"
#include "golden/tensor_compare.hpp"

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

  const OnnxModel model = OnnxModel::load(model_path);
  std::vector<NamedTensor> inputs;
  std::vector<fs::path> files(input_files.begin(), input_files.end());
  for (const auto& f : files) inputs.push_back(read_tensor_file(f));
  const TensorMap outputs = Interpreter(model).run(feeds_for(model, inputs, files));
  if (output_files.size() > model.outputs().size())
    throw InputError(fmt::format("{} --output files for {} model outputs", output_files.size(), model.outputs().size()));

  nlohmann::json out_json = nlohmann::json::array();
  for (size_t i = 0; i < model.outputs().size(); ++i) {
    const auto& name = model.outputs()[i].name;
    const Tensor& t = outputs.at(name);
    if (i < output_files.size()) write_tensor_file(output_files[i], t, name);
    std::vector<double> values;
    for (int64_t k = 0; k < t.size(); ++k) values.push_back(t.value(k));
    std::string line = fmt::format("{} {} {}", name, dtype_name(t.dtype()), shape_string(t.shape()));
    if (t.rank() == 2 && t.shape()[1] > 0) {
      std::vector<int64_t> argmax;
      for (int64_t r = 0; r < t.shape()[0]; ++r) argmax.push_back(argmax_row(t, r, t.shape()[1]));
      line += fmt::format("  argmax per row: {}", fmt::join(argmax, " "));
    }
    std::cout << line << "\n";
    out_json.push_back({{"name", name}, {"dtype", dtype_name(t.dtype())}, {"shape", t.shape()}, {"values", values}});
  }
  if (!report.empty())
    write_text_file(report, nlohmann::json{{"model", model_path}, {"outputs", out_json}}.dump(2));
  return ExitCode::Ok;
}

ExitCode eval_command(const Args& args) {
  po::options_description options("aps-golden eval --model M --data DIR [options]");
  std::string model_path, data_path, report;
  options.add_options()("help,h", "show this help")
      ("model", po::value(&model_path)->required(), "ONNX model")
      ("data", po::value(&data_path)->required(), "labelled data: a test_data_set folder with labels.pb, or a folder of them")
      ("report", po::value(&report), "write a JSON report here");
  po::variables_map vm;
  if (!parse_args(args, options, vm)) return ExitCode::Ok;

  const OnnxModel model = OnnxModel::load(model_path);
  const Interpreter interpreter(model);
  int64_t samples = 0, correct = 0;
  for (const DataSet& ds : load_data_sets(data_path)) {
    if (!ds.labels) throw InputError(fmt::format("{}: no labels.pb, so accuracy cannot be measured", ds.folder.string()));
    std::vector<fs::path> files;
    for (size_t i = 0; i < ds.inputs.size(); ++i) files.push_back(ds.folder / fmt::format("input_{}.pb", i));
    const TensorMap out = interpreter.run(feeds_for(model, ds.inputs, files));
    const Tensor& logits = out.at(model.outputs().front().name);
    const int64_t n = ds.sample_count();
    if (logits.rank() != 2 || logits.shape()[0] != n)
      throw InputError(fmt::format("{}: first output has shape {}, expected [{},classes]", model.source(),
                                   shape_string(logits.shape()), n));
    for (int64_t r = 0; r < n; ++r) correct += argmax_row(logits, r, logits.shape()[1]) == ds.labels->ints()[r];
    samples += n;
  }
  const double accuracy = samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0.0;
  std::cout << fmt::format("{}: {} / {} correct, accuracy {:.2f} %  (ONNX semantics, aps-golden)\n", model_path, correct,
                           samples, 100.0 * accuracy);
  if (!report.empty())
    write_text_file(report, nlohmann::json{{"model", model_path}, {"data", data_path}, {"engine", "onnx"},
                                           {"samples", samples}, {"correct", correct}, {"accuracy", accuracy}}
                                .dump(2));
  return samples ? ExitCode::Ok : ExitCode::Mismatch;
}

}  // namespace aps::cli
