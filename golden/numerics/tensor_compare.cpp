#include "golden/numerics/tensor_compare.hpp"

#include <cmath>
#include <fmt/format.h>

namespace aps {

std::optional<TensorDifference> compare_tensors(const Tensor& got, const Tensor& want, Tolerance tol) {
  if (got.dtype() != want.dtype())
    return TensorDifference{fmt::format("type {} where {} was expected", dtype_name(got.dtype()), dtype_name(want.dtype())), -1, 0};
  if (got.shape() != want.shape())
    return TensorDifference{fmt::format("shape {} where {} was expected", shape_string(got.shape()), shape_string(want.shape())), -1, 0};
  TensorDifference d;
  for (int64_t i = 0; i < got.size(); ++i) {
    bool same = false;
    if (got.floating()) {
      const double g = got.reals()[i], w = want.reals()[i];
      same = (std::isnan(g) && std::isnan(w)) || g == w || std::fabs(g - w) <= tol.atol + tol.rtol * std::fabs(w);
    } else {
      same = got.ints()[i] == want.ints()[i];
    }
    if (same) continue;
    if (d.differing++ == 0) {
      d.element = i;
      d.what = fmt::format("element {}: got {}, expected {}", i, got.value(i), want.value(i));
    }
  }
  if (d.differing == 0) return std::nullopt;
  d.what += fmt::format(" ({} of {} elements differ)", d.differing, got.size());
  return d;
}

std::optional<int64_t> non_finite_in_row(const Tensor& t, int64_t row, int64_t cols) {
  for (int64_t j = 0; j < cols; ++j)
    if (!std::isfinite(t.value(row * cols + j))) return j;
  return std::nullopt;
}

int64_t argmax_row(const Tensor& t, int64_t row, int64_t cols) {
  int64_t best = 0;
  for (int64_t j = 1; j < cols; ++j)
    if (t.value(row * cols + j) > t.value(row * cols + best)) best = j;
  return best;
}

}  // namespace aps
