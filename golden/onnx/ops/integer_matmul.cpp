// The integer forms of MatMul: MatMulInteger, QLinearMatMul and ONNX
// Runtime's QGemm (domain com.microsoft). Both zero points are subtracted
// before multiplying; the accumulator is int32 (held in
// int64 here and checked). A's parameters may be per row and B's per column
// (what a weight quantized per output channel gives).

#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/broadcasting.hpp"
#include "golden/onnx/ops/matmul_plan.hpp"
#include "golden/numerics/quantize_linear.hpp"

namespace aps {
namespace {

enum class Side { RowsOfA, ColumnsOfB };

// Which value of a scale or zero point applies to a row of A (column of B).
// ONNX allows one value for the operand, one per row (column) of a 2-D
// operand as [M] ([N]), or one per row (column) of each matrix of an N-D
// operand as [..., M, 1] ([..., 1, N]).
struct ParamLayout {
  int64_t lines = 0;  // values per matrix; 0 = one value for the operand
  int64_t index(int64_t matrix, int64_t line) const { return lines == 0 ? 0 : matrix * lines + line; }
  bool operator==(const ParamLayout&) const = default;
};

ParamLayout param_layout(const Tensor& param, const Shape& operand, Side side, std::string_view what,
                         std::string_view label) {
  if (param.size() == 1 && param.rank() <= 1) return {};
  const size_t r = operand.size();
  if (r >= 2) {
    const int64_t lines = side == Side::RowsOfA ? operand[r - 2] : operand[r - 1];
    Shape per_matrix = operand;
    per_matrix[side == Side::RowsOfA ? r - 1 : r - 2] = 1;
    if ((r == 2 && param.shape() == Shape{lines}) || param.shape() == per_matrix) return {lines};
    throw InputError(fmt::format("{}: {} has shape {}; for {} of shape {} it must be a scalar{} or {}", label, what,
                                 shape_string(param.shape()), side == Side::RowsOfA ? "a" : "b",
                                 shape_string(operand), r == 2 ? fmt::format(", [{}]", lines) : "",
                                 shape_string(per_matrix)));
  }
  throw InputError(fmt::format("{}: {} has shape {}; a 1-D operand takes a scalar", label, what,
                               shape_string(param.shape())));
}

// A zero point: its layout, and its type must be the operand's.
ParamLayout zero_point_layout(const Tensor& zp, const Tensor& operand, Side side, std::string_view what,
                              std::string_view label) {
  if (zp.dtype() != operand.dtype())
    throw InputError(fmt::format("{}: {} is {}, the operand is {}", label, what, dtype_name(zp.dtype()),
                                 dtype_name(operand.dtype())));
  return param_layout(zp, operand.shape(), side, what, label);
}

// An operand's zero points as the accumulation reads them (absent = 0).
struct ZeroPoints {
  const Tensor* t = nullptr;
  ParamLayout layout;
  int64_t at(int64_t matrix, int64_t line) const { return t ? t->ints()[layout.index(matrix, line)] : 0; }
};

void check_8bit(const Tensor& t, std::string_view what, std::string_view label) {
  if (t.dtype() != DType::UInt8 && t.dtype() != DType::Int8)
    throw InputError(fmt::format("{}: {} must be uint8 or int8, got {}", label, what, dtype_name(t.dtype())));
}

// int32 accumulators of (A - a_zp) x (B - b_zp), row-major over the output.
std::vector<int64_t> integer_matmul(const Tensor& a, const Tensor& b, const ZeroPoints& az, const ZeroPoints& bz,
                                    const MatMulPlan& p, std::string_view label) {
  std::vector<int64_t> acc(static_cast<size_t>(p.batches * p.m * p.n));
  for (int64_t bi = 0; bi < p.batches; ++bi)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        const int64_t za = az.at(p.a_matrix[bi], i), zb = bz.at(p.b_matrix[bi], j);
        int64_t s = 0;
        for (int64_t q = 0; q < p.k; ++q)
          s += (a.ints()[p.a_offset(bi) + i * p.k + q] - za) * (b.ints()[p.b_offset(bi) + q * p.n + j] - zb);
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
  ZeroPoints az, bz;
  if (ctx.has_input(2)) az = {&ctx.input(2), zero_point_layout(ctx.input(2), a, Side::RowsOfA, "a_zero_point", ctx.label())};
  if (ctx.has_input(3))
    bz = {&ctx.input(3), zero_point_layout(ctx.input(3), b, Side::ColumnsOfB, "b_zero_point", ctx.label())};
  return {Tensor::from_ints(DType::Int32, p.out_shape, integer_matmul(a, b, az, bz, p, ctx.label()))};
}

// A scale and its zero point: float32 scales, one layout for both.
ParamLayout scale_layout(const Tensor& scale, const Tensor& zp, const Tensor& operand, Side side,
                         std::string_view name, std::string_view label) {
  const std::string scale_name = fmt::format("{}_scale", name), zp_name = fmt::format("{}_zero_point", name);
  if (scale.dtype() != DType::Float)
    throw InputError(fmt::format("{}: {} must be float32, got {}", label, scale_name, dtype_name(scale.dtype())));
  const ParamLayout layout = param_layout(scale, operand.shape(), side, scale_name, label);
  if (zero_point_layout(zp, operand, side, zp_name, label) != layout)
    throw InputError(fmt::format("{}: {} has shape {} but {} has shape {}; they must match", label, scale_name,
                                 shape_string(scale.shape()), zp_name, shape_string(zp.shape())));
  // b is the weights' side, whose scale may be 0 (an all-zero column).
  for (double s : scale.reals())
    side == Side::ColumnsOfB ? checked_dequantize_scale(s, scale_name, label) : checked_scale(s, scale_name, label);
  return layout;
}

std::vector<Tensor> qlinear_matmul(const OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  check_8bit(a, "a", ctx.label());
  check_8bit(b, "b", ctx.label());
  const MatMulPlan p = plan_matmul(a.shape(), b.shape(), ctx.label());
  const Tensor& sa = ctx.input(1);
  const Tensor& sb = ctx.input(4);
  const Tensor& sy = ctx.input(6);
  const ZeroPoints az{&ctx.input(2), scale_layout(sa, ctx.input(2), a, Side::RowsOfA, "a", ctx.label())};
  const ZeroPoints bz{&ctx.input(5), scale_layout(sb, ctx.input(5), b, Side::ColumnsOfB, "b", ctx.label())};
  const Tensor& yz = ctx.input(7);
  check_8bit(yz, "y_zero_point", ctx.label());
  // The output is quantized per tensor: ONNX has no per-row or per-column y.
  if (sy.dtype() != DType::Float || sy.size() != 1 || sy.rank() > 1)
    throw InputError(fmt::format("{}: y_scale must be one float32 value, got {} {}", ctx.label(),
                                 dtype_name(sy.dtype()), shape_string(sy.shape())));
  if (yz.size() != 1 || yz.rank() > 1)
    throw InputError(fmt::format("{}: y_zero_point must be one value, got {}", ctx.label(), shape_string(yz.shape())));
  const float scale_y = static_cast<float>(checked_scale(sy.reals()[0], "y_scale", ctx.label()));
  const auto acc = integer_matmul(a, b, az, bz, p, ctx.label());
  Tensor y(yz.dtype(), p.out_shape);
  for (int64_t bi = 0; bi < p.batches; ++bi)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        const auto scale_a = static_cast<float>(sa.reals()[az.layout.index(p.a_matrix[bi], i)]);
        const auto scale_b = static_cast<float>(sb.reals()[bz.layout.index(p.b_matrix[bi], j)]);
        const int64_t o = (bi * p.m + i) * p.n + j;
        y.ints()[o] = qlinear_requantize(acc[o], qlinear_multiplier(scale_a, scale_b, scale_y), yz.ints()[0], y.dtype());
      }
  return {y};
}

// A 2-D operand of a Gemm, transposed when `transposed`.
Tensor gemm_operand(const Tensor& t, bool transposed, std::string_view what, std::string_view label) {
  if (t.rank() != 2) throw InputError(fmt::format("{}: {} must be 2-D, got {}", label, what, shape_string(t.shape())));
  if (!transposed) return t;
  const int64_t rows = t.shape()[0], cols = t.shape()[1];
  Tensor out(t.dtype(), {cols, rows});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out.ints()[j * rows + i] = t.ints()[i * cols + j];
  return out;
}

// QGemm: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C (int32 at
// a_scale * b_scale), y_scale, y_zero_point. With y_scale the int32 sum is
// requantized as QLinearMatMul's, at alpha * a_scale * b_scale / y_scale;
// without, the output is float32, alpha * a_scale * b_scale * sum.
std::vector<Tensor> qgemm(const OpContext& ctx) {
  const Tensor a = gemm_operand(ctx.input(0), ctx.attrs.get_int("transA", 0) != 0, "A", ctx.label());
  const Tensor b = gemm_operand(ctx.input(3), ctx.attrs.get_int("transB", 0) != 0, "B", ctx.label());
  check_8bit(a, "A", ctx.label());
  check_8bit(b, "B", ctx.label());
  const MatMulPlan p = plan_matmul(a.shape(), b.shape(), ctx.label());
  const Tensor& sa = ctx.input(1);
  const Tensor& sb = ctx.input(4);
  if (sa.size() != 1) throw InputError(fmt::format("{}: a_scale must be one value", ctx.label()));
  const ZeroPoints az{&ctx.input(2), scale_layout(sa, ctx.input(2), a, Side::RowsOfA, "a", ctx.label())};
  const ZeroPoints bz{&ctx.input(5), scale_layout(sb, ctx.input(5), b, Side::ColumnsOfB, "b", ctx.label())};
  std::vector<int64_t> acc = integer_matmul(a, b, az, bz, p, ctx.label());
  if (ctx.has_input(6)) {
    const Tensor& c = ctx.input(6);
    if (c.dtype() != DType::Int32) throw InputError(fmt::format("{}: C must be int32", ctx.label()));
    if (broadcast_shapes(p.out_shape, c.shape(), ctx.label()) != p.out_shape)
      throw InputError(fmt::format("{}: C {} does not broadcast onto {}", ctx.label(), shape_string(c.shape()),
                                   shape_string(p.out_shape)));
    const std::vector<int64_t> from = broadcast_offsets(p.out_shape, c.shape());
    for (size_t o = 0; o < acc.size(); ++o) acc[o] += c.ints()[from[o]];
  }
  const auto alpha = ctx.attrs.get_float("alpha", 1.0f);
  const auto scale_a = static_cast<float>(alpha * static_cast<float>(sa.reals()[0]));
  if (!ctx.has_input(7)) {
    Tensor y(DType::Float, p.out_shape);
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        const auto scale_b = static_cast<float>(sb.reals()[bz.layout.index(0, j)]);
        y.reals()[i * p.n + j] = static_cast<float>(acc[i * p.n + j]) * (scale_a * scale_b);
      }
    return {y};
  }
  const Tensor& sy = ctx.input(7);
  if (sy.dtype() != DType::Float || sy.size() != 1)
    throw InputError(fmt::format("{}: y_scale must be one float32 value", ctx.label()));
  const float scale_y = static_cast<float>(checked_scale(sy.reals()[0], "y_scale", ctx.label()));
  // ONNX Runtime reads the output's type from y_zero_point.
  if (!ctx.has_input(8))
    throw UnsupportedError(fmt::format("{}: y_scale without y_zero_point (the output's type) is not supported",
                                       ctx.label()));
  const Tensor* yz = &ctx.input(8);
  check_8bit(*yz, "y_zero_point", ctx.label());
  if (yz->size() != 1) throw InputError(fmt::format("{}: y_zero_point must be one value", ctx.label()));
  Tensor y(yz->dtype(), p.out_shape);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      const auto scale_b = static_cast<float>(sb.reals()[bz.layout.index(0, j)]);
      y.ints()[i * p.n + j] = qlinear_requantize(acc[i * p.n + j], qlinear_multiplier(scale_a, scale_b, scale_y),
                                                 yz->ints()[0], y.dtype());
    }
  return {y};
}

}  // namespace

void register_integer_matmul_ops(OpTable& t) {
  t.push_back({op_key("com.microsoft", "QGemm"), {qgemm, 1}});
  t.push_back({"MatMulInteger", {matmul_integer, 10}});
  t.push_back({"QLinearMatMul", {qlinear_matmul, 10}});
}

}  // namespace aps
