// Reductions: ReduceMin, ReduceMax, ReduceSum, ReduceMean, ReduceProd,
// ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ArgMax,
// ArgMin.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <set>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/reduce.hpp"
#include "golden/onnx/ops/broadcasting.hpp"

namespace aps {
namespace {

enum class Reduction { Max, Min, Sum, Mean, Prod, SumSquare, L1, L2, LogSum, LogSumExp };

// What a sum-like reduction adds for an element.
double term(Reduction kind, double v) {
  switch (kind) {
    case Reduction::SumSquare:
    case Reduction::L2: return v * v;
    case Reduction::L1: return std::fabs(v);
    case Reduction::LogSumExp: return std::exp(v);  // v less the output's largest (reduce)
    default: return v;
  }
}

std::vector<Tensor> reduce(const OpContext& ctx, Reduction kind) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> axes = ctx.attrs.get_ints("axes");
  if (ctx.opset >= reduce_axes_input_opset(ctx.node.op_type()) && ctx.has_input(1)) axes = ctx.input(1).ints();
  const bool keepdims = ctx.attrs.get_int("keepdims", 1) != 0;
  const bool noop_empty = ctx.attrs.get_int("noop_with_empty_axes", 0) != 0;
  if (axes.empty() && noop_empty) return {x};
  std::set<int> reduced;
  for (int64_t a : axes) reduced.insert(normalize_axis(a, x.rank(), ctx.label()));
  if (axes.empty())
    for (int d = 0; d < x.rank(); ++d) reduced.insert(d);
  Shape out_shape, kept_shape;
  for (int d = 0; d < x.rank(); ++d) {
    const bool r = reduced.count(d) > 0;
    kept_shape.push_back(r ? 1 : x.shape()[d]);
    if (!r) out_shape.push_back(x.shape()[d]);
    else if (keepdims) out_shape.push_back(1);
  }
  if (x.size() == 0) throw InputError(fmt::format("{}: reduction over an empty tensor", ctx.label()));
  Tensor y(x.dtype(), kept_shape);
  std::vector<bool> seen(static_cast<size_t>(y.size()), false);
  std::vector<double> acc(static_cast<size_t>(y.size()));
  std::vector<bool> reduced_axes(static_cast<size_t>(x.rank()));
  for (int d = 0; d < x.rank(); ++d) reduced_axes[d] = reduced.count(d) > 0;
  const std::vector<int64_t> out_of = kept_positions(x.shape(), reduced_axes);
  // LogSumExp sums exp(v - m) for the output's largest m and adds m back
  // (exp(1000) would overflow); m is 0 where that largest is not finite, and
  // for every other reduction.
  std::vector<double> shift(static_cast<size_t>(y.size()), 0.0);
  if (kind == Reduction::LogSumExp) {
    std::fill(shift.begin(), shift.end(), -std::numeric_limits<double>::infinity());
    for (int64_t i = 0; i < x.size(); ++i) {
      double& m = shift[out_of[i]];
      m = std::max(m, x.value(i));
    }
    for (double& m : shift)
      if (!std::isfinite(m)) m = 0.0;
  }
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t o = out_of[i];
    const double v = x.value(i) - shift[o];
    if (kind == Reduction::Prod) acc[o] = seen[o] ? acc[o] * v : v;
    else if (kind != Reduction::Max && kind != Reduction::Min) acc[o] = seen[o] ? acc[o] + term(kind, v) : term(kind, v);
    else if (!seen[o] || (kind == Reduction::Max ? v > acc[o] : v < acc[o]) || std::isnan(v)) acc[o] = v;
    seen[o] = true;
  }
  // An integer mean truncates toward zero, as ONNX Runtime's integer division does.
  const double count = static_cast<double>(x.size() / y.size());
  for (int64_t o = 0; o < y.size(); ++o) {
    const double r = kind == Reduction::Mean ? acc[o] / count
                     : kind == Reduction::L2 ? std::sqrt(acc[o])
                     : kind == Reduction::LogSum ? std::log(acc[o])
                     : kind == Reduction::LogSumExp ? std::log(acc[o]) + shift[o]
                                                    : acc[o];
    y.set_value(o, r);
  }
  return {y.reshaped(out_shape)};
}

