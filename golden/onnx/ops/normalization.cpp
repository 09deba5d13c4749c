// BatchNormalization (inference form), Softmax and LogSoftmax.

#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"

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

// Softmax / LogSoftmax over `axis` (opset >= 13) or, before opset 13, over
// the input coerced to 2-D at `axis` (all dimensions from axis on form one
// row; default axis 1).
std::vector<Tensor> softmax_over_axis(const OpContext& ctx, bool log) {
  const Tensor& x = ctx.input(0);
  if (!x.floating()) throw InputError(fmt::format("{}: {} needs a floating input", ctx.label(), ctx.node.op_type()));
  const bool legacy = ctx.opset < 13;
  const int axis = normalize_axis(ctx.attrs.get_int("axis", legacy ? 1 : -1), x.rank(), ctx.label());
  int64_t outer = 1, len = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.shape()[d];
    else if (d == axis || legacy) len *= x.shape()[d];
    else inner *= x.shape()[d];
  }
  Tensor y(x.dtype(), x.shape());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t k) { return (o * len + k) * inner + in; };
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

std::vector<Tensor> softmax(const OpContext& ctx) { return softmax_over_axis(ctx, false); }
std::vector<Tensor> log_softmax(const OpContext& ctx) { return softmax_over_axis(ctx, true); }

}  // namespace

void register_normalization_ops(OpTable& t) {
  t.push_back({"BatchNormalization", {batch_normalization, 6}});
  t.push_back({"Softmax", {softmax, 1}});
  t.push_back({"LogSoftmax", {log_softmax, 1}});
}

}  // namespace aps
