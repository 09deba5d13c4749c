// QuantizeLinear, DequantizeLinear (per tensor and per axis; also ONNX
// Runtime's com.microsoft copies) and DynamicQuantizeLinear, with ONNX semantics (golden/numerics/quantize_linear.hpp).

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/quantization.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/rounding.hpp"

namespace aps {
namespace {

// onnx.TensorProto.DataType codes the attributes name.
constexpr int64_t kOnnxFloat = 1, kOnnxUInt8 = 2, kOnnxInt8 = 3;

void refuse_blocks(const OpContext& ctx) {
  if (ctx.attrs.get_int("block_size", 0) != 0)
    throw UnsupportedError(fmt::format("{}: blocked quantization (block_size {}) is not supported", ctx.label(),
                                       ctx.attrs.get_int("block_size", 0)));
}

// Which scale / zero point applies to element i: one for the whole tensor,
// or one per index along `axis` (opset >= 13).
struct QuantAxis {
  int64_t count = 1;  // 1 = per tensor
  int64_t inner = 1;
  int64_t index(int64_t i) const { return count == 1 ? 0 : (i / inner) % count; }
};

QuantAxis quant_axis(const OpContext& ctx, const Tensor& x, const Tensor& scale, const Tensor* zp, bool dequantize) {
  if (scale.rank() > 1)
    throw InputError(fmt::format("{}: scale must be a scalar or a 1-D tensor, got {}", ctx.label(),
                                 shape_string(scale.shape())));
  if (zp && zp->size() != scale.size())
    throw InputError(fmt::format("{}: zero point has {} values, scale has {}", ctx.label(), zp->size(), scale.size()));
  for (int64_t i = 0; i < scale.size(); ++i)
    dequantize ? checked_dequantize_scale(scale.value(i), "scale", ctx.label())
               : checked_scale(scale.value(i), "scale", ctx.label());
  QuantAxis q;
  if (scale.size() == 1) return q;  // per tensor, whether stored as a scalar or as [1]
  if (ctx.opset < 13 && scale.size() != 1)
    throw InputError(fmt::format("{}: per-axis scales need opset 13", ctx.label()));
  const int axis = normalize_axis(ctx.attrs.get_int("axis", 1), x.rank(), ctx.label());
  if (scale.size() != x.shape()[axis])
    throw InputError(fmt::format("{}: {} scales for axis {} of size {}", ctx.label(), scale.size(), axis,
                                 x.shape()[axis]));
  q.count = scale.size();
  for (int d = axis + 1; d < x.rank(); ++d) q.inner *= x.shape()[d];
  return q;
}

std::vector<Tensor> quantize(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const DType out_type = quantize_output_type(ctx, zp);
  const QuantAxis axis = quant_axis(ctx, x, scale, zp, false);
  Tensor y(out_type, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t k = axis.index(i);
    y.ints()[i] = quantize_linear(x.value(i), static_cast<float>(scale.value(k)), zp ? zp->ints()[k] : 0, out_type);
  }
  return {y};
}

std::vector<Tensor> dequantize(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  check_dequantize_attributes(ctx);
  if (x.floating()) throw InputError(fmt::format("{}: DequantizeLinear input must be integral", ctx.label()));
  if (zp && zp->dtype() != x.dtype())
    throw InputError(fmt::format("{}: zero point type {} differs from input type {}", ctx.label(),
                                 dtype_name(zp->dtype()), dtype_name(x.dtype())));
  if (x.dtype() == DType::Int32 && zp)
    for (int64_t v : zp->ints())
      if (v != 0) throw InputError(fmt::format("{}: an int32 input needs zero point 0", ctx.label()));
  const QuantAxis axis = quant_axis(ctx, x, scale, zp, true);
  // The output has the scale's type (float16 from opset 19): computed in
  // float32, then rounded to it, as the reference implementation does.
  const DType type = scale.dtype() == DType::Float16 ? DType::Float16 : DType::Float;
  Tensor y(type, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t k = axis.index(i);
    y.reals()[i] = round_to_float_type(
        dequantize_linear(x.ints()[i], static_cast<float>(scale.value(k)), zp ? zp->ints()[k] : 0), type);
  }
  return {y};
}

// ONNX DynamicQuantizeLinear, every step in float32 as the spec writes it.
std::vector<Tensor> dynamic_quantize(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::Float) throw InputError(fmt::format("{}: input must be float32", ctx.label()));
  float lo = 0.0f, hi = 0.0f;
  for (double v : x.reals()) {
    lo = std::min(lo, static_cast<float>(v));
    hi = std::max(hi, static_cast<float>(v));
  }
  const float scale = (hi - lo) / 255.0f;
  int64_t zero_point = 0;
  if (scale > 0.0f) {
    const float intermediate = 0.0f - lo / scale;
    zero_point = static_cast<int64_t>(round_half_to_even(std::clamp(intermediate, 0.0f, 255.0f)));
  }
  Tensor y(DType::UInt8, x.shape());
  for (int64_t i = 0; i < x.size(); ++i)
    y.ints()[i] = scale > 0.0f ? quantize_linear(x.reals()[i], scale, zero_point, DType::UInt8) : zero_point;
  return {y, Tensor::scalar_real(DType::Float, scale), Tensor::scalar_int(DType::UInt8, zero_point)};
}

// ONNX Runtime's com.microsoft QuantizeLinear and DequantizeLinear (its
// quantizer writes them with UseQDQContribOps): the standard ops' formula,
// with per-axis scales whatever the model's default-domain opset.
template <std::vector<Tensor> (*kernel)(const OpContext&)>
std::vector<Tensor> contrib(const OpContext& ctx) {
  OpContext at_13 = ctx;
  at_13.opset = std::max<int64_t>(ctx.opset, 13);
  return kernel(at_13);
}

}  // namespace

