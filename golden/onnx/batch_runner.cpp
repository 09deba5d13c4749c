#include "golden/onnx/batch_runner.hpp"

#include <fmt/format.h>
#include <map>

#include "golden/errors.hpp"

namespace aps {

Tensor batch_sample(const Tensor& batch, int64_t i) {
  Shape shape = batch.shape();
  const int64_t per = batch.size() / shape.at(0);
  shape[0] = 1;
  if (batch.floating())
    return Tensor::from_reals(batch.dtype(), shape,
                              {batch.reals().begin() + i * per, batch.reals().begin() + (i + 1) * per});
  return Tensor::from_ints(batch.dtype(), shape, {batch.ints().begin() + i * per, batch.ints().begin() + (i + 1) * per});
}

namespace {

// The batch size the feeds hold where the model fixes its batch at 1 and
// everything else matches; 0 when the feeds should run as they are.
int64_t split_count(const OnnxModel& model, const TensorMap& feeds) {
  int64_t n = 0;
  for (const ValueInfo& info : model.inputs()) {
    const auto it = feeds.find(info.name);
    if (it == feeds.end() || !info.has_shape || info.dims.empty() || !info.dims[0] || *info.dims[0] != 1) return 0;
    const Tensor& t = it->second;
    if (t.rank() != static_cast<int>(info.dims.size()) || t.shape()[0] <= 1) return 0;
    if (n && t.shape()[0] != n) return 0;
    n = t.shape()[0];
  }
  return n;
}

}  // namespace

TensorMap run_batch(const OnnxModel& model, const TensorMap& feeds, const ValueObserver& observer) {
  const Interpreter interpreter(model);
  const int64_t n = split_count(model, feeds);
  if (n == 0) return interpreter.run(feeds, observer);
  struct Stack {
    DType dtype = DType::Undefined;
    Shape shape;
    std::vector<double> reals;
    std::vector<int64_t> ints;
  };
  std::map<std::string, Stack> stacks;
  for (int64_t i = 0; i < n; ++i) {
    TensorMap one;
    for (const auto& [name, t] : feeds) one.emplace(name, batch_sample(t, i));
    for (const auto& [name, t] : interpreter.run(one, observer)) {
      if (t.rank() < 1 || t.shape()[0] != 1)
        throw InputError(fmt::format("{}: output '{}' of a batch-1 run has shape {}, not [1,...]", model.source(), name,
                                     shape_string(t.shape())));
      Stack& s = stacks[name];
      if (s.shape.empty()) {
        s.dtype = t.dtype();
        s.shape = t.shape();
        s.shape[0] = 0;
      }
      ++s.shape[0];
      s.reals.insert(s.reals.end(), t.reals().begin(), t.reals().end());
      s.ints.insert(s.ints.end(), t.ints().begin(), t.ints().end());
    }
  }
  TensorMap stacked;
  for (auto& [name, s] : stacks)
    stacked.emplace(name, is_floating(s.dtype) ? Tensor::from_reals(s.dtype, s.shape, std::move(s.reals))
                                               : Tensor::from_ints(s.dtype, s.shape, std::move(s.ints)));
  return stacked;
}

}  // namespace aps
