// ONNX Runtime's quantized contrib ops (domain com.microsoft) that its
// QOperator quantizer writes around QLinearConv and QLinearMatMul, and that
// the ONNX model zoo's int8 models hold: QLinearAdd, QLinearAveragePool,
// QLinearGlobalAveragePool and QLinearLeakyRelu. Each is its float op between a dequantization
// and a quantization (ONNX Runtime's contrib-op documentation): the inputs
// are dequantized in float32, the float kernel runs, and the result is
// quantized, rounding half to even (golden/numerics/quantize_linear.hpp).
// ONNX Runtime's own kernels (MLAS) use fixed-point scale ratios for
// QLinearAdd and QLinearGlobalAveragePool and can round a value that lies
// exactly on a tie one code the other way. QGemm is in integer_matmul.cpp.

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {
namespace {

// A per-tensor scale and zero point, the form these ops take.
struct TensorQuant {
  float scale = 1.0f;
  int64_t zero_point = 0;
};

TensorQuant tensor_quant(const OpContext& ctx, int scale_input, int zero_point_input, DType codes,
                         const char* name) {
  const Tensor& s = ctx.input(scale_input);
  if (s.dtype() != DType::Float || s.size() != 1)
    throw InputError(fmt::format("{}: {}_scale must be one float32 value", ctx.label(), name));
  TensorQuant q{static_cast<float>(checked_scale(s.reals()[0], fmt::format("{}_scale", name), ctx.label())), 0};
  if (ctx.has_input(zero_point_input)) {
    const Tensor& z = ctx.input(zero_point_input);
    if (z.size() != 1 || z.dtype() != codes)
      throw InputError(fmt::format("{}: {}_zero_point must be one {} value", ctx.label(), name, dtype_name(codes)));
    q.zero_point = z.ints()[0];
  }
  return q;
}

DType codes_type(const OpContext& ctx, const Tensor& t, const char* name) {
  if (t.dtype() != DType::UInt8 && t.dtype() != DType::Int8)
    throw InputError(fmt::format("{}: {} must be uint8 or int8, got {}", ctx.label(), name, dtype_name(t.dtype())));
  return t.dtype();
}

Tensor dequantized(const Tensor& codes, TensorQuant q) {
  Tensor x(DType::Float, codes.shape());
  for (int64_t i = 0; i < codes.size(); ++i)
    x.reals()[i] = static_cast<float>(dequantize_linear(codes.ints()[i], q.scale, q.zero_point));
  return x;
}

Tensor quantized(const Tensor& x, TensorQuant q, DType type) {
  Tensor y(type, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) y.ints()[i] = quantize_linear(x.reals()[i], q.scale, q.zero_point, type);
  return y;
}

// The default-domain kernel `op` on `inputs`, with this node's attributes.
Tensor float_kernel(const OpContext& ctx, const char* op, const std::vector<const Tensor*>& inputs) {
  OpContext inner{ctx.node, ctx.opset, inputs, ctx.attrs};
  return find_op("", op)->kernel(inner).at(0);
}

// C = quantize(dequantize(A) + dequantize(B)), with numpy broadcasting.
std::vector<Tensor> qlinear_add(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  const DType type = codes_type(ctx, a, "A");
  if (b.dtype() != type) throw InputError(fmt::format("{}: A and B must have one type", ctx.label()));
  const Tensor fa = dequantized(a, tensor_quant(ctx, 1, 2, type, "A"));
  const Tensor fb = dequantized(b, tensor_quant(ctx, 4, 5, type, "B"));
  return {quantized(float_kernel(ctx, "Add", {&fa, &fb}), tensor_quant(ctx, 6, 7, type, "C"), type)};
}

// Y = quantize(op(dequantize(X))); inputs X, x_scale, x_zero_point,
// y_scale, y_zero_point.
template <const char* Op>
std::vector<Tensor> qlinear_unary(const OpContext& ctx) {
  if (ctx.attrs.get_int("channels_last", 0) != 0)
    throw UnsupportedError(fmt::format("{}: channels_last pooling is not supported", ctx.label()));
  const Tensor& x = ctx.input(0);
  const DType type = codes_type(ctx, x, "X");
  const Tensor fx = dequantized(x, tensor_quant(ctx, 1, 2, type, "x"));
  return {quantized(float_kernel(ctx, Op, {&fx}), tensor_quant(ctx, 3, 4, type, "y"), type)};
}

constexpr char kAveragePool[] = "AveragePool";
constexpr char kGlobalAveragePool[] = "GlobalAveragePool";
constexpr char kLeakyRelu[] = "LeakyRelu";

}  // namespace

void register_contrib_quantized_ops(OpTable& t) {
  t.push_back({op_key("com.microsoft", "QLinearAdd"), {qlinear_add, 1}});
  t.push_back({op_key("com.microsoft", "QLinearAveragePool"), {qlinear_unary<kAveragePool>, 1}});
  t.push_back({op_key("com.microsoft", "QLinearGlobalAveragePool"), {qlinear_unary<kGlobalAveragePool>, 1}});
  t.push_back({op_key("com.microsoft", "QLinearLeakyRelu"), {qlinear_unary<kLeakyRelu>, 1}});
}

}  // namespace aps
