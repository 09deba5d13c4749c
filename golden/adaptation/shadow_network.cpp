#include "golden/adaptation/shadow_network.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

int64_t ShadowNetwork::macs() const {
  int64_t m = 0;
  for (const Layer& l : layers) m += l.macs();
  return m;
}

namespace {

// Output channel c of such a layer reads input channel c alone.
bool keeps_channels_apart(const Layer& l) {
  return l.kind == LayerKind::MaxPool || l.kind == LayerKind::AveragePool || l.kind == LayerKind::Add || l.is_depthwise();
}

// Union-find over tensors (0 = the network input, i + 1 = layer i's output).
struct TensorSets {
  std::vector<int> parent;
  explicit TensorSets(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int t) { return parent[t] == t ? t : parent[t] = find(parent[t]); }
  void join(int a, int b) { parent[find(a)] = find(b); }
};

std::vector<int64_t> all_channels(int64_t n) {
  std::vector<int64_t> c(static_cast<size_t>(n));
  std::iota(c.begin(), c.end(), 0);
  return c;
}

}  // namespace

int64_t ShadowNetwork::position(int layer, int64_t channel) const {
  const std::vector<int64_t>& k = kept.at(static_cast<size_t>(layer));
  const auto it = std::lower_bound(k.begin(), k.end(), channel);
  if (it == k.end() || *it != channel)
    throw InputError(fmt::format("shadow network: channel {} is not kept by '{}'", channel, layers[layer].name));
  return it - k.begin();
}

