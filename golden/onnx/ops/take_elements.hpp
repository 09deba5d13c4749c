#pragma once
// The element copy the data-movement ops share: a tensor whose element k is
// another's element offsets[k], any element type, values copied exactly.

#include <cstdint>
#include <vector>

#include "golden/numerics/tensor.hpp"

namespace aps {

inline Tensor take_elements(const Tensor& x, Shape shape, const std::vector<int64_t>& offsets) {
  Tensor y(x.dtype(), std::move(shape));
  if (x.floating())
    for (size_t k = 0; k < offsets.size(); ++k) y.reals()[k] = x.reals()[offsets[k]];
  else
    for (size_t k = 0; k < offsets.size(); ++k) y.ints()[k] = x.ints()[offsets[k]];
  return y;
}

}  // namespace aps
