#include "golden/onnx/ops/matmul_plan.hpp"

#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/ops/broadcasting.hpp"

namespace aps {

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
  p.a_matrix = broadcast_offsets(batch, a_batch);
  p.b_matrix = broadcast_offsets(batch, b_batch);
  p.batches = static_cast<int64_t>(p.a_matrix.size());
  p.out_shape = batch;
  if (!a_vec) p.out_shape.push_back(p.m);
  if (!b_vec) p.out_shape.push_back(p.n);
  checked_element_count(p.out_shape, label);
  return p;
}

}  // namespace aps
