#pragma once
// Pad's widths, read as the interpreter reads them, for the importer too.

#include <cstdint>
#include <vector>

#include "golden/onnx/op_registry.hpp"

namespace aps {

// [begin..., end...] over every axis of a rank-`rank` input: the pads
// attribute before opset 11, the pads input from 11 on, over the axes input's
// axes from 18 (the others 0). InputError naming the node when malformed.
std::vector<int64_t> pad_widths(const OpContext& ctx, int rank);

// The constant of constant padding as one element of the data's type: the
// value attribute before opset 11 (cast), the constant_value input from 11
// on (which must have that type), 0 when absent.
Tensor pad_constant(const OpContext& ctx, DType type);

}  // namespace aps
