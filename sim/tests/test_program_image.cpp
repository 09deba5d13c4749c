// The host-side image of a program: tensor layout, weight packing, fit checks.

#include <catch2/catch.hpp>
#include <random>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/errors.hpp"
#include "golden/import/program_loader.hpp"
#include "generated/host_interface.hpp"
#include "sim/program_image.hpp"

using namespace aps;
using namespace aps::sim;

namespace {
HardwareLimits default_limits() { return hardware_limits(hw::kDefaultBuild); }
const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";
}  // namespace

TEST_CASE("pack and unpack are inverse for any shape", "[image]") {
  std::mt19937 rng(3);
  for (int t = 0; t < 50; ++t) {
    const FeatureShape s{std::uniform_int_distribution<int>(1, 20)(rng), std::uniform_int_distribution<int>(1, 5)(rng),
                         std::uniform_int_distribution<int>(1, 5)(rng)};
    Codes chw(static_cast<size_t>(s.size()));
    for (auto& v : chw) v = static_cast<uint8_t>(rng());
    const auto bytes = pack_tensor(chw, s, 8);
    CHECK(static_cast<int64_t>(bytes.size()) == tensor_words(s, 8) * 8);
    CHECK(unpack_tensor(bytes, s, 8) == chw);
  }
}

TEST_CASE("channel c of pixel p sits in word p * CB + c / ROWS, lane c % ROWS", "[image]") {
  const FeatureShape s{10, 1, 2};  // CB = 2
  Codes chw(20);
  for (int i = 0; i < 20; ++i) chw[i] = static_cast<uint8_t>(i);
  const auto bytes = pack_tensor(chw, s, 8);
  // channel 9, pixel 1: CHW index 9 * 2 + 1 = 19; word 1 * 2 + 1 = 3, lane 1
  CHECK(bytes[3 * 8 + 1] == 19);
  // padding lanes stay 0
  CHECK(bytes[1 * 8 + 2] == 0);
}

TEST_CASE("the digits models' images fit the default build and describe every layer", "[image]") {
  for (const char* name : {"digits_mlp", "digits_cnn"}) {
    const NetworkProgram p = load_network_program(kModels / name / "model_int8.onnx").program;
    const auto configs = static_configs(PrecisionMap(p.layers.size(), 8));
    const HardwareLimits limits = default_limits();
    const MemoryPlan plan = plan_memory(p, limits, limits.act_words, uint64_t{1} << 24);
    const ProgramImage img = build_image(p, configs, limits, plan);
    CHECK(img.descriptors.size() == p.layers.size());
    CHECK(img.external.size() == plan.ext_bytes);
    for (size_t i = 0; i < p.layers.size(); ++i) {
      const Descriptor& d = img.descriptors[i];
      // the output of layer i is the input of layer i + 1, where the plan put it
      CHECK(d[hw::kDescInBase] == plan.steps[i].in_base);
      CHECK(d[hw::kDescOutBase] == plan.steps[i].out_base);
      if (i > 0) CHECK(d[hw::kDescInBase] == img.descriptors[i - 1][hw::kDescOutBase]);
      const hw::DescMode mode = hw::DescMode::unpack(d[hw::kDescMode]);
      CHECK(mode.load_in == (i == 0 ? 1u : 0u));
      CHECK(mode.store_out == (i + 1 == p.layers.size() ? 1u : 0u));
      if (!p.layers[i].has_weights()) continue;
      // the first tile's header holds the weight zero points of its channels
      const LayerGeometry g = layer_geometry(p, i, limits.array);
      CHECK(d[hw::kDescWgtBase] == plan.steps[i].ext_weights);
      for (int64_t c = 0; c < std::min<int64_t>(8, g.out_channels); ++c)
        CHECK(static_cast<int8_t>(img.external[plan.steps[i].ext_weights + c]) == p.layers[i].weight_zero_points[c]);
    }
  }
}

