#include "golden/onnx/batch_runner.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <optional>

#include "golden/errors.hpp"
#include "golden/onnx/node_attributes.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/reduce.hpp"
#include "golden/parallel_for.hpp"

namespace aps {

namespace {

// Samples of one interpreter run when a model's batch dimension is free: the
// largest intermediate of a small CNN at this batch stays far below the
// interpreter's tensor size limit, where a 10,000-sample data set at once
// would not.
constexpr int64_t kFreeBatchChunk = 256;
// Up to this many samples of a free batch run whole, without the two-sample
// probe run that sizes the chunks of a larger batch.
constexpr int64_t kProbedBatch = 16;

// How a stack of feeds runs: in `runs` runs of as equal a size as can be
// (0: the feeds as they are, in one run). Equal sizes matter: a last run of
// one sample would meet an exporter's axis-less Squeeze, which then drops the
// batch dimension too, so no run holds one sample unless the model fixes its
// batch at 1 or the whole batch is one sample (where ONNX squeezes it too).
struct Split {
  int64_t samples = 0;
  int64_t runs = 0;
  bool chunks = false;  // of a free batch (a fixed batch's runs are the model's own)
  int64_t begin(int64_t r) const { return r * (samples / runs) + std::min(r, samples % runs); }
  int64_t end(int64_t r) const { return begin(r + 1); }
};

// Whether `value` is the same for every sample: an initializer, a Constant,
// or what layout and (de)quantization ops make of one (weights in QDQ form).
bool constant_value(const OnnxModel& model, const std::string& value, int depth = 0) {
  if (model.initializer(value)) return true;
  const onnx::NodeProto* p = model.producer(value);
  if (!p || depth > 8) return false;
  if (p->op_type() == "Constant") return true;
  const std::string& op = p->op_type();
  const bool passes_on = op == "DequantizeLinear" || op == "QuantizeLinear" || op == "Cast" || op == "Transpose" ||
                         op == "Reshape" || op == "Identity" || op == "Unsqueeze" || op == "Squeeze";
  return passes_on && p->input_size() > 0 && constant_value(model, p->input(0), depth + 1);
}

// The values of a constant input (an initializer, or what a Constant node
// holds, as its kernel gives it); nullopt when it is computed.
std::optional<std::vector<int64_t>> constant_ints(const OnnxModel& model, const std::string& value) {
  if (const Tensor* t = model.initializer(value)) return t->ints();
  const onnx::NodeProto* c = model.producer(value);
  if (!c || c->op_type() != "Constant") return std::nullopt;
  const OpContext ctx{*c, model.opset(), {}, NodeAttributes(*c, model.node_label(*c))};
  return find_op("", "Constant")->kernel(ctx).front().ints();
}

// The first node whose result for one sample depends on other samples of the
// batch, so that runs in chunks would change it: a statistic over the whole
// tensor or along axis 0, an index or a product along axis 0, a per-axis
// quantization along it. `ranks` holds each value's rank (a negative axis
// counts from it; an axis whose rank is not known counts as axis 0).
const onnx::NodeProto* couples_samples(const OnnxModel& model, const std::map<std::string, int>& ranks) {
  for (const onnx::NodeProto* n : model.nodes()) {
    const std::string& op = n->op_type();
    const NodeAttributes attrs(*n, model.node_label(*n));
    const auto rank = [&](int input) {
      const auto it = n->input_size() > input ? ranks.find(n->input(input)) : ranks.end();
      return it == ranks.end() ? -1 : it->second;
    };
    const auto is_batch_axis = [&](int64_t axis, int input = 0) {
      const int r = rank(input);
      return axis == 0 || (axis < 0 && (r < 0 || axis + r == 0));
    };
    const auto any_batch_axis = [&](const std::vector<int64_t>& axes) {
      return std::any_of(axes.begin(), axes.end(), [&](int64_t a) { return is_batch_axis(a); });
    };
    if (op == "DynamicQuantizeLinear") return n;
    if (op.starts_with("Reduce")) {
      const bool as_input = model.opset() >= reduce_axes_input_opset(op);
      std::optional<std::vector<int64_t>> axes;
      if (!as_input) {
        axes = attrs.get_ints("axes");
      } else if (n->input_size() > 1 && !n->input(1).empty()) {
        axes = constant_ints(model, n->input(1));
        if (!axes) return n;  // computed axes: they may be the batch's
      } else {
        axes = std::vector<int64_t>{};
      }
      if (axes->empty() ? attrs.get_int("noop_with_empty_axes", 0) == 0 : any_batch_axis(*axes)) return n;
    }
    if ((op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") &&
        is_batch_axis(attrs.get_int("axis", model.opset() < 13 ? 1 : -1)))
      return n;
    if ((op == "ArgMax" || op == "ArgMin" || op == "Gather") && is_batch_axis(attrs.get_int("axis", 0)) &&
        !(op == "Gather" && constant_value(model, n->input(0))))
      return n;
    if (op == "Flatten" && is_batch_axis(attrs.get_int("axis", 1))) return n;
    // Taking some samples, joining or splitting along the batch, a
    // normalization whose statistics span it. (Of a sample tensor: rank 1 is
    // the shape arithmetic exporters write, Shape -> Slice -> Concat.)
    if ((op == "Concat" || op == "Split" || op == "LayerNormalization") && rank(0) != 1 &&
        is_batch_axis(attrs.get_int("axis", op == "LayerNormalization" ? -1 : 0)))
      return n;
    if (op == "Slice" && rank(0) != 1) {
      if (model.opset() < 10) {
        const auto axes = attrs.get_ints("axes");
        if (axes.empty() || any_batch_axis(axes)) return n;
      } else if (n->input_size() <= 3 || n->input(3).empty()) {
        return n;  // every axis from 0
      } else {
        const auto axes = constant_ints(model, n->input(3));
        if (!axes || any_batch_axis(*axes)) return n;
      }
    }
    if (op == "Transpose") {
      const auto perm = attrs.get_ints("perm");
      if (perm.empty() ? rank(0) != 1 : perm[0] != 0) return n;
    }
    if ((op == "QuantizeLinear" || op == "DequantizeLinear") && n->input_size() > 1 &&
        !constant_value(model, n->input(0))) {
      const int r = rank(1);
      if (r != 0 && (r < 0 || is_batch_axis(attrs.get_int("axis", 1)))) {
        const Tensor* scale = model.initializer(n->input(1));
        if (!scale || scale->size() != 1) return n;
      }
    }
    // A product with a second operand that varies by sample: a 2-D one
    // contracts the batch (x @ x^T x); batched (rank 3 and up) ones do not.
    if ((op == "MatMul" || op == "MatMulInteger" || op == "Gemm") && n->input_size() > 1 &&
        !constant_value(model, n->input(1)) && (op == "Gemm" || rank(1) < 3))
      return n;
    if (op == "Gemm" && attrs.get_int("transA", 0) != 0) return n;
  }
  return nullptr;
}

// A run of the first two samples: each value's rank (ranks do not depend on
// how many samples a run holds) and the bytes a sample's live values take.
struct Probe {
  std::map<std::string, int> ranks;
  int64_t sample_bytes = 0;
};
// (Only a batch of more than kProbedBatch samples is probed.)
Probe probe_run(const Interpreter& interpreter, const TensorMap& feeds) {
  Probe probe;
  TensorMap two;
  for (const auto& [name, t] : feeds) {
    probe.ranks[name] = t.rank();
    two.emplace(name, batch_slice(t, 0, 2));
  }
  int64_t peak = 0;
  interpreter.run(two, [&](const std::string& name, const Tensor& value) { probe.ranks[name] = value.rank(); }, &peak);
  probe.sample_bytes = std::max<int64_t>(1, peak / 2);
  return probe;
}

// A model that fixes its batch at B runs B samples at a time (an exporter's
// dummy batch); one whose batch dimension is free runs in chunks (runs 0:
// run_batch sizes them, unless an op couples the samples); anything else
// (inputs that disagree on the batch, samples that do not fill whole
// batches) runs as it is.
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
  // A few samples run whole: the probe that sizes the runs would cost as much as they do.
  if (free_batch && n > kProbedBatch) return {n, 0, true};
  return {};
}

}  // namespace

void check_batches_fit(const OnnxModel& model, const DataSet& ds) {
  for (size_t i = 0; i < model.inputs().size() && i < ds.inputs.size(); ++i) {
    const ValueInfo& info = model.inputs()[i];
    if (!info.has_shape || info.dims.empty()) continue;
    check_sample_shape(ds, i, {info.dims.begin() + 1, info.dims.end()},
                       fmt::format("input '{}' of {}", info.name, model.source()));
    check_whole_batches(info, ds.inputs[i].tensor, ds.input_file(i).string(), model.source());
  }
}

void check_whole_batches(const ValueInfo& info, const Tensor& samples, const std::string& file,
                         const std::string& model_source) {
  const auto batch = info.dims.empty() ? std::nullopt : info.dims[0];
  if (!batch || *batch <= 0 || samples.rank() == 0 || samples.shape()[0] % *batch == 0) return;
  throw InputError(fmt::format("{}: {} samples do not fill whole batches of {}, the batch input '{}' of {} fixes", file,
                               samples.shape()[0], *batch, info.name, model_source));
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

TensorMap run_batch(const OnnxModel& model, const TensorMap& feeds, const ValueObserver& observer, int threads,
                    int64_t run_bytes) {
  const Interpreter interpreter(model);
  Split split = split_of(model, feeds);
  if (split.chunks) {
    // A free batch whose ops couple the samples runs whole, as ONNX defines
    // it; otherwise in runs of at most kFreeBatchChunk samples and run_bytes,
    // none of fewer than two samples (Split).
    Probe probe;
    try {
      probe = probe_run(interpreter, feeds);
    } catch (const std::exception&) {
      // The run of every sample meets the same node and says so with the shapes the caller gave.
      return interpreter.run(feeds, observer);
    }
    if (couples_samples(model, probe.ranks)) return interpreter.run(feeds, observer);
    const int64_t chunk = std::clamp<int64_t>(run_bytes / probe.sample_bytes, 2, kFreeBatchChunk);
    split.runs = std::min((split.samples + chunk - 1) / chunk, split.samples / 2);
    if (split.runs <= 1) return interpreter.run(feeds, observer);
  }
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
      if (t.rank() < 1 || t.shape()[0] != end - begin) {
        const onnx::NodeProto* writer = model.producer(name);
        throw InputError(fmt::format("{}: output '{}' of a run on {} samples has shape {}{}: its first dimension "
                                     "must stay the batch", model.source(), name, end - begin,
                                     shape_string(t.shape()),
                                     writer ? fmt::format(" (written by {})", node_reference(*writer)) : ""));
      }
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
