// Ops that read or write elements at indices given as a tensor:
// GatherElements, ScatterElements (Scatter before opset 11), GatherND and
// ScatterND (PyTorch's gather, scatter and index_put export as them). Any
// element type; copies are exact, and a scatter's reduction is computed in
// the element's own arithmetic (floats rounded to their type, integers
// wrapped as their type wraps).

#include <algorithm>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/take_elements.hpp"

namespace aps {
namespace {

const std::vector<int64_t>& index_values(const OpContext& ctx, const Tensor& indices) {
  if (indices.dtype() != DType::Int64 && indices.dtype() != DType::Int32)
    throw InputError(fmt::format("{}: indices must be int32 or int64, got {}", ctx.label(), dtype_name(indices.dtype())));
  return indices.ints();
}

// An index into an axis of `len` elements, negative counting from the end.
int64_t checked_index(const OpContext& ctx, int64_t i, int64_t len, int axis) {
  if (i < -len || i >= len)
    throw InputError(fmt::format("{}: index {} is out of range for axis {} of size {}", ctx.label(), i, axis, len));
  return i < 0 ? i + len : i;
}

enum class Reduction { None, Add, Mul, Max, Min };

// to[to_at] = to[to_at] (reduction) from[at]; None replaces. Integers wrap
// as their type does.
void combine_element(Reduction reduction, const Tensor& from, int64_t at, Tensor& to, int64_t to_at) {
  if (to.floating()) {
    const double a = to.reals()[to_at], b = from.reals()[at];
    const double r = reduction == Reduction::None  ? b
                     : reduction == Reduction::Add ? a + b
                     : reduction == Reduction::Mul ? a * b
                     : reduction == Reduction::Max ? std::max(a, b)
                                                   : std::min(a, b);
    to.reals()[to_at] = round_to_float_type(r, to.dtype());
    return;
  }
  const int64_t a = to.ints()[to_at], b = from.ints()[at];
  const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  const int64_t r = reduction == Reduction::None  ? b
                    : reduction == Reduction::Add ? static_cast<int64_t>(ua + ub)
                    : reduction == Reduction::Mul ? static_cast<int64_t>(ua * ub)
                    : reduction == Reduction::Max ? std::max(a, b)
                                                  : std::min(a, b);
  to.ints()[to_at] = wrap_to_integral_type(r, to.dtype());
}

Reduction scatter_reduction(const OpContext& ctx) {
  const std::string r = ctx.attrs.get_string("reduction", "none");
  if (r == "none") return Reduction::None;
  if (r == "add") return Reduction::Add;
  if (r == "mul") return Reduction::Mul;
  if (r == "max") return Reduction::Max;
  if (r == "min") return Reduction::Min;
  throw InputError(fmt::format("{}: reduction '{}' is not one of none, add, mul, max, min", ctx.label(), r));
}

// The data offset of each element of `indices` read along `axis` (the
// shared walk of GatherElements and ScatterElements).
std::vector<int64_t> element_offsets(const OpContext& ctx, const Tensor& data, const Tensor& indices, int axis) {
  if (indices.rank() != data.rank())
    throw InputError(fmt::format("{}: indices {} and data {} differ in rank", ctx.label(), shape_string(indices.shape()),
                                 shape_string(data.shape())));
  for (int d = 0; d < data.rank(); ++d)
    if (d != axis && indices.shape()[d] > data.shape()[d])
      throw InputError(fmt::format("{}: indices {} exceed data {} in dimension {}", ctx.label(),
                                   shape_string(indices.shape()), shape_string(data.shape()), d));
  const auto& idx = index_values(ctx, indices);
  const auto strides = row_major_strides(data.shape());
  std::vector<int64_t> offsets(idx.size()), pos(static_cast<size_t>(data.rank()), 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    int64_t at = 0;
    for (int d = 0; d < data.rank(); ++d)
      at += (d == axis ? checked_index(ctx, idx[k], data.shape()[axis], axis) : pos[d]) * strides[d];
    offsets[k] = at;
    for (int d = data.rank() - 1; d >= 0; --d) {
      if (++pos[d] < indices.shape()[d]) break;
      pos[d] = 0;
    }
  }
  return offsets;
}

std::vector<Tensor> gather_elements(const OpContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  if (data.rank() == 0) throw InputError(fmt::format("{}: data must have rank >= 1", ctx.label()));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 0), data.rank(), ctx.label());
  return {take_elements(data, indices.shape(), element_offsets(ctx, data, indices, axis))};
}

std::vector<Tensor> scatter_elements(const OpContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  if (data.rank() == 0) throw InputError(fmt::format("{}: data must have rank >= 1", ctx.label()));
  if (updates.shape() != indices.shape() || updates.dtype() != data.dtype())
    throw InputError(fmt::format("{}: updates {} {} must have the indices' shape {} and the data's type {}", ctx.label(),
                                 dtype_name(updates.dtype()), shape_string(updates.shape()),
                                 shape_string(indices.shape()), dtype_name(data.dtype())));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 0), data.rank(), ctx.label());
  const Reduction reduction = scatter_reduction(ctx);
  const auto offsets = element_offsets(ctx, data, indices, axis);
  Tensor y = data;
  for (size_t k = 0; k < offsets.size(); ++k)
    combine_element(reduction, updates, static_cast<int64_t>(k), y, offsets[k]);
  return {y};
}

