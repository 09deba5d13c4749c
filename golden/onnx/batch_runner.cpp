#include "golden/onnx/batch_runner.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <optional>

#include "golden/errors.hpp"
#include "golden/onnx/tensor_proto.hpp"
#include "golden/parallel_for.hpp"

namespace aps {

namespace {

// Samples of one interpreter run when a model's batch dimension is free: the
// largest intermediate of a small CNN at this batch stays far below the
// interpreter's tensor size limit, where a 10,000-sample data set at once
// would not.
constexpr int64_t kFreeBatchChunk = 256;

// How a stack of feeds runs: in `runs` runs of as equal a size as can be
// (0: the feeds as they are, in one run). Equal sizes matter: a last run of
// one sample would meet an exporter's axis-less Squeeze, which then drops the
// batch dimension too, so no run holds one sample unless the model fixes its
// batch at 1 or the whole batch is one sample (where ONNX squeezes it too).
struct Split {
  int64_t samples = 0;
  int64_t runs = 0;
  int64_t begin(int64_t r) const { return r * (samples / runs) + std::min(r, samples % runs); }
  int64_t end(int64_t r) const { return begin(r + 1); }
};

// An axis list as an attribute, or as a constant input (an initializer or a
// Constant node); nullopt when the node gives none or it is not constant.
std::optional<std::vector<int64_t>> constant_axes(const OnnxModel& model, const onnx::NodeProto& node) {
  for (const auto& a : node.attribute())
    if (a.name() == "axes") return std::vector<int64_t>(a.ints().begin(), a.ints().end());
  if (node.input_size() < 2 || node.input(1).empty()) return std::nullopt;
  if (const Tensor* t = model.initializer(node.input(1))) return t->ints();
  if (const onnx::NodeProto* c = model.producer(node.input(1)); c && c->op_type() == "Constant")
    for (const auto& a : c->attribute())
      if (a.name() == "value") return tensor_from_proto(a.t(), model.node_label(*c)).ints();
  return std::nullopt;
}

int64_t int_attribute(const onnx::NodeProto& node, const char* name, int64_t otherwise) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return otherwise;
}

// The first node whose result for one sample depends on the other samples
// of the batch (a statistic over the whole tensor or along axis 0): runs in
// chunks would change it. Axes it cannot see (not constant, negative ones)
// are taken as not the batch's.
const onnx::NodeProto* couples_samples(const OnnxModel& model) {
  for (const onnx::NodeProto* n : model.nodes()) {
    const std::string& op = n->op_type();
    if (op == "DynamicQuantizeLinear") return n;
    if (op.starts_with("Reduce")) {
      const bool given = n->input_size() > 1 && !n->input(1).empty();
      const auto axes = constant_axes(model, *n);
      if (axes && std::find(axes->begin(), axes->end(), 0) != axes->end()) return n;
      // No axes: every axis, the batch's too, unless noop_with_empty_axes.
      if ((!axes && !given) || (axes && axes->empty()))
        if (int_attribute(*n, "noop_with_empty_axes", 0) == 0) return n;
    }
    if ((op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") &&
        int_attribute(*n, "axis", model.opset() < 13 ? 1 : -1) == 0)
      return n;
    if ((op == "ArgMax" || op == "ArgMin") && int_attribute(*n, "axis", 0) == 0) return n;
  }
  return nullptr;
}

// A model that fixes its batch at B runs B samples at a time (an exporter's
// dummy batch); one whose batch dimension is free runs in chunks of at most
// kFreeBatchChunk, unless an op couples the samples (then as ONNX defines
// it: the feeds as one tensor); anything else (inputs that disagree on the
// batch, samples that do not fill whole batches) runs as it is.
Split split_of(const OnnxModel& model, const TensorMap& feeds) {
  int64_t n = 0;
  std::optional<int64_t> fixed;  // the batch every input fixes, if they all fix one
  bool all_fixed = true, free_batch = true;
  for (const ValueInfo& info : model.inputs()) {
    const auto it = feeds.find(info.name);
    if (it == feeds.end() || !info.has_shape || info.dims.empty()) return {};
    const Tensor& t = it->second;
    if (t.rank() != static_cast<int>(info.dims.size()) || t.rank() < 1) return {};
    if (n && t.shape()[0] != n) return {};
    n = t.shape()[0];
    if (info.dims[0] && (!fixed || *fixed == *info.dims[0]))
      fixed = info.dims[0];
    else
      all_fixed = false;
    free_batch = free_batch && !info.dims[0];
  }
  if (all_fixed && fixed && *fixed >= 1 && n > *fixed && n % *fixed == 0) return {n, n / *fixed};
  if (free_batch && n > kFreeBatchChunk && !couples_samples(model))
    return {n, (n + kFreeBatchChunk - 1) / kFreeBatchChunk};
  return {};
}

}  // namespace

void check_batches_fit(const OnnxModel& model, const DataSet& ds) {
  for (size_t i = 0; i < model.inputs().size() && i < ds.inputs.size(); ++i) {
    const ValueInfo& info = model.inputs()[i];
    if (!info.has_shape || info.dims.empty()) continue;
    check_sample_shape(ds, i, {info.dims.begin() + 1, info.dims.end()},
                       fmt::format("input '{}' of {}", info.name, model.source()));
    const int64_t n = ds.inputs[i].tensor.shape()[0];
    if (info.dims[0] && *info.dims[0] > 0 && n % *info.dims[0] != 0)
      throw InputError(fmt::format("{}: {} samples do not fill whole batches of {}, the batch input '{}' of {} fixes",
                                   ds.input_file(i).string(), n, *info.dims[0], info.name, model.source()));
  }
}

Tensor batch_slice(const Tensor& batch, int64_t begin, int64_t end) {
  Shape shape = batch.shape();
  const int64_t per = batch.size() / shape.at(0);
  shape[0] = end - begin;
  if (batch.floating())
    return Tensor::from_reals(batch.dtype(), shape,
                              {batch.reals().begin() + begin * per, batch.reals().begin() + end * per});
  return Tensor::from_ints(batch.dtype(), shape, {batch.ints().begin() + begin * per, batch.ints().begin() + end * per});
}

Tensor batch_sample(const Tensor& batch, int64_t i) { return batch_slice(batch, i, i + 1); }

TensorMap run_batch(const OnnxModel& model, const TensorMap& feeds, const ValueObserver& observer, int threads) {
  const Interpreter interpreter(model);
  const Split split = split_of(model, feeds);
  if (split.runs == 0) return interpreter.run(feeds, observer);
  const auto runs = static_cast<size_t>(split.runs);
  std::vector<TensorMap> outputs(runs);
  parallel_for(runs, observer ? 1 : threads, [&](size_t r) {
    const int64_t begin = split.begin(static_cast<int64_t>(r)), end = split.end(static_cast<int64_t>(r));
    TensorMap part;
    for (const auto& [name, t] : feeds) part.emplace(name, batch_slice(t, begin, end));
    outputs[r] = interpreter.run(part, observer);
  });
  struct Stack {
    DType dtype = DType::Undefined;
    Shape shape;
    std::vector<double> reals;
    std::vector<int64_t> ints;
  };
  std::map<std::string, Stack> stacks;
  for (size_t r = 0; r < runs; ++r) {
    const int64_t begin = split.begin(static_cast<int64_t>(r)), end = split.end(static_cast<int64_t>(r));
    for (const auto& [name, t] : outputs[r]) {
      if (t.rank() < 1 || t.shape()[0] != end - begin)
        throw InputError(fmt::format("{}: output '{}' of a run on {} samples has shape {}", model.source(), name,
                                     end - begin, shape_string(t.shape())));
      Stack& s = stacks[name];
      if (s.shape.empty()) {
        s.dtype = t.dtype();
        s.shape = t.shape();
        s.shape[0] = 0;
      }
      s.shape[0] += end - begin;
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
