#include "golden/accelerator/input_patches.hpp"

#include <stdexcept>

#include "generated/host_interface.hpp"
#include "golden/accelerator/memory_plan.hpp"

namespace aps {
namespace {

constexpr int64_t kMaxPatchedChannels = 3;

bool reads_network_input(const Layer& l) {
  if (l.kind == LayerKind::SaeScan) return l.scan.tensor < 0;
  return l.input < 0 || (l.kind == LayerKind::Add && l.add.input_b < 0);
}

}  // namespace

bool pack_input_patches(NetworkProgram& p) {
  if (p.input_patches.enabled() || p.layers.empty()) return false;
  Layer& l = p.layers[0];
  const Window& w = l.window;
  if (l.kind != LayerKind::Conv || l.input >= 0 || l.groups != 1 || l.role != LayerRole::Main ||
      l.in_shape.channels > kMaxPatchedChannels || w.kernel_h * w.kernel_w < 2 || !(l.in_shape == p.input_shape))
    return false;
  for (size_t i = 1; i < p.layers.size(); ++i)
    if (reads_network_input(p.layers[i])) return false;

  const int64_t c_in = l.in_shape.channels, taps = int64_t{w.kernel_h} * w.kernel_w;
  const int64_t outs = l.out_shape.channels;
  NetworkProgram packed = p;
  Layer& pl = packed.layers[0];
  // Channel t of the packed input is tap (ky, kx) of channel c, t = (ky * KW + kx) * C + c.
  for (int64_t m = 0; m < outs; ++m)
    for (int64_t c = 0; c < c_in; ++c)
      for (int64_t k = 0; k < taps; ++k)
        pl.weights[m * taps * c_in + k * c_in + c] = l.weights[(m * c_in + c) * taps + k];
  packed.input_patches = {p.input_shape, w};
  packed.input_shape = {taps * c_in, l.out_shape.height, l.out_shape.width};
  pl.in_shape = packed.input_shape;
  pl.window = Window{};
  validate_program(packed);
  // Packing speeds the stem up; it must not make the program too big for the
  // build's scratchpad (the packed input, taps * C lanes per output pixel,
  // can take several times the raw input's words), by the memory plan's measure.
  const int rows = static_cast<int>(hw::kThisBuild.rows);
  if (min_scratchpad_words(packed, rows) > hw::kThisBuild.act_words &&
      min_scratchpad_words(p, rows) <= hw::kThisBuild.act_words)
    return false;
  p = std::move(packed);
  return true;
}

Codes patch_input(const NetworkProgram& p, const Codes& raw) {
  if (!p.input_patches.enabled()) return raw;
  const FeatureShape& r = p.input_patches.raw;
  const Window& w = p.input_patches.window;
  if (static_cast<int64_t>(raw.size()) != r.size()) throw std::logic_error("patch_input: raw input of the wrong size");
  const FeatureShape& s = p.input_shape;
  const auto zero = static_cast<uint8_t>(p.input_q.zero_point);
  Codes out(static_cast<size_t>(s.size()), zero);
  for (int64_t ky = 0; ky < w.kernel_h; ++ky)
    for (int64_t kx = 0; kx < w.kernel_w; ++kx)
      for (int64_t c = 0; c < r.channels; ++c) {
        const int64_t t = (ky * w.kernel_w + kx) * r.channels + c;
        for (int64_t oy = 0; oy < s.height; ++oy) {
          const int64_t iy = oy * w.stride_h - w.pad_top + ky * w.dilation_h;
          if (iy < 0 || iy >= r.height) continue;
          for (int64_t ox = 0; ox < s.width; ++ox) {
            const int64_t ix = ox * w.stride_w - w.pad_left + kx * w.dilation_w;
            if (ix < 0 || ix >= r.width) continue;
            out[(t * s.height + oy) * s.width + ox] = raw[(c * r.height + iy) * r.width + ix];
          }
        }
      }
  return out;
}

}  // namespace aps
