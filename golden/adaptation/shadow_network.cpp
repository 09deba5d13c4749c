#include "golden/adaptation/shadow_network.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

int64_t ShadowNetwork::macs() const {
  int64_t m = 0;
  for (const Layer& l : layers) m += l.macs();
  return m;
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
    const FeatureShape in_full = p.tensor_shape(i - 1);
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

std::vector<Codes> run_shadow_network(const ShadowNetwork& shadow, const Codes& input) {
  std::vector<Codes> out;
  for (const Layer& l : shadow.layers) out.push_back(execute_layer(l, l.input < 0 ? input : out[l.input], static_config(8)));
  return out;
}

}  // namespace aps
