// libFuzzer target: arbitrary bytes as an ONNX model.
//
// The bytes are parsed as onnx::ModelProto; whatever parses goes through the
// loader (OnnxModel::from_proto) and, if the loader accepts it, through the
// program builder (build_program). The contract under test: bad input is
// rejected with aps::InputError (or its subclass UnsupportedError). Any other
// exception, a crash, a sanitizer report, a timeout or an out-of-memory is a
// finding.
//
// build_program(model) without calibration data refuses float models at once,
// so float models are also lowered with synthetic activation ranges (what a
// calibration profile would supply): that reaches the float lowering paths
// (Gemm/MatMul/Conv weight quantization, BatchNormalization folding, ...).
// The interpreter is not run: the graph inputs are unknown.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <onnx/onnx_pb.h>

#include "golden/exit_code.hpp"
#include "golden/onnx_model.hpp"
#include "golden/program_builder.hpp"

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "FUZZ FINDING: exception other than aps::InputError escaped: %s\n", what);
  std::abort();
}

// Every value a node produces, and the graph inputs, get the range [-1, 2].
aps::ActivationRanges synthetic_ranges(const aps::OnnxModel& model) {
  aps::ActivationRanges ranges;
  for (const auto& in : model.inputs()) ranges[in.name] = {-1.0, 2.0};
  for (const auto* node : model.nodes())
    for (const auto& out : node->output()) ranges[out] = {-1.0, 2.0};
  return ranges;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    const aps::OnnxModel model = aps::OnnxModel::from_proto(std::move(proto), "fuzz.onnx");
    try {
      (void)aps::build_program(model);
    } catch (const aps::InputError&) {
    }
    if (aps::detect_model_format(model) == aps::ModelFormat::Float) (void)aps::build_program(model, synthetic_ranges(model));
  } catch (const aps::InputError&) {
    // Rejected, as bad input should be.
  } catch (const std::exception& e) {
    finding(e.what());
  } catch (...) {
    finding("(not a std::exception)");
  }
  return 0;
}
