// Convolution over N spatial dimensions with groups: Conv (float),
// ConvInteger and QLinearConv. Padded taps are skipped: in the float op the
// pad value is 0, in the integer ops it is the input zero point, whose
// difference from the zero point is again 0.

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/spatial_geometry.hpp"
#include "golden/numerics/quantize_linear.hpp"

namespace aps {
namespace {

struct ConvPlan {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  SpatialGeometry geo;
  Shape out_shape;
};

ConvPlan plan_conv(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  if (x.rank() < 3 || w.rank() != x.rank())
    throw InputError(fmt::format("{}: input {} and weight {} must both be [N,C,spatial...]", ctx.label(),
                                 shape_string(x.shape()), shape_string(w.shape())));
  ConvPlan p;
  p.batch = x.shape()[0];
  p.in_channels = x.shape()[1];
  p.out_channels = w.shape()[0];
  p.group = ctx.attrs.get_int("group", 1);
  if (p.group < 1 || p.in_channels % p.group != 0 || p.out_channels % p.group != 0 ||
      w.shape()[1] * p.group != p.in_channels)
    throw InputError(fmt::format("{}: group {} does not fit {} input and {} output channels (weight {})", ctx.label(),
                                 p.group, p.in_channels, p.out_channels, shape_string(w.shape())));
  std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end());
  p.geo = spatial_geometry(ctx, in, conv_kernel(ctx, w.shape()), false);
  p.out_shape = {p.batch, p.out_channels};
  p.out_shape.insert(p.out_shape.end(), p.geo.out.begin(), p.geo.out.end());
  checked_element_count(p.out_shape, ctx.label());
  return p;
}

// acc[n, m, out...] = sum over the group's channels and the kernel taps of
// x_value(x_flat) * w_value(w_flat, m). Each output adds its terms channel by
// channel, tap by tap within a channel (the order fixes a float sum); the
// window geometry is worked out once, as a table of each tap's input index
// per output (-1: padding).
template <typename Acc, typename XValue, typename WValue>
std::vector<Acc> convolve(const ConvPlan& p, XValue&& x_value, WValue&& w_value) {
  const int64_t outs = p.geo.out_count(), ins = p.geo.in_count(), taps = p.geo.kernel_count();
  const int64_t cpg = p.in_channels / p.group, mpg = p.out_channels / p.group;
  std::vector<int64_t> tap_input(static_cast<size_t>(taps * outs));
  for_each_window_tap(p.geo, [&](int64_t oi, int64_t xi, int64_t ki) { tap_input[ki * outs + oi] = xi; });
  std::vector<Acc> acc(static_cast<size_t>(p.batch * p.out_channels * outs), Acc{});
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t m = 0; m < p.out_channels; ++m) {
      const int64_t g = m / mpg;
      Acc* out = &acc[(n * p.out_channels + m) * outs];
      for (int64_t c = 0; c < cpg; ++c) {
        const int64_t x_base = (n * p.in_channels + g * cpg + c) * ins;
        const int64_t w_base = (m * cpg + c) * taps;
        for (int64_t ki = 0; ki < taps; ++ki) {
          const auto w = w_value(w_base + ki, m);
          const int64_t* xi = &tap_input[ki * outs];
          for (int64_t oi = 0; oi < outs; ++oi)
            if (xi[oi] >= 0) out[oi] += x_value(x_base + xi[oi]) * w;
        }
      }
    }
  return acc;
}

std::vector<Tensor> conv(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (!x.floating() || x.dtype() != w.dtype())
    throw InputError(fmt::format("{}: Conv needs floating X and W of one type", ctx.label()));
  const ConvPlan p = plan_conv(ctx, x, w);
  auto acc = convolve<double>(
      p, [&](int64_t i) { return x.reals()[i]; }, [&](int64_t i, int64_t) { return w.reals()[i]; });
  const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (b && b->size() != p.out_channels)
    throw InputError(fmt::format("{}: bias has {} values for {} output channels", ctx.label(), b->size(), p.out_channels));
  Tensor y(x.dtype(), p.out_shape);
  const int64_t outs = p.geo.out_count();
  for (int64_t i = 0; i < y.size(); ++i) {
    const double bias = b ? b->value((i / outs) % p.out_channels) : 0.0;
    y.reals()[i] = round_to_float_type(acc[i] + bias, y.dtype());
  }
  return {y};
}

void check_8bit(const Tensor& t, std::string_view what, std::string_view label) {
  if (t.dtype() != DType::UInt8 && t.dtype() != DType::Int8)
    throw InputError(fmt::format("{}: {} must be uint8 or int8, got {}", label, what, dtype_name(t.dtype())));
}

