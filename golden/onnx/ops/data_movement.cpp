// Ops that move elements without computing on them: Transpose, Gather,
// Concat. Any element type; values are copied exactly.

#include <algorithm>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"

namespace aps {
namespace {

// A tensor of `shape` whose element k is x's element offsets[k].
Tensor take(const Tensor& x, Shape shape, const std::vector<int64_t>& offsets) {
  Tensor y(x.dtype(), std::move(shape));
  if (x.floating())
    for (size_t k = 0; k < offsets.size(); ++k) y.reals()[k] = x.reals()[offsets[k]];
  else
    for (size_t k = 0; k < offsets.size(); ++k) y.ints()[k] = x.ints()[offsets[k]];
  return y;
}

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
  return {take(x, out_shape, offsets)};
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
  return {take(data, out_shape, offsets)};
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

}  // namespace

void register_data_movement_ops(OpTable& t) {
  t.push_back({"Transpose", {transpose, 1}});
  t.push_back({"Gather", {gather, 1}});
  t.push_back({"Concat", {concat, 1}});
}

}  // namespace aps
