#pragma once
// How a model's outputs are scored on labelled data: classification by the
// largest output (accuracy), or anomaly detection by reconstruction error
// (ROC AUC, anomalies labelled 1). One accumulator serves the golden model,
// the RTL and the ONNX path alike.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/numerics/tensor.hpp"

namespace aps {

struct Decision;  // decision_rule.hpp

enum class Task { Classification, AnomalyDetection };
// "classification" or "anomaly_detection"; InputError on anything else.
Task parse_task(const std::string& text);
std::string_view task_name(Task task);

// The anomaly score of one input on the accelerator path: the mean squared
// difference between the dequantized output (the reconstruction) and the
// dequantized input. InputError when the two differ in size.
double reconstruction_error(const NetworkProgram& program, const Codes& input, const Codes& output);
// UnsupportedError unless the program's input is the graph's own (no
// normalization steps), against which an anomaly detector's reconstruction
// is measured; the tools ask before they run one.
void check_reconstructs_raw_input(const NetworkProgram& program);

// A classifier's labels must name one of its `classes` outputs: a label no
// output can win would be counted wrong without saying why. InputError
// "<file>: label L of sample i is not one of the model's N classes". An
// anomaly detector's labels are 0 (normal) or 1 (anomaly); `classes` is
// not used for it. A classifier with fewer than 2 outputs decides nothing:
// UnsupportedError naming `model`, labelled or not.
void check_class_labels(Task task, const std::vector<int64_t>& labels, int64_t classes, const std::string& file,
                        const std::string& model);

class Evaluation {
 public:
  explicit Evaluation(Task task = Task::Classification) : task_(task) {}
  // One labelled sample: its prediction (classification) or score.
  void add_prediction(int64_t predicted, int64_t label);
  void add_score(double score, int64_t label);
  // A sample of the accelerator path, scored as the task says.
  void add(const NetworkProgram& program, const Codes& input, const Codes& output, int64_t label);
  // A sample already decided (DecisionRule::decide): its class, or its
  // anomaly score.
  void add(const Decision& decision, int64_t label);
  // Sample `row` of a float model's batch output `y` for the batch input `x`
  // (ONNX semantics): its largest output, or its mean squared reconstruction
  // error against the float input. InputError naming `source` when a
  // reconstruction and its input differ in size.
  void add_float(const Tensor& x, const Tensor& y, int64_t row, int64_t label, const std::string& source);
  void merge(const Evaluation& other);

  Task task() const { return task_; }
  int64_t samples() const { return samples_; }
  int64_t correct() const { return correct_; }
  // Whether figure() has something to say: a labelled sample, and for the
  // ROC AUC both normal samples and anomalies.
  bool has_figure() const;
  // Accuracy, or the ROC AUC of the scores (InputError without both classes).
  double figure() const;
  // "accuracy" or "ROC AUC".
  std::string_view figure_name() const;
  // "96.67 %" or "0.9388".
  std::string format_figure() const;
  // The anomaly scores and their labels (anomaly detection), in the order added.
  const std::vector<double>& scores() const { return scores_; }
  const std::vector<int64_t>& labels() const { return labels_; }

 private:
  Task task_;
  int64_t samples_ = 0, correct_ = 0;
  std::vector<double> scores_;
  std::vector<int64_t> labels_;
};

}  // namespace aps
