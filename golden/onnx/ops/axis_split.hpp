#pragma once
// A tensor seen as outer x len x inner around one axis, the walk of the ops
// that work along an axis (CumSum, TopK, Softmax, Hardmax, OneHot): element k
// of the row (o, i) is at (o * len + k) * inner + i.

#include <cstdint>

#include "golden/numerics/tensor.hpp"

namespace aps {

struct AxisSplit {
  int64_t outer = 1, len = 1, inner = 1;
  int64_t at(int64_t o, int64_t k, int64_t i) const { return (o * len + k) * inner + i; }
};

// Around `axis`; with `coerced`, every dimension from `axis` on is the row
// (the Softmax family before opset 13).
inline AxisSplit split_at_axis(const Shape& shape, int axis, bool coerced = false) {
  AxisSplit s;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < axis) s.outer *= shape[d];
    else if (d == axis || coerced) s.len *= shape[d];
    else s.inner *= shape[d];
  }
  return s;
}

}  // namespace aps
