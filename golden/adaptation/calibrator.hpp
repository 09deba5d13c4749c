#pragma once
// aps-calibrate's work, in stages: from a model and a calibration set (never
// the test split) it runs the 8-bit reference, measures each layer's
// sensitivity at every candidate width, sizes the SAE's just-in-time slices
// and the up-front shadow network to a cost budget and to the SAE memory,
// fits how SAE estimates map to true errors (alpha, per layer, width and
// schedule), finds the static front, anchors per-layer thresholds and groups
// to it, and chooses the cascade's maps and confidence gate (gate_fit.hpp).

#include <optional>
#include <string>
#include <vector>

#include "golden/adaptation/calibration_profile.hpp"
#include "golden/accelerator/memory_plan.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

struct CalibrationOptions {
  RangeMethod ranges = RangeMethod::MinMax;  // float models only
  std::optional<Task> task;                   // overrides model_task (--task)
  std::string metric = "mse";                 // sensitivity table: mse | sqnr
  std::vector<int> candidates = {3, 4, 6};   // widths below 8 the SAE estimates
  double sae_budget = 0.05;                   // SAE cost, share of the network's MACs
  double target_agreement = 0.995;            // cascade: share of 8-bit predictions kept on calibration data
  double target_bits = 4.0;                   // thresholds: anchored to the best static map within this average width
  int min_samples = 1000;
  int threads = 1;                            // the profile is the same for any count
  size_t exhaustive_maps = 4096;              // static front: every map up to this many, else a greedy path;
  double exhaustive_search_macs = 2e11;       // and only while running them all costs at most this (minutes)
  bool bias_correction = true;                // measure and store Layer::bias_correction (bias_correction.hpp)
  WeightReduction weight_reduction = WeightReduction::RoundHalfUp;  // the program's weight rule, kept in the profile
  // The build the profile is for: a schedule's slices share its SAE slice
  // memory, whose entries hold one activation word of `array.rows` lanes.
  HardwareLimits build;
};

struct CalibrationInputs {
  Tensor batch;                  // float inputs, first dimension = samples
  std::vector<int64_t> labels;   // may be empty
  std::string labels_file = "labels";  // names the labels in errors
  std::string source = "calibration data";  // names the samples in errors (their folder)
};

// The network program of a model under a profile's ranges (float models) or
// its own quantization (QDQ, QOperator).
NetworkProgram program_for_profile(const OnnxModel& model, const CalibrationProfile& profile);

CalibrationProfile calibrate(const OnnxModel& model, const CalibrationInputs& data, const CalibrationOptions& options,
                             std::ostream* log = nullptr);

// Helpers shared with the adaptation study.

// Per input element of layer `layer`'s stored input: the energy of the
// weights that read it, sum over outputs and taps of (w - z_w)^2.
std::vector<double> input_energies(const NetworkProgram& program, int layer);
// Mean squared difference of two code vectors.
double code_mse(const Codes& a, const Codes& b);
// All maps over `widths` for the layers with weights, if there are at most
// `limit`; otherwise the uniform maps only. (The calibrator adds a greedy
// path of per-layer maps for such networks; see find_static_front.)
std::vector<std::vector<int>> candidate_maps(const NetworkProgram& program, const std::vector<int>& widths, size_t limit);

}  // namespace aps
