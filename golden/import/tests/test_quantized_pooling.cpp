// A quantized average pool's codes against ONNX's: the accelerator divides
// the window's sum by requantizing it, and its one rounding must land where
// ONNX's float average and QuantizeLinear land.

#include <catch2/catch.hpp>
#include <random>

#include "golden/import/program_builder.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"
#include "qdq_graph.hpp"
#include "tracks_onnx.hpp"

using namespace aps;

namespace {

constexpr double kInScale = 0.03618, kOutScale = 0.009817;
constexpr int64_t kInZero = 124, kOutZero = 136;

// x -> Q -> DQ -> AveragePool -> Q -> DQ, with ONNX Runtime's uint8
// activation parameters (an output scale a quarter of the input's, so the
// pool's multiplier is 0.41 for a 3x3 window).
test::GraphBuilder pool_graph(int64_t kernel, int64_t stride) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4, 6, 6});
  g.node("AveragePool", {test::uint8_quant(g, "x", kInScale, kInZero)}, {"p"}, "pool")
      .attr("kernel_shape", std::vector<int64_t>{kernel, kernel})
      .attr("strides", std::vector<int64_t>{stride, stride});
  g.output(test::uint8_quant(g, "p", kOutScale, kOutZero));
  return g;
}

}  // namespace

TEST_CASE("a QDQ average pool's codes are ONNX's but at near-ties", "[program]") {
  for (const auto& [kernel, stride] : {std::pair<int64_t, int64_t>{3, 3}, {3, 1}, {2, 2}, {4, 2}}) {
    INFO(kernel << "x" << kernel << " stride " << stride);
    const test::GraphBuilder g = pool_graph(kernel, stride);
    const OnnxModel m = g.model();
    const NetworkProgram p = build_program(m);
    std::mt19937 rng(31);
    const Tensor x = test::random_tensor(rng, {16, 4, 6, 6}, -3, 3);
    const test::CodeComparison c = test::compare_output_codes(m, p, x, kOutScale);
    CHECK(c.far == 0);
    // Only sums whose average lies within the multiplier's rounding of a
    // tie may differ (gemmlowp's two roundings moved a quarter of them).
    CHECK(c.differ * 100 <= c.onnx.size());
  }
}
