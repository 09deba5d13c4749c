// Resize (opset 10 on) and Upsample (7 to 9): nearest, linear and cubic
// interpolation, as the separable sum of the ONNX reference
// (onnx/backend/test/case/node/resize.py): along each resized axis an output
// index maps to a coordinate of the input, whose n neighbours (n = 2 for
// nearest and linear, 4 for cubic; the input repeated at its edges) are
// weighted by the mode's coefficients. The image resizes PyTorch's
// F.interpolate and TensorFlow's tf.image.resize export as.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {
namespace {

enum class Mode { Nearest, Linear, Cubic };

struct ResizeRule {
  Mode mode = Mode::Nearest;
  std::string transform;        // coordinate_transformation_mode
  std::string nearest_mode;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
};

// One output index's taps along an axis: input indices (clamped to the axis)
// and their weights; outside = the coordinate fell outside a crop's box.
struct AxisTaps {
  std::vector<int64_t> index;
  std::vector<double> weight;
  bool outside = false;
};

Mode parse_mode(const OpContext& ctx) {
  const std::string m = ctx.attrs.get_string("mode", "nearest");
  if (m == "nearest") return Mode::Nearest;
  if (m == "linear" || m == "bilinear" || m == "trilinear") return Mode::Linear;
  if (m == "cubic" || m == "bicubic") return Mode::Cubic;
  throw InputError(fmt::format("{}: mode '{}' is not one of nearest, linear, cubic", ctx.label(), m));
}

std::vector<double> coefficients(const ResizeRule& r, double ratio, bool integral, double scale) {
  switch (r.mode) {
    case Mode::Nearest: {
      if (integral) return {0, 1};
      const std::string& m = r.nearest_mode;
      if (m == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
      if (m == "floor") return {1, 0};
      if (m == "ceil" || (m == "simple" && scale < 1)) return {0, 1};
      if (m == "simple") return {1, 0};
      return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};  // round_prefer_floor
    }
    case Mode::Linear:
      return {1 - ratio, ratio};
    case Mode::Cubic: {
      const double a = r.cubic_a;
      const auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };  // 1 <= t < 2
      const auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };       // 0 <= t < 1
      return {far(ratio + 1), near(ratio), near(1 - ratio), far(2 - ratio)};
    }
  }
  return {};
}

// The input coordinate of output index x along an axis of `in` elements
// resized by `scale` to `out` elements; roi_start/roi_end only for
// tf_crop_and_resize. Computed in float32, as ONNX Runtime does: a coordinate
// such as 1.5 / 0.6f is 2.5 there, a tie the nearest modes break, and
// 2.4999999 in double. The rules that divide by the output length take the
// whole output length, as the operator's definition and ONNX Runtime do (the
// 1.12 reference divided by scale * in).
double input_coordinate(const OpContext& ctx, const ResizeRule& r, int64_t x, int64_t in, double scale, int64_t out,
                        double roi_start, double roi_end) {
  const auto xf = static_cast<float>(x), s = static_cast<float>(scale);
  const auto last_in = static_cast<float>(in - 1), last_out = static_cast<float>(out - 1);
  const auto start = static_cast<float>(roi_start), end = static_cast<float>(roi_end);
  const std::string& t = r.transform;
  float c = 0;
  if (t == "half_pixel") c = (xf + 0.5f) / s - 0.5f;
  else if (t == "asymmetric") c = xf / s;
  else if (t == "pytorch_half_pixel") c = out > 1 ? (xf + 0.5f) / s - 0.5f : 0.0f;
  else if (t == "tf_half_pixel_for_nn") c = (xf + 0.5f) / s;
  else if (t == "align_corners") c = out == 1 ? 0.0f : xf * last_in / last_out;
  else if (t == "tf_crop_and_resize")
    c = out > 1 ? start * last_in + xf * (end - start) * last_in / last_out : 0.5f * (start + end) * last_in;
  else
    throw InputError(fmt::format("{}: coordinate_transformation_mode '{}' is not supported", ctx.label(), t));
  return c;
}

