// Inputs found by fuzzing (fuzz/, libFuzzer + ASan/UBSan) that make a
// careless ONNX loader, program builder or TensorProto decoder crash, read
// out of bounds or hit undefined behaviour. Each must be rejected with an
// InputError or handled.
//
// The small inputs are kept in golden/import/tests/fuzz_findings/ and
// replayed exactly as the fuzz targets run them (fuzz/fuzz_contract.hpp).

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "fuzz/fuzz_contract.hpp"
#include "golden/errors.hpp"
#include "golden/import/tests/qdq_graph.hpp"
#include "golden/import/tests/tracks_onnx.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/tensor_proto.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

const std::filesystem::path kFindings = std::filesystem::path(APS_SOURCE_DIR) / "golden/import/tests/fuzz_findings";

// What fuzz/fuzz_onnx_model.cpp does with one input (fuzz/fuzz_contract.hpp):
// load, build the programs. "ok" or the InputError's message; any other
// exception propagates.
std::string load_and_build(const std::filesystem::path& file) {
  try {
    fuzz::build_programs(OnnxModel::load(file));
    return "ok";
  } catch (const InputError& e) {
    return e.what();
  }
}

// What fuzz/fuzz_tensor_proto.cpp does with one input.
std::string decode_tensor(const std::filesystem::path& file) {
  try {
    (void)read_tensor_file(file);
    return "ok";
  } catch (const InputError& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("fuzz: the QDQ test model itself lowers", "[fuzz]") {
  const auto g = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor::from_ints(DType::Int8, {3}, {0, 0, 0}),
                        test::per_channel({0.005, 0.01, 0.015}));
  const NetworkProgram p = build_program(g.model());
  REQUIRE(p.layers.size() == 1);
  CHECK(p.layers[0].bias == std::vector<int32_t>{100, -200, 300});
}

// Finding: per-channel zero points with another count than the scales
// (and float zero points) were read through ints()[i] out of bounds.
TEST_CASE("fuzz: weight zero points must be one value or one per scale", "[fuzz]") {
  const auto empty_zp = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor(DType::Int8, {0}), test::per_channel({0.005, 0.01, 0.015}));
  CHECK_THROWS_WITH(build_program(empty_zp.model()), Catch::Contains("node 'DequantizeLinear_3'") &&
                                                         Catch::Contains("one value or one per channel"));
  const auto two_zp = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor::from_ints(DType::Int8, {2}, {0, 0}),
                             test::per_channel({0.005, 0.01, 0.015}));
  CHECK_THROWS_AS(build_program(two_zp.model()), UnsupportedError);
  const auto float_zp = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor::scalar_real(DType::Float, 0),
                               test::per_channel({0.005, 0.01, 0.015}));
  CHECK_THROWS_AS(build_program(float_zp.model()), UnsupportedError);
}

// Finding: per-channel weight scales with fewer entries than output channels
// were indexed out of bounds.
TEST_CASE("fuzz: per-channel weight scales must match the output channels", "[fuzz]") {
  const auto g = test::qdq_fc(test::per_channel({0.01, 0.02}), Tensor::scalar_int(DType::Int8, 0), test::per_channel({0.005, 0.01, 0.015}));
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("2 weight scales for 3 output channels"));
}

