#include "bench/energy_model.hpp"

namespace aps {
namespace {

// Memory traffic of one layer run, in 64-bit SRAM accesses.
double layer_accesses(const NetworkProgram& p, size_t i, ArrayShape a) {
  const Layer& l = p.layers[i];
  const LayerGeometry g = layer_geometry(p, i, a);
  const double words_per_read = a.rows / 8.0;                      // an activation word in 64-bit accesses
  const double tile_word = static_cast<double>(a.rows) * a.cols / 8.0;
  double reads = static_cast<double>(g.tiles * g.pixels * g.words_per_pixel) * words_per_read;
  if (l.has_weights()) reads += static_cast<double>(g.tiles * (g.pixels * g.words_per_pixel + 1)) * tile_word;
  const double writes = static_cast<double>(l.out_shape.size()) / 8.0;
  return reads + writes;
}

double external_pj(int64_t bytes, const EnergyModel& e) { return static_cast<double>(bytes) / 8.0 * e.dram64_pj; }

}  // namespace

double run_energy_pj(const NetworkProgram& p, const ProgramResult& r, ArrayShape a, int64_t external_bytes,
                     const EnergyModel& e) {
  double pj = external_pj(external_bytes, e);
  auto layer = [&](size_t i, const LayerConfig& c) {
    const Layer& l = p.layers[i];
    if (l.has_weights()) {
      const double b = c.bits / 8.0;
      pj += static_cast<double>(l.macs()) * (e.mult8_pj * b * b + e.add32_pj);
    } else {
      pj += static_cast<double>(l.out_shape.size() * l.window.kernel_h * l.window.kernel_w) * e.add32_pj;
    }
    pj += layer_accesses(p, i, a) * e.sram64_pj;
  };
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) {
      const double elements = static_cast<double>(l.scan.elements.size());
      pj += elements * static_cast<double>(p.pcu.candidates.size()) * (e.mult8_pj + e.mult16_pj + e.add64_pj);
      const double words = static_cast<double>(scan_words(p, l, a.rows).size());
      pj += words * (a.rows / 8.0 + (4.0 + 2.0 * a.rows) / 8.0) * e.sram64_pj;  // the word and its slice entry
      continue;
    }
    layer(i, r.configs[i]);
  }
  if (r.rerun)
    for (size_t i = 0; i < p.layers.size(); ++i)
      if (p.layers[i].role == LayerRole::Main && p.layers[i].kind != LayerKind::SaeScan) layer(i, r.rerun_configs[i]);
  return pj;
}

double fp32_energy_pj(const NetworkProgram& p, ArrayShape a, int64_t int8_external_bytes, const EnergyModel& e) {
  double pj = external_pj(4 * int8_external_bytes, e);
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.role != LayerRole::Main || l.kind == LayerKind::SaeScan) continue;
    pj += static_cast<double>(l.macs()) * (e.fmul32_pj + e.fadd32_pj);
    pj += 4.0 * layer_accesses(p, i, a) * e.sram64_pj;  // 32-bit operands: four times the traffic
  }
  return pj;
}

}  // namespace aps
