// Shape, Squeeze and Unsqueeze across the opsets that change them (axes as an
// attribute before 13, as an input from 13; Shape's start/end from 15), and
// the shape arithmetic exporters write in front of a Reshape.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

Tensor axes(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_ints(DType::Int64, {n}, std::move(v));
}

Tensor zeros(const Shape& s) { return Tensor(DType::Float, s); }

}  // namespace

TEST_CASE("Shape returns every dimension, and from opset 15 those from start to end", "[shape]") {
  const Shape dims{2, 3, 4, 5};
  struct Case {
    int64_t opset;
    std::vector<std::pair<std::string, int64_t>> attrs;
    std::vector<int64_t> expected;
  };
  const std::vector<Case> cases = {
      {13, {}, {2, 3, 4, 5}},
      {15, {{"start", 1}}, {3, 4, 5}},
      {15, {{"end", -1}}, {2, 3, 4}},
      {15, {{"start", -3}, {"end", 3}}, {3, 4}},
      {15, {{"start", -10}, {"end", 10}}, {2, 3, 4, 5}},  // clamped to the rank
      {15, {{"start", 3}, {"end", 1}}, {}},
  };
  for (const auto& c : cases) {
    test::GraphBuilder g(c.opset);
    g.input("x", DType::Float, dims);
    auto node = g.node("Shape", {"x"}, {"s"});
    for (const auto& [name, v] : c.attrs) node.attr(name, v);
    g.output("s");
    const Tensor s = g.run({{"x", zeros(dims)}}).at("s");
    CHECK(s.dtype() == DType::Int64);
    CHECK(s.shape() == Shape{static_cast<int64_t>(c.expected.size())});
    CHECK(s.ints() == c.expected);
  }
}

TEST_CASE("Shape refuses start and end before opset 15, naming the node", "[shape]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {2, 3});
  g.node("Shape", {"x"}, {"s"}, "dims").attr("start", 1);
  g.output("s");
  CHECK_THROWS_WITH(g.run({{"x", zeros({2, 3})}}),
                    Catch::Contains("node 'dims' (Shape): Shape's start and end need opset 15 (the model uses opset 13)"));
}

TEST_CASE("Unsqueeze takes axes as an attribute before opset 13 and as an input from 13", "[shape]") {
  test::GraphBuilder old(11);
  old.input("x", DType::Float, {3, 4});
  old.node("Unsqueeze", {"x"}, {"y"}).attr("axes", std::vector<int64_t>{-1, 0});
  old.output("y");
  CHECK(old.run({{"x", zeros({3, 4})}}).at("y").shape() == Shape{1, 3, 4, 1});

  test::GraphBuilder g(13);
  g.input("x", DType::Float, {3, 4});
  g.initializer("axes", axes({3, 1}));  // unsorted; positions in the output
  g.node("Unsqueeze", {"x", "axes"}, {"y"});
  g.output("y");
  CHECK(g.run({{"x", zeros({3, 4})}}).at("y").shape() == Shape{3, 1, 4, 1});
}

TEST_CASE("Unsqueeze refuses repeated, out-of-range and missing axes, naming the node", "[shape]") {
  auto run = [](int64_t opset, const std::vector<int64_t>* attr_axes, const Tensor* input_axes) {
    test::GraphBuilder g(opset);
    g.input("x", DType::Float, {3});
    std::vector<std::string> inputs{"x"};
    if (input_axes) {
      g.initializer("axes", *input_axes);
      inputs.push_back("axes");
    }
    auto node = g.node("Unsqueeze", inputs, {"y"}, "unsq");
    if (attr_axes) node.attr("axes", *attr_axes);
    g.output("y");
    return g.run({{"x", zeros({3})}});
  };
  const std::vector<int64_t> twice{0, -3}, outside{2};  // the output has rank 3 and 2
  CHECK_THROWS_WITH(run(11, &twice, nullptr), Catch::Contains("node 'unsq' (Unsqueeze): axis -3 is given twice"));
  CHECK_THROWS_WITH(run(11, &outside, nullptr), Catch::Contains("node 'unsq' (Unsqueeze): axis 2 is out of range for rank 2"));
  CHECK_THROWS_WITH(run(11, nullptr, nullptr),
                    Catch::Contains("node 'unsq' (Unsqueeze): Unsqueeze needs the axes attribute"));
  CHECK_THROWS_WITH(run(13, nullptr, nullptr),
                    Catch::Contains("node 'unsq' (Unsqueeze): Unsqueeze needs the axes input from opset 13"));
  CHECK_THROWS_WITH(run(13, &outside, nullptr),
                    Catch::Contains("node 'unsq' (Unsqueeze): from opset 13 axes is an input, not an attribute"));
  const Tensor float_axes = Tensor::from_reals(DType::Float, {1}, {0});
  CHECK_THROWS_WITH(run(13, nullptr, &float_axes), Catch::Contains("axes input must be a 1-D int64 tensor"));
}

