#pragma once
// ONNX file -> network program, with the calibration data a float or
// partly quantized model needs (a test_data_set-style folder; by default the
// model folder's calibration/ when it exists).

#include <filesystem>
#include <functional>
#include <optional>

#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/evaluation.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/data_set.hpp"

namespace aps {

struct LoadedProgram {
  NetworkProgram program;
  ModelFormat format = ModelFormat::Float;
  Task task = Task::Classification;
  std::optional<std::filesystem::path> calibration;  // used for a float or partly quantized model
};

// The task a model was made for: its "aps.task" metadata; without one, an
// anomaly detector when its output has as many values per sample as its input
// (a reconstruction, as MLPerf Tiny's autoencoder, which carries no
// metadata), else a classifier.
Task model_task(const OnnxModel& model);
// What the tools say when model_task took a model for an anomaly detector by
// its sizes alone (a 2-input, 2-class classifier would be scored by ROC AUC
// without a word); empty otherwise.
std::string task_rule_note(const OnnxModel& model);

// What the program's tools read as a batch of samples: check_sample_batch
// (or, for a model that takes codes, codes of its input's type), and samples
// of the shape the program's input takes. InputError naming the file.
void check_program_batch(const NetworkProgram& program, const DataSet& ds);

// Calibration data: one folder whose batch (check_sample_batch, or the codes
// of a model that takes int8 / uint8 codes) fits the model's input.
// InputError naming the folder or file.
DataSet load_calibration_set(const OnnxModel& model, const std::filesystem::path& dir);

// The calibration folder a float model is quantized on: `calibration`, or
// calibration/ beside the model.
std::filesystem::path calibration_folder(const std::filesystem::path& model_path,
                                         const std::optional<std::filesystem::path>& calibration);

// A range one outlier stretches (a value of 1e30 among pixels) leaves every
// other value on one code: the program then gives every sample the same
// output, and any accuracy scored from it is the share of one class.
// InputError naming the data when the program quantized from `ranges` gives
// three quarters of the first (up to 64) samples of `batch` one output, where
// the float model's outputs differ.
void check_quantization_resolves(const OnnxModel& model, const NetworkProgram& program, const ActivationRanges& ranges,
                                 const Tensor& batch, const std::string& data);

// Called on a program's layers and shapes; throws to refuse them.
using ShapeCheck = std::function<void(const NetworkProgram&)>;

// A model that needs calibration data is first built with placeholder ranges
// and given to `check_shapes` (its quantization is meaningless, its layers and
// shapes are the model's), so a network too large for the target is refused
// before the calibration batch is read and run. The caller still checks the
// program it gets back.
// `task` overrides model_task (the tools' --task).
LoadedProgram load_network_program(const std::filesystem::path& model,
                                   const std::optional<std::filesystem::path>& calibration = std::nullopt,
                                   const ShapeCheck& check_shapes = nullptr, std::optional<Task> task = std::nullopt);

}  // namespace aps
