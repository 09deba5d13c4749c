// Ops that walk the elements along one axis: CumSum (a running sum) and TopK
// (the k largest or smallest, an equal value's lower index first).

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/axis_split.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/take_elements.hpp"

namespace aps {
namespace {

int64_t scalar_int(const OpContext& ctx, int i, const char* what) {
  const Tensor& t = ctx.input(i);
  if ((t.dtype() != DType::Int64 && t.dtype() != DType::Int32) || t.size() != 1 || t.rank() > 1)
    throw InputError(fmt::format("{}: {} must be one int32 or int64 value, got {} {}", ctx.label(), what,
                                 dtype_name(t.dtype()), shape_string(t.shape())));
  return t.ints()[0];
}

// Sums in the element type: a float sum rounded to its type at each step,
// as a float accumulator would hold it; an integer sum wraps as the type does.
std::vector<Tensor> cumsum(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() == 0) throw InputError(fmt::format("{}: x must have rank >= 1", ctx.label()));
  const int axis = normalize_axis(scalar_int(ctx, 1, "axis"), x.rank(), ctx.label());
  const bool exclusive = ctx.attrs.get_int("exclusive", 0) != 0, reverse = ctx.attrs.get_int("reverse", 0) != 0;
  const AxisSplit s = split_at_axis(x.shape(), axis);
  Tensor y(x.dtype(), x.shape());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      double fsum = 0;
      int64_t isum = 0;
      for (int64_t n = 0; n < s.len; ++n) {
        const int64_t at = s.at(o, reverse ? s.len - 1 - n : n, i);
        if (x.floating()) {
          if (!exclusive) fsum = round_to_float_type(fsum + x.reals()[at], x.dtype());
          y.reals()[at] = fsum;
          if (exclusive) fsum = round_to_float_type(fsum + x.reals()[at], x.dtype());
        } else {
          const auto add = [&] {
            isum = wrap_to_integral_type(
                static_cast<int64_t>(static_cast<uint64_t>(isum) + static_cast<uint64_t>(x.ints()[at])), x.dtype());
          };
          if (!exclusive) add();
          y.ints()[at] = isum;
          if (exclusive) add();
        }
      }
    }
  return {y};
}

std::vector<Tensor> top_k(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() == 0) throw InputError(fmt::format("{}: x must have rank >= 1", ctx.label()));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", -1), x.rank(), ctx.label());
  if (ctx.opset < 10 && !ctx.attrs.has("k"))
    throw InputError(fmt::format("{}: the k attribute is missing", ctx.label()));
  const int64_t k = ctx.opset < 10 ? ctx.attrs.get_int("k", -1) : scalar_int(ctx, 1, "K");
  const AxisSplit s = split_at_axis(x.shape(), axis);
  if (k < 0 || k > s.len)
    throw InputError(fmt::format("{}: k {} is not within the axis's {} elements", ctx.label(), k, s.len));
  const bool largest = ctx.attrs.get_int("largest", 1) != 0;
  Shape out = x.shape();
  out[axis] = k;
  Tensor indices(DType::Int64, out);
  std::vector<int64_t> from(static_cast<size_t>(indices.size()));  // the input element of each value
  std::vector<int64_t> order(static_cast<size_t>(s.len));
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      std::iota(order.begin(), order.end(), 0);
      // NaN ranks above every number, as in the ONNX reference's numpy sort:
      // first when the largest are taken, last when the smallest are.
      const auto v = [&](int64_t n) { return x.value(s.at(o, n, i)); };
      const auto below = [&](int64_t a, int64_t b) {
        const double va = v(a), vb = v(b);
        return std::isnan(vb) ? !std::isnan(va) : va < vb;
      };
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return largest ? below(b, a) : below(a, b); });
      for (int64_t n = 0; n < k; ++n) {
        const int64_t to = (o * k + n) * s.inner + i;
        from[to] = s.at(o, order[n], i);
        indices.ints()[to] = order[n];
      }
    }
  return {take_elements(x, out, from), indices};
}

}  // namespace

void register_axis_scan_ops(OpTable& t) {
  t.push_back({"CumSum", {cumsum, 11}});
  t.push_back({"TopK", {top_k, 1}});
}

}  // namespace aps
