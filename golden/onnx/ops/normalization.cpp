// BatchNormalization (inference form), InstanceNormalization,
// LayerNormalization, MeanVarianceNormalization, LRN, Softmax, LogSoftmax and
// Hardmax.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/axis_split.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/reduce.hpp"

namespace aps {
namespace {

std::vector<Tensor> batch_normalization(const OpContext& ctx) {
  if (ctx.attrs.get_int("training_mode", 0) != 0 || ctx.output_count() > 1)
    throw UnsupportedError(fmt::format("{}: BatchNormalization in training mode is not supported (inference only)",
                                       ctx.label()));
  if (ctx.opset < 9 && ctx.attrs.get_int("spatial", 1) == 0)
    throw UnsupportedError(fmt::format("{}: BatchNormalization with spatial=0 is not supported", ctx.label()));
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor& bias = ctx.input(2);
  const Tensor& mean = ctx.input(3);
  const Tensor& var = ctx.input(4);
  if (!x.floating() || x.rank() < 2) throw InputError(fmt::format("{}: input must be floating [N,C,...]", ctx.label()));
  const int64_t c = x.shape()[1];
  for (const Tensor* t : {&scale, &bias, &mean, &var})
    if (t->size() != c) throw InputError(fmt::format("{}: per-channel parameters must have {} values", ctx.label(), c));
  const double eps = ctx.attrs.get_float("epsilon", 1e-5f);
  int64_t inner = 1;
  for (int d = 2; d < x.rank(); ++d) inner *= x.shape()[d];
  Tensor y(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t ch = (i / inner) % c;
    const double v = (x.reals()[i] - mean.value(ch)) / std::sqrt(var.value(ch) + eps) * scale.value(ch) + bias.value(ch);
    y.reals()[i] = round_to_float_type(v, y.dtype());
  }
  return {y};
}

// Mean and 1 / sqrt(variance + epsilon) of each of `groups` runs of `len`
// consecutive elements of x, in double.
struct Moments {
  std::vector<double> mean, inv_std;
};
Moments moments(const Tensor& x, int64_t groups, int64_t len, double eps) {
  Moments m;
  for (int64_t g = 0; g < groups; ++g) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < len; ++i) sum += x.reals()[g * len + i];
    const double mean = sum / static_cast<double>(len);
    for (int64_t i = 0; i < len; ++i) sq += (x.reals()[g * len + i] - mean) * (x.reals()[g * len + i] - mean);
    m.mean.push_back(mean);
    m.inv_std.push_back(1.0 / std::sqrt(sq / static_cast<double>(len) + eps));
  }
  return m;
}

std::vector<Tensor> instance_normalization(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor& bias = ctx.input(2);
  if (!x.floating() || x.rank() < 3) throw InputError(fmt::format("{}: input must be floating [N,C,...]", ctx.label()));
  const int64_t c = x.shape()[1];
  if (scale.size() != c || bias.size() != c)
    throw InputError(fmt::format("{}: scale and B must have {} values", ctx.label(), c));
  const int64_t len = x.size() / (x.shape()[0] * c);
  const Moments m = moments(x, x.shape()[0] * c, len, ctx.attrs.get_float("epsilon", 1e-5f));
  Tensor y(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t g = i / len, ch = g % c;
    y.reals()[i] = round_to_float_type((x.reals()[i] - m.mean[g]) * m.inv_std[g] * scale.value(ch) + bias.value(ch),
                                       y.dtype());
  }
  return {y};
}

