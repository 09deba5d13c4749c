#include "golden/accelerator/cycle_model.hpp"

#include <algorithm>

#include "golden/numerics/precision_reduction.hpp"

namespace aps {
namespace {

// The descriptor takes cycles 0..2; the transfers before computing start at 3.
constexpr int64_t kFirstTransferCycle = 3;
// A scan's SAE pipeline: its last cycle comes this long after its start,
// plus one cycle per entry (rtl/aps_sae_unit.sv).
constexpr int64_t kScanPipeline = 5;
constexpr int64_t kEmptyScan = 3;
// Bound on one PCU decision, for the watchdog estimate (rtl/aps_pcu.sv).
constexpr int64_t kPcuDecisionBound = 64 * 40;

// The transfers before computing: the cycle the sequencer moves on from
// them (it leaves its transfer state in the next one).
int64_t pre_transfers(const Layer& l, const StepMemory& m, const Platform& pf, bool skipped, StepTiming& t) {
  const int rows = pf.array().rows;
  int64_t cycle = kFirstTransferCycle;
  auto transfer = [&](int64_t beats) {
    cycle += load_cycles(beats, pf.memory, rows) + 1;
    t.beats += beats;
  };
  if (m.load_in) transfer(m.in_beats);
  if (m.load_in_b) transfer(m.in_b_beats);
  if (!skipped && l.requantizes()) {
    transfer(m.param_beats);
    t.param_beats += m.param_beats;
  }
  t.mem_stalls += cycle - kFirstTransferCycle + 1;
  return cycle;
}

// Taps of one axis inside the input: pairs (output o, kernel k) with
// 0 <= o * stride - pad + k * dilation < in.
int64_t in_bounds_taps(int64_t out, int64_t in, int kernel, int stride, int pad, int dilation) {
  int64_t n = 0;
  for (int64_t o = 0; o < out; ++o)
    for (int k = 0; k < kernel; ++k) {
      const int64_t i = o * stride - pad + static_cast<int64_t>(k) * dilation;
      n += i >= 0 && i < in;
    }
  return n;
}

// The planes a step reads from its buffers (the sequencer's plane counters).
void plane_reads(const Layer& l, const LayerGeometry& g, const LayerConfig& c, int64_t parts, StepTiming& t) {
  if (l.kind == LayerKind::Add) {
    t.act_plane_reads = g.tiles * g.pixels * g.words_per_pixel * kMaxBits;
    return;
  }
  const Window& w = l.window;
  const bool fc = l.kind == LayerKind::FullyConnected;
  const int64_t taps = fc ? 1
                          : in_bounds_taps(g.out_h, g.in_h, static_cast<int>(g.kernel_h), w.stride_h, w.pad_top,
                                           w.dilation_h) *
                                in_bounds_taps(g.out_w, g.in_w, static_cast<int>(g.kernel_w), w.stride_w, w.pad_left,
                                               w.dilation_w);
  if (!l.has_weights()) {
    t.act_plane_reads = g.tiles * taps * kMaxBits;
    return;
  }
  t.act_plane_reads = g.tiles * taps * g.word_blocks * reduction_planes(c.act_shift);
  t.wgt_plane_reads = g.tiles * (parts * weight_zero_point_planes(c.weight_shift, l.weight_reduction) +
                                 g.pixels * g.words_per_pixel * weight_planes(c.weight_shift, l.weight_reduction));
}

}  // namespace

Platform make_platform(const NetworkProgram& program, const HardwareLimits& limits, const MemoryTiming& memory,
                       int64_t spm_words) {
  return {limits,
          plan_memory(program, limits, spm_words > 0 ? spm_words : limits.act_words,
                      static_cast<uint64_t>(memory.size_bytes)),
          memory};
}

StepTiming step_timing(const NetworkProgram& p, size_t step, const LayerConfig& c, const Platform& pf) {
  const Layer& l = p.layers[step];
  const StepMemory& m = pf.plan.steps[step];
  const ArrayShape a = pf.array();
  const LayerGeometry g = layer_geometry(p, step, a);
  const bool pool = !l.has_weights();
  const int64_t per_word = pool ? 1 : c.bits;
  const int64_t lanes = pool ? a.rows : a.cols;
  const WeightParts parts = m.weight_loads();
  StepTiming t;
  const int64_t ready = pre_transfers(l, m, pf, false, t);
  plane_reads(l, g, c, pool ? 1 : parts.count, t);

  int64_t tile_start = ready + 1;    // pool: STileStart of the tile; conv: its first SWgtWait cycle
  int64_t load_done = -1;            // last cycle of the previous weight load
  int64_t prev_wait = tile_start;    // conv: first SWgtWait cycle of the previous load
  int64_t wb_free = 0;               // first cycle a pixel may be handed to the writeback
  int64_t last_handoff = -1, last_count = 0;
  const int planes = pool ? 0 : weight_planes(c.weight_shift, l.weight_reduction);
  for (int64_t tile = 0; tile < g.tiles; ++tile) {
    const int64_t count = std::min<int64_t>(lanes, g.out_channels - tile * lanes);
    int64_t cycle = 0;               // first SPlanes cycle of the pixels' words in the slot
    int64_t words = g.words_per_pixel;
    if (pool) {
      cycle = tile_start + 2;        // tile start, first read
    }
    for (int64_t part = 0; !pool && part < parts.count; ++part) {
      // A load (a tile, or a part of one) waits until the previous load is
      // done and its slot is free (the load before the previous one has
      // finished: the previous one started waiting). Every load moves its
      // header, then the planes its width needs.
      words = parts.words_of(part, g.words_per_pixel);
      const int64_t beats = weight_tile_beats(words + 1, planes, a);
      const int64_t header_beats = weight_tile_beats(words + 1, 0, a);
      const int64_t start = tile == 0 && part == 0 ? tile_start : std::max(load_done + 1, prev_wait);
      load_done = start + load_cycles(beats, pf.memory, a.rows);
      t.beats += beats;
      t.weight_header_beats += header_beats;
      t.weight_plane_beats += beats - header_beats;
      const int64_t begin = std::max(tile_start + 1, load_done + 2);  // STileStart
      t.mem_stalls += begin - tile_start;
      prev_wait = tile_start;
      cycle = begin + 3;             // tile start, first read, capture
      // A part before the last hands nothing over: its pixel goes on in the
      // next part, whose wait starts the cycle after its last plane.
      if (part + 1 < parts.count) tile_start = cycle + words * per_word;
    }
    for (int64_t px = 0; px < g.pixels; ++px) {
      const int64_t finished = cycle + words * per_word - 1;
      const int64_t handoff = std::max(finished, wb_free);
      t.stalls += handoff - finished;
      wb_free = handoff + count + 1;
      last_handoff = handoff;
      last_count = count;
      cycle = handoff + 1;
    }
    tile_start = last_handoff + 1;
  }
  // The drain ends at handoff + n + 2; the store, if any, starts there.
  int64_t last = last_handoff + last_count + 2;
  if (m.store_out) {
    const int64_t store = store_cycles(m.out_beats, pf.memory, a.rows);
    last += store;
    t.mem_stalls += store;
    t.beats += m.out_beats;
  }
  t.cycles = last + 1;
  return t;
}

StepTiming scan_step_timing(const NetworkProgram& p, size_t step, int64_t pcu_cycles, const Platform& pf) {
  const Layer& l = p.layers[step];
  StepTiming t;
  const int64_t start = pre_transfers(l, pf.plan.steps[step], pf, false, t);
  const int64_t entries = pf.plan.steps[step].scan_entries;
  t.cycles = start + (entries == 0 ? kEmptyScan : entries + kScanPipeline) + 1 + pcu_cycles;
  return t;
}

StepTiming skipped_step_timing(const NetworkProgram& p, size_t step, const Platform& pf) {
  StepTiming t;
  const int64_t ready = pre_transfers(p.layers[step], pf.plan.steps[step], pf, true, t);
  t.cycles = ready + 2;  // then one drain cycle
  return t;
}

RunCycles run_cycle_model(const NetworkProgram& p, const ProgramResult& r, const Platform& pf) {
  RunCycles c;
  auto add = [&](const StepTiming& t, std::vector<int64_t>& pass, bool first) {
    pass.push_back(t.cycles);
    c.total += t.cycles;
    c.stalls += t.stalls;
    c.mem_stalls += t.mem_stalls;
    c.beats += t.beats;
    c.weight_header_beats += t.weight_header_beats;
    c.weight_plane_beats += t.weight_plane_beats;
    c.param_beats += t.param_beats;
    c.act_plane_reads += t.act_plane_reads;
    c.wgt_plane_reads += t.wgt_plane_reads;
    if (first) {
      c.mem_stalls0.push_back(t.mem_stalls);
      c.beats0.push_back(t.beats);
    }
  };
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) {
      const StepTiming t = scan_step_timing(p, i, r.pcu_step_cycles[i], pf);
      add(t, c.pass0, true);
      c.sae += t.cycles - r.pcu_step_cycles[i];
      c.pcu += r.pcu_step_cycles[i];
    } else {
      const StepTiming t = step_timing(p, i, r.configs[i], pf);
      add(t, c.pass0, true);
      if (l.role == LayerRole::Shadow) c.sae += t.cycles;
    }
  }
  if (p.pcu.cascade) c.total += 1;  // the gate's check
  if (r.rerun) {
    for (size_t i = 0; i < p.layers.size(); ++i) {
      const Layer& l = p.layers[i];
      if (l.kind == LayerKind::SaeScan || l.role != LayerRole::Main)
        add(skipped_step_timing(p, i, pf), c.pass1, false);
      else
        add(step_timing(p, i, r.rerun_configs[i], pf), c.pass1, false);
    }
  }
  c.total += 1;  // done
  return c;
}

int64_t run_cycles(const NetworkProgram& p, const std::vector<LayerConfig>& configs, const Platform& pf) {
  int64_t total = 1;  // the cycle that signals done
  for (size_t i = 0; i < p.layers.size(); ++i) {
    if (p.layers[i].kind == LayerKind::SaeScan)
      total += scan_step_timing(p, i, kPcuDecisionBound, pf).cycles;
    else
      total += step_timing(p, i, configs[i], pf).cycles;
  }
  return total;
}

double ideal_cycles(const Layer& l, const LayerConfig& c, ArrayShape a) {
  return static_cast<double>(l.macs()) * c.bits / (static_cast<double>(a.rows) * a.cols);
}

}  // namespace aps