// Finding: a zero weight scale made the accumulator scale 0 and the bias
// -inf, then an undefined double -> int64 conversion. A scale of 0 is a
// channel of zero weights (quantizers write it for an all-zero channel):
// the channel's output is its bias alone, as ONNX computes it, whether the
// bias's own scale is 0 too (what ONNX Runtime writes) or not.
TEST_CASE("fuzz: a zero weight scale is a channel of zero weights, NaN and negative scales are refused", "[fuzz]") {
  for (const double bias_scale : {0.0, 0.01}) {
    const auto zero = test::qdq_fc(test::per_channel({0.01, 0.0, 0.03}), Tensor::from_ints(DType::Int8, {3}, {3, 3, 3}),
                             test::per_channel({0.005, bias_scale, 0.015}));
    const NetworkProgram p = build_program(zero.model());
    REQUIRE(p.layers.size() == 1);
    const Layer& l = p.layers[0];
    CHECK(std::all_of(l.weights.begin() + 4, l.weights.begin() + 8, [](int8_t w) { return w == 3; }));
    const OnnxModel m = zero.model();
    const Tensor x = Tensor::from_reals(DType::Float, {3, 4}, {1, -2, 3, 4, 0, 0, 0, 0, -30, 20, 10, -5});
    const Tensor y = run_batch(m, {{"x", x}}).at("out");
    for (int64_t i = 0; i < 3; ++i) {
      const std::vector<double> out = aps::test::program_values(p, x, i);
      CHECK(out[1] == y.reals()[static_cast<size_t>(i * 3 + 1)]);
      CHECK(out[1] == -200 * bias_scale);
    }
  }
  // A bias 0.498 of an output step: ONNX rounds it once, to 0 (rounding it
  // to a finer accumulator grid first, then requantizing, gave 1).
  const auto near_half = test::qdq_fc(test::per_channel({0.0, 0.02, 0.03}), Tensor::from_ints(DType::Int8, {3}, {0, 0, 0}),
                                test::per_channel({0.001245, 0.01, 0.015}));
  const NetworkProgram p = build_program(near_half.model());
  const OnnxModel m = near_half.model();
  const Tensor x = Tensor::from_reals(DType::Float, {1, 4}, {1, -2, 3, 4});
  const double onnx = run_batch(m, {{"x", x}}).at("out").reals()[0];
  CHECK(onnx == 0.0);
  CHECK(aps::test::program_values(p, x, 0)[0] == onnx);
  for (const double bad : {std::nan(""), -0.02}) {
    const auto g = test::qdq_fc(test::per_channel({0.01, bad, 0.03}), Tensor::scalar_int(DType::Int8, 0),
                          test::per_channel({0.005, 0.01, 0.015}));
    CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("is not a number >= 0"));
  }
}
// Finding: a bias far beyond int32 at the accumulator's scale (tiny weight
// scale, large bias scale) went through an undefined double -> int64
// conversion. Saturated to int32 instead, it gave the output the clamped
// bias makes, not the one ONNX computes: it is refused, naming the layer.
TEST_CASE("fuzz: a bias beyond int32 at the accumulator's scale is refused", "[fuzz]") {
  const auto g = test::qdq_fc(test::per_channel({1e-30, 0.02, 0.03}), Tensor::scalar_int(DType::Int8, 0), test::per_channel({1e10, 1e10, 0.015}));
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("the bias at the accumulator's scale is") &&
                                                  Catch::Contains("beyond int32"));
  const auto fits = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor::scalar_int(DType::Int8, 0), test::per_channel({0.005, 0.01, 0.015}));
  CHECK(build_program(fits.model()).layers.size() == 1);
}

// Finding: NaN (or infinite) float weights reached an undefined NaN -> int8
// conversion when a float model was quantized.
TEST_CASE("fuzz: non-finite float weights are bad input", "[fuzz]") {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 2});
    g.initializer("w", Tensor::from_reals(DType::Float, {2, 2}, {0.5, bad, -0.25, 1.0}));
    g.node("Gemm", {"x", "w"}, {"y"}, "fc").attr("transB", 1);
    g.output("y");
    const ActivationRanges ranges{{"x", {-1.0, 1.0}}, {"y", {-2.0, 2.0}}};
    CHECK_THROWS_WITH(build_program(g.model(), ranges), Catch::Contains("layer 'fc': weight") && Catch::Contains("not finite"));
  }
}

// Finding: the builder read node.input(i) / node.output(0) without checking
// the node's arity (NodeProto::input does not range-check): a MaxPool with no
// inputs read out of bounds.
TEST_CASE("fuzz: a node with too few inputs or no output is bad input", "[fuzz]") {
  auto g = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor::scalar_int(DType::Int8, 0), test::per_channel({0.005, 0.01, 0.015}));
  g.node("MaxPool", {}, {"p"}, "pool").attr("kernel_shape", std::vector<int64_t>{2, 2});
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("node 'pool' (MaxPool): needs at least 1 inputs and an output"));
  auto h = test::qdq_fc(test::per_channel({0.01, 0.02, 0.03}), Tensor::scalar_int(DType::Int8, 0), test::per_channel({0.005, 0.01, 0.015}));
  h.node("Relu", {"out"}, {}, "no_output");
  CHECK_THROWS_WITH(build_program(h.model()), Catch::Contains("node 'no_output' (Relu): needs at least 1 inputs and an output"));
  test::GraphBuilder q(13);
  q.input("x", DType::Float, {-1, 3});
  q.initializer("xs", Tensor::scalar_real(DType::Float, 0.125));
  q.node("QuantizeLinear", {"x", "xs"}, {"xq"});
  q.node("QLinearMatMul", {"xq", "xs"}, {"yq"}, "short");
  q.output("yq");
  CHECK_THROWS_WITH(build_program(q.model()), Catch::Contains("node 'short' (QLinearMatMul): needs at least 8 inputs"));
}

