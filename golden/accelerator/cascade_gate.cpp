#include "golden/accelerator/cascade_gate.hpp"

#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

OutputGaps output_gaps(const std::vector<uint8_t>& codes) {
  int top1 = 0, top2 = 0, top3 = 0;
  for (uint8_t v : codes) {
    if (v > top1) {
      top3 = top2;
      top2 = top1;
      top1 = v;
    } else if (v > top2) {
      top3 = top2;
      top2 = v;
    } else if (v > top3) {
      top3 = v;
    }
  }
  return {top1 - top2, top1 - top3};
}

std::string CascadeGate::describe() const {
  if (margin_weight == 1 && third_weight == 0) return fmt::format("margin < {}", threshold);
  return fmt::format("{}*m12 + {}*m13 < {}", margin_weight, third_weight, threshold);
}

void check_gate(const CascadeGate& g, const std::string& where) {
  auto weight_ok = [](int w) { return w >= 0 && w <= CascadeGate::kMaxWeight; };
  if (!weight_ok(g.margin_weight) || !weight_ok(g.third_weight) || g.threshold < 0 ||
      g.threshold > CascadeGate::kMaxThreshold)
    throw InputError(fmt::format("{}: cascade gate weights {}, {} and threshold {} do not fit (weights 0..{}, "
                                 "threshold 0..{})",
                                 where, g.margin_weight, g.third_weight, g.threshold, CascadeGate::kMaxWeight,
                                 CascadeGate::kMaxThreshold));
}

}  // namespace aps