TEST_CASE("Squeeze removes the named unit axes, or every unit axis without axes", "[shape]") {
  const Shape dims{1, 3, 1, 2};
  test::GraphBuilder old(11);
  old.input("x", DType::Float, dims);
  old.node("Squeeze", {"x"}, {"y"}).attr("axes", std::vector<int64_t>{-2});
  old.node("Squeeze", {"x"}, {"all"});
  old.output("y").output("all");
  const auto out = old.run({{"x", zeros(dims)}});
  CHECK(out.at("y").shape() == Shape{1, 3, 2});
  CHECK(out.at("all").shape() == Shape{3, 2});

  test::GraphBuilder g(13);
  g.input("x", DType::Float, dims);
  g.initializer("axes", axes({0}));
  g.initializer("no_axes", axes({}));
  g.node("Squeeze", {"x", "axes"}, {"y"});
  g.node("Squeeze", {"x"}, {"all"});
  g.node("Squeeze", {"x", "no_axes"}, {"empty"});  // as no axes, as ONNX Runtime reads it
  g.output("y").output("all").output("empty");
  const auto out13 = g.run({{"x", zeros(dims)}});
  CHECK(out13.at("y").shape() == Shape{3, 1, 2});
  CHECK(out13.at("all").shape() == Shape{3, 2});
  CHECK(out13.at("empty").shape() == Shape{3, 2});
}

TEST_CASE("Squeeze refuses an axis whose size is not 1, naming the node", "[shape]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 3});
  g.initializer("axes", axes({-1}));
  g.node("Squeeze", {"x", "axes"}, {"y"}, "sq");
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", zeros({1, 3})}}),
                    Catch::Contains("node 'sq' (Squeeze): cannot squeeze axis 1 of size 3 (shape [1,3])"));
}

// x.view(x.size(0), -1) as torch.onnx.export writes it with a dynamic batch:
// Shape -> Gather(0) -> Unsqueeze -> Concat with [-1] -> Reshape.
TEST_CASE("the exporters' shape subgraph in front of Reshape flattens any batch", "[shape]") {
  for (int64_t opset : {9, 13}) {
    test::GraphBuilder g(opset);
    g.input("x", DType::Float, {-1, 2, 3});
    g.initializer("zero", Tensor::scalar_int(DType::Int64, 0));
    g.initializer("minus_one", axes({-1}));
    g.node("Shape", {"x"}, {"shape"});
    g.node("Gather", {"shape", "zero"}, {"batch"}).attr("axis", 0);
    if (opset < 13) {
      g.node("Unsqueeze", {"batch"}, {"batch1"}).attr("axes", std::vector<int64_t>{0});
    } else {
      g.initializer("axes", axes({0}));
      g.node("Unsqueeze", {"batch", "axes"}, {"batch1"});
    }
    g.node("Concat", {"batch1", "minus_one"}, {"target"}).attr("axis", 0);
    g.node("Reshape", {"x", "target"}, {"y"});
    g.output("y");
    for (int64_t batch : {1, 4}) {
      std::vector<double> values(static_cast<size_t>(batch * 6));
      for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
      const Tensor y = g.run({{"x", Tensor::from_reals(DType::Float, {batch, 2, 3}, values)}}).at("y");
      CHECK(y.shape() == Shape{batch, 6});
      CHECK(y.reals() == values);
    }
  }
}