std::vector<Tensor> reduce_max(const OpContext& c) { return reduce(c, Reduction::Max); }
std::vector<Tensor> reduce_min(const OpContext& c) { return reduce(c, Reduction::Min); }
std::vector<Tensor> reduce_sum(const OpContext& c) { return reduce(c, Reduction::Sum); }
std::vector<Tensor> reduce_mean(const OpContext& c) { return reduce(c, Reduction::Mean); }
std::vector<Tensor> reduce_prod(const OpContext& c) { return reduce(c, Reduction::Prod); }
std::vector<Tensor> reduce_sum_square(const OpContext& c) { return reduce(c, Reduction::SumSquare); }
std::vector<Tensor> reduce_l1(const OpContext& c) { return reduce(c, Reduction::L1); }
std::vector<Tensor> reduce_l2(const OpContext& c) { return reduce(c, Reduction::L2); }
std::vector<Tensor> reduce_log_sum(const OpContext& c) { return reduce(c, Reduction::LogSum); }
std::vector<Tensor> reduce_log_sum_exp(const OpContext& c) { return reduce(c, Reduction::LogSumExp); }

std::vector<Tensor> arg_extreme(const OpContext& ctx, bool take_max) {
  const Tensor& x = ctx.input(0);
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 0), x.rank(), ctx.label());
  const bool keepdims = ctx.attrs.get_int("keepdims", 1) != 0;
  const bool last = ctx.attrs.get_int("select_last_index", 0) != 0;
  int64_t outer = 1, inner = 1;
  const int64_t len = x.shape()[axis];
  if (len == 0) throw InputError(fmt::format("{}: arg-reduction over an empty axis", ctx.label()));
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.shape()[d];
    if (d > axis) inner *= x.shape()[d];
  }
  Shape out_shape;
  for (int d = 0; d < x.rank(); ++d) {
    if (d != axis) out_shape.push_back(x.shape()[d]);
    else if (keepdims) out_shape.push_back(1);
  }
  Tensor y(DType::Int64, out_shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t best = 0;
      double bv = x.value(o * len * inner + in);
      for (int64_t k = 1; k < len; ++k) {
        const double v = x.value((o * len + k) * inner + in);
        const bool better = take_max ? (v > bv || (last && v == bv)) : (v < bv || (last && v == bv));
        if (better) {
          bv = v;
          best = k;
        }
      }
      y.ints()[o * inner + in] = best;
    }
  return {y};
}

std::vector<Tensor> arg_max(const OpContext& c) { return arg_extreme(c, true); }
std::vector<Tensor> arg_min(const OpContext& c) { return arg_extreme(c, false); }

}  // namespace

std::vector<int64_t> kept_positions(const Shape& shape, const std::vector<bool>& reduced) {
  // Zero the reduced coordinates of each element's index.
  const auto in_strides = row_major_strides(shape);
  Shape kept = shape;
  for (size_t d = 0; d < shape.size(); ++d)
    if (reduced[d]) kept[d] = 1;
  const auto out_strides = row_major_strides(kept);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t o = 0, rem = static_cast<int64_t>(i);
    for (size_t d = 0; d < shape.size(); ++d) {
      const int64_t c = rem / in_strides[d];
      rem %= in_strides[d];
      if (!reduced[d]) o += c * out_strides[d];
    }
    out[i] = o;
  }
  return out;
}

int64_t reduce_axes_input_opset(std::string_view op_type) { return op_type == "ReduceSum" ? 13 : 18; }

void register_reduce_ops(OpTable& t) {
  t.push_back({"ReduceMax", {reduce_max, 1}});
  t.push_back({"ReduceMin", {reduce_min, 1}});
  t.push_back({"ReduceSum", {reduce_sum, 1}});
  t.push_back({"ReduceMean", {reduce_mean, 1}});
  t.push_back({"ReduceProd", {reduce_prod, 1}});
  t.push_back({"ReduceSumSquare", {reduce_sum_square, 1}});
  t.push_back({"ReduceL1", {reduce_l1, 1}});
  t.push_back({"ReduceL2", {reduce_l2, 1}});
  t.push_back({"ReduceLogSum", {reduce_log_sum, 1}});
  t.push_back({"ReduceLogSumExp", {reduce_log_sum_exp, 1}});
  t.push_back({"ArgMax", {arg_max, 1}});
  t.push_back({"ArgMin", {arg_min, 1}});
}

}  // namespace aps
