#pragma once
// Lowers an ONNX model onto the network program (golden/accelerator/network_program.hpp).
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
//  * partly quantized (QDQ or QOperator, TensorRT-style: Q/DQ on the layers'
//    inputs and weights, a layer's result read float by a residual Add or a
//    pooling, float logits): the model's own parameters where it gives them,
//    and a float model's calibration ranges for the values it leaves float.
// Anything else is an UnsupportedError naming the node and why.

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "golden/accelerator/network_program.hpp"
#include "golden/errors.hpp"
#include "golden/onnx/onnx_model.hpp"

namespace aps {

// A quantized model that leaves a value float where the accelerator stores
// codes, built without the calibration ranges that would quantize it.
class PartlyQuantizedError : public UnsupportedError {
 public:
  using UnsupportedError::UnsupportedError;
};

enum class ModelFormat { Float, Qdq, QOperator };
std::string_view model_format_name(ModelFormat f);
// The form in which the accelerator's tools take the model. UnsupportedError
// naming the node for a model quantized at run time (DynamicQuantizeLinear,
// MatMulInteger, ConvInteger), which has none: the accelerator needs activation
// scales fixed before it runs; and for an input that fixes a batch above 1
// (an exporter's dummy batch: its shapes are baked into the graph), as the
// accelerator runs one sample at a time; and for a model with more inputs
// than the one the tools feed. Every tool asks this first, so such
// a model is refused before it is sent to make calibration data for nothing.
ModelFormat detect_model_format(const OnnxModel& model);

// Real range [lo, hi] of each float tensor of a model, by name; [NaN, NaN]
// for one that is NaN anywhere on the data, which the builder refuses by
// name if the accelerator must quantize it.
using ActivationRanges = std::map<std::string, std::pair<double, double>>;

// How calibration turns observed values into a range:
//   MinMax      the smallest and largest value seen;
//   Percentile  the 0.01th and 99.99th percentiles (outliers clipped);
//   Mse         the clipping of [min, max] that minimizes the mean squared
//               quantization error of the observed values (searched over
//               the shrink factors 0.30, 0.31, ..., 1; the values of each
//               of 4096 bins of [min, max] taken to share one code).
// Each is streamed over the data, pass after pass, in memory that does not
// grow with it; the percentiles are exact (streamed_order_statistics.hpp).
enum class RangeMethod { MinMax, Percentile, Mse };
std::string_view range_method_name(RangeMethod m);
RangeMethod parse_range_method(const std::string& text);  // InputError on anything else

// Ranges of every float tensor over a calibration batch.
ActivationRanges activation_ranges(const OnnxModel& model, const Tensor& calibration, RangeMethod method);

// The program of a fully quantized model, built without activation ranges;
// for a model that needs them, why (a float model; a partly quantized one:
// the PartlyQuantizedError naming the first value it leaves float).
std::variant<NetworkProgram, std::string> build_without_ranges(const OnnxModel& model);
// build_without_ranges's reason alone (nullopt for a fully quantized model).
std::optional<std::string> why_ranges_needed(const OnnxModel& model);

// `calibration` (a batch of inputs for the model's single input) is needed
// for float and partly quantized models only, which are quantized with
// min-max ranges; InputError if a float model comes without it,
// PartlyQuantizedError if a partly quantized one does.
NetworkProgram build_program(const OnnxModel& model, const Tensor* calibration = nullptr);
// A float or partly quantized model quantized with given ranges (e.g. from a
// calibration profile); a fully quantized model ignores them.
NetworkProgram build_program(const OnnxModel& model, const ActivationRanges& ranges);

// The activation quantization of a real range [lo, hi] (extended to include
// 0): scale = fl32((hi - lo) / 255), zero point = round(-lo / scale).
ActivationQuant activation_quant_from_range(double lo, double hi);

}  // namespace aps
