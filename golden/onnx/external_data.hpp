#pragma once
// ONNX external data: tensor values kept in a file beside the model, named
// by the tensor's external_data entries (location, offset, length). PyTorch's
// torch.export-based exporter writes its weights this way by default
// (model.onnx + model.onnx.data), as does onnx.save(..., save_as_external_data=True).
//
// The values are read into raw_data when the file is loaded, so everything
// after the loader sees one self-contained proto: the checks of
// tensor_from_proto apply to them unchanged, and a model hashes the same
// whether its weights were saved inside it or beside it.
//
// A location is a relative path below the model's folder: an absolute path
// or a ".." component is refused (as onnx 1.16 and later refuse them), and so
// is a file that symbolic links resolve outside that folder, so a model
// cannot make APS read files elsewhere. A folder whose files are all links
// into one store (the Hugging Face cache: snapshots/<rev>/model.onnx ->
// ../../blobs/<hash>) is read where the model file itself resolves to.

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace aps {

// Reads every externally stored tensor of the model (initializers, tensor
// attributes of nodes, in subgraphs and model functions too) from files
// relative to `model_file`'s folder, at most `max_bytes` in all. InputError
// naming the model, the tensor and what is wrong.
void load_external_data(onnx::ModelProto& model, const std::filesystem::path& model_file, uint64_t max_bytes);

// The same for one tensor read from `owner_file` (a model, or a .pb tensor
// file), relative to its folder. `context` names it in messages; `budget` is
// what may still be read and is reduced by what is.
void load_external_data(onnx::TensorProto& tensor, const std::filesystem::path& owner_file, std::string_view context,
                        uint64_t& budget);

// The files the external data entries of the model in `model_file` name, as
// paths beside it: what no output may replace. Empty when the model cannot
// be read or keeps its data inside.
std::vector<std::filesystem::path> external_data_files(const std::filesystem::path& model_file);

}  // namespace aps
