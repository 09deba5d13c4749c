#include "golden/accelerator/sae.hpp"

#include "golden/numerics/precision_reduction.hpp"

namespace aps {

int32_t reduction_error(int32_t code, int32_t zero_point, int bits) {
  const int shift = default_shift(bits);
  const int32_t reduced = reduce_code(code, bits, shift, Signedness::Unsigned) -
                          reduce_code(zero_point, bits, shift, Signedness::Unsigned);
  return (code - zero_point) - reduced * (1 << shift);
}

std::vector<uint64_t> sae_metrics(const SaeScanParams& scan, std::span<const uint8_t> tensor, int32_t zero_point,
                                  const std::vector<int>& candidates) {
  std::vector<uint64_t> metrics(candidates.size(), 0);
  for (size_t i = 0; i < scan.elements.size(); ++i) {
    const int32_t q = tensor[scan.elements[i]];
    for (size_t c = 0; c < candidates.size(); ++c) {
      const int64_t e = reduction_error(q, zero_point, candidates[c]);
      metrics[c] += static_cast<uint64_t>(scan.coefficients[i]) * static_cast<uint64_t>(e * e);
    }
  }
  return metrics;
}

}  // namespace aps
