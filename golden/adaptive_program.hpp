#pragma once
// Turns a network program and a calibration profile into the program the
// accelerator runs under a precision policy: SAE scans, shadow layers (the
// up-front schedule's simplified copies), PCU slots and their parameters.
//
// Policies:
//   static     widths from --precision, no SAE, no PCU;
//   adaptive   SAE-driven thresholds (tau per layer, scaled by threshold_scale);
//              with `grouping` the profile's layer groups share a width, with
//              `scaling` the activation shift follows the input's range;
//   budget     up-front only: the PCU narrows layers until sum(macs * bits) is
//              at most budget_bits * macs, giving up the least estimated error;
//   cascade    the profile's cheap static map, re-run at the fallback map when
//              the output margin is below the threshold;
//   adaptive-cascade   adaptive first pass, then the cascade.
// Schedules: jit (each layer scans its own input just before it runs) or
// upfront (all layers estimated from shadow copies before the main layers).

#include <optional>
#include <string>

#include "golden/calibration_profile.hpp"
#include "golden/layer_config.hpp"
#include "golden/network_program.hpp"

namespace aps {

enum class Policy { Static, Adaptive, Budget, Cascade, AdaptiveCascade };
enum class Schedule { JustInTime, UpFront };

struct PolicyOptions {
  Policy policy = Policy::Static;
  Schedule schedule = Schedule::JustInTime;
  bool grouping = false;
  bool scaling = false;
  double budget_bits = 0;           // budget policy: MAC-weighted average width allowed
  double threshold_scale = 1.0;     // multiplies every tau
  std::optional<int> margin_threshold;  // overrides the profile's
  std::optional<std::vector<int>> groups;  // overrides the profile's groups (one per layer with weights)
};

Policy parse_policy(const std::string& text);
Schedule parse_schedule(const std::string& text);
std::string_view policy_name(Policy p);
std::string_view schedule_name(Schedule s);

// The main layers with weights, in program order.
std::vector<int> weighted_layers(const NetworkProgram& program);

// The up-front schedule's shadow network: for every layer before the last
// one with weights, a copy restricted to the channels the next layers' SAE
// slices need (`channels[j]`: input channels of the j-th layer with weights
// to keep; the first layer keeps all its input). A copy with fewer inputs
// scales its multiplier by (full fan-in / kept fan-in). Chains only (no
// residual Add), no grouped convolutions: InputError otherwise.
// Returns the shadow layers (inputs refer to shadow indices; -1 = network
// input) and, per layer with weights, the index of the shadow layer whose
// output stands for its input (-1 = the network input).
struct ShadowNetwork {
  std::vector<Layer> layers;
  std::vector<int> source_of;  // per layer with weights
};
ShadowNetwork build_shadow_network(const NetworkProgram& program, const std::vector<std::vector<int64_t>>& channels);
// The shadow network a calibration profile sized: its shadow_channels per layer.
ShadowNetwork profile_shadow_network(const NetworkProgram& program, const CalibrationProfile& profile);

// Configurations of every step under a static precision text ("4",
// "map:8,6,4" over the main layers with weights); shadow layers and
// everything without weights run at 8 bits; PCU-controlled layers ignore it.
std::vector<LayerConfig> step_configs(const NetworkProgram& program, const std::string& precision);
// The static map of the main layers with weights, as "map:b1,b2,...".
std::string main_precision_text(const NetworkProgram& program, const std::vector<LayerConfig>& configs);

// The program of a policy. InputError for combinations that do not exist
// (e.g. a budget with the just-in-time schedule).
NetworkProgram build_adaptive_program(const NetworkProgram& base, const CalibrationProfile& profile,
                                      const PolicyOptions& options);

}  // namespace aps
