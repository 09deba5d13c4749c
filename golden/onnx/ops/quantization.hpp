#pragma once
// What QuantizeLinear and DequantizeLinear's later attributes ask for, for
// the kernels (quantization.cpp) and the importer alike: opset 21's
// block_size and output_dtype, opset 23's precision and DequantizeLinear
// output_dtype. Blocked quantization and arithmetic other than float32 are
// refused, naming the node.

#include "golden/numerics/tensor.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {

// The element type a QuantizeLinear writes: its zero point's, else its
// output_dtype, else uint8. Refuses a type other than uint8 or int8, an
// output_dtype the zero point contradicts, block_size and precision.
DType quantize_output_type(const OpContext& ctx, const Tensor* zero_point);

// Refuses what DequantizeLinear's kernel does not compute: block_size, an
// output_dtype other than float32.
void check_dequantize_attributes(const OpContext& ctx);

}  // namespace aps
