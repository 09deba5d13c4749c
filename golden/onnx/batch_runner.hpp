#pragma once
// Runs a model on a batch of samples stacked along the first dimension. A
// model whose batch dimension is free takes the batch in chunks of at most a
// few hundred samples, fewer where a sample's live values are large (a whole
// test set at once would exceed the interpreter's tensor size limit, or the
// machine's memory), unless one of its ops couples the samples (a
// DynamicQuantizeLinear, a reduction or Softmax over the batch axis): then
// the batch runs whole, as ONNX defines it. A model that fixes the batch at B
// (1 as TensorFlow exporters write them, or an exporter's dummy batch) runs B
// samples at a time. The outputs are stacked back along the first dimension,
// so the result is the same as one run on the batch.

#include "golden/onnx/data_set.hpp"
#include "golden/onnx/interpreter.hpp"

namespace aps {

// The most bytes the live values of one run of a free batch may hold: a
// network of large images runs fewer samples at a time (a sample's share is
// measured on a run of two).
constexpr int64_t kRunBytes = int64_t{1} << 29;

// InputError naming the input when the feeds fit neither way. The observer
// sees every value of every run. Without an observer, up to `threads` runs
// go side by side (the result is the same for any count); an observer sees
// the runs one after another.
TensorMap run_batch(const OnnxModel& model, const TensorMap& feeds, const ValueObserver& observer = nullptr,
                    int threads = 1, int64_t run_bytes = kRunBytes);

// InputError naming the file unless each input file of `ds` holds samples of
// the shape its model input takes, in whole batches where the input fixes its
// batch (checked whole, before a run meets a part of the batch and reports
// that part's shape).
void check_batches_fit(const OnnxModel& model, const DataSet& ds);
// The same for one input: InputError naming `file` unless `samples` fill whole
// batches of the batch `info` fixes (if it fixes one).
void check_whole_batches(const ValueInfo& info, const Tensor& samples, const std::string& file,
                         const std::string& model_source);

// Samples [begin, end) of a batch, as a batch of end - begin.
Tensor batch_slice(const Tensor& batch, int64_t begin, int64_t end);

// Sample `i` of a batch, as a batch of one.
Tensor batch_sample(const Tensor& batch, int64_t i);

}  // namespace aps
