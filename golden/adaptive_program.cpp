#include "golden/adaptive_program.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/exit_code.hpp"

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

std::vector<int> weighted_layers(const NetworkProgram& p) {
  std::vector<int> w;
  for (size_t i = 0; i < p.layers.size(); ++i)
    if (p.layers[i].role == LayerRole::Main && p.layers[i].has_weights()) w.push_back(static_cast<int>(i));
  return w;
}

ShadowNetwork build_shadow_network(const NetworkProgram& p, const std::vector<std::vector<int64_t>>& channels) {
  const std::vector<int> w = weighted_layers(p);
  if (w.empty() || channels.size() != w.size()) throw InputError("shadow network: one channel list per layer with weights");
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::Add) throw InputError(fmt::format("{}: the up-front schedule needs a chain; layer '{}' is a residual Add", p.source, l.name));
    if (l.input != static_cast<int>(i) - 1) throw InputError(fmt::format("{}: the up-front schedule needs a chain of layers", p.source));
    if (l.has_weights() && l.groups != 1 && static_cast<int>(i) < w.back())
      throw InputError(fmt::format("{}: the up-front schedule does not copy grouped convolution '{}'", p.source, l.name));
  }
  const int last = w.back();
  // keep[i]: the output channels of main layer i the shadow network computes.
  std::vector<std::vector<int64_t>> keep(static_cast<size_t>(last));
  for (int i = last - 1; i >= 0; --i) {
    const auto it = std::find(w.begin(), w.end(), i + 1);
    keep[i] = it != w.end() ? channels[it - w.begin()] : keep[i + 1];
    for (int64_t c : keep[i])
      if (c < 0 || c >= p.layers[i].out_shape.channels)
        throw InputError(fmt::format("shadow network: channel {} is outside layer '{}'", c, p.layers[i].name));
  }
  ShadowNetwork s;
  for (int i = 0; i < last; ++i) {
    const Layer& m = p.layers[i];
    Layer l = m;
    l.name = "shadow:" + m.name;
    l.role = LayerRole::Shadow;
    l.pcu_slot = -1;
    l.input = i - 1;  // shadow indices follow main indices for i < last
    const FeatureShape in_full = i == 0 ? p.input_shape : p.layers[i - 1].out_shape;
    std::vector<int64_t> in_keep;
    if (i == 0) {
      for (int64_t c = 0; c < in_full.channels; ++c) in_keep.push_back(c);
    } else {
      in_keep = keep[i - 1];
    }
    const FeatureShape in_kept{static_cast<int64_t>(in_keep.size()), in_full.height, in_full.width};
    const std::vector<int64_t>& out_keep = keep[i];
    if (m.kind == LayerKind::MaxPool || m.kind == LayerKind::AveragePool) {
      if (in_keep != out_keep) throw InputError("shadow network: a pool must keep its input's channels");
      l.in_shape = in_kept;
      l.out_shape = {static_cast<int64_t>(out_keep.size()), m.out_shape.height, m.out_shape.width};
      if (m.kind == LayerKind::AveragePool) {
        l.multipliers.assign(out_keep.size(), m.multipliers.front());
        l.bias.assign(out_keep.size(), 0);
      }
    } else {
      const int64_t pixels = in_full.height * in_full.width;
      const bool fc = m.kind == LayerKind::FullyConnected;
      l.in_shape = fc ? FeatureShape{in_kept.size(), 1, 1} : in_kept;
      l.out_shape = fc ? FeatureShape{static_cast<int64_t>(out_keep.size()), 1, 1}
                       : FeatureShape{static_cast<int64_t>(out_keep.size()), m.out_shape.height, m.out_shape.width};
      const int64_t taps = fc ? 1 : int64_t{m.window.kernel_h} * m.window.kernel_w;
      const int64_t in_per_out_full = m.weights_per_output();
      l.weights.clear();
      l.weight_zero_points.clear();
      l.weight_scales.clear();
      l.bias.clear();
      l.multipliers.clear();
      const double ratio = static_cast<double>(in_full.channels) / static_cast<double>(in_keep.size());
      for (int64_t o : out_keep) {
        for (int64_t c : in_keep) {
          if (fc) {
            for (int64_t px = 0; px < pixels; ++px) l.weights.push_back(m.weights[o * in_per_out_full + c * pixels + px]);
          } else {
            for (int64_t t = 0; t < taps; ++t) l.weights.push_back(m.weights[(o * in_full.channels + c) * taps + t]);
          }
        }
        l.weight_zero_points.push_back(m.weight_zero_points[o]);
        l.weight_scales.push_back(m.weight_scales[o]);
        l.bias.push_back(m.bias[o]);
        l.multipliers.push_back(quantize_multiplier(std::min(200.0, real_value(m.multipliers[o]) * ratio)));
      }
      // An FC copy reads the kept channels of a feature map: its in_shape is
      // the flattened kept map, stored as (kept, H, W) by its producer.
    }
    s.layers.push_back(std::move(l));
  }
  for (int wj : w) s.source_of.push_back(wj - 1);  // the shadow copy of the layer before (-1: the network input)
  return s;
}

