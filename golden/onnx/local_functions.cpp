#include "golden/onnx/local_functions.hpp"

#include <fmt/format.h>
#include <map>
#include <optional>
#include <utility>

#include "golden/errors.hpp"

namespace aps {
namespace {

// Deeper than any module nesting an exporter writes: a function that calls
// itself, directly or not, is stopped here.
constexpr int kMaxDepth = 64;
// Functions that each call the next twice double the graph at every level: a
// small file could ask for more nodes than memory holds.
constexpr int kMaxNodes = 1 << 18;  // exporters write a few thousand

std::string canonical_domain(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

std::optional<int64_t> default_opset(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports) {
  for (const auto& op : imports)
    if (canonical_domain(op.domain()).empty()) return op.version();
  return std::nullopt;
}

std::string call_label(const onnx::NodeProto& call) {
  return fmt::format("node '{}' ({})", call.name().empty() ? "->" + (call.output_size() ? call.output(0) : "?") : call.name(),
                     call.op_type());
}

class Inliner {
 public:
  Inliner(const onnx::ModelProto& model, std::string source) : source_(std::move(source)) {
    // Overloads (IR 10) share a domain and name; this ONNX build cannot read
    // which overload a call names.
    for (const auto& f : model.functions())
      if (!functions_.emplace(std::pair(canonical_domain(f.domain()), f.name()), &f).second)
        throw UnsupportedError(fmt::format("{}: function '{}' of domain '{}' is defined twice (overloads are not "
                                           "supported)",
                                           source_, f.name(), f.domain()));
    model_opset_ = default_opset(model.opset_import());
  }

  // Appends `node` to `out`, or, when it calls a function, the function's
  // body; `graph_node` is the graph's node it came from (messages name it).
  void expand(const onnx::NodeProto& node, const onnx::NodeProto& graph_node,
              google::protobuf::RepeatedPtrField<onnx::NodeProto>& out, int depth) {
    const auto it = functions_.find(std::pair(canonical_domain(node.domain()), node.op_type()));
    if (it == functions_.end()) {
      if (out.size() >= kMaxNodes)
        throw InputError(fmt::format("{}: {}: inlining the model's functions gives more than {} nodes", source_,
                                     call_label(graph_node), kMaxNodes));
      *out.Add() = node;
      return;
    }
    const onnx::FunctionProto& f = *it->second;
    check_call(node, graph_node, f, depth);
    // The call's names for the function's inputs and outputs; every other
    // value of the body gets a name of its own for this call.
    const std::string prefix = fmt::format("{}#{}/", node.name().empty() ? f.name() : node.name(), calls_++);
    std::map<std::string, std::string> names;
    for (int i = 0; i < f.input_size(); ++i) names[f.input(i)] = i < node.input_size() ? node.input(i) : "";
    for (int i = 0; i < f.output_size(); ++i)
      names[f.output(i)] = i < node.output_size() && !node.output(i).empty() ? node.output(i) : prefix + f.output(i);
    const auto rename = [&](const std::string& v) {
      if (v.empty()) return v;
      const auto n = names.find(v);
      return n == names.end() ? prefix + v : n->second;
    };
    for (const auto& body : f.node()) {
      onnx::NodeProto copy = body;
      copy.set_name(prefix + (body.name().empty() ? body.op_type() : body.name()));
      for (auto& in : *copy.mutable_input()) in = rename(in);
      for (auto& o : *copy.mutable_output()) o = rename(o);
      bind_attributes(copy, node, f);
      expand(copy, graph_node, out, depth + 1);
    }
  }

 private:
  void check_call(const onnx::NodeProto& call, const onnx::NodeProto& graph_node, const onnx::FunctionProto& f,
                  int depth) const {
    const std::string where = fmt::format("{}: {}", source_, call_label(call));
    if (depth >= kMaxDepth)
      throw InputError(fmt::format("{}: {}: function '{}' calls functions more than {} deep (does it call itself?)",
                                   source_, call_label(graph_node), f.name(), kMaxDepth));
    if (call.input_size() > f.input_size() || call.output_size() > f.output_size())
      throw InputError(fmt::format("{}: {} inputs and {} outputs, function '{}' declares {} and {}", where,
                                   call.input_size(), call.output_size(), f.name(), f.input_size(), f.output_size()));
    const auto opset = default_opset(f.opset_import());
    if (opset && model_opset_ && *opset != *model_opset_)
      throw UnsupportedError(fmt::format("{}: function '{}' imports default opset {}, the model {}; APS runs one",
                                         where, f.name(), *opset, *model_opset_));
  }

  // Attributes that refer to the call's (ref_attr_name) take the call's
  // value, else are left out (the op's default), as ONNX says. A function's
  // own defaults (attribute_proto, IR 9) are a field this ONNX build cannot
  // read: a reference they could answer is refused, not guessed.
  void bind_attributes(onnx::NodeProto& body, const onnx::NodeProto& call, const onnx::FunctionProto& f) const {
    google::protobuf::RepeatedPtrField<onnx::AttributeProto> bound;
    for (const auto& a : body.attribute()) {
      if (a.ref_attr_name().empty()) {
        *bound.Add() = a;
        continue;
      }
      const onnx::AttributeProto* value = nullptr;
      for (const auto& c : call.attribute())
        if (c.name() == a.ref_attr_name()) value = &c;
      if (!value && f.GetReflection()->GetUnknownFields(f).field_count() > 0)
        throw UnsupportedError(fmt::format("{}: {}: attribute '{}' of function '{}' is not given by the call, and the "
                                           "function carries fields this ONNX build cannot read (attribute defaults?)",
                                           source_, call_label(call), a.ref_attr_name(), f.name()));
      if (!value) continue;
      onnx::AttributeProto& b = *bound.Add();
      b = *value;
      b.set_name(a.name());
    }
    body.mutable_attribute()->Swap(&bound);
  }

  std::string source_;
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto*> functions_;
  std::optional<int64_t> model_opset_;
  int calls_ = 0;
};

}  // namespace

void inline_local_functions(onnx::ModelProto& model, const std::string& source) {
  if (model.functions_size() == 0 || !model.has_graph()) return;
  Inliner inliner(model, source);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> flat;
  for (const auto& node : model.graph().node()) inliner.expand(node, node, flat, 0);
  model.mutable_graph()->mutable_node()->Swap(&flat);
  model.clear_functions();
}

}  // namespace aps
