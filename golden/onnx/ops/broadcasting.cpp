#include "golden/onnx/ops/broadcasting.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view label) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw InputError(fmt::format("{}: shapes {} and {} do not broadcast", label, shape_string(a), shape_string(b)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape prelu_slope_shape(const Shape& x, const Shape& slope, int opset) {
  if (opset < 7 && slope.size() == 1 && x.size() >= 2 && slope[0] == x[1] && slope[0] > 1) {
    Shape per_channel(x.size() - 1, 1);
    per_channel[0] = slope[0];
    return per_channel;
  }
  return slope;
}

std::vector<int64_t> broadcast_offsets(const Shape& out, const Shape& in) {
  const size_t rank = out.size();
  const auto in_strides = row_major_strides(in);
  // Stride of each output dimension in the input; 0 where the input broadcasts.
  std::vector<int64_t> stride(rank, 0);
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t o = i + (rank - in.size());
    stride[o] = in[i] == 1 ? 0 : in_strides[i];
  }
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  std::vector<int64_t> offsets(total);
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (int64_t k = 0; k < total; ++k) {
    offsets[k] = offset;
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++index[d] < out[d]) {
        offset += stride[d];
        break;
      }
      offset -= stride[d] * (out[d] - 1);
      index[d] = 0;
    }
  }
  return offsets;
}

Tensor legacy_broadcast_operand(const OpContext& ctx, const Tensor& a, const Tensor& b) {
  if (ctx.opset >= 7 || ctx.attrs.get_int("broadcast", 0) == 0) return b;
  const int rank_a = a.rank();
  const int rank_b = b.rank();
  if (rank_b == 0) return b;  // a scalar broadcasts anywhere
  const int64_t axis = ctx.attrs.has("axis") ? ctx.attrs.get_int("axis", 0) : rank_a - rank_b;
  const int start = normalize_axis(axis, rank_a, ctx.label());
  if (start + rank_b > rank_a)
    throw InputError(fmt::format("{}: legacy broadcast of {} at axis {} does not fit {}", ctx.label(),
                                 shape_string(b.shape()), axis, shape_string(a.shape())));
  Shape s(static_cast<size_t>(rank_a), 1);
  for (int i = 0; i < rank_b; ++i) s[start + i] = b.shape()[i];
  return b.reshaped(s);
}

void check_same_type(const OpContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw InputError(fmt::format("{}: operand types differ ({} and {})", ctx.label(), dtype_name(a.dtype()),
                                 dtype_name(b.dtype())));
}

int normalize_axis(int64_t axis, int rank, std::string_view label) {
  if (axis < -rank || axis >= std::max(rank, 1))
    throw InputError(fmt::format("{}: axis {} is out of range for rank {}", label, axis, rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace aps
