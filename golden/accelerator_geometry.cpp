#include "golden/accelerator_geometry.hpp"

#include <algorithm>
#include <map>

namespace aps {

int64_t channel_blocks(int64_t channels, int rows) { return (channels + rows - 1) / rows; }

int64_t tensor_words(const FeatureShape& s, int rows) { return s.height * s.width * channel_blocks(s.channels, rows); }

const FeatureShape& stored_input_shape(const NetworkProgram& p, const Layer& l) {
  return l.input < 0 ? p.input_shape : p.layers[l.input].out_shape;
}

LayerGeometry layer_geometry(const NetworkProgram& p, size_t i, ArrayShape a) {
  return layer_geometry(p.layers[i], stored_input_shape(p, p.layers[i]), a);
}

LayerGeometry layer_geometry(const Layer& l, const FeatureShape& stored_input, ArrayShape a) {
  LayerGeometry g;
  g.out_channels = l.out_shape.channels;
  g.out_h = l.out_shape.height;
  g.out_w = l.out_shape.width;
  g.out_cb = channel_blocks(l.out_shape.channels, a.rows);
  g.pixels = g.out_h * g.out_w;
  g.in_words = tensor_words(stored_input, a.rows);
  g.out_words = tensor_words(l.out_shape, a.rows);
  switch (l.kind) {
    case LayerKind::FullyConnected:
      g.in_h = g.in_w = 1;
      g.in_cb = g.in_words;  // every input word is a channel block of the 1x1 image
      g.kernel_h = g.kernel_w = 1;
      break;
    case LayerKind::Conv:
    case LayerKind::MaxPool:
    case LayerKind::AveragePool:
    case LayerKind::Add:
      g.in_h = l.in_shape.height;
      g.in_w = l.in_shape.width;
      g.in_cb = channel_blocks(l.in_shape.channels, a.rows);
      g.kernel_h = l.window.kernel_h;
      g.kernel_w = l.window.kernel_w;
      break;
    case LayerKind::SaeScan:
      break;  // reads a slice, writes no map: its cycles are scan_cycles(), not this schedule
  }
  if (l.kind == LayerKind::Add) {
    g.kernel_h = g.kernel_w = 1;
    g.tiles = g.out_cb;
    g.words_per_pixel = 2;  // operand A, operand B
  } else if (!l.has_weights()) {
    g.tiles = g.out_cb;
    g.words_per_pixel = g.kernel_h * g.kernel_w;
    g.tile_stride = 0;
  } else {
    g.tiles = (g.out_channels + a.cols - 1) / a.cols;
    g.words_per_pixel = g.kernel_h * g.kernel_w * g.in_cb;
    g.tile_stride = g.words_per_pixel + 1;
    g.weight_words = g.tiles * g.tile_stride;
  }
  return g;
}

int64_t layer_cycles(const NetworkProgram& program, size_t layer, const LayerConfig& c, ArrayShape a) {
  const Layer& l = program.layers[layer];
  const LayerGeometry g = layer_geometry(program, layer, a);
  const bool pool = !l.has_weights();
  const int64_t per_word = pool ? 1 : c.bits;
  const int64_t lanes = pool ? a.rows : a.cols;
  int64_t cycle = 3;                 // descriptor request, capture, checks: cycles 0..2
  int64_t wb_free = 0;               // first cycle a pixel may be handed to the writeback
  int64_t last_handoff = -1, last_count = 0;
  for (int64_t t = 0; t < g.tiles; ++t) {
    const int64_t count = std::min<int64_t>(lanes, g.out_channels - t * lanes);
    cycle += 2;                      // tile start (weight header), first read
    for (int64_t p = 0; p < g.pixels; ++p) {
      const int64_t handoff = std::max(cycle + g.words_per_pixel * per_word - 1, wb_free);
      wb_free = handoff + count + 1;
      last_handoff = handoff;
      last_count = count;
      cycle = handoff + 1;
    }
  }
  return last_handoff + last_count + 2 + 1;  // drain ends at handoff + n + 2; cycles count from 0
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

std::vector<ScanWord> scan_words(const NetworkProgram& p, const Layer& scan, int rows) {
  const FeatureShape& t = scan.scan.tensor < 0 ? p.input_shape : p.layers[scan.scan.tensor].out_shape;
  const int64_t pixels = t.height * t.width, cb = channel_blocks(t.channels, rows);
  std::map<int64_t, std::vector<uint32_t>> words;
  for (size_t i = 0; i < scan.scan.elements.size(); ++i) {
    const int64_t e = scan.scan.elements[i];
    const int64_t c = e / pixels, px = e % pixels;
    auto& lanes = words[px * cb + c / rows];
    lanes.resize(static_cast<size_t>(rows), 0);
    lanes[c % rows] = scan.scan.coefficients[i];
  }
  std::vector<ScanWord> out;
  for (auto& [w, lanes] : words) out.push_back({w, std::move(lanes)});
  return out;
}

RunCycles run_cycle_model(const NetworkProgram& p, const ProgramResult& r, ArrayShape a) {
  RunCycles c;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan)
      c.pass0.push_back(scan_cycles(static_cast<int64_t>(scan_words(p, l, a.rows).size())) + r.pcu_step_cycles[i]);
    else
      c.pass0.push_back(layer_cycles(p, i, r.configs[i], a));
    c.total += c.pass0.back();
  }
  if (p.pcu.cascade) c.total += 1;  // the margin check
  if (r.rerun) {
    for (size_t i = 0; i < p.layers.size(); ++i) {
      const Layer& l = p.layers[i];
      const bool skipped = l.kind == LayerKind::SaeScan || l.role != LayerRole::Main;
      c.pass1.push_back(skipped ? kSkippedStepCycles : layer_cycles(p, i, r.rerun_configs[i], a));
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
