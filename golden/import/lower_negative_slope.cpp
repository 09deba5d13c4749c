// LeakyRelu and PRelu: a negative value times a slope, folded into the output
// stage of the layer that makes the value (golden/numerics/requantize.hpp
// negative_multiplier), one slope per output channel.

#include <algorithm>
#include <fmt/format.h>
#include <optional>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/onnx/node_attributes.hpp"
#include "golden/onnx/ops/broadcasting.hpp"

namespace aps::import {

// A pending Gemm, Conv or Add takes the slope in its own requantization: one
// rounding from the accumulator, as ONNX's float graph rounds once at the
// QuantizeLinear after it. A value already quantized (a QDQ model's
// DequantizeLinear output, a pooled map) gets a requantizing layer from its
// grid to the next QuantizeLinear's, as a QuantizeLinear to new parameters
// does; TFLite's int8 LEAKY_RELU is exactly that, a requantization with one
// multiplier for each sign.
void ProgramBuilder::lower_negative_slope(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  if (const auto it = pending_.find(x); it != pending_.end() && takes_activation(it->second.layer)) {
    const PendingLayer& held = it->second;
    // After a ReLU, or a clip from 0, nothing is negative: the slope changes nothing.
    if (held.layer.relu || (held.clip && held.clip->first >= 0)) {
      pending_[node.output(0)] = take_pending(x, node);
      return;
    }
    if (held.clip)
      unsupported(node, fmt::format("follows a Clip from {} in layer '{}': the output stage clamps or scales "
                                    "negative values, not both",
                                    held.clip->first, held.layer.name));
    if (held.layer.leaky())
      unsupported(node, fmt::format("follows another LeakyRelu or PRelu in layer '{}': the output stage holds one "
                                    "slope per channel",
                                    held.layer.name));
    PendingLayer p = take_pending(x, node);
    p.layer.negative_slopes = channel_slopes(node, p.dims, p.order, p.layer.out_shape);
    pending_[node.output(0)] = std::move(p);
    return;
  }
  refuse_fused_input(node);
  const ActView in = act(x, node, false);
  if (in.codes) unsupported(node, fmt::format("reads quantized codes '{}'; expected a DequantizeLinear output", x));
  PendingLayer p = requantizing_layer(node, in);
  p.layer.negative_slopes = channel_slopes(node, in.dims, in.order, in.stored);
  // The output's grid: the QuantizeLinear's that follows, else a float
  // model's calibrated one; else one that holds every output the input's
  // grid can make: the input's own for slopes in [0, 1], widened upwards
  // where a negative slope mirrors the input's negative end.
  std::optional<ActivationQuant> q = known_grid(node.output(0));
  if (!q) {
    const double lo = -in.q.zero_point * in.q.scale, hi = (255 - in.q.zero_point) * in.q.scale;
    const int32_t steepest = *std::min_element(p.layer.negative_slopes.begin(), p.layer.negative_slopes.end());
    q = steepest >= 0 ? in.q
                      : activation_quant_from_range(lo, std::max(hi, lo * steepest / static_cast<double>(kUnitSlope)));
  }
  ActView& v = finalize_codes(node.output(0), std::move(p), *q);
  v.codes = false;
}

std::vector<int32_t> ProgramBuilder::channel_slopes(const onnx::NodeProto& node, const Shape& dims,
                                                    const std::vector<int64_t>& order,
                                                    const FeatureShape& stored) const {
  std::vector<double> values;
  Shape shape;
  if (node.op_type() == "LeakyRelu" || node.op_type() == "QLinearLeakyRelu") {
    values = {context(node).attrs.get_float("alpha", 0.01f)};
  } else {
    const std::string& s = node.input(1);
    if (const Tensor* t = constant(s); t && t->floating()) {
      values = t->reals();
      shape = t->shape();
    } else if (const auto q = qconsts_.find(s); q != qconsts_.end()) {
      values = q->second.values();
      shape = q->second.codes.shape();
    } else {
      unsupported(node, fmt::format("slope '{}' must be a float or quantized constant", s));
    }
    shape = prelu_slope_shape(dims, shape, model_.opset());
  }
  // One sample's value: the slope must not vary with the batch either.
  Shape sample = dims;
  if (!sample.empty()) sample[0] = 1;
  bool fits = shape.size() <= sample.size();
  for (size_t k = 0; fits && k < shape.size(); ++k) {
    const int64_t d = sample[sample.size() - shape.size() + k];
    fits = shape[k] == 1 || shape[k] == d;
  }
  if (!fits)
    unsupported(node, fmt::format("slope {} does not broadcast onto one sample of its input, {}", shape_string(shape),
                                  shape_string(sample)));
  const auto at = broadcast_offsets(sample, shape);
  const int64_t pixels = stored.height * stored.width;
  std::vector<std::optional<double>> slope(static_cast<size_t>(stored.channels));
  for (size_t i = 0; i < at.size(); ++i) {
    const int64_t c = (order.empty() ? static_cast<int64_t>(i) : order[i]) / pixels;
    const double s = values[static_cast<size_t>(at[i])];
    if (!slope[c]) slope[c] = s;
    else if (*slope[c] != s && !(std::isnan(s) && std::isnan(*slope[c])))
      unsupported(node, fmt::format("the slope varies within channel {} ({} and {}): the output stage holds one "
                                    "slope per channel",
                                    c, *slope[c], s));
  }
  std::vector<int32_t> codes;
  for (size_t c = 0; c < slope.size(); ++c) {
    const double s = slope[c].value_or(0.0);
    if (!std::isfinite(s) || std::fabs(s) > 1.0)
      unsupported(node, fmt::format("slope {} of channel {} is beyond [-1, 1]: the output stage scales a negative "
                                    "value by at most its own size",
                                    s, c));
    codes.push_back(slope_code(s));
  }
  return codes;
}

}  // namespace aps::import
