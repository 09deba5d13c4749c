#include "golden/import/builder.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "golden/accelerator/input_patches.hpp"
#include "golden/errors.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/requantize.hpp"
#include "golden/numerics/rounding.hpp"
#include "golden/onnx/node_attributes.hpp"
#include "golden/onnx/ops/quantization.hpp"

namespace aps::import {

ActivationQuant canonical_quant(double scale, int64_t zero_point, DType type) {
  return {static_cast<double>(static_cast<float>(scale)), static_cast<int32_t>(canonical_uint8(zero_point, type))};
}

std::string value_shape(const Shape& dims) {
  if (dims.empty()) return "[]";
  return fmt::format("[N{}{}]", dims.size() > 1 ? "," : "", fmt::join(dims.begin() + 1, dims.end(), ","));
}

std::string ActView::not_a_map(const std::string& reader) const {
  const std::string shape = value_shape(dims);
  if (dims.size() != 3 && dims.size() != 4)
    return fmt::format("{} needs an [N,C,H,W] or [N,C,L] input, not {}", reader, shape);
  return fmt::format("{} reads {}, a reshaped or transposed view of a value stored as {} channels of {}x{} (the "
                     "accelerator keeps each map in the layout its layer wrote, [C,H,W], and moves no data between "
                     "layers)",
                     reader, shape, stored.channels, stored.height, stored.width);
}

void fold_padding(Window& w, const ActView& in) {
  w.pad_top += static_cast<int>(in.pad[0]);
  w.pad_left += static_cast<int>(in.pad[1]);
  w.pad_bottom += static_cast<int>(in.pad[2]);
  w.pad_right += static_cast<int>(in.pad[3]);
}

std::vector<int64_t> compose_order(const std::vector<int64_t>& order, const std::vector<int64_t>& then) {
  std::vector<int64_t> out(then.size());
  bool identity = true;
  for (size_t j = 0; j < then.size(); ++j) {
    out[j] = order.empty() ? then[j] : order[then[j]];
    identity = identity && out[j] == static_cast<int64_t>(j);
  }
  if (identity) out.clear();
  return out;
}

std::vector<int64_t> transpose_order(const Shape& in_dims, const std::vector<int64_t>& perm) {
  const auto in_strides = row_major_strides(in_dims);
  Shape out_dims;
  for (int64_t p : perm) out_dims.push_back(in_dims[p]);
  const int64_t n = checked_element_count(out_dims, "transpose");
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    int64_t rem = j, from = 0;
    for (int d = static_cast<int>(out_dims.size()) - 1; d >= 0; --d) {
      from += (rem % out_dims[d]) * in_strides[perm[d]];
      rem /= out_dims[d];
    }
    order[j] = from;
  }
  return order;
}

ProgramBuilder::ProgramBuilder(const OnnxModel& model, const ActivationRanges* ranges)
    : model_(model), format_(detect_model_format(model)) {
  program_.source = model.source();
  if (model.inputs().size() != 1 || model.outputs().size() != 1)
    throw UnsupportedError(fmt::format("{}: the accelerator runs models with one input and one output ({} and {} here)",
                                       model.source(), model.inputs().size(), model.outputs().size()));
  program_.input_name = model.inputs()[0].name;
  program_.output_name = model.outputs()[0].name;
  if (format_ == ModelFormat::Float && !ranges)
    throw InputError(fmt::format("{}: a float model needs calibration data to be quantized (--calibration DIR)",
                                 model.source()));
  if (ranges) ranges_ = *ranges;
  calibrated_ = ranges != nullptr;
  // The graph input, as a view of one sample: batch first, as 1.
  const ValueInfo& info = model.inputs()[0];
  InputView v;
  if (!info.has_shape)
    throw UnsupportedError(fmt::format("{}: input '{}' declares no shape; the accelerator needs its sizes (a batch "
                                       "dimension, then fixed ones)",
                                       model.source(), info.name));
  if (info.dims.empty())
    throw UnsupportedError(fmt::format("{}: input '{}' has no batch dimension", model.source(), info.name));
  v.dims.push_back(1);
  for (size_t i = 1; i < info.dims.size(); ++i) {
    if (!info.dims[i])
      throw UnsupportedError(fmt::format(
          "{}: input '{}' dimension {} is not fixed; the accelerator's layers are sized from the input's: export it "
          "with fixed sizes after the batch, or fix them (onnx.tools.update_model_dims.update_inputs_outputs_dims)",
          model.source(), info.name, i));
    // Unchecked dimensions overflowed FeatureShape::size().
    if (*info.dims[i] < 1)
      throw InputError(fmt::format("{}: input '{}' dimension {} is {}", model.source(), info.name, i, *info.dims[i]));
    v.dims.push_back(*info.dims[i]);
  }
  checked_element_count(v.dims, fmt::format("{}: input '{}'", model.source(), info.name));
  program_.input_dims.assign(v.dims.begin() + 1, v.dims.end());
  // An integer input is codes: its DequantizeLinear gives their parameters.
  if (info.dtype == DType::Int8 || info.dtype == DType::UInt8) {
    v.codes = true;
    program_.input_codes = info.dtype;
  } else if (is_floating(info.dtype) && info.dtype != DType::Float) {
    // The data loader checks samples against float32 or the codes' type, so
    // a float64 or float16 input would be run as if it were float32. (Other
    // integer inputs are refused where a DequantizeLinear reads them.)
    throw UnsupportedError(fmt::format("{}: input '{}' is {}: the accelerator takes float32 samples, which the graph "
                                       "quantizes (QuantizeLinear), or int8 / uint8 codes",
                                       model.source(), info.name, dtype_name(info.dtype)));
  }
  inputs_[info.name] = v;
}

