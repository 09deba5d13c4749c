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
//   budget     up-front only: the PCU narrows layers, giving up the least
//              estimated error per unit of cost saved, until their cost is at
//              most what budget_bits everywhere would cost; the cost is
//              bit-MACs, memory traffic or energy (budget_cost.hpp);
//   cascade    the profile's cheap static map, re-run at the fallback map when
//              the confidence gate says so (cascade_gate.hpp);
//   adaptive-cascade   adaptive first pass, then the cascade.
// Schedules: jit (each layer scans its own input just before it runs) or
// upfront (all layers estimated from shadow copies before the main layers).

#include <optional>
#include <string>

#include "golden/adaptation/budget_cost.hpp"
#include "golden/adaptation/calibration_profile.hpp"
#include "golden/adaptation/shadow_network.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"

namespace aps {

enum class Policy { Static, Adaptive, Budget, Cascade, AdaptiveCascade };
enum class Schedule { JustInTime, UpFront };

struct PolicyOptions {
  Policy policy = Policy::Static;
  Schedule schedule = Schedule::JustInTime;
  bool grouping = false;
  bool scaling = false;
  double budget_bits = 0;           // budget policy: the cost of this width everywhere is allowed
  BudgetMetric budget_metric = BudgetMetric::BitMacs;
  double threshold_scale = 1.0;     // multiplies every tau
  bool plain_margin = false;        // cascade: the profile's cascade with the plain margin check, not its gate
  std::optional<int> margin_threshold;  // implies plain_margin, at this threshold
  std::optional<std::vector<int>> groups;  // overrides the profile's groups (one per layer with weights)
};

Policy parse_policy(const std::string& text);
Schedule parse_schedule(const std::string& text);
std::string_view policy_name(Policy p);
std::string_view schedule_name(Schedule s);

// The static configurations of `base`'s steps carried over to `adaptive`,
// the program a policy built from it: each main layer keeps its own (the PCU
// overrides those it controls), every added step (scans, shadow layers) runs
// at 8 bits. InputError if `adaptive` does not hold base's layers in order.
std::vector<LayerConfig> carry_configs(const NetworkProgram& base, const std::vector<LayerConfig>& configs,
                                       const NetworkProgram& adaptive);

// The program of a policy. InputError for combinations that do not exist
// (e.g. a budget with the just-in-time schedule).
NetworkProgram build_adaptive_program(const NetworkProgram& base, const CalibrationProfile& profile,
                                      const PolicyOptions& options);

}  // namespace aps
