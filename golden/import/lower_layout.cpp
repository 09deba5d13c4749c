// The ONNX ops that move no values: Transpose, Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, and a zero Pad (a view the next Conv or AveragePool
// takes as its own padding). On the graph input they fold into the host's input
// packing (an NHWC input transposed to NCHW, a flat input reshaped to a map);
// between layers they are views, and a fully connected layer reads its input
// in the view's order (TensorFlow's NHWC flatten). After the last layer,
// Softmax and these views are the host tail.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/onnx/node_attributes.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/pad.hpp"

namespace aps::import {
namespace {

int64_t element_count(const Shape& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

}  // namespace

// The shape a layout op gives a value of shape `in` (batch first, as 1).
Shape ProgramBuilder::layout_target(const onnx::NodeProto& node, const Shape& in) const {
  const std::string& op = node.op_type();
  const auto ctx = context(node);
  const int rank = static_cast<int>(in.size());
  if (op == "Identity") return in;
  if (op == "Flatten") {
    int64_t axis = ctx.attrs.get_int("axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) unsupported(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
    if (axis > 1) unsupported(node, "only a Flatten that keeps the batch dimension maps onto the accelerator");
    return {1, element_count(in)};
  }
  if (op == "Reshape") {
    std::vector<int64_t> target;
    if (model_.opset() < 5) {
      target = ctx.attrs.get_ints("shape");
    } else {
      const Tensor* t = node.input_size() > 1 ? constant(node.input(1)) : nullptr;
      if (!t || t->dtype() != DType::Int64) unsupported(node, "the target shape must be a constant int64 tensor");
      target = t->ints();
    }
    if (target.empty()) unsupported(node, "a Reshape to a scalar drops the batch dimension");
    const bool allow_zero = ctx.attrs.get_int("allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0 && !allow_zero) {
        if (static_cast<int>(i) >= rank) unsupported(node, fmt::format("the target copies dimension {} the input lacks", i));
        target[i] = in[i];
      }
      if (target[i] == -1) {
        if (infer >= 0) unsupported(node, "more than one -1 in the target shape");
        infer = static_cast<int>(i);
      } else if (target[i] < 0) {
        unsupported(node, fmt::format("invalid dimension {} in the target shape", target[i]));
      } else {
        // Bounded by the input's count before it multiplies: a target this
        // large is wrong anyway, and the product would overflow int64.
        if (target[i] > 0 && known > element_count(in) / target[i])
          unsupported(node, fmt::format("the target shape {} holds more elements than the input {}",
                                        shape_string(target), shape_string(in)));
        known *= target[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || element_count(in) % known != 0) unsupported(node, "cannot infer the -1 dimension");
      target[infer] = element_count(in) / known;
    }
    if (element_count(target) != element_count(in) || target[0] != 1)
      unsupported(node, fmt::format("reshapes {} to {}; the batch dimension must stay first", shape_string(in),
                                    shape_string(target)));
    return target;
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    std::vector<int64_t> axes;
    if (model_.opset() < 13) {
      axes = ctx.attrs.get_ints("axes");
    } else if (node.input_size() > 1 && !node.input(1).empty()) {
      const Tensor* t = constant(node.input(1));
      if (!t) unsupported(node, "axes must be a constant");
      axes = t->ints();
    }
    Shape out = in;
    if (op == "Squeeze") {
      const int r = rank;
      if (axes.empty())
        for (int d = 1; d < r; ++d)
          if (in[d] == 1) axes.push_back(d);
      for (auto& a : axes) a = a < 0 ? a + r : a;
      std::sort(axes.rbegin(), axes.rend());
      for (int64_t a : axes) {
        if (a <= 0 || a >= r || in[a] != 1) unsupported(node, fmt::format("cannot squeeze axis {} of {}", a, shape_string(in)));
        out.erase(out.begin() + a);
      }
    } else {
      const int r = rank + static_cast<int>(axes.size());
      for (auto& a : axes) a = a < 0 ? a + r : a;
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) {
        if (a <= 0 || a > static_cast<int64_t>(out.size())) unsupported(node, fmt::format("cannot unsqueeze at axis {}", a));
        out.insert(out.begin() + a, 1);
      }
    }
    return out;
  }
  unsupported(node, fmt::format("'{}' is not a layout op", op));
}

onnx::NodeProto ProgramBuilder::inference_dropout(const onnx::NodeProto& node) const {
  if (node.input_size() > 2 && !node.input(2).empty()) {
    const Tensor* mode = constant(node.input(2));
    if (!mode || mode->size() != 1 || mode->floating() || mode->ints()[0] != 0)
      unsupported(node, "training_mode must be a constant false: only inference maps onto the accelerator");
  }
  if (node.output_size() > 1 && !node.output(1).empty() &&
      (!model_.consumers(node.output(1)).empty() || node.output(1) == program_.output_name))
    unsupported(node, fmt::format("its mask '{}' is read, and the accelerator does not make one", node.output(1)));
  onnx::NodeProto identity;
  identity.set_name(node.name());
  identity.set_op_type("Identity");
  identity.add_input(node.input(0));
  identity.add_output(node.output(0));
  return identity;
}

bool ProgramBuilder::lower_input_cast(const onnx::NodeProto& node) {
  // The graph input's own integers: codes with no parameters, or with those
  // a reader that took them as codes gave them (an integer input is
  // quantized only after a Cast; a QuantizeLinear's codes are not these).
  const auto it = inputs_.find(node.input(0));
  if (it == inputs_.end() || acts_.count(node.input(0)) || !it->second.codes || (it->second.q && !input_read_as_codes_))
    return false;
  const int64_t to = context(node).attrs.get_int("to", 0);
  if (to != static_cast<int64_t>(DType::Float))
    unsupported(node, fmt::format("casts the network input's {} values to {}: only a cast to float32 is the host's",
                                  dtype_name(program_.input_codes), dtype_name(static_cast<DType>(to))));
  if (input_read_as_codes_)
    unsupported(node, "casts the network input's integers to float, where a DequantizeLinear or QLinear node reads "
                      "them as codes: the accelerator holds one copy of its input");
  InputView v = it->second;
  v.codes = false;
  program_.input_cast = true;
  inputs_[node.output(0)] = v;
  return true;
}

// A NaN or infinite constant makes the input NaN or infinite where ONNX
// computes it (a variance below -epsilon, a divisor of 0 folded in); the
// accelerator's grid would saturate it into a plausible code.
void ProgramBuilder::check_finite_step(const onnx::NodeProto& node, const InputStep& step) const {
  for (float x : step.constant)
    if (!std::isfinite(x))
      throw InputError(fmt::format("{}: its constant on the network input holds {}, not a finite number",
                                   model_.node_label(node), x));
}

bool ProgramBuilder::lower_input_step(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (op == "Cast") return lower_input_cast(node);
  if (op == "BatchNormalization") return lower_input_batch_norm(node);
  if ((op != "Add" && op != "Sub" && op != "Mul" && op != "Div") || node.input_size() != 2 || model_.opset() < 7)
    return false;
  for (int k : {0, 1}) {
    const Tensor* c = constant(node.input(1 - k));
    if (!c || !c->floating()) continue;
    std::optional<InputView> input = unquantized_input(node.input(k), node);
    if (!input) continue;
    InputView& v = *input;
    const auto keeps_shape = [&] {
      try {
        return broadcast_shapes(v.dims, c->shape(), "") == v.dims;
      } catch (const InputError&) {
        return false;
      }
    };
    if (!keeps_shape())
      unsupported(node, fmt::format("its constant {} does not broadcast onto the network input {}",
                                    shape_string(c->shape()), value_shape(v.dims)));
    if (op == "Div" && k == 0 && std::find(c->reals().begin(), c->reals().end(), 0.0) != c->reals().end())
      throw InputError(fmt::format("{}: divides the network input by a constant 0", model_.node_label(node)));
    InputStep step;
    step.op = op == "Add" ? InputStep::Op::Add : op == "Sub" ? InputStep::Op::Sub
              : op == "Mul" ? InputStep::Op::Mul : InputStep::Op::Div;
    step.constant_first = k == 1;
    const std::vector<int64_t> offsets = broadcast_offsets(v.dims, c->shape());
    step.constant.resize(offsets.size());
    for (size_t i = 0; i < offsets.size(); ++i)
      step.constant[v.order.empty() ? i : static_cast<size_t>(v.order[i])] = static_cast<float>(c->reals()[offsets[i]]);
    check_finite_step(node, step);
    v.steps.push_back(std::move(step));
    inputs_[node.output(0)] = v;
    return true;
  }
  return false;
}

std::optional<InputView> ProgramBuilder::unquantized_input(const std::string& value, const onnx::NodeProto& node) const {
  const auto it = inputs_.find(value);
  if (it == inputs_.end() || acts_.count(value)) return std::nullopt;
  if (it->second.codes || it->second.q)
    unsupported(node, program_.input_codes != DType::Float
                          ? "computes on the network input after its DequantizeLinear: the model takes codes, which "
                            "the host passes on as they are"
                          : "computes on the network input after its QuantizeLinear");
  return it->second;
}

// An inference BatchNormalization of the graph input is the per-channel
// normalization x * a + b, with a = scale / sqrt(var + eps) and
// b = B - mean * a.
bool ProgramBuilder::lower_input_batch_norm(const onnx::NodeProto& node) {
  std::optional<InputView> input = unquantized_input(node.input(0), node);
  if (!input) return false;
  InputView& v = *input;
  if (v.dims.size() < 2) unsupported(node, "normalizes an input without a channel axis");
  const int64_t channels = v.dims[1];
  const BatchNormAffine bn = batch_norm_affine(node, channels);
  InputStep mul{InputStep::Op::Mul, false, {}}, add{InputStep::Op::Add, false, {}};
  mul.constant.resize(static_cast<size_t>(element_count(v.dims)));
  add.constant.resize(mul.constant.size());
  const int64_t per_channel = element_count(v.dims) / channels;
  for (int64_t i = 0; i < element_count(v.dims); ++i) {
    const int64_t c = i / per_channel;
    const auto raw = static_cast<size_t>(v.order.empty() ? i : v.order[i]);
    mul.constant[raw] = static_cast<float>(bn.gain[c]);
    add.constant[raw] = static_cast<float>(bn.beta[c] - bn.mean[c] * bn.gain[c]);
  }
  check_finite_step(node, mul);
  check_finite_step(node, add);
  v.steps.push_back(std::move(mul));
  v.steps.push_back(std::move(add));
  inputs_[node.output(0)] = v;
  return true;
}

void ProgramBuilder::lower_pad(const onnx::NodeProto& node) {
  OpContext ctx = context(node);
  const std::string mode = ctx.attrs.get_string("mode", "constant");
  if (mode != "constant") unsupported(node, fmt::format("{} padding; the accelerator pads with zero only", mode));
  ctx.inputs.push_back(nullptr);  // the data, read as a view below
  for (int i = 1; i < node.input_size(); ++i) {
    const Tensor* t = constant(node.input(i));
    if (!node.input(i).empty() && !t) unsupported(node, fmt::format("its input '{}' must be a constant", node.input(i)));
    ctx.inputs.push_back(t);
  }
  ActView v = act(node.input(0), node, true);
  if (!v.feature_map())
    unsupported(node, fmt::format("pads a {} value; only the padding of an [N,C,H,W] or [N,C,L] feature map maps onto "
                                  "the accelerator",
                                  value_shape(v.dims)));
  const int rank = static_cast<int>(v.dims.size());
  std::vector<int64_t> pads = pad_widths(ctx, rank);
  if (pads[0] || pads[1] || pads[rank] || pads[rank + 1])
    unsupported(node, "pads the batch or channel dimension; only the spatial ones map onto the accelerator");
  if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
    unsupported(node, "a negative pad crops, which the accelerator does not");
  if (rank == 3) pads = {0, 0, 0, pads[2], 0, 0, 0, pads[5]};  // a 1-D map is a map of height 1
  // The accelerator pads with real 0: the zero point, when the Pad pads codes.
  if (v.codes) {
    const Tensor* c = ctx.opset >= 11 && ctx.has_input(2) ? ctx.inputs[2] : nullptr;
    if (!c || c->size() != 1 || (c->dtype() != DType::UInt8 && c->dtype() != DType::Int8))
      unsupported(node, "pads codes without a uint8 or int8 constant_value; it must be the zero point");
    if (canonical_quant(v.q.scale, c->ints()[0], c->dtype()).zero_point != v.q.zero_point)
      unsupported(node, fmt::format("pads codes with {}, not the zero point", c->ints()[0]));
  } else if (const double value = pad_constant(ctx, DType::Float).reals()[0]; value != 0.0) {
    unsupported(node, fmt::format("pads with {}; the accelerator pads with zero", value));
  }
  v.pad = {v.pad[0] + pads[2], v.pad[1] + pads[3], v.pad[2] + pads[6], v.pad[3] + pads[7]};
  v.dims = v.map_dims(v.stored.channels, v.padded_height(), v.padded_width());
  checked_element_count(v.dims, model_.node_label(node));
  v.pad_node = node.name().empty() ? node.output(0) : node.name();
  acts_[node.output(0)] = v;
}

bool ProgramBuilder::lower_layout(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (op != "Transpose" && op != "Reshape" && op != "Flatten" && op != "Squeeze" && op != "Unsqueeze" && op != "Identity")
    return false;
  const std::string& x = node.input(0);
  const std::string& out = node.output(0);
  // The value's new shape, and for a Transpose the new element order.
  auto apply = [&](const Shape& dims, std::vector<int64_t>& order) {
    if (op != "Transpose") return layout_target(node, dims);
    std::vector<int64_t> perm = context(node).attrs.get_ints("perm");
    if (perm.empty())
      for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) perm.push_back(d);
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted.size() != dims.size() || sorted[i] != static_cast<int64_t>(i))
        unsupported(node, fmt::format("perm is not a permutation of the {} dimensions", dims.size()));
    if (perm[0] != 0) unsupported(node, "a Transpose that moves the batch dimension");
    order = compose_order(order, transpose_order(dims, perm));
    Shape out_dims;
    for (int64_t p : perm) out_dims.push_back(dims[p]);
    return out_dims;
  };
  // A layer's result before its quantization, under a new name (Identity)
  // or, in a quantized model, in a new view (a pooling flattened before its
  // QuantizeLinear), when nothing else reads it under its first name.
  if (pending_.count(x) && (op == "Identity" || format_ != ModelFormat::Float) && model_.consumers(x).size() == 1 &&
      x != program_.output_name) {
    PendingLayer p = pending_.at(x);
    pending_.erase(x);
    p.dims = apply(p.dims, p.order);
    pending_[out] = std::move(p);
    return true;
  }
  if (const auto it = inputs_.find(x); it != inputs_.end() && !acts_.count(x)) {
    InputView v = it->second;
    v.dims = apply(v.dims, v.order);
    inputs_[out] = v;
    return true;
  }
  ActView v = act(x, node, op == "Identity");
  v.dims = apply(v.dims, v.order);
  acts_[out] = v;
  return true;
}

