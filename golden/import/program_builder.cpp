#include "golden/import/program_builder.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

#include "golden/errors.hpp"
#include "golden/import/builder.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/rounding.hpp"

namespace aps {

std::string_view model_format_name(ModelFormat f) {
  switch (f) {
    case ModelFormat::Float: return "float";
    case ModelFormat::Qdq: return "QDQ";
    case ModelFormat::QOperator: return "QOperator";
  }
  return "?";
}

ModelFormat detect_model_format(const OnnxModel& model) {
  bool qdq = false, qoperator = false;
  for (const auto* n : model.nodes()) {
    const std::string& op = n->op_type();
    if (op == "DynamicQuantizeLinear" || op == "MatMulInteger" || op == "ConvInteger")
      throw UnsupportedError(fmt::format("{}: the model is quantized at run time, which the accelerator cannot do (it "
                                         "needs activation scales fixed before it runs): give the float model, or a "
                                         "statically quantized one (QDQ or QOperator)",
                                         model.node_label(*n)));
    qoperator = qoperator || op == "QLinearMatMul" || op == "QLinearConv" || op == "QGemm" || op == "QLinearAdd" ||
                op == "QLinearAveragePool" || op == "QLinearGlobalAveragePool" || op == "QLinearLeakyRelu";
    qdq = qdq || op == "QuantizeLinear" || op == "DequantizeLinear";
  }
  if (model.inputs().size() != 1) {
    std::vector<std::string> names;
    for (const ValueInfo& in : model.inputs()) names.push_back("'" + in.name + "'");
    throw UnsupportedError(fmt::format("{}: the accelerator runs models with one input, and this one takes {}: {} (a "
                                       "model exported without its parameters takes its weights as inputs)",
                                       model.source(), names.size(), fmt::join(names, ", ")));
  }
  for (const ValueInfo& in : model.inputs())
    if (in.has_shape && !in.dims.empty() && in.dims[0] && *in.dims[0] != 1)
      throw UnsupportedError(fmt::format("{}: input '{}' fixes its batch at {}, and the accelerator runs one sample at "
                                         "a time: export the model with a batch of 1 or a dynamic batch dimension",
                                         model.source(), in.name, *in.dims[0]));
  return qoperator ? ModelFormat::QOperator : qdq ? ModelFormat::Qdq : ModelFormat::Float;
}

ActivationQuant activation_quant_from_range(double lo, double hi) {
  // An infinite end would make the zero point inf / inf = NaN, and NaN ->
  // int32 is undefined.
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw InputError(fmt::format("activation range [{}, {}] is not finite", lo, hi));
  lo = std::min(0.0, lo);
  hi = std::max(0.0, hi);
  ActivationQuant q;
  q.scale = static_cast<float>((hi - lo) / 255.0);
  if (q.scale == 0) q.scale = 1.0;
  q.zero_point = static_cast<int32_t>(std::clamp(round_half_to_even(-lo / q.scale), 0.0, 255.0));
  return q;
}

std::variant<NetworkProgram, std::string> build_without_ranges(const OnnxModel& model) {
  if (detect_model_format(model) == ModelFormat::Float)
    return fmt::format("{}: a float model needs calibration data (--calibration DIR)", model.source());
  try {
    return import::ProgramBuilder(model, nullptr).build();
  } catch (const PartlyQuantizedError& e) {
    return std::string(e.what());
  }
}

std::optional<std::string> why_ranges_needed(const OnnxModel& model) {
  auto built = build_without_ranges(model);
  if (auto* why = std::get_if<std::string>(&built)) return std::move(*why);
  return std::nullopt;
}

NetworkProgram build_program(const OnnxModel& model, const Tensor* calibration) {
  auto built = build_without_ranges(model);
  if (auto* program = std::get_if<NetworkProgram>(&built)) return std::move(*program);
  if (!calibration) return import::ProgramBuilder(model, nullptr).build();  // refused, naming why
  return build_program(model, activation_ranges(model, *calibration, RangeMethod::MinMax));
}

NetworkProgram build_program(const OnnxModel& model, const ActivationRanges& ranges) {
  return import::ProgramBuilder(model, &ranges).build();
}

}  // namespace aps