NetworkProgram ProgramBuilder::build() {
  for (const onnx::NodeProto* node : model_.nodes()) lower(*node);
  const std::string& out = program_.output_name;
  if (const auto p = pending_.find(out); p != pending_.end()) {
    // A quantized model that leaves its last layer's result float gives the
    // accelerator no scale for the 8-bit codes it writes.
    const std::string layer = p->second.layer.name;
    if (!finalize_unquantized(out))
      needs_calibration(fmt::format("{}: graph output '{}' is the float result of layer '{}' (no QuantizeLinear "
                                    "after it): the accelerator writes 8-bit codes",
                                    model_.source(), out, layer));
  }
  const int last = static_cast<int>(program_.layers.size()) - 1;
  if (const auto t = tail_.find(out); t != tail_.end()) {
    if (tail_source_ != last)
      throw UnsupportedError(fmt::format("{}: graph output '{}' is computed after layer {}, not after the last one",
                                         model_.source(), out, tail_source_));
    program_.output_tail = t->second.ops;
  } else {
    const auto it = acts_.find(out);
    if (it != acts_.end() && it->second.padded())
      throw UnsupportedError(fmt::format("{}: graph output '{}' is the output of Pad '{}', which maps onto the "
                                         "accelerator only as the padding of the Conv or AveragePool that reads it",
                                         model_.source(), out, it->second.pad_node));
    if (it == acts_.end() || it->second.tensor < 0 || it->second.tensor != last)
      throw UnsupportedError(fmt::format("{}: graph output '{}' is not the result of the last accelerator layer",
                                         model_.source(), out));
  }
  validate_program(program_);
  pack_input_patches(program_);
  return std::move(program_);
}

void ProgramBuilder::unsupported(const onnx::NodeProto& node, const std::string& why) const {
  throw UnsupportedError(fmt::format("{}: cannot map onto the accelerator: {}", model_.node_label(node), why));
}

OpContext ProgramBuilder::context(const onnx::NodeProto& node) const {
  return OpContext{node, model_.opset(), {}, NodeAttributes(node, model_.node_label(node))};
}

namespace {
// The inputs an op needs before its lowering reads node.input(i): the
// loader checks op types, not arity, and NodeProto::input(i) does not
// range-check.
int required_inputs(const std::string& op) {
  if (op == "QLinearMatMul" || op == "QLinearConv") return 8;
  if (op == "QGemm") return 6;
  if (op == "QLinearAdd") return 7;
  if (op == "QLinearAveragePool" || op == "QLinearGlobalAveragePool" || op == "QLinearLeakyRelu") return 4;
  if (op == "BatchNormalization") return 5;
  if (op == "QuantizeLinear" || op == "DequantizeLinear" || op == "Gemm" || op == "MatMul" || op == "Conv" ||
      op == "Add" || op == "PRelu")
    return 2;
  return op == "Constant" ? 0 : 1;
}
}  // namespace

void ProgramBuilder::lower(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (node.input_size() < required_inputs(op) || node.output_size() < 1 || node.output(0).empty())
    throw InputError(fmt::format("{}: needs at least {} inputs and an output", model_.node_label(node),
                                 required_inputs(op)));
  // Before the host tail's check: there, as anywhere, it is an Identity.
  if (op == "Dropout") return lower(inference_dropout(node));
  for (const auto& in : node.input())
    if (tail_.count(in)) {
      if (lower_host_tail(node)) return;
      unsupported(node, fmt::format("reads '{}', which the host computes after the last accelerator layer", in));
    }
  if (fold_constant(node)) return;
  if (lower_input_step(node)) return;
  if ((is_table_activation(op) || op == "QuantizeLinear" || op == "DequantizeLinear") && inside_swish(node)) return;
  if (op == "QuantizeLinear") return lower_quantize(node);
  if (op == "DequantizeLinear") return lower_dequantize(node);
  if (op == "Gemm" || op == "MatMul") return lower_fully_connected(node);
  if (op == "Conv") return lower_conv(node);
  if (op == "QLinearMatMul" || op == "QLinearConv" || op == "QGemm") return lower_qlinear(node);
  if (op == "QLinearAdd") return lower_qlinear_add(node);
  if (op == "QLinearAveragePool" || op == "QLinearGlobalAveragePool") return lower_qlinear_average_pool(node);
  if (op == "QLinearLeakyRelu") return lower_qlinear_leaky_relu(node);
  if (op == "Relu") return lower_relu(node);
  if (op == "Clip") return lower_clip(node);
  if (op == "LeakyRelu" || op == "PRelu") return lower_negative_slope(node);
  if (is_table_activation(op)) return lower_table_activation(node);
  if (const auto swish = swish_gate(node)) return lower_table_activation(node, &*swish);
  if (op == "Add") return lower_add(node);
  if (op == "MaxPool" || op == "GlobalMaxPool") return lower_max_pool(node);
  if (op == "AveragePool" || op == "GlobalAveragePool") return lower_average_pool(node);
  if (op == "ReduceMean") return lower_reduce_mean(node);
  if (op == "BatchNormalization") return lower_batch_norm(node);
  if (op == "Pad") return lower_pad(node);
  if ((op == "Mul" || op == "Div" || op == "Sub") && lower_channel_affine(node)) return;
  if (lower_layout(node)) return;
  if (lower_host_tail(node)) return;
  unsupported(node, fmt::format("op type '{}' has no accelerator layer", op));
}

