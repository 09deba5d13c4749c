// Constant folding: a node whose inputs are all constants is computed now,
// with ONNX semantics (the interpreter's kernel), and its outputs become
// constants. Shape reads the static shape of an activation (batch as 1), so
// the shape arithmetic exporters write around a Reshape folds to a constant
// target. Layout ops on a quantized constant (DequantizeLinear of a weight,
// then a Transpose) move its codes and keep its scales.

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"

namespace aps::import {
namespace {

std::vector<Tensor> run_kernel(const OpInfo& info, const OpContext& ctx) {
  try {
    return info.kernel(ctx);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: {}", ctx.label(), e.what()));
  }
}

}  // namespace

bool ProgramBuilder::fold_constant(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  // DequantizeLinear of a constant stays a quantized constant (codes and
  // scales). A QuantizeLinear of a constant (a weight quantized in the graph,
  // as PyTorch's fake-quantized exports write it) folds to its codes; of
  // anything else it is an activation's.
  if (op == "DequantizeLinear" || (op == "QuantizeLinear" && !constant(node.input(0)))) return false;
  const OpInfo* info = find_op(node.domain(), op);
  if (!info) return false;
  if (model_.opset() < info->min_opset) return false;
  OpContext ctx = context(node);

  if (op == "Shape" && !constant(node.input(0))) {
    const std::string& x = node.input(0);
    Shape dims;
    if (const auto a = acts_.find(x); a != acts_.end()) dims = a->second.dims;
    else if (const auto i = inputs_.find(x); i != inputs_.end()) dims = i->second.dims;
    else if (const auto p = pending_.find(x); p != pending_.end()) dims = p->second.dims;
    else return false;
    const int64_t rank = static_cast<int64_t>(dims.size());
    int64_t start = ctx.attrs.get_int("start", 0), end = ctx.attrs.get_int("end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
    std::vector<int64_t> values(dims.begin() + start, dims.begin() + std::max(start, end));
    folded_[node.output(0)] = Tensor::from_ints(DType::Int64, {static_cast<int64_t>(values.size())}, values);
    return true;
  }

  // Layout ops on a quantized constant.
  if ((op == "Transpose" || op == "Identity" || op == "Reshape") && qconsts_.count(node.input(0))) {
    QuantConst c = qconsts_.at(node.input(0));
    ctx.inputs.push_back(&c.codes);
    for (int i = 1; i < node.input_size(); ++i) ctx.inputs.push_back(constant(node.input(i)));
    Tensor moved = run_kernel(*info, ctx).at(0);
    if (op == "Transpose") {
      std::vector<int64_t> perm = ctx.attrs.get_ints("perm");
      if (perm.empty())
        for (int d = c.codes.rank() - 1; d >= 0; --d) perm.push_back(d);
      for (size_t k = 0; k < perm.size(); ++k)
        if (perm[k] == c.axis) {
          c.axis = static_cast<int>(k);
          break;
        }
    } else if (op == "Reshape" && c.scales.size() != 1) {
      unsupported(node, "reshapes a per-channel quantized constant");
    }
    c.codes = std::move(moved);
    qconsts_[node.output(0)] = std::move(c);
    return true;
  }

  for (const auto& in : node.input())
    if (!in.empty() && !constant(in)) return false;
  for (const auto& in : node.input()) ctx.inputs.push_back(constant(in));
  std::vector<Tensor> outputs = run_kernel(*info, ctx);
  for (int i = 0; i < node.output_size() && i < static_cast<int>(outputs.size()); ++i)
    if (!node.output(i).empty()) folded_[node.output(i)] = std::move(outputs[i]);
  return true;
}

}  // namespace aps::import
