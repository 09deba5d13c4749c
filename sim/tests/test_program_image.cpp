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
    const ProgramImage img = build_image(p, configs, default_limits());
    CHECK(img.descriptors.size() == p.layers.size());
    int64_t weight_words = 0;
    for (size_t i = 0; i < p.layers.size(); ++i) weight_words += layer_geometry(p, i, ArrayShape{}).weight_words;
    CHECK(static_cast<int64_t>(img.weights.size()) == weight_words * 64);
    // the output of layer i is the input of layer i + 1
    for (size_t i = 1; i < p.layers.size(); ++i)
      CHECK(img.descriptors[i][hw::kDescInBase] == img.descriptors[i - 1][hw::kDescOutBase]);
  }
}

TEST_CASE("a program that does not fit the RTL build is refused, naming the layer", "[image]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  const auto configs = static_configs(PrecisionMap(p.layers.size(), 8));
  HardwareLimits small = default_limits();
  small.act_words = 12;  // the 64-wide input takes 8 words, fc1's output 8 more
  CHECK_THROWS_WITH(build_image(p, configs, small),
                    Catch::Contains("layer 'fc1' does not fit the RTL build: its output needs activation words up to 16"));
  small = default_limits();
  small.wgt_words = 40;
  CHECK_THROWS_WITH(build_image(p, configs, small), Catch::Contains("layer 'fc1'") && Catch::Contains("tile words"));
  small = default_limits();
  small.max_layers = 2;
  CHECK_THROWS_WITH(build_image(p, configs, small), Catch::Contains("descriptor table holds 2"));
}
