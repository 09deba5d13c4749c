#include "golden/numerics/roc_auc.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <numeric>

#include "golden/errors.hpp"

namespace aps {

int64_t count_anomalies(const std::vector<int64_t>& labels, const char* what) {
  int64_t positives = 0;
  for (int64_t l : labels) {
    if (!is_anomaly_label(l)) throw InputError(fmt::format("anomaly label {} is neither 0 (normal) nor 1 (anomaly)", l));
    positives += l;
  }
  if (positives == 0 || positives == static_cast<int64_t>(labels.size()))
    throw InputError(fmt::format("{} needs both normal samples and anomalies", what));
  return positives;
}

namespace {

int64_t count_scored_anomalies(const std::vector<double>& scores, const std::vector<int64_t>& labels, const char* what) {
  if (scores.size() != labels.size())
    throw InputError(fmt::format("{} scores for {} labels", scores.size(), labels.size()));
  return count_anomalies(labels, what);
}

std::vector<size_t> ascending(const std::vector<double>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  return order;
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<int64_t>& labels) {
  const int64_t positives = count_scored_anomalies(scores, labels, "the ROC AUC");
  const auto negatives = static_cast<int64_t>(labels.size()) - positives;
  const std::vector<size_t> order = ascending(scores);
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

double youden_threshold(const std::vector<double>& scores, const std::vector<int64_t>& labels) {
  const int64_t positives = count_scored_anomalies(scores, labels, "an operating threshold");
  const auto negatives = static_cast<int64_t>(labels.size()) - positives;
  const std::vector<size_t> order = ascending(scores);
  // Walking up the sorted scores, every sample at or below t is called
  // normal: J = (anomalies above t) / positives - (normals above t) / negatives.
  int64_t anomalies_below = 0, normals_below = 0;
  double best_j = 0.0, best_t = 0.0;  // t outside the scores calls all or none anomalies: J = 0
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && scores[order[j + 1]] == scores[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) (labels[order[k]] ? anomalies_below : normals_below) += 1;
    if (j + 1 == order.size()) break;
    const double jv = static_cast<double>(positives - anomalies_below) / static_cast<double>(positives) -
                      static_cast<double>(negatives - normals_below) / static_cast<double>(negatives);
    if (jv > best_j) {
      best_j = jv;
      best_t = (scores[order[j]] + scores[order[j + 1]]) / 2.0;
    }
    i = j + 1;
  }
  if (best_j <= 0.0)
    throw InputError("no operating threshold has Youden's J above 0: the anomalies do not score higher than the "
                     "normal samples");
  return best_t;
}

}  // namespace aps