ShadowNetwork build_shadow_network(const NetworkProgram& p, const std::vector<std::vector<int64_t>>& channels) {
  const std::vector<int> w = weighted_layers(p);
  if (w.empty() || channels.size() != w.size()) throw InputError("shadow network: one channel list per layer with weights");
  const int last = w.back();
  for (int i = 0; i < last; ++i) {
    const Layer& l = p.layers[i];
    if (l.has_weights() && l.groups != 1 && !keeps_channels_apart(l))
      throw InputError(fmt::format("{}: the up-front schedule does not copy grouped convolution '{}'", p.source, l.name));
  }
  for (size_t j = 0; j < w.size(); ++j) {
    const int src = p.layers[w[j]].input;
    const int64_t limit = p.tensor_shape(src).channels;
    for (int64_t c : channels[j])
      if (c < 0 || c >= limit)
        throw InputError(fmt::format("shadow network: channel {} is outside {}", c,
                                     src < 0 ? std::string("the network input") : "layer '" + p.layers[src].name + "'"));
  }
  // Tensors tied by layers that keep channels apart share one kept set.
  TensorSets sets(static_cast<size_t>(last) + 1);
  auto tensor = [](int producer) { return producer + 1; };
  for (int i = 0; i < last; ++i) {
    const Layer& l = p.layers[i];
    if (!keeps_channels_apart(l)) continue;
    sets.join(tensor(i), tensor(l.input));
    if (l.kind == LayerKind::Add) sets.join(tensor(i), tensor(l.add.input_b));
  }
  std::vector<std::set<int64_t>> need(static_cast<size_t>(last) + 1);
  for (size_t j = 0; j < w.size(); ++j)
    need[sets.find(tensor(p.layers[w[j]].input))].insert(channels[j].begin(), channels[j].end());
  const int input_set = sets.find(tensor(-1));
  ShadowNetwork s;
  for (int i = 0; i < last; ++i) {
    const int set = sets.find(tensor(i));
    if (set == input_set) {
      s.kept.push_back(all_channels(p.layers[i].out_shape.channels));
    } else {
      if (need[set].empty())
        throw InputError(fmt::format("{}: the up-front schedule copies layer '{}', which no later slice reads", p.source,
                                     p.layers[i].name));
      s.kept.emplace_back(need[set].begin(), need[set].end());
    }
  }
  auto kept_of = [&](int producer) {
    return producer < 0 ? all_channels(p.tensor_shape(-1).channels) : s.kept[static_cast<size_t>(producer)];
  };
  for (int i = 0; i < last; ++i) {
    const Layer& m = p.layers[i];
    Layer l = m;
    l.name = "shadow:" + m.name;
    l.role = LayerRole::Shadow;
    l.pcu_slot = -1;
    l.bias_correction.clear();  // measured for the whole layer, not the kept channels
    const FeatureShape in_full = p.tensor_shape(m.input);
    const std::vector<int64_t> in_keep = kept_of(m.input);
    const std::vector<int64_t>& out_keep = s.kept[static_cast<size_t>(i)];
    const auto kept_count = static_cast<int64_t>(out_keep.size());
    const FeatureShape in_kept{static_cast<int64_t>(in_keep.size()), in_full.height, in_full.width};
    if (!m.has_weights()) {
      // Pooling and Add: the same set in and out (tied above), with the
      // kept channels' requantization.
      l.in_shape = in_kept;
      l.out_shape = {kept_count, m.out_shape.height, m.out_shape.width};
      if (m.requantizes()) {
        l.multipliers.clear();
        l.bias.clear();
        for (int64_t o : out_keep) {
          l.multipliers.push_back(m.multipliers.at(static_cast<size_t>(o)));
          l.bias.push_back(m.bias.at(static_cast<size_t>(o)));
        }
      }
    } else if (keeps_channels_apart(m)) {
      // Depthwise: each kept channel with its own taps, at its full fan-in.
      const int64_t taps = int64_t{m.window.kernel_h} * m.window.kernel_w;
      l.in_shape = in_kept;
      l.out_shape = {kept_count, m.out_shape.height, m.out_shape.width};
      l.groups = static_cast<int>(kept_count);
      l.weights.clear();
      l.weight_zero_points.clear();
      l.weight_scales.clear();
      l.bias.clear();
      l.multipliers.clear();
      for (int64_t o : out_keep) {
        for (int64_t t = 0; t < taps; ++t) l.weights.push_back(m.weights[o * taps + t]);
        l.weight_zero_points.push_back(m.weight_zero_points[o]);
        l.weight_scales.push_back(m.weight_scales[o]);
        l.bias.push_back(m.bias[o]);
        l.multipliers.push_back(m.multipliers[o]);
      }
    } else {
      const int64_t pixels = in_full.height * in_full.width;
      const bool fc = m.kind == LayerKind::FullyConnected;
      l.in_shape = fc ? FeatureShape{in_kept.size(), 1, 1} : in_kept;
      l.out_shape = fc ? FeatureShape{kept_count, 1, 1} : FeatureShape{kept_count, m.out_shape.height, m.out_shape.width};
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
    if (m.leaky()) {
      l.negative_slopes.clear();
      for (int64_t o : out_keep) l.negative_slopes.push_back(m.negative_slopes.at(static_cast<size_t>(o)));
    }
    s.layers.push_back(std::move(l));
  }
  for (int wj : w) s.source_of.push_back(p.layers[wj].input);  // shadow indices are main indices (-1: the network input)
  return s;
}

ShadowNetwork profile_shadow_network(const NetworkProgram& p, const CalibrationProfile& profile) {
  std::vector<std::vector<int64_t>> channels;
  for (const auto& lp : profile.layers) channels.push_back(lp.shadow_channels);
  return build_shadow_network(p, channels);
}

std::vector<Codes> run_shadow_network(const ShadowNetwork& shadow, const Codes& input) {
  std::vector<Codes> out;
  auto tensor = [&](int producer) -> const Codes& { return producer < 0 ? input : out[static_cast<size_t>(producer)]; };
  for (const Layer& l : shadow.layers) {
    if (l.kind == LayerKind::Add)
      out.push_back(execute_layer(l, tensor(l.input), static_config(8), tensor(l.add.input_b)));
    else
      out.push_back(execute_layer(l, tensor(l.input), static_config(8)));
  }
  return out;
}

}  // namespace aps
