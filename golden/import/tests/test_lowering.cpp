// Lowering ONNX models onto the network program, and the golden accelerator
// arithmetic that executes it.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>

#include "golden/onnx/data_set.hpp"
#include "golden/errors.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/tensor_compare.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {
const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";

// x[?,3] -> QuantizeLinear -> QLinearMatMul 'qmm' (int8 weights at
// `weight_scale`) -> DequantizeLinear -> y[?,2].
OnnxModel qlinear_matmul_model(double weight_scale) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 3});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 0.125));
  g.initializer("xz", Tensor::scalar_int(DType::UInt8, 10));
  g.initializer("w", Tensor::from_ints(DType::Int8, {3, 2}, {1, -2, 3, 4, -5, 6}));
  g.initializer("ws", Tensor::scalar_real(DType::Float, weight_scale));
  g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
  g.initializer("ys", Tensor::scalar_real(DType::Float, 0.5));
  g.initializer("yz", Tensor::scalar_int(DType::UInt8, 128));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
  g.node("QLinearMatMul", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"yq"}, "qmm");
  g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"y"});
  g.output("y");
  return g.model();
}
}

TEST_CASE("the QDQ digits_mlp lowers to three fully connected layers", "[program]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  REQUIRE(p.layers.size() == 3);
  CHECK(p.input_shape == FeatureShape{64, 1, 1});
  CHECK(p.layers[0].out_shape.channels == 64);
  CHECK(p.layers[1].out_shape.channels == 32);
  CHECK(p.layers[2].out_shape.channels == 10);
  CHECK(p.layers[0].relu);
  CHECK(p.layers[1].relu);
  CHECK_FALSE(p.layers[2].relu);
  CHECK(p.total_macs() == 64 * 64 + 64 * 32 + 32 * 10);
  for (const auto& l : p.layers)
    for (int8_t w : l.weights) CHECK(w >= -127);
}

TEST_CASE("the QDQ digits_cnn lowers to conv, pool, conv, pool, fc", "[program]") {
  const NetworkProgram p = load_network_program(kModels / "digits_cnn/model_int8.onnx").program;
  REQUIRE(p.layers.size() == 5);
  CHECK(p.layers[0].kind == LayerKind::Conv);
  CHECK(p.layers[1].kind == LayerKind::MaxPool);
  CHECK(p.layers[2].kind == LayerKind::Conv);
  CHECK(p.layers[3].kind == LayerKind::MaxPool);
  CHECK(p.layers[4].kind == LayerKind::FullyConnected);
  CHECK(p.layers[0].out_shape == FeatureShape{8, 8, 8});
  CHECK(p.layers[1].out_shape == FeatureShape{8, 4, 4});
  CHECK(p.layers[3].out_shape == FeatureShape{16, 2, 2});
  CHECK(p.layers[4].in_shape == FeatureShape{64, 1, 1});
  CHECK(p.layers[1].out_q == p.layers[1].in_q);
}

TEST_CASE("quantizing the float model with its calibration set reproduces the bundled QDQ model", "[program]") {
  for (const char* name : {"digits_mlp", "digits_cnn"}) {
    INFO(name);
    const LoadedProgram f = load_network_program(kModels / name / "model.onnx");
    const LoadedProgram q = load_network_program(kModels / name / "model_int8.onnx");
    CHECK(f.format == ModelFormat::Float);
    CHECK(q.format == ModelFormat::Qdq);
    REQUIRE(f.program.layers.size() == q.program.layers.size());
    for (size_t i = 0; i < f.program.layers.size(); ++i) {
      const Layer& a = f.program.layers[i];
      const Layer& b = q.program.layers[i];
      CHECK(a.weights == b.weights);
      CHECK(a.weight_zero_points == b.weight_zero_points);
      CHECK(a.bias == b.bias);
      CHECK(a.out_q.zero_point == b.out_q.zero_point);
      // Ranges come from two float implementations (numpy vs ours): the
      // scales may differ in the last float32 bit.
      CHECK(std::fabs(a.out_q.scale / b.out_q.scale - 1.0) < 1e-6);
    }
  }
}

