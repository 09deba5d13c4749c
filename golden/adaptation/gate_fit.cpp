#include "golden/adaptation/gate_fit.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <stdexcept>

namespace aps {
namespace {

std::vector<std::pair<int, int>> gate_weights(bool margin_only) {
  std::vector<std::pair<int, int>> w{{1, 0}};
  if (margin_only) return w;
  for (int a = 0; a <= CascadeGate::kMaxWeight; ++a)
    for (int b = 1; b <= CascadeGate::kMaxWeight; ++b)
      if (std::gcd(a, b) == 1) w.emplace_back(a, b);
  return w;
}

void check_front(const FrontOutcomes& front, size_t n, const char* who) {
  const size_t maps = front.avg_bits.size();
  if (maps == 0 || n == 0 || front.preds.size() != maps || front.gaps.size() != maps)
    throw std::invalid_argument(fmt::format("{}: an empty front, or its tables differ in length", who));
  for (size_t f = 0; f < maps; ++f)
    if (front.preds[f].size() != n || front.gaps[f].size() != n)
      throw std::invalid_argument(fmt::format("{}: map {} has {} predictions and {} gaps for {} samples", who, f,
                                              front.preds[f].size(), front.gaps[f].size(), n));
}

// How many of n decisions the target keeps, at least.
int64_t needed_agreements(double target_agreement, size_t n) {
  return static_cast<int64_t>(std::ceil(target_agreement * static_cast<double>(n) - 1e-9));
}

int64_t agreements(const std::vector<int64_t>& preds, const std::vector<int64_t>& preds8) {
  int64_t same = 0;
  for (size_t s = 0; s < preds8.size(); ++s) same += preds[s] == preds8[s];
  return same;
}

}  // namespace

GatedCascade fit_gated_cascade(const FrontOutcomes& front, const std::vector<int64_t>& preds8,
                               double target_agreement, bool margin_only) {
  const size_t maps = front.avg_bits.size();
  const size_t n = preds8.size();
  check_front(front, n, "fit_gated_cascade");
  const double dn = static_cast<double>(n);
  const int64_t need = needed_agreements(target_agreement, n);
  // No cascade: the front's last map for every input, at its own cost (8 bits unless a
  // narrower map already keeps every decision the front can).
  GatedCascade best{maps - 1, maps - 1, CascadeGate::margin(0), front.avg_bits[maps - 1], 0.0};
  std::vector<int> score(n);
  std::vector<size_t> order(n);
  for (size_t f = 0; f + 1 < maps; ++f) {
    if (front.avg_bits[f] >= best.expected_bits) continue;
    const int64_t agree_f = agreements(front.preds[f], preds8);
    for (const auto& [a, b] : gate_weights(margin_only)) {
      const CascadeGate weights{a, b, 0};
      for (size_t s = 0; s < n; ++s) score[s] = weights.score(front.gaps[f][s]);
      std::iota(order.begin(), order.end(), size_t{0});
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return score[x] < score[y]; });
      for (size_t s2 = f + 1; s2 < maps; ++s2) {
        // Escalating the k lowest scores; a threshold can only split between
        // distinct scores.
        int64_t agree = agree_f;
        for (size_t k = 0; k <= n; ++k) {
          if (k > 0) {
            const size_t s = order[k - 1];
            agree += (front.preds[s2][s] == preds8[s]) - (front.preds[f][s] == preds8[s]);
          }
          const double cost = front.avg_bits[f] + front.avg_bits[s2] * static_cast<double>(k) / dn;
          if (cost >= best.expected_bits) break;  // more re-runs only cost more
          if (k > 0 && k < n && score[order[k]] == score[order[k - 1]]) continue;
          if (agree < need) continue;
          // The smallest threshold that re-runs these k, as the staged cascade
          // chooses its own: new inputs in the gap between scores are kept.
          const int threshold = k == 0 ? 0 : score[order[k - 1]] + 1;
          best = {f, s2, CascadeGate{a, b, threshold}, cost, static_cast<double>(k) / dn};
          break;
        }
      }
    }
  }
  return best;
}

GatedCascade perfect_gate_cascade(const FrontOutcomes& front, const std::vector<int64_t>& preds8,
                                  double target_agreement) {
  const size_t maps = front.avg_bits.size();
  const size_t n = preds8.size();
  check_front(front, n, "perfect_gate_cascade");
  const double dn = static_cast<double>(n);
  const int64_t need = needed_agreements(target_agreement, n);
  // No cascade: the front's last map for every input, at its own cost (8 bits unless a
  // narrower map already keeps every decision the front can).
  GatedCascade best{maps - 1, maps - 1, CascadeGate::margin(0), front.avg_bits[maps - 1], 0.0};
  for (size_t f = 0; f + 1 < maps; ++f) {
    const int64_t short_of = std::max<int64_t>(0, need - agreements(front.preds[f], preds8));
    for (size_t s2 = f + 1; s2 < maps; ++s2) {
      // Re-running an input the re-run map also gets wrong, or one the first
      // map gets right, never helps: only these count.
      int64_t fixable = 0;
      for (size_t s = 0; s < n; ++s) fixable += front.preds[f][s] != preds8[s] && front.preds[s2][s] == preds8[s];
      if (fixable < short_of) continue;
      const double reruns = static_cast<double>(short_of) / dn;
      const double cost = front.avg_bits[f] + front.avg_bits[s2] * reruns;
      if (cost < best.expected_bits) best = {f, s2, CascadeGate{}, cost, reruns};
    }
  }
  return best;
}

}  // namespace aps
