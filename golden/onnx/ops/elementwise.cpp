// Element-wise ONNX ops: arithmetic with broadcasting, activations (Relu,
// Sigmoid), Clip, variadic Max/Min, Abs, Neg, Exp, Log, Round, Cast, CastLike,
// IsNaN, IsInf, Identity, Constant. The other activations are in activations.cpp.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/float_map.hpp"
#include "golden/numerics/rounding.hpp"
#include "golden/onnx/tensor_proto.hpp"

namespace aps {
namespace {

enum class Arith { Add, Sub, Mul, Div };

Tensor arithmetic(const OpContext& ctx, Arith op) {
  const Tensor& a = ctx.input(0);
  const Tensor b = legacy_broadcast_operand(ctx, a, ctx.input(1));
  check_same_type(ctx, a, b);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), ctx.label());
  const auto ia = broadcast_offsets(out_shape, a.shape());
  const auto ib = broadcast_offsets(out_shape, b.shape());
  Tensor y(a.dtype(), out_shape);
  const int64_t n = y.size();
  if (a.floating()) {
    for (int64_t k = 0; k < n; ++k) {
      const double x = a.reals()[ia[k]], z = b.reals()[ib[k]];
      double r = 0;
      switch (op) {
        case Arith::Add: r = x + z; break;
        case Arith::Sub: r = x - z; break;
        case Arith::Mul: r = x * z; break;
        case Arith::Div: r = x / z; break;
      }
      y.reals()[k] = round_to_float_type(r, y.dtype());
    }
    return y;
  }
  for (int64_t k = 0; k < n; ++k) {
    const int64_t x = a.ints()[ia[k]], z = b.ints()[ib[k]];
    int64_t r = 0;
    switch (op) {
      // Unsigned wrap-around arithmetic, as numpy and ONNX Runtime do.
      case Arith::Add: r = static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(z)); break;
      case Arith::Sub: r = static_cast<int64_t>(static_cast<uint64_t>(x) - static_cast<uint64_t>(z)); break;
      case Arith::Mul: r = static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(z)); break;
      case Arith::Div:
        if (z == 0) throw InputError(fmt::format("{}: integer division by zero", ctx.label()));
        r = (x == std::numeric_limits<int64_t>::min() && z == -1) ? x : x / z;
        break;
    }
    y.ints()[k] = wrap_to_integral_type(r, y.dtype());
  }
  return y;
}

std::vector<Tensor> add(const OpContext& c) { return {arithmetic(c, Arith::Add)}; }
std::vector<Tensor> sub(const OpContext& c) { return {arithmetic(c, Arith::Sub)}; }
std::vector<Tensor> mul(const OpContext& c) { return {arithmetic(c, Arith::Mul)}; }
std::vector<Tensor> div(const OpContext& c) { return {arithmetic(c, Arith::Div)}; }

std::vector<Tensor> relu(const OpContext& ctx) {
  Tensor y = ctx.input(0);
  if (y.floating())
    for (double& v : y.reals()) v = v < 0 ? 0.0 : v;
  else
    for (int64_t& v : y.ints()) v = std::max<int64_t>(v, 0);
  return {y};
}

// Clip: bounds are attributes before opset 11, optional scalar inputs after.
std::vector<Tensor> clip(const OpContext& ctx) {
  Tensor y = ctx.input(0);
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  if (ctx.opset < 11) {
    lo = ctx.attrs.get_float("min", -std::numeric_limits<float>::max());
    hi = ctx.attrs.get_float("max", std::numeric_limits<float>::max());
  } else {
    for (int i : {1, 2}) {
      if (!ctx.has_input(i)) continue;
      const Tensor& b = ctx.input(i);
      if (b.size() != 1) throw InputError(fmt::format("{}: clip bound {} must be a scalar", ctx.label(), i));
      if (b.dtype() != y.dtype()) throw InputError(fmt::format("{}: clip bound {} type differs from input", ctx.label(), i));
      (i == 1 ? lo : hi) = b.value(0);
    }
  }
  for (int64_t k = 0; k < y.size(); ++k) {
    const double v = y.value(k);
    if (std::isnan(v)) continue;
    y.set_value(k, std::min(std::max(v, lo), hi));
  }
  return {y};
}

