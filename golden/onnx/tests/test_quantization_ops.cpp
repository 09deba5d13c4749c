// The QuantizeLinear / DequantizeLinear op kernels: per-axis parameters and
// the parameters they refuse.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

TEST_CASE("QuantizeLinear per axis uses one scale and zero point per channel", "[quantize]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 2, 2});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {1.0, 0.5}));
  g.initializer("z", Tensor::from_ints(DType::UInt8, {2}, {0, 10}));
  g.node("QuantizeLinear", {"x", "s", "z"}, {"y"}).attr("axis", 1);
  g.output("y");
  const auto out = g.run({{"x", Tensor::from_reals(DType::Float, {1, 2, 2}, {1.5, 2.5, 1.5, 2.5})}});
  CHECK(out.at("y").ints() == std::vector<int64_t>{2, 2, 13, 15});
}

TEST_CASE("com.microsoft QuantizeLinear / DequantizeLinear: the standard formula, per axis at any opset", "[quantize]") {
  for (const std::string domain : {"", "com.microsoft"}) {
    INFO("domain '" << domain << "'");
    test::GraphBuilder g(11);
    g.input("x", DType::Float, {1, 2, 2});
    g.initializer("s", Tensor::from_reals(DType::Float, {2}, {1.0, 0.5}));
    g.initializer("z", Tensor::from_ints(DType::UInt8, {2}, {0, 10}));
    g.node("QuantizeLinear", {"x", "s", "z"}, {"q"}).attr("axis", 1).domain(domain);
    g.node("DequantizeLinear", {"q", "s", "z"}, {"y"}).attr("axis", 1).domain(domain);
    g.output("y");
    const Tensor x = Tensor::from_reals(DType::Float, {1, 2, 2}, {1.5, 2.5, 1.5, 2.5});
    if (domain.empty()) {
      CHECK_THROWS_WITH(g.run({{"x", x}}), Catch::Contains("per-axis scales need opset 13"));
    } else {
      CHECK(g.run({{"x", x}}).at("y").reals() == std::vector<double>{2, 2, 1.5, 2.5});
    }
  }
}

TEST_CASE("DequantizeLinear with a float16 scale (opset 19) gives float16 values", "[quantize]") {
  test::GraphBuilder g(19, 9);
  g.input("x", DType::UInt8, {1, 3});
  g.initializer("s", Tensor::scalar_real(DType::Float16, half_bits_to_double(double_to_half_bits(0.0123))));
  g.initializer("z", Tensor::scalar_int(DType::UInt8, 7));
  g.node("DequantizeLinear", {"x", "s", "z"}, {"y"});
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_ints(DType::UInt8, {1, 3}, {255, 0, 100})}}).at("y");
  CHECK(y.dtype() == DType::Float16);
  const double s = half_bits_to_double(double_to_half_bits(0.0123));
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t code = std::vector<int64_t>{255, 0, 100}[static_cast<size_t>(i)];
    const double product = static_cast<float>(code - 7) * static_cast<float>(s);
    CHECK(y.reals()[i] == half_bits_to_double(double_to_half_bits(product)));
  }
  CHECK(y.reals()[0] != static_cast<float>(255 - 7) * static_cast<float>(s));  // rounded to float16
}

TEST_CASE("QuantizeLinear refuses a scale <= 0 and a per-axis count mismatch", "[quantize]") {
  for (double bad : {0.0, -1.0}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {2});
    g.initializer("s", Tensor::scalar_real(DType::Float, bad));
    g.node("QuantizeLinear", {"x", "s"}, {"y"});
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {2}, {1, 2})}}),
                      Catch::Contains("not a positive number"));
  }
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 3});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {1, 1}));
  g.node("QuantizeLinear", {"x", "s"}, {"y"}).attr("axis", 1);
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {1, 3}, {1, 2, 3})}}),
                    Catch::Contains("2 scales for axis 1 of size 3"));
}

TEST_CASE("DequantizeLinear int8 vs uint8 and per axis", "[quantize]") {
  test::GraphBuilder g(13);
  g.input("q", DType::Int8, {2, 2});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {0.5, 2.0}));
  g.initializer("z", Tensor::from_ints(DType::Int8, {2}, {-128, 127}));
  g.node("DequantizeLinear", {"q", "s", "z"}, {"y"}).attr("axis", 0);
  g.output("y");
  const auto out = g.run({{"q", Tensor::from_ints(DType::Int8, {2, 2}, {-128, 127, -128, 127})}});
  CHECK(out.at("y").reals() == std::vector<double>{0.0, 127.5, -510.0, 0.0});
}

