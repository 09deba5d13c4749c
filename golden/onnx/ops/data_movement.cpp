// Ops that move elements without computing on them: Transpose, Gather,
// Concat, Slice. Any element type; values are copied exactly.

#include <algorithm>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/take_elements.hpp"

namespace aps {
namespace {

// perm must name every dimension once; without it the dimensions reverse.
std::vector<int64_t> transpose_perm(const OpContext& ctx, int rank) {
  std::vector<int64_t> perm;
  if (!ctx.attrs.has("perm")) {
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
    return perm;
  }
  perm = ctx.attrs.get_ints("perm");
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  bool ok = static_cast<int>(perm.size()) == rank;
  for (size_t k = 0; ok && k < perm.size(); ++k) {
    ok = perm[k] >= 0 && perm[k] < rank && !seen[perm[k]];
    if (ok) seen[perm[k]] = true;
  }
  if (!ok)
    throw InputError(fmt::format("{}: perm [{}] is not a permutation of the {} dimensions of the input {}", ctx.label(),
                                 fmt::join(perm, ","), rank, shape_string(ctx.input(0).shape())));
  return perm;
}

// Output dimension k is input dimension perm[k].
std::vector<Tensor> transpose(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.rank();
  const std::vector<int64_t> perm = transpose_perm(ctx, rank);
  Shape out_shape(static_cast<size_t>(rank));
  for (int k = 0; k < rank; ++k) out_shape[k] = x.shape()[perm[k]];
  // An empty tensor may have huge other dimensions: no strides to compute.
  if (x.size() == 0) return {Tensor(x.dtype(), out_shape)};
  const auto in_strides = row_major_strides(x.shape());
  std::vector<int64_t> stride(static_cast<size_t>(rank));  // input stride of each output dimension
  for (int k = 0; k < rank; ++k) stride[k] = in_strides[perm[k]];
  std::vector<int64_t> offsets(static_cast<size_t>(x.size()));
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  int64_t offset = 0;
  for (int64_t& o : offsets) {
    o = offset;
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < out_shape[d]) {
        offset += stride[d];
        break;
      }
      offset -= stride[d] * (out_shape[d] - 1);
      index[d] = 0;
    }
  }
  return {take_elements(x, out_shape, offsets)};
}

// Output shape: data.shape[:axis] + indices.shape + data.shape[axis+1:].
// Indices may be negative (counting from the end of the axis).
std::vector<Tensor> gather(const OpContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  if (data.rank() == 0) throw InputError(fmt::format("{}: data must have rank >= 1", ctx.label()));
  if (indices.dtype() != DType::Int64 && indices.dtype() != DType::Int32)
    throw InputError(fmt::format("{}: indices must be int32 or int64, got {}", ctx.label(), dtype_name(indices.dtype())));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 0), data.rank(), ctx.label());
  const int64_t len = data.shape()[axis];
  std::vector<int64_t> rows;  // the index along the axis of each gathered slice
  for (int64_t i : indices.ints()) {
    if (i < -len || i >= len)
      throw InputError(fmt::format("{}: index {} is out of range for axis {} of size {}", ctx.label(), i, axis, len));
    rows.push_back(i < 0 ? i + len : i);
  }
  Shape out_shape(data.shape().begin(), data.shape().begin() + axis);
  out_shape.insert(out_shape.end(), indices.shape().begin(), indices.shape().end());
  out_shape.insert(out_shape.end(), data.shape().begin() + axis + 1, data.shape().end());
  // An empty result may have huge other dimensions: no products to take.
  if (checked_element_count(out_shape, ctx.label()) == 0) return {Tensor(data.dtype(), out_shape)};
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= data.shape()[d];
  for (int d = axis + 1; d < data.rank(); ++d) inner *= data.shape()[d];
  std::vector<int64_t> offsets;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t row : rows)
      for (int64_t in = 0; in < inner; ++in) offsets.push_back((o * len + row) * inner + in);
  return {take_elements(data, out_shape, offsets)};
}

