#pragma once
// Exact order statistics of values too many to keep: the k-th smallest value
// of each named stream, found in passes over the values, with memory bounded
// by the histogram and the collection limit, not by the number of values.
//
// Each pass counts the values of the target's interval into bins, and keeps
// each bin's smallest and largest value. Binning is monotone in the value, so
// the values of the bin holding rank k are exactly those between that bin's
// smallest and largest: the next pass looks there only. When the interval
// holds few enough values, or one value, a last pass collects and sorts them.
// Calibration of a real network at --ranges percentile keeps this to a few
// passes over the data instead of gigabytes of values.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace aps {

// One pass over every value: calls `visit` with each stream's name and a
// part of its values, as many times as there are parts. Every pass must show
// the same values (in any order).
using StreamVisitor = std::function<void(const std::string& name, const std::vector<double>& values)>;
using ValuePass = std::function<void(const StreamVisitor& visit)>;

// What is known of a stream before the passes: its count and its smallest
// and largest value, all finite.
struct StreamExtent {
  int64_t count = 0;
  double lo = 0, hi = 0;
};

struct OrderStatisticsLimits {
  int bins = 4096;                     // per target and pass, at least 2
  int64_t collect = int64_t{1} << 16;  // values a target may keep for its last pass
};

// The values at `ranks` (0-based, of ascending order, each < count) of each
// stream in `extents`, in the order of its ranks. Values the extents do not
// name are ignored.
std::map<std::string, std::vector<double>> order_statistics(const ValuePass& pass,
                                                             const std::map<std::string, StreamExtent>& extents,
                                                             const std::map<std::string, std::vector<int64_t>>& ranks,
                                                             OrderStatisticsLimits limits = {});

// The bin of `x` among `bins` equal bins of [lo, hi] (lo < hi, both finite,
// lo <= x <= hi): non-decreasing in x, lo in bin 0 and hi in the last.
int value_bin(double x, double lo, double hi, int bins);

}  // namespace aps
