// Streamed order statistics give what sorting every value gives, for any
// ranks, ties and spreads, in passes that see the values in parts; and
// calibration's percentile ranges are those order statistics.

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "golden/import/program_builder.hpp"
#include "golden/import/streamed_order_statistics.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

struct Streams {
  std::map<std::string, std::vector<double>> values;
  size_t part = 7;  // values per visit
  int passes = 0;

  ValuePass pass() {
    return [this](const StreamVisitor& visit) {
      ++passes;
      for (const auto& [name, v] : values)
        for (size_t i = 0; i < v.size(); i += part)
          visit(name, std::vector<double>(v.begin() + i, v.begin() + std::min(v.size(), i + part)));
    };
  }
  std::map<std::string, StreamExtent> extents() const {
    std::map<std::string, StreamExtent> e;
    for (const auto& [name, v] : values)
      e[name] = {static_cast<int64_t>(v.size()), *std::min_element(v.begin(), v.end()),
                 *std::max_element(v.begin(), v.end())};
    return e;
  }
};

std::vector<int64_t> every_rank(size_t n) {
  std::vector<int64_t> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = static_cast<int64_t>(i);
  return r;
}

}  // namespace

TEST_CASE("order statistics equal sorting, at every rank, through many narrowing passes", "[order_statistics]") {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 3.0);
  std::uniform_int_distribution<int> small(-3, 3);
  const double big = std::numeric_limits<double>::max();
  Streams s;
  for (int i = 0; i < 300; ++i) s.values["normal"].push_back(normal(rng));
  for (int i = 0; i < 300; ++i) s.values["ties"].push_back(small(rng));                     // few distinct values
  for (int i = 0; i < 300; ++i) s.values["relu"].push_back(std::max(0.0, normal(rng)));     // half of them 0
  for (int i = 0; i < 300; ++i) s.values["outlier"].push_back(i == 150 ? 1e30 : normal(rng));
  s.values["extreme"] = {-big, big, 0.0, 1.0, -1.0, big, 5e-324, -5e-324, 2.0};  // its width overflows
  s.values["one"] = {4.5};
  s.values["constant"] = std::vector<double>(50, -2.25);
  std::map<std::string, std::vector<int64_t>> ranks;
  for (const auto& [name, v] : s.values) ranks[name] = every_rank(v.size());
  // Four bins and at most three values collected: most ranks take several passes.
  const auto found = order_statistics(s.pass(), s.extents(), ranks, {.bins = 4, .collect = 3});
  for (auto [name, v] : s.values) {
    CAPTURE(name);
    std::sort(v.begin(), v.end());
    CHECK(found.at(name) == v);
  }
  CHECK(s.passes > 3);
}

TEST_CASE("order statistics of values a pass shows differently are refused, not made up", "[order_statistics]") {
  Streams s;
  s.values["x"] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const auto extents = s.extents();
  int passes = 0;
  const ValuePass shifting = [&](const StreamVisitor& visit) {
    ++passes;
    std::vector<double> v = s.values["x"];
    if (passes > 1) v.pop_back();
    visit("x", v);
  };
  CHECK_THROWS_AS(order_statistics(shifting, extents, {{"x", {9}}}, {.bins = 2, .collect = 2}), std::logic_error);
}

TEST_CASE("value bins are monotone and put the ends in the first and last bin", "[order_statistics]") {
  const double big = std::numeric_limits<double>::max();
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{{-1, 1}, {0, 1e-300}, {-big, big}, {3, 3.0000001}}) {
    CHECK(value_bin(lo, lo, hi, 16) == 0);
    CHECK(value_bin(hi, lo, hi, 16) == 15);
    int last = 0;
    for (int i = 0; i <= 1000; ++i) {
      const double x = lo / 2 + hi / 2 + (hi / 2 - lo / 2) * std::cos(3.14159265358979 * (1000 - i) / 1000);
      const int b = value_bin(std::clamp(x, lo, hi), lo, hi, 16);
      CHECK(b >= last);
      last = b;
    }
  }
}

// The 0.01th and 99.99th percentiles of a tensor are its values at those
// ranks: an outlier among 20,000 values is clipped, the rest of the spread kept.
TEST_CASE("percentile ranges are the values at the percentile ranks, and clip an outlier", "[order_statistics]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1});
  g.node("Relu", {"x"}, {"r"}, "relu");
  g.output("r");
  std::vector<double> x;
  for (int i = 0; i < 20000; ++i) x.push_back((i * 7919) % 20000 - 100.0);  // -100 .. 19899, shuffled
  x[1234] = 1e30;
  const ActivationRanges ranges =
      activation_ranges(g.model(), Tensor::from_reals(DType::Float, {20000, 1}, x), RangeMethod::Percentile);
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  CHECK(ranges.at("x").first == sorted[1]);       // rank 0.0001 * 19999
  CHECK(ranges.at("x").second == sorted[19997]);  // rank 0.9999 * 19999
  CHECK(ranges.at("x").second == 19898.0);
  CHECK(ranges.at("r").first == 0.0);
  CHECK(ranges.at("r").second == 19898.0);
}

// The mse range is chosen from binned values; its exact error (every value
// quantized on it) must be the best of the shrink factors it searches, to
// within 1 %. One outlier among a million values stretches the ReLU's range:
// clipping it costs less than the coarser grid does everywhere else.
TEST_CASE("mse ranges give the least exact quantization error of the shrink factors searched", "[order_statistics]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1});
  g.node("Relu", {"x"}, {"r"}, "relu");
  g.output("r");
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int n = 1000000;
  std::vector<double> x(n);
  for (double& v : x) v = normal(rng);
  x[n / 2] = 40.0;
  const auto exact_mse = [&](const std::vector<double>& v, double lo, double hi) {
    const ActivationQuant q = activation_quant_from_range(lo, hi);
    double e = 0;
    for (double value : v) {
      const double code = std::clamp(std::nearbyint(value / q.scale) + q.zero_point, 0.0, 255.0);
      const double back = (code - q.zero_point) * q.scale;
      e += (value - back) * (value - back);
    }
    return e / static_cast<double>(v.size());
  };
  const ActivationRanges ranges =
      activation_ranges(g.model(), Tensor::from_reals(DType::Float, {n, 1}, x), RangeMethod::Mse);
  std::vector<double> r;
  for (double v : x) r.push_back(std::max(0.0, v));
  for (const auto& [name, values] : {std::pair{"x", x}, std::pair{"r", r}}) {
    CAPTURE(name);
    const double lo = *std::min_element(values.begin(), values.end());
    const double hi = *std::max_element(values.begin(), values.end());
    const double full = exact_mse(values, lo, hi);
    double best = full;
    for (int k = 99; k >= 30; --k) best = std::min(best, exact_mse(values, lo * k / 100.0, hi * k / 100.0));
    const auto [chosen_lo, chosen_hi] = ranges.at(name);
    CHECK(exact_mse(values, chosen_lo, chosen_hi) <= best * 1.01);
    if (std::string(name) == "r") {
      CHECK(full > best * 1.05);  // the search matters here
      CHECK(chosen_hi < 0.9 * hi);
    }
  }
}
