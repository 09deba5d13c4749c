// The exporter ops' semantics that ONNX's backend vectors (libonnx-testdata
// 1.12, opset 17) do not reach: Gelu and Mish, Resize's axes,
// keep_aspect_ratio_policy and refusals, ScatterElements' max reduction,
// grouped ConvTranspose, TopK's ties, and indices out of range.

#include <catch2/catch.hpp>

#include <cmath>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

}  // namespace

TEST_CASE("Gelu is x * Phi(x) or its tanh approximation, and another approximation is refused", "[exporter-ops]") {
  const Tensor x = Tensor::from_reals(DType::Float, {3}, {-1.5, 0, 2});
  for (const std::string approximate : {"none", "tanh", "fast"}) {
    INFO(approximate);
    test::GraphBuilder g(20);
    g.input("x", DType::Float, {3});
    g.node("Gelu", {"x"}, {"y"}, "gelu").attr("approximate", approximate);
    g.output("y");
    if (approximate == "fast") {
      CHECK_THROWS_WITH(g.run({{"x", x}}), Catch::Contains("node 'gelu' (Gelu): approximate 'fast'"));
      continue;
    }
    const Tensor y = g.run({{"x", x}}).at("y");
    for (int i = 0; i < 3; ++i) {
      const double v = x.reals()[i];
      const double want = approximate == "none"
                              ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
                              : 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
      CHECK(y.reals()[i] == f32(want));
    }
  }
}

TEST_CASE("Mish is x * tanh(softplus(x))", "[exporter-ops]") {
  test::GraphBuilder g(18);
  g.input("x", DType::Float, {3});
  g.node("Mish", {"x"}, {"y"}, "mish");
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {3}, {-30, 0, 1})}}).at("y");
  CHECK(y.reals()[0] == f32(-30 * std::tanh(std::log1p(std::exp(-30.0)))));
  CHECK(y.reals()[1] == 0.0);
  CHECK(y.reals()[2] == f32(std::tanh(std::log1p(std::exp(1.0)))));
}

TEST_CASE("Resize with axes and keep_aspect_ratio_policy sizes only the axes named, to the shape the policy gives",
          "[exporter-ops]") {
  const Tensor x = Tensor::from_reals(DType::Float, {1, 1, 4, 6}, std::vector<double>(24, 0.0));
  struct Case {
    std::string policy;
    Shape out;
  };
  // sizes [2, 4] of [4, 6]: ratios 0.5 and 2/3.
  for (const Case& c : {Case{"stretch", {1, 1, 2, 4}}, Case{"not_larger", {1, 1, 2, 3}},
                        Case{"not_smaller", {1, 1, 3, 4}}}) {
    INFO(c.policy);
    test::GraphBuilder g(18);
    g.input("x", DType::Float, {1, 1, 4, 6});
    g.initializer("sizes", Tensor::from_ints(DType::Int64, {2}, {2, 4}));
    g.node("Resize", {"x", "", "", "sizes"}, {"y"}, "up")
        .attr("axes", std::vector<int64_t>{2, 3})
        .attr("keep_aspect_ratio_policy", c.policy);
    g.output("y");
    CHECK(g.run({{"x", x}}).at("y").shape() == c.out);
  }
}

