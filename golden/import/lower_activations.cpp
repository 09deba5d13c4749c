// The ONNX ops fused into the layer before them (Relu, Clip, a bias Add,
// BatchNormalization) or lowered to layers without weights (a residual Add,
// average and max pooling, ReduceMean over the map).

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/onnx/ops/spatial_geometry.hpp"
#include "golden/onnx/node_attributes.hpp"

namespace aps::import {

bool takes_activation(const Layer& l) { return l.has_weights() || l.kind == LayerKind::Add; }

namespace {
// How a node's message says it combines a constant with a value: "adds",
// "subtracts", "multiplies by", "divides by".
const char* constant_verb(const std::string& op) {
  return op == "Mul" ? "multiplies by" : op == "Div" ? "divides by" : op == "Sub" ? "subtracts" : "adds";
}

// Global pooling: one window over the whole map, padding included.
void whole_map_window(Layer& l, const ActView& in) {
  l.window.kernel_h = static_cast<int>(in.padded_height());
  l.window.kernel_w = static_cast<int>(in.padded_width());
  l.out_shape.height = l.out_shape.width = 1;
}

// Ops that pass values on unchanged, on one grid (a QuantizeLinear and
// DequantizeLinear of the same parameters, a layout op), select among them
// (max pooling) or move them to another grid monotonically, keeping 0 at 0
// (a QuantizeLinear with new parameters, ProgramBuilder::requantize): ReLU
// and a clip commute with each.
bool keeps_values(const std::string& op) {
  return op == "QuantizeLinear" || op == "DequantizeLinear" || op == "MaxPool" || op == "GlobalMaxPool" ||
         op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Transpose" ||
         op == "Identity";
}
}  // namespace

const onnx::NodeProto* ProgramBuilder::sole_reader(const std::string& value) const {
  const auto readers = model_.consumers(value);
  return value == program_.output_name || readers.size() != 1 ? nullptr : readers[0];
}

std::optional<ActivationAfter> ProgramBuilder::activation_after(const std::string& value) const {
  std::optional<ActivationAfter> found;
  for (std::string v = value;;) {
    const onnx::NodeProto* read = sole_reader(v);
    if (!read) return found;
    const onnx::NodeProto& reader = *read;
    const std::string& op = reader.op_type();
    if (op == "Relu" || op == "Clip") {
      const auto [lo, hi] = op == "Relu" ? std::pair{0.0, double{INFINITY}} : clip_bounds(reader);
      if (!found) found.emplace();
      found->lo = std::max(found->lo, lo);
      found->hi = std::min(found->hi, hi);
      found->clip = found->clip || op == "Clip";
    } else if (!keeps_values(op)) {
      return found;
    }
    v = reader.output(0);
  }
}

std::pair<double, double> ProgramBuilder::clip_bounds(const onnx::NodeProto& node) const {
  double lo = -INFINITY, hi = INFINITY;
  if (model_.opset() < 11) {
    const auto ctx = context(node);
    lo = ctx.attrs.get_float("min", -3.4028234663852886e38f);
    hi = ctx.attrs.get_float("max", 3.4028234663852886e38f);
  } else {
    for (int i : {1, 2}) {
      if (node.input_size() <= i || node.input(i).empty()) continue;
      const Tensor* t = constant(node.input(i));
      if (!t || t->size() != 1) unsupported(node, "min and max must be constant scalars");
      (i == 1 ? lo : hi) = t->value(0);
    }
  }
  if (!(lo <= 0 && hi >= 0)) unsupported(node, fmt::format("clips to [{}, {}], a range without 0", lo, hi));
  return {lo, hi};
}

void ProgramBuilder::refuse_fused_input(const onnx::NodeProto& node) const {
  const std::string& x = node.input(0);
  if (const auto it = fused_.find(x); it != fused_.end())
    unsupported(node, fmt::format("reads '{}', {}: the accelerator keeps only the fused result", x, it->second));
}

void ProgramBuilder::lower_relu(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  if (pending_.count(x) && takes_activation(pending_.at(x).layer)) {
    PendingLayer p = take_pending(x, node);
    clamp_after_slope(node, p.layer, 0);
    p.layer.relu = true;
    pending_[node.output(0)] = std::move(p);
    return;
  }
  refuse_fused_input(node);
  Layer& l = layer_before(node);
  if (l.has_output_table()) {
    clamp_table(l, 0, INFINITY);
  } else {
    clamp_after_slope(node, l, 0);
    l.relu = true;
  }
  pass_through(node);
}

// A ReLU or clip after a layer's output table clamps the table's codes: its
// values lie on the table's output grid, where clamping the codes is
// clamping the values (the next grid, if another, requantizes the clamped
// codes: a bound off the grid moves by less than half a step).
void ProgramBuilder::clamp_table(Layer& l, double lo, double hi) const {
  const auto code = [&](double v) {
    return static_cast<uint8_t>(quantize_linear(v, static_cast<float>(l.out_q.scale), l.out_q.zero_point, DType::UInt8));
  };
  const uint8_t low = std::isfinite(lo) ? code(lo) : 0, high = std::isfinite(hi) ? code(hi) : 255;
  for (uint8_t& c : l.output_table) c = std::clamp(c, low, high);
}

// A ReLU, or a clip from `lo` >= 0, after a LeakyRelu or PRelu with slopes of
// at least 0 leaves what it leaves after the layer alone: the slopes go. A
// negative slope makes positive values of negative ones, and a clip from
// below 0 keeps some of the scaled values: the output stage scales or
// clamps negative values, not both.
void ProgramBuilder::clamp_after_slope(const onnx::NodeProto& node, Layer& l, double lo) const {
  if (!l.leaky()) return;
  if (lo < 0)
    unsupported(node, fmt::format("clips from {} after the negative slope of layer '{}': the output stage scales or "
                                  "clamps negative values, not both",
                                  lo, l.name));
  for (int32_t s : l.negative_slopes)
    if (s < 0)
      unsupported(node, fmt::format("follows a negative slope in layer '{}': the output stage scales or clamps "
                                    "negative values, not both",
                                    l.name));
  l.negative_slopes.clear();
}

// A Relu or Clip that reads a layer's output after the layer requantized it:
// through the output's QuantizeLinear and DequantizeLinear (an exporter that
// did not fuse the activation), a MaxPool (PyTorch's F.relu(F.max_pool2d(x)))
// or a layout op (keeps_values). On the codes of one grid ReLU is
// max(code, zero point), the floor of the layer's own requantization
// (requantize.hpp), and it commutes with taking the largest value; a clip
// whose bounds quantize to the grid's ends is its saturation. So the
// activation is the layer's, exactly, as long as nothing else reads the
// values on the way, from the value the layer's output was stored at: they
// would see it too.
Layer& ProgramBuilder::layer_before(const onnx::NodeProto& node) {
  const std::string needs = fmt::format(
      "{} must follow a Gemm, MatMul, Conv or Add, directly or through its QuantizeLinear and DequantizeLinear, "
      "a MaxPool or a layout op",
      node.op_type());
  std::string value = node.input(0);
  if (acts_.count(value) && acts_.at(value).codes)
    unsupported(node, fmt::format("reads quantized codes '{}'; expected a DequantizeLinear output", value));
  // Back to the value a layer that takes activations stored its output at
  // (finalize), through ops that keep the values (a max pooling layer's
  // among them); a Relu or Clip on the way was applied in the layer too.
  std::vector<std::string> path;
  for (;;) {
    path.push_back(value);
    const auto it = acts_.find(value);
    if (it != acts_.end() && it->second.tensor >= 0 && layer_values_.at(it->second.tensor) == value &&
        takes_activation(program_.layers[it->second.tensor]))
      break;
    const onnx::NodeProto* made = model_.producer(value);
    if (!made || !(keeps_values(made->op_type()) || made->op_type() == "Relu" || made->op_type() == "Clip"))
      unsupported(node, needs);
    value = made->input(0);
  }
  Layer& l = program_.layers[acts_.at(value).tensor];
  for (const std::string& v : path) {
    if (!sole_reader(v))
      unsupported(node, fmt::format("'{}' is read by more than this {}: applying it in layer '{}', where the "
                                    "accelerator applies activations, would change what the others read",
                                    v, node.op_type(), l.name));
  }
  return l;
}

// The output of an activation applied in an earlier layer (layer_before) is
// the value it read: a pending MaxPool moves on, anything else is the same
// view.
void ProgramBuilder::pass_through(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  if (pending_.count(x))
    pending_[node.output(0)] = take_pending(x, node);
  else
    acts_[node.output(0)] = act(x, node, true);
}

// Clip (ReLU6 and the like) after a layer. The output is quantized either
// from its calibrated range, which lies inside [min, max], or by the
// QuantizeLinear that follows: either way the requantization's saturation
// is the clip, as long as the range holds 0 (a lower bound of 0 with a
// positive zero point is ReLU). A bound strictly inside the quantized range
// would need a clamp the accelerator does not have: refused
// (clip_as_saturation).
void ProgramBuilder::lower_clip(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  const auto [lo, hi] = clip_bounds(node);
  if (pending_.count(x) && takes_activation(pending_.at(x).layer)) {
    PendingLayer p = take_pending(x, node);
    clamp_after_slope(node, p.layer, lo);
    p.clip = {std::max(lo, p.clip ? p.clip->first : lo), std::min(hi, p.clip ? p.clip->second : hi)};
    pending_[node.output(0)] = std::move(p);
    return;
  }
  refuse_fused_input(node);
  Layer& l = layer_before(node);
  if (l.has_output_table()) {
    clamp_table(l, lo, hi);
    pass_through(node);
    return;
  }
  clamp_after_slope(node, l, lo);
  // The grid of the values the clip reads (a pending MaxPool keeps its input's).
  const ActivationQuant at_clip = pending_.count(x) ? pending_.at(x).layer.in_q : act(x, node, true).q;
  clip_as_saturation(l, lo, hi, at_clip, grid_after(node.output(0)));
  pass_through(node);
}

std::optional<ActivationQuant> ProgramBuilder::known_grid(const std::string& value) {
  if (const auto q = grid_after(value)) return q;
  return calibrated_ ? std::optional(calibrated_quant(value)) : std::nullopt;
}

std::optional<ActivationQuant> ProgramBuilder::grid_after(const std::string& value) {
  for (std::string v = value;;) {
    const onnx::NodeProto* read = sole_reader(v);
    if (!read) return std::nullopt;
    const onnx::NodeProto& reader = *read;
    if (reader.op_type() == "QuantizeLinear")
      return per_tensor_params_ahead(reader) ? std::optional(quantize_params(reader)) : std::nullopt;
    if (!keeps_values(reader.op_type())) return std::nullopt;
    v = reader.output(0);
  }
}

// Add: a bias (a constant operand), or a residual Add of two activations.
void ProgramBuilder::lower_add(const onnx::NodeProto& node) {
  auto is_constant = [&](const std::string& v) { return constant(v) || qconsts_.count(v); };
  if (is_constant(node.input(1)) || is_constant(node.input(0))) return lower_bias_add(node);
  const ActView a = act(node.input(0), node);
  const ActView b = act(node.input(1), node);
  if (a.codes || b.codes) unsupported(node, "adds quantized codes directly; expected DequantizeLinear outputs");
  pending_[node.output(0)] = residual_add(node, a, b);
}

PendingLayer ProgramBuilder::residual_add(const onnx::NodeProto& node, const ActView& a, const ActView& b) const {
  if (!(a.stored == b.stored) || a.dims != b.dims || a.order != b.order)
    unsupported(node, "a residual Add needs two inputs of one shape and layout");
  PendingLayer p = new_layer(node, LayerKind::Add, a);
  p.layer.out_shape = a.stored;
  p.layer.add.input_b = b.tensor;
  p.layer.add.in_q_b = b.q;
  p.order = a.order;
  return p;
}

// A constant added to a Gemm, MatMul or Conv right before it, one value per
// output channel (or one for all), is (more of) its bias: PyTorch writes a
// MatMul's bias so, older exporters a Conv's ([C,1,1]).
void ProgramBuilder::lower_bias_add(const onnx::NodeProto& node) {
  const bool first_const = constant(node.input(0)) || qconsts_.count(node.input(0));
  const std::string& x = node.input(first_const ? 1 : 0);
  const std::string& b = node.input(first_const ? 0 : 1);
  const onnx::NodeProto* from = model_.producer(x);
  if (!pending_.count(x) && from && from->op_type() == "DequantizeLinear") return lower_quantized_constant_add(node, x, b);
  if (!affine_target(x) || pending_.at(x).bias_quant)
    unsupported(node, "an Add with a constant is supported only as the bias of a Gemm, MatMul or Conv right before it, "
                      "or after a layer's QuantizeLinear / DequantizeLinear");
  if (qconsts_.count(b)) {
    if (!pending_.at(x).bias_real.empty() || pending_.at(x).layer.kind != LayerKind::FullyConnected)
      unsupported(node, "a quantized bias Add is supported only after a MatMul without a bias");
    PendingLayer p = take_pending(x, node);
    attach_bias(p, b, node);
    pending_[node.output(0)] = std::move(p);
    return;
  }
  const Tensor* c = constant(b);
  if (!c || !c->floating())
    unsupported(node, fmt::format("'{}' is not a float or quantized constant", b));
  const std::vector<double> add = channel_values(pending_.at(x), *c, c->reals(), node);
  PendingLayer p = take_pending(x, node);
  const int64_t outs = p.layer.out_shape.channels;
  if (p.bias_real.empty()) p.bias_real.assign(static_cast<size_t>(outs), 0.0);
  for (int64_t o = 0; o < outs; ++o) p.bias_real[o] = static_cast<float>(p.bias_real[o] + add[o]);
  pending_[node.output(0)] = std::move(p);
}

// A constant added to a layer's result after its QuantizeLinear /
// DequantizeLinear (ONNX Runtime's QDQ quantizer, run without its
// pre-processing, quantizes a MatMul's or Conv's bias Add so, the constant as
// codes of its own): what ONNX Runtime's QLinearAdd of a constant computes,
// the same layer (constant_add_layer), quantized by the QuantizeLinear after it.
void ProgramBuilder::lower_quantized_constant_add(const onnx::NodeProto& node, const std::string& x,
                                                  const std::string& b) {
  const ActView in = act(x, node);
  std::vector<double> values;
  const Tensor* shape_of = nullptr;
  if (const auto it = qconsts_.find(b); it != qconsts_.end()) {
    const QuantConst& c = it->second;
    if (c.scales.size() != 1)
      unsupported(node, fmt::format("'{}' is quantized per axis; a constant added after a layer's "
                                    "QuantizeLinear / DequantizeLinear needs one scale",
                                    b));
    values = c.values();
    shape_of = &c.codes;
  } else if (const Tensor* f = constant(b); f && f->floating()) {
    values = f->reals();
    shape_of = f;
  } else {
    unsupported(node, fmt::format("'{}' is not a float or quantized constant", b));
  }
  pending_[node.output(0)] = constant_add_layer(node, in, *shape_of, values);
}

// One value per channel added to a map of codes as a layer of its own: the
// accelerator adds constants only as a layer's bias, so a 1x1 depthwise
// convolution whose weights are exactly 1 (code 64 at scale 1/64, which
// rounding half up keeps at every width from 2 bits; the layer never takes
// midpoint weights) and whose bias is the constant. It reads the codes
// as their producer saturated them (a bias folded into that producer would
// skip the saturation ONNX keeps), the constant rounded to the input's scale
// as every bias is to its accumulator's.
PendingLayer ProgramBuilder::constant_add_layer(const onnx::NodeProto& node, const ActView& in, const Tensor& c,
                                                const std::vector<double>& values) const {
  constexpr int8_t kOne = 64;
  PendingLayer p = new_layer(node, LayerKind::Conv, in);
  const int64_t channels = in.stored.channels;
  p.layer.out_shape = in.stored;
  p.layer.groups = static_cast<int>(channels);
  p.layer.weights.assign(static_cast<size_t>(channels), kOne);
  p.layer.weight_zero_points.assign(static_cast<size_t>(channels), 0);
  p.layer.weight_scales.assign(static_cast<size_t>(channels), 1.0 / kOne);
  p.layer.unit_weights = true;
  p.order = in.order;
  p.bias_real = channel_values(p, c, values, node);
  return p;
}

std::vector<double> ProgramBuilder::channel_values(const PendingLayer& p, const Tensor& c,
                                                   const std::vector<double>& values,
                                                   const onnx::NodeProto& node) const {
  const int64_t outs = p.layer.out_shape.channels;
  const std::string& op = node.op_type();
  const char* verb = constant_verb(op);  // "adds a constant [1,1,4] ...", "multiplies by a constant ..."
  // A Transpose moved the channels off the value's axis 1.
  if (!p.order.empty()) {
    const std::string what = op == "Mul"   ? fmt::format("multiplies layer '{}''s output by a constant", p.layer.name)
                             : op == "Div" ? fmt::format("divides layer '{}''s output by a constant", p.layer.name)
                             : op == "Sub" ? fmt::format("subtracts a constant from layer '{}''s output", p.layer.name)
                                           : fmt::format("adds a constant to layer '{}''s output", p.layer.name);
    unsupported(node, what + " after a Transpose moved its channels");
  }
  Shape shape = c.shape();
  const bool per_channel = shape.size() <= p.dims.size() && [&] {
    shape.insert(shape.begin(), p.dims.size() - shape.size(), 1);
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] != 1 && !(d == 1 && shape[d] == outs)) return false;
    return true;
  }();
  if (!per_channel)
    unsupported(node, fmt::format("{} a constant {} that is not one value per output channel of layer '{}' {}", verb,
                                  shape_string(c.shape()), p.layer.name, value_shape(p.dims)));
  std::vector<double> out(static_cast<size_t>(outs));
  for (int64_t o = 0; o < outs; ++o) out[o] = values[values.size() == 1 ? 0 : o];
  return out;
}

