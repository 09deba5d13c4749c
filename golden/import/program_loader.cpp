#include "golden/import/program_loader.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/errors.hpp"

namespace aps {

namespace {

// Values per sample: every dimension after the batch, when all are known.
std::optional<int64_t> sample_values(const ValueInfo& v) {
  if (!v.has_shape || v.dims.size() < 2) return std::nullopt;
  int64_t n = 1;
  for (size_t d = 1; d < v.dims.size(); ++d) {
    if (!v.dims[d]) return std::nullopt;
    n *= *v.dims[d];
  }
  return n;
}

// As many values out as in per sample (a reconstruction, maybe flattened).
bool output_has_input_size(const OnnxModel& model) {
  if (model.inputs().size() != 1 || model.outputs().size() != 1) return false;
  const auto in = sample_values(model.inputs()[0]);
  return in && *in > 1 && in == sample_values(model.outputs()[0]);
}

// check_sample_batch, or, for a model whose input is int8 / uint8 codes
// (`input`), a batch of those codes: any value is one.
void check_samples_or_codes(const DataSet& ds, DType input, const std::string& model) {
  const bool takes_codes = input == DType::Int8 || input == DType::UInt8;
  if (!takes_codes || ds.inputs.size() != 1 || ds.inputs[0].tensor.dtype() == DType::Float) {
    check_sample_batch(ds);
    return;
  }
  if (ds.inputs[0].tensor.dtype() != input)
    throw InputError(fmt::format("{}: input must be float32 or {}'s {} codes, got {}", ds.input_file(0).string(),
                                 model, dtype_name(input), dtype_name(ds.inputs[0].tensor.dtype())));
  check_has_samples(ds);
}

bool every_value_equal(const Tensor& t) {
  for (int64_t i = 1; i < t.size(); ++i)
    if (t.value(i) != t.value(0)) return false;
  return t.size() > 0;
}

// Every float value of the graph at [-1, 1]: a program of the model's shapes,
// or nullopt when these ranges cannot build one (the real ones will say why).
std::optional<NetworkProgram> placeholder_program(const OnnxModel& model) {
  ActivationRanges ranges;
  for (const ValueInfo& in : model.inputs()) ranges[in.name] = {-1.0, 1.0};
  for (const onnx::NodeProto* node : model.nodes())
    for (const std::string& out : node->output()) ranges[out] = {-1.0, 1.0};
  try {
    return build_program(model, ranges);
  } catch (const InputError&) {
    return std::nullopt;
  }
}

}  // namespace

namespace {
// model_task's rule without metadata: as many values out as in is a reconstruction.
bool detector_by_sizes(const OnnxModel& model) {
  return !model.metadata("aps.task") && output_has_input_size(model);
}
}  // namespace

Task model_task(const OnnxModel& model) {
  const auto task = model.metadata("aps.task");
  try {
    if (!task) return detector_by_sizes(model) ? Task::AnomalyDetection : Task::Classification;
    return parse_task(*task);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: metadata aps.task: {}", model.source(), e.what()));
  }
}

std::string task_rule_note(const OnnxModel& model) {
  if (!detector_by_sizes(model)) return "";
  return fmt::format("{} has no aps.task metadata and its output has as many values per sample as its input: it is "
                     "taken for an anomaly detector (reconstruction error, ROC AUC); --task classification scores it "
                     "as a classifier",
                     model.source());
}

void check_program_batch(const NetworkProgram& program, const DataSet& ds) {
  check_samples_or_codes(ds, program.input_codes, program.source);
  if (program.input_dims.empty()) return;
  check_sample_shape(ds, 0, {program.input_dims.begin(), program.input_dims.end()},
                     fmt::format("input '{}' of {}", program.input_name, program.source));
}

DataSet load_calibration_set(const OnnxModel& model, const std::filesystem::path& dir) {
  // A model's or a data set's folder (test_data_set_* beside a model, or
  // beside other splits) read as calibration data would tune the model on
  // its test split; a calibration set in the ONNX layout alone is not one.
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec) && !std::filesystem::exists(dir / "input_0.pb", ec)) {
    std::set<std::string> beside;  // models and other splits
    bool test_sets = false;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (is_test_data_set_folder(e)) test_sets = true;
      else if ((e.is_regular_file() && e.path().extension() == ".onnx") ||
               (e.is_directory() && std::filesystem::exists(e.path() / "input_0.pb", ec)))
        beside.insert(e.path().filename().string());
    }
    if (test_sets && !beside.empty())
      throw InputError(fmt::format("{}: its test_data_set_* folders sit beside {}: a model's or a data set's folder, "
                                   "whose test_data_set_* are its test split; give the calibration data's own folder",
                                   dir.string(), *beside.begin()));
  }
  std::vector<DataSet> sets = load_data_sets(dir);
  if (sets.size() != 1) throw InputError(fmt::format("{}: calibration data must be one folder", dir.string()));
  // A model that needs ranges is calibrated by running its graph, which takes
  // only its input's type (a quantized one runs as a program, which quantizes
  // float samples to its input's codes).
  const ValueInfo& input = model.inputs().at(0);
  if (const DType got = sets[0].inputs.at(0).tensor.dtype(); got != input.dtype && why_ranges_needed(model))
    throw InputError(fmt::format("{}: input must be {} (the type of {}'s input '{}', which calibration runs), got {}",
                                 sets[0].input_file(0).string(), dtype_name(input.dtype), model.source(), input.name,
                                 dtype_name(got)));
  check_samples_or_codes(sets[0], input.dtype, model.source());
  check_batches_fit(model, sets[0]);
  // One value everywhere (a zero-filled placeholder, a blank export) measures
  // every range as a point: the model would be quantized at scale 1 and its
  // profile fitted to nothing, without a word.
  const Tensor& t = sets[0].inputs[0].tensor;
  if (every_value_equal(t))
    throw InputError(fmt::format("{}: every value of its {} sample(s) is {}; calibration needs representative inputs",
                                 sets[0].input_file(0).string(), t.rank() > 0 ? t.shape()[0] : 1, t.value(0)));
  return std::move(sets[0]);
}

