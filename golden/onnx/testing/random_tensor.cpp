#include "golden/onnx/testing/random_tensor.hpp"

namespace aps::test {

Tensor random_tensor(std::mt19937& rng, Shape shape, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(static_cast<size_t>(checked_element_count(shape, "t")));
  for (auto& x : v) x = d(rng);
  return Tensor::from_reals(DType::Float, std::move(shape), std::move(v));
}

}  // namespace aps::test