// Folds an inference BatchNormalization into the Conv / Gemm before it. Float
// weights are scaled. Quantized ones (a quantization-aware export keeps the
// BatchNormalization after the weights' QuantizeLinear / DequantizeLinear)
// keep their codes and take the gain into their channel's scale; a negative
// gain mirrors the codes about their zero point.
void ProgramBuilder::lower_batch_norm(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  if (!affine_target(x))
    unsupported(node, "BatchNormalization folds only into a Conv or Gemm right before it (before any activation)");
  if (!pending_.at(x).order.empty())
    unsupported(node, "normalizes a layer's output after a Transpose moved its channels");
  fold_channel_affine(node, x, batch_norm_affine(node, pending_.at(x).layer.out_shape.channels));
}

const PendingLayer* ProgramBuilder::affine_target(const std::string& x) const {
  const auto it = pending_.find(x);
  if (it == pending_.end() || !it->second.layer.has_weights() || it->second.layer.relu || it->second.clip ||
      it->second.layer.leaky())
    return nullptr;
  return &it->second;
}

void ProgramBuilder::fold_channel_affine(const onnx::NodeProto& node, const std::string& x, const BatchNormAffine& a) {
  PendingLayer p = take_pending(x, node);
  Layer& l = p.layer;
  const int64_t outs = l.out_shape.channels;
  p.bias_to_real();  // the weights' scales may change below
  const int64_t rest = p.float_weights.empty() ? l.weights_per_output()
                                               : static_cast<int64_t>(p.float_weights.size()) / outs;
  for (int64_t c = 0; c < outs; ++c) {
    const double g = a.gain[c];
    if (p.float_weights.empty()) {
      if (!std::isfinite(g) || g == 0)
        unsupported(node, fmt::format("channel {}'s gain is {}: quantized weights cannot take it into their scale", c, g));
      if (g < 0) {
        for (int64_t r = 0; r < rest; ++r) {
          int8_t& w = l.weights[static_cast<size_t>(c * rest + r)];
          const int32_t mirrored = 2 * l.weight_zero_points[c] - w;
          if (mirrored < -128 || mirrored > 127)
            unsupported(node, fmt::format("a negative gain on channel {} mirrors a weight code out of int8", c));
          w = static_cast<int8_t>(mirrored);
        }
      }
      l.weight_scales[c] *= std::fabs(g);
    } else {
      for (int64_t r = 0; r < rest; ++r) p.float_weights[c * rest + r] = static_cast<float>(p.float_weights[c * rest + r] * g);
    }
    p.bias_real[c] = static_cast<float>((p.bias_real[c] - a.mean[c]) * g + a.beta[c]);
  }
  pending_[node.output(0)] = std::move(p);
}

