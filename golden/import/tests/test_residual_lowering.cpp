// Lowering of the CNN layers beyond Conv/MaxPool: BatchNormalization folded
// into the convolution, residual Add, AveragePool and GlobalAveragePool.

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <random>

#include "golden/onnx/interpreter.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"

using namespace aps;
using aps::test::random_tensor;

namespace {

test::GraphBuilder residual_model(std::mt19937& rng) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 4, 4});
  g.initializer("w1", random_tensor(rng, {4, 2, 3, 3}, -0.5, 0.5));
  g.initializer("b1", random_tensor(rng, {4}, -0.1, 0.1));
  g.initializer("gamma", random_tensor(rng, {4}, 0.5, 1.5));
  g.initializer("beta", random_tensor(rng, {4}, -0.2, 0.2));
  g.initializer("mean", random_tensor(rng, {4}, -0.2, 0.2));
  g.initializer("var", random_tensor(rng, {4}, 0.5, 2.0));
  g.initializer("w2", random_tensor(rng, {4, 4, 1, 1}, -0.5, 0.5));
  g.initializer("wf", random_tensor(rng, {3, 4}, -1, 1));
  g.initializer("bf", random_tensor(rng, {3}, -0.1, 0.1));
  g.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("BatchNormalization", {"c1", "gamma", "beta", "mean", "var"}, {"bn"}, "bn1");
  g.node("Relu", {"bn"}, {"a"}, "relu1");
  g.node("Conv", {"a", "w2"}, {"b"}, "conv2");
  g.node("Add", {"a", "b"}, {"s"}, "residual");
  g.node("AveragePool", {"s"}, {"p"}, "avgpool").attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{2, 2});
  g.node("GlobalAveragePool", {"p"}, {"gap"}, "gap");
  g.node("Flatten", {"gap"}, {"flat"}, "flatten");
  g.node("Gemm", {"flat", "wf", "bf"}, {"y"}, "fc").attr("transB", 1);
  g.output("y");
  return g;
}

}  // namespace

TEST_CASE("a float residual CNN lowers with BatchNormalization folded", "[program]") {
  std::mt19937 rng(11);
  const auto g = residual_model(rng);
  const OnnxModel m = g.model();
  const Tensor calib = random_tensor(rng, {64, 2, 4, 4}, -1, 1);
  const NetworkProgram p = build_program(m, &calib);
  REQUIRE(p.layers.size() == 6);
  CHECK(p.layers[0].kind == LayerKind::Conv);
  CHECK(p.layers[0].relu);
  CHECK(p.layers[1].kind == LayerKind::Conv);
  CHECK(p.layers[2].kind == LayerKind::Add);
  CHECK(p.layers[2].input == 0);        // a
  CHECK(p.layers[2].add.input_b == 1);  // b
  CHECK(p.layers[3].kind == LayerKind::AveragePool);
  CHECK(p.layers[3].out_shape == FeatureShape{4, 2, 2});
  CHECK(p.layers[4].kind == LayerKind::AveragePool);
  CHECK(p.layers[4].out_shape == FeatureShape{4, 1, 1});
  CHECK(p.layers[5].kind == LayerKind::FullyConnected);

  // The integer program tracks the float model: small errors against the
  // output range (quantization noise of five 8-bit layers), the same
  // prediction for almost every input.
  const Tensor x = random_tensor(rng, {40, 2, 4, 4}, -1, 1);
  const Tensor y = Interpreter(m).run({{"x", x}}).at("y");
  const auto configs = static_configs(PrecisionMap(p.layers.size(), 8));
  const auto [lo, hi] = std::minmax_element(y.reals().begin(), y.reals().end());
  const double range = *hi - *lo;
  double total_error = 0;
  int agree = 0;
  for (int64_t s = 0; s < 40; ++s) {
    const Codes out = execute_program(p, quantize_input(p, x, s), configs).output();
    const auto real = dequantize_output(p, out);
    int64_t best = 0;
    for (int k = 0; k < 3; ++k) {
      const double e = std::fabs(real[k] - y.reals()[s * 3 + k]);
      CHECK(e < 0.1 * range);
      total_error += e;
      if (y.reals()[s * 3 + k] > y.reals()[s * 3 + best]) best = k;
    }
    agree += predicted_class(out) == best;
  }
  CHECK(total_error / 120 < 0.03 * range);
  CHECK(agree >= 36);
}

TEST_CASE("TFLite's quantized add, computed by hand", "[program]") {
  // a: scale 0.5, zp 10; b: scale 0.25, zp 0; out: scale 1, zp 5.
  // a = 14 -> real 2; b = 12 -> real 3; sum 5 -> code 10.
  Layer l;
  l.name = "add";
  l.kind = LayerKind::Add;
  l.in_shape = l.out_shape = {1, 1, 1};
  l.in_q = {0.5, 10};
  l.out_q = {1.0, 5};
  l.add.in_q_b = {0.25, 0};
  l.add.multiplier_a = quantize_multiplier(0.5 / 1.0);   // s_a / (2 max)
  l.add.multiplier_b = quantize_multiplier(0.25 / 1.0);
  l.multipliers = {quantize_multiplier(1.0 / (std::ldexp(1.0, 20) * 1.0))};
  l.bias = {0};
  const std::vector<uint8_t> a = {14}, b = {12};
  CHECK(execute_layer(l, a, static_config(8), b) == Codes{10});
  l.relu = true;
  const std::vector<uint8_t> a2 = {0}, b2 = {0};  // real -5 -> ReLU -> 0 -> code 5
  CHECK(execute_layer(l, a2, static_config(8), b2) == Codes{5});
}

TEST_CASE("average pooling whose divisor would vary is refused", "[program]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1, 4, 4});
  g.node("AveragePool", {"x"}, {"y"}, "pool").attr("kernel_shape", std::vector<int64_t>{3, 3})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.output("y");
  const OnnxModel m = g.model();
  const Tensor calib = Tensor::from_reals(DType::Float, {1, 1, 4, 4}, std::vector<double>(16, 0.5));
  CHECK_THROWS_WITH(build_program(m, &calib), Catch::Contains("node 'pool' (AveragePool)") &&
                                                  Catch::Contains("without count_include_pad"));
}
