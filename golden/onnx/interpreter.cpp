#include "golden/onnx/interpreter.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {

void check_feed_type(const ValueInfo& info, const Tensor& value, std::string_view source) {
  if (value.dtype() != info.dtype)
    throw InputError(fmt::format("{}: input '{}' must be {}, got {}", source, info.name, dtype_name(info.dtype),
                                 dtype_name(value.dtype())));
}

void check_feed_shape(const ValueInfo& info, const Tensor& value, std::string_view source) {
  if (!info.has_shape) return;
  bool ok = static_cast<size_t>(value.rank()) == info.dims.size();
  for (size_t i = 0; ok && i < info.dims.size(); ++i)
    ok = !info.dims[i] || *info.dims[i] == value.shape()[i];
  if (!ok)
    throw InputError(fmt::format("{}: input '{}' must have shape {}, got {}", source, info.name,
                                 shape_string(info.dims), shape_string(value.shape())));
}

void Interpreter::check_feed(const ValueInfo& info, const Tensor& value) const {
  check_feed_type(info, value, model_.source());
  check_feed_shape(info, value, model_.source());
}

// A value goes after the last node that reads it: a network of 224x224
// images held every value of every layer, tens of megabytes per sample,
// where the live ones are a few. Graph outputs stay; a graph input no node
// reads stays too.
Interpreter::Interpreter(const OnnxModel& model) : model_(model), release_(model.nodes().size()) {
  const std::vector<const onnx::NodeProto*>& nodes = model_.nodes();
  std::set<std::string> kept;
  for (const auto& out : model_.outputs()) kept.insert(out.name);
  std::map<std::string, size_t> last_reader;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : nodes[i]->input()) last_reader[in] = i;
  for (const auto& [name, reader] : last_reader)
    if (!name.empty() && !kept.count(name)) release_[reader].push_back(name);
  // Node outputs nothing reads go after their node.
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& out : nodes[i]->output())
      if (!out.empty() && !kept.count(out) && !last_reader.count(out)) release_[i].push_back(out);
}

TensorMap Interpreter::run(const TensorMap& feeds, const ValueObserver& observer, int64_t* peak_bytes) const {
  const std::vector<const onnx::NodeProto*>& nodes = model_.nodes();
  TensorMap values;
  int64_t live = 0, peak = 0;
  auto bytes = [](const Tensor& t) { return t.size() * static_cast<int64_t>(sizeof(double)); };
  for (const auto& info : model_.inputs()) {
    const auto it = feeds.find(info.name);
    if (it == feeds.end()) throw InputError(fmt::format("{}: no data for input '{}'", model_.source(), info.name));
    check_feed(info, it->second);
    values.emplace(info.name, it->second);
    live += bytes(it->second);
    if (observer) observer(info.name, it->second);
  }
  peak = live;
  auto lookup = [&](const std::string& name) -> const Tensor* {
    if (name.empty()) return nullptr;
    if (const auto it = values.find(name); it != values.end()) return &it->second;
    return model_.initializer(name);
  };

  for (size_t index = 0; index < nodes.size(); ++index) {
    const onnx::NodeProto* node = nodes[index];
    OpContext ctx{*node, model_.opset(), {}, NodeAttributes(*node, model_.node_label(*node))};
    for (const auto& in : node->input()) ctx.inputs.push_back(lookup(in));
    std::vector<Tensor> outputs;
    // Every error names the node: a kernel's own message may come from a
    // tensor helper that knows no node ("cannot reshape [48,12] to [12,1]").
    const auto named = [&](const std::exception& e) {
      const std::string what = e.what();
      return what.find(ctx.label()) == std::string::npos ? fmt::format("{}: {}", ctx.label(), what) : what;
    };
    try {
      outputs = find_op(node->domain(), node->op_type())->kernel(ctx);
    } catch (const UnsupportedError& e) {
      throw UnsupportedError(named(e));
    } catch (const std::exception& e) {
      throw InputError(named(e));
    }
    for (int i = 0; i < node->output_size(); ++i) {
      const std::string& name = node->output(i);
      if (name.empty()) continue;
      if (i >= static_cast<int>(outputs.size()))
        throw UnsupportedError(fmt::format("{}: optional output {} ('{}') is not implemented", ctx.label(), i, name));
      if (observer) observer(name, outputs[i]);
      live += bytes(outputs[i]);
      if (const auto it = values.find(name); it != values.end()) live -= bytes(it->second);
      values.insert_or_assign(name, std::move(outputs[i]));
    }
    peak = std::max(peak, live);
    for (const std::string& name : release_[index])
      if (const auto it = values.find(name); it != values.end()) {
        live -= bytes(it->second);
        values.erase(it);
      }
  }
  if (peak_bytes) *peak_bytes = peak;

  TensorMap result;
  for (const auto& out : model_.outputs()) {
    const Tensor* t = lookup(out.name);
    result.emplace(out.name, *t);
  }
  return result;
}

}  // namespace aps