// After the last layer the host computes what the graph still asks for: a
// Softmax over the classes (order-preserving, so the prediction is the
// largest output code) and layout ops. A layer after it is refused.
bool ProgramBuilder::lower_host_tail(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  const std::string& x = node.input(0);
  const auto tail = tail_.find(x);
  if (op == "Softmax" || op == "LogSoftmax") {
    std::string before;
    int source = tail_source_;
    Shape dims;
    if (tail != tail_.end()) {
      if (!tail->second.dims) unsupported(node, "a host-side Softmax after a layout op of the host tail");
      dims = *tail->second.dims;
      before = tail->second.ops + ", ";
    } else {
      const ActView in = act(x, node);
      if (in.codes) unsupported(node, "a Softmax of quantized codes; expected a DequantizeLinear first");
      int64_t spread = 0;
      for (int64_t d : in.dims) spread += d > 1;
      if (spread > 1)
        unsupported(node, fmt::format("a {} of a map {}: the accelerator has no Softmax, and the host computes one "
                                      "only over the class scores after the last layer",
                                      op, value_shape(in.dims)));
      source = in.tensor;
      dims = in.dims;
    }
    check_softmax_axis(node, dims);
    tail_source_ = source;
    tail_[node.output(0)] = {before + op, dims};
    return true;
  }
  // ONNX Runtime's QDQ layout quantizes the probabilities as well (Softmax ->
  // QuantizeLinear -> DequantizeLinear): with a positive scale that keeps
  // their order, but for ties on its 8-bit grid.
  if (tail != tail_.end() && (op == "QuantizeLinear" || op == "DequantizeLinear")) {
    // A LogSoftmax's values are all <= 0: on a grid from 0 they saturate to one code.
    if (tail->second.ops.find("LogSoftmax") != std::string::npos)
      unsupported(node, "quantizes a LogSoftmax's output on the host; only a Softmax's keeps the prediction");
    if (node.input_size() > 2 && !node.input(2).empty() && !constant(node.input(2)))
      unsupported(node, "scale and zero point must be constant scalars");
    activation_quant(node, constant(node.input(1)), node.input_size() > 2 ? constant(node.input(2)) : nullptr);
  }
  if (tail != tail_.end() && (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
                              op == "Unsqueeze" || op == "Transpose" || op == "QuantizeLinear" ||
                              op == "DequantizeLinear")) {
    const bool keeps_shape = op == "Identity" || op == "QuantizeLinear" || op == "DequantizeLinear";
    tail_[node.output(0)] = {tail->second.ops + ", " + op, keeps_shape ? tail->second.dims : std::nullopt};
    return true;
  }
  return false;
}

