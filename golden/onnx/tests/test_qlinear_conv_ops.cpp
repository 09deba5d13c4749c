// QLinearConv's per-channel weight scales, computed by hand.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// x (uint8) [1, 2, 1, 2] through a 1 x 1 convolution with 2 output channels,
// w (int8) [[1, 2], [3, 4]], w_scale per channel, zero points 0, bias [4, 8].
Tensor qlinear_conv(const Tensor& w_scale) {
  test::GraphBuilder g(13);
  g.input("x", DType::UInt8, {1, 2, 1, 2});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 0.5)).initializer("xz", Tensor::scalar_int(DType::UInt8, 0));
  g.initializer("w", Tensor::from_ints(DType::Int8, {2, 2, 1, 1}, {1, 2, 3, 4}));
  g.initializer("ws", w_scale).initializer("wz", Tensor::from_ints(DType::Int8, {2}, {0, 0}));
  g.initializer("ys", Tensor::scalar_real(DType::Float, 1.0)).initializer("yz", Tensor::scalar_int(DType::UInt8, 10));
  g.initializer("b", Tensor::from_ints(DType::Int32, {2}, {4, 8}));
  g.node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"y"}, "conv");
  g.output("y");
  return g.run({{"x", Tensor::from_ints(DType::UInt8, {1, 2, 1, 2}, {2, 4, 6, 8})}}).at("y");
}

}  // namespace

TEST_CASE("QLinearConv: a channel at weight scale 0 writes its zero point, a negative scale is refused", "[qlinear_conv]") {
  // Channel 0: acc = [1*2 + 2*6 + 4, 1*4 + 2*8 + 4] = [18, 24], m = 0.5 * 1 / 1 -> [9, 12] + 10.
  CHECK(qlinear_conv(Tensor::from_reals(DType::Float, {2}, {1.0, 0.0})).ints() == std::vector<int64_t>{19, 22, 10, 10});
  // Channel 1 at scale 0.25: acc = [3*2 + 4*6 + 8, 3*4 + 4*8 + 8] = [38, 52], m = 0.125 -> [4.75, 6.5] -> [5, 6] + 10.
  CHECK(qlinear_conv(Tensor::from_reals(DType::Float, {2}, {1.0, 0.25})).ints() == std::vector<int64_t>{19, 22, 15, 16});
  CHECK_THROWS_WITH(qlinear_conv(Tensor::from_reals(DType::Float, {2}, {1.0, -1.0})),
                    Catch::Contains("node 'conv' (QLinearConv): w_scale -1 is not a number >= 0"));
}