TEST_CASE("a depthwise convolution's tile holds only its own channel block", "[image]") {
  Layer l;
  l.name = "dw";
  l.kind = LayerKind::Conv;
  l.in_shape = {16, 3, 3};
  l.out_shape = {16, 3, 3};
  l.groups = 16;
  l.window = {.kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  for (int m = 0; m < 16; ++m)
    for (int t = 0; t < 9; ++t) l.weights.push_back(static_cast<int8_t>(m * 9 + t - 70));
  l.weight_zero_points.assign(16, 3);
  l.weight_scales.assign(16, 0.01);
  l.bias.assign(16, 0);
  l.multipliers.assign(16, quantize_multiplier(0.01));
  NetworkProgram p;
  p.input_shape = l.in_shape;
  p.layers = {l};
  const HardwareLimits limits = default_limits();
  const LayerGeometry g = layer_geometry(p, 0, limits.array);
  REQUIRE(g.depthwise);
  CHECK(g.words_per_pixel == 9);  // one block per tap, not two
  const MemoryPlan plan = plan_memory(p, limits, limits.act_words, uint64_t{1} << 20);
  const ProgramImage img = build_image(p, {static_config(8)}, limits, plan);
  CHECK(hw::DescMode::unpack(img.descriptors[0][hw::kDescMode]).depthwise == 1);
  // tile 1 (channels 8..15), tap (0, 1): word 1 after the tile's header;
  // column c, lane l holds channel 8 + c's weight where l == c and the zero
  // point elsewhere. The words are stored as bit-planes after the header
  // (weight_tile_beats): byte j of word r is bit j of each of its planes.
  const size_t tile = plan.steps[0].ext_weights + 1 * weight_tile_beats(g.tile_stride, 8, limits.array) * 8;
  const size_t words = static_cast<size_t>(g.tile_stride - 1);
  auto weight_byte = [&](size_t r, size_t j) {
    uint8_t byte = 0;
    for (int p = 7; p >= 0; --p) {
      const size_t plane = tile + 64 + ((7 - static_cast<size_t>(p)) * words + r) * 8;  // one 8-byte beat per word-plane
      byte |= static_cast<uint8_t>(((img.external[plane + j / 8] >> (j % 8)) & 1) << p);
    }
    return static_cast<int8_t>(byte);
  };
  for (int c = 0; c < 8; ++c)
    for (int lane = 0; lane < 8; ++lane)
      CHECK(weight_byte(1, static_cast<size_t>(c * 8 + lane)) == (lane == c ? l.weights[(8 + c) * 9 + 1] : int8_t{3}));
  // The header keeps the zero points as bytes.
  for (int c = 0; c < 8; ++c) CHECK(static_cast<int8_t>(img.external[tile + static_cast<size_t>(c)]) == 3);
}

TEST_CASE("a fully connected tile larger than a weight slot is stored and described in parts", "[image]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  const auto configs = static_configs(PrecisionMap(p.layers.size(), 8));
  HardwareLimits small = default_limits();
  small.wgt_words = 12;  // slots of 6 words; fc1 reads 8 words per pixel: parts of 4 and 4
  const MemoryPlan plan = plan_memory(p, small, small.act_words, 1 << 20);
  const ProgramImage img = build_image(p, configs, small, plan);
  const auto parts = hw::DescWgtParts::unpack(img.descriptors[0][hw::kDescWgtParts]);
  CHECK(parts.parts == 2);
  CHECK(parts.part_words == 4);
  const MemoryPlan whole_plan = plan_memory(p, default_limits(), default_limits().act_words, 1 << 20);
  const ProgramImage whole = build_image(p, configs, default_limits(), whole_plan);
  CHECK(whole.descriptors[0][hw::kDescWgtParts] == 0);
  // Per tile: a header and the planes of words 0..3, then the header again
  // and the planes of words 4..7. Word r of the whole tile, byte j, plane k
  // sits in the whole layout at header + (7 - k) * 8 words + r, one beat each.
  const ArrayShape a = small.array;
  const size_t beat = 8, header = 64;
  const size_t whole_tile = static_cast<size_t>(weight_tile_beats(9, 8, a)) * beat;
  const size_t split_tile = 2 * static_cast<size_t>(weight_tile_beats(5, 8, a)) * beat;
  const size_t tiles = static_cast<size_t>((p.layers[0].out_shape.channels + 7) / 8);
  for (size_t t = 0; t < tiles; ++t) {
    const size_t w0 = whole_plan.steps[0].ext_weights + t * whole_tile;
    const size_t s0 = plan.steps[0].ext_weights + t * split_tile;
    for (size_t part = 0; part < 2; ++part) {
      const size_t at = s0 + part * (header + 8 * 4 * beat);
      for (size_t j = 0; j < header; ++j) CHECK(img.external[at + j] == whole.external[w0 + j]);
      for (size_t k = 0; k < 8; ++k)
        for (size_t r = 0; r < 4; ++r)
          for (size_t b = 0; b < beat; ++b)
            CHECK(img.external[at + header + (k * 4 + r) * beat + b] ==
                  whole.external[w0 + header + (k * 8 + part * 4 + r) * beat + b]);
    }
  }
}

TEST_CASE("a program that does not fit the RTL build is refused, naming the layer", "[image]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  const auto configs = static_configs(PrecisionMap(p.layers.size(), 8));
  HardwareLimits small = default_limits();
  const NetworkProgram cnn = load_network_program(kModels / "digits_cnn/model_int8.onnx").program;
  small.wgt_words = 12;  // slots of 6 words; conv2 reads 9 words for each of its pixels
  CHECK_THROWS_WITH(build_image(cnn, static_configs(PrecisionMap(cnn.layers.size(), 8)), small,
                                plan_memory(cnn, small, small.act_words, 1 << 20)),
                    Catch::Contains("layer 'conv2'") && Catch::Contains("a weight buffer slot holds 6") &&
                        Catch::Contains("this one has 16 output pixels") &&
                        Catch::Contains("a build configured with -DAPS_RTL_WGT_WORDS=32 holds it)"));
  small = default_limits();
  small.param_entries = 8;
  CHECK_THROWS_WITH(build_image(p, configs, small, plan_memory(p, small, small.act_words, 1 << 20)),
                    Catch::Contains("layer 'fc1'") && Catch::Contains("parameter buffer holds 8 (a build configured "
                                                                          "with -DAPS_RTL_PARAM_ENTRIES=64 holds it)"));
  // A model over two of the build's sizes: the refusal of the first names both.
  small = default_limits();
  small.param_entries = 8;
  small.wgt_words = 12;
  CHECK_THROWS_WITH(build_image(cnn, static_configs(PrecisionMap(cnn.layers.size(), 8)), small,
                                plan_memory(cnn, small, small.act_words, 1 << 20)),
                    Catch::Contains("layer 'conv2'") &&
                        Catch::EndsWith("; the whole model needs a build configured with -DAPS_RTL_WGT_WORDS=32 "
                                        "-DAPS_RTL_PARAM_ENTRIES=16"));
  small.act_words = 64;
  CHECK_THROWS_WITH(plan_memory(cnn, small, small.act_words, 1 << 20),
                    Catch::Contains("scratchpad words at once") &&
                        Catch::Contains("; the whole model needs a build configured with -DAPS_RTL_ACT_WORDS="));
  small = default_limits();
  small.max_layers = 2;
  CHECK_THROWS_WITH(build_image(p, configs, small, plan_memory(p, small, small.act_words, 1 << 20)),
                    Catch::EndsWith(": 3 steps, the RTL build's descriptor table holds 2"));
}
