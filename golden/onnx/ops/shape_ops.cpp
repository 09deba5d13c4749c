// Ops that change or read a shape and move no values: Flatten, Reshape,
// Squeeze, Unsqueeze, Shape, Size; and ConstantOfShape, which makes one.

#include <algorithm>
#include <fmt/format.h>
#include <optional>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/tensor_proto.hpp"

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

// The axes of Squeeze / Unsqueeze: an attribute before opset 13, an optional
// input from 13 on. nullopt when the node gives none. An attribute where the
// opset wants the input is refused: ignoring it would squeeze other axes.
std::optional<std::vector<int64_t>> axes_of(const OpContext& ctx) {
  if (ctx.opset < 13) {
    if (!ctx.attrs.has("axes")) return std::nullopt;
    return ctx.attrs.get_ints("axes");
  }
  if (ctx.attrs.has("axes"))
    throw InputError(fmt::format("{}: from opset 13 axes is an input, not an attribute (the model uses opset {})",
                                 ctx.label(), ctx.opset));
  if (!ctx.has_input(1)) return std::nullopt;
  const Tensor& axes = ctx.input(1);
  if (axes.dtype() != DType::Int64 || axes.rank() > 1)
    throw InputError(fmt::format("{}: axes input must be a 1-D int64 tensor, got {} {}", ctx.label(),
                                 dtype_name(axes.dtype()), shape_string(axes.shape())));
  return axes.ints();
}

// Which of `rank` dimensions the axes name (negative counts from the back);
// InputError for an axis out of range or named twice.
std::vector<bool> axes_mask(const std::vector<int64_t>& axes, int64_t rank, const OpContext& ctx) {
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      throw InputError(fmt::format("{}: axis {} is out of range for rank {}", ctx.label(), a, rank));
    const auto d = static_cast<size_t>(a < 0 ? a + rank : a);
    if (mask[d]) throw InputError(fmt::format("{}: axis {} is given twice", ctx.label(), a));
    mask[d] = true;
  }
  return mask;
}

std::vector<Tensor> squeeze(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto axes = axes_of(ctx);
  const int64_t rank = x.rank();
  std::vector<bool> removed(static_cast<size_t>(rank));
  // Empty axes squeeze every unit axis, as ONNX Runtime reads them.
  if (axes && !axes->empty()) {
    removed = axes_mask(*axes, rank, ctx);
    for (int64_t d = 0; d < rank; ++d)
      if (removed[d] && x.shape()[d] != 1)
        throw InputError(fmt::format("{}: cannot squeeze axis {} of size {} (shape {})", ctx.label(), d, x.shape()[d],
                                     shape_string(x.shape())));
  } else {
    for (int64_t d = 0; d < rank; ++d) removed[d] = x.shape()[d] == 1;
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d)
    if (!removed[d]) out.push_back(x.shape()[d]);
  return {x.reshaped(out)};
}

// Axes count in the output: Unsqueeze(axes=[0, 4]) of [3,4,5] is [1,3,4,5,1].
std::vector<Tensor> unsqueeze(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto axes = axes_of(ctx);
  if (!axes)
    throw InputError(fmt::format("{}: Unsqueeze needs {}", ctx.label(),
                                 ctx.opset < 13 ? "the axes attribute" : "the axes input from opset 13"));
  const int64_t rank = x.rank() + static_cast<int64_t>(axes->size());
  const std::vector<bool> inserted = axes_mask(*axes, rank, ctx);
  Shape out;
  auto next = x.shape().begin();
  for (int64_t d = 0; d < rank; ++d) out.push_back(inserted[d] ? 1 : *next++);
  return {x.reshaped(out)};
}

// The dimensions of the input, from opset 15 only those in [start, end)
// (negative counts from the back, clamped to the rank).
std::vector<Tensor> shape(const OpContext& ctx) {
  const Shape& dims = ctx.input(0).shape();
  const auto rank = static_cast<int64_t>(dims.size());
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  if (ctx.opset < 15 && (ctx.attrs.has("start") || ctx.attrs.has("end")))
    throw InputError(fmt::format("{}: Shape's start and end need opset 15 (the model uses opset {})", ctx.label(),
                                 ctx.opset));
  const int64_t start = clamp(ctx.attrs.get_int("start", 0));
  const int64_t end = std::max(start, clamp(ctx.attrs.get_int("end", rank)));
  std::vector<int64_t> out(dims.begin() + start, dims.begin() + end);
  return {Tensor::from_ints(DType::Int64, {end - start}, std::move(out))};
}

// A tensor of the shape the input lists, every element the value
// attribute's one element (float32 0 without it).
std::vector<Tensor> constant_of_shape(const OpContext& ctx) {
  const Tensor& s = ctx.input(0);
  if (s.dtype() != DType::Int64 || s.rank() != 1)
    throw InputError(fmt::format("{}: the shape input must be a 1-D int64 tensor, got {} {}", ctx.label(),
                                 dtype_name(s.dtype()), shape_string(s.shape())));
  const Shape shape = s.ints();
  checked_element_count(shape, ctx.label());
  Tensor fill = Tensor::scalar_real(DType::Float, 0.0);
  if (const auto* v = ctx.attrs.get_tensor("value")) {
    fill = tensor_from_proto(*v, ctx.label());
    if (fill.size() != 1) throw InputError(fmt::format("{}: value must hold one element, not {}", ctx.label(), fill.size()));
  }
  Tensor y(fill.dtype(), shape);
  if (y.floating())
    std::fill(y.reals().begin(), y.reals().end(), fill.reals()[0]);
  else
    std::fill(y.ints().begin(), y.ints().end(), fill.ints()[0]);
  return {y};
}

// The input's element count, as an int64 scalar.
std::vector<Tensor> size(const OpContext& ctx) { return {Tensor::scalar_int(DType::Int64, ctx.input(0).size())}; }

}  // namespace

void register_shape_ops(OpTable& t) {
  t.push_back({"Flatten", {flatten, 1}});
  t.push_back({"Reshape", {reshape, 5}});
  t.push_back({"Squeeze", {squeeze, 1}});
  t.push_back({"Unsqueeze", {unsqueeze, 1}});
  t.push_back({"Shape", {shape, 1}});
  t.push_back({"Size", {size, 1}});
  t.push_back({"ConstantOfShape", {constant_of_shape, 9}});
}

}  // namespace aps
