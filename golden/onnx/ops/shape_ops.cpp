// Layout ops that move no values: Flatten, Reshape.

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"

namespace aps {
namespace {

std::vector<Tensor> flatten(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis_attr = ctx.attrs.get_int("axis", 1);
  if (axis_attr < -x.rank() || axis_attr > x.rank())
    throw InputError(fmt::format("{}: axis {} is out of range for rank {}", ctx.label(), axis_attr, x.rank()));
  const int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) (d < axis ? outer : inner) *= x.shape()[d];
  return {x.reshaped({outer, inner})};
}

std::vector<Tensor> reshape(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> target;
  if (ctx.opset < 5 || !ctx.has_input(1)) {
    target = ctx.attrs.get_ints("shape");
  } else {
    const Tensor& s = ctx.input(1);
    if (s.dtype() != DType::Int64 || s.rank() != 1)
      throw InputError(fmt::format("{}: shape input must be a 1-D int64 tensor", ctx.label()));
    target = s.ints();
  }
  const bool allow_zero = ctx.attrs.get_int("allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allow_zero) {
      if (i >= x.shape().size()) throw InputError(fmt::format("{}: shape copies dimension {} the input lacks", ctx.label(), i));
      target[i] = x.shape()[i];
    }
    if (target[i] == -1) {
      if (infer >= 0) throw InputError(fmt::format("{}: more than one -1 in the target shape", ctx.label()));
      infer = static_cast<int>(i);
    } else if (target[i] < 0) {
      throw InputError(fmt::format("{}: invalid dimension {} in the target shape", ctx.label(), target[i]));
    } else {
      known *= target[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known != 0)
      throw InputError(fmt::format("{}: cannot reshape {} to the requested shape", ctx.label(), shape_string(x.shape())));
    target[infer] = x.size() / known;
  }
  return {x.reshaped(target)};
}

}  // namespace

void register_shape_ops(OpTable& t) {
  t.push_back({"Flatten", {flatten, 1}});
  t.push_back({"Reshape", {reshape, 5}});
}

}  // namespace aps