AxisTaps axis_taps(const OpContext& ctx, const ResizeRule& r, int64_t x, int64_t in, double scale, int64_t out,
                   double roi_start, double roi_end) {
  AxisTaps taps;
  const double c = input_coordinate(ctx, r, x, in, scale, out, roi_start, roi_end);
  if (r.transform == "tf_crop_and_resize" && (c < 0 || c > static_cast<double>(in - 1))) {
    taps.outside = true;
    return taps;
  }
  const double fl = std::floor(c);
  const bool integral = c == fl;
  std::vector<double> w = coefficients(r, integral ? 1.0 : c - fl, integral, scale);
  const auto n = static_cast<int64_t>(w.size());
  // The n nearest indices, the lower preferred on a tie, within the input
  // padded by n/2 at each edge.
  const int64_t pad = n / 2;
  int64_t first = static_cast<int64_t>(integral ? fl - 1 : fl) - (n / 2 - 1);
  first = std::clamp(first, -pad, in + pad - n);
  double kept = 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = first + k;
    if (r.exclude_outside && (i < 0 || i >= in)) w[k] = 0;
    kept += w[k];
    taps.index.push_back(std::clamp<int64_t>(i, 0, in - 1));
  }
  if (r.exclude_outside)
    for (double& v : w) v /= kept;
  taps.weight = std::move(w);
  return taps;
}

// The floats of a 1-D input (scales, roi), any float type.
std::vector<double> float_list(const OpContext& ctx, int i, const char* what) {
  const Tensor& t = ctx.input(i);
  if (!t.floating() || t.rank() != 1)
    throw InputError(fmt::format("{}: {} must be a 1-D float tensor, got {} {}", ctx.label(), what,
                                 dtype_name(t.dtype()), shape_string(t.shape())));
  return t.reals();
}

// An output dimension computed in double: refused past what any tensor could
// hold (and before a cast of it would be undefined).
int64_t output_dimension(const OpContext& ctx, double v) {
  if (!(v >= 0 && v <= 9.0e15))
    throw InputError(fmt::format("{}: an output dimension of {} is out of range", ctx.label(), v));
  return static_cast<int64_t>(v);
}

bool given(const OpContext& ctx, int i) { return ctx.has_input(i) && ctx.input(i).size() > 0; }

Tensor interpolate(const OpContext& ctx, const Tensor& x, const ResizeRule& r, const std::vector<double>& scales,
                   const Shape& out_shape, const std::vector<double>& roi) {
  const int rank = x.rank();
  if (!x.floating() && r.mode != Mode::Nearest)
    throw InputError(fmt::format("{}: {} interpolation of {} elements is not supported (nearest is)", ctx.label(),
                                 r.mode == Mode::Linear ? "linear" : "cubic", dtype_name(x.dtype())));
  // Per axis, per output index, its taps.
  std::vector<std::vector<AxisTaps>> taps(static_cast<size_t>(rank));
  // An axis of scale 1 is copied, its crop box ignored (ONNX Runtime's rule).
  for (int d = 0; d < rank; ++d) {
    const double start = roi.empty() ? 0.0 : roi[d], end = roi.empty() ? 1.0 : roi[d + rank];
    for (int64_t o = 0; o < out_shape[d]; ++o)
      taps[d].push_back(x.shape()[d] == out_shape[d] && scales[d] == 1.0
                            ? AxisTaps{{o}, {1.0}, false}
                            : axis_taps(ctx, r, o, x.shape()[d], scales[d], out_shape[d], start, end));
  }
  Tensor y(x.dtype(), out_shape);
  const auto strides = row_major_strides(x.shape());
  std::vector<int64_t> o(static_cast<size_t>(rank), 0), k(static_cast<size_t>(rank), 0);
  for (int64_t flat = 0; flat < y.size(); ++flat) {
    bool outside = false;
    for (int d = 0; d < rank; ++d) outside = outside || taps[d][o[d]].outside;
    double sum = 0;
    if (outside) {
      sum = r.extrapolation;
    } else {
      // Every combination of the axes' taps.
      std::fill(k.begin(), k.end(), 0);
      for (bool more = true; more;) {
        double w = 1;
        int64_t at = 0;
        for (int d = 0; d < rank; ++d) {
          const AxisTaps& t = taps[d][o[d]];
          w *= t.weight[k[d]];
          at += t.index[k[d]] * strides[d];
        }
        if (w != 0) sum += w * x.value(at);
        more = false;
        for (int d = rank - 1; d >= 0; --d) {
          if (++k[d] < static_cast<int64_t>(taps[d][o[d]].index.size())) {
            more = true;
            break;
          }
          k[d] = 0;
        }
      }
    }
    if (y.floating())
      y.reals()[flat] = round_to_float_type(sum, y.dtype());
    else
      y.ints()[flat] = static_cast<int64_t>(sum);
    for (int d = rank - 1; d >= 0; --d) {
      if (++o[d] < out_shape[d]) break;
      o[d] = 0;
    }
  }
  return y;
}

