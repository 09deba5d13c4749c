#include "golden/import/program_builder.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

#include "golden/errors.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/spatial_geometry.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/rounding.hpp"

namespace aps {

std::string_view model_format_name(ModelFormat f) {
  switch (f) {
    case ModelFormat::Float: return "float";
    case ModelFormat::Qdq: return "QDQ";
    case ModelFormat::QOperator: return "QOperator";
  }
  return "?";
}

ModelFormat detect_model_format(const OnnxModel& model) {
  bool qdq = false;
  for (const auto* n : model.nodes()) {
    if (n->op_type() == "QLinearMatMul" || n->op_type() == "QLinearConv") return ModelFormat::QOperator;
    if (n->op_type() == "QuantizeLinear" || n->op_type() == "DequantizeLinear") qdq = true;
  }
  return qdq ? ModelFormat::Qdq : ModelFormat::Float;
}

ActivationQuant activation_quant_from_range(double lo, double hi) {
  // An infinite end would make the zero point inf / inf = NaN, and NaN ->
  // int32 is undefined.
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw InputError(fmt::format("activation range [{}, {}] is not finite", lo, hi));
  lo = std::min(0.0, lo);
  hi = std::max(0.0, hi);
  ActivationQuant q;
  q.scale = static_cast<float>((hi - lo) / 255.0);
  if (q.scale == 0) q.scale = 1.0;
  q.zero_point = static_cast<int32_t>(std::clamp(round_half_to_even(-lo / q.scale), 0.0, 255.0));
  return q;
}

namespace {

// An activation tensor of the program as seen from an ONNX value: its codes
// (`codes` = the value holds uint8/int8 codes) or its dequantized view.
struct ActView {
  int tensor = -1;  // producing layer, -1 = network input
  ActivationQuant q;
  FeatureShape shape;
  bool spatial = false;  // value is [N,C,H,W] (else [N,F])
  bool codes = false;
};

// A quantized constant: DequantizeLinear of an initializer.
struct QuantConst {
  Tensor codes;
  std::vector<double> scales;  // 1 or one per index along `axis`
  std::vector<int64_t> zero_points;
  int axis = 0;
};

// A Gemm / MatMul / Conv / MaxPool whose output quantization is not known yet
// (it comes from the QuantizeLinear that follows, or from calibration).
struct PendingLayer {
  Layer layer;
  // Weights and bias before the output scale is known.
  std::vector<double> bias_real;  // float bias (float models / float C), empty if none
  std::optional<QuantConst> bias_quant;
  // Float models: the weights, [out][rest], quantized only at finalize() so
  // that a following BatchNormalization can be folded in first.
  std::vector<double> float_weights;
  // Whether the result is a feature map ([N,C,H,W]) or a vector; by default
  // every layer but a fully connected one makes a feature map.
  std::optional<bool> spatial;
};

class ProgramBuilder {
 public:
  ProgramBuilder(const OnnxModel& model, const ActivationRanges* ranges) : model_(model), format_(detect_model_format(model)) {
    program_.source = model.source();
    if (model.inputs().size() != 1 || model.outputs().size() != 1)
      throw UnsupportedError(fmt::format("{}: the accelerator runs models with one input and one output ({} and {} here)",
                                         model.source(), model.inputs().size(), model.outputs().size()));
    program_.input_name = model.inputs()[0].name;
    program_.output_name = model.outputs()[0].name;
    if (format_ == ModelFormat::Float) {
      if (!ranges)
        throw InputError(fmt::format("{}: a float model needs calibration data to be quantized (--calibration DIR)",
                                     model.source()));
      ranges_ = *ranges;
    }
  }

  NetworkProgram build() {
    for (const onnx::NodeProto* node : model_.nodes()) lower(*node);
    const std::string& out = program_.output_name;
    if (pending_.count(out)) finalize_from_calibration(out);
    const auto it = acts_.find(out);
    if (it == acts_.end() || it->second.tensor < 0 ||
        it->second.tensor != static_cast<int>(program_.layers.size()) - 1)
      throw UnsupportedError(fmt::format("{}: graph output '{}' is not the result of the last accelerator layer",
                                         model_.source(), out));
    validate_program(program_);
    return std::move(program_);
  }

 private:
  [[noreturn]] void unsupported(const onnx::NodeProto& node, const std::string& why) const {
    throw UnsupportedError(fmt::format("{}: cannot map onto the accelerator: {}", model_.node_label(node), why));
  }

  OpContext context(const onnx::NodeProto& node) const {
    return OpContext{node, model_.opset(), {}, NodeAttributes(node, model_.node_label(node))};
  }

  ActivationQuant calibrated_quant(const std::string& value) const {
    const auto it = ranges_.find(value);
    if (it == ranges_.end()) throw InputError(fmt::format("{}: no calibration range for '{}'", model_.source(), value));
    return activation_quant_from_range(it->second.first, it->second.second);
  }

  // ---- values --------------------------------------------------------------------
  static ActivationQuant canonical_quant(double scale, int64_t zero_point, DType type) {
    return {static_cast<double>(static_cast<float>(scale)),
            static_cast<int32_t>(type == DType::Int8 ? zero_point + 128 : zero_point)};
  }

