#include "golden/adaptation/staged_cascade.hpp"

#include <array>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>

#include "golden/accelerator/precision_map.hpp"

namespace aps {
namespace {

constexpr int kMargins = 256;  // margins 0..255, thresholds 0..255 (margin < threshold escalates)

}  // namespace

StagedCascadeChoice choose_staged_cascade(const FrontOutcomes& front, const std::vector<int64_t>& preds8,
                                          double target_agreement) {
  const size_t maps = front.bits.size();
  if (maps == 0 || front.avg_bits.size() != maps || front.preds.size() != maps || front.margins.size() != maps)
    throw std::invalid_argument("choose_staged_cascade: the front's tables differ in length");
  const size_t n = preds8.size();
  if (n == 0) throw std::invalid_argument("choose_staged_cascade: no samples");
  for (size_t f = 0; f < maps; ++f) {
    if (front.preds[f].size() != n || front.margins[f].size() != n)
      throw std::invalid_argument(fmt::format("choose_staged_cascade: map {} has {} predictions and {} margins for {} samples",
                                              f, front.preds[f].size(), front.margins[f].size(), n));
    for (int m : front.margins[f])
      if (m < 0 || m >= kMargins)
        throw std::invalid_argument(fmt::format("choose_staged_cascade: map {} has a margin of {} (not in 0..255)", f, m));
  }
  const size_t last = maps - 1;
  const double dn = static_cast<double>(n);
  const double need = target_agreement * dn - 1e-9;
  auto agrees = [&](size_t f, size_t s) { return front.preds[f][s] == preds8[s] ? 1 : 0; };
  auto stage = [&](size_t f, int theta) { return CascadeStage{front.bits[f], front.avg_bits[f], theta}; };
  // The samples of each map by margin, so a threshold's escalated set grows
  // one margin value at a time.
  std::vector<std::array<std::vector<size_t>, kMargins>> by_margin(maps);
  for (size_t f = 0; f < maps; ++f)
    for (size_t s = 0; s < n; ++s) by_margin[f][static_cast<size_t>(front.margins[f][s])].push_back(s);

  int64_t agree_last = 0;
  for (size_t s = 0; s < n; ++s) agree_last += agrees(last, s);
  StagedCascadeChoice best{{stage(last, 0)}, front.avg_bits[last], agree_last / dn};
  auto offer = [&](double cost, int64_t agree, std::vector<CascadeStage> stages) {
    if (agree < need || cost >= best.expected_bits) return;
    best = {std::move(stages), cost, agree / dn};
  };

  for (size_t f = 0; f < last; ++f) {
    // Two stages: f, then the widest map.
    {
      int64_t agree = 0;
      for (size_t s = 0; s < n; ++s) agree += agrees(f, s);
      size_t escalated = 0;
      for (int theta = 0; theta < kMargins; ++theta) {
        if (theta > 0)
          for (size_t s : by_margin[f][static_cast<size_t>(theta - 1)]) {
            agree += agrees(last, s) - agrees(f, s);
            ++escalated;
          }
        const double cost = front.avg_bits[f] + front.avg_bits[last] * static_cast<double>(escalated) / dn;
        if (cost >= best.expected_bits) break;  // a larger threshold only escalates more
        if (agree < need) continue;
        offer(cost, agree, {stage(f, theta), stage(last, 0)});
        break;
      }
    }
    // Three stages: f, then m, then the widest map.
    for (size_t m = f + 1; m < last; ++m) {
      // Over the samples escalated past f: per margin value at m, how many
      // there are and what escalating them to the widest map gains.
      std::array<int64_t, kMargins> count{}, gain{};
      int64_t agree_outside = 0, agree_at_m = 0, escalated = 0;
      for (size_t s = 0; s < n; ++s) agree_outside += agrees(f, s);
      for (int theta1 = 0; theta1 < kMargins; ++theta1) {
        if (theta1 > 0)
          for (size_t s : by_margin[f][static_cast<size_t>(theta1 - 1)]) {
            agree_outside -= agrees(f, s);
            agree_at_m += agrees(m, s);
            const auto v = static_cast<size_t>(front.margins[m][s]);
            ++count[v];
            gain[v] += agrees(last, s) - agrees(m, s);
            ++escalated;
          }
        const double base = front.avg_bits[f] + front.avg_bits[m] * static_cast<double>(escalated) / dn;
        if (base >= best.expected_bits) break;
        int64_t agree = agree_outside + agree_at_m, to_last = 0;
        for (int theta2 = 0; theta2 < kMargins; ++theta2) {
          if (theta2 > 0) {
            agree += gain[static_cast<size_t>(theta2 - 1)];
            to_last += count[static_cast<size_t>(theta2 - 1)];
          }
          const double cost = base + front.avg_bits[last] * static_cast<double>(to_last) / dn;
          if (cost >= best.expected_bits) break;
          if (agree < need) continue;
          offer(cost, agree, {stage(f, theta1), stage(m, theta2), stage(last, 0)});
          break;
        }
      }
    }
  }
  return best;
}

std::string describe_stages(const std::vector<CascadeStage>& stages) {
  std::string text;
  for (size_t k = 0; k < stages.size(); ++k) {
    if (k > 0) text += fmt::format(" <{}> ", stages[k - 1].margin_threshold);
    text += fmt::format("{}", fmt::join(stages[k].bits, ","));
  }
  return text;
}

StagedRun run_staged_cascade(const NetworkProgram& program, const std::vector<CascadeStage>& stages,
                             const DecisionRule& rule, const Codes& input) {
  if (stages.empty()) throw std::invalid_argument("run_staged_cascade: no stages");
  StagedRun run;
  for (size_t k = 0; k < stages.size(); ++k) {
    run.passes.push_back(execute_program(program, input, weighted_map_configs(program, stages[k].bits)));
    if (k + 1 == stages.size() || rule.decide(program, input, run.passes.back().output()).margin >= stages[k].margin_threshold)
      break;
  }
  return run;
}

}  // namespace aps