// Output sizes and per-axis scales from scales or sizes, over `axes` (all
// axes when empty); keep_aspect_ratio_policy as opset 18 defines it.
void target_shape(const OpContext& ctx, const Tensor& x, const std::vector<double>* scales_in,
                  const std::vector<int64_t>* sizes_in, std::vector<double>& scales, Shape& out) {
  const int rank = x.rank();
  std::vector<int64_t> axes = ctx.attrs.get_ints("axes");
  if (axes.empty())
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank)
      throw InputError(fmt::format("{}: axis {} is out of range for rank {}", ctx.label(), a, rank));
    if (a < 0) a += rank;
  }
  const size_t n = axes.size();
  if ((scales_in && scales_in->size() != n) || (sizes_in && sizes_in->size() != n))
    throw InputError(fmt::format("{}: {} has {} values for {} axes of the input {}", ctx.label(),
                                 scales_in ? "scales" : "sizes", scales_in ? scales_in->size() : sizes_in->size(), n,
                                 shape_string(x.shape())));
  scales.assign(static_cast<size_t>(rank), 1.0);
  out = x.shape();
  if (scales_in) {
    for (size_t i = 0; i < n; ++i) {
      const double s = (*scales_in)[i];
      if (!(s > 0 && std::isfinite(s)))
        throw InputError(fmt::format("{}: scale {} is not a positive number", ctx.label(), s));
      scales[axes[i]] = s;
      out[axes[i]] = output_dimension(ctx, std::floor(s * static_cast<double>(x.shape()[axes[i]])));
    }
    return;
  }
  const std::string policy = ctx.attrs.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    throw InputError(fmt::format("{}: keep_aspect_ratio_policy '{}' is not one of stretch, not_larger, not_smaller",
                                 ctx.label(), policy));
  double common = policy == "not_larger" ? INFINITY : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t s = (*sizes_in)[i];
    if (s < 0) throw InputError(fmt::format("{}: size {} is negative", ctx.label(), s));
    const double ratio = static_cast<double>(s) / static_cast<double>(x.shape()[axes[i]]);
    common = policy == "not_larger" ? std::min(common, ratio) : std::max(common, ratio);
  }
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = x.shape()[axes[i]];
    if (policy == "stretch") {
      out[axes[i]] = (*sizes_in)[i];
      scales[axes[i]] = static_cast<double>((*sizes_in)[i]) / static_cast<double>(in);
    } else {
      out[axes[i]] = output_dimension(ctx, std::round(common * static_cast<double>(in)));  // half away from 0
      scales[axes[i]] = common;
    }
  }
}