TEST_CASE("DequantizeLinear: a channel at scale 0 is 0, a negative scale is refused", "[quantize]") {
  for (const double second : {0.0, -2.0}) {
    test::GraphBuilder g(13);
    g.input("q", DType::Int8, {2, 2});
    g.initializer("s", Tensor::from_reals(DType::Float, {2}, {0.5, second}));
    g.initializer("z", Tensor::from_ints(DType::Int8, {2}, {0, 3}));
    g.node("DequantizeLinear", {"q", "s", "z"}, {"y"}).attr("axis", 0);
    g.output("y");
    const Tensor q = Tensor::from_ints(DType::Int8, {2, 2}, {4, -6, 127, -128});
    if (second == 0.0)
      CHECK(g.run({{"q", q}}).at("y").reals() == std::vector<double>{2.0, -3.0, 0.0, 0.0});
    else
      CHECK_THROWS_WITH(g.run({{"q", q}}), Catch::Contains("scale -2 is not a number >= 0"));
  }
}

TEST_CASE("opset 21's QuantizeLinear output_dtype sets the codes' type, block_size and other types are refused",
          "[quantize]") {
  const Tensor x = Tensor::from_reals(DType::Float, {1, 2}, {-1.5, 2.5});
  auto quantize = [&](int64_t opset, const std::string& attr, int64_t value, bool with_zero_point) {
    test::GraphBuilder g(opset, 10);
    g.input("x", DType::Float, {1, 2});
    g.initializer("s", Tensor::scalar_real(DType::Float, 0.5));
    g.initializer("z", Tensor::scalar_int(DType::UInt8, 10));
    auto n = with_zero_point ? g.node("QuantizeLinear", {"x", "s", "z"}, {"y"}, "q")
                             : g.node("QuantizeLinear", {"x", "s"}, {"y"}, "q");
    if (!attr.empty()) n.attr(attr, value);
    g.output("y");
    return g.run({{"x", x}}).at("y");
  };
  const Tensor int8 = quantize(21, "output_dtype", 3, false);  // TensorProto INT8, no zero point
  CHECK(int8.dtype() == DType::Int8);
  CHECK(int8.ints() == std::vector<int64_t>{-3, 5});
  CHECK(quantize(21, "output_dtype", 2, true).ints() == std::vector<int64_t>{7, 15});  // uint8, as the zero point
  CHECK(quantize(26, "", 0, false).dtype() == DType::UInt8);
  CHECK_THROWS_WITH(quantize(21, "output_dtype", 3, true),
                    Catch::Contains("node 'q' (QuantizeLinear): output_dtype int8 contradicts the zero point's type uint8"));
  CHECK_THROWS_WITH(quantize(21, "output_dtype", 5, false), Catch::Contains("output_dtype int16 (5) is not supported"));
  CHECK_THROWS_WITH(quantize(21, "block_size", 2, true),
                    Catch::Contains("node 'q' (QuantizeLinear): blocked quantization (block_size 2) is not supported"));
  CHECK_THROWS_WITH(quantize(23, "precision", 10, true), Catch::Contains("precision float16 (10) is not supported"));
}

TEST_CASE("opset 21 and 23's DequantizeLinear block_size and non-float32 output_dtype are refused", "[quantize]") {
  for (const auto& [attr, value, message] :
       {std::tuple<std::string, int64_t, std::string>{"block_size", 4, "blocked quantization (block_size 4)"},
        {"output_dtype", 10, "output_dtype float16 (10) is not supported (float32 is)"}}) {
    test::GraphBuilder g(23, 10);
    g.input("q", DType::UInt8, {1, 4});
    g.initializer("s", Tensor::scalar_real(DType::Float, 0.5));
    g.node("DequantizeLinear", {"q", "s"}, {"y"}, "dq").attr(attr, value);
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"q", Tensor::from_ints(DType::UInt8, {1, 4}, {1, 2, 3, 4})}}),
                      Catch::Contains("node 'dq' (DequantizeLinear): " + message));
  }
}
