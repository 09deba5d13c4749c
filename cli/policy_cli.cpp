#include "cli/policy_cli.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <limits>

#include "golden/accelerator/precision_map.hpp"
#include "golden/adaptation/calibrator.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps::cli {

void add_task_option(po::options_description& options, std::string& task) {
  options.add_options()("task", po::value(&task)->default_value("auto"),
                        "classification (accuracy) or anomaly_detection (ROC AUC of reconstruction errors, anomalies "
                        "labelled 1); auto: the model's aps.task metadata, else anomaly_detection when its output has "
                        "as many values as its input, else classification");
}

std::optional<Task> task_override(const std::string& text) {
  if (text == "auto") return std::nullopt;
  if (text != "classification" && text != "anomaly_detection")
    throw InputError(fmt::format("--task must be auto, classification or anomaly_detection, not '{}'", text));
  return parse_task(text);
}

void add_weight_reduction_option(po::options_description& options, std::string& rule, bool reads_profile) {
  const std::string help = std::string("weights below 8 bits: round (half up; a layer reads b + 1 weight planes) or "
                                      "midpoint (the b kept planes read as the middle of their interval; b planes). "
                                      "Default: round") +
                          (reads_profile ? ", or what the profile was calibrated with" : "");
  options.add_options()("weight-reduction", po::value(&rule), help.c_str());
}

std::optional<WeightReduction> weight_reduction_override(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_weight_reduction(text, "--weight-reduction");
}

std::vector<std::string> add_policy_options(po::options_description& options, PolicyArgs& a) {
  po::options_description policy("precision policy");
  policy.add_options()
      ("profile", po::value(&a.profile), "calibration profile (aps-calibrate); needed by every policy but static")
      ("policy", po::value(&a.policy)->default_value("static"), "static | adaptive | budget | cascade | adaptive-cascade")
      ("schedule", po::value(&a.schedule)->default_value("jit"), "SAE schedule: jit (each layer before it runs) or upfront")
      ("grouping", po::bool_switch(&a.grouping), "layers of one profile group share a width")
      ("groups", po::value(&a.groups), "override the groups: one id per layer with weights, e.g. 0,0,1")
      ("scaling", po::bool_switch(&a.scaling), "adaptive scaling: the activation shift follows the input's range")
      ("budget-bits", po::value(&a.budget_bits), "budget policy: allow what this width everywhere costs")
      ("budget-metric", po::value(&a.budget_metric)->default_value("bit-macs"),
       "budget policy: what the budget counts: bit-macs, traffic (memory-port bytes) or energy")
      ("threshold-scale", po::value(&a.threshold_scale)->default_value("1"), "multiply every layer threshold")
      ("plain-margin", po::bool_switch(&a.plain_margin),
       "cascade: the profile's cascade fitted with the plain margin check, instead of its confidence gate")
      ("margin", po::value(&a.margin), "cascade: the plain margin check, re-run when top1 - top2 of the output codes is "
                                       "below this")
      ("no-bias-correction", po::bool_switch(&a.no_bias_correction),
       "run without the profile's per-width bias corrections (its thresholds, maps and cascade stay as calibrated "
       "with them; aps-calibrate --no-bias-correction calibrates without them)");
  add_weight_reduction_option(policy, a.weight_reduction, true);
  std::vector<std::string> names;
  for (const auto& option : policy.options()) names.push_back(option->long_name());
  options.add(policy);
  return names;
}

namespace {

// The policies that read each option; an option not listed is read by every policy.
struct OptionReaders {
  const char* option;
  std::vector<Policy> policies;
};

const std::vector<OptionReaders>& option_readers() {
  using enum Policy;
  static const std::vector<OptionReaders> readers = {
      {"precision", {Static}},
      {"schedule", {Adaptive, Budget, AdaptiveCascade}},
      {"grouping", {Adaptive, Budget, AdaptiveCascade}},
      {"groups", {Adaptive, Budget, AdaptiveCascade}},
      {"scaling", {Adaptive, Budget, Cascade, AdaptiveCascade}},
      {"threshold-scale", {Adaptive, AdaptiveCascade}},
      {"budget-bits", {Budget}},
      {"budget-metric", {Budget}},
      {"plain-margin", {Cascade, AdaptiveCascade}},
      {"margin", {Cascade, AdaptiveCascade}},
  };
  return readers;
}

}  // namespace

