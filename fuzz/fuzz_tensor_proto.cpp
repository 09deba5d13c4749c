// libFuzzer target: arbitrary bytes as a serialized onnx::TensorProto (the
// .pb files of the ONNX backend tests and of models/*/test_data_set_*).
//
// What parses goes through tensor_from_proto, the decoder every initializer
// and every input file passes through; the contract is fuzz/fuzz_contract.hpp's.

#include <cstddef>
#include <cstdint>

#include <onnx/onnx_pb.h>

#include "fuzz/fuzz_contract.hpp"
#include "golden/onnx/tensor_proto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  aps::fuzz::expect_only_input_errors([&] { (void)aps::tensor_from_proto(proto, "fuzz.pb"); });
  return 0;
}
