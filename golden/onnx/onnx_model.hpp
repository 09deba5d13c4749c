#pragma once
// An ONNX model, loaded and validated: parsed, every initializer decoded and
// checked, every node's op supported at the model's opset, every input
// produced by something, nodes in a topological order (a cycle is an error).
// After load() succeeds the interpreter and the program builder can trust
// the structure; values are checked as they are used.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "golden/numerics/tensor.hpp"

namespace aps {

struct ValueInfo {
  std::string name;
  DType dtype = DType::Undefined;
  bool has_shape = false;
  PartialShape dims;  // nullopt = symbolic or unknown
};

// A node as messages name it: "node 'conv1' (Conv)", or for a node without a
// name "unnamed Conv node writing 'y'".
std::string node_reference(const onnx::NodeProto& node);

// The largest model file the loader reads, and the most external data it
// reads beside one.
inline constexpr size_t kMaxModelBytes = size_t{1} << 30;

// IR versions and default-domain opsets the loader accepts: up to what
// onnx 1.21 writes (IR 13) and opset 27 (onnx 1.22). Opsets 19 to 27 changed
// the implemented ops only by new element types, which the kernels refuse,
// and by attributes each kernel checks (QuantizeLinear's and
// DequantizeLinear's block_size, output_dtype and precision, Pad's wrap
// mode); AveragePool's dilations (19) are the pooling geometry's.
inline constexpr int64_t kMinIrVersion = 3;
inline constexpr int64_t kMaxIrVersion = 13;
inline constexpr int64_t kMinOpset = 1;  // ops whose early semantics differ set their own floor
inline constexpr int64_t kMaxOpset = 27;

class OnnxModel {
 public:
  OnnxModel() = default;
  // Node pointers point into proto_: moving keeps them valid, copying would not.
  OnnxModel(const OnnxModel&) = delete;
  OnnxModel& operator=(const OnnxModel&) = delete;
  OnnxModel(OnnxModel&&) = default;
  OnnxModel& operator=(OnnxModel&&) = default;

  static OnnxModel load(const std::filesystem::path& path);
  // `source` names the model in messages (usually its file).
  static OnnxModel from_proto(onnx::ModelProto proto, std::string source);

  const std::string& source() const { return source_; }
  int64_t opset() const { return opset_; }
  int64_t ir_version() const { return proto_.ir_version(); }
  const onnx::ModelProto& proto() const { return proto_; }
  const onnx::GraphProto& graph() const { return proto_.graph(); }

  // Nodes in an order in which every node's inputs exist before it runs.
  const std::vector<const onnx::NodeProto*>& nodes() const { return order_; }
  const std::map<std::string, Tensor>& initializers() const { return initializers_; }
  const Tensor* initializer(const std::string& name) const;
  // Graph inputs that are not initializers: what a caller must feed.
  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  // The node producing a value, or nullptr (graph input / initializer).
  const onnx::NodeProto* producer(const std::string& value) const;
  // The nodes reading a value.
  std::vector<const onnx::NodeProto*> consumers(const std::string& value) const;

  // The value of a metadata_props entry, if the model has one.
  std::optional<std::string> metadata(const std::string& key) const;

  // "model.onnx: node 'fc1' (Gemm)" — the prefix of every node-level message.
  std::string node_label(const onnx::NodeProto& node) const;

 private:
  void validate_and_sort();

  onnx::ModelProto proto_;
  std::string source_;
  int64_t opset_ = 0;
  std::vector<const onnx::NodeProto*> order_;
  std::map<std::string, Tensor> initializers_;
  std::map<std::string, const onnx::NodeProto*> producers_;
  std::vector<ValueInfo> inputs_;
  std::vector<ValueInfo> outputs_;
};

ValueInfo value_info_from_proto(const onnx::ValueInfoProto& v);

}  // namespace aps
