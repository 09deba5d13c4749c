#include "golden/accelerator/decision_rule.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/accelerator/pcu.hpp"
#include "golden/errors.hpp"

namespace aps {

DecisionRule DecisionRule::anomaly_threshold(double threshold) {
  if (!(threshold > 0) || !std::isfinite(threshold))
    throw InputError(fmt::format("an anomaly threshold must be a positive reconstruction error, not {}", threshold));
  return DecisionRule(Task::AnomalyDetection, threshold);
}

Decision DecisionRule::decide(const NetworkProgram& program, const Codes& input, const Codes& output) const {
  if (task_ == Task::Classification) return {predicted_class(output), output_margin(output)};
  const double score = reconstruction_error(program, input, output);
  const double percent = std::floor(100.0 * std::abs(score - threshold_) / threshold_);
  return {score > threshold_ ? 1 : 0, static_cast<int>(std::min(255.0, percent)), score};
}

std::string_view margin_unit(Task task) {
  return task == Task::Classification ? "output codes" : "% of the threshold";
}

}  // namespace aps
