#pragma once
// Runs an OnnxModel with ONNX semantics, node by node. An observer sees every
// value as it is produced: calibration collects ranges with it, and
// debugging tools save intermediate tensors (FINN-style verification steps).

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "golden/onnx/onnx_model.hpp"
#include "golden/numerics/tensor.hpp"

namespace aps {

using TensorMap = std::map<std::string, Tensor>;
using ValueObserver = std::function<void(const std::string& name, const Tensor& value)>;

// The element type a feed of graph input `info` must have; `source` names
// where the value came from (the model, or the data file that holds it), as
// the InputError does.
void check_feed_type(const ValueInfo& info, const Tensor& value, std::string_view source);
// The same for its declared sizes (a size left free matches any).
void check_feed_shape(const ValueInfo& info, const Tensor& value, std::string_view source);

class Interpreter {
 public:
  explicit Interpreter(const OnnxModel& model);

  // Feeds must cover every graph input; element types must match and fixed
  // dimensions must agree (InputError naming the input otherwise). Returns
  // the graph outputs. A value is dropped after the last node that reads it,
  // so a run holds what is live at one node, not every value of the model;
  // `peak_bytes`, if given, receives the most the live values held at once.
  TensorMap run(const TensorMap& feeds, const ValueObserver& observer = nullptr, int64_t* peak_bytes = nullptr) const;

 private:
  void check_feed(const ValueInfo& info, const Tensor& value) const;
  const OnnxModel& model_;
  // After node i, the values it was the last to read (or that nothing reads):
  // the same for every run, so made once.
  std::vector<std::vector<std::string>> release_;
};

}  // namespace aps
