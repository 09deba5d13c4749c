// ONNX QuantizeLinear / DequantizeLinear on single values: ties, zero
// points, saturation, float32 arithmetic.

#include <catch2/catch.hpp>

#include "golden/numerics/quantize_linear.hpp"

using namespace aps;

TEST_CASE("quantize_linear: ties to even, zero point, saturation at both ends", "[quantize]") {
  CHECK(quantize_linear(0.5, 1.0f, 0, DType::UInt8) == 0);
  CHECK(quantize_linear(1.5, 1.0f, 0, DType::UInt8) == 2);
  CHECK(quantize_linear(2.5, 1.0f, 0, DType::UInt8) == 2);
  CHECK(quantize_linear(-2.5, 1.0f, 0, DType::Int8) == -2);
  CHECK(quantize_linear(-3.5, 1.0f, 0, DType::Int8) == -4);
  // zero point 255 and 0, saturation at the top and bottom of uint8
  CHECK(quantize_linear(-1.0, 1.0f, 255, DType::UInt8) == 254);
  CHECK(quantize_linear(1.0, 1.0f, 255, DType::UInt8) == 255);
  CHECK(quantize_linear(-1.0, 1.0f, 0, DType::UInt8) == 0);
  CHECK(quantize_linear(1000.0, 1.0f, 0, DType::UInt8) == 255);
  // int8 saturates at -128 and 127
  CHECK(quantize_linear(-1000.0, 1.0f, 0, DType::Int8) == -128);
  CHECK(quantize_linear(1000.0, 1.0f, 0, DType::Int8) == 127);
  CHECK(quantize_linear(0.0, 0.1f, -128, DType::Int8) == -128);
  // the quotient is float32: 0.3 / 0.1 in float32 is 3.0000002 -> 3
  CHECK(quantize_linear(0.3, 0.1f, 0, DType::UInt8) == 3);
}

TEST_CASE("dequantize_linear computes (q - z) * s in float32", "[quantize]") {
  CHECK(dequantize_linear(255, 0.5f, 255) == 0.0);
  CHECK(dequantize_linear(0, 0.5f, 255) == -127.5);
  CHECK(dequantize_linear(-128, 2.0f, 0) == -256.0);
  CHECK(dequantize_linear(3, 0.1f, 0) == static_cast<double>(3.0f * 0.1f));
}
