#include "golden/numerics/dtype.hpp"

#include <array>
#include <fmt/format.h>
#include <limits>

namespace aps {

bool is_supported(int32_t t) {
  switch (static_cast<DType>(t)) {
    case DType::Float: case DType::UInt8: case DType::Int8: case DType::UInt16:
    case DType::Int16: case DType::Int32: case DType::Int64: case DType::Bool:
    case DType::Double: case DType::UInt32: case DType::UInt64: case DType::Float16:
      return true;
    default:
      return false;
  }
}

bool is_floating(DType t) { return t == DType::Float || t == DType::Double || t == DType::Float16; }

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Float: return "float32";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::UInt16: return "uint16";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
    case DType::Double: return "float64";
    case DType::Float16: return "float16";
    case DType::UInt32: return "uint32";
    case DType::UInt64: return "uint64";
    default: return "unsupported";
  }
}

std::string element_type_name(int32_t onnx_data_type) {
  // TensorProto.DataType's names for the codes DType does not hold.
  static constexpr std::array<std::string_view, 27> kOthers{
      "", "", "", "", "", "", "", "", "string", "", "", "", "", "", "complex64", "complex128", "bfloat16",
      "float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1", "float8e8m0",
      "uint2", "int2"};
  std::string_view name;
  if (is_supported(onnx_data_type)) name = dtype_name(static_cast<DType>(onnx_data_type));
  else if (onnx_data_type >= 0 && onnx_data_type < static_cast<int32_t>(kOthers.size())) name = kOthers[onnx_data_type];
  return name.empty() ? std::to_string(onnx_data_type) : fmt::format("{} ({})", name, onnx_data_type);
}

int64_t dtype_min(DType t) {
  switch (t) {
    case DType::Int8: return -128;
    case DType::Int16: return -32768;
    case DType::Int32: return std::numeric_limits<int32_t>::min();
    case DType::Int64: return std::numeric_limits<int64_t>::min();
    default: return 0;
  }
}

int64_t dtype_max(DType t) {
  switch (t) {
    case DType::Bool: return 1;
    case DType::UInt8: return 255;
    case DType::Int8: return 127;
    case DType::UInt16: return 65535;
    case DType::Int16: return 32767;
    case DType::Int32: return std::numeric_limits<int32_t>::max();
    case DType::UInt32: return std::numeric_limits<uint32_t>::max();
    case DType::Int64: case DType::UInt64: return std::numeric_limits<int64_t>::max();
    default: return 0;
  }
}

int dtype_size(DType t) {
  switch (t) {
    case DType::Bool: case DType::UInt8: case DType::Int8: return 1;
    case DType::UInt16: case DType::Int16: case DType::Float16: return 2;
    case DType::Float: case DType::Int32: case DType::UInt32: return 4;
    case DType::Double: case DType::Int64: case DType::UInt64: return 8;
    default: return 0;
  }
}

}  // namespace aps
