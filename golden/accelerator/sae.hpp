#pragma once
// Sensitivity Analysis Engine, golden model (rtl/aps_sae_unit.sv is its twin).
//
// A scan reads a slice of a tensor (activation codes q with zero point z) and
// accumulates, for each candidate width b below 8,
//
//   metric_b = sum_i c_i * err_b(q_i)^2,
//   err_b(q) = (q - z) - ((reduce(q, b) - reduce(z, b)) << (8 - b)),
//
// the error that reducing the activation to b bits makes, in 8-bit code
// units, weighted by c_i: the energy of the weights that read element i
// (column energies of W for a fully connected layer, summed over the taps for
// a convolution), quantized to 16 bits. For a layer whose input is scanned,
// metric_b estimates how much its output moves at b bits; the calibration
// profile maps it to the true error per layer and width (alpha), because a
// cheap estimate is biased (it ignores the weights' own reduction and the
// cross terms).

#include <cstdint>
#include <span>
#include <vector>

#include "golden/accelerator/network_program.hpp"

namespace aps {

// err_b(q) for an unsigned activation code and its zero point.
int32_t reduction_error(int32_t code, int32_t zero_point, int bits);

// One scan over `tensor` (CHW codes of the scanned tensor, zero point `z`):
// one metric per candidate width.
std::vector<uint64_t> sae_metrics(const SaeScanParams& scan, std::span<const uint8_t> tensor, int32_t zero_point,
                                  const std::vector<int>& candidates);

}  // namespace aps