// Over the dimensions from `axis` on; Scale and B broadcast onto them. The
// optional outputs Mean and InvStdDev keep x's rank with those dimensions 1.
std::vector<Tensor> layer_normalization(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!x.floating() || x.rank() < 1) throw InputError(fmt::format("{}: input must be floating", ctx.label()));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", -1), x.rank(), ctx.label());
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  int64_t len = 1;
  for (int64_t d : normalized) len *= d;
  if (len == 0) throw InputError(fmt::format("{}: nothing to normalize over", ctx.label()));
  const int64_t groups = x.size() / len;
  const Moments m = moments(x, groups, len, ctx.attrs.get_float("epsilon", 1e-5f));
  const Tensor& scale = ctx.input(1);
  const auto is = broadcast_offsets(normalized, scale.shape());
  std::vector<int64_t> ib;
  if (ctx.has_input(2)) ib = broadcast_offsets(normalized, ctx.input(2).shape());
  Tensor y(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t g = i / len, k = i % len;
    const double b = ib.empty() ? 0.0 : ctx.input(2).value(ib[k]);
    y.reals()[i] = round_to_float_type((x.reals()[i] - m.mean[g]) * m.inv_std[g] * scale.value(is[k]) + b, y.dtype());
  }
  std::vector<Tensor> out{y};
  Shape stats_shape = x.shape();
  for (int d = axis; d < x.rank(); ++d) stats_shape[d] = 1;
  // Mean and InvStdDev are of stash_type (1: float32, the default), not x's type.
  const int64_t stash = ctx.attrs.get_int("stash_type", 1);
  if (!is_supported(static_cast<int32_t>(stash)) || !is_floating(static_cast<DType>(stash)))
    throw UnsupportedError(fmt::format("{}: stash_type {} is not a float type", ctx.label(), stash));
  for (int o = 1; o < std::min(ctx.output_count(), 3); ++o) {
    Tensor s(static_cast<DType>(stash), stats_shape);
    for (int64_t g = 0; g < groups; ++g) s.reals()[g] = round_to_float_type(o == 1 ? m.mean[g] : m.inv_std[g], s.dtype());
    out.push_back(std::move(s));
  }
  return out;
}

// Local response normalization across channels: x / (bias + alpha / size *
// the sum of squares over the `size` channels around it)^beta.
std::vector<Tensor> lrn(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!x.floating() || x.rank() < 3) throw InputError(fmt::format("{}: input must be floating [N,C,...]", ctx.label()));
  const int64_t size = ctx.attrs.get_int("size", 0);
  if (size < 1) throw InputError(fmt::format("{}: size must be at least 1", ctx.label()));
  const double alpha = ctx.attrs.get_float("alpha", 1e-4f), beta = ctx.attrs.get_float("beta", 0.75f);
  const double bias = ctx.attrs.get_float("bias", 1.0f);
  const int64_t c = x.shape()[1], inner = x.size() / (x.shape()[0] * c);
  const int64_t below = (size - 1) / 2, above = size - 1 - below;
  Tensor y(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t n = i / (c * inner), ch = (i / inner) % c, at = i % inner;
    double sq = 0;
    for (int64_t k = std::max<int64_t>(0, ch - below); k <= std::min(c - 1, ch + above); ++k) {
      const double v = x.reals()[(n * c + k) * inner + at];
      sq += v * v;
    }
    y.reals()[i] = round_to_float_type(x.reals()[i] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta),
                                       y.dtype());
  }
  return {y};
}

// The rows Softmax, LogSoftmax and Hardmax work on: along `axis` (opset >=
// 13) or, before opset 13, the input coerced to 2-D at `axis` (default 1).
AxisSplit softmax_rows(const OpContext& ctx, const Tensor& x) {
  if (!x.floating()) throw InputError(fmt::format("{}: {} needs a floating input", ctx.label(), ctx.node.op_type()));
  const bool legacy = ctx.opset < 13;
  const int axis = normalize_axis(ctx.attrs.get_int("axis", legacy ? 1 : -1), x.rank(), ctx.label());
  return split_at_axis(x.shape(), axis, legacy);
}