// Finding: a float activation zero point was read through ints()[0] (empty).
TEST_CASE("fuzz: an activation zero point must be uint8 or int8", "[fuzz]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 3});
  g.initializer("xs", Tensor::scalar_real(DType::Float, 0.125));
  g.initializer("xz", Tensor::scalar_real(DType::Float, 10));
  g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "q");
  g.node("DequantizeLinear", {"xq", "xs", "xz"}, {"y"});
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("node 'q' (QuantizeLinear)") &&
                                                  Catch::Contains("quantizing to float32 is not supported"));
}

// Finding (slow tensor campaign): a TensorProto claiming 2^26 doubles with
// no data (7 bytes on disk) allocated and zeroed 512 MB before the count
// check failed -- 22 s and 600 MB under ASan. The counts are now checked
// before anything is allocated.
TEST_CASE("fuzz: a tensor claiming more data than it holds is refused before allocating", "[fuzz]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::DOUBLE);
  p.add_dims(int64_t{1} << 26);
  CHECK_THROWS_WITH(tensor_from_proto(p, "big.pb"), Catch::Contains("big.pb: double_data holds 0 values, the shape needs 67108864"));
  p.set_raw_data("x");
  CHECK_THROWS_WITH(tensor_from_proto(p, "big.pb"), Catch::Contains("big.pb: raw_data has 1 bytes"));
  p.clear_raw_data();
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_int32_data(1);
  CHECK_THROWS_WITH(tensor_from_proto(p, "big.pb"), Catch::Contains("big.pb: int32_data holds 1 values"));
  const std::string message = decode_tensor(kFindings / "claims_2p26_doubles.pb");
  CHECK_THAT(message, Catch::Contains("claims_2p26_doubles.pb: double_data holds 0 values"));
}

// ---- Found in review while fixing the above (same defect classes on paths
// the campaign did not reach) --------------------------------------------------

namespace {

// A float model x[N,C,H,W] -> MaxPool -> y, built with fixed ranges.
NetworkProgram build_float_maxpool(const std::vector<int64_t>& input_dims, const std::vector<int64_t>& pads) {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, input_dims);
  g.node("MaxPool", {"x"}, {"y"}, "pool").attr("kernel_shape", std::vector<int64_t>{2, 2}).attr("pads", pads);
  g.output("y");
  return build_program(g.model(), ActivationRanges{{"x", {-1.0, 1.0}}, {"y", {-1.0, 1.0}}});
}

}  // namespace

TEST_CASE("fuzz review: input dimensions are bounded before their product is taken", "[fuzz]") {
  CHECK(build_float_maxpool({-1, 2, 4, 4}, {0, 0, 0, 0}).layers.size() == 1);
  // 2^31 x 2^31 x 2^31 overflowed FeatureShape::size() (signed overflow).
  const int64_t big = int64_t{1} << 31;
  CHECK_THROWS_WITH(build_float_maxpool({-1, big, big, big}, {0, 0, 0, 0}),
                    Catch::Contains("test.onnx: input 'x': shape [1,2147483648,2147483648,2147483648] has more than"));
  CHECK_THROWS_WITH(build_float_maxpool({-1, 0, 4, 4}, {0, 0, 0, 0}), Catch::Contains("input 'x' dimension 1 is 0"));
}

TEST_CASE("fuzz review: window attributes are bounded before the geometry arithmetic", "[fuzz]") {
  // pads of 2^62 overflowed in + pad_begin + pad_end (signed overflow).
  const int64_t huge = int64_t{1} << 62;
  CHECK_THROWS_WITH(build_float_maxpool({-1, 2, 4, 4}, {huge, 0, huge, 0}),
                    Catch::Contains("node 'pool' (MaxPool): window value 4611686018427387904 is larger than any tensor dimension"));
  // Pads within bounds but an output map beyond any tensor APS accepts.
  const int64_t large = int64_t{1} << 25;
  CHECK_THROWS_WITH(build_float_maxpool({-1, 2, 4, 4}, {large, large, large, large}),
                    Catch::Contains("layer 'pool' output: shape") && Catch::Contains("has more than"));
}

