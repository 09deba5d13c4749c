#pragma once
// Area under the ROC curve of anomaly scores: the probability that an
// anomaly (label 1) scores higher than a normal sample (label 0), ties
// counting one half (the Mann-Whitney U statistic over both counts).

#include <cstdint>
#include <vector>

namespace aps {

// InputError unless the labels are 0 or 1, one per score, and both occur.
double roc_auc(const std::vector<double>& scores, const std::vector<int64_t>& labels);

}  // namespace aps
