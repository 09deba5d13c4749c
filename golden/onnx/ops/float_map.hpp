#pragma once
// A float function applied to every element of a floating input, computed in
// double and rounded once to the element type: the rule of every float
// function the interpreter computes (Exp, Sigmoid, the activations, ...).

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {

// y = f(x) element by element; f may read the node's attributes.
template <typename F>
std::vector<Tensor> map_floats(const OpContext& ctx, F f) {
  Tensor y = ctx.input(0);
  if (!y.floating()) throw InputError(fmt::format("{}: {} needs a floating input", ctx.label(), ctx.node.op_type()));
  for (double& v : y.reals()) v = round_to_float_type(f(v), y.dtype());
  return {y};
}

}  // namespace aps