const Tensor* ProgramBuilder::constant(const std::string& value) const {
  if (value.empty()) return nullptr;
  if (const Tensor* t = model_.initializer(value)) return t;
  const auto it = folded_.find(value);
  return it == folded_.end() ? nullptr : &it->second;
}

void ProgramBuilder::adopt_input_quant(const onnx::NodeProto& node, const std::string& value, const ActivationQuant& q) {
  const auto it = inputs_.find(value);
  // The graph input's own codes have no parameters until a reader gives them
  // theirs (a QuantizeLinear's output has its own).
  if (it == inputs_.end() || acts_.count(value) || !it->second.codes || it->second.q) return;
  if (program_.input_cast)
    unsupported(node, "reads the network input's integers as codes, where a Cast reads them as values: the "
                      "accelerator holds one copy of its input");
  input_read_as_codes_ = true;
  it->second.q = q;
}

void ProgramBuilder::needs_calibration(const std::string& what) const {
  throw PartlyQuantizedError(fmt::format("{}, and a partly quantized model's float values are quantized from "
                                         "calibration ranges: give calibration data (--calibration DIR)",
                                         what));
}

const Tensor* ProgramBuilder::constant_ahead(const std::string& value) {
  if (const Tensor* t = constant(value)) return t;
  const onnx::NodeProto* p = model_.producer(value);
  return p && p->op_type() == "Constant" && p->input_size() == 0 && fold_constant(*p) ? constant(value) : nullptr;
}

ActivationQuant ProgramBuilder::calibrated_quant(const std::string& value) const {
  const auto it = ranges_.find(value);
  if (it == ranges_.end()) throw InputError(fmt::format("{}: no calibration range for '{}'", model_.source(), value));
  const auto [lo, hi] = it->second;
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    const onnx::NodeProto* made = model_.producer(value);
    throw InputError(fmt::format("{}: '{}' {} on the calibration data, which no activation grid holds",
                                 made ? model_.node_label(*made) : model_.source(), value,
                                 std::isnan(lo) ? "is NaN" : fmt::format("reaches {}", std::isfinite(lo) ? hi : lo)));
  }
  return activation_quant_from_range(lo, hi);
}

// A per-tensor activation quantization from constant scale and zero point
// tensors. The zero point must be an integer tensor: a float one has no
// ints() to read.
ActivationQuant ProgramBuilder::activation_quant(const onnx::NodeProto& node, const Tensor* scale, const Tensor* zp,
                                                 DType absent_zp_type) const {
  if (!scale || scale->size() != 1 || (zp && zp->size() != 1))
    unsupported(node, "activation scale and zero point must be constant scalars");
  const DType type = zp ? zp->dtype() : absent_zp_type;
  if (type != DType::UInt8 && type != DType::Int8) unsupported(node, "activation zero point must be uint8 or int8");
  return canonical_quant(checked_scale(scale->value(0), "scale", model_.node_label(node)), zp ? zp->ints()[0] : 0,
                         type);
}

// The element type of the codes `value` holds: what the QuantizeLinear that
// made them writes, or the zero point's type of the QLinear op (uint8 when
// it has none). Any other op is followed to its first input: every op that
// passes codes on (a layout op, MaxPool, and ONNX Runtime's QLinearAdd,
// QLinear pooling and QGemm, whose output type is A's) keeps their type. A
// DequantizeLinear without a zero point reads 0 of this type.
DType ProgramBuilder::codes_dtype(std::string value) const {
  for (;;) {
    if (const Tensor* t = constant(value)) return t->dtype();
    const onnx::NodeProto* made = model_.producer(value);
    if (!made) {
      for (const ValueInfo& in : model_.inputs())
        if (in.name == value) return in.dtype;
      return DType::UInt8;
    }
    const std::string& op = made->op_type();
    const int zp = op == "QuantizeLinear" ? 2 : op == "QLinearConv" || op == "QLinearMatMul" ? 7 : -1;
    if (zp >= 0) {
      const Tensor* t = made->input_size() > zp ? constant(made->input(zp)) : nullptr;
      if (op == "QuantizeLinear") return quantize_output_type(context(*made), t);
      return t ? t->dtype() : DType::UInt8;
    }
    if (made->input_size() == 0) return DType::UInt8;
    value = made->input(0);
  }
}

