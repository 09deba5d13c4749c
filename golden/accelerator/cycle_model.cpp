#include "golden/accelerator/cycle_model.hpp"

#include <algorithm>

namespace aps {

LayerTiming layer_timing(const NetworkProgram& program, size_t layer, const LayerConfig& c, ArrayShape a) {
  const Layer& l = program.layers[layer];
  const LayerGeometry g = layer_geometry(program, layer, a);
  const bool pool = !l.has_weights();
  const int64_t per_word = pool ? 1 : c.bits;
  const int64_t lanes = pool ? a.rows : a.cols;
  int64_t cycle = 3;                 // descriptor request, capture, checks: cycles 0..2
  int64_t wb_free = 0;               // first cycle a pixel may be handed to the writeback
  int64_t last_handoff = -1, last_count = 0, stalls = 0;
  for (int64_t t = 0; t < g.tiles; ++t) {
    const int64_t count = std::min<int64_t>(lanes, g.out_channels - t * lanes);
    cycle += 2;                      // tile start (weight header), first read
    for (int64_t p = 0; p < g.pixels; ++p) {
      const int64_t finished = cycle + g.words_per_pixel * per_word - 1;
      const int64_t handoff = std::max(finished, wb_free);
      stalls += handoff - finished;
      wb_free = handoff + count + 1;
      last_handoff = handoff;
      last_count = count;
      cycle = handoff + 1;
    }
  }
  // The drain ends at handoff + n + 2; cycles count from 0.
  return {last_handoff + last_count + 2 + 1, stalls};
}

int64_t layer_cycles(const NetworkProgram& program, size_t layer, const LayerConfig& config, ArrayShape array) {
  return layer_timing(program, layer, config, array).cycles;
}

int64_t run_cycles(const NetworkProgram& p, const std::vector<LayerConfig>& configs, ArrayShape a) {
  int64_t total = 1;  // the cycle that signals done
  for (size_t i = 0; i < p.layers.size(); ++i) {
    if (p.layers[i].kind == LayerKind::SaeScan)  // plus the PCU's share, bounded for the watchdog
      total += scan_cycles(static_cast<int64_t>(scan_words(p, p.layers[i], a.rows).size())) + 64 * 40;
    else
      total += layer_cycles(p, i, configs[i], a);
  }
  return total;
}

RunCycles run_cycle_model(const NetworkProgram& p, const ProgramResult& r, ArrayShape a) {
  RunCycles c;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) {
      const int64_t scan = scan_cycles(static_cast<int64_t>(scan_words(p, l, a.rows).size()));
      c.pass0.push_back(scan + r.pcu_step_cycles[i]);
      c.sae += scan;
      c.pcu += r.pcu_step_cycles[i];
    } else {
      const LayerTiming t = layer_timing(p, i, r.configs[i], a);
      c.pass0.push_back(t.cycles);
      c.stalls += t.stalls;
      if (l.role == LayerRole::Shadow) c.sae += t.cycles;
    }
    c.total += c.pass0.back();
  }
  if (p.pcu.cascade) c.total += 1;  // the margin check
  if (r.rerun) {
    for (size_t i = 0; i < p.layers.size(); ++i) {
      const Layer& l = p.layers[i];
      if (l.kind == LayerKind::SaeScan || l.role != LayerRole::Main) {
        c.pass1.push_back(kSkippedStepCycles);
      } else {
        const LayerTiming t = layer_timing(p, i, r.rerun_configs[i], a);
        c.pass1.push_back(t.cycles);
        c.stalls += t.stalls;
      }
      c.total += c.pass1.back();
    }
  }
  c.total += 1;  // done
  return c;
}

double ideal_cycles(const Layer& l, const LayerConfig& c, ArrayShape a) {
  return static_cast<double>(l.macs()) * c.bits / (static_cast<double>(a.rows) * a.cols);
}

}  // namespace aps
