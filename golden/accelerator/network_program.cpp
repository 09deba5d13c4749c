#include "golden/accelerator/network_program.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/rounding.hpp"

namespace aps {

std::string_view layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::FullyConnected: return "fc";
    case LayerKind::Conv: return "conv";
    case LayerKind::MaxPool: return "maxpool";
    case LayerKind::AveragePool: return "avgpool";
    case LayerKind::Add: return "add";
    case LayerKind::SaeScan: return "sae-scan";
  }
  return "?";
}

int64_t Layer::weights_per_output() const {
  return (in_shape.channels / groups) * window.kernel_h * window.kernel_w;
}

int32_t Layer::bias_at(int bits, int64_t channel) const {
  if (bits < kMinBits) throw std::logic_error(fmt::format("layer '{}': no bias at {} bits", name, bits));
  if (bits >= kMaxBits || bias_correction.empty()) return bias[channel];
  return saturate_int32(int64_t{bias[channel]} + bias_correction[bias_correction_offset(bits) + channel]);
}

std::optional<int32_t> Layer::negative_multiplier(int64_t channel) const {
  if (!leaky()) return std::nullopt;
  return aps::negative_multiplier(multipliers[channel], negative_slopes[channel]);
}

int64_t Layer::macs() const {
  if (!has_weights()) return 0;
  return out_shape.size() * weights_per_output();
}

int64_t NetworkProgram::total_macs() const {
  int64_t n = 0;
  for (const auto& l : layers)
    if (l.role == LayerRole::Main) n += l.macs();
  return n;
}

std::vector<int> weighted_layers(const NetworkProgram& p) {
  std::vector<int> w;
  for (size_t i = 0; i < p.layers.size(); ++i)
    if (p.layers[i].role == LayerRole::Main && p.layers[i].has_weights()) w.push_back(static_cast<int>(i));
  return w;
}

namespace {

// FNV-1a, 64 bit: stable across platforms and runs, unlike std::hash.
class Fnv1a {
 public:
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      h_ ^= b[i];
      h_ *= 0x100000001b3ULL;
    }
  }
  template <typename T>
  void value(const T& v) { bytes(&v, sizeof(v)); }
  template <typename T>
  void vec(const std::vector<T>& v) {
    value(v.size());
    if (!v.empty()) bytes(v.data(), v.size() * sizeof(T));
  }
  uint64_t digest() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

void hash_shape(Fnv1a& h, const FeatureShape& s) {
  h.value(s.channels);
  h.value(s.height);
  h.value(s.width);
}

void hash_quant(Fnv1a& h, const ActivationQuant& q) {
  h.value(static_cast<float>(q.scale));
  h.value(q.zero_point);
}

}  // namespace

float InputStep::apply(float x, size_t raw) const {
  const float c = constant[raw];
  switch (op) {
    case Op::Add: return x + c;
    case Op::Sub: return constant_first ? c - x : x - c;
    case Op::Mul: return x * c;
    case Op::Div: return constant_first ? c / x : x / c;
  }
  return x;
}

uint64_t NetworkProgram::fingerprint() const {
  Fnv1a h;
  hash_shape(h, input_shape);
  hash_quant(h, input_q);
  if (!input_order.empty()) h.vec(input_order);
  for (const auto& step : input_steps) {
    h.value(static_cast<int>(step.op));
    h.value(step.constant_first);
    h.vec(step.constant);
  }
  if (input_patches.enabled()) {
    hash_shape(h, input_patches.raw);
    h.value(input_patches.window);
  }
  for (const auto& l : layers) {
    h.value(static_cast<int>(l.kind));
    h.value(l.input);
    hash_shape(h, l.in_shape);
    hash_shape(h, l.out_shape);
    hash_quant(h, l.in_q);
    hash_quant(h, l.out_q);
    h.value(l.relu);
    h.value(l.window);
    h.value(l.groups);
    h.value(l.add.input_b);
    hash_quant(h, l.add.in_q_b);
    h.value(l.add.multiplier_a);
    h.value(l.add.multiplier_b);
    h.value(l.add.left_shift);
    h.value(l.role);
    h.value(l.pcu_slot);
    h.value(l.scan.tensor);
    h.vec(l.scan.elements);
    h.vec(l.scan.coefficients);
    h.value(l.scan.slot);
    h.value(l.scan.action);
    h.vec(l.weights);
    h.vec(l.weight_zero_points);
    h.value(l.weight_reduction);
    h.vec(l.bias);
    h.vec(l.bias_correction);
    for (const auto& m : l.multipliers) {
      h.value(m.multiplier);
      h.value(m.shift);
    }
    h.vec(l.negative_slopes);
    h.vec(l.output_table);
    if (l.has_output_table()) hash_quant(h, l.table_in_q);
  }
  h.vec(pcu.candidates);
  for (const auto& s : pcu.slots) {
    h.value(s.layer);
    h.vec(s.alpha);
    h.value(s.threshold);
    h.value(s.group);
    h.vec(s.cost);
    h.value(s.initial_bits);
    h.value(s.fallback_bits);
  }
  h.value(pcu.adaptive_scaling);
  h.value(pcu.budget);
  h.value(pcu.cascade);
  h.value(pcu.gate.margin_weight);
  h.value(pcu.gate.third_weight);
  h.value(pcu.gate.threshold);
  return h.digest();
}

