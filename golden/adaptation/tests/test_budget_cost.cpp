// What the budget policy charges each layer at each width.

#include <catch2/catch.hpp>
#include <filesystem>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/adaptation/budget_cost.hpp"
#include "golden/errors.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/numerics/precision_reduction.hpp"

using namespace aps;

namespace {
const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";
}  // namespace

TEST_CASE("bit-MAC costs are MACs x bits, and the budget of a width is their sum", "[budget]") {
  const NetworkProgram p = load_network_program(kModels / "digits_cnn/model_int8.onnx").program;
  const std::vector<int> w = weighted_layers(p);
  const auto costs = layer_costs(p, {2, 4, 8}, BudgetMetric::BitMacs);
  REQUIRE(costs.size() == w.size());
  uint64_t at4 = 0;
  for (size_t j = 0; j < w.size(); ++j) {
    const auto macs = static_cast<uint64_t>(p.layers[w[j]].macs());
    CHECK(costs[j] == std::vector<uint32_t>{static_cast<uint32_t>(2 * macs), static_cast<uint32_t>(4 * macs),
                                             static_cast<uint32_t>(8 * macs)});
    at4 += costs[j][1];
  }
  CHECK(uniform_budget(p, 4, BudgetMetric::BitMacs) == at4);
}

TEST_CASE("traffic costs fall by the weight planes a width does not load", "[budget]") {
  const NetworkProgram p = load_network_program(kModels / "digits_cnn/model_int8.onnx").program;
  const Platform pf = make_platform(p, HardwareLimits{}, MemoryTiming{});
  const std::vector<int> w = weighted_layers(p);
  const auto costs = layer_costs(p, {4, 8}, BudgetMetric::Traffic);
  for (size_t j = 0; j < w.size(); ++j) {
    INFO(p.layers[w[j]].name);
    const LayerGeometry g = layer_geometry(p, static_cast<size_t>(w[j]), pf.array());
    const int64_t plane_bytes = (g.tile_stride - 1) * hw::wgt_plane_beats(pf.array().cols) * pf.array().rows;
    const int64_t dropped = reduction_planes(0) - reduction_planes(default_shift(4));
    CHECK(static_cast<int64_t>(costs[j][1]) - static_cast<int64_t>(costs[j][0]) == g.tiles * dropped * plane_bytes);
  }
  // Between two widths, the budget is linear.
  const uint64_t b4 = uniform_budget(p, 4, BudgetMetric::Traffic), b5 = uniform_budget(p, 5, BudgetMetric::Traffic);
  CHECK(uniform_budget(p, 4.5, BudgetMetric::Traffic) == (b4 + b5 + 1) / 2);
}

TEST_CASE("energy costs fall with width, and unknown metrics are refused", "[budget]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  const auto costs = layer_costs(p, {2, 3, 4, 6, 8}, BudgetMetric::Energy);
  REQUIRE(costs.size() == 3);  // fc1, fc2, fc3
  for (const auto& c : costs) {
    REQUIRE(c.size() == 5);
    for (size_t i = 1; i < c.size(); ++i) CHECK(c[i - 1] < c[i]);
  }
  CHECK(parse_budget_metric("energy") == BudgetMetric::Energy);
  CHECK(budget_metric_name(BudgetMetric::Traffic) == "traffic");
  CHECK_THROWS_WITH(parse_budget_metric("joules"), Catch::Contains("budget metric 'joules'"));
}
