// Matrix products: Gemm, MatMul (numpy semantics), and their integer forms
// MatMulInteger and QLinearMatMul. Integer forms subtract both zero points
// before multiplying and accumulate in int32 (int64 here, checked).

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/numerics/quantize_linear.hpp"

namespace aps {
namespace {

// Shapes of a numpy matmul: 1-D operands are promoted and the promoted
// dimension removed from the result; batch dimensions broadcast.
struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, k = 0, n = 0, batches = 0;
  std::vector<int64_t> a_batch, b_batch;  // element offset of each batch's matrix
};

MatMulPlan plan_matmul(Shape a, Shape b, std::string_view label) {
  if (a.empty() || b.empty()) throw InputError(fmt::format("{}: MatMul operands must have rank >= 1", label));
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulPlan p;
  p.m = a[a.size() - 2];
  p.k = a.back();
  p.n = b.back();
  if (b[b.size() - 2] != p.k)
    throw InputError(fmt::format("{}: inner dimensions differ ({} vs {})", label, p.k, b[b.size() - 2]));
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, label);
  const auto oa = broadcast_offsets(batch, a_batch);
  const auto ob = broadcast_offsets(batch, b_batch);
  p.batches = static_cast<int64_t>(oa.size());
  for (int64_t i = 0; i < p.batches; ++i) {
    p.a_batch.push_back(oa[i] * p.m * p.k);
    p.b_batch.push_back(ob[i] * p.k * p.n);
  }
  p.out_shape = batch;
  if (!a_vec) p.out_shape.push_back(p.m);
  if (!b_vec) p.out_shape.push_back(p.n);
  checked_element_count(p.out_shape, label);
  return p;
}

std::vector<Tensor> matmul(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!a.floating() || a.dtype() != b.dtype())
    throw InputError(fmt::format("{}: MatMul needs two floating inputs of one type", ctx.label()));
  const MatMulPlan p = plan_matmul(a.shape(), b.shape(), ctx.label());
  Tensor y(a.dtype(), p.out_shape);
  for (int64_t bi = 0; bi < p.batches; ++bi)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < p.k; ++q)
          acc += a.reals()[p.a_batch[bi] + i * p.k + q] * b.reals()[p.b_batch[bi] + q * p.n + j];
        y.reals()[(bi * p.m + i) * p.n + j] = round_to_float_type(acc, y.dtype());
      }
  return {y};
}

std::vector<Tensor> gemm(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.rank() != 2 || b.rank() != 2)
    throw InputError(fmt::format("{}: Gemm needs 2-D A and B, got {} and {}", ctx.label(), shape_string(a.shape()),
                                 shape_string(b.shape())));
  if (!a.floating() || a.dtype() != b.dtype())
    throw InputError(fmt::format("{}: Gemm needs floating A and B of one type", ctx.label()));
  const bool ta = ctx.attrs.get_int("transA", 0) != 0, tb = ctx.attrs.get_int("transB", 0) != 0;
  const double alpha = ctx.attrs.get_float("alpha", 1.0f), beta = ctx.attrs.get_float("beta", 1.0f);
  const int64_t m = ta ? a.shape()[1] : a.shape()[0];
  const int64_t k = ta ? a.shape()[0] : a.shape()[1];
  const int64_t kb = tb ? b.shape()[1] : b.shape()[0];
  const int64_t n = tb ? b.shape()[0] : b.shape()[1];
  if (k != kb) throw InputError(fmt::format("{}: Gemm inner dimensions differ ({} vs {})", ctx.label(), k, kb));
  Tensor y(a.dtype(), {m, n});
  std::vector<int64_t> c_off;
  const Tensor* c = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (c) {
    // C broadcasts one way onto [M, N].
    if (broadcast_shapes(c->shape(), y.shape(), ctx.label()) != y.shape())
      throw InputError(fmt::format("{}: bias C of shape {} does not broadcast to [{},{}]", ctx.label(),
                                   shape_string(c->shape()), m, n));
    c_off = broadcast_offsets(y.shape(), c->shape());
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t q = 0; q < k; ++q) {
        const double av = a.reals()[ta ? q * m + i : i * k + q];
        const double bv = b.reals()[tb ? j * k + q : q * n + j];
        acc += av * bv;
      }
      double r = alpha * acc;
      if (c) r += beta * c->value(c_off[i * n + j]);
      y.reals()[i * n + j] = round_to_float_type(r, y.dtype());
    }
  return {y};
}

