#pragma once
// What the reductions' kernels and the batch runner both read.

#include <cstdint>
#include <string_view>

namespace aps {

// From this default-domain opset a reduction takes its axes as input 1
// instead of its `axes` attribute: 13 for ReduceSum, 18 for the others.
int64_t reduce_axes_input_opset(std::string_view op_type);

}  // namespace aps
