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
// HardSigmoid that only this Mul reads; nullptr if `mul` is not one.
const onnx::NodeProto* ProgramBuilder::swish_gate(const onnx::NodeProto& mul) const {
  if (mul.op_type() != "Mul" || mul.input_size() != 2) return nullptr;
  for (int g = 0; g < 2; ++g) {
    const onnx::NodeProto* gate = model_.producer(mul.input(g));
    if (gate && is_swish_gate(gate->op_type()) && gate->input_size() >= 1 && gate->input(0) == mul.input(1 - g) &&
        model_.consumers(mul.input(g)).size() == 1 && mul.input(g) != program_.output_name)
      return gate;
  }
  return nullptr;
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
// one: a layer of its own that requantizes its input to the input's grid
// (multiplier 1, every code kept) and maps each code through the table. The
// output grid is the QuantizeLinear's that follows, a float model's
// calibrated one, or else the range the table reaches.
void ProgramBuilder::lower_table_activation(const onnx::NodeProto& node, const onnx::NodeProto* gate) {
  const std::string& x = gate ? gate->input(0) : node.input(0);
  refuse_fused_input(node);
  const ActView in = act(x, node, false);
  if (in.codes) unsupported(node, fmt::format("reads quantized codes '{}'; expected a DequantizeLinear output", x));
  Tensor y = activation_values(gate ? *gate : node, in.q);
  if (gate) {  // x * gate(x), in float32 as the graph's Mul
    for (int c = 0; c < 256; ++c)
      y.reals()[c] = static_cast<float>(
          static_cast<float>(dequantize_linear(c, static_cast<float>(in.q.scale), in.q.zero_point)) *
          static_cast<float>(y.reals()[c]));
  }
  const std::string& out = node.output(0);
  std::optional<ActivationQuant> q = grid_after(out);
  if (!q && calibrated_) q = calibrated_quant(out);
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
  PendingLayer p = new_layer(node, LayerKind::AveragePool, in);
  p.layer.out_shape = in.stored;
  p.order = in.order;
  ActView& v = finalize_codes(out, std::move(p), in.q);
  Layer& l = program_.layers[static_cast<size_t>(v.tensor)];
  l.table_in_q = in.q;
  l.output_table = std::move(table);
  l.out_q = *q;
  v.q = *q;
  v.codes = false;
}

}  // namespace aps::import
