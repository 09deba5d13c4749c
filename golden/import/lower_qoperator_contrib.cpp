// ONNX Runtime's quantized contrib ops (com.microsoft) between QOperator
// layers, as its quantizer and the ONNX model zoo's int8 models write them:
// QLinearAdd (a residual Add of two quantized maps, or a constant per
// channel), QLinearAveragePool / QLinearGlobalAveragePool and
// QLinearLeakyRelu. Codes in, codes out; QGemm is lower_qlinear's.

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/onnx/node_attributes.hpp"

namespace aps::import {

// Input `i` of `node`, a scale or zero point: nullptr when left out (a zero
// point then reads 0), refused when not a constant.
const Tensor* ProgramBuilder::param(const onnx::NodeProto& node, int i) const {
  if (node.input_size() <= i || node.input(i).empty()) return nullptr;
  const Tensor* t = constant(node.input(i));
  if (!t) unsupported(node, "scales and zero points must be constants");
  return t;
}

// The quantization whose scale is input `scale` of `node` and whose zero
// point, if given, is the next input, for codes of `type`.
ActivationQuant ProgramBuilder::quant_inputs(const onnx::NodeProto& node, int scale, DType type) const {
  return activation_quant(node, param(node, scale), param(node, scale + 1), type);
}

// ONNX Runtime's QLinearAdd takes A and B (and gives C) of one code type.
void ProgramBuilder::check_one_code_type(const onnx::NodeProto& node, DType a, DType b) const {
  if (a != b)
    throw InputError(fmt::format("{}: A holds {} codes and B {}; QLinearAdd's A, B and C have one type",
                                 context(node).label(), dtype_name(a), dtype_name(b)));
}

// Inputs A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale,
// C_zero_point (zero points optional).
void ProgramBuilder::lower_qlinear_add(const onnx::NodeProto& node) {
  const bool a_constant = constant(node.input(0)) != nullptr, b_constant = constant(node.input(3)) != nullptr;
  if (a_constant != b_constant) return lower_qlinear_bias_add(node, b_constant ? 0 : 3, b_constant ? 3 : 0);
  if (a_constant) unsupported(node, "adds two constants");
  const DType type = codes_dtype(node.input(0));
  const ActView a = act(node.input(0), node);
  const ActView b = act(node.input(3), node);
  if (!a.codes || !b.codes) unsupported(node, "expects quantized codes");
  check_one_code_type(node, type, codes_dtype(node.input(3)));
  if (!(quant_inputs(node, 1, type) == a.q) || !(quant_inputs(node, 4, type) == b.q))
    unsupported(node, "input scale/zero point differ from the producer's");
  PendingLayer p = residual_add(node, a, b);
  finalize_codes(node.output(0), std::move(p), quant_inputs(node, 6, type));
}

// A QLinearAdd of a constant: one value per channel added to a quantized
// map (the ONNX model zoo's mnist-12-int8 writes its biases so), a layer of
// its own (constant_add_layer) requantized once, to C, as ONNX Runtime does.
void ProgramBuilder::lower_qlinear_bias_add(const onnx::NodeProto& node, int layer_input, int constant_input) {
  const std::string& x = node.input(layer_input);
  const ActView in = act(x, node);
  if (!in.codes) unsupported(node, "expects quantized codes");
  const DType type = codes_dtype(x);
  if (!(quant_inputs(node, layer_input + 1, type) == in.q))
    unsupported(node, "input scale/zero point differ from the producer's");
  const Tensor& codes = *constant(node.input(constant_input));
  const Tensor* scale = param(node, constant_input + 1);
  const Tensor* zp = param(node, constant_input + 2);
  if (!scale || scale->size() != 1 || (zp && zp->size() != 1) ||
      (codes.dtype() != DType::UInt8 && codes.dtype() != DType::Int8))
    unsupported(node, "the constant must be uint8 or int8 codes with one scale and zero point");
  check_one_code_type(node, layer_input == 0 ? type : codes.dtype(), layer_input == 0 ? codes.dtype() : type);
  const QuantConst constant{codes, {scale->value(0)}, {zp ? zp->ints()[0] : 0}};
  finalize_codes(node.output(0), constant_add_layer(node, in, codes, constant.values()), quant_inputs(node, 6, type));
}

// Inputs X, x_scale, x_zero_point, y_scale, y_zero_point; the window as
// AveragePool's or GlobalAveragePool's.
void ProgramBuilder::lower_qlinear_average_pool(const onnx::NodeProto& node) {
  if (context(node).attrs.get_int("channels_last", 0) != 0)
    unsupported(node, "channels_last pooling (an NHWC layout the accelerator's maps do not have)");
  const ActView in = act(node.input(0), node, true);
  if (!in.feature_map() || !in.codes)
    unsupported(node, "average pooling needs quantized codes of an [N,C,H,W] or [N,C,L] map");
  const DType type = codes_dtype(node.input(0));
  if (!(quant_inputs(node, 1, type) == in.q))
    unsupported(node, "input scale/zero point differ from the producer's");
  PendingLayer p = new_layer(node, LayerKind::AveragePool, in);
  average_pool_window(p, node, in);
  finalize_codes(node.output(0), std::move(p), quant_inputs(node, 3, type));
}

// Inputs X, X_scale, X_zero_point, Y_scale, Y_zero_point; attribute alpha:
// a requantizing layer from X's grid to Y's with the slope
// (lower_negative_slope.cpp), as ONNX Runtime's kernel computes it.
void ProgramBuilder::lower_qlinear_leaky_relu(const onnx::NodeProto& node) {
  const ActView in = act(node.input(0), node);
  if (!in.codes) unsupported(node, "expects quantized codes");
  const DType type = codes_dtype(node.input(0));
  if (!(quant_inputs(node, 1, type) == in.q)) unsupported(node, "input scale/zero point differ from the producer's");
  PendingLayer p = requantizing_layer(node, in);
  p.layer.negative_slopes = channel_slopes(node, in.dims, in.order, in.stored);
  finalize_codes(node.output(0), std::move(p), quant_inputs(node, 3, type));
}

}  // namespace aps::import
