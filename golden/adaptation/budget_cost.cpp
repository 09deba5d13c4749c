#include "golden/adaptation/budget_cost.hpp"

#include <cmath>
#include <optional>
#include <fmt/format.h>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/energy_model.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/errors.hpp"

namespace aps {
namespace {

constexpr const char* kNames[] = {"bit-macs", "traffic", "energy"};

// A layer's cost at integer width `bits`, unrounded.
struct CostModel {
  const NetworkProgram& base;
  BudgetMetric metric;
  std::optional<Platform> platform;  // traffic and energy: the base program's schedule
  CostModel(const NetworkProgram& p, BudgetMetric m) : base(p), metric(m) {
    if (m != BudgetMetric::BitMacs) platform = make_platform(p, HardwareLimits{}, MemoryTiming{});
  }
  double operator()(int layer, int bits) const {
    const auto step = static_cast<size_t>(layer);
    switch (metric) {
      case BudgetMetric::BitMacs: return static_cast<double>(base.layers[step].macs()) * bits;
      case BudgetMetric::Traffic:
        return static_cast<double>(step_timing(base, step, static_config(bits), *platform).beats) * platform->array().rows;
      case BudgetMetric::Energy: return step_energy_pj(base, step, static_config(bits), *platform);
    }
    return 0;
  }
};

}  // namespace

BudgetMetric parse_budget_metric(const std::string& text) {
  for (int i = 0; i < 3; ++i)
    if (text == kNames[i]) return static_cast<BudgetMetric>(i);
  throw InputError(fmt::format("budget metric '{}': use bit-macs, traffic or energy", text));
}

std::string_view budget_metric_name(BudgetMetric m) { return kNames[static_cast<int>(m)]; }

std::vector<std::vector<uint32_t>> layer_costs(const NetworkProgram& base, const std::vector<int>& widths,
                                               BudgetMetric metric) {
  const CostModel cost(base, metric);
  std::vector<std::vector<uint32_t>> out;
  for (int l : weighted_layers(base)) {
    std::vector<uint32_t> row;
    for (int b : widths) {
      const double c = std::llround(cost(l, b));
      if (c > 0xffffffff)
        throw InputError(fmt::format("{}: layer '{}' costs {:.0f} ({}) at {} bits, more than the PCU table's 32 bits hold",
                                     base.source, base.layers[l].name, c, budget_metric_name(metric), b));
      row.push_back(static_cast<uint32_t>(c));
    }
    out.push_back(std::move(row));
  }
  return out;
}

uint64_t uniform_budget(const NetworkProgram& base, double bits, BudgetMetric metric) {
  if (metric == BudgetMetric::BitMacs) return static_cast<uint64_t>(std::llround(bits * static_cast<double>(base.total_macs())));
  const CostModel cost(base, metric);
  const int lo = static_cast<int>(std::floor(bits));
  const int hi = static_cast<int>(std::ceil(bits));
  const double t = bits - lo;
  double sum = 0;
  for (int l : weighted_layers(base)) sum += t == 0 ? cost(l, lo) : (1 - t) * cost(l, lo) + t * cost(l, hi);
  return static_cast<uint64_t>(std::llround(sum));
}

}  // namespace aps