bool ProgramBuilder::lower_channel_affine(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (node.input_size() != 2) return false;
  const Tensor* c0 = constant(node.input(0));
  const Tensor* c1 = constant(node.input(1));
  if (!c0 == !c1) return false;  // two constants fold; two activations are not this
  const bool first_const = c0 != nullptr;
  const std::string& x = node.input(first_const ? 1 : 0);
  const Tensor& c = first_const ? *c0 : *c1;
  const PendingLayer* target = affine_target(x);
  if (!target)
    unsupported(node, fmt::format("a {} of a constant is supported only as a per-channel scale or offset of a Gemm, "
                                  "MatMul or Conv right before it (before any activation)",
                                  op));
  if (op == "Div" && first_const) unsupported(node, "divides a constant by a layer's output, which is not affine");
  if (!c.floating()) unsupported(node, fmt::format("'{}' is not a float constant", node.input(first_const ? 0 : 1)));
  const std::vector<double> v = channel_values(*target, c, c.reals(), node);
  BatchNormAffine a;
  for (double k : v) {
    // A gain of 0 is a layer's channel set to 0, which a float layer takes;
    // an infinite or NaN one is no layer at all.
    if (!std::isfinite(k) || (op == "Div" && k == 0))
      unsupported(node, fmt::format("{} {}: the layer's values would not be finite", constant_verb(op), k));
    a.gain.push_back(op == "Mul" ? k : op == "Div" ? 1.0 / k : first_const ? -1.0 : 1.0);
    a.mean.push_back(op == "Sub" && !first_const ? k : 0.0);
    a.beta.push_back(op == "Sub" && first_const ? k : 0.0);
  }
  fold_channel_affine(node, x, a);
  return true;
}

