// The up-front schedule's shadow network: kept channels, rescaled multipliers,
// and the networks it refuses.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

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
  NetworkProgram residual = p;
  residual.layers[1].kind = LayerKind::Add;
  CHECK_THROWS_WITH(build_shadow_network(residual, {{}, {0}}), Catch::Contains("is a residual Add"));
}
