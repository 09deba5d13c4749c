#pragma once
// The cascade's first map, re-run map and confidence gate, fitted on
// calibration data to the exact target "the decision the cascade ends with
// equals the 8-bit decision": the cheapest choice, in expected MAC-weighted
// bits per input (bits(first) + P(re-run) * bits(re-run)), that keeps
// `target_agreement` of the 8-bit decisions. Every gate of the register's
// weights is tried (coprime pairs: a common factor only coarsens the
// threshold), each at the smallest threshold that re-runs the inputs it
// re-runs; among equally cheap choices the first found is kept, (1, 0) first
// for each first map.

#include <cstdint>
#include <vector>

#include "golden/accelerator/cascade_gate.hpp"
#include "golden/adaptation/staged_cascade.hpp"

namespace aps {

struct GatedCascade {
  size_t first = 0;   // index into the front
  size_t second = 0;  // index into the front
  CascadeGate gate;
  double expected_bits = 0;  // on calibration
  double reruns = 0;         // share of calibration inputs re-run
};

// `margin_only`: try only the plain margin check (an anomaly detector's
// margin has no third gap). Without a choice that keeps the target, the
// front's last map with a gate that never re-runs, at 8.0 expected bits.
GatedCascade fit_gated_cascade(const FrontOutcomes& front, const std::vector<int64_t>& preds8,
                               double target_agreement, bool margin_only);

// The same choice for a gate that knows which inputs the first map decides
// unlike 8 bits and the re-run map does not: it re-runs only as many of those
// as the target needs, so no gate on any feature (margin, entropy, SAE
// metrics) does better on these maps. Its `gate` is left at the default (no
// register holds a perfect gate). Without a choice that keeps the target, the
// front's last map alone, at 8.0 expected bits.
GatedCascade perfect_gate_cascade(const FrontOutcomes& front, const std::vector<int64_t>& preds8,
                                  double target_agreement);

}  // namespace aps
