#include "golden/onnx/external_data.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "golden/errors.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/onnx/tensor_proto.hpp"

namespace aps {
namespace {

namespace fs = std::filesystem;

bool stored_externally(const onnx::TensorProto& t) {
  return t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0;
}

std::optional<uint64_t> parse_offset(const std::string& text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

bool inside(const fs::path& file, const fs::path& folder) {
  const auto [f, _] = std::mismatch(folder.begin(), folder.end(), file.begin(), file.end());
  return f == folder.end();
}

// The location as a path below the folder of `owner_file`, or why it is not one.
fs::path checked_location(const std::string& location, const fs::path& owner_file, std::string_view context) {
  if (location.empty()) throw InputError(fmt::format("{}: external data with an empty location", context));
  const fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    throw InputError(fmt::format("{}: external data location '{}' is an absolute path; ONNX locations are relative "
                                 "to the model's folder",
                                 context, location));
  for (const auto& part : rel)
    if (part == "..")
      throw InputError(fmt::format("{}: external data location '{}' leaves the model's folder", context, location));
  const fs::path folder = owner_file.parent_path();
  const fs::path file = folder / rel;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw InputError(fmt::format("{}: external data file '{}' not found (looked in {})", context, location,
                                 folder.empty() ? fs::path(".").string() : folder.string()));
  const fs::path resolved = fs::weakly_canonical(file, ec);
  const fs::path here = fs::weakly_canonical(folder.empty() ? fs::path(".") : folder, ec);
  const fs::path owner_resolved = fs::weakly_canonical(owner_file, ec).parent_path();
  if (ec || !(inside(resolved, here) || inside(resolved, owner_resolved)))
    throw InputError(fmt::format("{}: external data location '{}' is a link to {}, outside the model's folder",
                                 context, location, resolved.string()));
  return file;
}

void for_each_tensor(onnx::GraphProto& graph, const auto& visit, std::string_view where);

void for_each_tensor(onnx::NodeProto& node, const auto& visit, std::string_view where) {
  for (auto& a : *node.mutable_attribute()) {
    const std::string here = fmt::format("{}{} attribute '{}'", where, node_reference(node), a.name());
    if (a.has_t()) visit(*a.mutable_t(), here);
    for (auto& t : *a.mutable_tensors()) visit(t, here);
    if (a.has_g()) for_each_tensor(*a.mutable_g(), visit, here + ": ");
    for (auto& g : *a.mutable_graphs()) for_each_tensor(g, visit, here + ": ");
  }
}

void for_each_tensor(onnx::GraphProto& graph, const auto& visit, std::string_view where) {
  for (auto& t : *graph.mutable_initializer()) visit(t, fmt::format("{}initializer '{}'", where, t.name()));
  for (auto& n : *graph.mutable_node()) for_each_tensor(n, visit, where);
}

// Every tensor of the model: its graph's, and its functions' nodes'.
void for_each_tensor(onnx::ModelProto& model, const auto& visit, const std::string& where) {
  if (model.has_graph()) for_each_tensor(*model.mutable_graph(), visit, where);
  for (auto& f : *model.mutable_functions())
    for (auto& n : *f.mutable_node()) for_each_tensor(n, visit, fmt::format("{}function '{}': ", where, f.name()));
}

}  // namespace

void load_external_data(onnx::TensorProto& tensor, const fs::path& owner_file, std::string_view context,
                        uint64_t& budget) {
  if (!stored_externally(tensor)) return;
  if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
    throw InputError(fmt::format("{}: external_data entries, but data_location is not EXTERNAL", context));
  if (tensor.has_raw_data())
    throw InputError(fmt::format("{}: values both in raw_data and in an external file; a tensor holds them in one",
                                 context));
  std::optional<std::string> location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const auto& e : tensor.external_data()) {
    // Other keys (checksum, basepath) do not decide which bytes are the
    // values; onnx's loader ignores them too.
    if (e.key() == "location") {
      location = e.value();
    } else if (e.key() == "offset" || e.key() == "length") {
      const auto v = parse_offset(e.value());
      if (!v)
        throw InputError(fmt::format("{}: external data {} '{}' is not a whole number of bytes", context, e.key(),
                                     e.value()));
      if (e.key() == "offset")
        offset = *v;
      else
        length = *v;
    }
  }
  if (!location) throw InputError(fmt::format("{}: stored in an external file, but no location names it", context));
  const fs::path file = checked_location(*location, owner_file, context);
  std::error_code ec;
  const uint64_t size = fs::file_size(file, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read external data file {}: {}", context, file.string(), ec.message()));
  if (offset > size)
    throw InputError(fmt::format("{}: external data offset {} is past the end of {} ({} bytes)", context, offset,
                                 file.string(), size));
  const uint64_t bytes = length.value_or(size - offset);
  if (bytes > size - offset)
    throw InputError(fmt::format("{}: external data offset {} + length {} is past the end of {} ({} bytes)", context,
                                 offset, bytes, file.string(), size));
  if (bytes > budget)
    throw InputError(fmt::format("{}: external data of {} bytes is more than the {} bytes APS still accepts for "
                                 "this model",
                                 context, bytes, budget));
  std::string values(bytes, '\0');
  std::ifstream in(file, std::ios::binary);
  if (!in.seekg(static_cast<std::streamoff>(offset)) || !in.read(values.data(), static_cast<std::streamsize>(bytes)))
    throw InputError(fmt::format("{}: cannot read {} bytes at offset {} of {}", context, bytes, offset, file.string()));
  budget -= bytes;
  tensor.set_raw_data(std::move(values));
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
}

std::vector<fs::path> external_data_files(const fs::path& model_file) {
  onnx::ModelProto model;
  try {
    if (!model.ParseFromString(read_file_bytes(model_file, kMaxModelBytes))) return {};
  } catch (const InputError&) {
    return {};
  }
  std::set<fs::path> files;
  const auto visit = [&](onnx::TensorProto& t, const std::string&) {
    for (const auto& e : t.external_data())
      if (e.key() == "location" && !e.value().empty()) files.insert(model_file.parent_path() / e.value());
  };
  for_each_tensor(model, visit, "");
  return {files.begin(), files.end()};
}

void load_external_data(onnx::ModelProto& model, const fs::path& model_file, uint64_t max_bytes) {
  const std::string where = model_file.string() + ": ";
  uint64_t budget = max_bytes;
  const auto visit = [&](onnx::TensorProto& t, const std::string& context) {
    load_external_data(t, model_file, context, budget);
  };
  for_each_tensor(model, visit, where);
}

}  // namespace aps
