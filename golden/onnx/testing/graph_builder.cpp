#include "golden/onnx/testing/graph_builder.hpp"

#include <fstream>

#include "golden/onnx/tensor_proto.hpp"

namespace aps::test {

NodeRef& NodeRef::attr(const std::string& name, int64_t v) {
  auto* a = n_->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
  return *this;
}

NodeRef& NodeRef::attr(const std::string& name, float v) {
  auto* a = n_->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
  return *this;
}

NodeRef& NodeRef::attr(const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n_->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
  return *this;
}

NodeRef& NodeRef::attr(const std::string& name, const Tensor& v) {
  auto* a = n_->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = tensor_to_proto(v, name);
  return *this;
}

NodeRef& NodeRef::attr(const std::string& name, const std::string& v) {
  auto* a = n_->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
  return *this;
}

NodeRef& NodeRef::domain(const std::string& d) {
  n_->set_domain(d);
  return *this;
}

GraphBuilder::GraphBuilder(int64_t opset, int64_t ir_version) {
  proto_.set_ir_version(ir_version);
  proto_.set_producer_name("aps-tests");
  auto* op = proto_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  proto_.mutable_graph()->set_name("test");
}

GraphBuilder& GraphBuilder::input(const std::string& name, DType type, const std::vector<int64_t>& dims) {
  auto* v = proto_.mutable_graph()->add_input();
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(type));
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) dim->set_dim_param("N");
    else dim->set_dim_value(d);
  }
  return *this;
}

GraphBuilder& GraphBuilder::output(const std::string& name) {
  proto_.mutable_graph()->add_output()->set_name(name);
  return *this;
}

GraphBuilder& GraphBuilder::initializer(const std::string& name, const Tensor& t) {
  *proto_.mutable_graph()->add_initializer() = tensor_to_proto(t, name);
  return *this;
}

NodeRef GraphBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs, const std::string& name) {
  auto* n = proto_.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + std::to_string(proto_.graph().node_size()) : name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return NodeRef(n);
}

OnnxModel GraphBuilder::model() const { return OnnxModel::from_proto(proto_, "test.onnx"); }

TensorMap GraphBuilder::run(const TensorMap& feeds) const {
  const OnnxModel m = model();
  return Interpreter(m).run(feeds);
}

void GraphBuilder::save(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary);
  proto_.SerializeToOstream(&out);
}

}  // namespace aps::test
