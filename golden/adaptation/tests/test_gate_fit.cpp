// The cascade's gate fit: hand-made fronts whose cheapest cascade is known,
// one where the third code separates the inputs the cheap map gets wrong and
// the margin alone cannot.

#include <catch2/catch.hpp>
#include <random>

#include "golden/adaptation/gate_fit.hpp"

using namespace aps;

namespace {

// Ten samples, all 0 at 8 bits. Map A (2 bits) gets samples 6..9 wrong; map B
// (8 bits) is right everywhere. On A every sample has margin 5; the wrong
// ones have their third code close too (gap 6), the right ones far (gap 40).
FrontOutcomes two_maps() {
  FrontOutcomes f;
  f.bits = {{2}, {8}};
  f.avg_bits = {2.0, 8.0};
  f.preds = {{0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, std::vector<int64_t>(10, 0)};
  f.margins = {std::vector<int>(10, 5), std::vector<int>(10, 60)};
  std::vector<OutputGaps> a(10, OutputGaps{5, 40});
  for (size_t s = 6; s < 10; ++s) a[s] = {5, 6};
  f.gaps = {a, std::vector<OutputGaps>(10, OutputGaps{60, 60})};
  return f;
}

const std::vector<int64_t> kPreds8(10, 0);

}  // namespace

TEST_CASE("the gate fit re-runs exactly the inputs the third code singles out", "[gate_fit]") {
  const FrontOutcomes f = two_maps();
  const GatedCascade g = fit_gated_cascade(f, kPreds8, 1.0, false);
  CHECK(g.first == 0);
  CHECK(g.second == 1);
  CHECK(g.reruns == Approx(0.4));
  CHECK(g.expected_bits == Approx(2.0 + 8.0 * 0.4));
  // Every weight pair that puts the four wrong inputs strictly lowest works;
  // the first tried is (0, 1), at the smallest threshold that re-runs them:
  // m13 < 7 (any of 7..40 re-runs the same calibration inputs).
  CHECK(g.gate == CascadeGate{0, 1, 7});
  for (const auto& gaps : f.gaps[0]) CHECK(g.gate.escalates(gaps) == (gaps.third == 6));
}

TEST_CASE("with the plain margin check, the same front re-runs everything", "[gate_fit]") {
  // Equal margins: a threshold re-runs all ten or none; all ten cost 10 bits,
  // more than the 8-bit map alone, so the fit keeps the last map.
  const GatedCascade g = fit_gated_cascade(two_maps(), kPreds8, 1.0, true);
  CHECK(g.first == 1);
  CHECK(g.second == 1);
  CHECK(g.gate == CascadeGate::margin(0));
  CHECK(g.expected_bits == 8.0);
}

TEST_CASE("the gate fit keeps the plain margin check when it is as cheap", "[gate_fit]") {
  FrontOutcomes f = two_maps();
  for (size_t s = 6; s < 10; ++s) f.gaps[0][s] = {2, 6};  // now the margin singles them out too
  const GatedCascade g = fit_gated_cascade(f, kPreds8, 1.0, false);
  CHECK(g.gate == CascadeGate::margin(3));  // just above the wrong inputs' margin 2
  CHECK(g.reruns == Approx(0.4));
  // A lower target lets the cheap map keep its mistakes: no re-run.
  const GatedCascade loose = fit_gated_cascade(f, kPreds8, 0.6, false);
  CHECK(loose.first == 0);
  CHECK(loose.gate.threshold == 0);
  CHECK(loose.expected_bits == 2.0);
}

TEST_CASE("when only re-running every input would do, the last map alone is cheaper and kept", "[gate_fit]") {
  FrontOutcomes f = two_maps();
  f.avg_bits = {1.0, 4.0};  // re-running all: 1 + 4 = 5 bits, more than the last map's 4 alone
  for (auto& g : f.gaps[0]) g = {5, 40};  // nothing tells the wrong inputs apart
  const GatedCascade g = fit_gated_cascade(f, kPreds8, 1.0, true);
  CHECK(g.first == 1);
  CHECK(g.second == 1);
  CHECK(g.reruns == 0.0);
  CHECK(g.expected_bits == 4.0);
}

TEST_CASE("the gate fit refuses tables of different lengths", "[gate_fit]") {
  FrontOutcomes f = two_maps();
  f.gaps[1].pop_back();
  CHECK_THROWS_AS(fit_gated_cascade(f, kPreds8, 1.0, false), std::invalid_argument);
}

TEST_CASE("a perfect gate re-runs only the inputs it must", "[gate_fit]") {
  const FrontOutcomes f = two_maps();
  // All four wrong inputs at full agreement; three of them at 90 %.
  const GatedCascade all = perfect_gate_cascade(f, kPreds8, 1.0);
  CHECK(all.first == 0);
  CHECK(all.second == 1);
  CHECK(all.reruns == Approx(0.4));
  CHECK(all.expected_bits == Approx(5.2));
  const GatedCascade most = perfect_gate_cascade(f, kPreds8, 0.9);
  CHECK(most.reruns == Approx(0.3));
  CHECK(most.expected_bits == Approx(2.0 + 8.0 * 0.3));
  // The plain margin cannot tell the wrong inputs apart here (8 bits), the
  // perfect gate can.
  CHECK(fit_gated_cascade(f, kPreds8, 1.0, true).expected_bits == 8.0);
}

TEST_CASE("a perfect gate does not count inputs the re-run map gets wrong too", "[gate_fit]") {
  FrontOutcomes f = two_maps();
  f.preds[1][9] = 1;  // the re-run map fixes only three of the four
  const GatedCascade g = perfect_gate_cascade(f, kPreds8, 1.0);
  CHECK(g.first == 1);  // no cascade reaches full agreement: the last map alone
  CHECK(g.expected_bits == 8.0);
  CHECK(perfect_gate_cascade(f, kPreds8, 0.9).expected_bits == Approx(2.0 + 8.0 * 0.3));
}

TEST_CASE("no fitted gate is cheaper than the perfect gate", "[gate_fit]") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t n = 60;
    FrontOutcomes f;
    f.bits = {{2}, {4}, {8}};
    f.avg_bits = {2.0, 4.0, 8.0};
    std::vector<int64_t> preds8(n);
    for (auto& p : preds8) p = static_cast<int64_t>(rng() % 3);
    for (int wrong_in : {30, 8, 0}) {  // out of 100
      std::vector<int64_t> preds = preds8;
      std::vector<OutputGaps> gaps(n);
      std::vector<int> margins(n);
      for (size_t s = 0; s < n; ++s) {
        if (static_cast<int>(rng() % 100) < wrong_in) preds[s] = (preds[s] + 1) % 3;
        const int m12 = static_cast<int>(rng() % 40);
        gaps[s] = {m12, m12 + static_cast<int>(rng() % 40)};
        margins[s] = m12;
      }
      f.preds.push_back(preds);
      f.gaps.push_back(gaps);
      f.margins.push_back(margins);
    }
    for (double target : {0.9, 0.95, 1.0}) {
      const double perfect = perfect_gate_cascade(f, preds8, target).expected_bits;
      CHECK(perfect <= fit_gated_cascade(f, preds8, target, false).expected_bits + 1e-12);
      CHECK(perfect <= fit_gated_cascade(f, preds8, target, true).expected_bits + 1e-12);
    }
  }
}

TEST_CASE("a front whose last map is narrower than 8 bits costs that map's bits, not 8", "[gate_fit]") {
  FrontOutcomes f;
  f.bits = {{3, 3}};
  f.avg_bits = {3.0};
  f.preds = {std::vector<int64_t>(10, 0)};
  f.margins = {std::vector<int>(10, 5)};
  f.gaps = {std::vector<OutputGaps>(10, OutputGaps{5, 40})};
  for (const bool margin_only : {true, false}) {
    const GatedCascade g = fit_gated_cascade(f, kPreds8, 1.0, margin_only);
    CHECK(g.first == 0);
    CHECK(g.second == 0);
    CHECK(g.reruns == 0.0);
    CHECK(g.expected_bits == 3.0);
  }
  CHECK(perfect_gate_cascade(f, kPreds8, 1.0).expected_bits == 3.0);
}
