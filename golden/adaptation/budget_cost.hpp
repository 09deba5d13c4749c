#pragma once
// What the budget policy counts. The PCU's table holds each slot's cost at
// every candidate width and at 8 bits, and the budget caps their sum
// (rtl/aps_pcu.sv, golden/accelerator/pcu.hpp); the unit is the host's
// choice:
//   bit-macs  MACs x bits (compute);
//   traffic   the layer's memory-port bytes (weights load only the planes a
//             width reads);
//   energy    the layer's estimated energy in pJ
//             (golden/accelerator/energy_model.hpp).
// Costs of traffic and energy are the layer's step in the base program on
// the default build and memory, at the width's default shifts (adaptive
// scaling may read one more activation plane than charged).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "golden/accelerator/network_program.hpp"

namespace aps {

enum class BudgetMetric { BitMacs, Traffic, Energy };

BudgetMetric parse_budget_metric(const std::string& text);
std::string_view budget_metric_name(BudgetMetric m);

// Per layer with weights of `base`: its cost at each of `widths`, in the
// metric's unit (rounded to integers, as the PCU holds them). InputError
// when a cost does not fit the table's 32 bits.
std::vector<std::vector<uint32_t>> layer_costs(const NetworkProgram& base, const std::vector<int>& widths,
                                               BudgetMetric metric);

// The budget that allows `bits` everywhere: the sum of the layers' costs at
// that width, linear between the two integer widths around a fractional one.
uint64_t uniform_budget(const NetworkProgram& base, double bits, BudgetMetric metric);

}  // namespace aps