void NetworkProgram::set_weight_reduction(WeightReduction r) {
  for (Layer& l : layers)
    if (l.has_weights()) l.weight_reduction = l.takes_midpoint_weights() ? r : WeightReduction::RoundHalfUp;
}

std::string NetworkProgram::describe() const {
  std::string s = fmt::format("input {}x{}x{} scale {:.6g} zp {}\n", input_shape.channels, input_shape.height,
                              input_shape.width, input_q.scale, input_q.zero_point);
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    s += fmt::format("L{} {:<8} {:<16} in {}x{}x{} -> out {}x{}x{}  k{}x{} s{} macs {}  out scale {:.6g} zp {}{}{}\n", i,
                     layer_kind_name(l.kind), l.name, l.in_shape.channels, l.in_shape.height, l.in_shape.width,
                     l.out_shape.channels, l.out_shape.height, l.out_shape.width, l.window.kernel_h, l.window.kernel_w,
                     l.window.stride_h, l.macs(), l.out_q.scale, l.out_q.zero_point,
                     l.relu ? " relu" : l.leaky() ? " leaky" : "", l.has_output_table() ? " table" : "");
  }
  return s;
}

void validate_program(const NetworkProgram& p) {
  auto fail = [&](const Layer& l, const std::string& what) {
    throw InputError(fmt::format("{}: layer '{}': {}", p.source, l.name, what));
  };
  if (p.layers.empty()) throw InputError(fmt::format("{}: the network program has no layers", p.source));
  if (!p.input_order.empty()) {
    const int64_t raw = p.raw_input_shape().size();
    std::vector<bool> seen(static_cast<size_t>(raw), false);
    bool ok = static_cast<int64_t>(p.input_order.size()) == raw;
    for (int64_t i : p.input_order) {
      ok = ok && i >= 0 && i < raw && !seen[i];
      if (ok) seen[i] = true;
    }
    if (!ok) throw InputError(fmt::format("{}: the input order is not a permutation of the input's elements", p.source));
  }
  for (const auto& step : p.input_steps) {
    if (static_cast<int64_t>(step.constant.size()) != p.raw_input_shape().size())
      throw InputError(fmt::format("{}: an input normalization step has {} constants for {} input elements", p.source,
                                   step.constant.size(), p.raw_input_shape().size()));
    for (float c : step.constant)
      if (!std::isfinite(c))
        throw InputError(fmt::format("{}: an input normalization constant is not a finite number ({})", p.source, c));
  }
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) {
      const SaeScanParams& s = l.scan;
      if (s.tensor >= static_cast<int>(i) || s.tensor < -1) fail(l, "scans a tensor that is not produced earlier");
      if (s.tensor >= 0 && !p.layers[s.tensor].produces_output()) fail(l, "scans a step that produces no tensor");
      const FeatureShape& t = p.tensor_shape(s.tensor);
      if (s.elements.size() != s.coefficients.size()) fail(l, "needs one coefficient per element");
      for (int64_t e : s.elements)
        if (e < 0 || e >= t.size()) fail(l, fmt::format("element {} is outside the scanned tensor", e));
      for (uint32_t c : s.coefficients)
        if (c > 0xffff) fail(l, "coefficients must fit 16 bits");
      if (s.slot < 0 || s.slot >= static_cast<int>(p.pcu.slots.size())) fail(l, "scans for a PCU slot that does not exist");
      continue;
    }
    if (l.pcu_slot >= static_cast<int>(p.pcu.slots.size()) || (l.pcu_slot >= 0 && !l.has_weights()))
      fail(l, "names a PCU slot that does not exist or has no weights to configure");
    if (l.input >= static_cast<int>(i) || l.input < -1) fail(l, "its input is not an earlier layer");
    if (l.input >= 0 && !p.layers[l.input].produces_output()) fail(l, "its input is a step that produces no tensor");
    const FeatureShape& src = p.tensor_shape(l.input);
    if (src.size() != l.in_shape.size()) fail(l, fmt::format("input has {} elements, expected {}", src.size(), l.in_shape.size()));
    const ActivationQuant& src_q = p.tensor_quant(l.input);
    if (!(src_q == l.in_q)) fail(l, "input quantization differs from its producer's output quantization");
    if (l.kind == LayerKind::Add) {
      if (l.add.input_b >= static_cast<int>(i) || l.add.input_b < -1) fail(l, "its second input is not an earlier layer");
      if (l.add.input_b >= 0 && !p.layers[l.add.input_b].produces_output()) fail(l, "its second input produces no tensor");
      const FeatureShape& b = p.tensor_shape(l.add.input_b);
      const ActivationQuant& bq = p.tensor_quant(l.add.input_b);
      if (!(b == l.in_shape) || !(src == l.in_shape) || !(l.out_shape == l.in_shape))
        fail(l, "the two inputs and the output of an Add must have one shape");
      if (!(bq == l.add.in_q_b)) fail(l, "second input quantization differs from its producer's");
    }
    if (l.kind == LayerKind::MaxPool && !(l.out_q == l.in_q)) fail(l, "max pooling must keep its input quantization");
    if (l.requantizes() && static_cast<int64_t>(l.multipliers.size()) != l.out_shape.channels)
      fail(l, "needs one requantization multiplier per output channel");
    if (l.leaky()) {
      if (!l.requantizes() || static_cast<int64_t>(l.negative_slopes.size()) != l.out_shape.channels)
        fail(l, "a negative slope needs a layer that requantizes, one slope per output channel");
      if (l.relu) fail(l, "has both a ReLU and a negative slope");
      for (int32_t s : l.negative_slopes)
        if (s < -kUnitSlope || s > kUnitSlope) fail(l, fmt::format("negative slope code {} is beyond [-1, 1]", s));
    }
    if (l.has_output_table() && (!l.requantizes() || l.output_table.size() != 256 ||
                                 l.table_in_q.zero_point < 0 || l.table_in_q.zero_point > 255 ||
                                 !is_positive_scale(l.table_in_q.scale)))
      fail(l, "an output table needs a layer that requantizes, 256 codes and the grid it reads");
    if (!l.has_weights() && l.requantizes() && static_cast<int64_t>(l.bias.size()) != l.out_shape.channels)
      fail(l, "needs one (zero) bias per output channel");
    for (const auto* q : {&l.in_q, &l.out_q})
      if (q->zero_point < 0 || q->zero_point > 255 || !is_positive_scale(q->scale)) fail(l, "activation scale/zero point out of range");
    if (!l.has_weights() && !l.bias_correction.empty()) fail(l, "has a bias correction but no weights");
    if (l.weight_reduction == WeightReduction::Midpoint && !l.takes_midpoint_weights())
      fail(l, "midpoint weights on a grouped convolution that is not depthwise");
    if (!l.has_weights()) continue;
    const int64_t outs = l.out_shape.channels;
    if (l.groups < 1 || l.in_shape.channels % l.groups || outs % l.groups) fail(l, "groups do not divide the channels");
    if (static_cast<int64_t>(l.weights.size()) != outs * l.weights_per_output()) fail(l, "weight count does not match the shape");
    if (static_cast<int64_t>(l.weight_zero_points.size()) != outs || static_cast<int64_t>(l.bias.size()) != outs ||
        static_cast<int64_t>(l.multipliers.size()) != outs || static_cast<int64_t>(l.weight_scales.size()) != outs)
      fail(l, "per-channel parameters do not have one entry per output channel");
    if (!l.bias_correction.empty() && static_cast<int64_t>(l.bias_correction.size()) != l.bias_correction_entries())
      fail(l, fmt::format("bias correction has {} entries, not one per output channel and width {}..{}",
                          l.bias_correction.size(), kMinBits, kMaxBits - 1));
    for (int32_t z : l.weight_zero_points)
      if (z < -128 || z > 127) fail(l, fmt::format("weight zero point {} is outside int8", z));
  }
  if (p.layers.back().kind == LayerKind::SaeScan || p.layers.back().role != LayerRole::Main)
    throw InputError(fmt::format("{}: the last step of a program must be its output layer", p.source));
  const PcuProgram& pcu = p.pcu;
  for (size_t c = 0; c < pcu.candidates.size(); ++c)
    if (pcu.candidates[c] < 2 || pcu.candidates[c] > 7 || (c > 0 && pcu.candidates[c] <= pcu.candidates[c - 1]))
      throw InputError(fmt::format("{}: candidate widths must ascend within 2..7", p.source));
  if (pcu.candidates.size() > 4) throw InputError(fmt::format("{}: at most 4 candidate widths", p.source));
  for (size_t s = 0; s < pcu.slots.size(); ++s) {
    const PcuSlot& slot = pcu.slots[s];
    if (slot.layer < 0 || slot.layer >= static_cast<int>(p.layers.size()) ||
        p.layers[slot.layer].pcu_slot != static_cast<int>(s))
      throw InputError(fmt::format("{}: PCU slot {} does not point at its layer", p.source, s));
    if (slot.alpha.size() != pcu.candidates.size())
      throw InputError(fmt::format("{}: PCU slot {} needs one alpha per candidate", p.source, s));
    if (slot.group < 0 || slot.group >= static_cast<int>(pcu.slots.size()))
      throw InputError(fmt::format("{}: PCU slot {} has group {} (0..{})", p.source, s, slot.group, pcu.slots.size() - 1));
    for (int b : {slot.initial_bits, slot.fallback_bits})
      if (b < 2 || b > 8) throw InputError(fmt::format("{}: PCU slot {} width {} outside 2..8", p.source, s, b));
  }
  check_gate(pcu.gate, p.source);
}

}  // namespace aps
