#include "golden/onnx/tensor_proto.hpp"

#include "golden/file_output.hpp"

#include <bit>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <utility>

#include "golden/errors.hpp"
#include "golden/onnx/external_data.hpp"

namespace aps {
namespace {

constexpr size_t kMaxTensorFileBytes = size_t{1} << 30;

static_assert(std::endian::native == std::endian::little, "raw_data decoding assumes a little-endian host");

template <typename T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

void decode_raw(const std::string& raw, DType type, int64_t n, Tensor& t) {
  const char* p = raw.data();
  for (int64_t i = 0; i < n; ++i, p += dtype_size(type)) {
    switch (type) {
      case DType::Float: t.reals()[i] = load_le<float>(p); break;
      case DType::Double: t.reals()[i] = load_le<double>(p); break;
      case DType::Float16: t.reals()[i] = half_bits_to_double(load_le<uint16_t>(p)); break;
      case DType::UInt8: t.ints()[i] = load_le<uint8_t>(p); break;
      case DType::Int8: t.ints()[i] = load_le<int8_t>(p); break;
      case DType::Bool: t.ints()[i] = load_le<uint8_t>(p) != 0; break;
      case DType::UInt16: t.ints()[i] = load_le<uint16_t>(p); break;
      case DType::Int16: t.ints()[i] = load_le<int16_t>(p); break;
      case DType::Int32: t.ints()[i] = load_le<int32_t>(p); break;
      case DType::UInt32: t.ints()[i] = load_le<uint32_t>(p); break;
      case DType::Int64: t.ints()[i] = load_le<int64_t>(p); break;
      case DType::UInt64: {
        const uint64_t v = load_le<uint64_t>(p);
        if (v > static_cast<uint64_t>(dtype_max(DType::UInt64)))
          throw InputError("uint64 value above 2^63-1 is not supported");
        t.ints()[i] = static_cast<int64_t>(v);
        break;
      }
      default: break;
    }
  }
}

// The typed field that holds a tensor of `type` when raw_data is absent.
std::pair<int64_t, std::string_view> typed_field(const onnx::TensorProto& proto, DType type) {
  switch (type) {
    case DType::Float: return {proto.float_data_size(), "float_data"};
    case DType::Double: return {proto.double_data_size(), "double_data"};
    case DType::Int64: return {proto.int64_data_size(), "int64_data"};
    case DType::UInt32: case DType::UInt64: return {proto.uint64_data_size(), "uint64_data"};
    default: return {proto.int32_data_size(), "int32_data"};  // float16, bool, the small integer types
  }
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, std::string_view context) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0)
    // load_external_data reads them when a file is loaded; a proto built
    // in memory has no folder to read them from.
    throw InputError(fmt::format("{}: tensor data stored in an external file that was not read", context));
  if (proto.has_segment()) throw InputError(fmt::format("{}: segmented tensors are not supported", context));
  if (proto.data_type() == onnx::TensorProto::UNDEFINED)
    throw InputError(fmt::format("{}: no element type (data_type 0, UNDEFINED): not a tensor", context));
  if (!is_supported(proto.data_type()))
    throw InputError(fmt::format("{}: element type {} is not supported", context, element_type_name(proto.data_type())));
  const auto type = static_cast<DType>(proto.data_type());
  Shape shape(proto.dims().begin(), proto.dims().end());
  const int64_t n = checked_element_count(shape, context);

  // The data must all be there before the tensor is allocated, so a tiny
  // file claiming a huge tensor costs nothing.
  if (proto.has_raw_data()) {
    // ONNX allows the values in one field only; which one a reader takes
    // would otherwise decide what the tensor holds.
    // One type per typed field (typed_field names them); strings have no DType.
    for (DType holder : {DType::Float, DType::Double, DType::Int64, DType::UInt64, DType::Int8})
      if (const auto [count, field] = typed_field(proto, holder); count > 0)
        throw InputError(fmt::format("{}: values in both raw_data and {}; a tensor holds them in one", context, field));
    if (proto.string_data_size() > 0)
      throw InputError(fmt::format("{}: values in both raw_data and string_data; a tensor holds them in one", context));
    const auto expected = static_cast<uint64_t>(n) * static_cast<uint64_t>(dtype_size(type));
    if (proto.raw_data().size() != expected)
      throw InputError(fmt::format("{}: raw_data has {} bytes, a {} tensor of shape {} needs {}", context,
                                   proto.raw_data().size(), dtype_name(type), shape_string(shape), expected));
  } else if (const auto [count, field] = typed_field(proto, type); count != n) {
    throw InputError(fmt::format("{}: {} holds {} values, the shape needs {}", context, field, count, n));
  }
  Tensor t(type, shape);

