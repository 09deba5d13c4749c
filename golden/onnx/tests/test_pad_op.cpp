// Pad beyond the backend vectors (which cover constant, edge and reflect of a
// 2-D float input at opset 13 and PyTorch's opset-6 attribute form): negative
// pads that crop, the axes input of opset 18, integer data,
// and the malformed pads each refuses with the node named. Expected values are
// numpy.pad's, worked by hand.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// x = [[0,1,2],[3,4,5]] padded by a Pad node of the given opset and mode.
Tensor pad_2x3(int64_t opset, const std::string& mode, const std::vector<int64_t>& pads,
               const std::vector<int64_t>* axes = nullptr, DType type = DType::Float) {
  test::GraphBuilder g(opset);
  g.input("x", type, {2, 3});
  std::vector<std::string> inputs{"x"};
  if (opset >= 11) {
    g.initializer("pads", Tensor::from_ints(DType::Int64, {static_cast<int64_t>(pads.size())}, pads));
    inputs.push_back("pads");
    if (axes) {
      inputs.push_back("");
      g.initializer("axes", Tensor::from_ints(DType::Int64, {static_cast<int64_t>(axes->size())}, *axes));
      inputs.push_back("axes");
    }
  }
  auto node = g.node("Pad", inputs, {"y"}, "pad");
  node.attr("mode", mode);
  if (opset < 11) node.attr("pads", pads);
  g.output("y");
  const std::vector<int64_t> v{0, 1, 2, 3, 4, 5};
  const Tensor x = type == DType::Float ? Tensor::from_reals(type, {2, 3}, {v.begin(), v.end()})
                                        : Tensor::from_ints(type, {2, 3}, v);
  return g.run({{"x", x}}).at("y");
}

}  // namespace

TEST_CASE("Pad crops where a pad is negative", "[pad]") {
  // Columns: drop the first, add two zeros at the end; rows: add one on top.
  const Tensor y = pad_2x3(13, "constant", {1, -1, 0, 2});
  CHECK(y.shape() == Shape{3, 4});
  CHECK(y.reals() == std::vector<double>{0, 0, 0, 0, 1, 2, 0, 0, 4, 5, 0, 0});
}

TEST_CASE("Pad's axes input (opset 18) pads only the axes it names", "[pad]") {
  const std::vector<int64_t> axes{-1};
  const Tensor y = pad_2x3(18, "edge", {2, 1}, &axes);
  CHECK(y.shape() == Shape{2, 6});
  CHECK(y.reals() == std::vector<double>{0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5});
}

TEST_CASE("Pad reflects without repeating the edge, however far it pads", "[pad]") {
  // numpy.pad([0,1,2], 3, 'reflect') = [1,2,1,0,1,2,1,0,1].
  const Tensor r = pad_2x3(13, "reflect", {0, 3, 0, 3});
  CHECK(std::vector<double>(r.reals().begin(), r.reals().begin() + 9) == std::vector<double>{1, 2, 1, 0, 1, 2, 1, 0, 1});
  CHECK_THROWS_WITH(pad_2x3(18, "wrap", {0, 1, 0, 1}), Catch::Contains("node 'pad' (Pad): mode 'wrap' is not a Pad mode at opset 18"));
}

TEST_CASE("Pad of integers before opset 11 takes the pads as an attribute", "[pad]") {
  const Tensor y = pad_2x3(2, "constant", {0, 1, 0, 0}, nullptr, DType::UInt8);
  CHECK(y.shape() == Shape{2, 4});
  CHECK(y.ints() == std::vector<int64_t>{0, 0, 1, 2, 0, 3, 4, 5});
}

TEST_CASE("Pad refuses malformed pads, naming the node", "[pad]") {
  CHECK_THROWS_WITH(pad_2x3(13, "constant", {1, 1}), Catch::Contains("node 'pad' (Pad): 2 pads for 2 axes"));
  CHECK_THROWS_WITH(pad_2x3(13, "constant", {0, -2, 0, -2}),
                    Catch::Contains("node 'pad' (Pad): pads -2 and -2 crop more than the 3 elements of axis 1"));
  CHECK_THROWS_WITH(pad_2x3(13, "symmetric", {0, 1, 0, 1}), Catch::Contains("mode 'symmetric' is not a Pad mode"));
  CHECK_THROWS_WITH(pad_2x3(13, "wrap", {0, 1, 0, 1}), Catch::Contains("mode 'wrap' is not a Pad mode at opset 13"));
  CHECK_THROWS_WITH(pad_2x3(19, "wrap", {0, 1, 0, 1}), Catch::Contains("node 'pad' (Pad): mode 'wrap' is not supported"));
  CHECK(pad_2x3(21, "constant", {0, 1, 0, 0}).shape() == Shape{2, 4});
  CHECK_THROWS_WITH(pad_2x3(13, "constant", {0, int64_t{1} << 40, 0, 0}),
                    Catch::Contains("node 'pad' (Pad): pad 1099511627776 is out of range"));
  const std::vector<int64_t> twice{1, -1};
  CHECK_THROWS_WITH(pad_2x3(18, "constant", {1, 1, 1, 1}, &twice), Catch::Contains("axis 1 is padded twice"));
}