// A quantized constant: codes with scales (one, or one per index along
// `axis`) and integer zero points (one, or one per scale). Scales must be
// positive and finite; the sizes must agree before anything is indexed.
std::vector<double> QuantConst::values() const {
  int64_t inner = 1;
  for (int d = std::max(axis, 0) + 1; d < codes.rank(); ++d) inner *= codes.shape()[d];
  const auto count = static_cast<int64_t>(scales.size());
  std::vector<double> v;
  for (int64_t i = 0; i < codes.size(); ++i) {
    const auto k = static_cast<size_t>(count == 1 ? 0 : (i / inner) % count);
    v.push_back(dequantize_linear(codes.ints()[i], static_cast<float>(scales[k]), zero_points[k]));
  }
  return v;
}

QuantConst ProgramBuilder::quant_const_from(const onnx::NodeProto& node, const Tensor& codes, const Tensor& scale,
                                            const Tensor* zp, int64_t axis) const {
  if (scale.size() < 1 || scale.rank() > 1 ||
      (zp && (zp->floating() || zp->rank() > 1 || (zp->size() != 1 && zp->size() != scale.size()))))
    unsupported(node, "scale and zero point must be scalars or 1-D, one value or one per channel, zero points integers");
  // ONNX's own rules, which the ONNX-semantics engine enforces: the program
  // would otherwise read the codes with another zero point than ONNX does.
  if (zp && zp->dtype() != codes.dtype())
    throw InputError(fmt::format("{}: zero point type {} differs from the codes' type {}", model_.node_label(node),
                                 dtype_name(zp->dtype()), dtype_name(codes.dtype())));
  if (zp && codes.dtype() == DType::Int32)
    for (int64_t v : zp->ints())
      if (v != 0) throw InputError(fmt::format("{}: int32 codes need zero point 0, not {}", model_.node_label(node), v));
  QuantConst c;
  c.codes = codes;
  for (int64_t i = 0; i < scale.size(); ++i)
    c.scales.push_back(checked_dequantize_scale(scale.value(i), "scale", model_.node_label(node)));
  for (int64_t i = 0; i < scale.size(); ++i) c.zero_points.push_back(zp ? zp->ints()[zp->size() == 1 ? 0 : i] : 0);
  if (axis < 0) axis += codes.rank();
  c.axis = axis < 0 || axis >= codes.rank() ? -1 : static_cast<int>(axis);
  return c;
}

std::string ProgramBuilder::not_codes(const std::string& value, const std::string& usual) const {
  const ValueInfo& in = model_.inputs()[0];
  // The input itself or a layout op's view of it.
  if (is_floating(in.dtype) || !inputs_.count(value)) return usual;
  return fmt::format("reads the graph input '{}' as {} codes: the accelerator takes float32 samples, which the graph "
                     "quantizes (QuantizeLinear), or int8 / uint8 codes, which a DequantizeLinear reads",
                     in.name, dtype_name(in.dtype));
}

// The activation an ONNX value stands for. In float models the network
// input and pending layers become activations when first read.
ActView ProgramBuilder::act(const std::string& value, const onnx::NodeProto& node, bool takes_padding) {
  if (pending_.count(value) && !finalize_unquantized(value))
    needs_calibration(fmt::format("{}: '{}' is read before it is quantized: the accelerator stores every layer's "
                                  "output as codes",
                                  model_.node_label(node), value));
  if (const auto it = acts_.find(value); it != acts_.end()) {
    if (it->second.padded() && !takes_padding)
      unsupported(node, fmt::format("reads the output of Pad '{}', which maps onto the accelerator only as the "
                                    "padding of the Conv or AveragePool that reads it",
                                    it->second.pad_node));
    return it->second;
  }
  if (const auto it = inputs_.find(value); it != inputs_.end()) {
    if (it->second.q) return acts_[value] = declare_input(it->second, *it->second.q, &node);
    // Not codes: float samples, or integers the graph cast to float.
    if (calibrated_ && !it->second.codes)
      return acts_[value] = declare_input(it->second, calibrated_quant(value), &node);
    if (!it->second.codes)
      needs_calibration(fmt::format("{}: reads '{}', the graph input, unquantized", model_.node_label(node), value));
  }
  if (const auto it = fused_.find(value); it != fused_.end())
    unsupported(node, fmt::format("reads '{}', {}: the accelerator keeps only the fused result", value, it->second));
  unsupported(node, not_codes(value, fmt::format("input '{}' is not a quantized activation", value)));
}

PendingLayer ProgramBuilder::take_pending(const std::string& value, const onnx::NodeProto& node) {
  PendingLayer p = pending_.at(value);
  pending_.erase(value);
  fused_[value] = fmt::format("the result of layer '{}' before the {} fused into it", p.layer.name, node.op_type());
  return p;
}

