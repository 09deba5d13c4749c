// The activations exporters write beyond Relu, Sigmoid and Clip: LeakyRelu,
// PRelu, Elu, Selu, Celu, ThresholdedRelu, Tanh, Erf (GELU's), HardSigmoid,
// HardSwish, Softplus, Softsign, Gelu, Mish, Shrink, each a map_floats of its
// formula. The accelerator maps none of them; with ONNX semantics a model
// that uses them can still be evaluated.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/float_map.hpp"

namespace aps {
namespace {

double attr(const OpContext& ctx, const char* name, float fallback) { return ctx.attrs.get_float(name, fallback); }

std::vector<Tensor> leaky_relu(const OpContext& ctx) {
  const double alpha = attr(ctx, "alpha", 0.01f);
  return map_floats(ctx, [=](double x) { return x < 0 ? alpha * x : x; });
}

std::vector<Tensor> elu(const OpContext& ctx) {
  const double alpha = attr(ctx, "alpha", 1.0f);
  return map_floats(ctx, [=](double x) { return x < 0 ? alpha * std::expm1(x) : x; });
}

std::vector<Tensor> selu(const OpContext& ctx) {
  const double alpha = attr(ctx, "alpha", 1.67326319217681884765625f);
  const double gamma = attr(ctx, "gamma", 1.05070102214813232421875f);
  return map_floats(ctx, [=](double x) { return gamma * (x <= 0 ? alpha * std::expm1(x) : x); });
}

std::vector<Tensor> celu(const OpContext& ctx) {
  const double alpha = attr(ctx, "alpha", 1.0f);
  return map_floats(ctx, [=](double x) { return std::max(0.0, x) + std::min(0.0, alpha * std::expm1(x / alpha)); });
}

std::vector<Tensor> thresholded_relu(const OpContext& ctx) {
  const double alpha = attr(ctx, "alpha", 1.0f);
  return map_floats(ctx, [=](double x) { return x > alpha ? x : 0.0; });
}

std::vector<Tensor> hard_sigmoid(const OpContext& ctx) {
  const double alpha = attr(ctx, "alpha", 0.2f), beta = attr(ctx, "beta", 0.5f);
  return map_floats(ctx, [=](double x) { return std::clamp(alpha * x + beta, 0.0, 1.0); });
}

std::vector<Tensor> hard_swish(const OpContext& ctx) {
  // HardSigmoid with alpha 1/6 and beta 1/2 (as float32, as the spec states
  // them), times x.
  const double alpha = 1.0f / 6.0f;
  return map_floats(ctx, [=](double x) { return x * std::clamp(alpha * x + 0.5, 0.0, 1.0); });
}

std::vector<Tensor> tanh_op(const OpContext& ctx) {
  return map_floats(ctx, [](double x) { return std::tanh(x); });
}

std::vector<Tensor> erf_op(const OpContext& ctx) {
  return map_floats(ctx, [](double x) { return std::erf(x); });
}

std::vector<Tensor> softplus(const OpContext& ctx) {
  return map_floats(ctx, [](double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); });
}

std::vector<Tensor> softsign(const OpContext& ctx) {
  return map_floats(ctx, [](double x) { return x / (1 + std::fabs(x)); });
}

// Gelu (opset 20): x * Phi(x), or its tanh approximation.
std::vector<Tensor> gelu(const OpContext& ctx) {
  const std::string approximate = ctx.attrs.get_string("approximate", "none");
  if (approximate == "tanh") {
    const double k = std::sqrt(2.0 / M_PI);
    return map_floats(ctx, [=](double x) { return 0.5 * x * (1 + std::tanh(k * (x + 0.044715 * x * x * x))); });
  }
  if (approximate != "none")
    throw InputError(fmt::format("{}: approximate '{}' is not one of none, tanh", ctx.label(), approximate));
  return map_floats(ctx, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); });
}

std::vector<Tensor> mish(const OpContext& ctx) {
  return map_floats(ctx, [](double x) {
    const double softplus = x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    return x * std::tanh(softplus);
  });
}

std::vector<Tensor> shrink(const OpContext& ctx) {
  const double lambd = attr(ctx, "lambd", 0.5f), bias = attr(ctx, "bias", 0.0f);
  return map_floats(ctx, [=](double x) { return x < -lambd ? x + bias : x > lambd ? x - bias : 0.0; });
}

// PRelu: the slope broadcasts onto x (prelu_slope_shape).
std::vector<Tensor> prelu(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor slope = ctx.input(1).reshaped(prelu_slope_shape(x.shape(), ctx.input(1).shape(), ctx.opset));
  if (!x.floating() || slope.dtype() != x.dtype())
    throw InputError(fmt::format("{}: PRelu needs floating x and slope of one type ({} and {})", ctx.label(),
                                 dtype_name(x.dtype()), dtype_name(slope.dtype())));
  if (broadcast_shapes(x.shape(), slope.shape(), ctx.label()) != x.shape())
    throw InputError(fmt::format("{}: slope {} does not broadcast onto x {}", ctx.label(), shape_string(slope.shape()),
                                 shape_string(x.shape())));
  const auto at = broadcast_offsets(x.shape(), slope.shape());
  Tensor y = x;
  for (size_t k = 0; k < at.size(); ++k) {
    const double v = x.reals()[k];
    y.reals()[k] = v < 0 ? round_to_float_type(slope.reals()[at[k]] * v, y.dtype()) : v;
  }
  return {y};
}

}  // namespace

void register_activation_ops(OpTable& t) {
  t.push_back({"LeakyRelu", {leaky_relu, 6}});
  t.push_back({"PRelu", {prelu, 6}});
  t.push_back({"Elu", {elu, 6}});
  t.push_back({"Selu", {selu, 6}});
  t.push_back({"Celu", {celu, 12}});
  t.push_back({"ThresholdedRelu", {thresholded_relu, 10}});
  t.push_back({"HardSigmoid", {hard_sigmoid, 6}});
  t.push_back({"HardSwish", {hard_swish, 14}});
  t.push_back({"Tanh", {tanh_op, 6}});
  t.push_back({"Erf", {erf_op, 9}});
  t.push_back({"Softplus", {softplus, 1}});
  t.push_back({"Softsign", {softsign, 1}});
  t.push_back({"Gelu", {gelu, 20}});
  t.push_back({"Mish", {mish, 18}});
  t.push_back({"Shrink", {shrink, 9}});
}

}  // namespace aps
