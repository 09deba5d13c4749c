// Activation ranges of a float model over a calibration batch: min-max,
// percentiles, or the clipping that minimizes the quantization error.

#include <algorithm>
#include <cmath>
#include <limits>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/import/streamed_order_statistics.hpp"
#include "golden/numerics/rounding.hpp"
#include "golden/onnx/batch_runner.hpp"

namespace aps {

std::string_view range_method_name(RangeMethod m) {
  switch (m) {
    case RangeMethod::MinMax: return "minmax";
    case RangeMethod::Percentile: return "percentile";
    case RangeMethod::Mse: return "mse";
  }
  return "?";
}

RangeMethod parse_range_method(const std::string& text) {
  if (text == "minmax") return RangeMethod::MinMax;
  if (text == "percentile") return RangeMethod::Percentile;
  if (text == "mse") return RangeMethod::Mse;
  throw InputError(fmt::format("range method must be minmax, percentile or mse, not '{}'", text));
}

namespace {

constexpr std::pair<double, double> kNanRange{std::numeric_limits<double>::quiet_NaN(),
                                              std::numeric_limits<double>::quiet_NaN()};

// The values of a tensor that fall in one bin of its range.
struct Bin {
  double count = 0, sum = 0, sum_of_squares = 0;
};

// Mean squared error of quantizing the binned values to uint8 over [lo, hi]
// (clipping included), each bin's values taken to share its mean's code:
// their squared errors about that code sum to sum_of_squares - 2 q sum + n q^2.
double quantization_mse(const std::vector<Bin>& bins, double lo, double hi) {
  const ActivationQuant q = activation_quant_from_range(lo, hi);
  double e = 0, n = 0;
  for (const Bin& b : bins) {
    const double mean = b.sum / b.count;
    const double code = std::clamp(round_half_to_even(mean / q.scale) + q.zero_point, 0.0, 255.0);
    const double back = (code - q.zero_point) * q.scale;
    e += std::max(0.0, b.sum_of_squares - 2 * back * b.sum + b.count * back * back);
    n += b.count;
  }
  return e / std::max(n, 1.0);
}

// Mse: shrink the range toward zero by k / 100 and keep the best.
std::pair<double, double> mse_range(const std::vector<Bin>& bins, double lo, double hi) {
  std::pair<double, double> best{lo, hi};
  double best_e = quantization_mse(bins, lo, hi);
  for (int k = 99; k >= 30; --k) {
    const double f = k / 100.0;
    const double e = quantization_mse(bins, lo * f, hi * f);
    if (e < best_e) {
      best_e = e;
      best = {lo * f, hi * f};
    }
  }
  return best;
}

// A step of the grids mse_range tries spans 5 to 16 of the range's bins.
constexpr int kMseBins = OrderStatisticsLimits{}.bins;

int64_t percentile_rank(double p, int64_t count) {
  return static_cast<int64_t>(p * static_cast<double>(count - 1));
}

}  // namespace

ActivationRanges activation_ranges(const OnnxModel& model, const Tensor& calibration, RangeMethod method) {
  const TensorMap feeds = {{model.inputs().at(0).name, calibration}};
  // Every method streams the values, pass after pass: keeping every value of
  // every tensor costs gigabytes on a thousand images of a real network.
  const ValuePass pass = [&](const StreamVisitor& visit) {
    run_batch(model, feeds, [&](const std::string& name, const Tensor& t) {
      if (t.floating() && t.size() > 0) visit(name, t.reals());
    });
  };
  ActivationRanges ranges;
  std::map<std::string, StreamExtent> extents;
  pass([&](const std::string& name, const std::vector<double>& values) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : values) {
      if (std::isnan(v)) {
        lo = hi = v;
        break;
      }
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    const auto [it, fresh] = ranges.try_emplace(name, lo, hi);
    if (std::isnan(lo) || std::isnan(it->second.first))
      it->second = kNanRange;
    else if (!fresh)
      it->second = {std::min(it->second.first, lo), std::max(it->second.second, hi)};
    extents[name].count += static_cast<int64_t>(values.size());
  });
  // An infinite end is kept for the builder to name, if it reads the value;
  // NaN has no range.
  for (auto it = extents.begin(); it != extents.end();) {
    const auto [lo, hi] = ranges.at(it->first);
    if (method == RangeMethod::MinMax || !std::isfinite(lo) || !std::isfinite(hi)) {
      it = extents.erase(it);
      continue;
    }
    it->second.lo = lo;
    it->second.hi = hi;
    ++it;
  }
  if (extents.empty()) return ranges;
  if (method == RangeMethod::Percentile) {
    std::map<std::string, std::vector<int64_t>> ranks;
    for (const auto& [name, e] : extents)
      ranks[name] = {percentile_rank(0.0001, e.count), percentile_rank(0.9999, e.count)};
    for (const auto& [name, at] : order_statistics(pass, extents, ranks)) ranges[name] = {at[0], at[1]};
    return ranges;
  }
  std::map<std::string, std::vector<Bin>> bins;
  for (const auto& [name, e] : extents) bins[name].assign(e.lo < e.hi ? kMseBins : 1, Bin{});
  pass([&](const std::string& name, const std::vector<double>& values) {
    const auto found = extents.find(name);
    if (found == extents.end()) return;
    const StreamExtent& e = found->second;
    auto& b = bins.at(name);
    for (const double x : values) {
      Bin& bin = b[e.lo < e.hi ? value_bin(x, e.lo, e.hi, kMseBins) : 0];
      bin.count += 1;
      bin.sum += x;
      bin.sum_of_squares += x * x;
    }
  });
  for (auto& [name, b] : bins) {
    std::erase_if(b, [](const Bin& bin) { return bin.count == 0; });
    ranges[name] = mse_range(b, extents.at(name).lo, extents.at(name).hi);
  }
  return ranges;
}

}  // namespace aps