// A 1x1 average pooling of `in` that keeps its shape, order and elements:
// the layer that moves a value to another grid (requantize), scales its
// negative values (lower_negative_slope) or maps it through a table
// (lower_table_activation).
PendingLayer ProgramBuilder::requantizing_layer(const onnx::NodeProto& node, const ActView& in) const {
  PendingLayer p = new_layer(node, LayerKind::AveragePool, in);
  p.layer.out_shape = in.stored;
  p.order = in.order;
  return p;
}

PendingLayer ProgramBuilder::new_layer(const onnx::NodeProto& node, LayerKind kind, const ActView& in) const {
  PendingLayer p;
  p.layer.name = node.name().empty() ? node.output(0) : node.name();
  p.layer.kind = kind;
  p.layer.input = in.tensor;
  p.layer.in_q = in.q;
  p.layer.in_shape = in.stored;
  p.dims = in.dims;
  return p;
}

bool ProgramBuilder::per_tensor_params_ahead(const onnx::NodeProto& q) {
  if (q.input_size() < 2) return false;  // its own lowering refuses it, with the reason
  for (int i = 1; i < q.input_size(); ++i) {
    const Tensor* t = q.input(i).empty() ? nullptr : constant_ahead(q.input(i));
    if (!q.input(i).empty() && (!t || t->size() != 1)) return false;
  }
  return true;
}

ActivationQuant ProgramBuilder::quantize_params(const onnx::NodeProto& node) const {
  if (node.input_size() > 2 && !node.input(2).empty() && !constant(node.input(2)))
    unsupported(node, "activation scale and zero point must be constant scalars");
  const Tensor* zp = node.input_size() > 2 ? constant(node.input(2)) : nullptr;
  return activation_quant(node, constant(node.input(1)), zp, quantize_output_type(context(node), zp));
}

void ProgramBuilder::lower_quantize(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  const ActivationQuant q = quantize_params(node);
  const std::string& out = node.output(0);
  if (const auto it = inputs_.find(x); it != inputs_.end() && !acts_.count(x)) {
    InputView v = it->second;
    if (v.q && !(*v.q == q)) unsupported(node, "quantizes the network input a second time, with other parameters");
    v.q = q;
    v.codes = true;
    inputs_[out] = v;
    return;
  }
  if (pending_.count(x)) {
    const Layer& l = pending_.at(x).layer;
    if (l.kind == LayerKind::MaxPool && !(l.in_q == q)) {
      // Max pooling keeps its input's grid; the new parameters are a
      // requantizing layer after it.
      finalize(x, l.in_q);
      acts_[out] = requantize(node, acts_.at(x), q);
      return;
    }
    finalize(x, q);
    acts_[out] = acts_.at(x);
    acts_[out].codes = true;
    return;
  }
  ActView v = act(x, node, true);
  if (!(v.q == q)) {
    acts_[out] = requantize(node, v, q);
    return;
  }
  v.codes = true;
  acts_[out] = v;
}

// A QuantizeLinear that moves a dequantized activation to new parameters:
// ONNX Runtime writes one after a Relu when activations are symmetric (the
// Relu's output range is narrower than its input's). The accelerator
// requantizes only in a layer, so this becomes one: a 1x1 average pooling
// subtracts the input's zero point, multiplies by s_in / s_out and adds the
// output's, as the DequantizeLinear -> QuantizeLinear pair does, with the
// requantizer's rounding. No element moves, so the view keeps its shape,
// order and padding (a padding zero is zero on any grid). The map 0 -> 0 is
// monotone, so a Relu or Clip after it still belongs to the layer before
// (layer_before walks through it).
ActView ProgramBuilder::requantize(const onnx::NodeProto& node, const ActView& in, ActivationQuant q) {
  ActView v = finalize_codes(node.output(0), requantizing_layer(node, in), q);
  v.pad = in.pad;
  v.pad_node = in.pad_node;
  return v;
}

void ProgramBuilder::lower_dequantize(const onnx::NodeProto& node) {
  const std::string& x = node.input(0);
  check_dequantize_attributes(context(node));
  const Tensor* scale = constant(node.input(1));
  const Tensor* zp = node.input_size() > 2 ? constant(node.input(2)) : nullptr;
  if (!scale) unsupported(node, "scale must be a constant");
  if (node.input_size() > 2 && !node.input(2).empty() && !zp) unsupported(node, "zero point must be a constant");
  if (const Tensor* c = constant(x)) {
    qconsts_[node.output(0)] = quant_const_from(node, *c, *scale, zp, context(node).attrs.get_int("axis", 1));
    return;
  }
  if (scale->size() != 1 || (zp && zp->size() != 1)) unsupported(node, "activation scale must be per tensor");
  if (const auto it = inputs_.find(x); it != inputs_.end() && !acts_.count(x) && !it->second.codes)
    unsupported(node, not_codes(x, "dequantizes a value that is not quantized"));
  const ActivationQuant q = activation_quant(node, scale, zp, zp ? DType::UInt8 : codes_dtype(x));
  if (const auto it = inputs_.find(x); it != inputs_.end() && !acts_.count(x)) {
    adopt_input_quant(node, x, q);
    InputView v = it->second;
    if (!(*v.q == q))
      unsupported(node, program_.input_codes != DType::Float
                            ? fmt::format("dequantizes the network input's codes at scale {} and zero point {}, where "
                                          "another DequantizeLinear read them at {} and {}: the accelerator holds "
                                          "one copy of its input",
                                          q.scale, q.zero_point, v.q->scale, v.q->zero_point)
                            : "dequantizes with parameters other than the ones it was quantized with");
    v.codes = false;
    inputs_[node.output(0)] = v;
    return;
  }
  ActView v = act(x, node, true);
  if (!v.codes) unsupported(node, "dequantizes a value that is not quantized");
  if (!(q == v.q)) unsupported(node, "dequantizes with parameters other than the ones it was quantized with");
  v.codes = false;
  acts_[node.output(0)] = v;
}

