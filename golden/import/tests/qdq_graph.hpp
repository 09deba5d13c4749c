#pragma once
// QDQ pieces the import tests build graphs from, as pytorch-quantization
// exports them.

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"

namespace aps::test {

// Symmetric int8 per output channel, as pytorch-quantization stores weights.
inline void int8_weights(test::GraphBuilder& g, std::mt19937& rng, const std::string& name, std::vector<int64_t> dims) {
  const Tensor w = random_tensor(rng, dims, -0.5, 0.5);
  const int64_t outs = dims[0], rest = w.size() / outs;
  std::vector<int64_t> codes;
  std::vector<double> scales;
  for (int64_t o = 0; o < outs; ++o) {
    double amax = 0;
    for (int64_t r = 0; r < rest; ++r) amax = std::max(amax, std::fabs(w.reals()[o * rest + r]));
    scales.push_back(amax / 127);
    for (int64_t r = 0; r < rest; ++r) codes.push_back(std::lround(w.reals()[o * rest + r] / scales.back()));
  }
  g.initializer(name + ".q", Tensor::from_ints(DType::Int8, dims, codes));
  g.initializer(name + ".s", Tensor::from_reals(DType::Float, {outs}, scales));
  g.initializer(name + ".z", Tensor::from_ints(DType::Int8, {outs}, std::vector<int64_t>(outs, 0)));
  g.node("DequantizeLinear", {name + ".q", name + ".s", name + ".z"}, {name}, "dq_" + name).attr("axis", int64_t{0});
}

// The QuantizeLinear and DequantizeLinear of `value` with the parameters
// `value`.s and `value`.z; the dequantized value's name.
inline std::string qdq_nodes(test::GraphBuilder& g, const std::string& value) {
  g.node("QuantizeLinear", {value, value + ".s", value + ".z"}, {value + ".q"}, "q_" + value);
  g.node("DequantizeLinear", {value + ".q", value + ".s", value + ".z"}, {value + ".d"}, "dq_" + value);
  return value + ".d";
}

// Q -> DQ of `value` at a symmetric int8 scale; its parameters as
// initializers, or as Constant nodes just before the QuantizeLinear, where
// torch.onnx writes them.
inline std::string fake_quant(test::GraphBuilder& g, const std::string& value, double scale, bool constant_nodes = false) {
  if (constant_nodes) {
    g.node("Constant", {}, {value + ".s"}, "scale_" + value).attr("value", Tensor::scalar_real(DType::Float, scale));
    g.node("Constant", {}, {value + ".z"}, "zero_" + value).attr("value", Tensor::scalar_int(DType::Int8, 0));
  } else {
    g.initializer(value + ".s", Tensor::scalar_real(DType::Float, scale));
    g.initializer(value + ".z", Tensor::scalar_int(DType::Int8, 0));
  }
  return qdq_nodes(g, value);
}

// Q -> DQ of `value` on a uint8 grid, as ONNX Runtime quantizes activations.
inline std::string uint8_quant(test::GraphBuilder& g, const std::string& value, double scale, int64_t zero_point) {
  g.initializer(value + ".s", Tensor::scalar_real(DType::Float, scale));
  g.initializer(value + ".z", Tensor::scalar_int(DType::UInt8, zero_point));
  return qdq_nodes(g, value);
}

// Input "x" [N,1,4,4] on a uint8 grid (scale 1/64, zero point 128), then a
// padded 3x3 Conv "conv" of two int8 channels: its float result is "c".
inline void qdq_conv_head(test::GraphBuilder& g, std::mt19937& rng) {
  g.input("x", DType::Float, {-1, 1, 4, 4});
  const std::string xd = uint8_quant(g, "x", 1.0 / 64, 128);
  int8_weights(g, rng, "w", {2, 1, 3, 3});
  g.node("Conv", {xd, "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
}

// A 1-D float tensor: per-channel scales.
inline Tensor per_channel(std::vector<double> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_reals(DType::Float, {n}, std::move(v));
}

// x[N,4] -> QDQ -> Gemm(transB) with int8 weights [3,4] and an int32 bias
// (with a zero point input if one is given) -> QDQ.
inline test::GraphBuilder qdq_fc(const Tensor& weight_scale, const Tensor& weight_zero_point, const Tensor& bias_scale,
                                 const std::optional<Tensor>& bias_zero_point = std::nullopt) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 0.5));
  g.initializer("xz", Tensor::scalar_int(DType::UInt8, 128));
  g.initializer("wq", Tensor::from_ints(DType::Int8, {3, 4}, {1, -2, 3, 4, -5, 6, 7, 8, 9, 10, -11, 12}));
  g.initializer("ws", weight_scale);
  g.initializer("wz", weight_zero_point);
  g.initializer("bq", Tensor::from_ints(DType::Int32, {3}, {100, -200, 300}));
  g.initializer("bs", bias_scale);
  g.initializer("ys", Tensor::scalar_real(DType::Float, 0.25));
  g.initializer("yz", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
  g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"});
  g.node("DequantizeLinear", {"wq", "ws", "wz"}, {"w"}).attr("axis", 0);
  if (bias_zero_point) {
    g.initializer("bz", *bias_zero_point);
    g.node("DequantizeLinear", {"bq", "bs", "bz"}, {"b"}).attr("axis", 0);
  } else {
    g.node("DequantizeLinear", {"bq", "bs"}, {"b"}).attr("axis", 0);
  }
  g.node("Gemm", {"xd", "w", "b"}, {"y"}, "fc").attr("transB", 1);
  g.node("QuantizeLinear", {"y", "ys", "yz"}, {"yq"});
  g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"out"});
  g.output("out");
  return g;
}

}  // namespace aps::test
