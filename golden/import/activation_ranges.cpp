// Activation ranges of a float model over a calibration batch: min-max,
// percentiles, or the clipping that minimizes the quantization error.

#include <algorithm>
#include <cmath>
#include <limits>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
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

// Mean squared error of quantizing `v` to uint8 over [lo, hi] (clipping included).
double quantization_mse(const std::vector<double>& v, double lo, double hi) {
  const ActivationQuant q = activation_quant_from_range(lo, hi);
  double e = 0;
  for (double x : v) {
    const double code = std::clamp(round_half_to_even(x / q.scale) + q.zero_point, 0.0, 255.0);
    const double back = (code - q.zero_point) * q.scale;
    e += (x - back) * (x - back);
  }
  return e / static_cast<double>(std::max<size_t>(v.size(), 1));
}

constexpr std::pair<double, double> kNanRange{std::numeric_limits<double>::quiet_NaN(),
                                              std::numeric_limits<double>::quiet_NaN()};

std::pair<double, double> range_of(std::vector<double> v, RangeMethod method) {
  if (std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); })) return kNanRange;
  std::sort(v.begin(), v.end());
  const double lo = v.front(), hi = v.back();
  // An infinite end is kept for the builder to name, if it reads the value.
  if (method == RangeMethod::MinMax || !std::isfinite(lo) || !std::isfinite(hi)) return {lo, hi};
  if (method == RangeMethod::Percentile) {
    const auto at = [&](double p) { return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))]; };
    return {at(0.0001), at(0.9999)};
  }
  // Mse: shrink the range toward zero by k / 100 and keep the best.
  std::vector<double> sample;
  const size_t step = std::max<size_t>(1, v.size() / 20000);  // bounded cost per tensor
  for (size_t i = 0; i < v.size(); i += step) sample.push_back(v[i]);
  std::pair<double, double> best{lo, hi};
  double best_e = quantization_mse(sample, lo, hi);
  for (int k = 99; k >= 30; --k) {
    const double f = k / 100.0;
    const double e = quantization_mse(sample, lo * f, hi * f);
    if (e < best_e) {
      best_e = e;
      best = {lo * f, hi * f};
    }
  }
  return best;
}

}  // namespace

ActivationRanges activation_ranges(const OnnxModel& model, const Tensor& calibration, RangeMethod method) {
  ActivationRanges ranges;
  const TensorMap feeds = {{model.inputs().at(0).name, calibration}};
  if (method == RangeMethod::MinMax) {
    // Streamed: keeping every value of every tensor, as the other methods
    // must, costs gigabytes on a thousand images of a real network.
    run_batch(model, feeds, [&](const std::string& name, const Tensor& t) {
      if (!t.floating() || t.size() == 0) return;
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (double v : t.reals()) {
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
    });
    return ranges;
  }
  std::map<std::string, std::vector<double>> seen;
  run_batch(model, feeds, [&](const std::string& name, const Tensor& t) {
    if (!t.floating() || t.size() == 0) return;
    auto& v = seen[name];
    v.insert(v.end(), t.reals().begin(), t.reals().end());
  });
  for (auto& [name, values] : seen) ranges[name] = range_of(std::move(values), method);
  return ranges;
}


}  // namespace aps
