// Elementwise activations other than ReLU, clips and slopes (Sigmoid, Tanh,
// HardSigmoid, HardSwish, Elu, Selu, Celu, Softplus, Softsign, Gelu, Mish,
// ThresholdedRelu, and Swish written as x * Sigmoid(x) or x *
// HardSigmoid(x)): an output table (Layer::output_table). Between 8-bit
// grids such an op is a map of 256 codes; its table is the op's own float
// kernel (golden/onnx/ops/) on every code of the input grid, quantized to
// the output grid, so a QDQ model's activation between its quantizers is
// reproduced exactly.

#include <algorithm>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/onnx/node_attributes.hpp"

namespace aps::import {

bool is_table_activation(const std::string& op) {
  static const char* const kOps[] = {"Sigmoid",  "Tanh", "HardSigmoid", "HardSwish", "Elu",  "Selu",
                                     "Celu",     "Softplus", "Softsign", "Gelu",      "Mish", "ThresholdedRelu"};
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

namespace {
bool is_swish_gate(const std::string& op) { return op == "Sigmoid" || op == "HardSigmoid"; }
}  // namespace

// The gate of a Swish written as Mul(x, gate(x)): the Sigmoid or
// HardSigmoid that only this Mul reads, directly or through the
// QuantizeLinear / DequantizeLinear pair ONNX Runtime's quantizer puts
// between them (quantize: that QuantizeLinear). Nothing if `mul` is not one.
std::optional<SwishGate> ProgramBuilder::swish_gate(const onnx::NodeProto& mul) const {
  // Decided once per Mul: at its gate (inside_swish) and at the Mul alike,
  // whatever constants have been folded in between.
  if (const auto known = swish_gates_.find(&mul); known != swish_gates_.end()) return known->second;
  return swish_gates_[&mul] = match_swish(mul);
}

std::optional<SwishGate> ProgramBuilder::match_swish(const onnx::NodeProto& mul) const {
  if (mul.op_type() != "Mul" || mul.input_size() != 2) return std::nullopt;
  const auto only_reader = [&](const std::string& v, const onnx::NodeProto& reader) {
    const auto readers = model_.consumers(v);
    return v != program_.output_name && readers.size() == 1 && readers[0] == &reader;
  };
  for (int g = 0; g < 2; ++g) {
    SwishGate s;
    const onnx::NodeProto* made = model_.producer(mul.input(g));
    if (made && made->op_type() == "DequantizeLinear" && made->input_size() >= 2 && only_reader(mul.input(g), mul)) {
      const onnx::NodeProto* q = model_.producer(made->input(0));
      if (!q || q->op_type() != "QuantizeLinear" || !only_reader(made->input(0), *made) || q->input_size() < 2 ||
          !same_quantization(*q, *made))
        continue;
      s.quantize = q;
      s.gate = model_.producer(q->input(0));
      if (!s.gate || !only_reader(q->input(0), *q)) continue;
    } else {
      s.gate = made;
      if (!s.gate || !only_reader(mul.input(g), mul)) continue;
    }
    if (is_swish_gate(s.gate->op_type()) && s.gate->input_size() >= 1 && s.gate->input(0) == mul.input(1 - g))
      return s;
  }
  return std::nullopt;
}

// Whether a QuantizeLinear and the DequantizeLinear that reads it name one
// per-tensor scale and zero point (the table dequantizes with the former's):
// the same values, or constants not known yet under the same names; a zero
// point left out is 0.
bool ProgramBuilder::same_quantization(const onnx::NodeProto& q, const onnx::NodeProto& dq) const {
  const auto name = [](const onnx::NodeProto& n, int i) { return n.input_size() > i ? n.input(i) : std::string(); };
  const auto value = [&](const std::string& v, double absent) -> std::optional<double> {
    if (v.empty()) return absent;
    const Tensor* t = constant(v);
    if (!t || t->size() != 1) return std::nullopt;
    return t->value(0);
  };
  for (int i : {1, 2}) {
    if (name(q, i) == name(dq, i) && !name(q, i).empty()) continue;
    const auto a = value(name(q, i), 0.0), b = value(name(dq, i), 0.0);
    if (i == 1 && (name(q, i).empty() || name(dq, i).empty())) return false;
    if (!a || !b || *a != *b) return false;
  }
  return true;
}

bool ProgramBuilder::inside_swish(const onnx::NodeProto& node) const {
  const onnx::NodeProto* n = &node;
  for (int step = 0; step < 3 && n; ++step) {
    n = sole_reader(n->output(0));
    if (!n) return false;
    if (const auto s = swish_gate(*n)) {
      const onnx::NodeProto* dequantize = s->quantize ? sole_reader(s->quantize->output(0)) : nullptr;
      return &node == s->gate || &node == s->quantize || &node == dequantize;
    }
  }
  return false;
}

// `op`'s float kernel on every code of `grid`, as float32 values.
Tensor ProgramBuilder::activation_values(const onnx::NodeProto& node, const ActivationQuant& grid) const {
  const OpInfo* info = find_op("", node.op_type());
  if (!info || model_.opset() < info->min_opset)
    unsupported(node, fmt::format("{} at opset {} has no reference kernel here", node.op_type(), model_.opset()));
  std::vector<double> codes(256);
  for (int c = 0; c < 256; ++c)
    codes[c] = static_cast<float>(dequantize_linear(c, static_cast<float>(grid.scale), grid.zero_point));
  const Tensor x = Tensor::from_reals(DType::Float, {256}, codes);
  OpContext ctx{node, model_.opset(), {&x}, NodeAttributes(node, model_.node_label(node))};
  return info->kernel(ctx).at(0);
}

// `node` (an activation, or the Mul of a Swish) reads a value and writes
// one. Where the value is a pending Gemm, Conv or Add's result that only the
// activation reads, and calibration gives its grid, the table is that
// layer's: it requantizes to the value's calibrated grid and maps through
// the table. Otherwise a layer of its own requantizes the value to its grid
// (multiplier 1, every code kept) and maps each code. The output grid is the
// QuantizeLinear's that follows, a float model's calibrated one, or else the
// range the table reaches.
void ProgramBuilder::lower_table_activation(const onnx::NodeProto& node, const SwishGate* swish) {
  const onnx::NodeProto* gate = swish ? swish->gate : nullptr;
  const std::string& x = gate ? gate->input(0) : node.input(0);
  refuse_fused_input(node);
  const auto pending = pending_.find(x);
  const auto readers = model_.consumers(x);
  const bool fuse = pending != pending_.end() && calibrated_ && x != program_.output_name &&
                    takes_activation(pending->second.layer) &&
                    std::all_of(readers.begin(), readers.end(),
                                [&](const onnx::NodeProto* r) { return r == &node || r == gate; });
  if (fuse) finalize_from_calibration(x);
  const ActView in = act(x, node, false);
  if (in.codes) unsupported(node, fmt::format("reads quantized codes '{}'; expected a DequantizeLinear output", x));
  Tensor y = activation_values(gate ? *gate : node, in.q);
  if (gate) {  // x * gate(x), in float32 as the graph's Mul, the gate through its quantizers
    const std::optional<ActivationQuant> gate_q =
        swish->quantize ? std::optional(quantize_params(*swish->quantize)) : std::nullopt;
    for (int c = 0; c < 256; ++c) {
      double g = y.reals()[c];
      if (gate_q)
        g = dequantize_linear(quantize_linear(g, static_cast<float>(gate_q->scale), gate_q->zero_point, DType::UInt8),
                              static_cast<float>(gate_q->scale), gate_q->zero_point);
      y.reals()[c] = static_cast<float>(
          static_cast<float>(dequantize_linear(c, static_cast<float>(in.q.scale), in.q.zero_point)) *
          static_cast<float>(g));
    }
  }
  const std::string& out = node.output(0);
  std::optional<ActivationQuant> q = known_grid(out);
  if (!q) {
    const auto [lo, hi] = std::minmax_element(y.reals().begin(), y.reals().end());
    if (!std::isfinite(*lo) || !std::isfinite(*hi))
      unsupported(node, fmt::format("reaches {} on its input's grid, which no output grid holds",
                                    std::isfinite(*lo) ? *hi : *lo));
    q = activation_quant_from_range(std::min(*lo, 0.0), std::max(*hi, 0.0));
  }
  std::vector<uint8_t> table(256);
  for (int c = 0; c < 256; ++c)
    table[c] = static_cast<uint8_t>(quantize_linear(y.reals()[c], static_cast<float>(q->scale), q->zero_point,
                                                    DType::UInt8));
  ActView* made = nullptr;
  if (fuse) {
    // The layer's result now is the table's output.
    acts_[out] = in;
    acts_.erase(x);
    fused_[x] = fmt::format("the result of layer '{}' before the {} fused into it", program_.layers[in.tensor].name,
                            node.op_type());
    layer_values_[static_cast<size_t>(in.tensor)] = out;
    made = &acts_.at(out);
  } else {
    made = &finalize_codes(out, requantizing_layer(node, in), in.q);
  }
  ActView& v = *made;
  Layer& l = program_.layers[static_cast<size_t>(v.tensor)];
  l.table_in_q = in.q;
  l.output_table = std::move(table);
  l.out_q = *q;
  v.q = *q;
  v.codes = false;
}

}  // namespace aps::import
