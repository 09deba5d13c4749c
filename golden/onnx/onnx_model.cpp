#include "golden/onnx/onnx_model.hpp"

#include <fmt/format.h>
#include <set>

#include "golden/errors.hpp"
#include "golden/onnx/external_data.hpp"
#include "golden/onnx/local_functions.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/tensor_proto.hpp"

namespace aps {


ValueInfo value_info_from_proto(const onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  if (v.has_type() && v.type().has_tensor_type()) {
    const auto& tt = v.type().tensor_type();
    info.dtype = is_supported(tt.elem_type()) ? static_cast<DType>(tt.elem_type()) : DType::Undefined;
    if (tt.has_shape()) {
      info.has_shape = true;
      for (const auto& d : tt.shape().dim())
        // Some exporters write -1 for a size the data sets (ONNX says: leave
        // it out, or name it); either way the size is not known here.
        info.dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? std::optional<int64_t>(d.dim_value())
                                                                    : std::nullopt);
    }
  }
  return info;
}

OnnxModel OnnxModel::load(const std::filesystem::path& path) {
  const std::string bytes = read_file_bytes(path, kMaxModelBytes);
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes))
    throw InputError(fmt::format("{}: not a serialized ONNX model (truncated or corrupt protobuf)", path.string()));
  load_external_data(proto, path, kMaxModelBytes);
  return from_proto(std::move(proto), path.string());
}

OnnxModel OnnxModel::from_proto(onnx::ModelProto proto, std::string source) {
  OnnxModel m;
  inline_local_functions(proto, source);
  m.proto_ = std::move(proto);
  m.source_ = std::move(source);
  m.validate_and_sort();
  return m;
}

const Tensor* OnnxModel::initializer(const std::string& name) const {
  const auto it = initializers_.find(name);
  return it == initializers_.end() ? nullptr : &it->second;
}

const onnx::NodeProto* OnnxModel::producer(const std::string& value) const {
  const auto it = producers_.find(value);
  return it == producers_.end() ? nullptr : it->second;
}

std::vector<const onnx::NodeProto*> OnnxModel::consumers(const std::string& value) const {
  std::vector<const onnx::NodeProto*> out;
  for (const auto* n : order_)
    for (const auto& in : n->input())
      if (in == value) {
        out.push_back(n);
        break;
      }
  return out;
}

std::optional<std::string> OnnxModel::metadata(const std::string& key) const {
  for (const auto& p : proto_.metadata_props())
    if (p.key() == key) return p.value();
  return std::nullopt;
}

std::string node_reference(const onnx::NodeProto& node) {
  if (!node.name().empty()) return fmt::format("node '{}' ({})", node.name(), node.op_type());
  if (node.output_size() == 0 || node.output(0).empty()) return fmt::format("unnamed {} node", node.op_type());
  return fmt::format("unnamed {} node writing '{}'", node.op_type(), node.output(0));
}

std::string OnnxModel::node_label(const onnx::NodeProto& node) const {
  return fmt::format("{}: {}", source_, node_reference(node));
}

void OnnxModel::validate_and_sort() {
  if (!proto_.has_graph() || proto_.graph().node_size() == 0)
    throw InputError(fmt::format("{}: the model has no graph nodes (empty or not an ONNX model)", source_));
  const int64_t ir = proto_.ir_version();
  if (ir < kMinIrVersion || ir > kMaxIrVersion)
    throw InputError(fmt::format("{}: IR version {} is not supported (APS reads {}..{})", source_, ir, kMinIrVersion,
                                 kMaxIrVersion));
  opset_ = 0;
  for (const auto& op : proto_.opset_import()) {
    if (is_default_domain(op.domain())) opset_ = op.version();
  }
  if (opset_ == 0) throw InputError(fmt::format("{}: the model imports no default-domain (ai.onnx) opset", source_));
  if (opset_ < kMinOpset || opset_ > kMaxOpset)
    throw InputError(fmt::format("{}: opset {} is not supported (APS reads opsets {}..{})", source_, opset_, kMinOpset,
                                 kMaxOpset));

  const auto& g = proto_.graph();
  for (const auto& init : g.initializer()) {
    if (init.name().empty()) throw InputError(fmt::format("{}: an initializer has no name", source_));
    if (initializers_.count(init.name()))
      throw InputError(fmt::format("{}: initializer '{}' is defined twice", source_, init.name()));
    initializers_.emplace(init.name(), tensor_from_proto(init, fmt::format("{}: initializer '{}'", source_, init.name())));
  }
  if (g.sparse_initializer_size() > 0)
    throw UnsupportedError(fmt::format("{}: sparse initializers are not supported", source_));

  std::set<std::string> available;  // values that exist before any node runs
  for (const auto& [name, t] : initializers_) available.insert(name);
  for (const auto& in : g.input()) {
    available.insert(in.name());
    if (!initializers_.count(in.name())) {
      ValueInfo info = value_info_from_proto(in);
      if (info.dtype == DType::Undefined)
        throw UnsupportedError(fmt::format("{}: graph input '{}' is not a tensor of a supported element type", source_,
                                           in.name()));
      inputs_.push_back(std::move(info));
    }
  }

  // Every node: supported op, known opset semantics, unique outputs.
  for (const auto& node : g.node()) {
    const std::string label = node_label(node);
    const OpInfo* info = find_op(node.domain(), node.op_type());
    if (!info && !is_default_domain(node.domain()))
      throw UnsupportedError(fmt::format("{}: op '{}' of domain '{}' is not supported (file {}, opset {})", label,
                                         node.op_type(), node.domain(), source_, opset_));
    if (!info)
      throw UnsupportedError(fmt::format("{}: op type '{}' is not supported at any opset (the model uses opset {})",
                                         label, node.op_type(), opset_));
    if (opset_ < info->min_opset)
      throw UnsupportedError(fmt::format("{}: op type '{}' is supported from opset {}, the model uses opset {}", label,
                                         node.op_type(), info->min_opset, opset_));
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      if (available.count(out) || producers_.count(out))
        throw InputError(fmt::format("{}: output '{}' is already defined elsewhere in the graph", label, out));
      producers_.emplace(out, &node);
    }
  }

  // Kahn's algorithm over the value graph: a node is ready when all its
  // inputs exist. Whatever never becomes ready either reads a value nothing
  // produces (dangling) or sits on a cycle.
  std::vector<const onnx::NodeProto*> pending;
  for (const auto& node : g.node()) pending.push_back(&node);
  for (const auto* node : pending)
    for (const auto& in : node->input())
      if (!in.empty() && !available.count(in) && !producers_.count(in))
        throw InputError(fmt::format("{}: input '{}' is not produced by any node, initializer or graph input",
                                     node_label(*node), in));
  bool progress = true;
  while (!pending.empty() && progress) {
    progress = false;
    std::vector<const onnx::NodeProto*> still;
    for (const auto* node : pending) {
      bool ready = true;
      for (const auto& in : node->input()) ready = ready && (in.empty() || available.count(in));
      if (ready) {
        order_.push_back(node);
        for (const auto& out : node->output()) available.insert(out);
        progress = true;
      } else {
        still.push_back(node);
      }
    }
    pending.swap(still);
  }
  if (!pending.empty())
    throw InputError(fmt::format("{}: the graph has a cycle through this node", node_label(*pending.front())));

  for (const auto& out : g.output()) {
    if (!available.count(out.name()))
      throw InputError(fmt::format("{}: graph output '{}' is not produced by any node", source_, out.name()));
    outputs_.push_back(value_info_from_proto(out));
  }
}

}  // namespace aps