BatchNormAffine ProgramBuilder::batch_norm_affine(const onnx::NodeProto& node, int64_t channels) const {
  const auto ctx = context(node);
  if (ctx.attrs.get_int("training_mode", 0) != 0 || node.output_size() > 1)
    unsupported(node, "BatchNormalization in training mode");
  std::vector<const Tensor*> params;
  for (int i = 1; i <= 4; ++i) {
    const Tensor* t = constant(node.input(i));
    if (!t || !t->floating() || t->size() != channels)
      unsupported(node, "scale, B, mean and var must be constants, one per channel");
    params.push_back(t);
  }
  const double eps = ctx.attrs.get_float("epsilon", 1e-5f);
  BatchNormAffine bn;
  for (int64_t c = 0; c < channels; ++c) {
    bn.gain.push_back(params[0]->value(c) / std::sqrt(params[3]->value(c) + eps));
    bn.mean.push_back(params[2]->value(c));
    bn.beta.push_back(params[1]->value(c));
  }
  return bn;
}

void ProgramBuilder::lower_average_pool(const onnx::NodeProto& node) {
  // A Pad's zeros are values the average counts, as the window's own padding
  // does with count_include_pad: the accelerator divides by the window's area.
  const ActView in = act(node.input(0), node, true);
  if (!in.feature_map() || in.codes) unsupported(node, "average pooling needs a dequantized [N,C,H,W] or [N,C,L] input");
  PendingLayer p = new_layer(node, LayerKind::AveragePool, in);
  average_pool_window(p, node, in);
  pending_[node.output(0)] = std::move(p);
}

