// Resize (opset 10 on) and Upsample (7 to 9): nearest, linear and cubic
// interpolation, as the separable sum of the ONNX reference
// (onnx/backend/test/case/node/resize.py): along each resized axis an output
// index maps to a coordinate of the input, whose n neighbours (n = 2 for
// nearest and linear, 4 for cubic; the input repeated at its edges) are
// weighted by the mode's coefficients. The image resizes PyTorch's
// F.interpolate and TensorFlow's tf.image.resize export as. Where ONNX
// Runtime and ONNX 1.12's reference differ, this follows ONNX Runtime, which
// follows the operator's text (docs/verification.md lists where).

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {
namespace {

enum class Mode { Nearest, Linear, Cubic };
enum class Transform { HalfPixel, Asymmetric, PytorchHalfPixel, TfHalfPixelForNn, AlignCorners, TfCropAndResize };
// Simple: before opset 11, the floor of an upsampled coordinate and the
// ceiling of a downsampled one (ONNX Runtime's rule, which Upsample's
// reference outputs follow).
enum class Nearest { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };

struct ResizeRule {
  Mode mode = Mode::Nearest;
  Transform transform = Transform::HalfPixel;
  Nearest nearest = Nearest::RoundPreferFloor;
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

Transform parse_transform(const OpContext& ctx) {
  const std::string t =
      ctx.attrs.get_string("coordinate_transformation_mode", ctx.opset < 11 ? "asymmetric" : "half_pixel");
  if (t == "half_pixel") return Transform::HalfPixel;
  if (t == "asymmetric") return Transform::Asymmetric;
  if (t == "pytorch_half_pixel") return Transform::PytorchHalfPixel;
  if (t == "tf_half_pixel_for_nn") return Transform::TfHalfPixelForNn;
  if (t == "align_corners") return Transform::AlignCorners;
  if (t == "tf_crop_and_resize") return Transform::TfCropAndResize;
  throw InputError(fmt::format("{}: coordinate_transformation_mode '{}' is not supported", ctx.label(), t));
}

Nearest parse_nearest(const OpContext& ctx) {
  if (ctx.opset < 11) return Nearest::Simple;
  const std::string m = ctx.attrs.get_string("nearest_mode", "round_prefer_floor");
  if (m == "round_prefer_floor") return Nearest::RoundPreferFloor;
  if (m == "round_prefer_ceil") return Nearest::RoundPreferCeil;
  if (m == "floor") return Nearest::Floor;
  if (m == "ceil") return Nearest::Ceil;
  throw InputError(fmt::format("{}: nearest_mode '{}' is not supported", ctx.label(), m));
}

std::vector<double> coefficients(const ResizeRule& r, double ratio, bool integral, double scale) {
  switch (r.mode) {
    case Mode::Nearest:
      if (integral) return {0, 1};
      switch (r.nearest) {
        case Nearest::RoundPreferCeil: return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
        case Nearest::Floor: return {1, 0};
        case Nearest::Ceil: return {0, 1};
        case Nearest::Simple: return scale < 1 ? std::vector<double>{0, 1} : std::vector<double>{1, 0};
        case Nearest::RoundPreferFloor: break;
      }
      return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
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
double input_coordinate(const ResizeRule& r, int64_t x, int64_t in, double scale, int64_t out, double roi_start,
                        double roi_end) {
  const auto xf = static_cast<float>(x), s = static_cast<float>(scale);
  const auto last_in = static_cast<float>(in - 1), last_out = static_cast<float>(out - 1);
  const auto start = static_cast<float>(roi_start), end = static_cast<float>(roi_end);
  switch (r.transform) {
    case Transform::HalfPixel: return (xf + 0.5f) / s - 0.5f;
    case Transform::Asymmetric: return xf / s;
    case Transform::PytorchHalfPixel: return out > 1 ? (xf + 0.5f) / s - 0.5f : 0.0f;
    case Transform::TfHalfPixelForNn: return (xf + 0.5f) / s;
    case Transform::AlignCorners: return out == 1 ? 0.0f : xf * last_in / last_out;
    case Transform::TfCropAndResize:
      return out > 1 ? start * last_in + xf * (end - start) * last_in / last_out : 0.5f * (start + end) * last_in;
  }
  return 0;
}

AxisTaps axis_taps(const ResizeRule& r, int64_t x, int64_t in, double scale, int64_t out, double roi_start,
                   double roi_end) {
  AxisTaps taps;
  const double c = input_coordinate(r, x, in, scale, out, roi_start, roi_end);
  if (r.transform == Transform::TfCropAndResize && (c < 0 || c > static_cast<double>(in - 1))) {
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

// An output dimension computed in double, refused before a cast of it would
// be undefined; the tensor's element limit is checked on the whole shape.
int64_t output_dimension(const OpContext& ctx, double v) {
  if (!(v >= 0 && v <= 9.0e15))
    throw InputError(fmt::format("{}: an output dimension of {} is out of range", ctx.label(), v));
  return static_cast<int64_t>(v);
}

bool given(const OpContext& ctx, int i) { return ctx.has_input(i) && ctx.input(i).size() > 0; }

// y[flat] = x[at] copied exactly (nearest), or the weighted sum (linear,
// cubic: floating elements only).
Tensor interpolate(const OpContext& ctx, const Tensor& x, const ResizeRule& r, const std::vector<double>& scales,
                   const Shape& out_shape, const std::vector<double>& roi) {
  const int rank = x.rank();
  if (!x.floating() && r.mode != Mode::Nearest)
    throw InputError(fmt::format("{}: {} interpolation of {} elements is not supported (nearest is)", ctx.label(),
                                 r.mode == Mode::Linear ? "linear" : "cubic", dtype_name(x.dtype())));
  // An empty output may still have a vast axis: no taps to make. (Its size
  // was checked when target_shape made it.)
  if (std::find(out_shape.begin(), out_shape.end(), 0) != out_shape.end()) return Tensor(x.dtype(), out_shape);
  // Per axis, per output index, its taps. An axis of scale 1 is copied, its
  // crop box ignored (ONNX Runtime's rule).
  std::vector<std::vector<AxisTaps>> taps(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d) {
    const double start = roi.empty() ? 0.0 : roi[d], end = roi.empty() ? 1.0 : roi[d + rank];
    for (int64_t o = 0; o < out_shape[d]; ++o)
      taps[d].push_back(x.shape()[d] == out_shape[d] && scales[d] == 1.0
                            ? AxisTaps{{o}, {1.0}, false}
                            : axis_taps(r, o, x.shape()[d], scales[d], out_shape[d], start, end));
  }
  Tensor y(x.dtype(), out_shape);
  const auto strides = row_major_strides(x.shape());
  std::vector<int64_t> o(static_cast<size_t>(rank), 0), k(static_cast<size_t>(rank), 0);
  for (int64_t flat = 0; flat < y.size(); ++flat) {
    bool outside = false;
    for (int d = 0; d < rank; ++d) outside = outside || taps[d][o[d]].outside;
    if (outside) {
      y.set_value(flat, r.extrapolation);
    } else if (r.mode == Mode::Nearest) {
      // One tap of weight 1 per axis: the element is copied, an int64 too.
      int64_t at = 0;
      for (int d = 0; d < rank; ++d) {
        const AxisTaps& t = taps[d][o[d]];
        const auto pick = std::max_element(t.weight.begin(), t.weight.end()) - t.weight.begin();
        at += t.index[pick] * strides[d];
      }
      if (y.floating())
        y.reals()[flat] = x.reals()[at];
      else
        y.ints()[flat] = x.ints()[at];
    } else {
      // Every combination of the axes' taps.
      double sum = 0;
      std::fill(k.begin(), k.end(), 0);
      for (bool more = true; more;) {
        double w = 1;
        int64_t at = 0;
        for (int d = 0; d < rank; ++d) {
          const AxisTaps& t = taps[d][o[d]];
          w *= t.weight[k[d]];
          at += t.index[k[d]] * strides[d];
        }
        if (w != 0) sum += w * x.reals()[at];
        more = false;
        for (int d = rank - 1; d >= 0; --d) {
          if (++k[d] < static_cast<int64_t>(taps[d][o[d]].index.size())) {
            more = true;
            break;
          }
          k[d] = 0;
        }
      }
      y.reals()[flat] = round_to_float_type(sum, y.dtype());
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++o[d] < out_shape[d]) break;
      o[d] = 0;
    }
  }
  return y;
}

// The axes scales, sizes and roi name (all axes when `axes` is absent).
std::vector<int64_t> resize_axes(const OpContext& ctx, int rank) {
  std::vector<int64_t> axes = ctx.attrs.get_ints("axes");
  if (axes.empty())
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank)
      throw InputError(fmt::format("{}: axis {} is out of range for rank {}", ctx.label(), a, rank));
    if (a < 0) a += rank;
    if (seen[a]) throw InputError(fmt::format("{}: axis {} is named twice", ctx.label(), a));
    seen[a] = true;
  }
  return axes;
}

// Output sizes and per-axis scales from scales or sizes over `axes`;
// keep_aspect_ratio_policy as opset 18 defines it. An empty axis cannot grow
// (there is nothing to interpolate), and the output must be a tensor this
// build can hold.
void target_shape(const OpContext& ctx, const Tensor& x, const std::vector<int64_t>& axes,
                  const std::vector<double>* scales_in, const std::vector<int64_t>* sizes_in,
                  std::vector<double>& scales, Shape& out) {
  const size_t n = axes.size();
  if ((scales_in && scales_in->size() != n) || (sizes_in && sizes_in->size() != n))
    throw InputError(fmt::format("{}: {} has {} values for {} axes of the input {}", ctx.label(),
                                 scales_in ? "scales" : "sizes", scales_in ? scales_in->size() : sizes_in->size(), n,
                                 shape_string(x.shape())));
  scales.assign(static_cast<size_t>(x.rank()), 1.0);
  out = x.shape();
  if (scales_in) {
    for (size_t i = 0; i < n; ++i) {
      const double s = (*scales_in)[i];
      if (!(s > 0 && std::isfinite(s)))
        throw InputError(fmt::format("{}: scale {} is not a positive number", ctx.label(), s));
      scales[axes[i]] = s;
      out[axes[i]] = output_dimension(ctx, std::floor(s * static_cast<double>(x.shape()[axes[i]])));
    }
  } else {
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
  for (int d = 0; d < x.rank(); ++d)
    if (x.shape()[d] == 0 && out[d] > 0)
      throw InputError(fmt::format("{}: axis {} of the input {} is empty and cannot be resized to {}", ctx.label(),
                                   d, shape_string(x.shape()), out[d]));
  checked_element_count(out, ctx.label());
}

// roi over `axes` ([starts..., ends...] of its length, as opset 18 allows)
// spread to every axis, the others uncropped.
std::vector<double> full_roi(const OpContext& ctx, const std::vector<double>& given_roi,
                             const std::vector<int64_t>& axes, int rank) {
  if (given_roi.size() != 2 * axes.size())
    throw InputError(fmt::format("{}: roi has {} values, not twice the {} axes resized", ctx.label(),
                                 given_roi.size(), axes.size()));
  std::vector<double> roi(2 * static_cast<size_t>(rank), 0.0);
  for (int d = 0; d < rank; ++d) roi[rank + d] = 1.0;
  for (size_t i = 0; i < axes.size(); ++i) {
    roi[axes[i]] = given_roi[i];
    roi[rank + axes[i]] = given_roi[axes.size() + i];
  }
  return roi;
}

std::vector<Tensor> resize(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  ResizeRule r;
  r.mode = parse_mode(ctx);
  r.transform = parse_transform(ctx);
  r.nearest = parse_nearest(ctx);
  r.cubic_a = ctx.attrs.get_float("cubic_coeff_a", -0.75f);
  r.exclude_outside = ctx.attrs.get_int("exclude_outside", 0) != 0;
  r.extrapolation = ctx.attrs.get_float("extrapolation_value", 0.0f);
  if (ctx.attrs.get_int("antialias", 0) != 0)
    throw InputError(fmt::format("{}: antialias is not supported", ctx.label()));
  const std::vector<int64_t> axes = resize_axes(ctx, x.rank());
  std::vector<double> scales_given, roi;
  std::vector<int64_t> sizes_given;
  bool have_scales = false, have_sizes = false;
  if (ctx.opset < 11) {
    scales_given = float_list(ctx, 1, "scales");
    have_scales = true;
  } else {
    if (r.transform == Transform::TfCropAndResize) {
      if (!given(ctx, 1)) throw InputError(fmt::format("{}: tf_crop_and_resize needs roi", ctx.label()));
      roi = full_roi(ctx, float_list(ctx, 1, "roi"), axes, x.rank());
    }
    have_scales = given(ctx, 2);
    have_sizes = given(ctx, 3);
    if (have_scales == have_sizes)
      throw InputError(fmt::format("{}: exactly one of scales and sizes must be given", ctx.label()));
    if (have_scales) scales_given = float_list(ctx, 2, "scales");
    if (have_sizes) sizes_given = ctx.int_list(3, "sizes");
  }
  std::vector<double> scales;
  Shape out;
  target_shape(ctx, x, axes, have_scales ? &scales_given : nullptr, have_sizes ? &sizes_given : nullptr, scales, out);
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
  r.transform = Transform::Asymmetric;
  r.nearest = Nearest::Simple;
  std::vector<double> given_scales;
  if (ctx.opset < 9) {
    for (float s : ctx.attrs.get_floats("scales")) given_scales.push_back(s);
  } else {
    given_scales = float_list(ctx, 1, "scales");
  }
  std::vector<int64_t> axes;
  for (int d = 0; d < x.rank(); ++d) axes.push_back(d);
  std::vector<double> scales;
  Shape out;
  target_shape(ctx, x, axes, &given_scales, nullptr, scales, out);
  return {interpolate(ctx, x, r, scales, out, {})};
}

}  // namespace

void register_resize_ops(OpTable& t) {
  t.push_back({"Resize", {resize, 10}});
  t.push_back({"Upsample", {upsample, 7}});
}

}  // namespace aps
