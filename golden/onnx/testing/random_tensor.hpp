#pragma once
// Random float tensors for tests that build graphs with weights.

#include <random>

#include "golden/numerics/tensor.hpp"

namespace aps::test {

// A float32 tensor of `shape`, each element uniform in [lo, hi).
Tensor random_tensor(std::mt19937& rng, Shape shape, double lo, double hi);

}  // namespace aps::test