std::filesystem::path calibration_folder(const std::filesystem::path& model_path,
                                         const std::optional<std::filesystem::path>& calibration) {
  return calibration ? *calibration : model_path.parent_path() / "calibration";
}

void check_quantization_resolves(const OnnxModel& model, const NetworkProgram& program, const ActivationRanges& ranges,
                                 const Tensor& batch, const std::string& data) {
  const int64_t n = std::min<int64_t>(batch.rank() > 0 ? batch.shape()[0] : 0, 64);
  if (n < 4) return;
  const Tensor head = batch_slice(batch, 0, n);
  const Tensor floats = run_batch(model, {{model.inputs().at(0).name, head}}).at(model.outputs().at(0).name);
  const int64_t per = floats.size() / n;
  std::vector<std::vector<double>> float_outputs;
  std::vector<Codes> codes;
  const std::vector<LayerConfig> configs = static_configs(PrecisionMap(program.layers.size(), kMaxBits));
  for (int64_t s = 0; s < n; ++s) {
    float_outputs.emplace_back(floats.reals().begin() + s * per, floats.reals().begin() + (s + 1) * per);
    codes.push_back(execute_program(program, quantize_input(program, head, s), configs).output());
  }
  // The samples of the most common output. The outlier's own sample may
  // differ from the rest; a working model's 8-bit logits are never this alike.
  const auto most_common = [](const auto& outputs) {
    int64_t most = 0;
    for (const auto& o : outputs) most = std::max<int64_t>(most, std::count(outputs.begin(), outputs.end(), o));
    return most;
  };
  const int64_t alike = most_common(codes);
  if (4 * alike < 3 * n || 4 * most_common(float_outputs) > n) return;
  const auto in = ranges.find(model.inputs().at(0).name);
  throw InputError(fmt::format("{}: quantized on {}, the program gives {} of its first {} samples one output where the "
                               "float model's differ: a range is far wider than most of its values, as one outlier in "
                               "the data makes it{}",
                               program.source, data, alike, n,
                               in == ranges.end() ? "" : fmt::format(" (the input's range is [{:g}, {:g}])",
                                                                     in->second.first, in->second.second)));
}

LoadedProgram load_network_program(const std::filesystem::path& model_path,
                                   const std::optional<std::filesystem::path>& calibration,
                                   const ShapeCheck& check_shapes, std::optional<Task> task) {
  const OnnxModel model = OnnxModel::load(model_path);
  LoadedProgram out;
  out.format = detect_model_format(model);
  out.task = task ? *task : model_task(model);
  auto built = build_without_ranges(model);
  if (auto* program = std::get_if<NetworkProgram>(&built)) {
    out.program = std::move(*program);
  } else {
    const std::filesystem::path dir = calibration_folder(model_path, calibration);
    if (!calibration && !std::filesystem::exists(dir))
      throw InputError(fmt::format("{}; {} does not exist", std::get<std::string>(built), dir.string()));
    if (check_shapes)
      if (const auto placeholder = placeholder_program(model)) check_shapes(*placeholder);
    const DataSet calibration_set = load_calibration_set(model, dir);
    const Tensor& batch = calibration_set.inputs[0].tensor;
    const ActivationRanges ranges = activation_ranges(model, batch, RangeMethod::MinMax);
    out.program = build_program(model, ranges);
    check_quantization_resolves(model, out.program, ranges, batch, dir.string());
    out.calibration = dir;
  }
  if (out.task == Task::AnomalyDetection) check_reconstructs_raw_input(out.program);
  return out;
}

}  // namespace aps
