#include "golden/onnx/ops/spatial_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

int64_t SpatialGeometry::out_count() const {
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  return n;
}
int64_t SpatialGeometry::in_count() const {
  int64_t n = 1;
  for (int64_t d : in) n *= d;
  return n;
}
int64_t SpatialGeometry::kernel_count() const {
  int64_t n = 1;
  for (int64_t d : kernel) n *= d;
  return n;
}

std::vector<int64_t> conv_kernel(const OpContext& ctx, const std::vector<int64_t>& weight_shape) {
  const std::vector<int64_t> kernel(weight_shape.begin() + std::min<ptrdiff_t>(2, std::ssize(weight_shape)),
                                    weight_shape.end());
  if (ctx.attrs.get_ints("kernel_shape", kernel) != kernel)
    throw InputError(fmt::format("{}: kernel_shape attribute disagrees with the weight shape", ctx.label()));
  return kernel;
}

SpatialGeometry spatial_geometry(const OpContext& ctx, const std::vector<int64_t>& in,
                                 const std::vector<int64_t>& kernel, bool ceil_mode) {
  const size_t r = in.size();
  SpatialGeometry g;
  g.in = in;
  g.kernel = kernel;
  if (kernel.size() != r)
    throw InputError(fmt::format("{}: kernel has {} spatial dimensions, the input {}", ctx.label(), kernel.size(), r));
  g.strides = ctx.attrs.get_ints("strides", std::vector<int64_t>(r, 1));
  g.dilations = ctx.attrs.get_ints("dilations", std::vector<int64_t>(r, 1));
  auto pads = ctx.attrs.get_ints("pads", std::vector<int64_t>(2 * r, 0));
  if (g.strides.size() != r || g.dilations.size() != r || pads.size() != 2 * r)
    throw InputError(fmt::format("{}: strides/dilations/pads do not match {} spatial dimensions", ctx.label(), r));
  for (size_t d = 0; d < r; ++d) {
    if (g.strides[d] < 1 || g.dilations[d] < 1 || kernel[d] < 1 || pads[d] < 0 || pads[d + r] < 0)
      throw InputError(fmt::format("{}: strides, dilations and kernel sizes must be >= 1 and pads >= 0", ctx.label()));
    // No tensor dimension exceeds kMaxTensorElements; larger window values
    // are corrupt and would overflow the int64 arithmetic below.
    for (int64_t v : {g.strides[d], g.dilations[d], kernel[d], pads[d], pads[d + r], in[d]})
      if (v > kMaxTensorElements)
        throw InputError(fmt::format("{}: window value {} is larger than any tensor dimension", ctx.label(), v));
  }
  const std::string auto_pad = ctx.attrs.get_string("auto_pad", "NOTSET");
  g.pad_begin.assign(r, 0);
  g.pad_end.assign(r, 0);
  g.out.assign(r, 0);
  for (size_t d = 0; d < r; ++d) {
    const int64_t span = (kernel[d] - 1) * g.dilations[d] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.out[d] = (in[d] + g.strides[d] - 1) / g.strides[d];
      const int64_t total = std::max<int64_t>(0, (g.out[d] - 1) * g.strides[d] + span - in[d]);
      g.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pad_end[d] = total - g.pad_begin[d];
    } else if (auto_pad == "VALID") {
      g.out[d] = in[d] >= span ? (in[d] - span) / g.strides[d] + 1 : 0;
    } else if (auto_pad == "NOTSET") {
      g.pad_begin[d] = pads[d];
      g.pad_end[d] = pads[d + r];
      const int64_t room = in[d] + pads[d] + pads[d + r] - span;
      if (room < 0) {
        g.out[d] = 0;
      } else {
        g.out[d] = (ceil_mode ? (room + g.strides[d] - 1) / g.strides[d] : room / g.strides[d]) + 1;
        // A last window that would start in the end padding reads no value:
        // ceil_mode drops it (ONNX Runtime, PyTorch, and the ONNX reference
        // since 1.16).
        if (ceil_mode && g.out[d] > 1 && (g.out[d] - 1) * g.strides[d] >= in[d] + pads[d]) --g.out[d];
      }
    } else {
      throw InputError(fmt::format("{}: auto_pad '{}' is not a valid value", ctx.label(), auto_pad));
    }
    if (g.out[d] < 1)
      throw InputError(fmt::format("{}: the kernel does not fit spatial dimension {} (size {})", ctx.label(), d, in[d]));
  }
  return g;
}

}  // namespace aps
