// A quantized average pool's codes against ONNX's: the accelerator divides
// the window's sum by requantizing it, and its one rounding must land where
// ONNX's float average and QuantizeLinear land.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <random>

#include "golden/accelerator/program_executor.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"
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
  g.initializer("xs", Tensor::scalar_real(DType::Float, kInScale));
  g.initializer("xz", Tensor::scalar_int(DType::UInt8, kInZero));
  g.initializer("ys", Tensor::scalar_real(DType::Float, kOutScale));
  g.initializer("yz", Tensor::scalar_int(DType::UInt8, kOutZero));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q_x");
  g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}, "dq_x");
  g.node("AveragePool", {"xd"}, {"p"}, "pool")
      .attr("kernel_shape", std::vector<int64_t>{kernel, kernel})
      .attr("strides", std::vector<int64_t>{stride, stride});
  g.node("QuantizeLinear", {"p", "ys", "yz"}, {"pq"}, "q_p");
  g.node("DequantizeLinear", {"pq", "ys", "yz"}, {"y"}, "dq_p");
  g.output("y");
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
    const Tensor y = Interpreter(m).run({{"x", x}}).at("y");
    const int64_t per_sample = y.size() / 16;
    int64_t differ = 0, far = 0;
    for (int64_t i = 0; i < 16; ++i) {
      const std::vector<double> v = test::program_values(p, x, i);
      REQUIRE(static_cast<int64_t>(v.size()) == per_sample);
      for (int64_t k = 0; k < per_sample; ++k) {
        const long ours = std::lround(v[k] / kOutScale), onnx = std::lround(y.reals()[i * per_sample + k] / kOutScale);
        differ += ours != onnx;
        far += std::labs(ours - onnx) > 1;
      }
    }
    CHECK(far == 0);
    // Only sums whose average lies within the multiplier's rounding of a
    // tie may differ (gemmlowp's two roundings moved a quarter of them).
    CHECK(differ * 100 <= y.size());
  }
}
