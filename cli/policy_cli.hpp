#pragma once
// The precision-policy options that aps-golden eval and aps-sim share, and
// how they turn into the program the accelerator runs.

#include <optional>
#include <string>
#include <vector>

#include "golden/adaptation/adaptive_program.hpp"
#include "cli/command_line.hpp"
#include "golden/import/program_loader.hpp"

namespace aps::cli {

struct PolicyArgs {
  std::string profile, policy = "static", schedule = "jit", groups, budget_bits, budget_metric = "bit-macs",
      threshold_scale = "1", margin, weight_reduction;
  bool grouping = false, scaling = false, plain_margin = false, no_bias_correction = false;
};

// Adds the policy options to `options`; returns their long names.
std::vector<std::string> add_policy_options(po::options_description& options, PolicyArgs& args);

// InputError for an option given on the command line that `args.policy` does
// not read (--margin with --policy adaptive, --precision with any policy but
// static, ...), so a run never reports a setting it did not use. `precision`
// is the command's own width option; it is checked when the command has one.
void refuse_unused_policy_options(const po::variables_map& vm, const PolicyArgs& args);

// `v` as a number; InputError "<what> must be a number, not '<v>'" otherwise.
double parse_number(const std::string& v, const char* what);

// The values --threshold-scale, --margin and --budget-bits accept (aps-study
// sweeps the same, under its own option names): InputError naming `option`
// otherwise.
double parse_threshold_scale(const std::string& text, const char* option = "--threshold-scale");
int parse_margin(const std::string& text, const char* option = "--margin");
double parse_budget_bits(const std::string& text, const char* option = "--budget-bits");

struct PolicyProgram {
  NetworkProgram program;   // with SAE / shadow / PCU steps for the adaptive policies
  ModelFormat format = ModelFormat::Float;
  bool partly_quantized = false;  // a QDQ or QOperator model whose float values took calibration ranges
  Task task = Task::Classification;
  std::optional<CalibrationProfile> profile;
  PolicyOptions options;
  std::string description;  // e.g. "adaptive (jit, grouping)"
  bool bias_correction_off = false;  // --no-bias-correction
  // What the tool should say before it runs, one line each: an option given
  // that is not read ("--calibration DIR is not read: <why>": the program
  // takes its activation ranges elsewhere) or not met as asked (a budget
  // below every candidate width).
  std::vector<std::string> notes;
};

// The note for --calibration DIR given with a quantized `model`, which brings
// its own activation ranges.
std::string quantized_model_calibration_unread(const std::filesystem::path& dir, const std::string& model);

// What a run reports it ran (a report's "precision"): the static map of
// `configs`, or the policy's description. Whether --no-bias-correction
// dropped the profile's corrections is reported beside it.
std::string precision_text(const PolicyProgram& pp, const std::vector<LayerConfig>& configs);
// ", midpoint weights" when a layer of `program` takes them, else "": what
// a report's heading adds so a run under the rule is not read as rounding.
std::string weight_rule_suffix(const NetworkProgram& program);

// Loads the model (with the profile's ranges for a float model when a profile
// is given) and builds the policy's program; --no-bias-correction drops the
// profile's per-width bias corrections and keeps the rest of it.
// InputError for a missing or foreign profile, or an impossible combination.
PolicyProgram load_policy_program(const std::string& model, const std::optional<std::filesystem::path>& calibration,
                                  const PolicyArgs& args, const ShapeCheck& check_shapes = nullptr,
                                  std::optional<Task> task = std::nullopt);

// --task: what the model is scored as, when its metadata and shape guess
// wrong. task_override: nullopt for "auto", else the task; InputError
// otherwise.
void add_task_option(po::options_description& options, std::string& task);
std::optional<Task> task_override(const std::string& text);
// --weight-reduction: how weights meet widths below 8 bits
// (golden/numerics/weight_reduction.hpp). weight_reduction_override: nullopt
// when not given (rounding half up, or a profile's rule), else the rule;
// InputError otherwise. `reads_profile`: the tool takes a profile, whose rule
// is the default.
void add_weight_reduction_option(po::options_description& options, std::string& rule, bool reads_profile);
std::optional<WeightReduction> weight_reduction_override(const std::string& text);

}  // namespace aps::cli