std::vector<Tensor> resize(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  ResizeRule r;
  r.mode = parse_mode(ctx);
  r.transform = ctx.attrs.get_string("coordinate_transformation_mode", ctx.opset < 11 ? "asymmetric" : "half_pixel");
  // Before opset 11 nearest took the floor of an upsampled coordinate and the
  // ceiling of a downsampled one (ONNX Runtime's "simple" rule, which
  // Upsample's reference outputs follow).
  r.nearest_mode = ctx.opset < 11 ? "simple" : ctx.attrs.get_string("nearest_mode", "round_prefer_floor");
  if (r.nearest_mode != "round_prefer_floor" && r.nearest_mode != "round_prefer_ceil" && r.nearest_mode != "floor" &&
      r.nearest_mode != "ceil" && r.nearest_mode != "simple")
    throw InputError(fmt::format("{}: nearest_mode '{}' is not supported", ctx.label(), r.nearest_mode));
  r.cubic_a = ctx.attrs.get_float("cubic_coeff_a", -0.75f);
  r.exclude_outside = ctx.attrs.get_int("exclude_outside", 0) != 0;
  r.extrapolation = ctx.attrs.get_float("extrapolation_value", 0.0f);
  if (ctx.attrs.get_int("antialias", 0) != 0)
    throw InputError(fmt::format("{}: antialias is not supported", ctx.label()));
  std::vector<double> scales_given, roi;
  std::vector<int64_t> sizes_given;
  bool have_scales = false, have_sizes = false;
  if (ctx.opset < 11) {
    scales_given = float_list(ctx, 1, "scales");
    have_scales = true;
  } else {
    if (given(ctx, 1) && r.transform == "tf_crop_and_resize") roi = float_list(ctx, 1, "roi");
    have_scales = given(ctx, 2);
    have_sizes = ctx.has_input(3) && given(ctx, 3);
    if (have_scales == have_sizes)
      throw InputError(fmt::format("{}: exactly one of scales and sizes must be given", ctx.label()));
    if (have_scales) scales_given = float_list(ctx, 2, "scales");
    if (have_sizes) sizes_given = ctx.int_list(3, "sizes");
  }
  std::vector<double> scales;
  Shape out;
  target_shape(ctx, x, have_scales ? &scales_given : nullptr, have_sizes ? &sizes_given : nullptr, scales, out);
  if (!roi.empty()) {
    if (roi.size() != 2 * static_cast<size_t>(x.rank()))
      throw InputError(fmt::format("{}: roi has {} values, not twice the input's rank {}", ctx.label(), roi.size(),
                                   x.rank()));
  } else if (r.transform == "tf_crop_and_resize") {
    throw InputError(fmt::format("{}: tf_crop_and_resize needs roi", ctx.label()));
  }
  // A resize to the input's own shape is a copy, whatever the scales (1.3 on
  // 3 elements leaves 3) or the crop: ONNX Runtime's rule.
  if (out == x.shape()) return {x};
  return {interpolate(ctx, x, r, scales, out, roi)};
}

// Upsample: Resize of opset 10 (asymmetric coordinates), its scales an
// attribute before opset 9.
std::vector<Tensor> upsample(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  ResizeRule r;
  r.mode = parse_mode(ctx);
  if (r.mode == Mode::Cubic) throw InputError(fmt::format("{}: Upsample has no cubic mode", ctx.label()));
  r.transform = "asymmetric";
  r.nearest_mode = "simple";
  std::vector<double> given_scales;
  if (ctx.opset < 9) {
    for (float s : ctx.attrs.get_floats("scales")) given_scales.push_back(s);
  } else {
    given_scales = float_list(ctx, 1, "scales");
  }
  if (given_scales.size() != static_cast<size_t>(x.rank()))
    throw InputError(fmt::format("{}: scales has {} values for the input {}", ctx.label(), given_scales.size(),
                                 shape_string(x.shape())));
  std::vector<double> scales;
  Shape out;
  target_shape(ctx, x, &given_scales, nullptr, scales, out);
  return {interpolate(ctx, x, r, scales, out, {})};
}

}  // namespace

void register_resize_ops(OpTable& t) {
  t.push_back({"Resize", {resize, 10}});
  t.push_back({"Upsample", {upsample, 7}});
}

}  // namespace aps
