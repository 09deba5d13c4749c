// Model-local functions: a call runs the function's body, as the same model
// with the body written out by hand; calls that cannot be expanded are
// refused, naming the call.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/tensor_proto.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// AddRelu(a, b) = Relu(a + b); with `slope`, LeakyRelu(a + b) whose alpha is
// the call's attribute `slope`.
onnx::FunctionProto& add_function(test::GraphBuilder& g, const std::string& name, bool slope = false) {
  onnx::FunctionProto& f = *g.proto().add_functions();
  f.set_name(name);
  f.set_domain("local");
  f.add_input("a");
  f.add_input("b");
  f.add_output("y");
  auto* op = f.add_opset_import();
  op->set_domain("");
  op->set_version(13);
  auto* add = f.add_node();
  add->set_op_type("Add");
  add->add_input("a");
  add->add_input("b");
  add->add_output("t");
  auto* act = f.add_node();
  act->set_op_type(slope ? "LeakyRelu" : "Relu");
  act->add_input("t");
  act->add_output("y");
  if (slope) {
    f.add_attribute("slope");
    auto* alpha = act->add_attribute();
    alpha->set_name("alpha");
    alpha->set_type(onnx::AttributeProto::FLOAT);
    alpha->set_ref_attr_name("slope");
  }
  return f;
}

test::GraphBuilder calling_model() {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 4});
  g.initializer("c", Tensor::from_reals(DType::Float, {4}, {1, -1, 2, -2}));
  g.node("AddRelu", {"x", "c"}, {"h"}, "first").domain("local");
  g.node("AddRelu", {"h", "c"}, {"y"}, "second").domain("local");
  g.output("y");
  add_function(g, "AddRelu");
  return g;
}

const Tensor kX = Tensor::from_reals(DType::Float, {1, 4}, {0.5, 0.5, -3, -1});

// Level1 .. Level<levels>: Level<k>(a, b) = below(below(a, b), b), with
// Level1 calling `bottom`, so every level doubles the calls of the one below.
void add_doubling_levels(test::GraphBuilder& g, int levels, const std::string& bottom) {
  for (int level = 1; level <= levels; ++level) {
    onnx::FunctionProto& f = *g.proto().add_functions();
    f.set_name(fmt::format("Level{}", level));
    f.set_domain("local");
    f.add_input("a");
    f.add_input("b");
    f.add_output("y");
    for (const auto& [in, out] : {std::pair{"a", "h"}, std::pair{"h", "y"}}) {
      auto* call = f.add_node();
      call->set_op_type(level == 1 ? bottom : fmt::format("Level{}", level - 1));
      call->set_domain("local");
      call->add_input(in);
      call->add_input("b");
      call->add_output(out);
    }
  }
}

// calling_model with its first call to `op` giving y, and no second call.
void call_only(test::GraphBuilder& g, const std::string& op) {
  auto& nodes = *g.proto().mutable_graph()->mutable_node();
  nodes.RemoveLast();
  nodes.Mutable(0)->set_op_type(op);
  nodes.Mutable(0)->set_output(0, "y");
}

}  // namespace

TEST_CASE("a model-local function called twice runs as its body written out twice", "[functions]") {
  test::GraphBuilder flat(13);
  flat.input("x", DType::Float, {1, 4});
  flat.initializer("c", Tensor::from_reals(DType::Float, {4}, {1, -1, 2, -2}));
  flat.node("Add", {"x", "c"}, {"t1"});
  flat.node("Relu", {"t1"}, {"h"});
  flat.node("Add", {"h", "c"}, {"t2"});
  flat.node("Relu", {"t2"}, {"y"});
  flat.output("y");
  const auto want = flat.run({{"x", kX}}).at("y").reals();
  CHECK(want == std::vector<double>{2.5, 0, 2, 0});
  const test::GraphBuilder g = calling_model();
  CHECK(g.run({{"x", kX}}).at("y").reals() == want);
  // The body's nodes are named after their call, for messages.
  const OnnxModel m = g.model();
  REQUIRE(m.nodes().size() == 4);
  CHECK(m.nodes()[0]->name() == "first#0/Add");
  CHECK(m.nodes()[3]->name() == "second#1/Relu");
  CHECK(m.proto().functions_size() == 0);
}

TEST_CASE("a function's attribute references take the call's value, or the op's default", "[functions]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 4});
  g.initializer("c", Tensor::from_reals(DType::Float, {4}, {0, 0, 0, 0}));
  g.node("Leaky", {"x", "c"}, {"h"}, "given").domain("local").attr("slope", 0.5f);
  g.node("Leaky", {"h", "c"}, {"y"}, "default").domain("local");
  g.output("y");
  add_function(g, "Leaky", true);
  // -4 * 0.5 (the call's slope), then * 0.01 (LeakyRelu's default alpha).
  const auto y = g.run({{"x", Tensor::from_reals(DType::Float, {1, 4}, {-4, 1, 0, 2})}}).at("y").reals();
  CHECK(y[0] == Approx(-4 * 0.5 * 0.01));
  CHECK(y[1] == 1);
}

TEST_CASE("a function that calls a function is inlined all the way", "[functions]") {
  test::GraphBuilder g = calling_model();
  add_doubling_levels(g, 1, "AddRelu");  // Level1(a, b) = AddRelu(AddRelu(a, b), b)
  call_only(g, "Level1");
  CHECK(g.run({{"x", kX}}).at("y").reals() == std::vector<double>{2.5, 0, 2, 0});
}

