// The cycle model (rtl/aps_sequencer.sv's schedule) on layers computed by hand.

#include <catch2/catch.hpp>

#include "golden/accelerator/cycle_model.hpp"

using namespace aps;

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
