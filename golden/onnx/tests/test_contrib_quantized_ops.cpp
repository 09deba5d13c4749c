// ONNX Runtime's quantized contrib ops (com.microsoft) with ONNX semantics:
// each is its float op between a dequantization and a quantization. The
// expected codes are worked by hand.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {
void scale_and_zero(test::GraphBuilder& g, const std::string& name, double scale, int64_t zero) {
  g.initializer(name + "_s", Tensor::scalar_real(DType::Float, scale));
  g.initializer(name + "_z", Tensor::scalar_int(DType::UInt8, zero));
}
}  // namespace

TEST_CASE("QLinearAdd dequantizes both operands, adds with broadcasting and quantizes", "[contrib]") {
  test::GraphBuilder g(13);
  g.input("a", DType::UInt8, {1, 2, 2});
  scale_and_zero(g, "a", 0.5, 10);
  g.initializer("b", Tensor::from_ints(DType::UInt8, {2, 1}, {4, 0}));  // one value per channel
  scale_and_zero(g, "b", 0.25, 2);
  scale_and_zero(g, "c", 1.0, 100);
  g.node("QLinearAdd", {"a", "a_s", "a_z", "b", "b_s", "b_z", "c_s", "c_z"}, {"c"}, "add").domain("com.microsoft");
  g.output("c");
  // a: (q - 10) / 2 = -5, 0, 2.5, 117.5; b: 0.5, -0.5. Sums -4.5 (ties to -4), 0.5 (to 0),
  // 2.0 and 117.0, plus 100, saturated to 255.
  const auto out = g.run({{"a", Tensor::from_ints(DType::UInt8, {1, 2, 2}, {0, 10, 15, 245})}});
  CHECK(out.at("c").dtype() == DType::UInt8);
  CHECK(out.at("c").ints() == std::vector<int64_t>{96, 100, 102, 217});
}

TEST_CASE("QLinearGlobalAveragePool and QLinearAveragePool average the dequantized map", "[contrib]") {
  for (const bool global : {true, false}) {
    test::GraphBuilder g(13);
    g.input("x", DType::UInt8, {1, 1, 2, 2});
    scale_and_zero(g, "x", 0.5, 0);
    scale_and_zero(g, "y", 0.25, 1);
    auto n = g.node(global ? "QLinearGlobalAveragePool" : "QLinearAveragePool", {"x", "x_s", "x_z", "y_s", "y_z"},
                    {"y"}, "pool");
    n.domain("com.microsoft");
    if (!global) n.attr("kernel_shape", std::vector<int64_t>{2, 2});
    g.output("y");
    // mean(1, 2, 3, 5) = 2.75, 11 steps of 0.25, + 1; and 1.125 (4.5 steps, half to even: 4), + 1.
    const auto out = g.run({{"x", Tensor::from_ints(DType::UInt8, {1, 1, 2, 2}, {2, 4, 6, 10})}});
    CHECK(out.at("y").ints() == std::vector<int64_t>{12});
    const auto tie = g.run({{"x", Tensor::from_ints(DType::UInt8, {1, 1, 2, 2}, {1, 2, 3, 3})}});
    CHECK(tie.at("y").ints() == std::vector<int64_t>{5});
  }
}

TEST_CASE("QGemm multiplies B transposed, adds its int32 bias and requantizes", "[contrib]") {
  test::GraphBuilder g(13);
  g.input("a", DType::UInt8, {1, 2});
  scale_and_zero(g, "a", 0.5, 1);
  g.initializer("b", Tensor::from_ints(DType::Int8, {2, 2}, {2, -1, 1, 3}));  // [N, K], transB
  g.initializer("b_s", Tensor::scalar_real(DType::Float, 0.25));
  g.initializer("b_z", Tensor::scalar_int(DType::Int8, 0));
  g.initializer("bias", Tensor::from_ints(DType::Int32, {2}, {4, -8}));
  scale_and_zero(g, "y", 0.125, 10);
  g.node("QGemm", {"a", "a_s", "a_z", "b", "b_s", "b_z", "bias", "y_s", "y_z"}, {"y"}, "fc")
      .domain("com.microsoft")
      .attr("transB", 1);
  g.output("y");
  // a - 1 = (2, -1). Row 0: 2*2 + -1*-1 = 5, + 4 = 9; row 1: 2*1 + -1*3 = -1, - 8 = -9.
  // Multiplier 0.5 * 0.25 / 0.125 = 1: 9 + 10 = 19, -9 + 10 = 1.
  const auto out = g.run({{"a", Tensor::from_ints(DType::UInt8, {1, 2}, {3, 0})}});
  CHECK(out.at("y").ints() == std::vector<int64_t>{19, 1});
}

TEST_CASE("another com.microsoft op, or one of these in another domain, is refused by name", "[contrib]") {
  for (const auto& [op, domain, message] :
       {std::tuple<std::string, std::string, std::string>{"QLinearSoftmax", "com.microsoft",
                                                          "op 'QLinearSoftmax' of domain 'com.microsoft' is not supported"},
        {"QLinearAdd", "", "op type 'QLinearAdd' is not supported at any opset"}}) {
    test::GraphBuilder g(13);
    g.input("x", DType::UInt8, {1, 2});
    g.node(op, {"x"}, {"y"}, "n").domain(domain);
    g.output("y");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'n' (" + op + "): " + message));
  }
}
