// Pooling: MaxPool (with the optional Indices output), AveragePool,
// GlobalAveragePool, GlobalMaxPool, over N spatial dimensions.

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/spatial_geometry.hpp"

namespace aps {
namespace {

struct PoolPlan {
  int64_t planes = 0;  // N * C
  SpatialGeometry geo;
  Shape out_shape;
};

PoolPlan plan_pool(const OpContext& ctx, const Tensor& x) {
  if (x.rank() < 3) throw InputError(fmt::format("{}: input must be [N,C,spatial...], got {}", ctx.label(), shape_string(x.shape())));
  const auto kernel = ctx.attrs.get_ints("kernel_shape");
  PoolPlan p;
  p.planes = x.shape()[0] * x.shape()[1];
  std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end());
  p.geo = spatial_geometry(ctx, in, kernel, ctx.attrs.get_int("ceil_mode", 0) != 0);
  p.out_shape = {x.shape()[0], x.shape()[1]};
  p.out_shape.insert(p.out_shape.end(), p.geo.out.begin(), p.geo.out.end());
  return p;
}

// Row-major index of a flat spatial position converted to column-major
// (storage_order = 1).
int64_t column_major(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> idx(dims.size());
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    idx[d] = flat % dims[d];
    flat /= dims[d];
  }
  int64_t out = 0, stride = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    out += idx[d] * stride;
    stride *= dims[d];
  }
  return out;
}

std::vector<Tensor> max_pool(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const PoolPlan p = plan_pool(ctx, x);
  const bool col_major = ctx.attrs.get_int("storage_order", 0) != 0;
  const int64_t ins = p.geo.in_count(), outs = p.geo.out_count();
  Tensor y(x.dtype(), p.out_shape);
  Tensor indices(DType::Int64, p.out_shape);
  std::vector<double> best(static_cast<size_t>(outs));
  std::vector<int64_t> arg(static_cast<size_t>(outs));
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    std::fill(best.begin(), best.end(), -std::numeric_limits<double>::infinity());
    std::fill(arg.begin(), arg.end(), -1);
    for_each_window_tap(p.geo, [&](int64_t oi, int64_t xi, int64_t) {
      if (xi < 0) return;
      const double v = x.value(plane * ins + xi);
      if (arg[oi] < 0 || v > best[oi]) {
        best[oi] = v;
        arg[oi] = xi;
      }
    });
    for (int64_t oi = 0; oi < outs; ++oi) {
      y.set_value(plane * outs + oi, best[oi]);
      const int64_t local = col_major ? column_major(arg[oi], p.geo.in) : arg[oi];
      indices.ints()[plane * outs + oi] = plane * ins + local;
    }
  }
  if (ctx.output_count() > 1) return {y, indices};
  return {y};
}

std::vector<Tensor> average_pool(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!x.floating()) throw InputError(fmt::format("{}: AveragePool needs a floating input", ctx.label()));
  const PoolPlan p = plan_pool(ctx, x);
  const bool include_pad = ctx.attrs.get_int("count_include_pad", 0) != 0;
  const int64_t ins = p.geo.in_count(), outs = p.geo.out_count();
  // With count_include_pad the divisor counts taps inside the padded input
  // (explicit pads), not taps that ceil_mode pushes past the padding.
  std::vector<int64_t> padded_dims(p.geo.in.size());
  for (size_t d = 0; d < padded_dims.size(); ++d) padded_dims[d] = p.geo.in[d] + p.geo.pad_begin[d] + p.geo.pad_end[d];
  Tensor y(x.dtype(), p.out_shape);
  std::vector<double> sum(static_cast<size_t>(outs));
  std::vector<int64_t> count(static_cast<size_t>(outs));
  std::vector<int64_t> padded_count(static_cast<size_t>(outs), 0);
  {
    SpatialGeometry padded = p.geo;
    padded.in = padded_dims;
    std::fill(padded.pad_begin.begin(), padded.pad_begin.end(), 0);
    for_each_window_tap(padded, [&](int64_t oi, int64_t xi, int64_t) {
      if (xi >= 0) ++padded_count[oi];
    });
  }
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for_each_window_tap(p.geo, [&](int64_t oi, int64_t xi, int64_t) {
      if (xi < 0) return;
      sum[oi] += x.reals()[plane * ins + xi];
      ++count[oi];
    });
    for (int64_t oi = 0; oi < outs; ++oi) {
      const int64_t divisor = include_pad ? padded_count[oi] : count[oi];
      y.reals()[plane * outs + oi] = round_to_float_type(divisor ? sum[oi] / static_cast<double>(divisor) : 0.0, y.dtype());
    }
  }
  return {y};
}

std::vector<Tensor> global_pool(const OpContext& ctx, bool average) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) throw InputError(fmt::format("{}: input must be [N,C,spatial...]", ctx.label()));
  Shape out_shape(x.shape().begin(), x.shape().begin() + 2);
  int64_t spatial = 1;
  for (int d = 2; d < x.rank(); ++d) {
    spatial *= x.shape()[d];
    out_shape.push_back(1);
  }
  if (spatial == 0) throw InputError(fmt::format("{}: empty spatial extent", ctx.label()));
  Tensor y(x.dtype(), out_shape);
  for (int64_t plane = 0; plane < y.size(); ++plane) {
    double acc = average ? 0.0 : -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < spatial; ++i) {
      const double v = x.value(plane * spatial + i);
      acc = average ? acc + v : std::max(acc, v);
    }
    y.set_value(plane, average ? acc / static_cast<double>(spatial) : acc);
  }
  return {y};
}

std::vector<Tensor> global_average_pool(const OpContext& c) { return global_pool(c, true); }
std::vector<Tensor> global_max_pool(const OpContext& c) { return global_pool(c, false); }

}  // namespace

void register_pool_ops(OpTable& t) {
  t.push_back({"MaxPool", {max_pool, 1}});
  t.push_back({"AveragePool", {average_pool, 1}});
  t.push_back({"GlobalAveragePool", {global_average_pool, 1}});
  t.push_back({"GlobalMaxPool", {global_max_pool, 1}});
}

}  // namespace aps