  // A scale the program can use: positive and finite (a zero scale would
  // make an infinite bias).
  double positive_scale(const onnx::NodeProto& node, double s) const {
    return checked_scale(s, "scale", model_.node_label(node));
  }

  // A per-tensor activation quantization from constant scale and zero point
  // tensors (zp may be null: zero point 0, uint8). The zero point must be an
  // integer tensor: a float one has no ints() to read.
  ActivationQuant activation_quant(const onnx::NodeProto& node, const Tensor* scale, const Tensor* zp) const {
    if (!scale || scale->size() != 1 || (zp && zp->size() != 1))
      unsupported(node, "activation scale and zero point must be constant scalars");
    if (zp && zp->dtype() != DType::UInt8 && zp->dtype() != DType::Int8)
      unsupported(node, "activation zero point must be uint8 or int8");
    return canonical_quant(positive_scale(node, scale->value(0)), zp ? zp->ints()[0] : 0, zp ? zp->dtype() : DType::UInt8);
  }

  // A quantized constant: codes with scales (one, or one per index along
  // `axis`) and integer zero points (one, or one per scale). Scales must be
  // positive and finite; the sizes must agree before anything is indexed.
  QuantConst quant_const_from(const onnx::NodeProto& node, const Tensor& codes, const Tensor& scale, const Tensor* zp,
                              int64_t axis) const {
    if (scale.size() < 1 || (zp && (zp->floating() || (zp->size() != 1 && zp->size() != scale.size()))))
      unsupported(node, "scale and zero point must be one value or one per channel, zero points integers");
    QuantConst c;
    c.codes = codes;
    for (int64_t i = 0; i < scale.size(); ++i) c.scales.push_back(positive_scale(node, scale.value(i)));
    for (int64_t i = 0; i < scale.size(); ++i) c.zero_points.push_back(zp ? zp->ints()[zp->size() == 1 ? 0 : i] : 0);
    if (axis < 0) axis += codes.rank();
    c.axis = axis < 0 || axis >= codes.rank() ? -1 : static_cast<int>(axis);
    return c;
  }

  // The activation an ONNX value stands for. In float models the network
  // input and pending layers become activations when first read.
  ActView act(const std::string& value, const onnx::NodeProto& node) {
    if (pending_.count(value)) {
      if (format_ != ModelFormat::Float) unsupported(node, fmt::format("'{}' is read before it is quantized", value));
      finalize_from_calibration(value);
    }
    if (const auto it = acts_.find(value); it != acts_.end()) return it->second;
    if (value == program_.input_name && format_ == ModelFormat::Float) {
      declare_input(calibrated_quant(value));
      return acts_.at(value);
    }
    unsupported(node, fmt::format("input '{}' is not a quantized activation", value));
  }

  void declare_input(ActivationQuant q) {
    const ValueInfo& info = model_.inputs()[0];
    std::vector<int64_t> dims;
    for (size_t i = 1; i < info.dims.size(); ++i) {
      if (!info.dims[i])
        throw UnsupportedError(fmt::format("{}: input '{}' dimension {} is not fixed", model_.source(), info.name, i));
      // Unchecked dimensions overflowed FeatureShape::size().
      if (*info.dims[i] < 1)
        throw InputError(fmt::format("{}: input '{}' dimension {} is {}", model_.source(), info.name, i, *info.dims[i]));
      dims.push_back(*info.dims[i]);
    }
    checked_element_count(dims, fmt::format("{}: input '{}'", model_.source(), info.name));
    ActView v;
    v.q = q;
    if (dims.size() == 1) {
      v.shape = {dims[0], 1, 1};
    } else if (dims.size() == 3) {
      v.shape = {dims[0], dims[1], dims[2]};
      v.spatial = true;
    } else {
      throw UnsupportedError(fmt::format("{}: input '{}' must be [N,F] or [N,C,H,W]", model_.source(), info.name));
    }
    program_.input_shape = v.shape;
    program_.input_q = q;
    acts_[program_.input_name] = v;
  }

  QuantConst quant_const(const std::string& value, const onnx::NodeProto& node) const {
    const auto it = qconsts_.find(value);
    if (it == qconsts_.end()) unsupported(node, fmt::format("'{}' is not a quantized constant", value));
    return it->second;
  }

  const Tensor& float_const(const std::string& value, const onnx::NodeProto& node) const {
    const Tensor* t = model_.initializer(value);
    if (!t || !t->floating()) unsupported(node, fmt::format("'{}' is not a float initializer", value));
    return *t;
  }

  // ---- lowering ------------------------------------------------------------------
  // The inputs an op needs before its lowering reads node.input(i): the
  // loader checks op types, not arity, and NodeProto::input(i) does not
  // range-check.
  static int required_inputs(const std::string& op) {
    if (op == "QLinearMatMul" || op == "QLinearConv") return 8;
    if (op == "BatchNormalization") return 5;
    if (op == "QuantizeLinear" || op == "DequantizeLinear" || op == "Gemm" || op == "MatMul" || op == "Conv" ||
        op == "Add" || op == "Reshape")
      return 2;
    return 1;
  }

