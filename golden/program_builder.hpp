#pragma once
// Lowers an ONNX model onto the network program (golden/network_program.hpp).
//
// Three kinds of model are understood:
//  * QDQ (as onnxruntime's static quantizer writes them): QuantizeLinear /
//    DequantizeLinear pairs around float Gemm / MatMul / Conv / Relu /
//    MaxPool / Flatten; the model's own scales and zero points are kept.
//  * QOperator: QuantizeLinear -> QLinearMatMul / QLinearConv / MaxPool on
//    codes -> DequantizeLinear; the model's own scales and zero points are
//    kept.
//  * float: the builder quantizes it, activations uint8 asymmetric from
//    min-max ranges over a calibration batch (the range always includes 0),
//    weights int8 symmetric per output channel, bias int32 at scale
//    s_in * s_w. This is the same recipe tools/make_digits_models.py uses
//    for the bundled QDQ models.
// Anything else is an UnsupportedError naming the node and why.

#include <optional>

#include "golden/network_program.hpp"
#include "golden/onnx_model.hpp"

namespace aps {

enum class ModelFormat { Float, Qdq, QOperator };
std::string_view model_format_name(ModelFormat f);
ModelFormat detect_model_format(const OnnxModel& model);

// `calibration` (a batch of inputs for the model's single input) is needed
// for float models only; InputError if a float model comes without it.
NetworkProgram build_program(const OnnxModel& model, const Tensor* calibration = nullptr);

// The activation quantization of a real range [lo, hi] (extended to include
// 0): scale = fl32((hi - lo) / 255), zero point = round(-lo / scale).
ActivationQuant activation_quant_from_range(double lo, double hi);

}  // namespace aps
