#pragma once
// The check the import tests share: a lowered program computes what its ONNX
// graph computes, up to 8-bit quantization.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/numerics/tensor_compare.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

namespace aps::test {

// Sample i of `x` through the program at 8 bits, its outputs as values.
inline std::vector<double> program_values(const NetworkProgram& p, const Tensor& x, int64_t i) {
  return dequantize_output(p, execute_program(p, quantize_input(p, x, i), step_configs(p, "8")).output());
}

// The program's dequantized outputs track the ONNX model's (quantization
// noise of a few 8-bit layers against the output range) and predict the
// same class for nearly every sample. After a host tail only the
// predictions compare.
inline void check_tracks_onnx(const test::GraphBuilder& g, const NetworkProgram& p, const Tensor& x, int64_t classes) {
  const bool values = p.output_tail.empty();
  const OnnxModel m = g.model();
  const Tensor y = run_batch(m, {{m.inputs()[0].name, x}}).at(m.outputs()[0].name);
  const auto configs = step_configs(p, "8");
  const auto [lo, hi] = std::minmax_element(y.reals().begin(), y.reals().end());
  const double range = *hi - *lo;
  const int64_t n = x.shape()[0];
  int64_t same = 0;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Codes out = execute_program(p, quantize_input(p, x, i), configs).output();
    const std::vector<double> real = dequantize_output(p, out);
    REQUIRE(static_cast<int64_t>(real.size()) == classes);
    for (int64_t c = 0; c < classes; ++c) worst = std::max(worst, std::fabs(real[c] - y.reals()[i * classes + c]));
    same += predicted_class(out) == argmax_row(y, i, classes);
  }
  if (values) CHECK(worst < 0.1 * range);
  CHECK(same >= n * 9 / 10);
}

}  // namespace aps::test
