#include "golden/onnx/data_set.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {
namespace fs = std::filesystem;

fs::path DataSet::input_file(size_t i) const {
  return input_0_file && i == 0 ? *input_0_file : folder / fmt::format("input_{}.pb", i);
}

int64_t DataSet::sample_count() const {
  if (inputs.empty()) return 0;
  const Tensor& t = inputs.front().tensor;
  return t.rank() == 0 ? 1 : t.shape()[0];
}

void check_finite(const NamedTensor& t, const fs::path& file) {
  if (!t.tensor.floating()) return;
  for (int64_t i = 0; i < t.tensor.size(); ++i)
    if (!std::isfinite(t.tensor.reals()[i]))
      throw InputError(fmt::format("{}: element {} is {} (inputs must be finite)", file.string(), i, t.tensor.reals()[i]));
}

void check_has_samples(const DataSet& ds) {
  for (size_t i = 0; i < ds.inputs.size(); ++i) {
    const Tensor& t = ds.inputs[i].tensor;
    if (t.rank() > 0 && t.shape()[0] == 0)
      throw InputError(fmt::format("{}: holds no samples (shape {})", ds.input_file(i).string(),
                                   shape_string(t.shape())));
  }
}

void check_sample_shape(const DataSet& ds, size_t input, const PartialShape& sample_dims,
                        const std::string& what) {
  const Tensor& t = ds.inputs.at(input).tensor;
  bool fits = static_cast<size_t>(t.rank()) == sample_dims.size() + 1;
  for (size_t i = 0; fits && i < sample_dims.size(); ++i) fits = !sample_dims[i] || *sample_dims[i] == t.shape()[i + 1];
  if (fits) return;
  PartialShape want{std::nullopt};
  want.insert(want.end(), sample_dims.begin(), sample_dims.end());
  throw InputError(fmt::format("{}: shape {} does not fit {}, {} (samples along the first dimension)",
                               ds.input_file(input).string(), shape_string(t.shape()), what, shape_string(want)));
}

namespace {
void check_one_input(const DataSet& ds) {
  if (ds.inputs.size() != 1)
    throw InputError(fmt::format("{}: expected one input file (input_0.pb), found {}", ds.folder.string(), ds.inputs.size()));
}
}  // namespace

void check_sample_batch(const DataSet& ds) {
  const fs::path file = ds.input_file(0);
  check_one_input(ds);
  const Tensor& t = ds.inputs[0].tensor;
  if (t.dtype() != DType::Float)
    throw InputError(fmt::format("{}: input must be float32, got {} (write the samples as the model's float input, "
                                 "scaled as it was trained: raw uint8 pixels usually / 255)",
                                 file.string(), dtype_name(t.dtype())));
  check_has_samples(ds);
  check_finite(ds.inputs[0], file);
}

DataSet load_data_set(const fs::path& folder) {
  DataSet ds;
  ds.folder = folder;
  for (int i = 0;; ++i) {
    const fs::path p = folder / fmt::format("input_{}.pb", i);
    if (!fs::exists(p)) break;
    ds.inputs.push_back(read_tensor_file(p));
  }
  if (ds.inputs.empty())
    throw InputError(fmt::format("{}: no input_0.pb here (expected the ONNX test_data_set layout)", folder.string()));
  for (int i = 0;; ++i) {
    const fs::path p = folder / fmt::format("output_{}.pb", i);
    if (!fs::exists(p)) break;
    ds.outputs.push_back(read_tensor_file(p));
  }
  const fs::path lp = folder / "labels.pb";
  if (fs::exists(lp)) {
    Tensor labels = read_tensor_file(lp).tensor;
    const bool fits = !labels.floating() && labels.rank() == 1 && labels.size() == ds.sample_count();
    // A stray input_1.pb of another sample count is the likelier fault than
    // the labels (a model of several inputs may have labels that fit).
    if (!fits && ds.inputs.size() > 1)
      throw InputError(fmt::format("{}: labels.pb does not fit input_0.pb, and the folder holds {} input files: "
                                   "labelled data is one input file (input_0.pb) per sample batch",
                                   folder.string(), ds.inputs.size()));
    if (!fits)
      // Name the input's shape too: a batch written without its sample
      // dimension ([64] for one sample of 64) is the usual cause.
      throw InputError(fmt::format("{}: labels must be a 1-D integer tensor with {} entries (one per sample: the first "
                                   "dimension of input_0.pb, shape {}), got {} {}",
                                   lp.string(), ds.sample_count(), shape_string(ds.inputs[0].tensor.shape()),
                                   dtype_name(labels.dtype()), shape_string(labels.shape())));
    // A class index or an anomaly flag is never negative; counting one as a
    // wrong answer would hide a corrupt file.
    const auto& values = labels.ints();
    if (const auto bad = std::find_if(values.begin(), values.end(), [](int64_t v) { return v < 0; }); bad != values.end())
      throw InputError(fmt::format("{}: label {} of sample {} is negative", lp.string(), *bad, bad - values.begin()));
    ds.labels = std::move(labels);
  }
  return ds;
}

