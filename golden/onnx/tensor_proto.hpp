#pragma once
// Conversion between onnx::TensorProto and Tensor, and .pb tensor files.
// Every check that a hostile file could defeat (element counts, byte counts,
// external data, element types) happens here, before anything is allocated.

#include <filesystem>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "golden/numerics/tensor.hpp"

namespace aps {

// `context` names the file / initializer for error messages.
Tensor tensor_from_proto(const onnx::TensorProto& proto, std::string_view context);
onnx::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name);

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// Reads a serialized TensorProto (ONNX backend-test .pb). InputError on any
// problem, naming the file.
NamedTensor read_tensor_file(const std::filesystem::path& path);
void write_tensor_file(const std::filesystem::path& path, const Tensor& tensor, const std::string& name);

// Reads a whole file, refusing files over `max_bytes` (InputError).
std::string read_file_bytes(const std::filesystem::path& path, size_t max_bytes);

}  // namespace aps
