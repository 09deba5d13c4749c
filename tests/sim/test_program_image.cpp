// The host-side image of a program: tensor layout, weight packing, fit checks.

#include <catch2/catch.hpp>
#include <random>

#include "golden/accelerator_geometry.hpp"
#include "golden/exit_code.hpp"
#include "golden/program_loader.hpp"
#include "sim/cli/junit_writer.hpp"
#include "sim/host_address_map.hpp"
#include "sim/program_image.hpp"

using namespace aps;
using namespace aps::sim;

namespace {
HardwareLimits default_limits() {
  HardwareLimits h;
  h.array = {8, 8};
  h.act_words = 2048;
  h.wgt_words = 2048;
  h.param_entries = 1024;
  h.max_layers = 32;
  return h;
}
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
      CHECK(img.descriptors[i][hw::kDwInBase] == img.descriptors[i - 1][hw::kDwOutBase]);
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

TEST_CASE("the cycle model: b cycles per word, so narrow layers are proportionally faster", "[cycles]") {
  Layer l;
  l.kind = LayerKind::FullyConnected;
  l.in_shape = {256, 1, 1};
  l.out_shape = {256, 1, 1};
  NetworkProgram p;
  p.input_shape = l.in_shape;
  p.layers = {l};
  const ArrayShape a{8, 8};
  const int64_t c8 = layer_cycles(p, 0, static_config(8), a);
  // 32 tiles x (2 + 32 words x 8 planes) + descriptor (3) + drain (8 writes + 2)
  CHECK(c8 == 3 + 32 * (2 + 32 * 8) + 8 + 2);
  CHECK(static_cast<double>(layer_cycles(p, 0, static_config(4), a)) / c8 <= 0.55);
  CHECK(static_cast<double>(layer_cycles(p, 0, static_config(2), a)) / c8 <= 0.30);
  // The ideal for the array: MACs * bits / PEs.
  CHECK(ideal_cycles(l, static_config(8), a) == 256.0 * 256 * 8 / 64);
}

TEST_CASE("the cycle model: a short pixel waits for the writeback of the previous one", "[cycles]") {
  Layer l;
  l.kind = LayerKind::FullyConnected;
  l.in_shape = {8, 1, 1};   // one word per pixel
  l.out_shape = {16, 1, 1};  // two tiles of 8 channels
  NetworkProgram p;
  p.input_shape = l.in_shape;
  p.layers = {l};
  // At 2 bits a pixel computes in 2 cycles, but writing 8 channels takes 9.
  const int64_t cycles = layer_cycles(p, 0, static_config(2), ArrayShape{8, 8});
  // tile 0: cycles 3,4 then handoff at 6; tile 1: 7,8 then words 9,10 -> waits until 6 + 9 = 15; drain to 15 + 10
  CHECK(cycles == 15 + 8 + 2 + 1);
}

TEST_CASE("junit escapes markup in names and failures", "[report]") {
  const std::string xml = junit_xml("suite <a>", {{"case \"1\"", "expected 1 & got <2>", 0.5}, {"ok", "", 0}});
  CHECK(xml.find("suite &lt;a&gt;") != std::string::npos);
  CHECK(xml.find("expected 1 &amp; got &lt;2&gt;") != std::string::npos);
  CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
}