TEST_CASE("at 8 bits the accelerator arithmetic agrees with ONNX QDQ semantics up to near-ties", "[program]") {
  for (const char* name : {"digits_mlp", "digits_cnn"}) {
    INFO(name);
    const auto model_path = kModels / name / "model_int8.onnx";
    const NetworkProgram p = load_network_program(model_path).program;
    const OnnxModel model = OnnxModel::load(model_path);
    const DataSet ds = load_data_set(kModels / name / "test_data_set_0");
    const TensorMap onnx_out = Interpreter(model).run({{model.inputs()[0].name, ds.inputs[0].tensor}});
    const Tensor& logits = onnx_out.at(model.outputs()[0].name);
    const auto configs = static_configs(PrecisionMap(p.layers.size(), 8));
    const ActivationQuant& oq = p.output_layer().out_q;
    int64_t equal = 0, total = 0, same_class = 0;
    for (int64_t s = 0; s < ds.sample_count(); ++s) {
      const Codes out = execute_program(p, quantize_input(p, ds.inputs[0].tensor, s), configs).output();
      for (size_t k = 0; k < out.size(); ++k) {
        // The QDQ output is scale * (code - zero point): recover the code.
        const double want = std::round(logits.reals()[s * 10 + k] / oq.scale) + oq.zero_point;
        const double codes_apart = std::fabs(out[k] - want);
        CHECK(codes_apart <= 1.0);  // float vs integer requantization may differ by one code at a tie
        equal += codes_apart == 0.0;
        ++total;
      }
      same_class += predicted_class(out) == argmax_row(logits, s, 10);
    }
    CHECK(static_cast<double>(equal) / static_cast<double>(total) > 0.97);
    CHECK(static_cast<double>(same_class) / static_cast<double>(ds.sample_count()) > 0.99);
  }
}

TEST_CASE("an input batch of the right size but the wrong shape is refused, naming the model and input", "[program]") {
  const auto model_path = kModels / "digits_cnn/model_int8.onnx";
  const NetworkProgram p = load_network_program(model_path).program;
  CHECK(p.input_dims == std::vector<int64_t>{1, 8, 8});
  const Tensor right(DType::Float, {2, 1, 8, 8});
  CHECK_NOTHROW(quantize_input(p, right, 1));
  for (const Shape& wrong : {Shape{2, 64}, Shape{2, 1, 4, 16}, Shape{2, 8, 8, 1}}) {
    INFO(shape_string(wrong));
    CHECK_THROWS_WITH(quantize_input(p, Tensor(DType::Float, wrong), 0),
                      Catch::Contains(model_path.string()) && Catch::Contains("must have shape [?,1,8,8]"));
  }
}

TEST_CASE("a QOperator model lowers and executes bit-exactly with power-of-two scales", "[program]") {
  // With power-of-two scales float and integer requantization agree exactly.
  const OnnxModel m = qlinear_matmul_model(0.25);
  const NetworkProgram p = build_program(m);
  REQUIRE(p.layers.size() == 1);
  const Tensor x = Tensor::from_reals(DType::Float, {4, 3}, {0.5, -1.0, 2.0, 3.0, 3.0, -1.25, 0, 0, 0, -1.25, 30.0, 1.0});
  const Tensor y = Interpreter(m).run({{"x", x}}).at("y");
  const auto configs = static_configs({8});
  for (int64_t s = 0; s < 4; ++s) {
    const auto real = dequantize_output(p, execute_program(p, quantize_input(p, x, s), configs).output());
    for (int k = 0; k < 2; ++k) CHECK(real[k] == y.reals()[s * 2 + k]);
  }
}

TEST_CASE("a weight scale the requantizer cannot hold saturates every non-zero accumulator, as ONNX does",
          "[program]") {
  // Multiplier 0.125 * 1e20 / 0.5: held as 255, the output saturates both ways.
  const OnnxModel m = qlinear_matmul_model(1e20);
  const NetworkProgram p = build_program(m);
  REQUIRE(p.layers.size() == 1);
  CHECK(real_value(p.layers[0].multipliers[0]) == 255.0);
  const Tensor x = Tensor::from_reals(DType::Float, {3, 3}, {0.5, -1.0, 2.0, -3.0, 0.25, 1.0, 1.25, 1.25, 1.25});
  const Tensor y = Interpreter(m).run({{"x", x}}).at("y");
  const auto configs = static_configs({8});
  for (int64_t i = 0; i < 3; ++i) {
    const std::vector<double> out = dequantize_output(p, execute_program(p, quantize_input(p, x, i), configs).output());
    for (int64_t c = 0; c < 2; ++c) CHECK(out[c] == y.reals()[i * 2 + c]);
  }
}

TEST_CASE("a node with no accelerator layer is refused, naming the node", "[program]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2});
  g.initializer("w", Tensor::from_reals(DType::Float, {2, 2}, {1, 0, 0, 1}));
  g.node("MatMul", {"x", "w"}, {"h"}, "fc");
  g.node("Sub", {"h", "h"}, {"y"}, "odd");
  g.output("y");
  const OnnxModel m = g.model();
  const Tensor calib = Tensor::from_reals(DType::Float, {2, 2}, {0, 1, 1, 0});
  CHECK_THROWS_WITH(build_program(m, &calib), Catch::Contains("node 'odd' (Sub): cannot map onto the accelerator"));
  CHECK_THROWS_WITH(build_program(m), Catch::Contains("needs calibration data"));
}
