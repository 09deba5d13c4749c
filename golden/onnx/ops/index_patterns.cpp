// Ops whose output is a pattern of indices: NonZero (the coordinates of the
// non-zero elements), OneHot (a one at each index) and Trilu (a matrix
// triangle).

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/axis_split.hpp"

namespace aps {
namespace {

std::vector<Tensor> non_zero(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = std::max(1, x.rank());  // a scalar reads as one element of a 1-D tensor
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < x.size(); ++i)
    if (x.value(i) != 0) hits.push_back(i);
  const auto n = static_cast<int64_t>(hits.size());
  Tensor y(DType::Int64, {rank, n});
  const Shape shape = x.rank() == 0 ? Shape{1} : x.shape();
  for (int64_t h = 0; h < n; ++h) {
    int64_t rest = hits[h];
    for (int d = rank - 1; d >= 0; --d) {
      y.ints()[d * n + h] = rest % shape[d];
      rest /= shape[d];
    }
  }
  return {y};
}

std::vector<Tensor> one_hot(const OpContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& depth_t = ctx.input(1);
  const Tensor& values = ctx.input(2);
  if (depth_t.size() != 1)
    throw InputError(fmt::format("{}: depth must be one value, got {}", ctx.label(), shape_string(depth_t.shape())));
  const double depth_value = depth_t.value(0);
  if (!(depth_value >= 1 && depth_value <= 9.0e15))
    throw InputError(fmt::format("{}: depth {} is not a positive count", ctx.label(), depth_value));
  const auto depth = static_cast<int64_t>(depth_value);
  if (values.size() != 2 || values.rank() != 1)
    throw InputError(fmt::format("{}: values must be [off, on], got {}", ctx.label(), shape_string(values.shape())));
  const int64_t rank = indices.rank() + 1, axis_attr = ctx.attrs.get_int("axis", -1);
  if (axis_attr < -rank || axis_attr >= rank)
    throw InputError(fmt::format("{}: axis {} is out of range for output rank {}", ctx.label(), axis_attr, rank));
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  Shape out = indices.shape();
  out.insert(out.begin() + axis, depth);
  checked_element_count(out, ctx.label());
  const AxisSplit split = split_at_axis(out, static_cast<int>(axis));
  Tensor y(values.dtype(), out);
  for (int64_t k = 0; k < y.size(); ++k) y.set_value(k, values.value(0));
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t i = 0; i < split.inner; ++i) {
      // Non-integral indices are truncated, as ONNX casts them to int64; a
      // negative one counts from the end (opset 11's rule, which ONNX
      // Runtime applies at opset 9 too).
      const double v = indices.value(o * split.inner + i);
      if (!(std::fabs(v) < 9.0e15)) continue;  // far outside any depth: all off
      int64_t at = static_cast<int64_t>(v);
      if (at < 0) at += depth;
      if (at >= 0 && at < depth) y.set_value(split.at(o, at, i), values.value(1));
    }
  return {y};
}

std::vector<Tensor> trilu(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) throw InputError(fmt::format("{}: input must have rank >= 2", ctx.label()));
  int64_t k = 0;
  if (ctx.has_input(1)) {
    const Tensor& kt = ctx.input(1);
    if (kt.dtype() != DType::Int64 || kt.size() != 1)
      throw InputError(fmt::format("{}: k must be one int64 value", ctx.label()));
    k = kt.ints()[0];
  }
  const bool upper = ctx.attrs.get_int("upper", 1) != 0;
  const int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
  Tensor y = x;
  for (int64_t e = 0; e < y.size(); ++e) {
    const int64_t j = e % cols, i = (e / cols) % rows;
    if (upper ? j - i < k : j - i > k) y.set_value(e, 0);
  }
  return {y};
}

}  // namespace

void register_index_pattern_ops(OpTable& t) {
  t.push_back({"NonZero", {non_zero, 9}});
  t.push_back({"OneHot", {one_hot, 9}});
  t.push_back({"Trilu", {trilu, 14}});
}

}  // namespace aps
