// The ONNX loader's validation: every structural defect is an InputError
// that names the file and the node or value at fault.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

test::GraphBuilder relu_model() {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.node("Relu", {"x"}, {"y"}, "relu1");
  g.output("y");
  return g;
}

}  // namespace

TEST_CASE("a well-formed model loads and runs", "[loader]") {
  const auto out = relu_model().run({{"x", Tensor::from_reals(DType::Float, {1, 4}, {-1, 0, 2, -3})}});
  CHECK(out.at("y").reals() == std::vector<double>{0, 0, 2, 0});
}

TEST_CASE("an unsupported op names node, op type, opset and file", "[loader]") {
  auto g = relu_model();
  g.node("LSTM", {"y"}, {"z"}, "rnn");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("test.onnx: node 'rnn' (LSTM): op type 'LSTM' is not supported at any opset (the model uses opset 13)"));
}

TEST_CASE("a node without a name is named by its op type and output", "[loader]") {
  auto g = relu_model();
  g.node("LSTM", {"y"}, {"z"}, "");
  g.proto().mutable_graph()->mutable_node(1)->clear_name();
  CHECK_THROWS_WITH(g.model(), Catch::Contains("test.onnx: unnamed LSTM node writing 'z': op type 'LSTM' is not supported"));
}

TEST_CASE("a node reading a value nothing produces is a dangling input", "[loader]") {
  auto g = relu_model();
  g.node("Add", {"y", "ghost"}, {"z"}, "add1");
  g.output("z");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'add1' (Add): input 'ghost' is not produced by any node"));
}

TEST_CASE("a missing initializer is a dangling input too", "[loader]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 2});
  g.node("MatMul", {"x", "fc.weight"}, {"y"}, "fc");
  g.output("y");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("input 'fc.weight' is not produced"));
}

TEST_CASE("a cycle is refused", "[loader]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1});
  g.node("Add", {"x", "b"}, {"a"}, "first");
  g.node("Relu", {"a"}, {"b"}, "second");
  g.output("b");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("the graph has a cycle"));
}

TEST_CASE("IR versions and opsets outside the supported range are refused", "[loader]") {
  test::GraphBuilder old_ir(13, 2);
  old_ir.input("x", DType::Float, {1});
  old_ir.node("Relu", {"x"}, {"y"});
  old_ir.output("y");
  CHECK_THROWS_WITH(old_ir.model(), Catch::Contains("IR version 2 is not supported"));
  test::GraphBuilder future(30);
  future.input("x", DType::Float, {1});
  future.node("Relu", {"x"}, {"y"});
  future.output("y");
  CHECK_THROWS_WITH(future.model(), Catch::Contains("opset 30 is not supported"));
  // IR version 10 (what PyTorch's newest exporter writes) and what onnx 1.21
  // writes by default (IR 13, opset 26) are accepted; a later IR is not.
  for (const auto& [opset, ir] : {std::pair<int64_t, int64_t>{17, 10}, {26, 13}, {27, 13}}) {
    test::GraphBuilder g(opset, ir);
    g.input("x", DType::Float, {1});
    g.node("Relu", {"x"}, {"y"});
    g.output("y");
    CHECK_NOTHROW(g.model());
  }
  test::GraphBuilder ir14(26, 14);
  ir14.input("x", DType::Float, {1});
  ir14.node("Relu", {"x"}, {"y"});
  ir14.output("y");
  CHECK_THROWS_WITH(ir14.model(), Catch::Contains("IR version 14 is not supported (APS reads 3..13)"));
  test::GraphBuilder opset28(28, 13);
  opset28.input("x", DType::Float, {1});
  opset28.node("Relu", {"x"}, {"y"});
  opset28.output("y");
  CHECK_THROWS_WITH(opset28.model(), Catch::Contains("opset 28 is not supported (APS reads opsets 1..27)"));
}

TEST_CASE("an op older than its supported semantics is refused, not misread", "[loader]") {
  test::GraphBuilder g(10);
  g.input("x", DType::Float, {1});
  g.node("Round", {"x"}, {"y"});  // Round exists from opset 11
  g.output("y");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("supported from opset 11"));
}

TEST_CASE("an initializer with external data built in memory (no folder to read it from) is refused", "[loader]") {
  auto g = relu_model();
  auto* init = g.proto().mutable_graph()->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(4);
  init->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* entry = init->add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("initializer 'w': tensor data stored in an external file"));
}

TEST_CASE("feeds are checked against the declared input type and shape", "[loader]") {
  const auto g = relu_model();
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_ints(DType::Int32, {1, 4}, {1, 2, 3, 4})}}),
                    Catch::Contains("input 'x' must be float32, got int32"));
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {1, 5}, {1, 2, 3, 4, 5})}}),
                    Catch::Contains("input 'x' must have shape [?,4], got [1,5]"));
  CHECK_THROWS_WITH(g.run({}), Catch::Contains("no data for input 'x'"));
}

TEST_CASE("a graph output nothing produces is refused", "[loader]") {
  auto g = relu_model();
  g.output("nowhere");
  CHECK_THROWS_WITH(g.model(), Catch::Contains("graph output 'nowhere' is not produced"));
}

TEST_CASE("an attribute of the wrong type names node and attribute", "[loader]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {2, 2});
  g.node("Flatten", {"x"}, {"y"}, "flat").attr("axis", std::string("one"));
  g.output("y");
  CHECK_THROWS_WITH(g.run({{"x", Tensor::from_reals(DType::Float, {2, 2}, {1, 2, 3, 4})}}),
                    Catch::Contains("node 'flat' (Flatten): attribute 'axis' has type STRING, expected INT"));
}
