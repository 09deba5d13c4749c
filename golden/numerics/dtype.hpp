#pragma once
// Element types, numbered as onnx::TensorProto::DataType so that conversion is
// a cast checked by is_supported().

#include <cstdint>
#include <string>
#include <string_view>

namespace aps {

enum class DType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
};

bool is_supported(int32_t onnx_data_type);
bool is_floating(DType t);
std::string_view dtype_name(DType t);
// An ONNX element type code for messages: "int8 (3)", "float8e4m3fn (17)",
// "99" for a code ONNX does not define (through IR 13's 2-bit types).
std::string element_type_name(int32_t onnx_data_type);
// Range of an integral type. UInt64 is held in int64_t, so its top half is
// out of range for APS (files using it are rejected at load time).
int64_t dtype_min(DType t);
int64_t dtype_max(DType t);
// Size in bytes of one element in TensorProto raw_data.
int dtype_size(DType t);

}  // namespace aps