  void lower(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    if (node.input_size() < required_inputs(op) || node.output_size() < 1 || node.output(0).empty())
      throw InputError(fmt::format("{}: needs at least {} inputs and an output", model_.node_label(node),
                                   required_inputs(op)));
    if (op == "QuantizeLinear") return lower_quantize(node);
    if (op == "DequantizeLinear") return lower_dequantize(node);
    if (op == "Gemm" || op == "MatMul") return lower_fully_connected(node);
    if (op == "Conv") return lower_conv(node);
    if (op == "QLinearMatMul" || op == "QLinearConv") return lower_qlinear(node);
    if (op == "Relu") return lower_relu(node);
    if (op == "Add") return lower_add(node);
    if (op == "MaxPool") return lower_max_pool(node);
    if (op == "AveragePool" || op == "GlobalAveragePool") return lower_average_pool(node);
    if (op == "BatchNormalization") return lower_batch_norm(node);
    if (op == "Flatten" || op == "Reshape") return lower_flatten(node);
    if (op == "Identity") return alias(node, node.input(0));
    unsupported(node, fmt::format("op type '{}' has no accelerator layer", op));
  }

  void alias(const onnx::NodeProto& node, const std::string& from) {
    if (pending_.count(from)) {
      pending_[node.output(0)] = pending_.at(from);
      pending_.erase(from);
    } else {
      acts_[node.output(0)] = act(from, node);
    }
  }

  void lower_quantize(const onnx::NodeProto& node) {
    const std::string& x = node.input(0);
    const Tensor* scale = model_.initializer(node.input(1));
    const Tensor* zp = node.input_size() > 2 ? model_.initializer(node.input(2)) : nullptr;
    if (node.input_size() > 2 && !node.input(2).empty() && !zp)
      unsupported(node, "activation scale and zero point must be constant scalars");
    const ActivationQuant q = activation_quant(node, scale, zp);
    const std::string& out = node.output(0);
    if (x == program_.input_name && !acts_.count(x)) {
      declare_input(q);
      acts_[out] = acts_.at(x);
      acts_[out].codes = true;
      return;
    }
    if (pending_.count(x)) {
      finalize(x, q);
      acts_[out] = acts_.at(x);
      acts_[out].codes = true;
      return;
    }
    ActView v = act(x, node);
    if (!(v.q == q)) unsupported(node, "re-quantizes an activation with new parameters outside any layer");
    v.codes = true;
    acts_[out] = v;
  }

  void lower_dequantize(const onnx::NodeProto& node) {
    const std::string& x = node.input(0);
    const Tensor* scale = model_.initializer(node.input(1));
    const Tensor* zp = node.input_size() > 2 && !node.input(2).empty() ? model_.initializer(node.input(2)) : nullptr;
    if (!scale) unsupported(node, "scale must be a constant");
    if (const Tensor* init = model_.initializer(x)) {
      qconsts_[node.output(0)] =
          quant_const_from(node, *init, *scale, zp, NodeAttributes(node, model_.node_label(node)).get_int("axis", 1));
      return;
    }
    ActView v = act(x, node);
    if (!v.codes) unsupported(node, "dequantizes a value that is not quantized");
    if (scale->size() != 1 || (zp && zp->size() != 1)) unsupported(node, "activation scale must be per tensor");
    const ActivationQuant q = activation_quant(node, scale, zp);
    if (!(q == v.q)) unsupported(node, "dequantizes with parameters other than the ones it was quantized with");
    v.codes = false;
    acts_[node.output(0)] = v;
  }

  // Per-output-channel int8 weights, canonicalised, from a quantized or a
  // float constant. `out_axis` is the dimension of `codes` that indexes
  // output channels; the result is laid out [out][rest...] in row-major order
  // of the remaining dimensions.
  struct ChannelWeights {
    std::vector<int8_t> codes;
    std::vector<int32_t> zero_points;
    std::vector<double> scales;
  };

  ChannelWeights channel_weights(const std::string& value, int out_axis, const onnx::NodeProto& node) const {
    ChannelWeights w;
    Tensor codes;
    std::vector<double> scales;
    std::vector<int64_t> zps;
    if (qconsts_.count(value)) {
      const QuantConst c = quant_const(value, node);
      codes = c.codes;
      if (codes.dtype() != DType::Int8 && codes.dtype() != DType::UInt8) unsupported(node, "weights must be int8 or uint8");
      if (c.scales.size() != 1 && c.axis != out_axis)
        unsupported(node, "per-channel weight scales must run along the output channels");
      scales = c.scales;
      zps = c.zero_points;
    } else {
      unsupported(node, fmt::format("'{}' is not a quantized constant", value));
    }
    // The rank and the per-channel counts are checked before anything is
    // indexed by output channel.
    if (codes.rank() <= out_axis) unsupported(node, fmt::format("weights must have at least {} dimensions", out_axis + 1));
    const Shape& s = codes.shape();
    const int64_t outs = s[out_axis];
    if (outs < 1) unsupported(node, "weights have no output channels");
    if (scales.size() != 1 && static_cast<int64_t>(scales.size()) != outs)
      unsupported(node, fmt::format("{} weight scales for {} output channels", scales.size(), outs));
    const int64_t rest = codes.size() / std::max<int64_t>(outs, 1);
    const auto strides = row_major_strides(s);
    const bool to_signed = codes.dtype() == DType::UInt8;
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
      const size_t k = scales.size() == 1 ? 0 : static_cast<size_t>(o);
      w.scales.push_back(scales[k]);
      w.zero_points.push_back(static_cast<int32_t>(zps[k] - (to_signed ? 128 : 0)));
    }
    return w;
  }