std::vector<Tensor> variadic_extreme(const OpContext& ctx, bool take_max) {
  Tensor acc = ctx.input(0);
  for (int i = 1; i < ctx.input_count(); ++i) {
    const Tensor& b = ctx.input(i);
    if (b.dtype() != acc.dtype()) throw InputError(fmt::format("{}: input types differ", ctx.label()));
    const Shape out_shape = broadcast_shapes(acc.shape(), b.shape(), ctx.label());
    const auto ia = broadcast_offsets(out_shape, acc.shape());
    const auto ib = broadcast_offsets(out_shape, b.shape());
    Tensor y(acc.dtype(), out_shape);
    for (int64_t k = 0; k < y.size(); ++k) {
      if (y.floating()) {
        const double x = acc.reals()[ia[k]], z = b.reals()[ib[k]];
        y.reals()[k] = (std::isnan(x) || std::isnan(z)) ? std::nan("") : take_max ? std::max(x, z) : std::min(x, z);
      } else {
        const int64_t x = acc.ints()[ia[k]], z = b.ints()[ib[k]];
        y.ints()[k] = take_max ? std::max(x, z) : std::min(x, z);
      }
    }
    acc = std::move(y);
  }
  return {acc};
}

std::vector<Tensor> max_op(const OpContext& c) { return variadic_extreme(c, true); }
std::vector<Tensor> min_op(const OpContext& c) { return variadic_extreme(c, false); }

// Abs and Neg, of floats or integers (integers wrap, as numpy's do).
template <bool Negate>
std::vector<Tensor> sign_op(const OpContext& ctx) {
  Tensor y = ctx.input(0);
  if (y.floating()) {
    for (double& v : y.reals()) v = Negate ? -v : std::fabs(v);
  } else {
    for (int64_t& v : y.ints())
      v = wrap_to_integral_type(Negate || v < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : v, y.dtype());
  }
  return {y};
}

