#include "golden/adaptation/adaptive_program.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps {

Policy parse_policy(const std::string& t) {
  if (t == "static") return Policy::Static;
  if (t == "adaptive") return Policy::Adaptive;
  if (t == "budget") return Policy::Budget;
  if (t == "cascade") return Policy::Cascade;
  if (t == "adaptive-cascade") return Policy::AdaptiveCascade;
  throw InputError(fmt::format("--policy must be static, adaptive, budget, cascade or adaptive-cascade, not '{}'", t));
}

Schedule parse_schedule(const std::string& t) {
  if (t == "jit") return Schedule::JustInTime;
  if (t == "upfront") return Schedule::UpFront;
  throw InputError(fmt::format("--schedule must be jit or upfront, not '{}'", t));
}

std::string_view policy_name(Policy p) {
  switch (p) {
    case Policy::Static: return "static";
    case Policy::Adaptive: return "adaptive";
    case Policy::Budget: return "budget";
    case Policy::Cascade: return "cascade";
    case Policy::AdaptiveCascade: return "adaptive-cascade";
  }
  return "?";
}

std::string_view schedule_name(Schedule s) { return s == Schedule::JustInTime ? "jit" : "upfront"; }

std::vector<LayerConfig> carry_configs(const NetworkProgram& base, const std::vector<LayerConfig>& configs,
                                       const NetworkProgram& adaptive) {
  if (configs.size() != base.layers.size())
    throw InputError(fmt::format("{} configurations for {} steps", configs.size(), base.layers.size()));
  std::vector<LayerConfig> carried;
  size_t main = 0;
  for (const Layer& l : adaptive.layers) {
    const bool own = l.role == LayerRole::Main && l.kind != LayerKind::SaeScan;
    if (own && (main >= base.layers.size() || base.layers[main].name != l.name))
      throw InputError(fmt::format("{}: step '{}' is not the next layer of the base program", adaptive.source, l.name));
    carried.push_back(own ? configs[main++] : static_config(kMaxBits));
  }
  if (main != base.layers.size())
    throw InputError(fmt::format("{}: {} of the base program's {} layers are missing", adaptive.source,
                                 base.layers.size() - main, base.layers.size()));
  return carried;
}

namespace {

// A program being assembled step by step, remembering where each main layer went.
struct Assembler {
  NetworkProgram out;
  std::vector<int> main_index;    // main layer -> new index
  std::vector<int> shadow_index;  // shadow layer -> new index

  int add(Layer l) {
    out.layers.push_back(std::move(l));
    return static_cast<int>(out.layers.size()) - 1;
  }
};

Layer scan_step(const std::string& name, int tensor, const SaeSlice& slice, int slot, PcuAction action) {
  Layer s;
  s.name = name;
  s.kind = LayerKind::SaeScan;
  s.role = LayerRole::Shadow;
  s.scan.tensor = tensor;
  s.scan.elements = slice.elements;
  s.scan.coefficients = slice.coefficients;
  s.scan.slot = slot;
  s.scan.action = action;
  return s;
}

// What the profile's tables make of the program (the shadow network, the
// scans' elements) can be wrong only if the profile is: its error names it.
template <typename F>
auto from_profile(const CalibrationProfile& profile, F&& make) {
  try {
    return make();
  } catch (const UnsupportedError&) {
    throw;  // a limit of the model or the accelerator, not the profile's
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: the profile's tables do not fit the program: {}", profile.source, e.what()));
  }
}

}  // namespace

