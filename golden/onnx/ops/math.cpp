// Element-wise math and logic the exporters write beside the layers: the
// float functions (Sqrt, Reciprocal, Floor, Ceil, the trigonometric ones),
// Sign, Pow, Mod, comparisons, Not / And / Or / Xor, Where, and the variadic
// Sum and Mean. Each result is computed in double and rounded once to its
// element type (float_map.hpp), as the other float ops are.

#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/float_map.hpp"

namespace aps {
namespace {

template <double (*F)(double)>
std::vector<Tensor> unary(const OpContext& c) {
  return map_floats(c, [](double v) { return F(v); });
}

double reciprocal(double v) { return 1.0 / v; }
double sqrt_of(double v) { return std::sqrt(v); }
double floor_of(double v) { return std::floor(v); }
double ceil_of(double v) { return std::ceil(v); }
double sin_of(double v) { return std::sin(v); }
double cos_of(double v) { return std::cos(v); }
double tan_of(double v) { return std::tan(v); }
double asin_of(double v) { return std::asin(v); }
double acos_of(double v) { return std::acos(v); }
double atan_of(double v) { return std::atan(v); }
double sinh_of(double v) { return std::sinh(v); }
double cosh_of(double v) { return std::cosh(v); }
double asinh_of(double v) { return std::asinh(v); }
double acosh_of(double v) { return std::acosh(v); }
double atanh_of(double v) { return std::atanh(v); }

std::vector<Tensor> sign(const OpContext& ctx) {
  Tensor y = ctx.input(0);
  for (int64_t k = 0; k < y.size(); ++k) {
    const double v = y.value(k);
    y.set_value(k, std::isnan(v) ? v : v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0);
  }
  return {y};
}

// y[k] = f(a[k'], b[k'']) over the broadcast shape, of element type `type`.
template <typename F>
Tensor broadcast_binary(const OpContext& ctx, const Tensor& a, const Tensor& b, DType type, F f) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), ctx.label());
  const auto ia = broadcast_offsets(shape, a.shape());
  const auto ib = broadcast_offsets(shape, b.shape());
  Tensor y(type, shape);
  for (int64_t k = 0; k < y.size(); ++k) f(y, k, ia[k], ib[k]);
  return y;
}

// Pow: the exponent may be of another type than the base (opset 12); the
// result is the base's type. An integer base raised to an integer power is
// exact, as numpy's integer power is.
std::vector<Tensor> pow_op(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor b = legacy_broadcast_operand(ctx, a, ctx.input(1));
  return {broadcast_binary(ctx, a, b, a.dtype(), [&](Tensor& y, int64_t k, int64_t i, int64_t j) {
    if (a.floating()) {
      y.reals()[k] = round_to_float_type(std::pow(a.reals()[i], b.value(j)), y.dtype());
    } else if (!b.floating() && b.ints()[j] >= 0) {
      // By squaring, wrapping as the element type's multiply does.
      uint64_t r = 1, base = static_cast<uint64_t>(a.ints()[i]);
      for (uint64_t e = static_cast<uint64_t>(b.ints()[j]); e > 0; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
      }
      y.ints()[k] = wrap_to_integral_type(static_cast<int64_t>(r), y.dtype());
    } else {
      y.set_value(k, std::pow(static_cast<double>(a.ints()[i]), b.value(j)));
    }
  })};
}

// Mod: fmod=0 (integers only) takes the divisor's sign, as Python's %;
// fmod=1 takes the dividend's, as C's fmod.
std::vector<Tensor> mod_op(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  check_same_type(ctx, a, b);
  const bool c_rule = ctx.attrs.get_int("fmod", 0) != 0;
  if (a.floating() && !c_rule)
    throw InputError(fmt::format("{}: Mod of floating values needs fmod=1", ctx.label()));
  return {broadcast_binary(ctx, a, b, a.dtype(), [&](Tensor& y, int64_t k, int64_t i, int64_t j) {
    if (a.floating()) {
      y.reals()[k] = round_to_float_type(std::fmod(a.reals()[i], b.reals()[j]), y.dtype());
      return;
    }
    const int64_t x = a.ints()[i], d = b.ints()[j];
    if (d == 0) throw InputError(fmt::format("{}: integer modulo by zero", ctx.label()));
    int64_t r = d == -1 ? 0 : x % d;  // INT64_MIN % -1 traps
    if (!c_rule && r != 0 && ((r < 0) != (d < 0))) r += d;
    y.ints()[k] = r;
  })};
}

enum class Compare { Equal, Less, Greater, LessOrEqual, GreaterOrEqual };

template <Compare C>
std::vector<Tensor> compare(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor b = legacy_broadcast_operand(ctx, a, ctx.input(1));
  check_same_type(ctx, a, b);
  return {broadcast_binary(ctx, a, b, DType::Bool, [&](Tensor& y, int64_t k, int64_t i, int64_t j) {
    // Integers compare as integers (an int64 beyond 2^53 is not a double).
    const auto cmp = [](auto x, auto z) {
      switch (C) {
        case Compare::Equal: return x == z;
        case Compare::Less: return x < z;
        case Compare::Greater: return x > z;
        case Compare::LessOrEqual: return x <= z;
        case Compare::GreaterOrEqual: return x >= z;
      }
      return false;
    };
    y.ints()[k] = a.floating() ? cmp(a.reals()[i], b.reals()[j]) : cmp(a.ints()[i], b.ints()[j]);
  })};
}

Tensor as_bool(const OpContext& ctx, int i) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::Bool)
    throw InputError(fmt::format("{}: input {} is {}, not bool", ctx.label(), i, dtype_name(t.dtype())));
  return t;
}

