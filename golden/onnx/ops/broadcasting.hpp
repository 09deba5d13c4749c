#pragma once
// Numpy-style (multidirectional) broadcasting, and the opset < 7 legacy form
// (broadcast=1 with an optional axis) that old PyTorch exports still use.

#include <string_view>
#include <vector>

#include "golden/onnx/op_registry.hpp"
#include "golden/numerics/tensor.hpp"

namespace aps {

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view label);

// For every element of `out` (row-major), the offset of the element of a
// tensor of shape `in` that broadcasts onto it.
std::vector<int64_t> broadcast_offsets(const Shape& out, const Shape& in);

// The second operand of a binary op reshaped for the legacy broadcast rules
// when the node asks for them (opset < 7, broadcast=1); otherwise unchanged.
Tensor legacy_broadcast_operand(const OpContext& ctx, const Tensor& a, const Tensor& b);

// PRelu's slope shape as it broadcasts onto x: before opset 7 a 1-D slope of
// x's channel count is one slope per channel (as PyTorch's exporter wrote it
// then), otherwise numpy-style towards x's shape.
Shape prelu_slope_shape(const Shape& x, const Shape& slope, int opset);

// InputError naming the node unless a and b have one element type.
void check_same_type(const OpContext& ctx, const Tensor& a, const Tensor& b);
// Normalizes a possibly negative axis against `rank`; InputError if out of range.
int normalize_axis(int64_t axis, int rank, std::string_view label);

}  // namespace aps