void ProgramBuilder::average_pool_window(PendingLayer& p, const onnx::NodeProto& node, const ActView& in) const {
  const auto ctx = context(node);
  p.layer.out_shape.channels = in.stored.channels;
  if (node.op_type() == "GlobalAveragePool" || node.op_type() == "QLinearGlobalAveragePool") {
    whole_map_window(p.layer, in);
  } else {
    const auto kernel = ctx.attrs.get_ints("kernel_shape");
    if (kernel.size() != in.spatial().size())
      unsupported(node, "only 1-D and 2-D average pooling of a map of that rank maps onto the accelerator");
    // Rounding the output size up matters only when it adds a window that
    // runs past the map (timm's ResNet-D shortcut pools an even map with it).
    if (ctx.attrs.get_int("ceil_mode", 0) != 0 &&
        spatial_geometry(ctx, in.spatial(), kernel, true).out != spatial_geometry(ctx, in.spatial(), kernel, false).out)
      unsupported(node, "ceil_mode average pooling whose last window runs past the map (its divisor varies)");
    set_window(p.layer, ctx, in.spatial(), kernel);
    const Window& w = p.layer.window;
    const bool padded = w.pad_top || w.pad_left || w.pad_bottom || w.pad_right;
    if (padded && ctx.attrs.get_int("count_include_pad", 0) == 0)
      unsupported(node, "padded average pooling without count_include_pad (its divisor varies)");
  }
  fold_padding(p.layer.window, in);
  p.dims = in.map_dims(p.layer.out_shape.channels, p.layer.out_shape.height, p.layer.out_shape.width);
}