TEST_CASE("fuzz review: a Reshape shape that is not int64 is refused, not read out of bounds", "[fuzz]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("s", Tensor::from_reals(DType::Float, {2}, {1, 4}));
  g.node("Reshape", {"x", "s"}, {"y"}, "reshape");
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model(), ActivationRanges{{"x", {-1.0, 1.0}}, {"y", {-1.0, 1.0}}}),
                    Catch::Contains("node 'reshape' (Reshape): cannot map onto the accelerator: the target shape must be a constant int64 tensor"));
}

TEST_CASE("fuzz: a Reshape target whose product overflows int64 is refused", "[fuzz]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("s", Tensor::from_ints(DType::Int64, {3}, {1, int64_t{1} << 40, int64_t{1} << 40}));
  g.node("Reshape", {"x", "s"}, {"y"}, "reshape");
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model(), ActivationRanges{{"x", {-1.0, 1.0}}, {"y", {-1.0, 1.0}}}),
                    Catch::Contains("node 'reshape' (Reshape)") && Catch::Contains("holds more elements than the input [1,4]"));
}

TEST_CASE("fuzz review: a QLinearConv bias must be int32, one per output channel", "[fuzz]") {
  for (const Tensor& bias : {Tensor::from_reals(DType::Float, {2}, {1, 2}), Tensor::from_ints(DType::Int32, {1}, {1})}) {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 1, 4, 4});
    g.initializer("xs", Tensor::scalar_real(DType::Float, 0.125));
    g.initializer("xz", Tensor::scalar_int(DType::UInt8, 10));
    g.initializer("w", Tensor::from_ints(DType::Int8, {2, 1, 3, 3}, std::vector<int64_t>(18, 1)));
    g.initializer("ws", Tensor::scalar_real(DType::Float, 0.25));
    g.initializer("wz", Tensor::scalar_int(DType::Int8, 0));
    g.initializer("ys", Tensor::scalar_real(DType::Float, 0.5));
    g.initializer("yz", Tensor::scalar_int(DType::UInt8, 128));
    g.initializer("b", bias);
    g.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
    g.node("QLinearConv", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"yq"}, "qconv");
    g.node("DequantizeLinear", {"yq", "ys", "yz"}, {"y"});
    g.output("y");
    CHECK_THROWS_WITH(build_program(g.model()), Catch::Contains("node 'qconv' (QLinearConv)") &&
                                                    Catch::Contains("bias must be int32, one per output channel"));
  }
}

TEST_CASE("fuzz review: a Conv group must be a positive count", "[fuzz]") {
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 2, 4, 4});
  g.initializer("w", Tensor::from_reals(DType::Float, {2, 2, 3, 3}, std::vector<double>(36, 0.5)));
  g.node("Conv", {"x", "w"}, {"y"}, "conv").attr("group", int64_t{0});
  g.output("y");
  CHECK_THROWS_WITH(build_program(g.model(), ActivationRanges{{"x", {-1.0, 1.0}}, {"y", {-1.0, 1.0}}}),
                    Catch::Contains("node 'conv' (Conv): group 0 is not a positive channel count"));
}

TEST_CASE("fuzz review: a non-finite calibration range is bad input", "[fuzz]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(activation_quant_from_range(-inf, 1.0), Catch::Contains("activation range [-inf, 1] is not finite"));
  CHECK_THROWS_AS(activation_quant_from_range(0.0, std::nan("")), InputError);
  CHECK(activation_quant_from_range(0.0, 1.0).zero_point == 0);
}

// Every saved crashing input: rejected with an InputError or built, nothing
// else (run under ASan/UBSan in a build with APS_SANITIZE=ON).
TEST_CASE("fuzz: the saved crashing inputs are handled", "[fuzz]") {
  REQUIRE(std::filesystem::is_directory(kFindings));
  int models = 0, tensors = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFindings)) {
    const auto& path = entry.path();
    INFO(path.filename().string());
    if (path.extension() == ".onnx") {
      ++models;
      std::string result;
      CHECK_NOTHROW(result = load_and_build(path));
      // Built, or rejected with a message naming the file.
      CHECK((result == "ok" || result.find(path.filename().string()) != std::string::npos));
    } else if (path.extension() == ".pb") {
      ++tensors;
      std::string result;
      CHECK_NOTHROW(result = decode_tensor(path));
      CHECK((result == "ok" || result.find(path.filename().string()) != std::string::npos));
    }
  }
  CHECK(models > 0);
  CHECK(tensors > 0);
}
