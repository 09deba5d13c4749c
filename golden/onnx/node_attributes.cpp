#include "golden/onnx/node_attributes.hpp"

#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps {

NodeAttributes::NodeAttributes(const onnx::NodeProto& node, std::string label) : node_(node), label_(std::move(label)) {}

const onnx::AttributeProto* NodeAttributes::find(const std::string& name, onnx::AttributeProto::AttributeType type) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() != name) continue;
    if (!a.ref_attr_name().empty())
      throw UnsupportedError(fmt::format("{}: attribute '{}' refers to a function attribute, which is not supported", label_, name));
    // Old exporters leave `type` unset; trust the populated field then.
    if (a.type() != onnx::AttributeProto::UNDEFINED && a.type() != type)
      throw InputError(fmt::format("{}: attribute '{}' has type {}, expected {}", label_, name,
                                   onnx::AttributeProto::AttributeType_Name(a.type()),
                                   onnx::AttributeProto::AttributeType_Name(type)));
    return &a;
  }
  return nullptr;
}

bool NodeAttributes::has(const std::string& name) const {
  for (const auto& a : node_.attribute())
    if (a.name() == name) return true;
  return false;
}

int64_t NodeAttributes::get_int(const std::string& name, int64_t fallback) const {
  const auto* a = find(name, onnx::AttributeProto::INT);
  return a ? a->i() : fallback;
}

float NodeAttributes::get_float(const std::string& name, float fallback) const {
  const auto* a = find(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : fallback;
}

std::string NodeAttributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* a = find(name, onnx::AttributeProto::STRING);
  return a ? a->s() : fallback;
}

std::vector<int64_t> NodeAttributes::get_ints(const std::string& name, std::vector<int64_t> fallback) const {
  const auto* a = find(name, onnx::AttributeProto::INTS);
  if (!a) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

std::vector<float> NodeAttributes::get_floats(const std::string& name) const {
  const auto* a = find(name, onnx::AttributeProto::FLOATS);
  if (!a) return {};
  return {a->floats().begin(), a->floats().end()};
}

const onnx::TensorProto* NodeAttributes::get_tensor(const std::string& name) const {
  const auto* a = find(name, onnx::AttributeProto::TENSOR);
  return a ? &a->t() : nullptr;
}

}  // namespace aps
