// Patch packing of a first convolution's input changes where the taps live,
// not what the layer computes.

#include <catch2/catch.hpp>
#include <random>

#include "generated/host_interface.hpp"
#include "golden/accelerator/input_patches.hpp"
#include "golden/accelerator/program_executor.hpp"

using namespace aps;

namespace {

NetworkProgram stem(std::mt19937& rng, int channels, Window w, int64_t h, int64_t wd) {
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  NetworkProgram p;
  p.source = "stem";
  p.input_shape = {channels, h, wd};
  p.input_q = {0.02, u(0, 255)};
  Layer l;
  l.name = "stem";
  l.kind = LayerKind::Conv;
  l.in_shape = p.input_shape;
  l.in_q = p.input_q;
  l.window = w;
  const int64_t oh = (h + w.pad_top + w.pad_bottom - (w.kernel_h - 1) * w.dilation_h - 1) / w.stride_h + 1;
  const int64_t ow = (wd + w.pad_left + w.pad_right - (w.kernel_w - 1) * w.dilation_w - 1) / w.stride_w + 1;
  l.out_shape = {5, oh, ow};
  l.out_q = {0.05, u(0, 255)};
  l.relu = u(0, 1);
  for (int64_t i = 0; i < 5 * channels * w.kernel_h * w.kernel_w; ++i) l.weights.push_back(static_cast<int8_t>(u(-127, 127)));
  for (int m = 0; m < 5; ++m) {
    l.weight_zero_points.push_back(u(-3, 3));
    l.weight_scales.push_back(0.01);
    l.bias.push_back(u(-500, 500));
    l.multipliers.push_back(quantize_multiplier(0.02 * 0.01 / 0.05));
  }
  p.layers = {l};
  validate_program(p);
  return p;
}

}  // namespace

TEST_CASE("a packed stem computes what the convolution computes, at every width", "[patches]") {
  std::mt19937 rng(5);
  const Window windows[] = {
      {.kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1},
      {.kernel_h = 10, .kernel_w = 4, .stride_h = 2, .stride_w = 2, .pad_top = 4, .pad_left = 1, .pad_bottom = 5, .pad_right = 2},
      {.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .dilation_h = 2, .dilation_w = 1},
  };
  for (const Window& w : windows)
    for (int channels : {1, 3}) {
      const NetworkProgram plain = stem(rng, channels, w, 11, 9);
      NetworkProgram packed = plain;
      REQUIRE(pack_input_patches(packed));
      CHECK(packed.input_shape.channels == w.kernel_h * w.kernel_w * channels);
      CHECK(packed.layers[0].window == Window{});
      CHECK(packed.fingerprint() != plain.fingerprint());
      for (int trial = 0; trial < 4; ++trial) {
        Codes raw(static_cast<size_t>(plain.input_shape.size()));
        for (auto& v : raw) v = static_cast<uint8_t>(rng());
        const int bits = 2 + trial * 2;
        const std::vector<LayerConfig> configs = {static_config(bits)};
        CHECK(execute_program(packed, patch_input(packed, raw), configs).output() ==
              execute_program(plain, raw, configs).output());
      }
    }
}

TEST_CASE("only a first convolution over few channels whose input nothing else reads is packed", "[patches]") {
  std::mt19937 rng(9);
  const Window w3{.kernel_h = 3, .kernel_w = 3};
  NetworkProgram four = stem(rng, 4, w3, 6, 6);
  CHECK_FALSE(pack_input_patches(four));
  NetworkProgram one_by_one = stem(rng, 1, Window{}, 6, 6);
  CHECK_FALSE(pack_input_patches(one_by_one));
  NetworkProgram twice = stem(rng, 1, w3, 6, 6);
  REQUIRE(pack_input_patches(twice));
  CHECK_FALSE(pack_input_patches(twice));
  // a second reader of the network input keeps it as it is
  NetworkProgram shared = stem(rng, 1, w3, 6, 6);
  Layer pool;
  pool.name = "pool";
  pool.kind = LayerKind::MaxPool;
  pool.input = -1;
  pool.in_shape = pool.out_shape = shared.input_shape;
  pool.in_q = pool.out_q = shared.input_q;
  shared.layers.push_back(pool);
  validate_program(shared);
  CHECK_FALSE(pack_input_patches(shared));
  // a packed input too big for the scratchpad where the plain one fits stays plain
  const int64_t side = 64;
  NetworkProgram large = stem(rng, 3, Window{.kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1,
                                             .pad_right = 1}, side, side);
  // On a build whose scratchpad holds the packed step too (-DAPS_RTL_ACT_WORDS), it is packed.
  const int64_t rows = hw::kThisBuild.rows, pixels = side * side;
  const int64_t packed_words = ((27 + rows - 1) / rows) * pixels + pixels, plain_words = 2 * pixels;
  CHECK(pack_input_patches(large) == (packed_words <= hw::kThisBuild.act_words || plain_words > hw::kThisBuild.act_words));
  NetworkProgram smaller = stem(rng, 3, Window{.kernel_h = 3, .kernel_w = 3}, 32, 32);
  CHECK(pack_input_patches(smaller));
}
