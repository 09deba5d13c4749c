// libFuzzer target: arbitrary bytes as an ONNX model.
//
// The bytes are parsed as onnx::ModelProto; whatever parses goes through the
// loader (OnnxModel::from_proto) and, if the loader accepts it, through the
// program builder (fuzz/fuzz_contract.hpp: build_programs). The interpreter
// is not run: the graph inputs are unknown.

#include <cstddef>
#include <cstdint>

#include <onnx/onnx_pb.h>

#include "fuzz/fuzz_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  aps::fuzz::expect_only_input_errors([&] {
    aps::fuzz::build_programs(aps::OnnxModel::from_proto(std::move(proto), "fuzz.onnx"));
  });
  return 0;
}
