#pragma once
// Output sizes and padding of Conv and the pooling ops over N spatial
// dimensions (auto_pad, pads, strides, dilations, ceil_mode), following the
// ONNX operator definitions.

#include <cstdint>
#include <vector>

#include "golden/onnx/op_registry.hpp"

namespace aps {

struct SpatialGeometry {
  std::vector<int64_t> in, kernel, strides, dilations, pad_begin, pad_end, out;
  int rank() const { return static_cast<int>(in.size()); }
  int64_t out_count() const;
  int64_t in_count() const;
  int64_t kernel_count() const;
};

// `in` = the input's spatial dimensions, `kernel` = the kernel's.
SpatialGeometry spatial_geometry(const OpContext& ctx, const std::vector<int64_t>& in,
                                 const std::vector<int64_t>& kernel, bool ceil_mode);

// A convolution's kernel: the spatial dimensions of its weight
// [M, C/group, spatial...], which a kernel_shape attribute, when given, must
// repeat (InputError naming the node otherwise).
std::vector<int64_t> conv_kernel(const OpContext& ctx, const std::vector<int64_t>& weight_shape);

// Calls visit(out_index, in_index or -1 for padding, kernel_index) for each
// output position and each kernel tap, output positions in row-major order.
template <typename Visit>
void for_each_window_tap(const SpatialGeometry& g, Visit&& visit) {
  const int r = g.rank();
  std::vector<int64_t> o(r, 0), k(r, 0);
  const int64_t outs = g.out_count(), taps = g.kernel_count();
  for (int64_t oi = 0; oi < outs; ++oi) {
    std::fill(k.begin(), k.end(), 0);
    for (int64_t ki = 0; ki < taps; ++ki) {
      int64_t flat = 0;
      for (int d = 0; d < r && flat >= 0; ++d) {
        const int64_t x = o[d] * g.strides[d] - g.pad_begin[d] + k[d] * g.dilations[d];
        flat = (x < 0 || x >= g.in[d]) ? -1 : flat * g.in[d] + x;
      }
      visit(oi, flat, ki);
      for (int d = r - 1; d >= 0; --d) {
        if (++k[d] < g.kernel[d]) break;
        k[d] = 0;
      }
    }
    for (int d = r - 1; d >= 0; --d) {
      if (++o[d] < g.out[d]) break;
      o[d] = 0;
    }
  }
}

}  // namespace aps