// Zero point of row i of A / column j of B: a scalar, or one per row/column.
struct ZeroPoints {
  const Tensor* t = nullptr;
  int64_t at(int64_t idx) const {
    if (!t) return 0;
    return t->size() == 1 ? t->ints()[0] : t->ints()[idx];
  }
};

void check_zero_point(const Tensor* zp, const Tensor& operand, int64_t count, std::string_view what,
                      std::string_view label) {
  if (!zp) return;
  if (zp->dtype() != operand.dtype())
    throw InputError(fmt::format("{}: {} zero point is {}, the operand is {}", label, what, dtype_name(zp->dtype()),
                                 dtype_name(operand.dtype())));
  if (zp->size() != 1 && zp->size() != count)
    throw InputError(fmt::format("{}: {} zero point has {} values, expected 1 or {}", label, what, zp->size(), count));
}

void check_8bit(const Tensor& t, std::string_view what, std::string_view label) {
  if (t.dtype() != DType::UInt8 && t.dtype() != DType::Int8)
    throw InputError(fmt::format("{}: {} must be uint8 or int8, got {}", label, what, dtype_name(t.dtype())));
}

// int32 accumulators of (A - a_zp) x (B - b_zp).
std::vector<int64_t> integer_matmul(const Tensor& a, const Tensor& b, ZeroPoints az, ZeroPoints bz,
                                    const MatMulPlan& p, std::string_view label) {
  std::vector<int64_t> acc(static_cast<size_t>(p.batches * p.m * p.n));
  for (int64_t bi = 0; bi < p.batches; ++bi)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        int64_t s = 0;
        for (int64_t q = 0; q < p.k; ++q)
          s += (a.ints()[p.a_batch[bi] + i * p.k + q] - az.at(i)) * (b.ints()[p.b_batch[bi] + q * p.n + j] - bz.at(j));
        if (s > std::numeric_limits<int32_t>::max() || s < std::numeric_limits<int32_t>::min())
          throw InputError(fmt::format("{}: accumulator overflows int32", label));
        acc[(bi * p.m + i) * p.n + j] = s;
      }
  return acc;
}

std::vector<Tensor> matmul_integer(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  check_8bit(a, "A", ctx.label());
  check_8bit(b, "B", ctx.label());
  const MatMulPlan p = plan_matmul(a.shape(), b.shape(), ctx.label());
  const Tensor* az = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const Tensor* bz = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  check_zero_point(az, a, p.m, "A", ctx.label());
  check_zero_point(bz, b, p.n, "B", ctx.label());
  return {Tensor::from_ints(DType::Int32, p.out_shape, integer_matmul(a, b, {az}, {bz}, p, ctx.label()))};
}

float scalar_scale(const Tensor& t, std::string_view what, std::string_view label) {
  if (t.size() != 1 || t.dtype() != DType::Float)
    throw UnsupportedError(fmt::format("{}: {} must be one float32 value", label, what));
  return static_cast<float>(checked_scale(t.reals()[0], what, label));
}

std::vector<Tensor> qlinear_matmul(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  check_8bit(a, "a", ctx.label());
  check_8bit(b, "b", ctx.label());
  const MatMulPlan p = plan_matmul(a.shape(), b.shape(), ctx.label());
  const float sa = scalar_scale(ctx.input(1), "a_scale", ctx.label());
  const float sb = scalar_scale(ctx.input(4), "b_scale", ctx.label());
  const float sy = scalar_scale(ctx.input(6), "y_scale", ctx.label());
  const Tensor& az = ctx.input(2);
  const Tensor& bz = ctx.input(5);
  const Tensor& yz = ctx.input(7);
  check_zero_point(&az, a, 1, "a", ctx.label());
  check_zero_point(&bz, b, 1, "b", ctx.label());
  check_8bit(yz, "y_zero_point", ctx.label());
  const auto acc = integer_matmul(a, b, {&az}, {&bz}, p, ctx.label());
  const float mult = qlinear_multiplier(sa, sb, sy);
  Tensor y(yz.dtype(), p.out_shape);
  for (int64_t i = 0; i < y.size(); ++i) y.ints()[i] = qlinear_requantize(acc[i], mult, yz.ints()[0], yz.dtype());
  return {y};
}

}  // namespace

void register_matmul_ops(OpTable& t) {
  t.push_back({"Gemm", {gemm, 6}});
  t.push_back({"MatMul", {matmul, 6}});
  t.push_back({"MatMulInteger", {matmul_integer, 10}});
  t.push_back({"QLinearMatMul", {qlinear_matmul, 10}});
}

}  // namespace aps
