#pragma once
// What a model's output decides, and how close it came to deciding
// otherwise. Every adaptation choice that "keeps the 8-bit result" keeps
// this decision (the calibrator's static front and cascades, the study's
// oracle), and a cascade escalates an input whose margin is small.
//
// A classifier decides its largest output; its margin is the top-1 minus the
// top-2 output code (what the PCU's gate reads on chip, cascade_gate.hpp). An anomaly
// detector has no class margin: it decides "anomaly" (1) when its
// reconstruction error exceeds an operating threshold chosen on calibration
// labels, and its margin is the error's distance to that threshold in
// percent of the threshold. The accelerator does not compute reconstruction
// errors, so that margin exists in the golden model only.

#include <cstdint>
#include <string_view>

#include "golden/accelerator/evaluation.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

struct Decision {
  int64_t value = 0;  // the class, or 1 for an anomaly and 0 for a normal input
  int margin = 0;     // 0..255: output codes, or percent of the threshold
  double score = 0;   // an anomaly detector's reconstruction error (0 for a classifier)
};

class DecisionRule {
 public:
  static DecisionRule classifier() { return DecisionRule(Task::Classification, 0.0); }
  // InputError unless the threshold is positive and finite.
  static DecisionRule anomaly_threshold(double threshold);

  Task task() const { return task_; }
  double threshold() const { return threshold_; }
  Decision decide(const NetworkProgram& program, const Codes& input, const Codes& output) const;

 private:
  DecisionRule(Task task, double threshold) : task_(task), threshold_(threshold) {}
  Task task_;
  double threshold_;
};

// What a margin counts: "output codes", or "% of the threshold".
std::string_view margin_unit(Task task);

}  // namespace aps