TEST_CASE("Resize refuses antialias, both scales and sizes, and linear interpolation of integers, naming the node",
          "[exporter-ops]") {
  const auto run = [](DType type, bool antialias, bool both, const std::string& mode) {
    test::GraphBuilder g(18);
    g.input("x", type, {1, 1, 2, 2});
    g.initializer("scales", Tensor::from_reals(DType::Float, {4}, {1, 1, 2, 2}));
    g.initializer("sizes", Tensor::from_ints(DType::Int64, {4}, {1, 1, 4, 4}));
    test::NodeRef n = g.node("Resize", {"x", "", "scales", both ? "sizes" : ""}, {"y"}, "up");
    n.attr("mode", mode);
    if (antialias) n.attr("antialias", 1);
    g.output("y");
    const Tensor x = type == DType::Float ? Tensor::from_reals(type, {1, 1, 2, 2}, {1, 2, 3, 4})
                                          : Tensor::from_ints(type, {1, 1, 2, 2}, {1, 2, 3, 4});
    return g.run({{"x", x}}).at("y");
  };
  CHECK_THROWS_WITH(run(DType::Float, true, false, "linear"), Catch::Contains("node 'up' (Resize): antialias"));
  CHECK_THROWS_WITH(run(DType::Float, false, true, "linear"),
                    Catch::Contains("node 'up' (Resize): exactly one of scales and sizes must be given"));
  CHECK_THROWS_WITH(run(DType::UInt8, false, false, "linear"),
                    Catch::Contains("node 'up' (Resize): linear interpolation of uint8 elements is not supported"));
  const Tensor nearest = run(DType::UInt8, false, false, "nearest");
  CHECK(nearest.ints() == std::vector<int64_t>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST_CASE("ScatterElements with reduction max keeps the larger of the data and each update", "[exporter-ops]") {
  test::GraphBuilder g(18);
  g.input("data", DType::Float, {1, 4});
  g.initializer("indices", Tensor::from_ints(DType::Int64, {1, 3}, {1, 3, 1}));
  g.initializer("updates", Tensor::from_reals(DType::Float, {1, 3}, {5, -2, 7}));
  g.node("ScatterElements", {"data", "indices", "updates"}, {"y"}, "sc").attr("axis", 1).attr("reduction",
                                                                                              std::string("max"));
  g.output("y");
  const Tensor y = g.run({{"data", Tensor::from_reals(DType::Float, {1, 4}, {1, 6, 3, 0})}}).at("y");
  CHECK(y.reals() == std::vector<double>{1, 7, 3, 0});
}

TEST_CASE("ConvTranspose with two groups keeps each group's channels apart", "[exporter-ops]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 2, 1, 2});
  // Weight [C=2, M/group=1, 1, 2]: channel 0 spreads by (1, 10), channel 1 by (100, 1000).
  g.initializer("w", Tensor::from_reals(DType::Float, {2, 1, 1, 2}, {1, 10, 100, 1000}));
  g.node("ConvTranspose", {"x", "w"}, {"y"}, "up").attr("group", 2).attr("strides", std::vector<int64_t>{1, 2});
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {1, 2, 1, 2}, {1, 2, 3, 4})}}).at("y");
  REQUIRE(y.shape() == Shape{1, 2, 1, 4});
  CHECK(y.reals() == std::vector<double>{1, 10, 2, 20, 300, 3000, 400, 4000});
}

TEST_CASE("TopK puts the lower index first among equal values", "[exporter-ops]") {
  for (const int64_t largest : {1, 0}) {
    INFO(largest);
    test::GraphBuilder g(11);
    g.input("x", DType::Float, {5});
    g.initializer("k", Tensor::from_ints(DType::Int64, {1}, {3}));
    g.node("TopK", {"x", "k"}, {"values", "indices"}, "top").attr("largest", largest);
    g.output("values");
    g.output("indices");
    const auto out = g.run({{"x", Tensor::from_reals(DType::Float, {5}, {2, 7, 2, 7, 2})}});
    CHECK(out.at("indices").ints() ==
          (largest ? std::vector<int64_t>{1, 3, 0} : std::vector<int64_t>{0, 2, 4}));
  }
}

TEST_CASE("GatherElements and ScatterND refuse an index out of range, naming the node and the axis",
          "[exporter-ops]") {
  {
    test::GraphBuilder g(13);
    g.input("data", DType::Float, {2, 2});
    g.initializer("indices", Tensor::from_ints(DType::Int64, {1, 2}, {0, 2}));
    g.node("GatherElements", {"data", "indices"}, {"y"}, "ge").attr("axis", 1);
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"data", Tensor::from_reals(DType::Float, {2, 2}, {1, 2, 3, 4})}}),
                      Catch::Contains("node 'ge' (GatherElements): index 2 is out of range for axis 1 of size 2"));
  }
  {
    test::GraphBuilder g(13);
    g.input("data", DType::Float, {3});
    g.initializer("indices", Tensor::from_ints(DType::Int64, {1, 1}, {-4}));
    g.initializer("updates", Tensor::from_reals(DType::Float, {1}, {9}));
    g.node("ScatterND", {"data", "indices", "updates"}, {"y"}, "snd");
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"data", Tensor::from_reals(DType::Float, {3}, {1, 2, 3})}}),
                      Catch::Contains("node 'snd' (ScatterND): index -4 is out of range for axis 0 of size 3"));
  }
}

