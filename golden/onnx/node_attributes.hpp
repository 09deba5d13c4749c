#pragma once
// Typed, checked access to an ONNX node's attributes. A wrong attribute type
// is bad input and names the node.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace aps {

class NodeAttributes {
 public:
  NodeAttributes(const onnx::NodeProto& node, std::string label);

  bool has(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> get_floats(const std::string& name) const;
  const onnx::TensorProto* get_tensor(const std::string& name) const;
  const std::string& label() const { return label_; }

 private:
  const onnx::AttributeProto* find(const std::string& name, onnx::AttributeProto::AttributeType type) const;
  const onnx::NodeProto& node_;
  std::string label_;
};

}  // namespace aps