bool is_test_data_set_folder(const fs::directory_entry& entry) {
  std::error_code ec;
  return entry.is_directory(ec) && entry.path().filename().string().starts_with("test_data_set_");
}

std::vector<DataSet> load_data_sets(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    DataSet ds;
    ds.folder = path.parent_path();
    ds.input_0_file = path;
    ds.inputs.push_back(read_tensor_file(path));
    return {std::move(ds)};
  }
  if (!fs::is_directory(path, ec)) throw InputError(fmt::format("{}: no such file or folder", path.string()));
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (is_test_data_set_folder(e)) folders.push_back(e.path());
  if (fs::exists(path / "input_0.pb")) {
    // Reading one would leave the other unread without a word.
    if (!folders.empty())
      throw InputError(fmt::format("{}: holds both input_0.pb and test_data_set_* folders ({}); give the one to read",
                                   path.string(), folders.front().filename().string()));
    return {load_data_set(path)};
  }
  if (folders.empty())
    throw InputError(fmt::format("{}: holds neither input_0.pb nor test_data_set_* folders", path.string()));
  // test_data_set_2 before test_data_set_10.
  std::sort(folders.begin(), folders.end(), [](const fs::path& a, const fs::path& b) {
    const auto na = a.filename().string(), nb = b.filename().string();
    return na.size() != nb.size() ? na.size() < nb.size() : na < nb;
  });
  std::vector<DataSet> sets;
  for (const auto& f : folders) sets.push_back(load_data_set(f));
  return sets;
}

void check_split_labels(const std::vector<DataSet>& sets) {
  for (const DataSet& ds : sets)
    if (ds.labels.has_value() != sets.front().labels.has_value())
      throw InputError(fmt::format("{}: {} labels.pb, unlike {}", ds.folder.string(), ds.labels ? "has a" : "has no",
                                   sets.front().folder.string()));
}

DataSet load_split(const fs::path& path) {
  std::vector<DataSet> sets = load_data_sets(path);
  if (sets.size() == 1) return std::move(sets.front());
  DataSet out;
  out.folder = path;
  out.input_0_file = sets.front().input_file(0);
  const Tensor& first = sets.front().inputs.at(0).tensor;
  const bool labelled = sets.front().labels.has_value();
  Shape shape = first.shape();
  if (!shape.empty()) shape[0] = 0;  // an unbatched first folder is refused below
  std::vector<double> reals;
  std::vector<int64_t> ints, labels;
  for (const DataSet& ds : sets) {
    check_one_input(ds);
    const Tensor& t = ds.inputs[0].tensor;
    if (t.rank() == 0)
      throw InputError(fmt::format("{}: one unbatched sample; a split of several folders holds batches (samples "
                                   "along the first dimension)",
                                   ds.input_file(0).string()));
    // What would be found in the joined batch is named in its own file.
    check_has_samples(ds);
    check_finite(ds.inputs[0], ds.input_file(0));
    if (t.dtype() != first.dtype() || t.rank() != first.rank() ||
        !std::equal(t.shape().begin() + 1, t.shape().end(), first.shape().begin() + 1))
      throw InputError(fmt::format("{}: input_0.pb is {} {}, unlike {}'s {} {}: a split's folders hold samples of one "
                                   "type and shape",
                                   ds.folder.string(), dtype_name(t.dtype()), shape_string(t.shape()),
                                   sets.front().folder.string(), dtype_name(first.dtype()), shape_string(first.shape())));
    shape[0] += t.shape()[0];
    if (t.floating())
      reals.insert(reals.end(), t.reals().begin(), t.reals().end());
    else
      ints.insert(ints.end(), t.ints().begin(), t.ints().end());
    if (labelled && ds.labels) labels.insert(labels.end(), ds.labels->ints().begin(), ds.labels->ints().end());
  }
  check_split_labels(sets);  // after what each folder's own files would hide
  const std::string name = sets.front().inputs[0].name;
  out.inputs.push_back({name, first.floating() ? Tensor::from_reals(first.dtype(), shape, std::move(reals))
                                               : Tensor::from_ints(first.dtype(), shape, std::move(ints))});
  if (labelled) {
    const auto n = static_cast<int64_t>(labels.size());
    out.labels = Tensor::from_ints(DType::Int64, {n}, std::move(labels));
  }
  return out;
}

}  // namespace aps