// ReduceMean over the two spatial axes of a feature map is global average
// pooling (PyTorch writes x.mean((2, 3)) so).
void ProgramBuilder::lower_reduce_mean(const onnx::NodeProto& node) {
  const auto ctx = context(node);
  const ActView in = act(node.input(0), node);
  std::vector<int64_t> axes;
  if (model_.opset() < 18) {
    axes = ctx.attrs.get_ints("axes");
  } else if (node.input_size() > 1 && !node.input(1).empty()) {
    const Tensor* t = constant(node.input(1));
    if (!t) unsupported(node, "axes must be a constant");
    axes = t->ints();
  }
  const auto rank = static_cast<int64_t>(in.dims.size());
  for (auto& a : axes)
    if (a < 0) a += rank;
  std::sort(axes.begin(), axes.end());
  // The spatial axes of [N,C,H,W] / [N,C,L], or of the same map transposed
  // channels last, [N,H,W,C] / [N,L,C] (tf2onnx without its optimizer writes
  // Keras's global average pooling so).
  const bool last = channels_last_map(in);
  const std::vector<int64_t> spatial_axes =
      last ? (rank == 3 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2})
           : (rank == 3 ? std::vector<int64_t>{2} : std::vector<int64_t>{2, 3});
  if (!(in.feature_map() || last) || in.codes || axes != spatial_axes)
    unsupported(node, "only ReduceMean over the spatial axes of a real-valued (float or dequantized) [N,C,H,W] "
                      "or [N,C,L] input (or of one transposed channels last) maps onto the accelerator");
  PendingLayer p = new_layer(node, LayerKind::AveragePool, in);
  p.layer.out_shape.channels = in.stored.channels;
  whole_map_window(p.layer, in);
  const int64_t c = in.stored.channels;
  Shape kept = last ? Shape(in.dims.size(), 1) : in.map_dims(c, 1, 1);
  if (last) kept.back() = c;
  p.dims = ctx.attrs.get_int("keepdims", 1) ? kept : Shape{1, c};
  p.order.clear();  // one value per channel, in channel order either way
  pending_[node.output(0)] = std::move(p);
}

