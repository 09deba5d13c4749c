// The accelerator's integer arithmetic on one layer: computed by hand, and a
// convolution output by output against the fully connected path.

#include <catch2/catch.hpp>
#include <optional>
#include <random>

#include "golden/accelerator/program_executor.hpp"
#include "golden/numerics/requantize.hpp"

using namespace aps;

namespace {
// Two inputs, one output: the layer computed by hand below.
Layer hand_fc() {
  Layer l;
  l.name = "fc";
  l.kind = LayerKind::FullyConnected;
  l.in_shape = {2, 1, 1};
  l.out_shape = {1, 1, 1};
  l.in_q = {0.1, 8};
  l.out_q = {0.1, 3};
  l.weights = {100, -40};
  l.weight_zero_points = {0};
  l.weight_scales = {1.0 / 256};
  l.bias = {100};
  l.multipliers = {quantize_multiplier(1.0 / 256)};
  return l;
}
}  // namespace

TEST_CASE("a fully connected layer at 4 bits, computed by hand", "[program]") {
  // in: codes {200, 9}, zero point 8; weights {100, -40}, zero point 0.
  // 4 bits, shift 4: activations -> {13, 1} (200/16 = 12.5 rounds up), zp 8 -> 1 (0.5 rounds up)
  // weights -> {6 (100/16=6.25), -2 (-40/16=-2.5 rounds up to -2)}, zp 0.
  // acc = (13-1)*6 + (1-1)*(-2) = 72; back to 8-bit scale: 72 << 8 = 18432; + bias 100 = 18532.
  // multiplier 1/256 -> 72.39 -> 72; + out zp 3 = 75.
  Layer l = hand_fc();
  const std::vector<uint8_t> in = {200, 9};
  CHECK(execute_layer(l, in, static_config(4)) == Codes{75});
  // At 8 bits: acc = 192*100 + 1*(-40) = 19160; + 100 = 19260; /256 = 75.23 -> 75; + 3 = 78.
  CHECK(execute_layer(l, in, static_config(8)) == Codes{78});
  // ReLU clamps at the output zero point.
  l.bias = {-30000};
  l.relu = true;
  CHECK(execute_layer(l, in, static_config(8)) == Codes{3});
}

TEST_CASE("an output table maps the requantized code, at every width", "[program]") {
  Layer l = hand_fc();
  l.output_table.resize(256);
  for (int c = 0; c < 256; ++c) l.output_table[c] = static_cast<uint8_t>(255 - c);
  l.table_in_q = l.out_q;  // the table reads the grid the layer requantizes to
  l.out_q = {0.2, 7};      // and writes another
  const std::vector<uint8_t> in = {200, 9};
  CHECK(execute_layer(l, in, static_config(4)) == Codes{255 - 75});  // the hand-computed layer above
  CHECK(execute_layer(l, in, static_config(8)) == Codes{255 - 78});
  // After the clamp: ReLU's floor goes through the table too.
  l.bias = {-30000};
  l.relu = true;
  CHECK(execute_layer(l, in, static_config(8)) == Codes{255 - 3});
}

namespace {

// The fully connected layer that computes output (m, y, x) of `conv`: its
// input is that output's receptive field, a padding tap reading the input's
// zero point (which reduces to a difference of 0, as the convolution's
// padding does).
std::pair<Layer, Codes> receptive_field(const Layer& conv, const Codes& in, int64_t m, int64_t y, int64_t x) {
  const Window& w = conv.window;
  const int64_t cpg = conv.in_shape.channels / conv.groups;
  const int64_t g = m / (conv.out_shape.channels / conv.groups);
  Layer fc;
  fc.name = "field";
  fc.kind = LayerKind::FullyConnected;
  fc.in_shape = {cpg * w.kernel_h * w.kernel_w, 1, 1};
  fc.out_shape = {1, 1, 1};
  fc.in_q = conv.in_q;
  fc.out_q = conv.out_q;
  fc.relu = conv.relu;
  const int64_t per_out = conv.weights_per_output();
  fc.weights.assign(conv.weights.begin() + m * per_out, conv.weights.begin() + (m + 1) * per_out);
  fc.weight_zero_points = {conv.weight_zero_points[m]};
  fc.weight_scales = {conv.weight_scales[m]};
  fc.bias = {conv.bias[m]};
  fc.multipliers = {conv.multipliers[m]};
  Codes field;
  for (int64_t ci = 0; ci < cpg; ++ci)
    for (int64_t ky = 0; ky < w.kernel_h; ++ky)
      for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
        const int64_t iy = y * w.stride_h - w.pad_top + ky * w.dilation_h;
        const int64_t ix = x * w.stride_w - w.pad_left + kx * w.dilation_w;
        const bool inside = iy >= 0 && iy < conv.in_shape.height && ix >= 0 && ix < conv.in_shape.width;
        field.push_back(inside ? in[((g * cpg + ci) * conv.in_shape.height + iy) * conv.in_shape.width + ix]
                               : static_cast<uint8_t>(conv.in_q.zero_point));
      }
  return {fc, field};
}