std::vector<Tensor> softmax_over_axis(const OpContext& ctx, bool log) {
  const Tensor& x = ctx.input(0);
  const AxisSplit rows = softmax_rows(ctx, x);
  const int64_t len = rows.len;
  Tensor y(x.dtype(), x.shape());
  for (int64_t o = 0; o < rows.outer; ++o)
    for (int64_t in = 0; in < rows.inner; ++in) {
      auto at = [&](int64_t k) { return rows.at(o, k, in); };
      double mx = -INFINITY;
      for (int64_t k = 0; k < len; ++k) mx = std::max(mx, x.reals()[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(x.reals()[at(k)] - mx);
      for (int64_t k = 0; k < len; ++k) {
        const double shifted = x.reals()[at(k)] - mx;
        y.reals()[at(k)] = round_to_float_type(log ? shifted - std::log(sum) : std::exp(shifted) / sum, y.dtype());
      }
    }
  return {y};
}

// Hardmax: 1 at the first largest element of each row Softmax would
// normalise, 0 elsewhere; a row whose first element is NaN has no 1 (NaN
// compares false, so it stays the largest and equals nothing: ONNX Runtime's
// result).
std::vector<Tensor> hardmax(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const AxisSplit rows = softmax_rows(ctx, x);
  Tensor y(x.dtype(), x.shape());
  for (int64_t o = 0; o < rows.outer; ++o)
    for (int64_t in = 0; in < rows.inner; ++in) {
      if (rows.len == 0) continue;
      int64_t best = 0;
      for (int64_t k = 1; k < rows.len; ++k)
        if (x.reals()[rows.at(o, k, in)] > x.reals()[rows.at(o, best, in)]) best = k;
      if (!std::isnan(x.reals()[rows.at(o, best, in)])) y.reals()[rows.at(o, best, in)] = 1;
    }
  return {y};
}

// MeanVarianceNormalization: (x - mean) / (std + 1e-9) over `axes` (default
// N, H, W), std from the mean of the squares as ONNX's function body has it.
std::vector<Tensor> mean_variance_normalization(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!x.floating()) throw InputError(fmt::format("{}: input must be floating", ctx.label()));
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  for (int64_t a : ctx.attrs.get_ints("axes", {0, 2, 3})) reduced[normalize_axis(a, x.rank(), ctx.label())] = true;
  // Each element's group: its position with the normalized axes collapsed.
  const std::vector<int64_t> group = kept_positions(x.shape(), reduced);
  int64_t groups = 1;
  for (int d = 0; d < x.rank(); ++d)
    if (!reduced[d]) groups *= x.shape()[d];
  std::vector<double> sum(static_cast<size_t>(groups), 0), sq(static_cast<size_t>(groups), 0);
  std::vector<int64_t> count(static_cast<size_t>(groups), 0);
  for (int64_t i = 0; i < x.size(); ++i) {
    sum[group[i]] += x.reals()[i];
    sq[group[i]] += x.reals()[i] * x.reals()[i];
    ++count[group[i]];
  }
  Tensor y(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const double n = static_cast<double>(count[group[i]]), mean = sum[group[i]] / n;
    const double sd = std::sqrt(std::max(0.0, sq[group[i]] / n - mean * mean));
    y.reals()[i] = round_to_float_type((x.reals()[i] - mean) / (sd + 1e-9), y.dtype());
  }
  return {y};
}

std::vector<Tensor> softmax(const OpContext& ctx) { return softmax_over_axis(ctx, false); }
std::vector<Tensor> log_softmax(const OpContext& ctx) { return softmax_over_axis(ctx, true); }

}  // namespace

void register_normalization_ops(OpTable& t) {
  t.push_back({"BatchNormalization", {batch_normalization, 6}});
  t.push_back({"InstanceNormalization", {instance_normalization, 6}});
  t.push_back({"LayerNormalization", {layer_normalization, 17}});
  t.push_back({"LRN", {lrn, 1}});
  t.push_back({"Softmax", {softmax, 1}});
  t.push_back({"LogSoftmax", {log_softmax, 1}});
  t.push_back({"Hardmax", {hardmax, 1}});
  t.push_back({"MeanVarianceNormalization", {mean_variance_normalization, 9}});
}

}  // namespace aps