std::vector<Tensor> not_op(const OpContext& ctx) {
  Tensor y = as_bool(ctx, 0);
  for (int64_t& v : y.ints()) v = !v;
  return {y};
}

enum class Logic { And, Or, Xor };

template <Logic L>
std::vector<Tensor> logic(const OpContext& ctx) {
  const Tensor a = as_bool(ctx, 0);
  const Tensor b = legacy_broadcast_operand(ctx, a, as_bool(ctx, 1));
  return {broadcast_binary(ctx, a, b, DType::Bool, [&](Tensor& y, int64_t k, int64_t i, int64_t j) {
    const bool x = a.ints()[i] != 0, z = b.ints()[j] != 0;
    y.ints()[k] = L == Logic::And ? (x && z) : L == Logic::Or ? (x || z) : (x != z);
  })};
}

std::vector<Tensor> where(const OpContext& ctx) {
  const Tensor cond = as_bool(ctx, 0);
  const Tensor& x = ctx.input(1);
  const Tensor& z = ctx.input(2);
  check_same_type(ctx, x, z);
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), x.shape(), ctx.label()), z.shape(), ctx.label());
  const auto ic = broadcast_offsets(shape, cond.shape());
  const auto ix = broadcast_offsets(shape, x.shape());
  const auto iz = broadcast_offsets(shape, z.shape());
  Tensor y(x.dtype(), shape);
  for (int64_t k = 0; k < y.size(); ++k) {
    const bool take_x = cond.ints()[ic[k]] != 0;
    if (y.floating())
      y.reals()[k] = take_x ? x.reals()[ix[k]] : z.reals()[iz[k]];
    else
      y.ints()[k] = take_x ? x.ints()[ix[k]] : z.ints()[iz[k]];
  }
  return {y};
}

// Sum and Mean of any number of broadcast inputs, summed in double.
std::vector<Tensor> sum_or_mean(const OpContext& ctx, bool mean) {
  const Tensor& first = ctx.input(0);
  if (!first.floating())
    throw InputError(fmt::format("{}: {} needs floating inputs", ctx.label(), ctx.node.op_type()));
  Shape shape = first.shape();
  for (int i = 1; i < ctx.input_count(); ++i) {
    check_same_type(ctx, first, ctx.input(i));
    shape = broadcast_shapes(shape, ctx.input(i).shape(), ctx.label());
  }
  std::vector<double> acc(static_cast<size_t>(checked_element_count(shape, ctx.label())), 0.0);
  for (int i = 0; i < ctx.input_count(); ++i) {
    const auto offsets = broadcast_offsets(shape, ctx.input(i).shape());
    for (size_t k = 0; k < acc.size(); ++k) acc[k] += ctx.input(i).reals()[offsets[k]];
  }
  Tensor y(first.dtype(), shape);
  for (size_t k = 0; k < acc.size(); ++k)
    y.reals()[k] = round_to_float_type(mean ? acc[k] / ctx.input_count() : acc[k], y.dtype());
  return {y};
}

std::vector<Tensor> sum_op(const OpContext& c) { return sum_or_mean(c, false); }
std::vector<Tensor> mean_op(const OpContext& c) { return sum_or_mean(c, true); }

}  // namespace

void register_math_ops(OpTable& t) {
  t.push_back({"Sqrt", {unary<sqrt_of>, 6}});
  t.push_back({"Reciprocal", {unary<reciprocal>, 6}});
  t.push_back({"Floor", {unary<floor_of>, 6}});
  t.push_back({"Ceil", {unary<ceil_of>, 6}});
  t.push_back({"Sin", {unary<sin_of>, 7}});
  t.push_back({"Cos", {unary<cos_of>, 7}});
  t.push_back({"Tan", {unary<tan_of>, 7}});
  t.push_back({"Asin", {unary<asin_of>, 7}});
  t.push_back({"Acos", {unary<acos_of>, 7}});
  t.push_back({"Atan", {unary<atan_of>, 7}});
  t.push_back({"Sinh", {unary<sinh_of>, 9}});
  t.push_back({"Cosh", {unary<cosh_of>, 9}});
  t.push_back({"Asinh", {unary<asinh_of>, 9}});
  t.push_back({"Acosh", {unary<acosh_of>, 9}});
  t.push_back({"Atanh", {unary<atanh_of>, 9}});
  t.push_back({"Sign", {sign, 9}});
  t.push_back({"Pow", {pow_op, 1}});  // before opset 7 with the legacy broadcast attribute
  t.push_back({"Mod", {mod_op, 10}});
  t.push_back({"Equal", {compare<Compare::Equal>, 7}});
  t.push_back({"Less", {compare<Compare::Less>, 7}});
  t.push_back({"Greater", {compare<Compare::Greater>, 7}});
  t.push_back({"LessOrEqual", {compare<Compare::LessOrEqual>, 12}});
  t.push_back({"GreaterOrEqual", {compare<Compare::GreaterOrEqual>, 12}});
  t.push_back({"Not", {not_op, 1}});
  t.push_back({"And", {logic<Logic::And>, 7}});
  t.push_back({"Or", {logic<Logic::Or>, 7}});
  t.push_back({"Xor", {logic<Logic::Xor>, 7}});
  t.push_back({"Where", {where, 9}});
  t.push_back({"Sum", {sum_op, 1}});  // before opset 8: inputs of one shape, a case of broadcasting
  t.push_back({"Mean", {mean_op, 1}});
}

}  // namespace aps
