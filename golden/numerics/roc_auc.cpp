#include "golden/numerics/roc_auc.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <numeric>

#include "golden/errors.hpp"

namespace aps {

double roc_auc(const std::vector<double>& scores, const std::vector<int64_t>& labels) {
  if (scores.size() != labels.size())
    throw InputError(fmt::format("{} scores for {} labels", scores.size(), labels.size()));
  int64_t positives = 0;
  for (int64_t l : labels) {
    if (l != 0 && l != 1) throw InputError(fmt::format("anomaly label {} is neither 0 (normal) nor 1 (anomaly)", l));
    positives += l;
  }
  const auto negatives = static_cast<int64_t>(labels.size()) - positives;
  if (positives == 0 || negatives == 0) throw InputError("the ROC AUC needs both normal samples and anomalies");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' ranks (1-based), ties at their average rank.
  double rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) rank_sum += labels[order[k]] * rank;
    i = j + 1;
  }
  const double u = rank_sum - static_cast<double>(positives) * static_cast<double>(positives + 1) / 2.0;
  return u / (static_cast<double>(positives) * static_cast<double>(negatives));
}

}  // namespace aps
