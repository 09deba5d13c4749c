#include "golden/import/streamed_order_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace aps {

int value_bin(double x, double lo, double hi, int bins) {
  // Halved where the width overflows: halving keeps the order of values.
  double width = hi - lo, offset = x - lo;
  if (!std::isfinite(width)) {
    width = hi / 2 - lo / 2;
    offset = x / 2 - lo / 2;
  }
  const double at = std::floor(offset / width * bins);
  return static_cast<int>(std::clamp(at, 0.0, static_cast<double>(bins - 1)));
}

namespace {

// One rank's search: the values in [lo, hi] are the ones it may be, and
// `below` values of the stream are smaller.
struct Target {
  int64_t rank = 0;
  double lo = 0, hi = 0;
  int64_t below = 0, inside = 0;
  bool found = false;
  double value = 0;
  // The current pass's record: bins, or the collected values.
  std::vector<int64_t> counts;
  std::vector<double> smallest, largest, collected;
};

// The passes must show the same values each time.
[[noreturn]] void passes_differ(const std::string& name) {
  throw std::logic_error("order_statistics: the passes showed different values of '" + name + "'");
}

void narrow_to_bin(Target& t, const std::string& name) {
  int64_t before = 0;
  size_t j = 0;
  while (j < t.counts.size() && t.rank - t.below >= before + t.counts[j]) before += t.counts[j++];
  if (j == t.counts.size() || std::accumulate(t.counts.begin(), t.counts.end(), int64_t{0}) != t.inside)
    passes_differ(name);
  t.below += before;
  t.inside = t.counts[j];
  t.lo = t.smallest[j];
  t.hi = t.largest[j];
  if (t.lo == t.hi) {
    t.found = true;
    t.value = t.lo;
  }
}

}  // namespace

std::map<std::string, std::vector<double>> order_statistics(const ValuePass& pass,
                                                             const std::map<std::string, StreamExtent>& extents,
                                                             const std::map<std::string, std::vector<int64_t>>& ranks,
                                                             OrderStatisticsLimits limits) {
  // One bin would never narrow the interval.
  if (limits.bins < 2) throw std::invalid_argument("order_statistics: fewer than 2 bins");
  std::map<std::string, std::vector<Target>> targets;
  for (const auto& [name, wanted] : ranks) {
    const StreamExtent& e = extents.at(name);
    auto& ts = targets[name];
    for (const int64_t rank : wanted) {
      Target t;
      t.rank = rank;
      t.lo = e.lo;
      t.hi = e.hi;
      t.inside = e.count;
      t.found = e.lo == e.hi;
      t.value = e.lo;
      ts.push_back(t);
    }
  }
  const auto open = [&] {
    for (auto& [name, ts] : targets)
      for (const Target& t : ts)
        if (!t.found) return true;
    return false;
  };
  while (open()) {
    for (auto& [name, ts] : targets)
      for (Target& t : ts) {
        if (t.found) continue;
        const bool collect = t.inside <= limits.collect;
        t.collected.clear();
        t.counts.assign(collect ? 0 : limits.bins, 0);
        t.smallest.assign(t.counts.size(), std::numeric_limits<double>::infinity());
        t.largest.assign(t.counts.size(), -std::numeric_limits<double>::infinity());
      }
    pass([&](const std::string& name, const std::vector<double>& values) {
      const auto it = targets.find(name);
      if (it == targets.end()) return;
      for (Target& t : it->second) {
        if (t.found) continue;
        const bool collect = t.counts.empty();
        for (const double x : values) {
          if (!(x >= t.lo && x <= t.hi)) continue;
          if (collect) {
            t.collected.push_back(x);
            continue;
          }
          const int j = value_bin(x, t.lo, t.hi, limits.bins);
          ++t.counts[j];
          t.smallest[j] = std::min(t.smallest[j], x);
          t.largest[j] = std::max(t.largest[j], x);
        }
      }
    });
    for (auto& [name, ts] : targets)
      for (Target& t : ts) {
        if (t.found) continue;
        if (!t.counts.empty()) {
          narrow_to_bin(t, name);
          continue;
        }
        if (static_cast<int64_t>(t.collected.size()) != t.inside) passes_differ(name);
        const auto kth = t.collected.begin() + (t.rank - t.below);
        std::nth_element(t.collected.begin(), kth, t.collected.end());
        t.value = *kth;
        t.found = true;
        t.collected = {};
      }
  }
  std::map<std::string, std::vector<double>> values;
  for (const auto& [name, ts] : targets)
    for (const Target& t : ts) values[name].push_back(t.value);
  return values;
}

}  // namespace aps
