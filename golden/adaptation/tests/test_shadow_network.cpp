// The up-front schedule's shadow network: kept channels, rescaled multipliers,
// and the networks it refuses.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <numeric>
#include <set>

#include "golden/adaptation/shadow_network.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/numerics/requantize.hpp"

using namespace aps;

namespace {
const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";
}  // namespace

TEST_CASE("the shadow network copies the kept channels and rescales for the reduced fan-in", "[shadow]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;  // 64-64-32-10
  REQUIRE(p.layers.size() == 3);
  // fc2 reads fc1's channels 0, 5, 7; fc3 reads fc2's channels 1, 2.
  const ShadowNetwork s = build_shadow_network(p, {{}, {0, 5, 7}, {1, 2}});
  REQUIRE(s.layers.size() == 2);  // copies of fc1 and fc2: nothing after the last scan is copied
  CHECK(s.source_of == std::vector<int>{-1, 0, 1});
  const Layer& s1 = s.layers[0];
  const Layer& s2 = s.layers[1];
  CHECK(s1.role == LayerRole::Shadow);
  CHECK(s1.name == "shadow:" + p.layers[0].name);
  CHECK(s1.out_shape.channels == 3);
  CHECK(s2.in_shape.channels == 3);
  CHECK(s2.out_shape.channels == 2);
  CHECK(s2.input == 0);

  // The first copy keeps its whole input: at 8 bits its outputs are the main
  // layer's outputs at the kept channels.
  Codes x(64);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((37 * i) % 256);
  const Codes full = execute_layer(p.layers[0], x, static_config(8));
  const Codes copy = execute_layer(s1, x, static_config(8));
  REQUIRE(copy.size() == 3);
  CHECK(copy[0] == full[0]);
  CHECK(copy[1] == full[5]);
  CHECK(copy[2] == full[7]);

  // The second copy: fc2's weights at the kept inputs, its multiplier scaled
  // by full / kept fan-in (64 / 3), so the partial sum keeps the full scale.
  const int64_t fan_in = p.layers[1].weights_per_output();
  REQUIRE(fan_in == 64);
  for (int k = 0; k < 2; ++k) {
    const int64_t o = k + 1;
    CHECK(s2.weights[k * 3 + 0] == p.layers[1].weights[o * fan_in + 0]);
    CHECK(s2.weights[k * 3 + 1] == p.layers[1].weights[o * fan_in + 5]);
    CHECK(s2.weights[k * 3 + 2] == p.layers[1].weights[o * fan_in + 7]);
    CHECK(s2.bias[k] == p.layers[1].bias[o]);
    CHECK(s2.weight_zero_points[k] == p.layers[1].weight_zero_points[o]);
    CHECK(real_value(s2.multipliers[k]) ==
          Approx(std::min(200.0, real_value(p.layers[1].multipliers[o]) * 64.0 / 3.0)).epsilon(1e-6));
  }
}

TEST_CASE("the shadow network refuses what it cannot copy", "[shadow]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  CHECK_THROWS_WITH(build_shadow_network(p, {{}, {0}}), Catch::Contains("one channel list per layer with weights"));
  CHECK_THROWS_WITH(build_shadow_network(p, {{}, {64}, {0}}), Catch::Contains("channel 64 is outside layer"));
  NetworkProgram grouped = load_network_program(kModels / "ds_cnn/model_tf_int8.onnx").program;
  const std::vector<int> w = weighted_layers(grouped);
  const auto dw = std::find_if(w.begin(), w.end(), [&](int i) { return grouped.layers[i].groups > 1; });
  REQUIRE(dw != w.end());
  Layer& l = grouped.layers[*dw];
  l.groups /= 2;  // two channels per group: neither ordinary nor depthwise
  const std::vector<std::vector<int64_t>> channels(w.size(), std::vector<int64_t>{0});
  CHECK_THROWS_WITH(build_shadow_network(grouped, channels), Catch::Contains("does not copy grouped convolution '" + l.name + "'"));
}

namespace {

// Every layer's output for one input, at 8 bits.
std::vector<Codes> main_outputs(const NetworkProgram& p, const Codes& x) {
  return execute_program(p, x, std::vector<LayerConfig>(p.layers.size(), static_config(8))).layer_outputs;
}

Codes some_input(const NetworkProgram& p) {
  Codes x(static_cast<size_t>(p.tensor_shape(-1).size()));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((37 * i + 11) % 251);
  return x;
}

std::vector<std::vector<int64_t>> every_channel(const NetworkProgram& p) {
  std::vector<std::vector<int64_t>> channels;
  for (int i : weighted_layers(p)) {
    channels.emplace_back(static_cast<size_t>(p.tensor_shape(p.layers[i].input).channels));
    std::iota(channels.back().begin(), channels.back().end(), 0);
  }
  return channels;
}

}  // namespace