  if (proto.has_raw_data()) {
    try {
      decode_raw(proto.raw_data(), type, n, t);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", context, e.what()));
    }
    return t;
  }

  switch (type) {
    case DType::Float:
      for (int64_t i = 0; i < n; ++i) t.reals()[i] = proto.float_data(static_cast<int>(i));
      break;
    case DType::Double:
      for (int64_t i = 0; i < n; ++i) t.reals()[i] = proto.double_data(static_cast<int>(i));
      break;
    case DType::Int64:
      for (int64_t i = 0; i < n; ++i) t.ints()[i] = proto.int64_data(static_cast<int>(i));
      break;
    case DType::UInt32:
    case DType::UInt64:
      for (int64_t i = 0; i < n; ++i) {
        const uint64_t v = proto.uint64_data(static_cast<int>(i));
        if (v > static_cast<uint64_t>(dtype_max(type)))
          throw InputError(fmt::format("{}: value {} out of range for {}", context, v, dtype_name(type)));
        t.ints()[i] = static_cast<int64_t>(v);
      }
      break;
    case DType::Float16:  // bit patterns travel in int32_data
      for (int64_t i = 0; i < n; ++i) t.reals()[i] = half_bits_to_double(static_cast<uint16_t>(proto.int32_data(static_cast<int>(i))));
      break;
    default:  // the small integer types and bool travel in int32_data
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = proto.int32_data(static_cast<int>(i));
        if (v < dtype_min(type) || v > dtype_max(type))
          throw InputError(fmt::format("{}: value {} out of range for {}", context, v, dtype_name(type)));
        t.ints()[i] = v;
      }
      break;
  }
  return t;
}

onnx::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  std::string raw;
  raw.resize(static_cast<size_t>(tensor.size()) * static_cast<size_t>(dtype_size(tensor.dtype())));
  char* p = raw.data();
  for (int64_t i = 0; i < tensor.size(); ++i, p += dtype_size(tensor.dtype())) {
    auto store = [&](auto v) { std::memcpy(p, &v, sizeof(v)); };
    switch (tensor.dtype()) {
      case DType::Float: store(static_cast<float>(tensor.reals()[i])); break;
      case DType::Double: store(tensor.reals()[i]); break;
      case DType::Float16: store(double_to_half_bits(tensor.reals()[i])); break;
      case DType::UInt8: case DType::Bool: store(static_cast<uint8_t>(tensor.ints()[i])); break;
      case DType::Int8: store(static_cast<int8_t>(tensor.ints()[i])); break;
      case DType::UInt16: store(static_cast<uint16_t>(tensor.ints()[i])); break;
      case DType::Int16: store(static_cast<int16_t>(tensor.ints()[i])); break;
      case DType::Int32: store(static_cast<int32_t>(tensor.ints()[i])); break;
      case DType::UInt32: store(static_cast<uint32_t>(tensor.ints()[i])); break;
      case DType::Int64: case DType::UInt64: store(tensor.ints()[i]); break;
      default: break;
    }
  }
  proto.set_raw_data(std::move(raw));
  return proto;
}

std::string read_file_bytes(const std::filesystem::path& path, size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a folder, not a file", path.string()));
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(fmt::format("{}: no such file", path.string()));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (size > max_bytes) throw InputError(fmt::format("{}: file is {} bytes, more than the {} APS accepts", path.string(), size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) throw InputError(fmt::format("{}: cannot read", path.string()));
  return bytes;
}

NamedTensor read_tensor_file(const std::filesystem::path& path) {
  const std::string bytes = read_file_bytes(path, kMaxTensorFileBytes);
  if (bytes.empty()) throw InputError(fmt::format("{}: empty file, not a serialized ONNX TensorProto", path.string()));
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes))
    throw InputError(fmt::format("{}: not a serialized ONNX TensorProto (truncated or corrupt)", path.string()));
  const std::string context = fmt::format("{}", path.string());
  uint64_t budget = kMaxTensorFileBytes;  // the values beside the file, as much again
  load_external_data(proto, path, context, budget);
  return {proto.name(), tensor_from_proto(proto, context)};
}

void write_tensor_file(const std::filesystem::path& path, const Tensor& tensor, const std::string& name) {
  std::string bytes;
  if (!tensor_to_proto(tensor, name).SerializeToString(&bytes))
    throw InputError(fmt::format("{}: cannot write: the tensor does not serialize", path.string()));
  replace_file(path.string(), bytes);
}

}  // namespace aps