// A bias value at the accumulator's scale, rounded half to even and
// saturated to int32, in double: a cast to int64 first would be undefined
// beyond int64 and for NaN.
int32_t ProgramBuilder::bias_code(double v, const Layer& l) const {
  // Clamped, a bias beyond int32 would saturate every output where ONNX gives the bias.
  const double code = round_half_to_even(v);
  if (!std::isfinite(v) || code < -2147483648.0 || code > 2147483647.0)
    throw InputError(fmt::format("{}: layer '{}': the bias at the accumulator's scale is {}, beyond int32 (the "
                                 "input's or weights' scale is tiny against it)",
                                 model_.source(), l.name, v));
  return static_cast<int32_t>(code);
}

// A clip to [lo, hi] applied where the accelerator can, exactly:
//  * nowhere, for a bound beyond the values the clip reads (its input's grid
//    `at_clip` ends inside it);
//  * as layer `l`'s saturation, when the clip reads `l`'s grid and the bound
//    lies within half a step of the grid's end (Q(lo) = the zero point is
//    ReLU, exact on any grid): the end code stands for the bound, so the grid
//    `then` the clip's output is quantized to next must quantize both alike;
//  * as the saturation of the requantizing layer that moves the clip's
//    output to the grid `then` (ONNX Runtime keeps a ReLU6 between its
//    layer's QuantizeLinear / DequantizeLinear and its own, whose grid ends at
//    6): every value beyond the bound saturates there, as the clipped ones do.
// A bound inside the grids would need a clamp the accelerator lacks.
void ProgramBuilder::clip_as_saturation(Layer& l, double lo, double hi, const ActivationQuant& at_clip,
                                        const std::optional<ActivationQuant>& then) const {
  const auto code = [](const ActivationQuant& q, double v) {
    return quantize_linear(v, static_cast<float>(q.scale), q.zero_point, DType::UInt8);
  };
  // Bounds that meet leave a constant, which no grid's ends stand for (the
  // measured range is then [c, c], and its grid an arbitrary one).
  if (lo >= hi)
    throw UnsupportedError(fmt::format("{}: layer '{}': Clip({}, {}) makes every output {}, a constant: the accelerator "
                                       "clamps only at the ends of a range",
                                       model_.source(), l.name, lo, hi, hi));
  const ActivationQuant& q = l.out_q;
  const bool on_layer_grid = at_clip == q;
  const double top = dequantize_linear(255, static_cast<float>(at_clip.scale), at_clip.zero_point);
  const double bottom = dequantize_linear(0, static_cast<float>(at_clip.scale), at_clip.zero_point);
  const bool then_top = then && code(*then, hi) >= 255, then_bottom = then && code(*then, lo) <= 0;
  const bool layer_top = on_layer_grid && code(q, hi) >= 255 && (!then || code(*then, top) == code(*then, hi));
  const bool layer_bottom = on_layer_grid && code(q, lo) <= 0 && (!then || code(*then, bottom) == code(*then, lo));
  if (!(hi >= top || then_top || layer_top))
    throw UnsupportedError(fmt::format("{}: layer '{}': Clip's upper bound {} lies inside the output's range (up to {}); "
                                       "the accelerator clamps only at the range's ends",
                                       model_.source(), l.name, hi, top));
  if (lo <= bottom || then_bottom || layer_bottom) return;
  if (lo != 0)
    throw UnsupportedError(fmt::format("{}: layer '{}': Clip's lower bound {} lies inside the output's range",
                                       model_.source(), l.name, lo));
  l.relu = true;
}

bool ProgramBuilder::finalize_unquantized(const std::string& value) {
  const Layer& l = pending_.at(value).layer;
  if (format_ != ModelFormat::Float && l.kind == LayerKind::MaxPool) {  // it selects values: on its input's grid
    finalize(value, l.in_q);
  } else if (calibrated_) {
    finalize_from_calibration(value);
  } else {
    return false;
  }
  return true;
}

