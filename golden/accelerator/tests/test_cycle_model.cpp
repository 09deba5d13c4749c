// The cycle model (rtl/aps_sequencer.sv's and rtl/aps_dma.sv's schedule
// against the harness's memory) on layers computed by hand.

#include <catch2/catch.hpp>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/numerics/precision_reduction.hpp"

using namespace aps;

namespace {

NetworkProgram fc_program(int64_t in, int64_t out) {
  Layer l;
  l.name = "fc";
  l.kind = LayerKind::FullyConnected;
  l.in_shape = {in, 1, 1};
  l.out_shape = {out, 1, 1};
  NetworkProgram p;
  p.input_shape = l.in_shape;
  p.layers = {l};
  return p;
}

Platform platform_of(const NetworkProgram& p, int64_t latency, int64_t bytes_per_cycle) {
  MemoryTiming m;
  m.latency = latency;
  m.bytes_per_cycle = bytes_per_cycle;
  return make_platform(p, HardwareLimits{}, m);
}

}  // namespace

TEST_CASE("transfers: a request cycle, the latency, one beat per period, bursts of 256", "[cycles]") {
  MemoryTiming m;
  m.latency = 10;
  m.bytes_per_cycle = 4;  // 8-byte beats: one every 2 cycles
  CHECK(load_cycles(1, m, 8) == 1 + 10);
  CHECK(load_cycles(300, m, 8) == (1 + 10 + 255 * 2) + (1 + 10 + 43 * 2));
  // a store reads the scratchpad one cycle ahead and waits for the write response
  CHECK(store_cycles(3, m, 8) == 2 + 2 * 2 + 10);
  m.bytes_per_cycle = 64;  // the port, not the memory, is the limit
  CHECK(load_cycles(4, m, 8) == 1 + 10 + 3);
}

TEST_CASE("the cycle model: b cycles per word, so narrow convolutions are proportionally faster", "[cycles]") {
  // A convolution reuses each weight tile over its 64 pixels, so the tile
  // loads hide behind the compute.
  Layer l;
  l.name = "conv";
  l.kind = LayerKind::Conv;
  l.in_shape = {64, 8, 8};
  l.out_shape = {64, 8, 8};
  l.window = {.kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  NetworkProgram p;
  p.input_shape = l.in_shape;
  p.layers = {l};
  const Platform pf = platform_of(p, 16, 8);
  const int64_t c8 = step_timing(p, 0, static_config(8), pf).cycles;
  CHECK(static_cast<double>(step_timing(p, 0, static_config(4), pf).cycles) / c8 <= 0.55);
  CHECK(static_cast<double>(step_timing(p, 0, static_config(2), pf).cycles) / c8 <= 0.30);
  // The ideal for the array: MACs * bits / PEs.
  CHECK(ideal_cycles(l, static_config(8), ArrayShape{}) == 64.0 * 64 * 9 * 64 * 8 / 64);
}

TEST_CASE("the cycle model: a fully connected layer at batch 1 waits for its weights, fewer at fewer bits", "[cycles]") {
  // Each weight word is used once: its planes load in as many beats as the
  // width reads (8 at 8 bits, 3 at 2 bits), `bits` cycles use it.
  const NetworkProgram p = fc_program(256, 256);
  const Platform pf = platform_of(p, 16, 8);
  const StepTiming t8 = step_timing(p, 0, static_config(8), pf);
  const StepTiming t2 = step_timing(p, 0, static_config(2), pf);
  CHECK(t8.mem_stalls > 0);
  CHECK(t2.mem_stalls > 0);  // still memory-bound at 2 bits
  CHECK(t2.cycles < t8.cycles / 2);
  CHECK(t2.beats < t8.beats / 2);
}

TEST_CASE("the cycle model by hand: loads, streamed weight tiles, writeback stalls, the store", "[cycles]") {
  // 8 inputs (one word), 16 outputs (two tiles of one word each), 2 bits,
  // latency 4, one 8-byte beat per cycle.
  const NetworkProgram p = fc_program(8, 16);
  const Platform pf = platform_of(p, 4, 8);
  const StepMemory& m = pf.plan.steps[0];
  REQUIRE(m.load_in);
  REQUIRE(m.store_out);
  CHECK(m.param_beats == 32);  // 16 entries of 16 bytes
  CHECK(m.tile_words == 2);    // header + 1 word
  // At 2 bits (shift 6) a tile loads its header (8 beats) and the top 3
  // bit-planes of its word (1 beat each): 11 beats.
  CHECK(weight_tile_beats(m.tile_words, reduction_planes(6), ArrayShape{}) == 11);
  // 0-2 descriptor; input load 3..8 (1 + 4 cycles), parameters 9..45
  // (1 + 4 + 31); the sequencer moves on at 46.
  // Tile 0 loads 47..62 (1 + 4 + 10); it starts at 64 (its header at 64,
  // word 0 at 65, captured at 66), planes 67-68: handoff at 68, writeback
  // busy until 77.
  // Tile 1 loads 63..78 while tile 0 computes; it starts at 80, planes
  // 83-84, handoff 84 (the writeback took the previous pixel at 77).
  // Drain to 84 + 8 + 2 = 94; the store of the 2 output words takes
  // 2 + 1 + 4: the last cycle is 101.
  const StepTiming t = step_timing(p, 0, static_config(2), pf);
  CHECK(t.cycles == 102);
  CHECK(t.stalls == 0);
  CHECK(t.mem_stalls == (46 - 3 + 1) + (64 - 47) + (80 - 69) + 7);
  CHECK(t.beats == 1 + 32 + 2 * 11 + 2);
}

TEST_CASE("the cycle model: a short pixel waits for the writeback of the previous one", "[cycles]") {
  // One tile, two pixels of one word: at 2 bits a pixel computes in 2
  // cycles, but writing 8 channels takes 9.
  Layer l;
  l.name = "conv";
  l.kind = LayerKind::Conv;
  l.in_shape = {8, 1, 2};
  l.out_shape = {8, 1, 2};
  NetworkProgram p;
  p.input_shape = l.in_shape;
  p.layers = {l};
  const Platform pf = platform_of(p, 4, 8);
  const StepTiming t = step_timing(p, 0, static_config(2), pf);
  // pixel 0's last plane at c, pixel 1's at c + 2, but the writeback takes
  // it only at c + 9: 7 stall cycles.
  CHECK(t.stalls == 7);
}

TEST_CASE("a skipped step makes only its loads, a scan waits for its load", "[cycles]") {
  const NetworkProgram p = fc_program(8, 16);
  const Platform pf = platform_of(p, 4, 8);
  // input load 3..8, then the drain cycle: 0..10
  const StepTiming skipped = skipped_step_timing(p, 0, pf);
  CHECK(skipped.cycles == 11);
  CHECK(skipped.beats == 1);
  CHECK(skipped.mem_stalls == 7);
}
