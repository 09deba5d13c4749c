#include "golden/accelerator/evaluation.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "golden/accelerator/decision_rule.hpp"
#include "golden/errors.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/roc_auc.hpp"
#include "golden/numerics/tensor_compare.hpp"

namespace aps {

Task parse_task(const std::string& text) {
  if (text == "classification") return Task::Classification;
  if (text == "anomaly_detection") return Task::AnomalyDetection;
  throw InputError(fmt::format("task must be classification or anomaly_detection, not '{}'", text));
}

std::string_view task_name(Task task) {
  return task == Task::Classification ? "classification" : "anomaly_detection";
}

void check_class_labels(Task task, const std::vector<int64_t>& labels, int64_t classes, const std::string& file,
                        const std::string& model) {
  const bool anomaly = task == Task::AnomalyDetection;
  // A single output is always the largest: every input would be class 0,
  // every width would "keep the 8-bit decision", and accuracy would mean nothing.
  if (!anomaly && classes < 2)
    throw UnsupportedError(fmt::format(
        "{}: the output has {} value per sample: a classifier decides its largest output, which would be class 0 "
        "for every input (a binary classifier with one logit: export two, one per class)",
        model, classes));
  const auto bad = std::find_if_not(labels.begin(), labels.end(), [&](int64_t v) {
    return anomaly ? is_anomaly_label(v) : v >= 0 && v < classes;
  });
  if (bad != labels.end())
    throw InputError(fmt::format("{}: label {} of sample {} is {}", file, *bad, bad - labels.begin(),
                                 anomaly ? "not 0 (normal) or 1 (anomaly) (a classifier? say so with --task classification, to aps-calibrate for a profile)"
                                         : fmt::format("not one of the model's {} classes", classes)));
}

void check_reconstructs_raw_input(const NetworkProgram& p) {
  // The reconstruction is compared with the input as the accelerator holds
  // it; after a normalization that is not the input ONNX semantics compare.
  if (!p.input_steps.empty())
    throw UnsupportedError(fmt::format("{}: an anomaly detector whose graph normalizes its input is not supported: its "
                                       "reconstruction error would be measured against the normalized input (a "
                                       "classifier? say so with --task classification, to aps-calibrate for a profile)",
                                       p.source));
}

double reconstruction_error(const NetworkProgram& p, const Codes& input, const Codes& output) {
  check_reconstructs_raw_input(p);
  if (input.size() != output.size())
    throw InputError(fmt::format("{}: a reconstruction of {} values for an input of {}", p.source, output.size(),
                                 input.size()));
  const std::vector<double> reconstruction = dequantize_output(p, output);
  const auto scale = static_cast<float>(p.input_q.scale);
  double sum = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    const double d = reconstruction[i] - dequantize_linear(input[i], scale, p.input_q.zero_point);
    sum += d * d;
  }
  return input.empty() ? 0.0 : sum / static_cast<double>(input.size());
}

void Evaluation::add_prediction(int64_t predicted, int64_t label) {
  ++samples_;
  correct_ += predicted == label;
}

void Evaluation::add_score(double score, int64_t label) {
  ++samples_;
  scores_.push_back(score);
  labels_.push_back(label);
}

void Evaluation::add(const NetworkProgram& program, const Codes& input, const Codes& output, int64_t label) {
  if (task_ == Task::Classification) add_prediction(predicted_class(output), label);
  else add_score(reconstruction_error(program, input, output), label);
}

void Evaluation::add(const Decision& decision, int64_t label) {
  if (task_ == Task::Classification) add_prediction(decision.value, label);
  else add_score(decision.score, label);
}

void Evaluation::add_float(const Tensor& x, const Tensor& y, int64_t row, int64_t label, const std::string& source) {
  const int64_t n = y.rank() ? y.shape()[0] : 0;
  const int64_t per = n ? y.size() / n : 0;
  // A NaN or infinite output (NaN weights, an overflow) has no argmax and no
  // error: scoring it would report a figure the model did not earn.
  if (const auto j = non_finite_in_row(y, row, per))
    throw InputError(fmt::format("{}: the output of sample {} holds {} (element {}): the model computes a non-finite "
                                 "value, so it cannot be scored",
                                 source, row, y.value(row * per + *j), *j));
  if (task_ == Task::Classification) {
    add_prediction(argmax_row(y, row, per), label);
    return;
  }
  if (x.size() != y.size())
    throw InputError(fmt::format("{}: a reconstruction of {} values for inputs of {}", source, per, n ? x.size() / n : 0));
  double sum = 0;
  for (int64_t i = row * per; i < (row + 1) * per; ++i) sum += (y.value(i) - x.value(i)) * (y.value(i) - x.value(i));
  add_score(per ? sum / static_cast<double>(per) : 0.0, label);
}

void Evaluation::merge(const Evaluation& other) {
  samples_ += other.samples_;
  correct_ += other.correct_;
  scores_.insert(scores_.end(), other.scores_.begin(), other.scores_.end());
  labels_.insert(labels_.end(), other.labels_.begin(), other.labels_.end());
}

bool Evaluation::has_figure() const {
  if (task_ == Task::Classification) return samples_ > 0;
  const auto anomalies = std::count(labels_.begin(), labels_.end(), int64_t{1});
  return anomalies > 0 && anomalies < static_cast<int64_t>(labels_.size());
}

double Evaluation::figure() const {
  if (task_ == Task::AnomalyDetection) return roc_auc(scores_, labels_);
  return samples_ ? static_cast<double>(correct_) / static_cast<double>(samples_) : 0.0;
}

std::string_view Evaluation::figure_name() const { return task_ == Task::Classification ? "accuracy" : "ROC AUC"; }

std::string Evaluation::format_figure() const {
  return task_ == Task::Classification ? fmt::format("{:.2f} %", 100.0 * figure()) : fmt::format("{:.4f}", figure());
}

}  // namespace aps