// A float model's layer whose ReLU or clip comes after its max pooling or a
// layout op (layer_before) gets the grid of its values after it, as a fused
// one's: from 0 after a ReLU, where the negative codes would all read as 0.
void ProgramBuilder::finalize_from_calibration(const std::string& value) {
  // A NaN weight or bias makes its layer's output NaN: it is the one to name.
  check_finite_constants(pending_.at(value));
  ActivationQuant q = calibrated_quant(value);  // refuses a value without a range
  if (const auto a = activation_after(value)) {
    // The measured range, moved into the activation's.
    auto [lo, hi] = ranges_.at(value);
    lo = std::clamp(lo, a->lo, a->hi);
    hi = std::max(lo, std::clamp(hi, a->lo, a->hi));
    q = activation_quant_from_range(lo, hi);
    if (a->clip) {
      auto& clip = pending_.at(value).clip;
      clip = {std::max(a->lo, clip ? clip->first : a->lo), std::min(a->hi, clip ? clip->second : a->hi)};
    }
  }
  finalize(value, q, true);
}

namespace {
// int8 symmetric per-channel quantization, [-127, 127]: the recipe of the
// bundled QDQ models (tools/make_digits_models.py), float32 throughout.
void quantize_float_weights(const std::vector<double>& w, int64_t outs, Layer& l) {
  const int64_t rest = static_cast<int64_t>(w.size()) / std::max<int64_t>(outs, 1);
  l.weights.resize(w.size());
  l.weight_scales.clear();
  l.weight_zero_points.assign(static_cast<size_t>(outs), 0);
  for (int64_t o = 0; o < outs; ++o) {
    float amax = 0.0f;
    for (int64_t r = 0; r < rest; ++r) amax = std::max(amax, static_cast<float>(std::fabs(w[o * rest + r])));
    // An all-zero channel keeps scale 0, as a quantized model's would
    // (finalize gives it its scale).
    const float sc = amax / 127.0f;
    l.weight_scales.push_back(sc);
    for (int64_t r = 0; r < rest; ++r) {
      const float q = sc == 0.0f ? 0.0f : static_cast<float>(w[o * rest + r]) / sc;
      l.weights[o * rest + r] = static_cast<int8_t>(std::clamp(round_half_to_even(q), -127.0, 127.0));
    }
  }
}
}  // namespace

ActView& ProgramBuilder::finalize_codes(const std::string& value, PendingLayer p, ActivationQuant out_q) {
  pending_[value] = std::move(p);
  finalize(value, out_q);
  ActView& v = acts_.at(value);
  v.codes = true;
  return v;
}

void PendingLayer::bias_to_real() {
  const auto outs = static_cast<size_t>(layer.out_shape.channels);
  if (bias_quant) {
    const QuantConst& b = *bias_quant;
    bias_real.resize(outs);
    for (size_t c = 0; c < outs; ++c) {
      const size_t k = b.scales.size() == 1 ? 0 : c;
      bias_real[c] = static_cast<double>(b.codes.ints()[c] - b.zero_points[k]) * b.scales[k];
    }
    bias_quant.reset();
  }
  if (bias_real.empty()) bias_real.assign(outs, 0.0);
}

// NaN or infinite weights or biases (or a BatchNormalization folding that
// makes them so) are refused: NaN -> int8 is undefined, and a NaN bias
// would reach the output as the zero point, where ONNX's output is NaN.
void ProgramBuilder::check_finite_constants(const PendingLayer& p) const {
  for (double w : p.float_weights)
    if (!std::isfinite(w))
      throw InputError(fmt::format("{}: layer '{}': weight {} is not finite", model_.source(), p.layer.name, w));
  for (size_t c = 0; c < p.bias_real.size(); ++c)
    if (!std::isfinite(p.bias_real[c]))
      throw InputError(fmt::format("{}: layer '{}': the bias of output channel {} is {}, not finite", model_.source(),
                                   p.layer.name, c, p.bias_real[c]));
}

