// Ops that repeat, split or generate elements: Expand, Tile, Split, Range.
// Any element type; values are copied exactly (Range computes its own).

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/take_elements.hpp"

namespace aps {
namespace {

// Expand: x broadcast with `shape` (numpy rules: either side may be 1).
std::vector<Tensor> expand(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> dims = ctx.int_list(1, "shape");
  const Shape shape = broadcast_shapes(x.shape(), Shape(dims.begin(), dims.end()), ctx.label());
  checked_element_count(shape, ctx.label());
  return {take_elements(x, shape, broadcast_offsets(shape, x.shape()))};
}

// Tile: x repeated repeats[d] times along each dimension d.
std::vector<Tensor> tile(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> repeats = ctx.int_list(1, "repeats");
  if (static_cast<int>(repeats.size()) != x.rank())
    throw InputError(fmt::format("{}: {} repeats for a rank-{} input", ctx.label(), repeats.size(), x.rank()));
  Shape shape = x.shape();
  for (int d = 0; d < x.rank(); ++d) {
    if (repeats[d] < 0) throw InputError(fmt::format("{}: repeats {} is negative", ctx.label(), repeats[d]));
    shape[d] *= repeats[d];
  }
  const int64_t n = checked_element_count(shape, ctx.label());
  const auto out_strides = row_major_strides(shape), in_strides = row_major_strides(x.shape());
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    int64_t rem = k, at = 0;
    for (int d = 0; d < x.rank(); ++d) {
      at += (rem / out_strides[d]) % x.shape()[d] * in_strides[d];
      rem %= out_strides[d];
    }
    offsets[static_cast<size_t>(k)] = at;
  }
  return {take_elements(x, shape, offsets)};
}

// Split along `axis` into the sizes given (an attribute before opset 13, an
// input from 13), or into equal parts, one per output.
std::vector<Tensor> split(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() == 0) throw InputError(fmt::format("{}: Split needs an input of rank >= 1", ctx.label()));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 0), x.rank(), ctx.label());
  const int64_t len = x.shape()[axis];
  std::vector<int64_t> sizes = ctx.opset >= 13 ? (ctx.has_input(1) ? ctx.int_list(1, "split") : std::vector<int64_t>{})
                                                : ctx.attrs.get_ints("split");
  const int outs = ctx.output_count();
  if (sizes.empty()) {
    // From opset 18 num_outputs parts of ceil(len / n), the last one shorter;
    // before it, equal parts.
    const bool ceiling = ctx.opset >= 18;
    if (ceiling && ctx.attrs.get_int("num_outputs", outs) != outs)
      throw InputError(fmt::format("{}: num_outputs {} for {} outputs", ctx.label(), ctx.attrs.get_int("num_outputs", 0),
                                   outs));
    if (outs < 1 || (!ceiling && len % outs != 0))
      throw InputError(fmt::format("{}: axis {} of length {} does not split into {} equal parts", ctx.label(), axis,
                                   len, outs));
    const int64_t part = (len + outs - 1) / outs;
    for (int k = 0; k < outs; ++k) sizes.push_back(std::clamp<int64_t>(len - k * part, 0, part));
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) throw InputError(fmt::format("{}: split size {} is negative", ctx.label(), s));
    total += s;
  }
  if (total != len || static_cast<int>(sizes.size()) != outs)
    throw InputError(fmt::format("{}: {} split sizes adding to {} for {} outputs and an axis of length {}",
                                 ctx.label(), sizes.size(), total, outs, len));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.shape()[d];
    if (d > axis) inner *= x.shape()[d];
  }
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    Shape shape = x.shape();
    shape[axis] = s;
    std::vector<int64_t> offsets;
    offsets.reserve(static_cast<size_t>(outer * s * inner));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t a = 0; a < s; ++a)
        for (int64_t i = 0; i < inner; ++i) offsets.push_back((o * len + start + a) * inner + i);
    out.push_back(take_elements(x, shape, offsets));
    start += s;
  }
  return out;
}

// Range: start, start + delta, ... up to (not including) limit.
std::vector<Tensor> range(const OpContext& ctx) {
  const Tensor &start = ctx.input(0), &limit = ctx.input(1), &delta = ctx.input(2);
  for (const Tensor* t : {&start, &limit, &delta})
    if (t->size() != 1 || t->dtype() != start.dtype())
      throw InputError(fmt::format("{}: start, limit and delta must be scalars of one type", ctx.label()));
  const double s = start.value(0), l = limit.value(0), d = delta.value(0);
  if (d == 0) throw InputError(fmt::format("{}: delta is 0", ctx.label()));
  // The count in the inputs' own type: float32 (0.3 - 0) / 0.1 is 3, in double 3.0000000745.
  int64_t n = 0;
  if (start.floating()) {
    n = static_cast<int64_t>(std::max(0.0, std::ceil(round_to_float_type(
                                             round_to_float_type(l - s, start.dtype()) / d, start.dtype()))));
  } else {
    const int64_t span = limit.ints()[0] - start.ints()[0], step = delta.ints()[0];
    n = std::max<int64_t>(0, span / step + (span % step != 0 && (span > 0) == (step > 0)));
  }
  checked_element_count({n}, ctx.label());
  Tensor y(start.dtype(), {n});
  for (int64_t k = 0; k < n; ++k) {
    if (y.floating())
      y.reals()[k] = round_to_float_type(s + static_cast<double>(k) * d, y.dtype());
    else
      y.ints()[k] = start.ints()[0] + k * delta.ints()[0];
  }
  return {y};
}

}  // namespace

void register_replicate_split_ops(OpTable& t) {
  t.push_back({"Expand", {expand, 8}});
  t.push_back({"Tile", {tile, 6}});
  t.push_back({"Split", {split, 2}});
  t.push_back({"Range", {range, 11}});
}

}  // namespace aps
