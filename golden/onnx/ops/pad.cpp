// Pad: constant, edge and reflect padding of any element type (opset 19's
// wrap is refused). Pads are given per axis as
// [begin..., end...]; a negative pad crops. Values are copied exactly; the
// constant is cast to the data's type.

#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/pad.hpp"

namespace aps {
namespace {

enum class PadMode { Constant, Edge, Reflect };

PadMode pad_mode(const OpContext& ctx) {
  const std::string mode = ctx.attrs.get_string("mode", "constant");
  if (mode == "constant") return PadMode::Constant;
  if (mode == "edge") return PadMode::Edge;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "wrap" && ctx.opset >= 19)
    throw UnsupportedError(fmt::format("{}: mode 'wrap' is not supported", ctx.label()));
  throw InputError(fmt::format("{}: mode '{}' is not a Pad mode at opset {}", ctx.label(), mode, ctx.opset));
}

}  // namespace

std::vector<int64_t> pad_widths(const OpContext& ctx, int rank) {
  std::vector<int64_t> given;
  std::vector<int64_t> axes;
  if (ctx.opset < 11) {
    if (!ctx.attrs.has("pads")) throw InputError(fmt::format("{}: Pad needs the pads attribute", ctx.label()));
    given = ctx.attrs.get_ints("pads");
  } else {
    const Tensor& p = ctx.input(1);
    if (p.dtype() != DType::Int64 || p.rank() != 1)
      throw InputError(fmt::format("{}: pads must be a 1-D int64 tensor, got {} {}", ctx.label(), dtype_name(p.dtype()),
                                   shape_string(p.shape())));
    given = p.ints();
  }
  if (ctx.opset >= 18 && ctx.has_input(3)) {
    const Tensor& a = ctx.input(3);
    if ((a.dtype() != DType::Int64 && a.dtype() != DType::Int32) || a.rank() != 1)
      throw InputError(fmt::format("{}: axes must be a 1-D int32 or int64 tensor", ctx.label()));
    for (int64_t axis : a.ints()) axes.push_back(normalize_axis(axis, rank, ctx.label()));
  } else {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  }
  const size_t n = axes.size();
  if (given.size() != 2 * n)
    throw InputError(fmt::format("{}: {} pads for {} axes (a begin and an end per axis)", ctx.label(), given.size(), n));
  for (int64_t p : given)
    if (p < -kMaxTensorElements || p > kMaxTensorElements)
      throw InputError(fmt::format("{}: pad {} is out of range", ctx.label(), p));
  std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t k = 0; k < n; ++k) {
    if (seen[axes[k]]) throw InputError(fmt::format("{}: axis {} is padded twice", ctx.label(), axes[k]));
    seen[axes[k]] = true;
    pads[axes[k]] = given[k];
    pads[axes[k] + rank] = given[k + n];
  }
  return pads;
}

Tensor pad_constant(const OpContext& ctx, DType type) {
  Tensor c(type, {1});
  if (ctx.opset < 11) {
    const double value = ctx.attrs.get_float("value", 0.0f);
    if (c.floating()) {
      c.reals()[0] = round_to_float_type(value, type);
    } else {
      if (!(std::fabs(value) < 9.2e18))
        throw InputError(fmt::format("{}: value {} is not a {} value", ctx.label(), value, dtype_name(type)));
      c.ints()[0] = wrap_to_integral_type(static_cast<int64_t>(value), type);
    }
  } else if (ctx.has_input(2) && ctx.input(2).size() > 0) {
    const Tensor& given = ctx.input(2);
    if (given.dtype() != type || given.size() != 1)
      throw InputError(fmt::format("{}: constant_value must be one {} value, got {} {}", ctx.label(), dtype_name(type),
                                   dtype_name(given.dtype()), shape_string(given.shape())));
    c = given.reshaped({1});
  }
  return c;
}

namespace {

// The input index along one axis of length `len` that output position
// `i - begin` reads, or -1 for the constant.
int64_t source_index(int64_t pos, int64_t len, PadMode mode) {
  if (pos >= 0 && pos < len) return pos;
  switch (mode) {
    case PadMode::Constant:
      return -1;
    case PadMode::Edge:
      return pos < 0 ? 0 : len - 1;
    case PadMode::Reflect: {
      if (len == 1) return 0;
      const int64_t period = 2 * (len - 1);
      const int64_t j = ((pos % period) + period) % period;
      return j < len ? j : period - j;
    }
  }
  return -1;
}

std::vector<Tensor> pad(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.rank();
  const PadMode mode = pad_mode(ctx);
  const std::vector<int64_t> pads = pad_widths(ctx, rank);
  Shape out_shape(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d) {
    const int64_t len = x.shape()[d], begin = pads[d], end = pads[d + rank];
    out_shape[d] = len + begin + end;
    if (out_shape[d] < 0)
      throw InputError(fmt::format("{}: pads {} and {} crop more than the {} elements of axis {}", ctx.label(), begin,
                                   end, len, d));
    if (len == 0 && mode != PadMode::Constant && out_shape[d] > 0)
      throw InputError(fmt::format("{}: {} padding of the empty axis {}", ctx.label(), ctx.attrs.get_string("mode", ""), d));
  }
  Tensor y(x.dtype(), out_shape);
  if (checked_element_count(out_shape, ctx.label()) == 0) return {y};
  const Tensor constant = pad_constant(ctx, x.dtype());
  // Per axis, the input index each output position reads (-1: the constant).
  std::vector<std::vector<int64_t>> source(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d)
    for (int64_t i = 0; i < out_shape[d]; ++i) source[d].push_back(source_index(i - pads[d], x.shape()[d], mode));
  const auto strides = row_major_strides(x.shape());
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  for (int64_t k = 0; k < y.size(); ++k) {
    int64_t offset = 0;
    for (int d = 0; d < rank && offset >= 0; ++d) {
      const int64_t s = source[d][index[d]];
      offset = s < 0 ? -1 : offset + s * strides[d];
    }
    if (y.floating())
      y.reals()[k] = offset < 0 ? constant.reals()[0] : x.reals()[offset];
    else
      y.ints()[k] = offset < 0 ? constant.ints()[0] : x.ints()[offset];
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
  return {y};
}

}  // namespace

void register_pad_ops(OpTable& t) { t.push_back({"Pad", {pad, 2}}); }

}  // namespace aps