TEST_CASE("a shadow network keeping every channel reproduces depthwise and residual networks", "[shadow]") {
  // DS-CNN has depthwise convolutions and pooling, ResNet-8 residual Adds
  // and strided shortcut convolutions: each copy, given every channel, must
  // compute exactly what its main layer does.
  for (const char* model : {"ds_cnn/model_tf_int8.onnx", "resnet8/model_tf_int8.onnx"}) {
    INFO(model);
    const NetworkProgram p = load_network_program(kModels / model).program;
    const ShadowNetwork s = build_shadow_network(p, every_channel(p));
    const Codes x = some_input(p);
    const std::vector<Codes> main = main_outputs(p, x);
    const std::vector<Codes> shadow = run_shadow_network(s, x);
    REQUIRE(shadow.size() == static_cast<size_t>(weighted_layers(p).back()));
    bool add = false, depthwise = false;
    for (size_t i = 0; i < shadow.size(); ++i) {
      INFO(p.layers[i].name);
      add |= p.layers[i].kind == LayerKind::Add;
      depthwise |= p.layers[i].groups > 1;
      CHECK(s.layers[i].input == p.layers[i].input);
      CHECK(shadow[i] == main[i]);
    }
    CHECK((add || depthwise));
  }
}

TEST_CASE("a shadow network keeping some channels is a valid program", "[shadow]") {
  // Every copy, pooling and Add included, carries its kept channels'
  // parameters: the copies alone form a program the accelerator accepts.
  for (const char* model : {"ds_cnn/model_tf_int8.onnx", "resnet8/model_tf_int8.onnx"}) {
    INFO(model);
    const NetworkProgram p = load_network_program(kModels / model).program;
    std::vector<std::vector<int64_t>> channels = every_channel(p);
    for (auto& c : channels) c.resize((c.size() + 2) / 3);  // a third of each layer's input channels
    const ShadowNetwork s = build_shadow_network(p, channels);
    NetworkProgram copies = p;
    copies.layers = s.layers;
    for (Layer& l : copies.layers) l.role = LayerRole::Main;  // the last copy stands as the output
    CHECK_NOTHROW(validate_program(copies));
    CHECK(run_shadow_network(s, some_input(p)).size() == s.layers.size());
  }
}

TEST_CASE("a depthwise layer and its input keep one set of channels", "[shadow]") {
  const NetworkProgram p = load_network_program(kModels / "ds_cnn/model_tf_int8.onnx").program;
  const std::vector<int> w = weighted_layers(p);
  // Layer j keeps input channels j % 3 and 2 + j % 5 (its slice); readers
  // of one tensor want different ones.
  std::vector<std::vector<int64_t>> channels;
  for (size_t j = 0; j < w.size(); ++j) {
    std::set<int64_t> c{static_cast<int64_t>(j % 3), static_cast<int64_t>(2 + j % 5)};
    channels.emplace_back(c.begin(), c.end());
  }
  const ShadowNetwork s = build_shadow_network(p, channels);
  for (size_t j = 0; j < w.size(); ++j) {
    const int src = s.source_of[j];
    CHECK(src == p.layers[w[j]].input);
    if (src < 0) continue;
    for (int64_t c : channels[j]) CHECK_NOTHROW(s.position(src, c));  // every slice channel is there
  }
  int checked = 0;
  for (size_t i = 0; i < s.layers.size(); ++i) {
    const Layer& m = p.layers[i];
    if (m.groups <= 1) continue;
    INFO(m.name);
    CHECK(s.kept[i] == s.kept[static_cast<size_t>(m.input)]);  // output channel c reads input channel c
    CHECK(s.layers[i].groups == static_cast<int>(s.kept[i].size()));
    ++checked;
  }
  CHECK(checked > 0);
  CHECK_THROWS_WITH(s.position(w[1] - 1, 1000), Catch::Contains("channel 1000 is not kept"));

  // The first depthwise layer reads the stem, whose copy has its whole input:
  // both copies are exact at their kept channels, so the depthwise copy's
  // taps and parameters are the right channels'.
  const int stem = w[0], dw = w[1];
  REQUIRE(p.layers[dw].groups > 1);
  REQUIRE(p.layers[dw].input == stem);
  const Codes x = some_input(p);
  const std::vector<Codes> main = main_outputs(p, x);
  const std::vector<Codes> shadow = run_shadow_network(s, x);
  const int64_t pixels = p.layers[dw].out_shape.height * p.layers[dw].out_shape.width;
  for (size_t k = 0; k < s.kept[dw].size(); ++k)
    for (int64_t px = 0; px < pixels; ++px)
      CHECK(shadow[dw][k * pixels + px] == main[dw][s.kept[dw][k] * pixels + px]);
}