void ProgramBuilder::finalize(const std::string& value, ActivationQuant out_q, bool measured) {
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
  if (p.clip) {
    const auto [lo, hi] = *p.clip;
    const auto code = [&](double v) {
      return quantize_linear(v, static_cast<float>(out_q.scale), out_q.zero_point, DType::UInt8);
    };
    // A range measured after a Clip ends at its bounds, and the zero point's
    // rounding can leave one bound a code inside the grid. The grid is then
    // the widest, with a zero point next to the measured one, whose ends
    // both bounds reach (so the Clip is its saturation).
    if (measured && (code(hi) == 254 || code(lo) == 1)) {
      const ActivationQuant measured = out_q;
      ActivationQuant best{0, measured.zero_point};
      for (int32_t z = measured.zero_point - 1; z <= measured.zero_point + 1; ++z) {
        if (z < 0 || z > 255 || (hi > 0 && z == 255) || (lo < 0 && z == 0)) continue;
        double scale = measured.scale;
        if (std::isfinite(hi) && hi > 0) scale = std::min(scale, hi / (255 - z));
        if (std::isfinite(lo) && lo < 0) scale = std::min(scale, -lo / z);
        out_q = {static_cast<float>(scale), z};
        if (code(hi) == 255 && code(lo) <= 0 && out_q.scale > best.scale) best = out_q;
      }
      out_q = best.scale > 0 ? best : measured;
      l.out_q = out_q;
    }
    clip_as_saturation(l, lo, hi, l.out_q, std::nullopt);
  }
  check_finite_constants(p);
  if (l.has_weights() && !p.float_weights.empty()) quantize_float_weights(p.float_weights, l.out_shape.channels, l);
  // quantize_multiplier knows only the number; the user needs the model and layer whose scales overflow it.
  // Layers that requantize an integer accumulator saturate where the multiplier is too large to hold.
  const auto multiplier = [&](double real) {
    // A slope scales the multiplier it is given: one held at 255 for a larger
    // one would scale to less than the slope times the real one.
    if (l.leaky() && real >= kHighestOutputCode)
      throw UnsupportedError(fmt::format("{}: layer '{}': its requantization multiplier {} is too large to hold, which "
                                         "its negative slope would need (its output range is tiny against its "
                                         "input's)",
                                         model_.source(), l.name, real));
    try {
      return l.has_weights() || l.kind == LayerKind::AveragePool ? saturating_multiplier(real)
                                                                 : quantize_multiplier(real);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: layer '{}': {}", model_.source(), l.name, e.what()));
    }
  };
  if (l.kind == LayerKind::AveragePool) {
    const double divisor = static_cast<double>(l.window.kernel_h) * l.window.kernel_w;
    l.bias.assign(static_cast<size_t>(l.out_shape.channels), 0);
    l.multipliers.assign(static_cast<size_t>(l.out_shape.channels),
                         multiplier(l.in_q.scale / (out_q.scale * divisor)));
  }
  if (l.kind == LayerKind::Add) {
    const double twice_max = 2.0 * std::max(l.in_q.scale, l.add.in_q_b.scale);
    l.add.multiplier_a = multiplier(l.in_q.scale / twice_max);
    l.add.multiplier_b = multiplier(l.add.in_q_b.scale / twice_max);
    l.bias.assign(static_cast<size_t>(l.out_shape.channels), 0);
    l.multipliers.assign(static_cast<size_t>(l.out_shape.channels),
                         multiplier(twice_max / (std::ldexp(1.0, l.add.left_shift) * out_q.scale)));
  }
  if (l.has_weights()) {
    const int64_t outs = l.out_shape.channels;
    l.bias.assign(static_cast<size_t>(outs), 0);
    const std::vector<double> quant_bias = p.bias_quant ? p.bias_quant->values() : std::vector<double>{};
    for (int64_t c = 0; c < outs; ++c) {
      // A channel whose weights are all 0 (scale 0, codes at the zero point)
      // computes its bias alone, which ONNX quantizes once (quantize_linear at
      // the output scale; into int32 here, as the output saturates anyway). The
      // accumulator takes the output's scale (multiplier 1, exact).
      if (l.weight_scales[c] == 0.0) {
        const double value = p.bias_quant ? quant_bias[static_cast<size_t>(c)]
                                          : p.bias_real.empty() ? 0.0 : static_cast<float>(p.bias_real[c]);
        l.bias[c] = static_cast<int32_t>(quantize_linear(value, static_cast<float>(out_q.scale), 0, DType::Int32));
        l.weight_scales[c] = out_q.scale / l.in_q.scale;
        l.multipliers.push_back(multiplier(1.0));
        continue;
      }
      const double acc_scale = l.in_q.scale * l.weight_scales[c];
      double exact = 0;  // the bias in accumulator steps, as ONNX adds it
      if (p.bias_quant) {
        const double bias_scale = p.bias_quant->scales[p.bias_quant->scales.size() == 1 ? 0 : c];
        const int64_t code = p.bias_quant->codes.ints()[c];
        exact = code * bias_scale / acc_scale;
        // The bias is meant to be at the accumulator's scale; if the model
        // stored it at a slightly different scale, move it there.
        l.bias[c] = std::fabs(bias_scale / acc_scale - 1.0) < 1e-6 ? static_cast<int32_t>(code) : bias_code(exact, l);
      } else if (!p.bias_real.empty()) {
        exact = p.bias_real[c] / acc_scale;
        const float bias_scale = static_cast<float>(l.in_q.scale) * static_cast<float>(l.weight_scales[c]);
        l.bias[c] = bias_code(static_cast<float>(p.bias_real[c]) / bias_scale, l);
      }
      const double real = acc_scale / out_q.scale;
      // Saturating stands in for a multiplier too large to hold only when the
      // accumulator is the one ONNX computes: a bias off its grid, times such a
      // multiplier, moves ONNX's output by codes.
      if (real >= kHighestOutputCode && std::fabs(exact - l.bias[c]) * real >= 0.5)
        throw InputError(fmt::format("{}: layer '{}': requantization multiplier {} is too large to hold, and the "
                                     "bias of channel {} is not on the accumulator's grid",
                                     model_.source(), l.name, real, c));
      l.multipliers.push_back(multiplier(real));
    }
  }
  ActView v;
  v.tensor = static_cast<int>(program_.layers.size());
  v.q = out_q;
  v.stored = l.out_shape;
  v.dims = p.dims;
  v.order = p.order;
  program_.layers.push_back(std::move(l));
  layer_values_.push_back(value);
  acts_[value] = v;
}

}  // namespace aps::import
