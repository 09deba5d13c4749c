#pragma once
// Data in the ONNX backend-test layout: a folder with input_N.pb (and
// optionally output_N.pb) TensorProto files, or a folder of such
// test_data_set_K folders. APS adds labels.pb (int64, one label per sample
// along the first dimension) for accuracy measurements.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "golden/numerics/tensor.hpp"
#include "golden/onnx/tensor_proto.hpp"

namespace aps {

struct DataSet {
  std::filesystem::path folder;
  std::vector<NamedTensor> inputs;   // input_0.pb, input_1.pb, ...
  std::vector<NamedTensor> outputs;  // output_0.pb, ... (expected; may be empty)
  std::optional<Tensor> labels;      // labels.pb

  // The file messages name for input 0 when it is not folder/input_0.pb: the
  // .pb file the data set is, or the first folder's of a split load_split
  // joined from several (whose files all hold its type and sample shape).
  std::optional<std::filesystem::path> input_0_file;

  // Samples along the first dimension of input 0 (1 for an unbatched input).
  int64_t sample_count() const;
  // The file input i was read from, for messages.
  std::filesystem::path input_file(size_t i) const;
};

// One folder with input_N.pb files. InputError if it has none.
DataSet load_data_set(const std::filesystem::path& folder);

// A test_data_set_K folder of the ONNX layout.
bool is_test_data_set_folder(const std::filesystem::directory_entry& entry);

// `path` is a test_data_set folder, a folder of test_data_set_K folders, or a
// single input .pb file. InputError naming the path if it holds no inputs.
std::vector<DataSet> load_data_sets(const std::filesystem::path& path);

// One split of samples from `path` (as load_data_sets reads it): a folder of
// test_data_set_K folders is their samples in order, one batch, for the
// tools that study one split (aps-study, aps-bench). InputError naming the
// folder whose input type, sample shape or labels differ from the first's.
DataSet load_split(const std::filesystem::path& path);

// A split's folders are all labelled or none is: a figure over the labelled
// ones would be for other samples than the run's. InputError naming the
// first folder that differs from the first.
void check_split_labels(const std::vector<DataSet>& sets);

// Rejects NaN and infinite values in floating inputs, naming the file.
void check_finite(const NamedTensor& t, const std::filesystem::path& file);

// InputError naming the file unless every input file holds at least one
// sample (a first dimension of 0 holds none).
void check_has_samples(const DataSet& ds);

// InputError naming input_<input>.pb of `ds` unless it is a batch of samples
// (first dimension) of shape `sample_dims` (nullopt: any size), as `what`
// (for example "input 'x' of model.onnx") takes them.
void check_sample_shape(const DataSet& ds, size_t input, const PartialShape& sample_dims,
                        const std::string& what);

// What the accelerator's tools read as a batch of samples: one input_0.pb of
// float32, finite, with at least one sample. InputError naming the file.
void check_sample_batch(const DataSet& ds);

}  // namespace aps
