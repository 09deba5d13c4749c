#pragma once
// The shapes of a numpy matmul, shared by MatMul and its integer forms:
// 1-D operands are promoted and the promoted dimension removed from the
// result; batch dimensions broadcast.

#include <string_view>
#include <vector>

#include "golden/numerics/tensor.hpp"

namespace aps {

struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, k = 0, n = 0, batches = 0;
  // For each output matrix, the index of the matrix of A / B it reads (the
  // batch dimensions broadcast, so several outputs may read one matrix).
  std::vector<int64_t> a_matrix, b_matrix;

  int64_t a_offset(int64_t batch) const { return a_matrix[batch] * m * k; }
  int64_t b_offset(int64_t batch) const { return b_matrix[batch] * k * n; }
};

// InputError naming `label` when the shapes do not multiply.
MatMulPlan plan_matmul(Shape a, Shape b, std::string_view label);

}  // namespace aps
