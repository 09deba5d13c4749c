#pragma once
// The ROC curve of anomaly scores (label 1: anomaly, 0: normal), two ways:
// its area, and the operating point a detector decides at.

#include <cstdint>
#include <vector>

namespace aps {

// The area: the probability that an anomaly scores higher than a normal
// sample, ties counting one half (the Mann-Whitney U statistic over both
// counts). InputError unless the labels are 0 or 1, one per score, and both
// occur (the same for youden_threshold).
double roc_auc(const std::vector<double>& scores, const std::vector<int64_t>& labels);

// The threshold t of the rule "anomaly when score > t" that maximizes
// Youden's J (true-positive rate minus false-positive rate); on a tie the
// lowest such t. t lies halfway between two neighbouring distinct scores, so
// the rule does not hinge on one sample's exact score. InputError when no t
// has J > 0: the anomalies do not score higher than the normal samples.
double youden_threshold(const std::vector<double>& scores, const std::vector<int64_t>& labels);

// An anomaly label: 0 (normal) or 1 (anomaly).
constexpr bool is_anomaly_label(int64_t label) { return label == 0 || label == 1; }

// The checks both make on the labels alone: InputError naming `what` unless
// every label is 0 or 1 and both occur. Returns how many are anomalies.
int64_t count_anomalies(const std::vector<int64_t>& labels, const char* what);

}  // namespace aps
