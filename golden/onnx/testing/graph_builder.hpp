#pragma once
// Builds small ONNX models in tests, so each test states the graph it needs.

#include <filesystem>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "golden/onnx/interpreter.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/numerics/tensor.hpp"

namespace aps::test {

class NodeRef {
 public:
  explicit NodeRef(onnx::NodeProto* n) : n_(n) {}
  NodeRef& attr(const std::string& name, int64_t v);
  NodeRef& attr(const std::string& name, int v) { return attr(name, static_cast<int64_t>(v)); }
  NodeRef& attr(const std::string& name, float v);
  NodeRef& attr(const std::string& name, const std::vector<int64_t>& v);
  NodeRef& attr(const std::string& name, const std::string& v);
  NodeRef& attr(const std::string& name, const Tensor& v);
  NodeRef& domain(const std::string& d);  // e.g. "com.microsoft"

 private:
  onnx::NodeProto* n_;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(int64_t opset = 13, int64_t ir_version = 7);

  // dims: -1 for a symbolic dimension.
  GraphBuilder& input(const std::string& name, DType type, const std::vector<int64_t>& dims);
  GraphBuilder& output(const std::string& name);
  GraphBuilder& initializer(const std::string& name, const Tensor& t);
  NodeRef node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
               const std::string& name = "");

  onnx::ModelProto& proto() { return proto_; }
  OnnxModel model() const;
  TensorMap run(const TensorMap& feeds) const;
  void save(const std::filesystem::path& path) const;

 private:
  onnx::ModelProto proto_;
};

}  // namespace aps::test
