// The energy model charges what the hardware does at each width: buffer
// plane reads and beats from the cycle model, MACs at their width. Layers
// built by hand.

#include <catch2/catch.hpp>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/energy_model.hpp"
#include "golden/numerics/precision_reduction.hpp"

using namespace aps;

namespace {

// A padded 3x3 convolution (64 -> 64 channels, 8x8), then a fully connected layer.
NetworkProgram conv_fc() {
  Layer conv;
  conv.name = "conv";
  conv.kind = LayerKind::Conv;
  conv.in_shape = {64, 8, 8};
  conv.out_shape = {64, 8, 8};
  conv.window = {.kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  Layer fc;
  fc.name = "fc";
  fc.kind = LayerKind::FullyConnected;
  fc.input = 0;
  fc.in_shape = {64 * 8 * 8, 1, 1};
  fc.out_shape = {10, 1, 1};
  NetworkProgram p;
  p.input_shape = conv.in_shape;
  p.layers = {conv, fc};
  return p;
}

struct StaticRun {
  RunCycles cycles;
  double pj = 0;
};

StaticRun run_at(const NetworkProgram& p, const Platform& pf, int bits) {
  ProgramResult r;
  r.configs.assign(p.layers.size(), static_config(bits));
  StaticRun s;
  s.cycles = run_cycle_model(p, r, pf);
  s.pj = run_energy_pj(p, r, s.cycles, pf.array());
  return s;
}

}  // namespace

TEST_CASE("a convolution reads the planes its width needs, and no padding", "[energy]") {
  const NetworkProgram p = conv_fc();
  const Platform pf = make_platform(p, HardwareLimits{}, MemoryTiming{});
  const LayerGeometry g = layer_geometry(p, 0, pf.array());
  // Per axis, 8 outputs x 3 taps less the 2 that fall on the padding.
  const int64_t taps = 22 * 22;
  for (int bits : {8, 4, 2}) {
    INFO(bits);
    const StepTiming t = step_timing(p, 0, static_config(bits), pf);
    const int planes = reduction_planes(default_shift(bits));
    CHECK(t.act_plane_reads == g.tiles * taps * g.word_blocks * planes);
    CHECK(t.wgt_plane_reads == g.tiles * (1 + g.pixels * g.words_per_pixel) * planes);
  }
}

TEST_CASE("buffer planes, traffic and energy fall with width", "[energy]") {
  const NetworkProgram p = conv_fc();
  const Platform pf = make_platform(p, HardwareLimits{}, MemoryTiming{});
  const StaticRun r8 = run_at(p, pf, 8), r4 = run_at(p, pf, 4), r2 = run_at(p, pf, 2);
  CHECK(r4.cycles.wgt_plane_reads * 8 == r8.cycles.wgt_plane_reads * reduction_planes(4));
  CHECK(r2.cycles.wgt_plane_reads * 8 == r8.cycles.wgt_plane_reads * reduction_planes(6));
  CHECK(r4.cycles.beats < r8.cycles.beats);
  CHECK(r2.pj < r4.pj);
  CHECK(r4.pj < r8.pj);
}

TEST_CASE("a static run's energy is the sum of its steps' energies", "[energy]") {
  // step_energy_pj (what the budget charges a layer) and run_energy_pj (what
  // the study reports) count the same things.
  const NetworkProgram p = conv_fc();
  const Platform pf = make_platform(p, HardwareLimits{}, MemoryTiming{});
  for (int bits : {8, 5, 2}) {
    double sum = 0;
    for (size_t i = 0; i < p.layers.size(); ++i) sum += step_energy_pj(p, i, static_config(bits), pf);
    CHECK(sum == Approx(run_at(p, pf, bits).pj).epsilon(1e-9));
  }
}

TEST_CASE("the energy breakdown splits the memory port's beats by what they carry", "[energy]") {
  const NetworkProgram p = conv_fc();
  const Platform pf = make_platform(p, HardwareLimits{}, MemoryTiming{});
  const ArrayShape a = pf.array();
  ProgramResult r8, r4;
  r8.configs.assign(p.layers.size(), static_config(8));
  r4.configs.assign(p.layers.size(), static_config(4));
  const RunCycles c8 = run_cycle_model(p, r8, pf), c4 = run_cycle_model(p, r4, pf);
  const EnergyBreakdown b8 = run_energy_breakdown(p, r8, c8, a), b4 = run_energy_breakdown(p, r4, c4, a);
  // Per weight load (a tile of COLS output channels, or a part of one): one
  // header; per tile R words of planes.
  int64_t loads = 0, plane_beats8 = 0;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerGeometry g = layer_geometry(p, i, a);
    const int64_t words = pf.plan.steps[i].tile_words - 1;
    loads += g.tiles * pf.plan.steps[i].weight_parts.count;
    plane_beats8 += g.tiles * 8 * words * hw::wgt_plane_beats(a.cols);
  }
  CHECK(c8.weight_header_beats == loads * a.cols);
  CHECK(c8.weight_plane_beats == plane_beats8);
  CHECK(c4.weight_plane_beats * 8 == plane_beats8 * reduction_planes(4));
  CHECK(c4.weight_header_beats == c8.weight_header_beats);
  // 16 bytes per output channel, whatever the width.
  CHECK(c8.param_beats * a.rows == (64 + 10) * hw::param_entry_bytes());
  CHECK(c4.param_beats == c8.param_beats);
  // What is left is the input and the output: not narrower at 4 bits.
  CHECK(c8.activation_beats() == c4.activation_beats());
  CHECK(c8.activation_beats() > 0);
  CHECK(b4.ext_weight_planes < b8.ext_weight_planes);
  CHECK(b4.ext_params == b8.ext_params);
  CHECK(b4.macs < b8.macs);
  CHECK(b4.buffer_reads < b8.buffer_reads);
  CHECK(b4.buffer_writes == b8.buffer_writes);
  CHECK(b4.ext_activations == b8.ext_activations);
}
