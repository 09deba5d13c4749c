#include "golden/accelerator/energy_model.hpp"

namespace aps {
namespace {

constexpr double kBitsPerAccess = 64.0;

// 64-bit accesses of a layer's writes to the scratchpad: its output, whole codes.
double written_accesses(const Layer& l) { return static_cast<double>(l.out_shape.size()) / 8.0; }

// 64-bit accesses of the buffer planes read.
double plane_accesses(int64_t act_planes, int64_t wgt_planes, ArrayShape a) {
  return (static_cast<double>(act_planes) * a.rows + static_cast<double>(wgt_planes) * a.rows * a.cols) /
         kBitsPerAccess;
}

double external_pj(int64_t beats, ArrayShape a, const EnergyModel& e) {
  return static_cast<double>(beats) * a.rows / 8.0 * e.dram64_pj;
}

double mac_pj(const Layer& l, const LayerConfig& c, const EnergyModel& e) {
  if (!l.has_weights())
    return static_cast<double>(l.out_shape.size() * l.window.kernel_h * l.window.kernel_w) * e.add32_pj;
  // A b-bit activation times the weight operand (b + 1 bits under the midpoint rule).
  const double b = c.bits / 8.0;
  const double w = weight_operand_bits(c.bits, c.weight_shift, l.weight_reduction) / 8.0;
  return static_cast<double>(l.macs()) * (e.mult8_pj * b * w + e.add32_pj);
}

}  // namespace

EnergyBreakdown run_energy_breakdown(const NetworkProgram& p, const ProgramResult& r, const RunCycles& c, ArrayShape a,
                                     const EnergyModel& e) {
  EnergyBreakdown b;
  b.ext_weight_planes = external_pj(c.weight_plane_beats, a, e);
  b.ext_weight_headers = external_pj(c.weight_header_beats, a, e);
  b.ext_params = external_pj(c.param_beats, a, e);
  b.ext_activations = external_pj(c.activation_beats(), a, e);
  b.buffer_reads = plane_accesses(c.act_plane_reads, c.wgt_plane_reads, a) * e.sram64_pj;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) {
      const double elements = static_cast<double>(l.scan.elements.size());
      b.sae += elements * static_cast<double>(p.pcu.candidates.size()) * (e.mult8_pj + e.mult16_pj + e.add64_pj);
      const double words = static_cast<double>(slice_entries(p.tensor_shape(l.scan.tensor), l.scan.elements, a.rows));
      // the word and its slice entry
      b.sae += words * (a.rows / 8.0 + (4.0 + 2.0 * a.rows) / 8.0) * e.sram64_pj;
      continue;
    }
    b.macs += mac_pj(l, r.configs[i], e);
    b.buffer_writes += written_accesses(l) * e.sram64_pj;
    if (r.rerun && l.role == LayerRole::Main) {
      b.macs += mac_pj(l, r.rerun_configs[i], e);
      b.buffer_writes += written_accesses(l) * e.sram64_pj;
    }
  }
  return b;
}

double run_energy_pj(const NetworkProgram& p, const ProgramResult& r, const RunCycles& c, ArrayShape a,
                     const EnergyModel& e) {
  return run_energy_breakdown(p, r, c, a, e).total();
}

double step_energy_pj(const NetworkProgram& p, size_t step, const LayerConfig& c, const Platform& pf,
                      const EnergyModel& e) {
  const StepTiming t = step_timing(p, step, c, pf);
  const double accesses = plane_accesses(t.act_plane_reads, t.wgt_plane_reads, pf.array()) +
                          written_accesses(p.layers[step]);
  return external_pj(t.beats, pf.array(), e) + mac_pj(p.layers[step], c, e) + accesses * e.sram64_pj;
}

double fp32_energy_pj(const NetworkProgram& p, const RunCycles& static8, ArrayShape a, const EnergyModel& e) {
  double pj = 4.0 * external_pj(static8.beats, a, e);
  double accesses = plane_accesses(static8.act_plane_reads, static8.wgt_plane_reads, a);
  for (const Layer& l : p.layers) {
    if (l.role != LayerRole::Main || l.kind == LayerKind::SaeScan) continue;
    accesses += written_accesses(l);
    if (l.has_weights()) pj += static_cast<double>(l.macs()) * (e.fmul32_pj + e.fadd32_pj);
  }
  return pj + 4.0 * accesses * e.sram64_pj;
}

}  // namespace aps