// The addressing GatherND and ScatterND share: indices [..., m] address
// slices of data beyond its first m dimensions (after batch_dims shared
// leading dimensions). The result (GatherND's output, ScatterND's updates)
// has the indices' leading dimensions and the slice's.
struct NdAddressing {
  int64_t batch_dims = 0, m = 0, per_batch = 1, slice_size = 1;
  Shape result;
};

NdAddressing nd_addressing(const OpContext& ctx, const Tensor& data, const Tensor& indices, int64_t batch_dims) {
  index_values(ctx, indices);  // int32 or int64
  if (indices.rank() < 1 || batch_dims < 0 || batch_dims > std::min(indices.rank() - 1, data.rank()) ||
      indices.shape().back() > data.rank() - batch_dims)
    throw InputError(fmt::format("{}: indices {} with batch_dims {} cannot address data {}", ctx.label(),
                                 shape_string(indices.shape()), batch_dims, shape_string(data.shape())));
  NdAddressing a;
  a.batch_dims = batch_dims;
  a.m = indices.shape().back();
  for (int64_t d = 0; d < batch_dims; ++d)
    if (indices.shape()[d] != data.shape()[d])
      throw InputError(fmt::format("{}: indices {} and data {} differ in batch dimension {}", ctx.label(),
                                   shape_string(indices.shape()), shape_string(data.shape()), d));
  for (int d = static_cast<int>(batch_dims); d < indices.rank() - 1; ++d) a.per_batch *= indices.shape()[d];
  a.result.assign(indices.shape().begin(), indices.shape().end() - 1);
  for (int64_t d = batch_dims + a.m; d < data.rank(); ++d) {
    a.slice_size *= data.shape()[d];
    a.result.push_back(data.shape()[d]);
  }
  // Checked before the walk: an empty indices tensor [N, 0] claims N tuples,
  // each addressing the whole data.
  checked_element_count(a.result, ctx.label());
  return a;
}

// Calls visit(slice number, data offset of the slice's first element) for
// each index tuple.
template <typename Visit>
void for_each_nd_slice(const OpContext& ctx, const Tensor& data, const Tensor& indices, const NdAddressing& a,
                       Visit&& visit) {
  const auto& idx = indices.ints();
  const auto strides = row_major_strides(data.shape());
  int64_t batches = 1;
  for (int64_t d = 0; d < a.batch_dims; ++d) batches *= data.shape()[d];
  const int64_t batch_stride = a.batch_dims == 0 ? data.size() : strides[a.batch_dims - 1];
  for (int64_t s = 0; s < batches * a.per_batch; ++s) {
    int64_t at = (s / a.per_batch) * batch_stride;
    for (int64_t j = 0; j < a.m; ++j) {
      const int axis = static_cast<int>(a.batch_dims + j);
      at += checked_index(ctx, idx[s * a.m + j], data.shape()[axis], axis) * strides[axis];
    }
    visit(s, at);
  }
}

std::vector<Tensor> gather_nd(const OpContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const NdAddressing a = nd_addressing(ctx, data, indices, ctx.attrs.get_int("batch_dims", 0));
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(checked_element_count(a.result, ctx.label())));
  for_each_nd_slice(ctx, data, indices, a, [&](int64_t, int64_t at) {
    for (int64_t e = 0; e < a.slice_size; ++e) offsets.push_back(at + e);
  });
  return {take_elements(data, a.result, offsets)};
}

std::vector<Tensor> scatter_nd(const OpContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  const Reduction reduction = scatter_reduction(ctx);
  if (updates.dtype() != data.dtype())
    throw InputError(fmt::format("{}: updates are {}, data {}", ctx.label(), dtype_name(updates.dtype()),
                                 dtype_name(data.dtype())));
  const NdAddressing a = nd_addressing(ctx, data, indices, 0);
  if (updates.shape() != a.result)
    throw InputError(fmt::format("{}: updates {} must be {} for indices {} into data {}", ctx.label(),
                                 shape_string(updates.shape()), shape_string(a.result), shape_string(indices.shape()),
                                 shape_string(data.shape())));
  Tensor y = data;
  for_each_nd_slice(ctx, data, indices, a, [&](int64_t s, int64_t at) {
    for (int64_t e = 0; e < a.slice_size; ++e) combine_element(reduction, updates, s * a.slice_size + e, y, at + e);
  });
  return {y};
}

}  // namespace

void register_element_index_ops(OpTable& t) {
  t.push_back({"GatherElements", {gather_elements, 11}});
  t.push_back({"ScatterElements", {scatter_elements, 11}});
  t.push_back({"Scatter", {scatter_elements, 9}});  // ScatterElements' name before opset 11
  t.push_back({"GatherND", {gather_nd, 11}});
  t.push_back({"ScatterND", {scatter_nd, 11}});
}

}  // namespace aps
