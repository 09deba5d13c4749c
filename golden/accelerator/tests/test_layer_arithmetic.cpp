// The accelerator's integer arithmetic on one layer, computed by hand.

#include <catch2/catch.hpp>

#include "golden/accelerator/program_executor.hpp"
#include "golden/numerics/requantize.hpp"

using namespace aps;

TEST_CASE("a fully connected layer at 4 bits, computed by hand", "[program]") {
  // in: codes {200, 9}, zero point 8; weights {100, -40}, zero point 0.
  // 4 bits, shift 4: activations -> {13, 1} (200/16 = 12.5 rounds up), zp 8 -> 1 (0.5 rounds up)
  // weights -> {6 (100/16=6.25), -2 (-40/16=-2.5 rounds up to -2)}, zp 0.
  // acc = (13-1)*6 + (1-1)*(-2) = 72; back to 8-bit scale: 72 << 8 = 18432; + bias 100 = 18532.
  // multiplier 1/256 -> 72.39 -> 72; + out zp 3 = 75.
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
  const std::vector<uint8_t> in = {200, 9};
  CHECK(execute_layer(l, in, static_config(4)) == Codes{75});
  // At 8 bits: acc = 192*100 + 1*(-40) = 19160; + 100 = 19260; /256 = 75.23 -> 75; + 3 = 78.
  CHECK(execute_layer(l, in, static_config(8)) == Codes{78});
  // ReLU clamps at the output zero point.
  l.bias = {-30000};
  l.relu = true;
  CHECK(execute_layer(l, in, static_config(8)) == Codes{3});
}