void refuse_unused_policy_options(const po::variables_map& vm, const PolicyArgs& args) {
  const Policy policy = parse_policy(args.policy);
  for (const OptionReaders& r : option_readers()) {
    if (!given(vm, r.option)) continue;
    if (std::find(r.policies.begin(), r.policies.end(), policy) != r.policies.end()) continue;
    std::string readers;
    for (Policy p : r.policies) readers += fmt::format("{}{}", readers.empty() ? "" : ", ", policy_name(p));
    throw InputError(fmt::format("--{} does not apply to --policy {} (it is read by --policy {})", r.option, args.policy,
                                 readers));
  }
}

double parse_number(const std::string& v, const char* what) {
  try {
    size_t used = 0;
    const double x = std::stod(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    throw InputError(fmt::format("{} must be a number, not '{}'", what, v));
  }
}

double parse_threshold_scale(const std::string& text, const char* option) {
  const double s = parse_number(text, option);
  if (!(s >= 0) || std::isinf(s)) throw InputError(fmt::format("{} must be a finite number >= 0, not '{}'", option, text));
  return s;
}

int parse_margin(const std::string& text, const char* option) {
  const double m = parse_number(text, option);
  if (!(m >= 0 && m <= 255) || m != std::floor(m)) throw InputError(fmt::format("{} must be an integer 0..255, not '{}'", option, text));
  return static_cast<int>(m);
}

double parse_budget_bits(const std::string& text, const char* option) {
  const double b = parse_number(text, option);
  if (!(b >= kMinBits && b <= kMaxBits))
    throw InputError(fmt::format("{} must be a width between {} and {}, not '{}'", option, kMinBits, kMaxBits, text));
  return b;
}

std::string quantized_model_calibration_unread(const std::filesystem::path& dir, const std::string& model) {
  return fmt::format("--calibration {} is not read: {} is quantized and brings its own activation ranges", dir.string(),
                     model);
}

PolicyProgram load_policy_program(const std::string& model_path, const std::optional<std::filesystem::path>& calibration,
                                  const PolicyArgs& a, const ShapeCheck& check_shapes, std::optional<Task> task) {
  PolicyProgram out;
  out.options.policy = parse_policy(a.policy);
  out.options.schedule = parse_schedule(a.schedule);
  out.options.grouping = a.grouping;
  out.options.scaling = a.scaling;
  out.options.threshold_scale = parse_threshold_scale(a.threshold_scale);
  if (!a.budget_bits.empty()) out.options.budget_bits = parse_budget_bits(a.budget_bits, "--budget-bits");
  out.options.budget_metric = parse_budget_metric(a.budget_metric);
  out.options.plain_margin = a.plain_margin;
  if (!a.margin.empty()) out.options.margin_threshold = parse_margin(a.margin);
  if (!a.groups.empty()) {
    std::vector<int> g;
    // Group ids are whole numbers: "1.5" or "1e-9" would be cut to another group.
    for (const std::string& item : split_list(a.groups)) {
      const uint64_t id = parse_whole_number(item, "--groups");
      if (id > static_cast<uint64_t>(std::numeric_limits<int>::max()))
        throw InputError(fmt::format("--groups: group {} is out of range", item));
      g.push_back(static_cast<int>(id));
    }
    out.options.groups = g;
  }
  const std::optional<WeightReduction> rule = weight_reduction_override(a.weight_reduction);
  const OnnxModel model = OnnxModel::load(model_path);
  out.format = detect_model_format(model);
  if (a.no_bias_correction && a.profile.empty())
    throw InputError("--no-bias-correction needs --profile: bias corrections come from a calibration profile");
  if (!a.profile.empty()) {
    out.profile = load_profile(a.profile, model);
    if (task && *task != out.profile->task)
      throw InputError(fmt::format("--task {}, but {} was calibrated for {}", task_name(*task), a.profile,
                                   task_name(out.profile->task)));
    out.task = out.profile->task;
    if (rule && *rule != out.profile->weight_reduction)
      throw InputError(fmt::format("--weight-reduction {}, but {} was calibrated with {} weights (aps-calibrate "
                                   "--weight-reduction {} makes a profile for it)",
                                   weight_reduction_name(*rule), a.profile,
                                   weight_reduction_name(out.profile->weight_reduction), weight_reduction_name(*rule)));
    if (a.no_bias_correction)
      for (LayerProfile& l : out.profile->layers) l.bias_correction.clear();
    out.bias_correction_off = a.no_bias_correction;
    out.program = program_for_profile(model, *out.profile);
    out.partly_quantized = out.format != ModelFormat::Float && !out.profile->ranges.empty();
    if (calibration)
      out.notes.push_back(fmt::format("--calibration {} is not read: the activation ranges come from {}",
                                      calibration->string(), a.profile));
  } else {
    if (out.options.policy != Policy::Static)
      throw InputError(fmt::format("--policy {} needs a calibration profile (--profile; make one with aps-calibrate)", a.policy));
    // The loader decides the task (the override, else the model's), as it does for every tool.
    LoadedProgram loaded = load_network_program(model_path, calibration, check_shapes, task);
    if (const std::string note = task ? "" : task_rule_note(model); !note.empty()) out.notes.push_back(note);
    if (calibration && !loaded.calibration)
      out.notes.push_back(quantized_model_calibration_unread(*calibration, model_path));
    out.program = std::move(loaded.program);
    out.partly_quantized = out.format != ModelFormat::Float && loaded.calibration.has_value();
    out.task = loaded.task;
    if (rule) out.program.set_weight_reduction(*rule);
  }
  if (out.profile) out.program = build_adaptive_program(out.program, *out.profile, out.options);
  if (out.profile && out.options.policy == Policy::Budget && !out.profile->candidates.empty()) {
    const int narrowest = *std::min_element(out.profile->candidates.begin(), out.profile->candidates.end());
    if (out.options.budget_bits < narrowest)
      out.notes.push_back(fmt::format("--budget-bits {} is below {}'s narrowest candidate width, {}: no map meets it, "
                                      "and every layer runs at {} bits",
                                      out.options.budget_bits, a.profile, narrowest, narrowest));
  }
  out.description = std::string(policy_name(out.options.policy));
  if (out.options.policy != Policy::Static && out.options.policy != Policy::Cascade)
    out.description += fmt::format(
        " ({}{}{}{})", schedule_name(out.options.schedule), out.options.grouping || out.options.groups ? ", grouping" : "",
        out.options.scaling ? ", scaling" : "",
        out.options.policy == Policy::Budget && out.options.budget_metric != BudgetMetric::BitMacs
            ? fmt::format(", {} budget", budget_metric_name(out.options.budget_metric))
            : "");
  return out;
}

std::string precision_text(const PolicyProgram& pp, const std::vector<LayerConfig>& configs) {
  const std::string text = pp.options.policy == Policy::Static ? main_precision_text(pp.program, configs) : pp.description;
  return text + weight_rule_suffix(pp.program);
}

std::string weight_rule_suffix(const NetworkProgram& program) {
  const bool midpoint = std::ranges::any_of(program.layers, [](const Layer& l) {
    return l.has_weights() && l.weight_reduction == WeightReduction::Midpoint;
  });
  return midpoint ? ", midpoint weights" : "";
}

}  // namespace aps::cli
