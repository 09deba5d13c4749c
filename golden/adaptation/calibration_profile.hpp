#pragma once
// The calibration profile: everything aps-calibrate learns offline about a
// model and that the SAE and PCU need at run time.
//
// Stored as an ONNX protobuf companion file (MODEL.profile.onnx): a
// ModelProto with an empty graph whose metadata_props hold the scalars and
// small tables as JSON under "aps.profile", and whose initializers, named
// "aps.profile.<layer>.<table>", hold the per-element arrays (SAE slices and
// coefficients, bias corrections). "aps.model_hash" ties it to the model's graph and weights:
// load_profile refuses a profile for another model (InputError, exit 2).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "golden/accelerator/decision_rule.hpp"
#include "golden/adaptation/staged_cascade.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/import/program_builder.hpp"

namespace aps {

// A cascade: the first pass's widths, the re-run's widths (per main layer
// with weights) and the gate that decides the re-run.
struct CascadeChoice {
  std::vector<int> first_bits;
  std::vector<int> fallback_bits;
  CascadeGate gate;
  bool operator==(const CascadeChoice&) const = default;
};

// One SAE slice: elements of a tensor (CHW indices) with their coefficients.
struct SaeSlice {
  std::vector<int64_t> elements;
  std::vector<uint32_t> coefficients;
  bool operator==(const SaeSlice&) const = default;
};

struct LayerProfile {
  std::string name;                  // the main layer (one with weights)
  int layer = 0;                     // its index in the network program
  int64_t macs = 0;
  std::vector<double> sensitivity;   // per width in CalibrationProfile::widths: mean error at b bits vs 8
  std::vector<double> true_mse;      // per width: mean squared error of the output codes (what alpha maps to)
  SaeSlice jit;                      // just-in-time: a slice of the layer's own input
  std::vector<uint32_t> alpha_jit;   // per candidate: true error in PCU units ~ (metric * alpha) >> 16
  std::vector<int64_t> shadow_channels;  // up-front: input channels the shadow network keeps for this layer
  SaeSlice upfront;                  // up-front: a slice of the shadow tensor feeding this layer
  std::vector<uint32_t> alpha_upfront;
  uint64_t threshold = 0;            // tau, in PCU error units (kErrorUnitsPerCode2 per code^2 of output MSE)
  int group = 0;
  int static_bits = 8;               // width of this layer in the static map the thresholds are anchored to
  std::vector<int32_t> bias_correction;  // Layer::bias_correction (empty: none)
};

// A static map on the calibration split's front: cost and how it does.
struct StaticMapResult {
  std::vector<int> bits;             // one per main layer with weights
  double avg_bits = 0;               // MAC-weighted
  std::optional<double> accuracy;    // against labels (none without): accuracy, or ROC AUC for an anomaly detector
  double agreement = 0;              // share of inputs decided as at 8 bits (DecisionRule)
};

struct CalibrationProfile {
  std::string source;                // the file it was loaded from (messages); empty when made here
  uint64_t model_hash = 0;
  std::string model;                 // file name it was made for (informative)
  // What the model's output decides (see DecisionRule): its predicted class,
  // or for an anomaly detector whether its reconstruction error exceeds
  // decision_threshold (chosen on the calibration labels by Youden's J).
  Task task = Task::Classification;
  double decision_threshold = 0;
  // How the program reduces its weights (golden/numerics/weight_reduction.hpp):
  // bias corrections, thresholds and maps were measured under this rule.
  WeightReduction weight_reduction = WeightReduction::RoundHalfUp;
  int samples = 0;                   // calibration inputs used
  std::string range_method = "model";  // minmax | percentile | mse ("model": QDQ/QOperator scales kept)
  std::string metric = "mse";        // sensitivity table: mse | sqnr
  double sae_budget = 0.05;          // SAE cost target, share of the network's MACs
  std::vector<int> widths;           // widths of the sensitivity tables: the candidates, then 8
  std::vector<int> candidates;       // ascending, below 8
  ActivationRanges ranges;           // float models: the ranges the program is built with
  std::vector<LayerProfile> layers;  // main layers with weights, in program order
  std::string upfront_unavailable;   // why there is no up-front schedule (empty when there is one)
  double target_agreement = 0.995;   // the cascade was chosen to keep this share of 8-bit decisions
  double target_bits = 4.0;          // the thresholds' static map is the best within this average width
  std::vector<StaticMapResult> static_front;  // calibration split, cheapest first
  // Cascade (feedback): with the confidence gate fitted on calibration, and
  // with the plain margin check (the yardstick the gate is measured against;
  // for an anomaly detector, whose margin is in percent of its threshold and
  // whose cascade exists in the golden model only, the two are the same).
  CascadeChoice cascade;
  CascadeChoice margin_cascade;
  // Staged cascade (golden only): up to three stages ending at 8 bits.
  std::vector<CascadeStage> staged_cascade;
};

// Whether the calibrator could size an up-front schedule: a shadow network
// that copies the model, and slices that fit the SAE memory. Without one
// (upfront_unavailable says why, and every layer's up-front slice is empty),
// the up-front and budget policies are not available.
inline bool has_upfront_schedule(const CalibrationProfile& p) { return p.upfront_unavailable.empty(); }

// The decision the profile's choices keep.
DecisionRule decision_rule(const CalibrationProfile& profile);

// Hash of a model's graph structure and weights (FNV-1a over the serialized
// nodes, inputs, outputs and initializers).
uint64_t model_hash(const OnnxModel& model);

void save_profile(const CalibrationProfile& profile, const std::filesystem::path& path);
// InputError naming the file if it is not a profile, is malformed, or was
// made for another model.
CalibrationProfile load_profile(const std::filesystem::path& path, const OnnxModel& model);

}  // namespace aps
