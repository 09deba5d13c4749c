#pragma once
// The check the import tests share: a lowered program computes what its ONNX
// graph computes, up to 8-bit quantization.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>

#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/numerics/tensor_compare.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

namespace aps::test {

// Sample i of `x` through the program at 8 bits, its outputs as values.
inline std::vector<double> program_values(const NetworkProgram& p, const Tensor& x, int64_t i) {
  return dequantize_output(p, execute_program(p, quantize_input(p, x, i), step_configs(p, "8")).output());
}

// The program's outputs against the graph's as codes of the output grid
// `scale`, over the samples of `x`: how many differ, and by more than one.
struct CodeComparison {
  Tensor onnx;  // the graph's outputs
  int64_t differ = 0, far = 0;
};

inline CodeComparison compare_output_codes(const OnnxModel& m, const NetworkProgram& p, const Tensor& x, double scale) {
  CodeComparison c{Interpreter(m).run({{m.inputs()[0].name, x}}).at(m.outputs()[0].name)};
  const int64_t n = x.shape()[0], per_sample = c.onnx.size() / n;
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<double> v = program_values(p, x, i);
    REQUIRE(static_cast<int64_t>(v.size()) == per_sample);
    for (int64_t k = 0; k < per_sample; ++k) {
      const long ours = std::lround(v[k] / scale), onnx = std::lround(c.onnx.reals()[i * per_sample + k] / scale);
      c.differ += ours != onnx;
      c.far += std::labs(ours - onnx) > 1;
    }
  }
  return c;
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
