// libFuzzer target: arbitrary bytes as a serialized onnx::TensorProto (the
// .pb files of the ONNX backend tests and of models/*/test_data_set_*).
//
// What parses goes through tensor_from_proto, the decoder every initializer
// and every input file passes through. Bad input must be rejected with
// aps::InputError; any other exception, a crash, a sanitizer report, a
// timeout or an out-of-memory is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <onnx/onnx_pb.h>

#include "golden/exit_code.hpp"
#include "golden/tensor_proto.hpp"

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "FUZZ FINDING: exception other than aps::InputError escaped: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    (void)aps::tensor_from_proto(proto, "fuzz.pb");
  } catch (const aps::InputError&) {
    // Rejected, as bad input should be.
  } catch (const std::exception& e) {
    finding(e.what());
  } catch (...) {
    finding("(not a std::exception)");
  }
  return 0;
}
