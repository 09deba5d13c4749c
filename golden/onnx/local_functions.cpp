#include "golden/onnx/local_functions.hpp"

#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <utility>

#include "golden/errors.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {
namespace {

// Deeper than any module nesting an exporter writes: a function that calls
// itself, directly or not, is stopped here.
constexpr int kMaxDepth = 64;
// Functions that each call the next twice double the work at every level: a
// small file could ask for more nodes, calls or bytes than memory or time
// allows. Exporters inline a few thousand nodes.
constexpr int64_t kMaxInlined = int64_t{1} << 18;   // calls expanded and nodes they give
constexpr uint64_t kMaxInlinedBytes = uint64_t{1} << 28;  // those nodes' size (Constant tensors copied per call)

std::optional<int64_t> default_opset(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports) {
  for (const auto& op : imports)
    if (is_default_domain(op.domain())) return op.version();
  return std::nullopt;
}

class Inliner {
 public:
  Inliner(const onnx::ModelProto& model, std::string source) : source_(std::move(source)) {
    // Overloads (IR 10) share a domain and name; this ONNX build cannot read
    // which overload a call names.
    for (const auto& f : model.functions())
      if (!functions_.emplace(op_key(f.domain(), f.name()), &f).second)
        throw UnsupportedError(fmt::format("{}: function '{}' of domain '{}' is defined twice (overloads are not "
                                           "supported)",
                                           source_, f.name(), f.domain()));
    model_opset_ = default_opset(model.opset_import());
    // Names the inlined values must not take.
    const auto& g = model.graph();
    for (const auto& v : g.input()) taken_.insert(v.name());
    for (const auto& v : g.output()) taken_.insert(v.name());
    for (const auto& v : g.value_info()) taken_.insert(v.name());
    for (const auto& t : g.initializer()) taken_.insert(t.name());
    for (const auto& n : g.node())
      for (const auto& o : n.output()) taken_.insert(o);
  }

  // Appends `node` to `out`, or, when it calls a function, the function's
  // body; `graph_node` is the graph's node it came from (messages name it).
  void expand(const onnx::NodeProto& node, const onnx::NodeProto& graph_node,
              google::protobuf::RepeatedPtrField<onnx::NodeProto>& out, int depth) {
    const auto it = functions_.find(op_key(node.domain(), node.op_type()));
    if (it != functions_.end() || depth > 0) charge(graph_node, it == functions_.end() ? node.ByteSizeLong() : 0);
    if (it == functions_.end()) {
      *out.Add() = node;
      return;
    }
    const onnx::FunctionProto& f = *it->second;
    check_call(node, graph_node, f, depth);
    // The call's names for the function's inputs and outputs; every other
    // value of the body gets a name of its own for this call.
    const std::string prefix = fmt::format("{}#{}/", node.name().empty() ? f.name() : node.name(), calls_++);
    std::map<std::string, std::string> names;
    for (int i = 0; i < f.output_size(); ++i)
      if (i < node.output_size() && !node.output(i).empty()) names[f.output(i)] = node.output(i);
    // An output that is one of the inputs passes it on: an Identity gives the
    // call's output its value.
    std::vector<std::pair<std::string, std::string>> passed_on;
    for (int i = 0; i < f.input_size(); ++i) {
      const std::string actual = i < node.input_size() ? node.input(i) : "";
      if (const auto o = names.find(f.input(i)); o != names.end()) passed_on.emplace_back(actual, o->second);
      names[f.input(i)] = actual;
    }
    const auto rename = [&](const std::string& v) {
      if (v.empty()) return v;
      if (const auto n = names.find(v); n != names.end()) return n->second;
      std::string own = prefix + v;
      for (int k = 1; taken_.count(own); ++k) own = fmt::format("{}{}_{}", prefix, v, k);
      taken_.insert(own);
      return names[v] = own;
    };
    for (const auto& body : f.node()) {
      onnx::NodeProto copy = body;
      copy.set_name(prefix + (body.name().empty() ? body.op_type() : body.name()));
      for (auto& in : *copy.mutable_input()) in = rename(in);
      for (auto& o : *copy.mutable_output()) o = rename(o);
      bind_attributes(copy, node, f);
      expand(copy, graph_node, out, depth + 1);
    }
    for (const auto& [from, to] : passed_on) {
      onnx::NodeProto identity;
      identity.set_op_type("Identity");
      identity.set_name(prefix + "pass_on_" + to);
      identity.add_input(from);
      identity.add_output(to);
      expand(identity, graph_node, out, depth + 1);
    }
  }

 private:
  // What inlining `graph_node` has cost so far, stopped at the caps.
  void charge(const onnx::NodeProto& graph_node, uint64_t bytes) {
    if (++inlined_ > kMaxInlined || (bytes_ += bytes) > kMaxInlinedBytes)
      throw InputError(fmt::format("{}: {}: inlining the model's functions gives more than {} nodes and calls or {} "
                                   "bytes",
                                   source_, node_reference(graph_node), kMaxInlined, kMaxInlinedBytes));
  }

  void check_call(const onnx::NodeProto& call, const onnx::NodeProto& graph_node, const onnx::FunctionProto& f,
                  int depth) const {
    const std::string where = fmt::format("{}: {}", source_, node_reference(call));
    if (depth >= kMaxDepth)
      throw InputError(fmt::format("{}: {}: function '{}' calls functions more than {} deep (does it call itself?)",
                                   source_, node_reference(graph_node), f.name(), kMaxDepth));
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
                                           source_, node_reference(call), a.ref_attr_name(), f.name()));
      if (!value) continue;
      onnx::AttributeProto& b = *bound.Add();
      b = *value;
      b.set_name(a.name());
    }
    body.mutable_attribute()->Swap(&bound);
  }

  std::string source_;
  std::map<std::string, const onnx::FunctionProto*> functions_;  // by op_key, as calls name them
  std::optional<int64_t> model_opset_;
  std::set<std::string> taken_;
  int calls_ = 0;
  int64_t inlined_ = 0;
  uint64_t bytes_ = 0;
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