TEST_CASE("inlined values take names clear of the graph's, an output that is an input passes it on",
          "[functions]") {
  test::GraphBuilder g = calling_model();
  // The name the first call's Add result would take.
  g.initializer("first#0/t", Tensor::from_reals(DType::Float, {4}, {9, 9, 9, 9}));
  g.node("Add", {"y", "first#0/t"}, {"z"}, "uses_it");
  g.proto().mutable_graph()->mutable_output(0)->set_name("z");
  // Pass(a) = (a, Relu(a)): its first output is its input.
  onnx::FunctionProto& pass = *g.proto().add_functions();
  pass.set_name("Pass");
  pass.set_domain("local");
  pass.add_input("a");
  pass.add_output("a");
  pass.add_output("r");
  auto* relu = pass.add_node();
  relu->set_op_type("Relu");
  relu->add_input("a");
  relu->add_output("r");
  g.node("Pass", {"z"}, {"same", "rectified"}, "pass").domain("local");
  g.node("Sub", {"same", "rectified"}, {"negative_part"}, "sub");
  g.proto().mutable_graph()->mutable_output(0)->set_name("negative_part");
  // y = [2.5, 0, 2, 0] as before; z = y + 9 >= 0, so z - Relu(z) = 0.
  CHECK(g.run({{"x", kX}}).at("negative_part").reals() == std::vector<double>{0, 0, 0, 0});
}

TEST_CASE("an attribute only a function default could give is refused: onnx 1.12 cannot read the defaults",
          "[functions]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {1, 4});
  g.initializer("c", Tensor::from_reals(DType::Float, {4}, {0, 0, 0, 0}));
  g.node("Leaky", {"x", "c"}, {"y"}, "no_slope").domain("local");
  g.output("y");
  onnx::FunctionProto& f = add_function(g, "Leaky", true);
  // attribute_proto (field 11, IR 9) with a default slope, as newer onnx writes it.
  onnx::AttributeProto slope;
  slope.set_name("slope");
  slope.set_type(onnx::AttributeProto::FLOAT);
  slope.set_f(0.5f);
  f.GetReflection()->MutableUnknownFields(&f)->AddLengthDelimited(11, slope.SerializeAsString());
  CHECK_THROWS_AS(g.model(), UnsupportedError);
  CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'no_slope' (Leaky): attribute 'slope' of function 'Leaky' is not "
                                               "given by the call"));
}

TEST_CASE("calls that cannot be expanded are refused, naming the call", "[functions]") {
  SECTION("a function that calls itself") {
    test::GraphBuilder g = calling_model();
    auto* self = g.proto().mutable_functions(0)->add_node();
    self->set_op_type("AddRelu");
    self->set_domain("local");
    self->add_input("y");
    self->add_input("b");
    self->add_output("z");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("test.onnx: node 'first' (AddRelu): function 'AddRelu' calls "
                                                 "functions more than 64 deep"));
  }
  SECTION("functions that each call the next twice, 30 deep (2^30 nodes)") {
    test::GraphBuilder g = calling_model();
    add_doubling_levels(g, 30, "AddRelu");
    call_only(g, "Level30");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'first' (Level30): inlining the model's functions gives more "
                                                 "than 262144 nodes and calls"));
  }
  SECTION("functions that each call the next twice, down to one with no nodes") {
    test::GraphBuilder g = calling_model();
    g.proto().mutable_functions(0)->clear_node();  // AddRelu now gives nothing
    add_doubling_levels(g, 30, "AddRelu");
    call_only(g, "Level30");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'first' (Level30): inlining the model's functions gives more "
                                                 "than 262144 nodes and calls"));
  }
  SECTION("a large Constant copied by every call") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {1, 4});
    g.node("Level9", {"x"}, {"y"}, "top").domain("local");
    g.output("y");
    // Level0(a, b) = a + a Constant of 1M floats (4 MB), under nine doubling levels.
    onnx::FunctionProto& f = *g.proto().add_functions();
    f.set_name("Level0");
    f.set_domain("local");
    f.add_input("a");
    f.add_input("b");
    f.add_output("y");
    auto* c = f.add_node();
    c->set_op_type("Constant");
    c->add_output("c");
    auto* value = c->add_attribute();
    value->set_name("value");
    value->set_type(onnx::AttributeProto::TENSOR);
    *value->mutable_t() = tensor_to_proto(Tensor(DType::Float, {1 << 20}), "c");
    auto* add = f.add_node();
    add->set_op_type("Add");
    add->add_input("a");
    add->add_input("c");
    add->add_output("y");
    add_doubling_levels(g, 9, "Level0");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'top' (Level9): inlining the model's functions gives more "
                                                 "than 262144 nodes and calls or 268435456 bytes"));
  }
  SECTION("more inputs than the function declares") {
    test::GraphBuilder g = calling_model();
    g.proto().mutable_graph()->mutable_node(0)->add_input("c");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("node 'first' (AddRelu): 3 inputs and 1 outputs, function 'AddRelu' "
                                                 "declares 2 and 1"));
  }
  SECTION("another default opset than the model's") {
    test::GraphBuilder g = calling_model();
    g.proto().mutable_functions(0)->mutable_opset_import(0)->set_version(18);
    CHECK_THROWS_AS(g.model(), UnsupportedError);
    CHECK_THROWS_WITH(g.model(), Catch::Contains("function 'AddRelu' imports default opset 18, the model 13"));
  }
  SECTION("two functions of one name (overloads)") {
    test::GraphBuilder g = calling_model();
    add_function(g, "AddRelu");
    CHECK_THROWS_WITH(g.model(), Catch::Contains("function 'AddRelu' of domain 'local' is defined twice"));
  }
}