std::vector<Tensor> exp_op(const OpContext& c) { return map_floats(c, [](double v) { return std::exp(v); }); }
std::vector<Tensor> log_op(const OpContext& c) { return map_floats(c, [](double v) { return std::log(v); }); }
std::vector<Tensor> sigmoid_op(const OpContext& c) {
  return map_floats(c, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}

std::vector<Tensor> round_op(const OpContext& ctx) {
  Tensor y = ctx.input(0);
  if (!y.floating()) throw InputError(fmt::format("{}: Round needs a floating input", ctx.label()));
  for (double& v : y.reals()) v = round_half_to_even(v);
  return {y};
}

Tensor cast_to(const Tensor& x, DType type) {
  Tensor y(type, x.shape());
  for (int64_t k = 0; k < x.size(); ++k) {
    if (!x.floating() && !y.floating()) {
      y.ints()[k] = type == DType::Bool ? (x.ints()[k] != 0) : wrap_to_integral_type(x.ints()[k], type);
    } else {
      y.set_value(k, x.value(k));  // float -> int truncates toward zero
    }
  }
  return y;
}

std::vector<Tensor> cast(const OpContext& ctx) {
  const int64_t to = ctx.attrs.get_int("to", 0);
  if (!is_supported(static_cast<int32_t>(to)))
    throw UnsupportedError(fmt::format("{}: cast to element type {} is not supported", ctx.label(), to));
  return {cast_to(ctx.input(0), static_cast<DType>(to))};
}

// CastLike: Cast to the second input's element type (PyTorch's exporter
// writes it where a constant must take a tensor's type).
std::vector<Tensor> cast_like(const OpContext& ctx) { return {cast_to(ctx.input(0), ctx.input(1).dtype())}; }

// A bool of each element of a floating input.
template <typename Test>
std::vector<Tensor> classify_floats(const OpContext& ctx, Test test) {
  const Tensor& x = ctx.input(0);
  if (!x.floating()) throw InputError(fmt::format("{}: {} needs a floating input", ctx.label(), ctx.node.op_type()));
  Tensor y(DType::Bool, x.shape());
  for (int64_t k = 0; k < x.size(); ++k) y.ints()[k] = test(x.reals()[k]) ? 1 : 0;
  return {y};
}

std::vector<Tensor> is_nan(const OpContext& ctx) {
  return classify_floats(ctx, [](double v) { return std::isnan(v); });
}

std::vector<Tensor> is_inf(const OpContext& ctx) {
  const bool negative = ctx.attrs.get_int("detect_negative", 1) != 0;
  const bool positive = ctx.attrs.get_int("detect_positive", 1) != 0;
  return classify_floats(ctx, [=](double v) { return std::isinf(v) && (v > 0 ? positive : negative); });
}

std::vector<Tensor> identity(const OpContext& ctx) { return {ctx.input(0)}; }

// Inference: ONNX's Dropout scales while training, so at inference the output
// is the input and the mask all true. A node that asks for training mode
// (opset 12's third input) would drop values at random: refused.
std::vector<Tensor> dropout(const OpContext& ctx) {
  if (ctx.has_input(2)) {
    const Tensor& mode = ctx.input(2);
    if (mode.size() != 1 || mode.floating())
      throw InputError(fmt::format("{}: training_mode must be one boolean", ctx.label()));
    if (mode.ints()[0] != 0)
      throw UnsupportedError(fmt::format("{}: training_mode is true (values dropped at random); only inference "
                                         "(training_mode false or absent) is supported",
                                         ctx.label()));
  }
  std::vector<Tensor> out{ctx.input(0)};
  if (ctx.output_count() > 1) {
    // Opsets 7-9 type the mask like the data, from 10 as bool.
    Tensor mask(ctx.opset < 10 ? ctx.input(0).dtype() : DType::Bool, ctx.input(0).shape());
    for (int64_t k = 0; k < mask.size(); ++k) mask.set_value(k, 1);
    out.push_back(std::move(mask));
  }
  return out;
}

std::vector<Tensor> constant(const OpContext& ctx) {
  if (const auto* t = ctx.attrs.get_tensor("value")) return {tensor_from_proto(*t, ctx.label())};
  if (ctx.attrs.has("value_float")) return {Tensor::scalar_real(DType::Float, ctx.attrs.get_float("value_float", 0))};
  if (ctx.attrs.has("value_int")) return {Tensor::scalar_int(DType::Int64, ctx.attrs.get_int("value_int", 0))};
  if (ctx.attrs.has("value_floats")) {
    const auto v = ctx.attrs.get_floats("value_floats");
    return {Tensor::from_reals(DType::Float, {static_cast<int64_t>(v.size())}, {v.begin(), v.end()})};
  }
  if (ctx.attrs.has("value_ints")) {
    const auto v = ctx.attrs.get_ints("value_ints");
    return {Tensor::from_ints(DType::Int64, {static_cast<int64_t>(v.size())}, v)};
  }
  throw UnsupportedError(fmt::format("{}: Constant without a supported value attribute", ctx.label()));
}

}  // namespace

void register_elementwise_ops(OpTable& t) {
  t.push_back({"Add", {add, 6}});
  t.push_back({"Sub", {sub, 6}});
  t.push_back({"Mul", {mul, 6}});
  t.push_back({"Div", {div, 6}});
  t.push_back({"Relu", {relu, 6}});
  t.push_back({"Sigmoid", {sigmoid_op, 6}});
  t.push_back({"Clip", {clip, 6}});
  t.push_back({"Max", {max_op, 6}});
  t.push_back({"Min", {min_op, 6}});
  t.push_back({"Round", {round_op, 11}});
  t.push_back({"Exp", {exp_op, 6}});
  t.push_back({"Abs", {sign_op<false>, 6}});
  t.push_back({"Neg", {sign_op<true>, 6}});
  t.push_back({"Log", {log_op, 6}});
  t.push_back({"Cast", {cast, 6}});
  t.push_back({"CastLike", {cast_like, 15}});
  t.push_back({"IsNaN", {is_nan, 9}});
  t.push_back({"IsInf", {is_inf, 10}});
  t.push_back({"Identity", {identity, 1}});
  // Before opset 7 Dropout had is_test, whose default (0) meant training.
  t.push_back({"Dropout", {dropout, 7}});
  t.push_back({"Constant", {constant, 1}});
}

}  // namespace aps