TEST_CASE("Sizes that no tensor could hold are refused by the node, not cast or multiplied past int64",
          "[exporter-ops]") {
  const Tensor x = Tensor::from_reals(DType::Float, {1, 4, 2, 2}, std::vector<double>(16, 1.0));
  {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1, 4, 2, 2});
    g.initializer("scales", Tensor::from_reals(DType::Float, {4}, {1, 1, 1e30, 1}));
    g.node("Resize", {"x", "", "scales"}, {"y"}, "up");
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", x}}), Catch::Contains("node 'up' (Resize): an output dimension of"));
  }
  {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1, 4, 2, 2});
    g.node("DepthToSpace", {"x"}, {"y"}, "d2s").attr("blocksize", int64_t{1} << 40);
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", x}}), Catch::Contains("node 'd2s' (DepthToSpace): blocksize 1099511627776"));
  }
  {
    test::GraphBuilder g(13);
    g.input("i", DType::Int64, {2});
    g.initializer("depth", Tensor::from_reals(DType::Float, {1}, {1e300}));
    g.initializer("values", Tensor::from_reals(DType::Float, {2}, {0, 1}));
    g.node("OneHot", {"i", "depth", "values"}, {"y"}, "oh");
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"i", Tensor::from_ints(DType::Int64, {2}, {0, 1})}}),
                      Catch::Contains("node 'oh' (OneHot): depth inf is not a positive count"));
  }
  {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1, 4, 2, 2});
    g.initializer("w", Tensor::from_reals(DType::Float, {4, 1, 1, 1}, {1, 1, 1, 1}));
    g.node("ConvTranspose", {"x", "w"}, {"y"}, "ct").attr("strides", std::vector<int64_t>{int64_t{1} << 40, 1});
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", x}}),
                      Catch::Contains("node 'ct' (ConvTranspose): strides and dilations must be between 1 and 2^31"));
  }
  {
    // An empty input with a huge index count: [1e7, 0] indices claim 1e7 whole copies of the data.
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1000});
    g.initializer("i", Tensor::from_ints(DType::Int64, {10000000, 0}, {}));
    g.node("GatherND", {"x", "i"}, {"y"}, "gnd");
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {1000}, std::vector<double>(1000, 0.0))}}),
                      Catch::Contains("node 'gnd' (GatherND)"));
  }
  {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1, 1, 0, 2});
    g.initializer("sizes", Tensor::from_ints(DType::Int64, {4}, {1, 1, 3, 2}));
    g.node("Resize", {"x", "", "", "sizes"}, {"y"}, "up").attr("mode", std::string("linear"));
    g.output("y");
    CHECK_THROWS_WITH(g.run({{"x", Tensor(DType::Float, {1, 1, 0, 2})}}),
                      Catch::Contains("node 'up' (Resize): axis 2 of the input [1,1,0,2] is empty and cannot be "
                                      "resized to 3"));
  }
}

TEST_CASE("Resize to an empty output returns it without making taps for its vast axis", "[exporter-ops]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {0, 1, 2, 2});
  g.initializer("sizes", Tensor::from_ints(DType::Int64, {4}, {0, 1, 2, 1000000000000000}));
  g.node("Resize", {"x", "", "", "sizes"}, {"y"}, "up");
  g.output("y");
  CHECK(g.run({{"x", Tensor(DType::Float, {0, 1, 2, 2})}}).at("y").shape() == Shape{0, 1, 2, 1000000000000000});
}

TEST_CASE("ConvTranspose refuses an output_padding not below the stride or the dilation", "[exporter-ops]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 4, 2, 2});
  g.initializer("w", Tensor::from_reals(DType::Float, {4, 1, 1, 1}, {1, 1, 1, 1}));
  g.node("ConvTranspose", {"x", "w"}, {"y"}, "ct").attr("output_padding", std::vector<int64_t>{1, 0});
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", Tensor(DType::Float, {1, 4, 2, 2})}}),
                    Catch::Contains("node 'ct' (ConvTranspose): output_padding 1 must be below"));
}

TEST_CASE("OneHot leaves a row all off for an index far outside the depth, and counts a negative one from the end",
          "[exporter-ops]") {
  test::GraphBuilder g(11);
  g.input("values", DType::Float, {2});
  g.initializer("i", Tensor::from_reals(DType::Float, {3}, {1e300, -1, 7}));
  g.initializer("depth", Tensor::from_ints(DType::Int64, {1}, {3}));
  g.node("OneHot", {"i", "depth", "values"}, {"y"}, "oh");
  g.output("y");
  const Tensor y = g.run({{"values", Tensor::from_reals(DType::Float, {2}, {0, 5})}}).at("y");
  CHECK(y.reals() == std::vector<double>{0, 0, 0, 0, 0, 5, 0, 0, 0});
}

