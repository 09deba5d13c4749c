// Models that take integer codes: a TFLite model converted to ONNX with its
// int8 input keeps it, and a DequantizeLinear reads it. The host passes the
// codes on as they are; float samples are quantized at the same parameters.

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/import/tests/qdq_graph.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;
using aps::test::int8_weights;

TEST_CASE("a model that takes int8 codes (a TFLite model converted with its integer input) runs on them as they are",
          "[integer_input]") {
  // x (int8, NHWC) -> DequantizeLinear -> Transpose -> Conv -> Relu -> Q (int8 output, the graph's).
  std::mt19937 rng(23);
  test::GraphBuilder g(13);
  g.input("x", DType::Int8, {1, 4, 4, 2});
  g.initializer("x.s", Tensor::scalar_real(DType::Float, 1.0 / 64));
  g.initializer("x.z", Tensor::scalar_int(DType::Int8, -3));
  g.node("DequantizeLinear", {"x", "x.s", "x.z"}, {"xd"}, "dq_in");
  g.node("Transpose", {"xd"}, {"nchw"}, "to_nchw").attr("perm", std::vector<int64_t>{0, 3, 1, 2});
  int8_weights(g, rng, "w", {3, 2, 3, 3});
  g.node("Conv", {"nchw", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("Relu", {"c"}, {"r"}, "relu");
  g.node("Flatten", {"r"}, {"f"}, "flatten");
  g.initializer("y.s", Tensor::scalar_real(DType::Float, 1.0 / 32));
  g.initializer("y.z", Tensor::scalar_int(DType::Int8, -128));
  g.node("QuantizeLinear", {"f", "y.s", "y.z"}, {"y"}, "q_out");
  g.output("y");
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  CHECK(p.input_codes == DType::Int8);
  CHECK(p.input_q == ActivationQuant{1.0 / 64, 125});
  // Random codes, and the same samples as float values the host quantizes.
  std::vector<int64_t> codes;
  std::uniform_int_distribution<int> code(-128, 127);
  for (int i = 0; i < 8 * 32; ++i) codes.push_back(code(rng));
  const Tensor x = Tensor::from_ints(DType::Int8, {8, 4, 4, 2}, codes);
  std::vector<double> reals;
  for (int64_t c : codes) reals.push_back(static_cast<double>(c + 3) / 64);
  const Tensor xf = Tensor::from_reals(DType::Float, {8, 4, 4, 2}, reals);
  const Tensor y = run_batch(m, {{"x", x}}).at("y");
  const auto configs = step_configs(p, "8");
  int64_t equal = 0;
  for (int64_t i = 0; i < 8; ++i) {
    const Codes in = quantize_input(p, x, i);
    CHECK(in == quantize_input(p, xf, i));
    const Codes out = execute_program(p, in, configs).output();
    REQUIRE(static_cast<int64_t>(out.size()) * 8 == y.size());
    for (size_t k = 0; k < out.size(); ++k) {
      const int64_t want = y.ints()[i * static_cast<int64_t>(out.size()) + static_cast<int64_t>(k)] + 128;
      CHECK(std::abs(out[k] - want) <= 1);
      equal += out[k] == want;
    }
  }
  CHECK(equal >= 8 * 48 * 9 / 10);
  // Codes of another type are refused, naming the batch.
  const Tensor u = Tensor::from_ints(DType::UInt8, {8, 4, 4, 2}, std::vector<int64_t>(8 * 32, 7));
  CHECK_THROWS_WITH(quantize_input(p, u, 0), Catch::Contains("input batch uint8"));
}

TEST_CASE("a model that takes codes is refused, saying why, where the accelerator cannot hold them as one input",
          "[integer_input]") {
  SECTION("two DequantizeLinears read the codes at different parameters") {
    test::GraphBuilder g(13);
    g.input("x", DType::Int8, {-1, 4});
    g.initializer("s1", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.initializer("s2", Tensor::scalar_real(DType::Float, 1.0 / 32));
    g.node("DequantizeLinear", {"x", "s1"}, {"a"}, "dq_a");
    g.node("DequantizeLinear", {"x", "s2"}, {"b"}, "dq_b");
    g.node("Add", {"a", "b"}, {"y"}, "add");
    g.output("y");
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'dq_b' (DequantizeLinear)") &&
                          Catch::Contains("dequantizes the network input's codes at scale 0.03125 and zero point 128, "
                                          "where another DequantizeLinear read them at 0.015625 and 128"));
  }
  SECTION("int16 codes, behind a layout op") {
    test::GraphBuilder g(21);
    g.input("x", DType::Int16, {-1, 4});
    g.node("Identity", {"x"}, {"v"}, "view");
    g.initializer("s", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.node("DequantizeLinear", {"v", "s"}, {"y"}, "dq");
    g.output("y");
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'dq' (DequantizeLinear)") &&
                          Catch::Contains("reads the graph input 'x' as int16 codes: the accelerator takes float32 "
                                          "samples"));
  }
  SECTION("a normalization of the dequantized codes") {
    test::GraphBuilder g(13);
    g.input("x", DType::UInt8, {-1, 4});
    g.initializer("s", Tensor::scalar_real(DType::Float, 1.0 / 64));
    g.node("DequantizeLinear", {"x", "s"}, {"d"}, "dq");
    g.initializer("k", Tensor::scalar_real(DType::Float, 2.0));
    g.node("Mul", {"d", "k"}, {"y"}, "scale_up");
    g.output("y");
    CHECK_THROWS_WITH(build_program(g.model()),
                      Catch::Contains("node 'scale_up' (Mul)") &&
                          Catch::Contains("after its DequantizeLinear: the model takes codes"));
  }
}

TEST_CASE("a QLinearConv reading the graph input's codes gives them its input parameters", "[integer_input]") {
  // uint8 codes -> QLinearConv -> DequantizeLinear, as converters of quantized TFLite models to
  // QOperator ONNX write it: no DequantizeLinear before the first layer.
  test::GraphBuilder g(13);
  g.input("x", DType::UInt8, {-1, 1, 4, 4});
  g.initializer("x.s", Tensor::scalar_real(DType::Float, 1.0 / 32));
  g.initializer("x.z", Tensor::scalar_int(DType::UInt8, 100));
  g.initializer("w", Tensor::from_ints(DType::Int8, {2, 1, 3, 3}, {10, -20, 30, -40, 50, -60, 70, -80, 90,
                                                                    -5, 15, -25, 35, -45, 55, -65, 75, -85}));
  g.initializer("w.s", Tensor::scalar_real(DType::Float, 1.0 / 128));
  g.initializer("w.z", Tensor::scalar_int(DType::Int8, 0));
  g.initializer("y.s", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("y.z", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QLinearConv", {"x", "x.s", "x.z", "w", "w.s", "w.z", "y.s", "y.z"}, {"yq"}, "conv")
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.node("DequantizeLinear", {"yq", "y.s", "y.z"}, {"y"}, "dq_out");
  g.output("y");
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  CHECK(p.input_codes == DType::UInt8);
  CHECK(p.input_q == ActivationQuant{1.0 / 32, 100});
  std::mt19937 rng(29);
  std::uniform_int_distribution<int> code(0, 255);
  std::vector<int64_t> codes;
  for (int i = 0; i < 6 * 16; ++i) codes.push_back(code(rng));
  const Tensor x = Tensor::from_ints(DType::UInt8, {6, 1, 4, 4}, codes);
  const Tensor y = run_batch(m, {{"x", x}}).at("y");
  const auto configs = step_configs(p, "8");
  for (int64_t i = 0; i < 6; ++i) {
    const std::vector<double> out = dequantize_output(p, execute_program(p, quantize_input(p, x, i), configs).output());
    REQUIRE(out.size() == 32);
    for (size_t k = 0; k < out.size(); ++k)
      CHECK(std::fabs(out[k] - y.reals()[i * 32 + static_cast<int64_t>(k)]) <= 1.0 / 16 + 1e-6);
  }
}

TEST_CASE("image bytes cast to float32 before the normalization are converted by the host, not taken as codes",
          "[integer_input]") {
  // x (uint8, NHWC) -> Transpose -> Cast(float) -> Div 255 -> Sub 0.5 -> Q/DQ -> Conv -> Q, as a Keras
  // model exported with its image bytes in.
  std::mt19937 rng(31);
  test::GraphBuilder g(13);
  g.input("x", DType::UInt8, {-1, 4, 4, 2});
  g.node("Transpose", {"x"}, {"nchw"}, "to_nchw").attr("perm", std::vector<int64_t>{0, 3, 1, 2});
  g.node("Cast", {"nchw"}, {"xf"}, "to_float").attr("to", int64_t{1});
  g.initializer("k255", Tensor::scalar_real(DType::Float, 255.0));
  g.node("Div", {"xf", "k255"}, {"unit"}, "rescale");
  g.initializer("half", Tensor::scalar_real(DType::Float, 0.5));
  g.node("Sub", {"unit", "half"}, {"centred"}, "centre");
  g.initializer("in.s", Tensor::scalar_real(DType::Float, 1.0 / 255));
  g.initializer("in.z", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"centred", "in.s", "in.z"}, {"q"}, "q_in");
  g.node("DequantizeLinear", {"q", "in.s", "in.z"}, {"dq"}, "dq_in");
  int8_weights(g, rng, "w", {3, 2, 3, 3});
  g.node("Conv", {"dq", "w"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.initializer("y.s", Tensor::scalar_real(DType::Float, 1.0 / 16));
  g.initializer("y.z", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"c", "y.s", "y.z"}, {"yq"}, "q_out");
  g.node("DequantizeLinear", {"yq", "y.s", "y.z"}, {"y"}, "dq_out");
  g.output("y");
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  CHECK(p.input_codes == DType::UInt8);
  CHECK(p.input_cast);
  CHECK(p.input_q.scale == Approx(1.0 / 255));
  CHECK(p.input_q.zero_point == 128);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<int64_t> bytes;
  for (int i = 0; i < 5 * 32; ++i) bytes.push_back(byte(rng));
  const Tensor x = Tensor::from_ints(DType::UInt8, {5, 4, 4, 2}, bytes);
  const Tensor y = run_batch(m, {{"x", x}}).at("y");
  const auto configs = step_configs(p, "8");
  // The bytes as float32 values: the same samples (the host's own path for float data).
  std::vector<double> values(bytes.begin(), bytes.end());
  const Tensor xf = Tensor::from_reals(DType::Float, {5, 4, 4, 2}, values);
  for (int64_t i = 0; i < 5; ++i) {
    const Codes in = quantize_input(p, x, i);
    CHECK(in == quantize_input(p, xf, i));
    const Codes out = execute_program(p, in, configs).output();
    for (size_t k = 0; k < out.size(); ++k)
      CHECK(std::abs(dequantize_linear(out[k], 1.0F / 16, 128) - y.reals()[static_cast<size_t>(i) * out.size() + k]) <=
            1.0 / 16 + 1e-6);
  }
}

TEST_CASE("image bytes read both as values (a Cast) and as codes (a DequantizeLinear) are refused, in either order",
          "[integer_input]") {
  for (const bool cast_first : {true, false}) {
    test::GraphBuilder h(13);
    h.input("x", DType::UInt8, {-1, 4});
    h.initializer("s", Tensor::scalar_real(DType::Float, 2.0));
    h.initializer("z", Tensor::scalar_int(DType::UInt8, 0));
    auto cast = [&] { h.node("Cast", {"x"}, {"xf"}, "to_float").attr("to", int64_t{1}); };
    auto dequantize = [&] { h.node("DequantizeLinear", {"x", "s", "z"}, {"xd"}, "dq_in"); };
    if (cast_first) cast(), dequantize();
    else dequantize(), cast();
    h.node("Add", {"xf", "xd"}, {"y"}, "sum");
    h.output("y");
    INFO("the Cast " << (cast_first ? "first" : "second"));
    CHECK_THROWS_WITH(build_program(h.model(), ActivationRanges{{"xf", {0.0, 255.0}}, {"xd", {0.0, 510.0}},
                                                                {"y", {0.0, 765.0}}}),
                      Catch::Contains(cast_first ? "node 'dq_in' (DequantizeLinear)" : "node 'to_float' (Cast)") &&
                          Catch::Contains("the accelerator holds one copy of its input"));
  }
}

TEST_CASE("a cast of image bytes to another type than float32 is refused by name", "[integer_input]") {
  test::GraphBuilder h(13);
  h.input("x", DType::UInt8, {-1, 4});
  h.node("Cast", {"x"}, {"y"}, "widen").attr("to", int64_t{6});
  h.output("y");
  CHECK_THROWS_WITH(build_program(h.model(), ActivationRanges{{"x", {0.0, 255.0}}, {"y", {0.0, 255.0}}}),
                    Catch::Contains("node 'widen' (Cast)") &&
                        Catch::Contains("casts the network input's uint8 values to int32: only a cast to float32"));
}