NetworkProgram build_adaptive_program(const NetworkProgram& base, const CalibrationProfile& profile,
                                      const PolicyOptions& o) {
  if (o.policy == Policy::Static) return base;
  const std::vector<int> w = weighted_layers(base);
  if (w.size() != profile.layers.size())
    throw InputError(fmt::format("{}: the profile describes {} layers with weights, the program has {}", base.source,
                                 profile.layers.size(), w.size()));
  for (size_t j = 0; j < w.size(); ++j)
    if (base.layers[w[j]].name != profile.layers[j].name)
      throw InputError(fmt::format("{}: profile layer {} is '{}', the program's is '{}'", base.source, j,
                                   profile.layers[j].name, base.layers[w[j]].name));
  const bool sae = o.policy == Policy::Adaptive || o.policy == Policy::Budget || o.policy == Policy::AdaptiveCascade;
  const bool upfront = o.schedule == Schedule::UpFront;
  if (o.policy == Policy::Budget && !upfront)
    throw InputError("the budget policy needs all estimates before the main layers: use --schedule upfront");
  if (sae && upfront && !has_upfront_schedule(profile))
    throw InputError(fmt::format("{}: the profile has no up-front schedule ({}): use --schedule jit", profile.model,
                                 profile.upfront_unavailable));
  if (o.policy == Policy::Budget && !(o.budget_bits >= kMinBits && o.budget_bits <= kMaxBits))
    throw InputError(fmt::format("the budget policy needs --budget-bits between {} and {}", kMinBits, kMaxBits));
  if ((o.policy == Policy::Cascade || o.policy == Policy::AdaptiveCascade) && profile.task != Task::Classification)
    throw InputError(fmt::format("{}: the accelerator's cascade re-runs on the output class margin, and the model is "
                                 "scored by {} (its decision is a reconstruction error the accelerator does not "
                                 "compute): use --policy static, adaptive or budget",
                                 profile.model, task_name(profile.task)));
  if (o.groups && o.groups->size() != w.size())
    throw InputError(fmt::format("--groups needs {} entries, one per layer with weights", w.size()));

  Assembler a;
  a.out = base;
  a.out.layers.clear();
  PcuProgram& pcu = a.out.pcu;
  pcu = PcuProgram{};
  pcu.candidates = profile.candidates;
  pcu.adaptive_scaling = o.scaling;
  const bool cascade = o.policy == Policy::Cascade || o.policy == Policy::AdaptiveCascade;
  pcu.cascade = cascade;
  const CascadeChoice& chosen = o.plain_margin || o.margin_threshold ? profile.margin_cascade : profile.cascade;
  pcu.gate = o.margin_threshold ? CascadeGate::margin(*o.margin_threshold) : chosen.gate;
  std::vector<int> cost_widths = profile.candidates;
  cost_widths.push_back(kMaxBits);
  const auto costs = layer_costs(base, cost_widths, o.policy == Policy::Budget ? o.budget_metric : BudgetMetric::BitMacs);
  for (size_t j = 0; j < w.size(); ++j) {
    const LayerProfile& lp = profile.layers[j];
    PcuSlot s;
    s.alpha = upfront ? lp.alpha_upfront : lp.alpha_jit;
    const double tau = static_cast<double>(lp.threshold) * o.threshold_scale;
    s.threshold = tau >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(std::llround(tau));
    s.group = o.groups ? (*o.groups)[j] : (o.grouping ? lp.group : static_cast<int>(j));
    s.cost = costs[j];
    s.initial_bits = cascade && !sae ? chosen.first_bits.at(j) : 8;
    s.fallback_bits = cascade ? chosen.fallback_bits.at(j) : 8;
    pcu.slots.push_back(s);
  }
  for (const PcuSlot& s : pcu.slots)
    if (s.group < 0 || s.group >= static_cast<int>(pcu.slots.size()))
      throw InputError(fmt::format("group {} is outside 0..{}", s.group, pcu.slots.size() - 1));
  if (o.policy == Policy::Budget)
    pcu.budget = uniform_budget(base, o.budget_bits, o.budget_metric);

  auto remap = [&](int old) { return old < 0 ? -1 : a.main_index[old]; };
  a.main_index.assign(base.layers.size(), -1);

  if (sae && upfront) {
    const ShadowNetwork shadow = from_profile(profile, [&] { return profile_shadow_network(base, profile); });
    // Scans of the network input first, then each shadow layer followed by
    // the scans its output feeds; the last scan decides all slots.
    std::vector<std::pair<int, int>> scans;  // (shadow source, slot)
    for (size_t j = 0; j < w.size(); ++j) scans.emplace_back(shadow.source_of[j], static_cast<int>(j));
    const size_t total_scans = scans.size();
    size_t done = 0;
    auto emit_scans_for = [&](int source) {
      for (const auto& [src, slot] : scans) {
        if (src != source) continue;
        const PcuAction action = ++done == total_scans ? PcuAction::DecideAll : PcuAction::None;
        const int tensor = src < 0 ? -1 : a.shadow_index[src];
        a.add(scan_step(fmt::format("sae:{}", profile.layers[slot].name), tensor, profile.layers[slot].upfront, slot, action));
      }
    };
    a.shadow_index.assign(shadow.layers.size(), -1);
    emit_scans_for(-1);
    for (size_t i = 0; i < shadow.layers.size(); ++i) {
      Layer l = shadow.layers[i];
      l.input = l.input < 0 ? -1 : a.shadow_index[l.input];
      if (l.kind == LayerKind::Add) l.add.input_b = l.add.input_b < 0 ? -1 : a.shadow_index[l.add.input_b];
      a.shadow_index[i] = a.add(std::move(l));
      emit_scans_for(static_cast<int>(i));
    }
    if (done != total_scans) throw InputError("shadow network: a scan has no source");
  }
  for (size_t i = 0; i < base.layers.size(); ++i) {
    Layer l = base.layers[i];
    const auto it = std::find(w.begin(), w.end(), static_cast<int>(i));
    const int slot = it == w.end() ? -1 : static_cast<int>(it - w.begin());
    if (slot >= 0 && sae && !upfront) {
      // Just in time: scan this layer's own input, decide, then run it.
      a.add(scan_step(fmt::format("sae:{}", l.name), remap(l.input), profile.layers[slot].jit, slot, PcuAction::Decide));
    }
    l.input = remap(l.input);
    if (l.kind == LayerKind::Add) l.add.input_b = remap(l.add.input_b);
    if (slot >= 0) l.pcu_slot = slot;
    a.main_index[i] = a.add(std::move(l));
  }
  for (size_t j = 0; j < w.size(); ++j) pcu.slots[j].layer = a.main_index[w[j]];
  from_profile(profile, [&] {
    validate_program(a.out);
    return true;
  });
  return a.out;
}

}  // namespace aps