bool ProgramBuilder::channels_last_map(const ActView& in) const {
  const FeatureShape& s = in.stored;
  if (in.padded() || in.order.empty()) return false;
  const bool one_d = s.height == 1 && in.dims.size() == 3;
  const Shape stored = one_d ? Shape{1, s.channels, s.width} : Shape{1, s.channels, s.height, s.width};
  const std::vector<int64_t> perm = one_d ? std::vector<int64_t>{0, 2, 1} : std::vector<int64_t>{0, 2, 3, 1};
  Shape last;
  for (int64_t d : perm) last.push_back(stored[static_cast<size_t>(d)]);
  return in.dims == last && in.order == transpose_order(stored, perm);
}

void ProgramBuilder::lower_max_pool(const onnx::NodeProto& node) {
  const auto ctx = context(node);
  if (node.output_size() > 1 && !node.output(1).empty()) unsupported(node, "the Indices output is not supported");
  // A layer's float result max pooled, then quantized (TensorRT's Q/DQ sits
  // after the pooling): the pooling commutes with the monotone quantization,
  // so the layer takes the QuantizeLinear's parameters, where a calibration
  // range would need a requantizing layer after the pooling. Not with a Clip
  // in the layer (its bounds may lie inside that grid; the measured range
  // ends at them), nor a per-channel QuantizeLinear.
  const std::string& x = node.input(0);
  const onnx::NodeProto* q = sole_reader(node.output(0));
  if (const auto p = pending_.find(x); p != pending_.end() && p->second.layer.kind != LayerKind::MaxPool &&
                                       !p->second.clip && sole_reader(x) && q && q->op_type() == "QuantizeLinear" &&
                                       per_tensor_params_ahead(*q))
    finalize(x, quantize_params(*q));
  const ActView in = act(x, node);
  if (!in.feature_map()) unsupported(node, in.not_a_map("MaxPool"));
  PendingLayer p = new_layer(node, LayerKind::MaxPool, in);
  p.layer.out_shape.channels = in.stored.channels;
  if (node.op_type() == "GlobalMaxPool") {
    whole_map_window(p.layer, in);
  } else {
    const auto kernel = ctx.attrs.get_ints("kernel_shape");
    if (kernel.size() != in.spatial().size())
      unsupported(node, "only 1-D and 2-D max pooling of a map of that rank maps onto the accelerator");
    set_window(p.layer, ctx, in.spatial(), kernel);
  }
  p.dims = in.map_dims(p.layer.out_shape.channels, p.layer.out_shape.height, p.layer.out_shape.width);
  const std::string out = node.output(0);
  pending_[out] = std::move(p);
  // Max pooling selects values, so output quantization = input quantization,
  // in QOperator models (codes in, codes out) and float models alike.
  if (in.codes || format_ == ModelFormat::Float) {
    finalize(out, in.q);
    acts_.at(out).codes = in.codes;
  }
}

}  // namespace aps::import