  // A float weight tensor in [out][rest] order (rest row-major over the
  // other dimensions): the layout the network program stores.
  std::vector<double> float_channel_major(const std::string& value, int out_axis, const onnx::NodeProto& node) const {
    const Tensor& f = float_const(value, node);
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

  // int8 symmetric per-channel quantization, [-127, 127]: the recipe of the
  // bundled QDQ models (tools/make_digits_models.py), float32 throughout.
  static void quantize_float_weights(const std::vector<double>& w, int64_t outs, Layer& l) {
    const int64_t rest = static_cast<int64_t>(w.size()) / std::max<int64_t>(outs, 1);
    l.weights.resize(w.size());
    l.weight_scales.clear();
    l.weight_zero_points.assign(static_cast<size_t>(outs), 0);
    for (int64_t o = 0; o < outs; ++o) {
      float amax = 0.0f;
      for (int64_t r = 0; r < rest; ++r) amax = std::max(amax, static_cast<float>(std::fabs(w[o * rest + r])));
      float sc = amax / 127.0f;
      if (sc == 0.0f) sc = 1.0f;
      l.weight_scales.push_back(sc);
      for (int64_t r = 0; r < rest; ++r) {
        const float q = static_cast<float>(w[o * rest + r]) / sc;
        l.weights[o * rest + r] = static_cast<int8_t>(std::clamp(round_half_to_even(q), -127.0, 127.0));
      }
    }
  }

  void set_weights(PendingLayer& p, const ChannelWeights& w) {
    p.layer.weights = w.codes;
    p.layer.weight_zero_points = w.zero_points;
    p.layer.weight_scales = w.scales;
  }

  void attach_bias(PendingLayer& p, const std::string& value, const onnx::NodeProto& node) {
    const int64_t outs = p.layer.out_shape.channels;
    if (qconsts_.count(value)) {
      QuantConst c = quant_const(value, node);
      if (c.codes.dtype() != DType::Int32 || c.codes.size() != outs || (c.scales.size() != 1 && static_cast<int64_t>(c.scales.size()) != outs))
        unsupported(node, "bias must be int32, one per output channel");
      p.bias_quant = std::move(c);
      return;
    }
    const Tensor& b = float_const(value, node);
    if (b.size() != outs) unsupported(node, fmt::format("bias must have one value per output channel ({})", outs));
    p.bias_real.assign(b.reals().begin(), b.reals().end());
  }

  void lower_fully_connected(const onnx::NodeProto& node) {
    const auto ctx = context(node);
    const bool gemm = node.op_type() == "Gemm";
    if (gemm && (ctx.attrs.get_int("transA", 0) != 0 || ctx.attrs.get_float("alpha", 1.0f) != 1.0f ||
                 ctx.attrs.get_float("beta", 1.0f) != 1.0f))
      unsupported(node, "only Gemm with transA=0, alpha=1, beta=1 maps onto a fully connected layer");
    const ActView in = act(node.input(0), node);
    if (in.codes) unsupported(node, "reads quantized codes directly; expected a DequantizeLinear in between");
    if (in.spatial) unsupported(node, "input is a feature map; insert Flatten first");
    const bool trans_b = gemm && ctx.attrs.get_int("transB", 0) != 0;
    PendingLayer p;
    p.layer.name = node.name().empty() ? node.output(0) : node.name();
    p.layer.kind = LayerKind::FullyConnected;
    p.layer.input = in.tensor;
    p.layer.in_q = in.q;
    p.layer.in_shape = in.shape;
    const int out_axis = trans_b ? 0 : 1;
    int64_t outs = 0, count = 0;
    if (qconsts_.count(node.input(1))) {
      const ChannelWeights w = channel_weights(node.input(1), out_axis, node);
      outs = static_cast<int64_t>(w.scales.size());
      count = static_cast<int64_t>(w.codes.size());
      set_weights(p, w);
    } else {
      const Tensor& f = float_const(node.input(1), node);
      if (f.rank() != 2) unsupported(node, "weights must be 2-D");
      outs = f.shape()[out_axis];
      if (outs < 1) unsupported(node, "weights have no output channels");
      p.float_weights = float_channel_major(node.input(1), out_axis, node);
      count = static_cast<int64_t>(p.float_weights.size());
    }
    if (outs * in.shape.size() != count) unsupported(node, fmt::format("weights do not match {} inputs", in.shape.size()));
    p.layer.out_shape = {outs, 1, 1};
    if (gemm && node.input_size() > 2 && !node.input(2).empty()) attach_bias(p, node.input(2), node);
    pending_[node.output(0)] = std::move(p);
  }

  void lower_conv(const onnx::NodeProto& node) {
    const auto ctx = context(node);
    const ActView in = act(node.input(0), node);
    if (in.codes) unsupported(node, "reads quantized codes directly; expected a DequantizeLinear in between");
    if (!in.spatial) unsupported(node, "a 2-D convolution needs an [N,C,H,W] input");
    PendingLayer p;
    p.layer.name = node.name().empty() ? node.output(0) : node.name();
    p.layer.kind = LayerKind::Conv;
    p.layer.input = in.tensor;
    p.layer.in_q = in.q;
    p.layer.in_shape = in.shape;
    Shape wshape;
    if (qconsts_.count(node.input(1))) wshape = qconsts_.at(node.input(1)).codes.shape();
    else wshape = float_const(node.input(1), node).shape();
    if (wshape.size() != 4) unsupported(node, "only 2-D convolutions map onto the accelerator");
    if (wshape[0] < 1) unsupported(node, "weights have no output channels");
    p.layer.groups = conv_groups(ctx, node);
    set_window(p.layer, ctx, {in.shape.height, in.shape.width}, {wshape[2], wshape[3]});
    p.layer.out_shape.channels = wshape[0];
    if (wshape[1] * p.layer.groups != in.shape.channels || wshape[0] % p.layer.groups != 0)
      unsupported(node, "weight shape does not match the input channels and groups");
    if (qconsts_.count(node.input(1))) set_weights(p, channel_weights(node.input(1), 0, node));
    else p.float_weights = float_channel_major(node.input(1), 0, node);
    if (node.input_size() > 2 && !node.input(2).empty()) attach_bias(p, node.input(2), node);
    pending_[node.output(0)] = std::move(p);
  }

  // Conv's group attribute, at least 1 (it divides the channels).
  int conv_groups(const OpContext& ctx, const onnx::NodeProto& node) const {
    const int64_t groups = ctx.attrs.get_int("group", 1);
    if (groups < 1 || groups > kMaxTensorElements)
      throw InputError(fmt::format("{}: group {} is not a positive channel count", model_.node_label(node), groups));
    return static_cast<int>(groups);
  }

  void set_window(Layer& l, const OpContext& ctx, std::vector<int64_t> in, std::vector<int64_t> kernel) {
    const SpatialGeometry g = spatial_geometry(ctx, in, kernel, ctx.attrs.get_int("ceil_mode", 0) != 0);
    l.window.kernel_h = static_cast<int>(kernel[0]);
    l.window.kernel_w = static_cast<int>(kernel[1]);
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

  void lower_qlinear(const onnx::NodeProto& node) {
    const bool conv = node.op_type() == "QLinearConv";
    const ActView in = act(node.input(0), node);
    if (!in.codes) unsupported(node, "expects quantized codes");
    auto scalar = [&](int i) -> const Tensor& {
      const Tensor* t = model_.initializer(node.input(i));
      if (!t) unsupported(node, fmt::format("input {} must be a constant", i));
      return *t;
    };
    const ActivationQuant xq = activation_quant(node, &scalar(1), &scalar(2));
    if (!(xq == in.q)) unsupported(node, "input scale/zero point differ from the producer's");
    // Build a temporary quantized constant for the weights.
    const QuantConst wc = quant_const_from(node, scalar(3), scalar(4), &scalar(5), conv ? 0 : 1);
    const std::string wname = "\x01qlinear_weights:" + node.output(0);
    qconsts_[wname] = wc;
    const auto ctx = context(node);
    PendingLayer p;
    p.layer.name = node.name().empty() ? node.output(0) : node.name();
    p.layer.input = in.tensor;
    p.layer.in_q = in.q;
    p.layer.in_shape = in.shape;
    if (conv) {
      if (!in.spatial || wc.codes.rank() != 4) unsupported(node, "only 2-D convolutions map onto the accelerator");
      p.layer.kind = LayerKind::Conv;
      p.layer.groups = conv_groups(ctx, node);
      set_window(p.layer, ctx, {in.shape.height, in.shape.width}, {wc.codes.shape()[2], wc.codes.shape()[3]});
      p.layer.out_shape.channels = wc.codes.shape()[0];
    } else {
      if (in.spatial) unsupported(node, "input is a feature map; insert Flatten first");
      p.layer.kind = LayerKind::FullyConnected;
    }
    const ChannelWeights w = channel_weights(wname, conv ? 0 : 1, node);
    if (!conv) p.layer.out_shape = {static_cast<int64_t>(w.scales.size()), 1, 1};
    set_weights(p, w);
    if (conv && node.input_size() > 8 && !node.input(8).empty()) {
      QuantConst bc;
      bc.codes = scalar(8);
      if (bc.codes.dtype() != DType::Int32 || bc.codes.size() != p.layer.out_shape.channels)
        unsupported(node, "bias must be int32, one per output channel");
      for (int64_t c = 0; c < p.layer.out_shape.channels; ++c)
        bc.scales.push_back(static_cast<float>(in.q.scale) * static_cast<float>(w.scales[c]));
      bc.zero_points.assign(bc.scales.size(), 0);
      p.bias_quant = bc;
    }
    const std::string out = node.output(0);
    pending_[out] = std::move(p);
    // Inputs 6 and 7 are y_scale and y_zero_point in both ops.
    finalize(out, activation_quant(node, &scalar(6), &scalar(7)));
    acts_.at(out).codes = true;
  }

  void lower_relu(const onnx::NodeProto& node) {
    const std::string& x = node.input(0);
    if (!pending_.count(x) || !(pending_.at(x).layer.has_weights() || pending_.at(x).layer.kind == LayerKind::Add))
      unsupported(node, "Relu must directly follow a Gemm, MatMul, Conv or Add");
    PendingLayer p = pending_.at(x);
    pending_.erase(x);
    p.layer.relu = true;
    pending_[node.output(0)] = std::move(p);
  }

  bool is_constant(const std::string& value) const { return model_.initializer(value) || qconsts_.count(value); }

  // Add: the bias of a MatMul (a constant second operand), or a residual
  // Add of two activations.
  void lower_add(const onnx::NodeProto& node) {
    if (is_constant(node.input(1)) || is_constant(node.input(0))) return lower_bias_add(node);
    const ActView a = act(node.input(0), node);
    const ActView b = act(node.input(1), node);
    if (a.codes || b.codes) unsupported(node, "adds quantized codes directly; expected DequantizeLinear outputs");
    if (!(a.shape == b.shape) || a.spatial != b.spatial) unsupported(node, "a residual Add needs two inputs of one shape");
    PendingLayer p;
    p.layer.name = node.name().empty() ? node.output(0) : node.name();
    p.layer.kind = LayerKind::Add;
    p.layer.input = a.tensor;
    p.layer.in_q = a.q;
    p.layer.in_shape = a.shape;
    p.layer.out_shape = a.shape;
    p.layer.add.input_b = b.tensor;
    p.layer.add.in_q_b = b.q;
    p.spatial = a.spatial;
    pending_[node.output(0)] = std::move(p);
  }

  void lower_bias_add(const onnx::NodeProto& node) {
    const bool first_const = is_constant(node.input(0));
    const std::string& x = node.input(first_const ? 1 : 0);
    if (!pending_.count(x) || pending_.at(x).layer.kind != LayerKind::FullyConnected || pending_.at(x).layer.relu ||
        pending_.at(x).bias_quant || !pending_.at(x).bias_real.empty())
      unsupported(node, "an Add with a constant is supported only as the bias of a MatMul");
    PendingLayer p = pending_.at(x);
    pending_.erase(x);
    attach_bias(p, node.input(first_const ? 0 : 1), node);
    pending_[node.output(0)] = std::move(p);
  }

  // Folds an inference BatchNormalization into the float Conv / Gemm before it.
  void lower_batch_norm(const onnx::NodeProto& node) {
    const std::string& x = node.input(0);
    if (!pending_.count(x) || !pending_.at(x).layer.has_weights() || pending_.at(x).float_weights.empty() ||
        pending_.at(x).layer.relu)
      unsupported(node, "BatchNormalization folds only into a float Conv or Gemm right before it");
    const auto ctx = context(node);
    if (ctx.attrs.get_int("training_mode", 0) != 0 || node.output_size() > 1)
      unsupported(node, "BatchNormalization in training mode");
    PendingLayer p = pending_.at(x);
    pending_.erase(x);
    const int64_t outs = p.layer.out_shape.channels;
    std::vector<const Tensor*> params;
    for (int i = 1; i <= 4; ++i) {
      const Tensor* t = model_.initializer(node.input(i));
      if (!t || !t->floating() || t->size() != outs) unsupported(node, "scale, B, mean and var must be constants, one per channel");
      params.push_back(t);
    }
    const double eps = ctx.attrs.get_float("epsilon", 1e-5f);
    if (p.bias_real.empty() && !p.bias_quant) p.bias_real.assign(static_cast<size_t>(outs), 0.0);
    if (p.bias_quant) unsupported(node, "BatchNormalization after a quantized bias");
    const int64_t rest = static_cast<int64_t>(p.float_weights.size()) / outs;
    for (int64_t c = 0; c < outs; ++c) {
      const double g = params[0]->value(c) / std::sqrt(params[3]->value(c) + eps);
      for (int64_t r = 0; r < rest; ++r)
        p.float_weights[c * rest + r] = static_cast<float>(p.float_weights[c * rest + r] * g);
      p.bias_real[c] = static_cast<float>((p.bias_real[c] - params[2]->value(c)) * g + params[1]->value(c));
    }
    pending_[node.output(0)] = std::move(p);
  }

  void lower_average_pool(const onnx::NodeProto& node) {
    const auto ctx = context(node);
    const ActView in = act(node.input(0), node);
    if (!in.spatial || in.codes) unsupported(node, "average pooling needs a dequantized [N,C,H,W] input");
    PendingLayer p;
    p.layer.name = node.name().empty() ? node.output(0) : node.name();
    p.layer.kind = LayerKind::AveragePool;
    p.layer.input = in.tensor;
    p.layer.in_q = in.q;
    p.layer.in_shape = in.shape;
    p.layer.out_shape.channels = in.shape.channels;
    if (node.op_type() == "GlobalAveragePool") {
      p.layer.window.kernel_h = static_cast<int>(in.shape.height);
      p.layer.window.kernel_w = static_cast<int>(in.shape.width);
    } else {
      const auto kernel = ctx.attrs.get_ints("kernel_shape");
      if (kernel.size() != 2) unsupported(node, "only 2-D average pooling maps onto the accelerator");
      if (ctx.attrs.get_int("ceil_mode", 0) != 0) unsupported(node, "ceil_mode average pooling (its divisor varies)");
      set_window(p.layer, ctx, {in.shape.height, in.shape.width}, kernel);
      const Window& w = p.layer.window;
      const bool padded = w.pad_top || w.pad_left || w.pad_bottom || w.pad_right;
      if (padded && ctx.attrs.get_int("count_include_pad", 0) == 0)
        unsupported(node, "padded average pooling without count_include_pad (its divisor varies)");
    }
    p.layer.out_shape.height = node.op_type() == "GlobalAveragePool" ? 1 : p.layer.out_shape.height;
    p.layer.out_shape.width = node.op_type() == "GlobalAveragePool" ? 1 : p.layer.out_shape.width;
    p.spatial = true;
    pending_[node.output(0)] = std::move(p);
  }

  void lower_max_pool(const onnx::NodeProto& node) {
    const auto ctx = context(node);
    if (node.output_size() > 1 && !node.output(1).empty()) unsupported(node, "the Indices output is not supported");
    const ActView in = act(node.input(0), node);
    if (!in.spatial) unsupported(node, "MaxPool needs an [N,C,H,W] input");
    PendingLayer p;
    p.layer.name = node.name().empty() ? node.output(0) : node.name();
    p.layer.kind = LayerKind::MaxPool;
    p.layer.input = in.tensor;
    p.layer.in_q = in.q;
    p.layer.in_shape = in.shape;
    p.layer.out_shape.channels = in.shape.channels;
    const auto kernel = ctx.attrs.get_ints("kernel_shape");
    if (kernel.size() != 2) unsupported(node, "only 2-D max pooling maps onto the accelerator");
    set_window(p.layer, ctx, {in.shape.height, in.shape.width}, kernel);
    const std::string out = node.output(0);
    pending_[out] = std::move(p);
    // Max pooling selects values, so output quantization = input quantization,
    // in QOperator models (codes in, codes out) and float models alike.
    if (in.codes || format_ == ModelFormat::Float) {
      finalize(out, in.q);
      acts_.at(out).codes = in.codes;
    }
  }

  void lower_flatten(const onnx::NodeProto& node) {
    const ActView in = act(node.input(0), node);
    if (node.op_type() == "Flatten" && context(node).attrs.get_int("axis", 1) != 1)
      unsupported(node, "only Flatten with axis=1 keeps the batch dimension");
    if (node.op_type() == "Reshape") {
      const Tensor* shape = model_.initializer(node.input(1));
      if (!shape || shape->dtype() != DType::Int64 || shape->size() != 2 || (shape->ints()[1] != -1 && shape->ints()[1] != in.shape.size()))
        unsupported(node, "only a Reshape to [N, features] (a flatten) is supported");
    }
    ActView v = in;
    v.shape = {in.shape.size(), 1, 1};
    v.spatial = false;
    acts_[node.output(0)] = v;
  }

  // ---- layer completion ----------------------------------------------------------
  // A bias value at the accumulator's scale, rounded half to even and
  // saturated to int32, in double: a cast to int64 first would be undefined
  // beyond int64 and for NaN.
  int32_t bias_code(double v, const Layer& l) const {
    if (!std::isfinite(v))
      throw InputError(fmt::format("{}: layer '{}': the bias at the accumulator's scale is {}", model_.source(), l.name, v));
    return static_cast<int32_t>(std::clamp(round_half_to_even(v), -2147483648.0, 2147483647.0));
  }

  void finalize_from_calibration(const std::string& value) { finalize(value, calibrated_quant(value)); }

  void finalize(const std::string& value, ActivationQuant out_q) {
    PendingLayer p = pending_.at(value);
    pending_.erase(value);
    Layer& l = p.layer;
    // Window arithmetic can make huge output maps; bound them before any
    // FeatureShape::size() multiplies the dimensions (overflow otherwise).
    checked_element_count({l.out_shape.channels, l.out_shape.height, l.out_shape.width},
                          fmt::format("{}: layer '{}' output", model_.source(), l.name));
    l.out_q = out_q;
    if (l.kind == LayerKind::MaxPool && !(out_q == l.in_q))
      throw UnsupportedError(fmt::format("{}: layer '{}': max pooling must keep its input's scale and zero point",
                                         model_.source(), l.name));
    if (l.has_weights() && !p.float_weights.empty()) {
      // NaN or infinite weights (or a BatchNormalization folding that makes
      // them so) are refused: NaN -> int8 is undefined.
      for (double w : p.float_weights)
        if (!std::isfinite(w))
          throw InputError(fmt::format("{}: layer '{}': weight {} is not finite", model_.source(), l.name, w));
      quantize_float_weights(p.float_weights, l.out_shape.channels, l);
    }
    if (l.kind == LayerKind::AveragePool) {
      const double divisor = static_cast<double>(l.window.kernel_h) * l.window.kernel_w;
      l.bias.assign(static_cast<size_t>(l.out_shape.channels), 0);
      l.multipliers.assign(static_cast<size_t>(l.out_shape.channels),
                           quantize_multiplier(l.in_q.scale / (out_q.scale * divisor)));
    }
    if (l.kind == LayerKind::Add) {
      const double twice_max = 2.0 * std::max(l.in_q.scale, l.add.in_q_b.scale);
      l.add.multiplier_a = quantize_multiplier(l.in_q.scale / twice_max);
      l.add.multiplier_b = quantize_multiplier(l.add.in_q_b.scale / twice_max);
      l.bias.assign(static_cast<size_t>(l.out_shape.channels), 0);
      l.multipliers.assign(static_cast<size_t>(l.out_shape.channels),
                           quantize_multiplier(twice_max / (std::ldexp(1.0, l.add.left_shift) * out_q.scale)));
    }
    if (l.has_weights()) {
      const int64_t outs = l.out_shape.channels;
      l.bias.assign(static_cast<size_t>(outs), 0);
      for (int64_t c = 0; c < outs; ++c) {
        const double acc_scale = l.in_q.scale * l.weight_scales[c];
        if (p.bias_quant) {
          const double bias_scale = p.bias_quant->scales[p.bias_quant->scales.size() == 1 ? 0 : c];
          const int64_t code = p.bias_quant->codes.ints()[c];
          // The bias is meant to be at the accumulator's scale; if the model
          // stored it at a slightly different scale, move it there.
          l.bias[c] = std::fabs(bias_scale / acc_scale - 1.0) < 1e-6
                          ? static_cast<int32_t>(code)
                          : bias_code(code * bias_scale / acc_scale, l);
        } else if (!p.bias_real.empty()) {
          const float bias_scale = static_cast<float>(l.in_q.scale) * static_cast<float>(l.weight_scales[c]);
          l.bias[c] = bias_code(static_cast<float>(p.bias_real[c]) / bias_scale, l);
        }
        l.multipliers.push_back(quantize_multiplier(acc_scale / out_q.scale));
      }
    }
    const int index = static_cast<int>(program_.layers.size());
    ActView v;
    v.tensor = index;
    v.q = out_q;
    v.shape = l.out_shape;
    v.spatial = l.kind != LayerKind::FullyConnected;
    if (p.spatial) v.spatial = *p.spatial;
    program_.layers.push_back(std::move(l));
    acts_[value] = v;
  }

  const OnnxModel& model_;
  ModelFormat format_;
  NetworkProgram program_;
  std::map<std::string, ActView> acts_;
  std::map<std::string, QuantConst> qconsts_;
  std::map<std::string, PendingLayer> pending_;
  std::map<std::string, std::pair<double, double>> ranges_;
};

}  // namespace

std::string_view range_method_name(RangeMethod m) {
  switch (m) {
    case RangeMethod::MinMax: return "minmax";
    case RangeMethod::Percentile: return "percentile";
    case RangeMethod::Mse: return "mse";
  }
  return "?";
}

RangeMethod parse_range_method(const std::string& text) {
  if (text == "minmax") return RangeMethod::MinMax;
  if (text == "percentile") return RangeMethod::Percentile;
  if (text == "mse") return RangeMethod::Mse;
  throw InputError(fmt::format("range method must be minmax, percentile or mse, not '{}'", text));
}

namespace {

// Mean squared error of quantizing `v` to uint8 over [lo, hi] (clipping included).
double quantization_mse(const std::vector<double>& v, double lo, double hi) {
  const ActivationQuant q = activation_quant_from_range(lo, hi);
  double e = 0;
  for (double x : v) {
    const double code = std::clamp(round_half_to_even(x / q.scale) + q.zero_point, 0.0, 255.0);
    const double back = (code - q.zero_point) * q.scale;
    e += (x - back) * (x - back);
  }
  return e / static_cast<double>(std::max<size_t>(v.size(), 1));
}

std::pair<double, double> range_of(std::vector<double> v, RangeMethod method) {
  std::sort(v.begin(), v.end());
  const double lo = v.front(), hi = v.back();
  if (method == RangeMethod::MinMax) return {lo, hi};
  if (method == RangeMethod::Percentile) {
    const auto at = [&](double p) { return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))]; };
    return {at(0.0001), at(0.9999)};
  }
  // Mse: shrink the range toward zero by k / 100 and keep the best.
  std::vector<double> sample;
  const size_t step = std::max<size_t>(1, v.size() / 20000);  // bounded cost per tensor
  for (size_t i = 0; i < v.size(); i += step) sample.push_back(v[i]);
  std::pair<double, double> best{lo, hi};
  double best_e = quantization_mse(sample, lo, hi);
  for (int k = 99; k >= 30; --k) {
    const double f = k / 100.0;
    const double e = quantization_mse(sample, lo * f, hi * f);
    if (e < best_e) {
      best_e = e;
      best = {lo * f, hi * f};
    }
  }
  return best;
}

}  // namespace

ActivationRanges activation_ranges(const OnnxModel& model, const Tensor& calibration, RangeMethod method) {
  ActivationRanges ranges;
  Interpreter interpreter(model);
  interpreter.run({{model.inputs().at(0).name, calibration}}, [&](const std::string& name, const Tensor& t) {
    if (!t.floating() || t.size() == 0) return;
    ranges[name] = range_of(t.reals(), method);
  });
  return ranges;
}

NetworkProgram build_program(const OnnxModel& model, const Tensor* calibration) {
  if (detect_model_format(model) != ModelFormat::Float || !calibration) return ProgramBuilder(model, nullptr).build();
  const ActivationRanges ranges = activation_ranges(model, *calibration, RangeMethod::MinMax);
  return ProgramBuilder(model, &ranges).build();
}

NetworkProgram build_program(const OnnxModel& model, const ActivationRanges& ranges) {
  return ProgramBuilder(model, &ranges).build();
}

}  // namespace aps