// Inputs of one rank and type, equal except along `axis` (required from
// opset 4, 1 by default before).
std::vector<Tensor> concat(const OpContext& ctx) {
  if (ctx.input_count() == 0) throw InputError(fmt::format("{}: Concat needs at least one input", ctx.label()));
  const Tensor& first = ctx.input(0);
  if (ctx.opset >= 4 && !ctx.attrs.has("axis"))
    throw InputError(fmt::format("{}: Concat needs the axis attribute", ctx.label()));
  if (first.rank() == 0) throw InputError(fmt::format("{}: Concat inputs must have rank >= 1", ctx.label()));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 1), first.rank(), ctx.label());
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  for (int i = 0; i < ctx.input_count(); ++i) {
    const Tensor& t = ctx.input(i);
    Shape same = t.shape();
    if (t.rank() == first.rank()) same[axis] = first.shape()[axis];
    if (t.dtype() != first.dtype() || same != first.shape())
      throw InputError(fmt::format("{}: input {} ({} {}) does not join input 0 ({} {}) along axis {}", ctx.label(), i,
                                   dtype_name(t.dtype()), shape_string(t.shape()), dtype_name(first.dtype()),
                                   shape_string(first.shape()), axis));
    if (t.shape()[axis] > std::numeric_limits<int64_t>::max() - out_shape[axis])
      throw InputError(fmt::format("{}: the joined axis {} overflows int64", ctx.label(), axis));
    out_shape[axis] += t.shape()[axis];
  }
  if (checked_element_count(out_shape, ctx.label()) == 0) return {Tensor(first.dtype(), out_shape)};
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= first.shape()[d];
  Tensor y(first.dtype(), out_shape);
  int64_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int i = 0; i < ctx.input_count(); ++i) {
      const Tensor& t = ctx.input(i);
      const int64_t chunk = outer == 0 ? 0 : t.size() / outer;  // this input's slice of one outer index
      if (y.floating())
        std::copy_n(t.reals().begin() + o * chunk, chunk, y.reals().begin() + at);
      else
        std::copy_n(t.ints().begin() + o * chunk, chunk, y.ints().begin() + at);
      at += chunk;
    }
  return {y};
}

// starts, ends, axes and steps of Slice: attributes before opset 10 (no
// steps), 1-D int32/int64 inputs from 10 on.
std::vector<int64_t> slice_list(const OpContext& ctx, const char* name, int input) {
  if (ctx.opset < 10) return ctx.attrs.get_ints(name);
  if (!ctx.has_input(input)) return {};
  return ctx.int_list(input, name);
}

// Per axis, elements start, start + step, ... before end, where negative
// starts and ends count from the back and both are clamped into the axis
// (for a negative step, to [-1, len - 1]).
std::vector<Tensor> slice(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.rank();
  const std::vector<int64_t> starts = slice_list(ctx, "starts", 1), ends = slice_list(ctx, "ends", 2);
  std::vector<int64_t> axes = slice_list(ctx, "axes", 3), steps = slice_list(ctx, "steps", 4);
  if (ctx.opset < 10 && !ctx.attrs.has("starts"))
    throw InputError(fmt::format("{}: Slice needs the starts and ends attributes", ctx.label()));
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    throw InputError(fmt::format("{}: starts, ends, axes and steps differ in length ({}, {}, {}, {})", ctx.label(),
                                 starts.size(), ends.size(), axes.size(), steps.size()));
  Shape out_shape = x.shape();
  std::vector<int64_t> first(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t k = 0; k < starts.size(); ++k) {
    const int d = normalize_axis(axes[k], rank, ctx.label());
    if (seen[d]) throw InputError(fmt::format("{}: axis {} is sliced twice", ctx.label(), d));
    seen[d] = true;
    if (steps[k] == 0) throw InputError(fmt::format("{}: step 0 on axis {}", ctx.label(), d));
    const int64_t len = x.shape()[d];
    // A step longer than the axis takes one element, as a step of its length does.
    const int64_t st = std::clamp(steps[k], -std::max<int64_t>(len, 1), std::max<int64_t>(len, 1));
    auto from_back = [len](int64_t v) { return v < 0 ? v + len : v; };
    int64_t b = from_back(starts[k]), e = from_back(ends[k]);
    if (len == 0) {
      out_shape[d] = 0;
    } else if (st > 0) {
      b = std::clamp<int64_t>(b, 0, len);
      e = std::clamp<int64_t>(e, 0, len);
      out_shape[d] = e > b ? (e - b - 1) / st + 1 : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, len - 1);
      e = std::clamp<int64_t>(e, -1, len - 1);
      out_shape[d] = b > e ? (b - e - 1) / -st + 1 : 0;
    }
    first[d] = b;
    step[d] = st;
  }
  if (checked_element_count(out_shape, ctx.label()) == 0) return {Tensor(x.dtype(), out_shape)};
  const auto strides = row_major_strides(x.shape());
  int64_t base = 0;
  for (int d = 0; d < rank; ++d) base += first[d] * strides[d];
  std::vector<int64_t> offsets;
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  int64_t offset = base;
  for (int64_t k = 0, n = checked_element_count(out_shape, ctx.label()); k < n; ++k) {
    offsets.push_back(offset);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < out_shape[d]) {
        offset += step[d] * strides[d];
        break;
      }
      offset -= step[d] * strides[d] * (out_shape[d] - 1);
      index[d] = 0;
    }
  }
  return {take_elements(x, out_shape, offsets)};
}

}  // namespace

void register_data_movement_ops(OpTable& t) {
  t.push_back({"Transpose", {transpose, 1}});
  t.push_back({"Gather", {gather, 1}});
  t.push_back({"Concat", {concat, 1}});
  t.push_back({"Slice", {slice, 1}});
}

}  // namespace aps
