#pragma once
// What the fuzz targets do with one input, in one place: the targets call
// it, and golden/import/tests/test_fuzz_findings.cpp replays the findings through
// it, so a regression test exercises exactly the path the fuzzer found.
//
// The contract under test: bad input is rejected with aps::InputError (or its
// subclass UnsupportedError). Any other exception, a crash, a sanitizer
// report, a timeout or an out-of-memory is a finding.

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "golden/errors.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/import/program_builder.hpp"

namespace aps::fuzz {

// Every value a node produces, and the graph inputs, get the range [-1, 2]:
// what a calibration profile would supply for a float model.
inline ActivationRanges synthetic_ranges(const OnnxModel& model) {
  ActivationRanges ranges;
  for (const auto& in : model.inputs()) ranges[in.name] = {-1.0, 2.0};
  for (const auto* node : model.nodes())
    for (const auto& out : node->output()) ranges[out] = {-1.0, 2.0};
  return ranges;
}

// The program builder on a loaded model. build_program(model) refuses float
// models at once (no calibration data), so float models are also lowered with
// synthetic ranges: that reaches the float lowering paths (weight
// quantization, BatchNormalization folding, ...). InputError from the second
// build propagates.
inline void build_programs(const OnnxModel& model) {
  try {
    (void)build_program(model);
  } catch (const InputError&) {
  }
  if (detect_model_format(model) == ModelFormat::Float) (void)build_program(model, synthetic_ranges(model));
}

[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "FUZZ FINDING: exception other than aps::InputError escaped: %s\n", what);
  std::abort();
}

// Runs `work` on one input: InputError is the expected rejection, anything
// else that escapes is a finding.
template <typename Work>
void expect_only_input_errors(Work&& work) {
  try {
    work();
  } catch (const InputError&) {
    // Rejected, as bad input should be.
  } catch (const std::exception& e) {
    finding(e.what());
  } catch (...) {
    finding("(not a std::exception)");
  }
}

}  // namespace aps::fuzz