void ProgramBuilder::check_softmax_axis(const onnx::NodeProto& node, const Shape& dims) const {
  const int64_t rank = static_cast<int64_t>(dims.size());
  const bool coerced = model_.opset() < 13;  // before 13: over the 2-D [dims before axis, dims from it]
  const int64_t axis = context(node).attrs.get_int("axis", coerced ? 1 : -1);
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) unsupported(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
  int64_t classes = 1;
  while (classes < rank && dims[classes] <= 1) ++classes;
  if (classes == rank) return;  // one value per sample: any axis leaves it 1
  const ValueInfo& input = model_.inputs().at(0);
  const bool batch_of_one = input.has_shape && !input.dims.empty() && input.dims[0] && *input.dims[0] == 1;
  if (a == 0 && !batch_of_one)
    unsupported(node, fmt::format("axis {} is the batch axis: it mixes the samples, which the accelerator runs one at "
                                  "a time", axis));
  if (coerced ? a > classes : a != classes)
    unsupported(node, fmt::format("axis {} is not the classes' axis ({} of shape {}): every output would be 1", axis,
                                  classes, shape_string(dims)));
}

ActView ProgramBuilder::declare_input(const InputView& view, ActivationQuant q, const onnx::NodeProto* node) {
  FeatureShape shape;
  if (view.dims.size() == 2) {
    shape = {view.dims[1], 1, 1};
  } else if (view.dims.size() == 3) {
    shape = {view.dims[1], 1, view.dims[2]};
  } else if (view.dims.size() == 4) {
    shape = {view.dims[1], view.dims[2], view.dims[3]};
  } else {
    const std::string why = fmt::format(
        "the network input reaches the first layer as {}; it must be [N,F], [N,C,L] or [N,C,H,W]", value_shape(view.dims));
    if (node) unsupported(*node, why);
    throw UnsupportedError(fmt::format("{}: {}", model_.source(), why));
  }
  if (input_declared_) {
    // The accelerator holds one copy of its input.
    if (!(program_.input_shape == shape) || program_.input_order != view.order)
      unsupported(*node, "reads the network input a second time, in another layout");
    if (program_.input_steps != view.steps)
      unsupported(*node, "reads the network input a second time, with another normalization");
    if (!(program_.input_q == q))
      unsupported(*node, fmt::format("reads the network input a second time, at another quantization (scale {} and "
                                     "zero point {} here, {} and {} where it was first read)",
                                     q.scale, q.zero_point, program_.input_q.scale, program_.input_q.zero_point));
  }
  input_declared_ = true;
  program_.input_shape = shape;
  program_.input_q = q;
  program_.input_order = view.order;
  program_.input_steps = view.steps;
  ActView v;
  v.q = q;
  v.stored = shape;
  v.dims = view.dims;
  v.codes = view.codes;
  return v;
}

}  // namespace aps::import
