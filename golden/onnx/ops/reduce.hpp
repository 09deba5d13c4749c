#pragma once
// What the reductions' kernels, MeanVarianceNormalization and the batch
// runner read.

#include <cstdint>
#include <string_view>
#include <vector>

#include "golden/numerics/tensor.hpp"

namespace aps {

// From this default-domain opset a reduction takes its axes as input 1
// instead of its `axes` attribute: 13 for ReduceSum, 18 for the others.
int64_t reduce_axes_input_opset(std::string_view op_type);

// For every element of a tensor of `shape` (row-major), its position in
// `shape` with the `reduced` axes collapsed to 1: where a reduction over
// those axes puts it (the Reduce ops, MeanVarianceNormalization's groups).
std::vector<int64_t> kept_positions(const Shape& shape, const std::vector<bool>& reduced);

}  // namespace aps