TEST_CASE("Resize at opset 18 takes a roi over the axes it names", "[exporter-ops]") {
  test::GraphBuilder g(18);
  g.input("x", DType::Float, {1, 1, 1, 5});
  // The middle three of five: [0.25, 0.75] of the last axis.
  g.initializer("roi", Tensor::from_reals(DType::Float, {2}, {0.25, 0.75}));
  g.initializer("sizes", Tensor::from_ints(DType::Int64, {1}, {3}));
  g.node("Resize", {"x", "roi", "", "sizes"}, {"y"}, "crop")
      .attr("axes", std::vector<int64_t>{3})
      .attr("mode", std::string("linear"))
      .attr("coordinate_transformation_mode", std::string("tf_crop_and_resize"));
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {1, 1, 1, 5}, {0, 10, 20, 30, 40})}}).at("y");
  CHECK(y.reals() == std::vector<double>{10, 20, 30});
}

TEST_CASE("CumSum and ScatterElements' add wrap an int32 sum as int32 does", "[exporter-ops]") {
  {
    test::GraphBuilder g(14);
    g.input("x", DType::Int32, {2});
    g.initializer("axis", Tensor::from_ints(DType::Int64, {}, {0}));
    g.node("CumSum", {"x", "axis"}, {"y"}, "cs");
    g.output("y");
    const Tensor y = g.run({{"x", Tensor::from_ints(DType::Int32, {2}, {2147483647, 1})}}).at("y");
    CHECK(y.ints() == std::vector<int64_t>{2147483647, -2147483648LL});
  }
  {
    test::GraphBuilder g(18);
    g.input("x", DType::Int32, {1});
    g.initializer("i", Tensor::from_ints(DType::Int64, {1}, {0}));
    g.initializer("u", Tensor::from_ints(DType::Int32, {1}, {1}));
    g.node("ScatterElements", {"x", "i", "u"}, {"y"}, "sc").attr("reduction", std::string("add"));
    g.output("y");
    const Tensor y = g.run({{"x", Tensor::from_ints(DType::Int32, {1}, {2147483647})}}).at("y");
    CHECK(y.ints() == std::vector<int64_t>{-2147483648LL});
  }
}

TEST_CASE("TopK ranks NaN above every number, and Hardmax gives no 1 to a row led by NaN", "[exporter-ops]") {
  const double nan = std::nan("");
  for (const int64_t largest : {1, 0}) {
    INFO(largest);
    test::GraphBuilder g(11);
    g.input("x", DType::Float, {4});
    g.initializer("k", Tensor::from_ints(DType::Int64, {1}, {4}));
    g.node("TopK", {"x", "k"}, {"values", "indices"}, "top").attr("largest", largest);
    g.output("values");
    g.output("indices");
    const auto out = g.run({{"x", Tensor::from_reals(DType::Float, {4}, {1, nan, 3, -1})}});
    CHECK(out.at("indices").ints() ==
          (largest ? std::vector<int64_t>{1, 2, 0, 3} : std::vector<int64_t>{3, 0, 2, 1}));
  }
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {2, 3});
  g.node("Hardmax", {"x"}, {"y"}, "hm");
  g.output("y");
  const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {2, 3}, {nan, 1, 2, 1, nan, 0})}}).at("y");
  CHECK(y.reals() == std::vector<double>{0, 0, 0, 1, 0, 0});
}

TEST_CASE("Attributes are read at the opsets that define them", "[exporter-ops]") {
  {
    // DepthToSpace before opset 11 has no mode: DCR, whatever the node says.
    test::GraphBuilder g(1);
    g.input("x", DType::Float, {1, 4, 1, 1});
    g.node("DepthToSpace", {"x"}, {"y"}, "d2s").attr("blocksize", 2).attr("mode", std::string("CRD"));
    g.output("y");
    const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {1, 4, 1, 1}, {1, 2, 3, 4})}}).at("y");
    CHECK(y.reals() == std::vector<double>{1, 2, 3, 4});
  }
  {
    test::GraphBuilder g(9);
    g.input("x", DType::Float, {4});
    g.node("TopK", {"x"}, {"values", "indices"}, "top");
    g.output("values");
    g.output("indices");
    CHECK_THROWS_WITH(g.run({{"x", Tensor(DType::Float, {4})}}),
                      Catch::Contains("node 'top' (TopK): the k attribute is missing"));
  }
}

TEST_CASE("Resize's nearest copies int64 codes exactly, above 2^53 too", "[exporter-ops]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Int64, {1, 1, 1, 2});
  g.initializer("scales", Tensor::from_reals(DType::Float, {4}, {1, 1, 1, 2}));
  g.node("Resize", {"x", "", "scales"}, {"y"}, "up");
  g.output("y");
  const int64_t big = (int64_t{1} << 60) + 1;
  const Tensor y = g.run({{"x", Tensor::from_ints(DType::Int64, {1, 1, 1, 2}, {big, -big})}}).at("y");
  CHECK(y.ints() == std::vector<int64_t>{big, big, -big, -big});
}