ShadowNetwork profile_shadow_network(const NetworkProgram& p, const CalibrationProfile& profile) {
  std::vector<std::vector<int64_t>> channels;
  for (const auto& lp : profile.layers) channels.push_back(lp.shadow_channels);
  return build_shadow_network(p, channels);
}

std::vector<LayerConfig> step_configs(const NetworkProgram& p, const std::string& precision) {
  std::vector<bool> main_weighted;
  for (const auto& l : p.layers) main_weighted.push_back(l.role == LayerRole::Main && l.has_weights());
  const PrecisionMap map = parse_precision(precision, main_weighted);
  std::vector<LayerConfig> configs;
  for (size_t i = 0; i < p.layers.size(); ++i) configs.push_back(static_config(main_weighted[i] ? map[i] : 8));
  return configs;
}

std::string main_precision_text(const NetworkProgram& p, const std::vector<LayerConfig>& configs) {
  std::vector<int> bits;
  for (size_t i = 0; i < p.layers.size(); ++i)
    if (p.layers[i].role == LayerRole::Main && p.layers[i].has_weights()) bits.push_back(configs[i].bits);
  return fmt::format("map:{}", fmt::join(bits, ","));
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
  if (o.policy == Policy::Budget && !(o.budget_bits >= 2 && o.budget_bits <= 8))
    throw InputError("the budget policy needs --budget-bits between 2 and 8");
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
  pcu.margin_threshold = o.margin_threshold.value_or(profile.margin_threshold);
  for (size_t j = 0; j < w.size(); ++j) {
    const LayerProfile& lp = profile.layers[j];
    PcuSlot s;
    s.alpha = upfront ? lp.alpha_upfront : lp.alpha_jit;
    const double tau = static_cast<double>(lp.threshold) * o.threshold_scale;
    s.threshold = tau >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(std::llround(tau));
    s.group = o.groups ? (*o.groups)[j] : (o.grouping ? lp.group : static_cast<int>(j));
    s.macs = base.layers[w[j]].macs();
    s.initial_bits = cascade && !sae ? profile.cascade_first_bits.at(j) : 8;
    s.fallback_bits = cascade ? profile.cascade_fallback_bits.at(j) : 8;
    pcu.slots.push_back(s);
  }
  for (const PcuSlot& s : pcu.slots)
    if (s.group < 0 || s.group >= static_cast<int>(pcu.slots.size()))
      throw InputError(fmt::format("group {} is outside 0..{}", s.group, pcu.slots.size() - 1));
  if (o.policy == Policy::Budget)
    pcu.budget = static_cast<uint64_t>(std::llround(o.budget_bits * static_cast<double>(base.total_macs())));

  auto remap = [&](int old) { return old < 0 ? -1 : a.main_index[old]; };
  a.main_index.assign(base.layers.size(), -1);

  if (sae && upfront) {
    const ShadowNetwork shadow = profile_shadow_network(base, profile);
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
  validate_program(a.out);
  return a.out;
}

}  // namespace aps
