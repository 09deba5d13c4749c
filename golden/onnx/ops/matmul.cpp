// Floating matrix products: Gemm, MatMul (numpy semantics). The integer
// forms are in integer_matmul.cpp.

#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/matmul_plan.hpp"

namespace aps {
namespace {

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
          acc += a.reals()[p.a_offset(bi) + i * p.k + q] * b.reals()[p.b_offset(bi) + q * p.n + j];
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

}  // namespace

void register_matmul_ops(OpTable& t) {
  t.push_back({"Gemm", {gemm, 6}});
  t.push_back({"MatMul", {matmul, 6}});
}

}  // namespace aps
