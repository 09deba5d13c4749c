#pragma once
// ONNX QuantizeLinear / DequantizeLinear on single values: the model-edge
// conversions between float and 8-bit codes. ONNX semantics: the quotient is
// computed in float32, rounded half to even, the zero point added, and the
// result saturated to the code type.

#include <cstdint>
#include <string_view>

#include "golden/numerics/dtype.hpp"

namespace aps {

// A scale ONNX quantization can use: finite and > 0.
bool is_positive_scale(double scale);
// `scale` if it is one; otherwise InputError "<where>: <what> <scale> is not
// a positive number".
double checked_scale(double scale, std::string_view what, std::string_view where);
// A scale that only dequantizes (DequantizeLinear, a QLinear op's weight
// scale) may also be 0: a quantizer writes 0 for a channel whose weights are
// all 0, and every value it gives is then 0. Otherwise InputError "<where>:
// <what> <scale> is not a number >= 0".
double checked_dequantize_scale(double scale, std::string_view what, std::string_view where);

// q = saturate(round_half_to_even(fl32(x / scale)) + zero_point) into `type`
// (uint8, int8, or int32 for bias-like tensors). scale must be > 0.
int64_t quantize_linear(double x, float scale, int64_t zero_point, DType type);

// x = fl32(fl32(q - zero_point) * scale)
double dequantize_linear(int64_t q, float scale, int64_t zero_point);

// An 8-bit code (or zero point) of `type` as the accelerator holds it, in
// uint8: int8 values move up by 128, so q - zero_point is unchanged.
inline int64_t canonical_uint8(int64_t q, DType type) { return type == DType::Int8 ? q + 128 : q; }

// Requantization of the ONNX QLinear* ops (QLinearMatMul, QLinearConv), as
// ONNX Runtime computes it, in float32:
//   m = fl32(fl32(scale_a * scale_b) / scale_y)
//   y = saturate(round_half_to_even(fl32(fl32(acc) * m)) + zero_point_y)
// This is the ONNX path. The accelerator path requantizes with integers
// (golden/numerics/requantize.hpp); the two agree except on rare near-ties.
float qlinear_multiplier(float scale_a, float scale_b, float scale_y);
int64_t qlinear_requantize(int64_t acc, float multiplier, int64_t zero_point, DType type);

}  // namespace aps
