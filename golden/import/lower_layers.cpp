// The ONNX ops that become layers with weights: Gemm / MatMul (fully
// connected), Conv, and their QOperator forms QLinearMatMul / QLinearConv.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/onnx/ops/spatial_geometry.hpp"

namespace aps::import {

// Per-output-channel int8 weights, canonicalised, from a quantized constant.
// `out_axis` is the dimension of the codes that indexes output channels; the
// result is laid out [out][rest...] in row-major order of the others.
ChannelWeights ProgramBuilder::channel_weights(const QuantConst& c, int out_axis, const onnx::NodeProto& node) const {
  const Tensor& codes = c.codes;
  if (codes.dtype() != DType::Int8 && codes.dtype() != DType::UInt8) unsupported(node, "weights must be int8 or uint8");
  if (c.scales.size() != 1 && c.axis != out_axis)
    unsupported(node, "per-channel weight scales must run along the output channels");
  // The rank and the per-channel counts are checked before anything is
  // indexed by output channel.
  if (codes.rank() <= out_axis) unsupported(node, fmt::format("weights must have at least {} dimensions", out_axis + 1));
  const Shape& s = codes.shape();
  const int64_t outs = s[out_axis];
  if (outs < 1) unsupported(node, "weights have no output channels");
  if (c.scales.size() != 1 && static_cast<int64_t>(c.scales.size()) != outs)
    unsupported(node, fmt::format("{} weight scales for {} output channels", c.scales.size(), outs));
  const int64_t rest = codes.size() / outs;
  const auto strides = row_major_strides(s);
  const bool to_signed = codes.dtype() == DType::UInt8;
  ChannelWeights w;
  w.codes.resize(static_cast<size_t>(codes.size()));
  for (int64_t o = 0; o < outs; ++o) {
    // Walk the other dimensions in row-major order.
    for (int64_t r = 0; r < rest; ++r) {
      int64_t rem = r, flat = o * strides[out_axis];
      for (int d = codes.rank() - 1; d >= 0; --d) {
        if (d == out_axis) continue;
        flat += (rem % s[d]) * strides[d];
        rem /= s[d];
      }
      w.codes[o * rest + r] = static_cast<int8_t>(codes.ints()[flat] - (to_signed ? 128 : 0));
    }
    const size_t k = c.scales.size() == 1 ? 0 : static_cast<size_t>(o);
    w.scales.push_back(c.scales[k]);
    w.zero_points.push_back(static_cast<int32_t>(c.zero_points[k] - (to_signed ? 128 : 0)));
    // A channel at scale 0 has weights 0 whatever its codes say: codes equal
    // to its zero point say so at every width (finalize gives it a scale).
    if (c.scales[k] == 0.0) {
      if (w.zero_points.back() < -128 || w.zero_points.back() > 127)
        unsupported(node, fmt::format("weight zero point of channel {} is out of the codes' range", o));
      std::fill_n(w.codes.begin() + o * rest, rest, static_cast<int8_t>(w.zero_points.back()));
    }
  }
  return w;
}

// A float weight tensor in [out][rest] order (rest row-major over the other
// dimensions): the layout the network program stores.
std::vector<double> ProgramBuilder::float_channel_major(const Tensor& f, int out_axis) const {
  const Shape& s = f.shape();
  const auto strides = row_major_strides(s);
  const int64_t outs = s[out_axis];
  const int64_t rest = f.size() / std::max<int64_t>(outs, 1);
  std::vector<double> w(static_cast<size_t>(f.size()));
  for (int64_t o = 0; o < outs; ++o)
    for (int64_t r = 0; r < rest; ++r) {
      int64_t rem = r, flat = o * strides[out_axis];
      for (int d = f.rank() - 1; d >= 0; --d) {
        if (d == out_axis) continue;
        flat += (rem % s[d]) * strides[d];
        rem /= s[d];
      }
      w[o * rest + r] = f.reals()[flat];
    }
  return w;
}

void ProgramBuilder::attach_bias(PendingLayer& p, const std::string& value, const onnx::NodeProto& node) {
  const int64_t outs = p.layer.out_shape.channels;
  // Gemm's C broadcasts to [batch, outs]: one value for every channel, or one
  // per channel along its last axis ([outs] or [1, outs]; [outs, 1] would be
  // one per sample). A Conv's B is [outs].
  const bool gemm = node.op_type() == "Gemm";
  const bool quantized = qconsts_.count(value) > 0;
  const Tensor* b = quantized ? nullptr : constant(value);
  if (!quantized && (!b || !b->floating()))
    unsupported(node, fmt::format("'{}' is not a float or quantized constant", value));
  const Shape c_shape = quantized ? qconsts_.at(value).codes.shape() : b->shape();
  if (gemm && outs > 1) {
    if (c_shape.size() == 2 && c_shape[0] != 1)
      unsupported(node, fmt::format("bias {} must have one value per output channel ({})", shape_string(c_shape), outs));
    if (std::all_of(c_shape.begin(), c_shape.end(), [](int64_t d) { return d == 1; })) {
      const double v = quantized ? qconsts_.at(value).values().at(0) : b->reals().at(0);
      p.bias_real.assign(static_cast<size_t>(outs), v);
      return;
    }
  }
  if (quantized) {
    const QuantConst& c = qconsts_.at(value);
    if (c.codes.size() != outs || (c.scales.size() != 1 && static_cast<int64_t>(c.scales.size()) != outs))
      unsupported(node, fmt::format("bias must have one value per output channel ({})", outs));
    if (c.codes.dtype() == DType::Int32) {
      p.bias_quant = c;
      return;
    }
    // Narrower codes at a scale of their own (8-bit biases, as some
    // quantizers write them): their values, as a float bias's.
    p.bias_real = c.values();
    return;
  }
  if (b->size() != outs)
    unsupported(node, fmt::format("bias {} must have one value per output channel ({})", shape_string(b->shape()), outs));
  p.bias_real.assign(b->reals().begin(), b->reals().end());
}

namespace {
// A fully connected layer reads its input in the stored tensor's order: move
// the weight of input feature f (in the value's order) to the stored index
// order[f].
template <typename T>
void reorder_columns(std::vector<T>& w, int64_t outs, const std::vector<int64_t>& order) {
  if (order.empty()) return;
  const int64_t k = static_cast<int64_t>(order.size());
  std::vector<T> moved(w.size());
  for (int64_t o = 0; o < outs; ++o)
    for (int64_t f = 0; f < k; ++f) moved[o * k + order[f]] = w[o * k + f];
  w = std::move(moved);
}
}  // namespace

void ProgramBuilder::lower_fully_connected(const onnx::NodeProto& node) {
  const auto ctx = context(node);
  const bool gemm = node.op_type() == "Gemm";
  if (gemm && ctx.attrs.get_int("transA", 0) != 0)
    unsupported(node, "only Gemm with transA=0 maps onto a fully connected layer");
  // Gemm computes alpha * A * B + beta * C: alpha folds into the weights and
  // beta into the bias, as the float values ONNX multiplies.
  const double alpha = gemm ? ctx.attrs.get_float("alpha", 1.0f) : 1.0;
  const double beta = gemm ? ctx.attrs.get_float("beta", 1.0f) : 1.0;
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    unsupported(node, fmt::format("alpha {} and beta {} must be finite", alpha, beta));
  const ActView in = act(node.input(0), node);
  if (in.codes) unsupported(node, "reads quantized codes directly; expected a DequantizeLinear in between");
  if (!in.vector()) unsupported(node, fmt::format("input is {}; a fully connected layer reads [N, features] (insert Flatten)",
                                                  value_shape(in.dims)));
  const bool trans_b = gemm && ctx.attrs.get_int("transB", 0) != 0;
  PendingLayer p = new_layer(node, LayerKind::FullyConnected, in);
  p.layer.in_shape = {in.stored.size(), 1, 1};
  const int out_axis = trans_b ? 0 : 1;
  int64_t outs = 0, count = 0;
  if (qconsts_.count(node.input(1))) {
    ChannelWeights w = channel_weights(qconsts_.at(node.input(1)), out_axis, node);
    outs = static_cast<int64_t>(w.scales.size());
    count = static_cast<int64_t>(w.codes.size());
    if (outs * in.stored.size() == count) reorder_columns(w.codes, outs, in.order);
    if (alpha <= 0) unsupported(node, fmt::format("alpha {} with quantized weights: a weight scale must be positive", alpha));
    for (double& scale : w.scales) scale *= alpha;
    p.layer.weights = w.codes;
    p.layer.weight_zero_points = w.zero_points;
    p.layer.weight_scales = w.scales;
  } else {
    const Tensor* f = constant(node.input(1));
    if (!f || !f->floating()) unsupported(node, fmt::format("'{}' is not a float or quantized constant", node.input(1)));
    if (f->rank() != 2) unsupported(node, "weights must be 2-D");
    outs = f->shape()[out_axis];
    if (outs < 1) unsupported(node, "weights have no output channels");
    p.float_weights = float_channel_major(*f, out_axis);
    for (double& v : p.float_weights) v *= alpha;
    count = static_cast<int64_t>(p.float_weights.size());
    if (outs * in.stored.size() == count) reorder_columns(p.float_weights, outs, in.order);
  }
  if (outs * in.stored.size() != count) unsupported(node, fmt::format("weights do not match {} inputs", in.stored.size()));
  p.layer.out_shape = {outs, 1, 1};
  p.dims = {1, outs};
  if (gemm && node.input_size() > 2 && !node.input(2).empty()) {
    attach_bias(p, node.input(2), node);
    if (beta != 1.0) {
      if (p.bias_quant) p.bias_real = p.bias_quant->values();
      p.bias_quant.reset();
      for (double& b : p.bias_real) b *= beta;
    }
  }
  pending_[node.output(0)] = std::move(p);
}

void ProgramBuilder::lower_conv(const onnx::NodeProto& node) {
  const auto ctx = context(node);
  const ActView in = act(node.input(0), node, true);
  if (in.codes) unsupported(node, "reads quantized codes directly; expected a DequantizeLinear in between");
  if (!in.feature_map())
    unsupported(node, in.not_a_map("a convolution"));
  PendingLayer p = new_layer(node, LayerKind::Conv, in);
  const Tensor* wf = constant(node.input(1));
  const Shape wshape = qconsts_.count(node.input(1)) ? qconsts_.at(node.input(1)).codes.shape() : wf ? wf->shape() : Shape{};
  if (!qconsts_.count(node.input(1)) && (!wf || !wf->floating()))
    unsupported(node, fmt::format("'{}' is not a float or quantized constant", node.input(1)));
  if (wshape.size() != in.dims.size()) unsupported(node, "only 1-D and 2-D convolutions map onto the accelerator");
  if (wshape[0] < 1) unsupported(node, "weights have no output channels");
  p.layer.groups = conv_groups(ctx, node);
  set_window(p.layer, ctx, in.spatial(), conv_kernel(ctx, wshape));
  fold_padding(p.layer.window, in);
  p.layer.out_shape.channels = wshape[0];
  if (wshape[1] * p.layer.groups != in.stored.channels || wshape[0] % p.layer.groups != 0)
    unsupported(node, "weight shape does not match the input channels and groups");
  if (qconsts_.count(node.input(1))) {
    const ChannelWeights w = channel_weights(qconsts_.at(node.input(1)), 0, node);
    p.layer.weights = w.codes;
    p.layer.weight_zero_points = w.zero_points;
    p.layer.weight_scales = w.scales;
  } else {
    p.float_weights = float_channel_major(*wf, 0);
  }
  p.dims = in.map_dims(p.layer.out_shape.channels, p.layer.out_shape.height, p.layer.out_shape.width);
  if (node.input_size() > 2 && !node.input(2).empty()) attach_bias(p, node.input(2), node);
  pending_[node.output(0)] = std::move(p);
}

// Conv's group attribute, at least 1 (it divides the channels).
int ProgramBuilder::conv_groups(const OpContext& ctx, const onnx::NodeProto& node) const {
  const int64_t groups = ctx.attrs.get_int("group", 1);
  if (groups < 1 || groups > kMaxTensorElements)
    throw InputError(fmt::format("{}: group {} is not a positive channel count", model_.node_label(node), groups));
  return static_cast<int>(groups);
}

void ProgramBuilder::set_window(Layer& l, const OpContext& ctx, std::vector<int64_t> in, std::vector<int64_t> kernel) const {
  SpatialGeometry g = spatial_geometry(ctx, in, kernel, ctx.attrs.get_int("ceil_mode", 0) != 0);
  // A 1-D window is a 2-D one of height 1 over a map of height 1.
  if (g.rank() == 1) {
    for (auto* v : {&g.kernel, &g.strides, &g.dilations, &g.out}) v->insert(v->begin(), 1);
    for (auto* v : {&g.pad_begin, &g.pad_end}) v->insert(v->begin(), 0);
  }
  l.window.kernel_h = static_cast<int>(g.kernel[0]);
  l.window.kernel_w = static_cast<int>(g.kernel[1]);
  l.window.stride_h = static_cast<int>(g.strides[0]);
  l.window.stride_w = static_cast<int>(g.strides[1]);
  l.window.dilation_h = static_cast<int>(g.dilations[0]);
  l.window.dilation_w = static_cast<int>(g.dilations[1]);
  l.window.pad_top = static_cast<int>(g.pad_begin[0]);
  l.window.pad_left = static_cast<int>(g.pad_begin[1]);
  l.window.pad_bottom = static_cast<int>(g.pad_end[0]);
  l.window.pad_right = static_cast<int>(g.pad_end[1]);
  l.out_shape.height = g.out[0];
  l.out_shape.width = g.out[1];
}

// QLinearConv, QLinearMatMul and ONNX Runtime's QGemm (com.microsoft):
// codes in, codes out. Their inputs: x, x_scale, x_zero_point, w, w_scale,
// w_zero_point, then QLinearConv's y_scale, y_zero_point, bias and QGemm's
// bias (C), y_scale, y_zero_point; QLinearMatMul has no bias.
void ProgramBuilder::lower_qlinear(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  const bool conv = op == "QLinearConv", gemm = op == "QGemm";
  const int y_scale = gemm ? 7 : 6, bias = conv ? 8 : gemm ? 6 : -1;
  const auto ctx = context(node);
  const auto given = [&](int i) { return node.input_size() > i && !node.input(i).empty(); };
  auto input = [&](int i) -> const Tensor& {
    const Tensor* t = given(i) ? constant(node.input(i)) : nullptr;
    if (!t) unsupported(node, fmt::format("input {} must be a constant", i));
    return *t;
  };
  const ActivationQuant xq = activation_quant(node, &input(1), &input(2));
  adopt_input_quant(node, node.input(0), xq);
  const ActView in = act(node.input(0), node, conv);
  if (!in.codes) unsupported(node, "expects quantized codes");
  if (gemm) {
    if (ctx.attrs.get_int("transA", 0) != 0) unsupported(node, "transA: the activations must be A as they are");
    if (ctx.attrs.get_float("alpha", 1.0f) != 1.0f) unsupported(node, "alpha other than 1");
    if (!given(y_scale)) unsupported(node, "without y_scale its output is float32, which no accelerator layer writes");
  }
  if (!(xq == in.q)) unsupported(node, "input scale/zero point differ from the producer's");
  // Weights [out, ...] for a convolution and a QGemm with transB; QLinearMatMul's
  // b is [in, out], and may have one scale and zero point per column.
  const int out_axis = conv || (gemm && ctx.attrs.get_int("transB", 0) != 0) ? 0 : 1;
  const QuantConst wc = quant_const_from(node, input(3), input(4), &input(5), out_axis);
  PendingLayer p = new_layer(node, conv ? LayerKind::Conv : LayerKind::FullyConnected, in);
  if (conv) {
    if (!in.feature_map() || wc.codes.rank() != static_cast<int>(in.dims.size()))
      unsupported(node, "only 1-D and 2-D convolutions map onto the accelerator");
    p.layer.groups = conv_groups(ctx, node);
    set_window(p.layer, ctx, in.spatial(), conv_kernel(ctx, wc.codes.shape()));
    fold_padding(p.layer.window, in);
    p.layer.out_shape.channels = wc.codes.shape()[0];
  } else if (!in.vector()) {
    unsupported(node, fmt::format("input is {}; insert Flatten first", value_shape(in.dims)));
  }
  ChannelWeights w = channel_weights(wc, out_axis, node);
  if (!conv) {
    const int64_t outs = static_cast<int64_t>(w.scales.size());
    if (outs * in.stored.size() != static_cast<int64_t>(w.codes.size()))
      unsupported(node, fmt::format("weights do not match {} inputs", in.stored.size()));
    reorder_columns(w.codes, outs, in.order);
    p.layer.in_shape = {in.stored.size(), 1, 1};
    p.layer.out_shape = {outs, 1, 1};
  }
  p.layer.weights = w.codes;
  p.layer.weight_zero_points = w.zero_points;
  p.layer.weight_scales = w.scales;
  p.dims = conv ? in.map_dims(p.layer.out_shape.channels, p.layer.out_shape.height, p.layer.out_shape.width)
                : Shape{1, p.layer.out_shape.channels};
  if (bias >= 0 && given(bias)) {
    QuantConst bc;
    bc.codes = input(bias);
    if (bc.codes.dtype() != DType::Int32 || bc.codes.size() != p.layer.out_shape.channels)
      unsupported(node, "bias must be int32, one per output channel");
    for (int64_t c = 0; c < p.layer.out_shape.channels; ++c)
      bc.scales.push_back(static_cast<float>(in.q.scale) * static_cast<float>(w.scales[c]));
    bc.zero_points.assign(bc.scales.size(), 0);
    p.bias_quant = bc;
  }
  finalize_codes(node.output(0), std::move(p), activation_quant(node, &input(y_scale), &input(y_scale + 1)));
}

}  // namespace aps::import