// A convolution layer of random weights and parameters on `in_shape`, or
// nullopt when the window leaves no output.
std::optional<Layer> random_convolution(std::mt19937& rng, FeatureShape in_shape, int out_channels, Window w, int groups) {
  auto draw = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Layer l;
  l.name = "conv";
  l.kind = LayerKind::Conv;
  l.window = w;
  l.groups = groups;
  l.in_shape = in_shape;
  // Room for the window beyond its first position (negative: it does not fit).
  const int64_t room_h = in_shape.height + w.pad_top + w.pad_bottom - (w.dilation_h * (w.kernel_h - 1) + 1);
  const int64_t room_w = in_shape.width + w.pad_left + w.pad_right - (w.dilation_w * (w.kernel_w - 1) + 1);
  if (room_h < 0 || room_w < 0) return std::nullopt;
  const int64_t oh = room_h / w.stride_h + 1, ow = room_w / w.stride_w + 1;
  l.out_shape = {out_channels, oh, ow};
  l.in_q = {0.1, draw(0, 255)};
  l.out_q = {0.1, draw(0, 255)};
  l.relu = draw(0, 1) == 1;
  for (int64_t i = 0; i < l.out_shape.channels * l.weights_per_output(); ++i)
    l.weights.push_back(static_cast<int8_t>(draw(-128, 127)));
  for (int64_t m = 0; m < l.out_shape.channels; ++m) {
    l.weight_zero_points.push_back(draw(-4, 4));
    l.weight_scales.push_back(1.0 / 1024);
    l.bias.push_back(draw(-2000, 2000));
    l.multipliers.push_back(quantize_multiplier(1.0 / draw(200, 4000)));
  }
  return l;
}

// Every output of `l` on `in` at `c` against the FC path over its receptive field.
void require_equals_receptive_fields(const Layer& l, const Codes& in, const LayerConfig& c) {
  const Codes out = execute_layer(l, in, c);
  const Window& w = l.window;
  for (int64_t m = 0; m < l.out_shape.channels; ++m)
    for (int64_t y = 0; y < l.out_shape.height; ++y)
      for (int64_t x = 0; x < l.out_shape.width; ++x) {
        const auto [fc, field] = receptive_field(l, in, m, y, x);
        INFO("kernel " << w.kernel_h << "x" << w.kernel_w << " stride " << w.stride_h << "," << w.stride_w << " pads "
                       << w.pad_top << "," << w.pad_left << "," << w.pad_bottom << "," << w.pad_right << " dilation "
                       << w.dilation_h << " groups " << l.groups << " bits " << c.bits << " act_shift " << c.act_shift
                       << " at (" << m << ", " << y << ", " << x << ")");
        REQUIRE(out[(m * l.out_shape.height + y) * l.out_shape.width + x] == execute_layer(fc, field, c)[0]);
      }
}

}  // namespace

TEST_CASE("a convolution equals, output by output, the fully connected layer over its receptive field", "[program]") {
  // Every window the executor's loops treat apart: 1x1, square and
  // rectangular taps (DS-CNN's stem is 10x4), stride 1 (whole runs of rows),
  // 2 and unequal, symmetric and asymmetric padding (SAME at stride 2 pads
  // bottom and right only) that clips rows and columns, dilation, grouped and
  // depthwise, on a non-square image, at widths with their own activation
  // shifts.
  std::mt19937 rng(7);
  const std::vector<std::pair<int, int>> kernels{{1, 1}, {3, 3}, {3, 1}, {2, 4}, {10, 4}};
  const std::vector<std::pair<int, int>> strides{{1, 1}, {2, 2}, {1, 2}};
  const std::vector<std::array<int, 4>> pads{{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {1, 0, 0, 2}, {4, 1, 5, 2}};
  int cases = 0;
  for (const auto& [kh, kw] : kernels)
    for (const auto& [sh, sw] : strides)
      for (const auto& [pt, pl, pb, pr] : pads)
        for (int dilation : {1, 2})
          for (int groups : {1, 2, 4}) {
            const Window w{kh, kw, sh, sw, pt, pl, pb, pr, dilation, dilation};
            const auto l = random_convolution(rng, {4, 6, 7}, groups == 4 ? 4 : 6, w, groups);
            if (!l) continue;
            Codes in(static_cast<size_t>(l->in_shape.size()));
            for (auto& v : in) v = static_cast<uint8_t>(std::uniform_int_distribution<int>(0, 255)(rng));
            for (const LayerConfig& c : {static_config(8), static_config(4), LayerConfig{4, 2, 4}, static_config(2)})
              require_equals_receptive_fields(*l, in, c);
            ++cases;
          }
  CHECK(cases == 369);  // the windows of the grid that fit the image
}

TEST_CASE("a convolution whose sums can leave int32 accumulates in 64 bits", "[program]") {
  // 34000 taps of 255 x 255 sum past 2^31: an int32 accumulator would wrap
  // where the 64-bit one saturates at the requantizer's input.
  std::mt19937 rng(3);
  auto l = random_convolution(rng, {34000, 1, 2}, 2, Window{}, 1);
  REQUIRE(l);
  l->in_q.zero_point = 0;
  l->out_q.zero_point = 0;
  l->relu = false;
  std::fill(l->weights.begin(), l->weights.end(), int8_t{127});
  l->weight_zero_points = {-128, -128};
  l->bias = {0, 0};
  const Codes in(static_cast<size_t>(l->in_shape.size()), 255);
  require_equals_receptive_fields(*l, in, static_config(8));
  // Saturated at the top (a wrapped int32 sum would be negative and requantize to 0).
  CHECK(execute_layer(*l, in, static_config(8)) == Codes{255, 255, 255, 255});
}