DType quantize_output_type(const OpContext& ctx, const Tensor* zero_point) {
  refuse_blocks(ctx);
  const int64_t precision = ctx.attrs.get_int("precision", 0);
  if (precision != 0 && precision != kOnnxFloat)
    throw UnsupportedError(fmt::format("{}: precision {} is not supported (float32 is)", ctx.label(),
                                       element_type_name(static_cast<int32_t>(precision))));
  const int64_t output = ctx.attrs.get_int("output_dtype", 0);
  const DType named = output == kOnnxUInt8 ? DType::UInt8 : output == kOnnxInt8 ? DType::Int8 : DType::Undefined;
  if (output != 0 && named == DType::Undefined)
    throw UnsupportedError(fmt::format("{}: output_dtype {} is not supported (uint8 and int8 are)", ctx.label(),
                                       element_type_name(static_cast<int32_t>(output))));
  if (zero_point && output != 0 && zero_point->dtype() != named)
    throw InputError(fmt::format("{}: output_dtype {} contradicts the zero point's type {}", ctx.label(),
                                 dtype_name(named), dtype_name(zero_point->dtype())));
  const DType type = zero_point ? zero_point->dtype() : output != 0 ? named : DType::UInt8;
  if (type != DType::UInt8 && type != DType::Int8)
    throw UnsupportedError(fmt::format("{}: quantizing to {} is not supported", ctx.label(), dtype_name(type)));
  return type;
}

void check_dequantize_attributes(const OpContext& ctx) {
  refuse_blocks(ctx);
  const int64_t output = ctx.attrs.get_int("output_dtype", 0);
  if (output != 0 && output != kOnnxFloat)
    throw UnsupportedError(fmt::format("{}: output_dtype {} is not supported (float32 is)", ctx.label(),
                                       element_type_name(static_cast<int32_t>(output))));
}

void register_quantization_ops(OpTable& t) {
  t.push_back({"QuantizeLinear", {quantize, 10}});
  t.push_back({"DequantizeLinear", {dequantize, 10}});
  t.push_back({"DynamicQuantizeLinear", {dynamic_quantize, 11}});
  t.push_back({op_key("com.microsoft", "QuantizeLinear"), {contrib<quantize>, 10}});
  t.push_back({op_key("com.microsoft", "DequantizeLinear"), {contrib<dequantize>, 10}});
}

}  // namespace aps