// Weight zero point / scale: one value, or one per output channel.
int64_t per_channel_index(const Tensor& t, int64_t m) { return t.size() == 1 ? 0 : m; }

void check_per_channel(const Tensor& t, int64_t channels, std::string_view what, std::string_view label) {
  if (t.size() != 1 && t.size() != channels)
    throw InputError(fmt::format("{}: {} has {} values, expected 1 or {} (one per output channel)", label, what,
                                 t.size(), channels));
}

std::vector<int64_t> integer_conv(const OpContext& ctx, const ConvPlan& p, const Tensor& x, const Tensor& w,
                                  int64_t x_zp, const Tensor* w_zp) {
  auto acc = convolve<int64_t>(
      p, [&](int64_t i) { return x.ints()[i] - x_zp; },
      [&](int64_t i, int64_t m) { return w.ints()[i] - (w_zp ? w_zp->ints()[per_channel_index(*w_zp, m)] : 0); });
  for (int64_t v : acc)
    if (v > std::numeric_limits<int32_t>::max() || v < std::numeric_limits<int32_t>::min())
      throw InputError(fmt::format("{}: accumulator overflows int32", ctx.label()));
  return acc;
}

std::vector<Tensor> conv_integer(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  check_8bit(x, "x", ctx.label());
  check_8bit(w, "w", ctx.label());
  const ConvPlan p = plan_conv(ctx, x, w);
  int64_t x_zp = 0;
  if (ctx.has_input(2)) {
    if (ctx.input(2).size() != 1) throw InputError(fmt::format("{}: x_zero_point must be a scalar", ctx.label()));
    x_zp = ctx.input(2).ints()[0];
  }
  const Tensor* w_zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  if (w_zp) check_per_channel(*w_zp, p.out_channels, "w_zero_point", ctx.label());
  return {Tensor::from_ints(DType::Int32, p.out_shape, integer_conv(ctx, p, x, w, x_zp, w_zp))};
}

float positive_scale(double s, std::string_view what, std::string_view label) {
  return static_cast<float>(checked_scale(s, what, label));
}

std::vector<Tensor> qlinear_conv(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(3);
  check_8bit(x, "x", ctx.label());
  check_8bit(w, "w", ctx.label());
  const ConvPlan p = plan_conv(ctx, x, w);
  const Tensor& x_scale = ctx.input(1);
  const Tensor& x_zp = ctx.input(2);
  const Tensor& w_scale = ctx.input(4);
  const Tensor& w_zp = ctx.input(5);
  const Tensor& y_scale = ctx.input(6);
  const Tensor& y_zp = ctx.input(7);
  if (x_scale.size() != 1 || x_zp.size() != 1 || y_scale.size() != 1 || y_zp.size() != 1)
    throw InputError(fmt::format("{}: x and y scales and zero points must be scalars", ctx.label()));
  check_per_channel(w_scale, p.out_channels, "w_scale", ctx.label());
  check_per_channel(w_zp, p.out_channels, "w_zero_point", ctx.label());
  check_8bit(y_zp, "y_zero_point", ctx.label());
  auto acc = integer_conv(ctx, p, x, w, x_zp.ints()[0], &w_zp);
  const Tensor* bias = ctx.has_input(8) ? &ctx.input(8) : nullptr;
  if (bias && (bias->dtype() != DType::Int32 || bias->size() != p.out_channels))
    throw InputError(fmt::format("{}: bias must be int32 with one value per output channel", ctx.label()));
  const float sx = positive_scale(x_scale.value(0), "x_scale", ctx.label());
  const float sy = positive_scale(y_scale.value(0), "y_scale", ctx.label());
  Tensor y(y_zp.dtype(), p.out_shape);
  const int64_t outs = p.geo.out_count();
  for (int64_t i = 0; i < y.size(); ++i) {
    const int64_t m = (i / outs) % p.out_channels;
    const auto sw = static_cast<float>(
        checked_dequantize_scale(w_scale.value(per_channel_index(w_scale, m)), "w_scale", ctx.label()));
    const int64_t a = acc[i] + (bias ? bias->ints()[m] : 0);
    y.ints()[i] = qlinear_requantize(a, qlinear_multiplier(sx, sw, sy), y_zp.ints()[0], y.dtype());
  }
  return {y};
}

}  // namespace

void register_conv_ops(OpTable& t) {
  t.push_back({"Conv", {conv, 1}});
  t.push_back({"ConvInteger", {conv_integer, 10}});
  t.push_back({"QLinearConv", {qlinear_conv, 10}});
}

}  // namespace aps
