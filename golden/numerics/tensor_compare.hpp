#pragma once
// Comparison of a computed tensor with an expected one: integral tensors bit
// for bit, floating tensors within |got - want| <= atol + rtol * |want|
// (NaN equals NaN).

#include <cstdint>
#include <optional>
#include <string>

#include "golden/numerics/tensor.hpp"

namespace aps {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

struct TensorDifference {
  std::string what;       // one line: the first difference, or a shape/type disagreement
  int64_t element = -1;   // first differing element, -1 for shape/type
  int64_t differing = 0;  // how many elements differ
};

// nullopt when they agree.
std::optional<TensorDifference> compare_tensors(const Tensor& got, const Tensor& want, Tolerance tol);

// Index of the largest value of row `row` of a [rows, cols] view (first on ties).
int64_t argmax_row(const Tensor& t, int64_t row, int64_t cols);

// Column of the first NaN or infinity in that row; nullopt when all are finite.
std::optional<int64_t> non_finite_in_row(const Tensor& t, int64_t row, int64_t cols);

}  // namespace aps
