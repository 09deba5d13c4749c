#pragma once
// The cascade's confidence gate, evaluated by the PCU on the first pass's
// output codes (rtl/aps_sequencer.sv is its twin): the run re-runs at the
// fallback widths when
//
//   margin_weight * (top1 - top2) + third_weight * (top1 - top3) < threshold
//
// where top1 >= top2 >= top3 are the three largest output codes, each
// starting at code 0 as the RTL's registers do (one output's gaps are its
// code). Weights (1, 0) are the plain margin check. The calibrator fits the
// weights and threshold on "the first pass's class equals the 8-bit class".

#include <cstdint>
#include <string>
#include <vector>

#include "generated/host_interface.hpp"

namespace aps {

// How far the top output code stands above the second and the third.
struct OutputGaps {
  int second = 0;  // top1 - top2: the margin
  int third = 0;   // top1 - top3
  bool operator==(const OutputGaps&) const = default;
};

OutputGaps output_gaps(const std::vector<uint8_t>& codes);

struct CascadeGate {
  // What the pcu_flags register's fields hold.
  static constexpr int kMaxWeight = (1 << hw::CsrPcuFlags::kMarginWeightWidth) - 1;
  static constexpr int kMaxThreshold = (1 << hw::CsrPcuFlags::kGateThresholdWidth) - 1;
  static_assert(hw::CsrPcuFlags::kThirdWeightWidth == hw::CsrPcuFlags::kMarginWeightWidth);

  int margin_weight = 1;
  int third_weight = 0;
  int threshold = 0;  // 0: never re-run

  static CascadeGate margin(int threshold) { return {1, 0, threshold}; }
  int score(OutputGaps g) const { return margin_weight * g.second + third_weight * g.third; }
  bool escalates(OutputGaps g) const { return score(g) < threshold; }
  // "2*m12 + 1*m13 < 40", or "margin < 12" for the plain margin check.
  std::string describe() const;
  bool operator==(const CascadeGate&) const = default;
};

// InputError naming `where` unless the weights and threshold fit their fields.
void check_gate(const CascadeGate& gate, const std::string& where);

}  // namespace aps
