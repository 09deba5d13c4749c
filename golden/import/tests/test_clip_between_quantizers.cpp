// A Clip that ONNX Runtime's QDQ quantizer keeps between its layer's
// QuantizeLinear / DequantizeLinear and its own (ReLU6 with the layer's grid
// reaching beyond 6): the next grid's saturation is the clip.

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <random>

#include "golden/errors.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"
#include "qdq_graph.hpp"
#include "tracks_onnx.hpp"

using namespace aps;

namespace {

// x -> Q -> DQ -> Conv -> Q (the layer's grid: [-8, 8] by default) -> DQ ->
// Clip(lo, hi) -> Q (grid [next_lo, next_hi]) -> DQ -> Flatten.
test::GraphBuilder relu6_graph(double lo, double next_lo, double next_hi, double layer_scale = 16.0 / 255,
                               int64_t layer_zero = 128, bool next_has_params = true, double hi = 6.0) {
  std::mt19937 weights(41);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 1, 4, 4});
  const std::string xd = test::uint8_quant(g, "x", 1.0 / 64, 128);
  std::vector<int64_t> w;
  for (int i = 0; i < 18; ++i) w.push_back(static_cast<int64_t>(weights() % 254) - 127);
  g.initializer("w", Tensor::from_ints(DType::Int8, {2, 1, 3, 3}, w));
  g.initializer("ws", Tensor::scalar_real(DType::Float, 0.01));
  g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
  g.node("DequantizeLinear", {"w", "ws", "wz"}, {"wd"}, "dq_w");
  g.node("Conv", {xd, "wd"}, {"c"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.initializer("lo", Tensor::scalar_real(DType::Float, lo));
  g.initializer("hi", Tensor::scalar_real(DType::Float, hi));
  g.node("Clip", {test::uint8_quant(g, "c", layer_scale, layer_zero), "lo", "hi"}, {"r"}, "relu6");
  const double scale = (next_hi - next_lo) / 255;
  g.initializer("rs", Tensor::scalar_real(DType::Float, scale));
  g.initializer("rz", Tensor::scalar_int(DType::UInt8, std::lround(-next_lo / scale)));
  if (next_has_params)
    g.node("QuantizeLinear", {"r", "rs", "rz"}, {"rq"}, "q_r");
  else
    g.node("QuantizeLinear", {"r"}, {"rq"}, "q_r");
  g.node("DequantizeLinear", {"rq", "rs", "rz"}, {"rd"}, "dq_r");
  g.node("Flatten", {"rd"}, {"y"}, "flatten");
  g.output("y");
  return g;
}

// The program's output codes against ONNX's on the grid `scale`.
void check_codes(const test::GraphBuilder& g, double scale) {
  const OnnxModel m = g.model();
  const NetworkProgram p = build_program(m);
  std::mt19937 rng(42);
  const Tensor x = test::random_tensor(rng, {20, 1, 4, 4}, -2, 2);
  const test::CodeComparison c = test::compare_output_codes(m, p, x, scale);
  const auto& y = c.onnx.reals();
  // at the clip, on the grid
  const auto saturated = std::count_if(y.begin(), y.end(), [&](double v) { return std::fabs(v - 6.0) < scale; });
  CHECK(saturated > 0);  // the clip bites
  CHECK(c.far == 0);
  CHECK(c.differ * 50 <= c.onnx.size());
}

}  // namespace

TEST_CASE("a ReLU6 between two quantizers is the next grid's saturation", "[exporters]") {
  check_codes(relu6_graph(0, 0, 6), 6.0 / 255);
  // a lower bound below 0 that the next grid ends at
  check_codes(relu6_graph(-1, -1, 6), 7.0 / 255);
}

TEST_CASE("a ReLU6 whose bound lies inside both grids is refused", "[exporters]") {
  CHECK_THROWS_WITH(build_program(relu6_graph(0, 0, 7).model()),
                    Catch::Contains("layer 'conv': Clip's upper bound 6 lies inside the output's range"));
  CHECK_THROWS_WITH(build_program(relu6_graph(-1, -2, 6).model()),
                    Catch::Contains("layer 'conv': Clip's lower bound -1 lies inside the output's range"));
}

// Its constant output measures [0, 0], whose grid is an arbitrary one: not a
// bound inside a range.
TEST_CASE("a Clip whose bounds meet is refused as the constant it makes", "[exporters]") {
  CHECK_THROWS_WITH(build_program(relu6_graph(0, 0, 6, 16.0 / 255, 128, true, 0.0).model()),
                    Catch::Contains("layer 'conv': Clip(0, 0) makes every output 0, a constant"));
}

TEST_CASE("a clip at the layer grid's end code is refused where the next grid tells the end from the bound",
          "[exporters]") {
  // The layer's grid ends at 6.01, its top code standing for 6; the next grid
  // (step 6.005 / 254.5) puts 6 on code 254 and 6.01 on 255.
  CHECK_THROWS_WITH(build_program(relu6_graph(0, 0, 255 * 6.005 / 254.5, 6.01 / 255, 0).model()),
                    Catch::Contains("layer 'conv': Clip's upper bound 6 lies inside the output's range (up to 6.01"));
}

TEST_CASE("a QuantizeLinear without parameters after a clip is refused by its own check", "[exporters]") {
  // (the layer's grid ends below 6, so the clip reads nothing to clip)
  CHECK_THROWS_WITH(build_program(relu6_graph(0, 0, 6, 8.0 / 255, 128, false).model()),
                    Catch::Contains("node 'q_r' (QuantizeLinear)"));
}
