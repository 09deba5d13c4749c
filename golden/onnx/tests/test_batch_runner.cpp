// run_batch: a stack of samples gives the outputs one run per sample would,
// whether the model's batch dimension is free (chunked runs) or fixed (runs
// of that batch); check_batches_fit refuses a stack that fills no whole batch.

#include <catch2/catch.hpp>

#include "golden/onnx/batch_runner.hpp"
#include "golden/onnx/testing/graph_builder.hpp"

using namespace aps;

namespace {

// y = x * w + b over a batch of rows, with the batch dimension `batch_dim`.
test::GraphBuilder affine(int64_t batch_dim) {
  test::GraphBuilder g;
  g.input("x", DType::Float, {batch_dim, 3});
  g.initializer("w", Tensor::from_reals(DType::Float, {3, 2}, {1, -2, 0.5, 3, -1, 0.25}));
  g.initializer("b", Tensor::from_reals(DType::Float, {2}, {0.5, -0.5}));
  g.node("MatMul", {"x", "w"}, {"m"});
  g.node("Add", {"m", "b"}, {"y"});
  g.output("y");
  return g;
}

Tensor rows(int64_t n) {
  std::vector<double> v;
  for (int64_t i = 0; i < n * 3; ++i) v.push_back(static_cast<double>((i * 37) % 11) - 5.0);
  return Tensor::from_reals(DType::Float, {n, 3}, v);
}

// Checks the stacked outputs against runs of `per_run` samples (the model's
// fixed batch, or 1); returns how many runs the batch took (the observer sees
// the output once per run).
int64_t check_matches_per_sample(const OnnxModel& model, const Tensor& x, int64_t per_run = 1) {
  int64_t runs = 0;
  const Tensor y = run_batch(model, {{"x", x}}, [&](const std::string& name, const Tensor&) { runs += name == "y"; })
                       .at("y");
  const int64_t n = x.shape()[0];
  REQUIRE(y.shape() == Shape{n, 2});
  const Interpreter one(model);
  for (int64_t i = 0; i < n; i += 97) {
    const int64_t first = i - i % per_run;
    const Tensor yi = one.run({{"x", batch_slice(x, first, first + per_run)}}).at("y");
    CHECK(yi.reals()[2 * (i - first)] == y.reals()[2 * i]);
    CHECK(yi.reals()[2 * (i - first) + 1] == y.reals()[2 * i + 1]);
  }
  return runs;
}

}  // namespace

TEST_CASE("a free batch larger than one run's chunk is run in parts and stacked in order") {
  // 1000 samples: four runs of 250.
  CHECK(check_matches_per_sample(affine(-1).model(), rows(1000)) == 4);
  CHECK(check_matches_per_sample(affine(-1).model(), rows(200)) == 1);
}

TEST_CASE("a free batch of large samples runs fewer at a time, as the bytes of their live values allow") {
  // A sample's live values at most: x and one of the two Relu results, 1000
  // values of 8 bytes each (the interpreter drops r1 once r2 is made).
  test::GraphBuilder g;
  g.input("x", DType::Float, {-1, 1000});
  g.node("Relu", {"x"}, {"r1"});
  g.node("Relu", {"r1"}, {"r2"});
  g.node("Neg", {"r2"}, {"y"});
  g.output("y");
  std::vector<double> v;
  for (int i = 0; i < 100 * 1000; ++i) v.push_back(static_cast<double>(i % 13) - 6.0);
  const Tensor x = Tensor::from_reals(DType::Float, {100, 1000}, v);
  int64_t peak = 0;
  (void)Interpreter(g.model()).run({{"x", batch_slice(x, 0, 1)}}, nullptr, &peak);
  CHECK(peak == 2 * 1000 * 8);
  int64_t runs = 0;
  const auto count = [&](const std::string& name, const Tensor&) { runs += name == "y"; };
  const Tensor y = run_batch(g.model(), {{"x", x}}, count, 1, 10 * 2 * 1000 * 8).at("y");
  CHECK(runs == 10);
  CHECK(y.shape() == Shape{100, 1000});
  for (int i = 0; i < 100 * 1000; i += 997) CHECK(y.reals()[static_cast<size_t>(i)] == -std::max(0.0, v[static_cast<size_t>(i)]));
  runs = 0;
  (void)run_batch(g.model(), {{"x", x}}, count);  // the default: 100 such samples fit one run
  CHECK(runs == 1);
}

TEST_CASE("a free batch whose ops couple the samples runs whole, as ONNX defines it") {
  // y = x - mean over the batch (ReduceMean over axis 0, or over every axis
  // with no axes given), or DynamicQuantizeLinear's range over the whole tensor.
  for (const std::string coupling : {"mean_axis_0", "mean_axis_-2", "mean_all", "dynamic_quantize", "softmax_axis_0",
                                     "softmax_axis_-2", "minus_row_0", "gram", "minus_slice_0", "layer_norm_0"}) {
    INFO(coupling);
    test::GraphBuilder g(coupling == "layer_norm_0" ? 17 : 13);
    g.input("x", DType::Float, {-1, 3});
    if (coupling == "dynamic_quantize") {
      g.node("DynamicQuantizeLinear", {"x"}, {"q", "s", "z"});
      g.node("DequantizeLinear", {"q", "s", "z"}, {"y"});
    } else if (coupling.starts_with("softmax")) {
      g.node("Softmax", {"x"}, {"y"}).attr("axis", int64_t{coupling == "softmax_axis_0" ? 0 : -2});
    } else if (coupling == "minus_row_0") {  // x - x[0]
      g.initializer("first", Tensor::scalar_int(DType::Int64, 0));
      g.node("Gather", {"x", "first"}, {"row"});
      g.node("Sub", {"x", "row"}, {"y"});
    } else if (coupling == "minus_slice_0") {  // x - x[0:1]
      g.initializer("starts", Tensor::from_ints(DType::Int64, {1}, {0}));
      g.initializer("ends", Tensor::from_ints(DType::Int64, {1}, {1}));
      g.initializer("axes", Tensor::from_ints(DType::Int64, {1}, {0}));
      g.node("Slice", {"x", "starts", "ends", "axes"}, {"row"});
      g.node("Sub", {"x", "row"}, {"y"});
    } else if (coupling == "layer_norm_0") {  // statistics over the whole tensor
      g.initializer("gamma", Tensor::from_reals(DType::Float, {1000, 3}, std::vector<double>(3000, 1.0)));
      g.node("LayerNormalization", {"x", "gamma"}, {"y"}).attr("axis", int64_t{0});
    } else if (coupling == "gram") {  // x @ (x^T x)
      g.node("Transpose", {"x"}, {"xt"});
      g.node("MatMul", {"xt", "x"}, {"gram"});
      g.node("MatMul", {"x", "gram"}, {"y"});
    } else {
      auto mean = g.node("ReduceMean", {"x"}, {"m"});
      if (coupling != "mean_all") mean.attr("axes", std::vector<int64_t>{coupling == "mean_axis_0" ? 0 : -2});
      g.node("Sub", {"x", "m"}, {"y"});
    }
    g.output("y");
    const OnnxModel m = g.model();
    const Tensor x = rows(1000);
    int64_t runs = 0;
    const Tensor y = run_batch(m, {{"x", x}}, [&](const std::string& name, const Tensor&) { runs += name == "y"; }).at("y");
    CHECK(runs == 1);
    CHECK(y.reals() == Interpreter(m).run({{"x", x}}).at("y").reals());
  }
  // Shape arithmetic along axis 0 (Shape, Slice, Concat into a Reshape, as
  // PyTorch writes a flatten) still runs in chunks.
  {
    test::GraphBuilder g;
    g.input("x", DType::Float, {-1, 3});
    g.node("Shape", {"x"}, {"shape"});
    g.initializer("zero", Tensor::from_ints(DType::Int64, {1}, {0}));
    g.initializer("one", Tensor::from_ints(DType::Int64, {1}, {1}));
    g.node("Slice", {"shape", "zero", "one", "zero"}, {"batch"});
    g.initializer("rest", Tensor::from_ints(DType::Int64, {1}, {-1}));
    g.node("Concat", {"batch", "rest"}, {"target"}).attr("axis", int64_t{0});
    g.node("Reshape", {"x", "target"}, {"y"});
    g.output("y");
    int64_t runs = 0;
    (void)run_batch(g.model(), {{"x", rows(1000)}}, [&](const std::string& name, const Tensor&) { runs += name == "y"; });
    CHECK(runs == 4);
  }
  // A reduction or a Softmax over the features (axis 1 or -1) still runs in chunks.
  for (const int64_t axis : {1, -1}) {
    test::GraphBuilder g;
    g.input("x", DType::Float, {-1, 3});
    g.node("ReduceMean", {"x"}, {"m"}).attr("axes", std::vector<int64_t>{axis});
    g.node("Sub", {"x", "m"}, {"d"});
    g.node("Softmax", {"d"}, {"y"}).attr("axis", axis);
    g.output("y");
    int64_t runs = 0;
    (void)run_batch(g.model(), {{"x", rows(1000)}}, [&](const std::string& name, const Tensor&) { runs += name == "y"; });
    CHECK(runs == 4);
  }
}

TEST_CASE("no run of a free batch holds a single sample") {
  // PyTorch writes x.squeeze() as a Squeeze without axes: on a run of one
  // sample it drops the batch dimension too, and the Gemm after it fails.
  test::GraphBuilder g;
  g.input("x", DType::Float, {-1, 3, 1});
  g.initializer("w", Tensor::from_reals(DType::Float, {2, 3}, {1, -2, 0.5, 3, -1, 0.25}));
  g.node("Squeeze", {"x"}, {"s"});
  g.node("Gemm", {"s", "w"}, {"y"}).attr("transB", 1);
  g.output("y");
  const OnnxModel model = g.model();
  for (int64_t n : {257, 513, 2}) {
    const Tensor x3 = rows(n);
    const Tensor x = Tensor::from_reals(DType::Float, {n, 3, 1}, x3.reals());
    const Tensor y = run_batch(model, {{"x", x}}).at("y");
    CHECK(y.shape() == Shape{n, 2});
    CHECK(y.reals()[2 * (n - 1)] == x3.reals()[3 * (n - 1)] - 2 * x3.reals()[3 * (n - 1) + 1] +
                                        0.5 * x3.reals()[3 * (n - 1) + 2]);
  }
}

TEST_CASE("a model with a batch fixed at 1 runs a stack sample by sample") {
  CHECK(check_matches_per_sample(affine(1).model(), rows(300)) == 300);
}

TEST_CASE("a model with a batch fixed above 1 (an exporter's dummy batch) runs a stack a batch at a time") {
  CHECK(check_matches_per_sample(affine(4).model(), rows(300), 4) == 75);
}

TEST_CASE("a stack that fills no whole batch of a fixed-batch model is refused, naming the file") {
  CHECK_THROWS(run_batch(affine(4).model(), {{"x", rows(5)}}));
  DataSet ds;
  ds.folder = "calibration";
  ds.inputs.push_back({"x", rows(10)});
  CHECK_THROWS_WITH(check_batches_fit(affine(4).model(), ds),
                    Catch::Contains("calibration/input_0.pb: 10 samples do not fill whole batches of 4, the batch "
                                    "input 'x' of test.onnx fixes"));
  ds.inputs[0].tensor = rows(12);
  CHECK_NOTHROW(check_batches_fit(affine(4).model(), ds));
}

TEST_CASE("runs side by side stack into the same outputs as runs one after another") {
  for (int64_t batch_dim : {-1, 1}) {
    const OnnxModel model = affine(batch_dim).model();
    const Tensor x = rows(1000);
    const Tensor one = run_batch(model, {{"x", x}}).at("y");
    const Tensor three = run_batch(model, {{"x", x}}, nullptr, 3).at("y");
    CHECK(three.shape() == one.shape());
    CHECK(three.reals() == one.reals());
  }
}

TEST_CASE("a graph that does not keep the batch first is refused naming the node", "[batch]") {
  const Tensor x = Tensor::from_reals(DType::Float, {4, 12}, std::vector<double>(48, 0.5));
  SECTION("a Reshape fixed to one sample") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {-1, 12});
    g.initializer("shape", Tensor::from_ints(DType::Int64, {2}, {12, 1}));
    g.node("Reshape", {"x", "shape"}, {"y"}, "to_column");
    g.output("y");
    CHECK_THROWS_WITH(run_batch(g.model(), {{"x", x}}),
                      Catch::Contains("node 'to_column' (Reshape)") && Catch::Contains("cannot reshape [4,12] to [12,1]"));
  }
  SECTION("a Reshape that folds the batch into the rows, in runs of the batch the model fixes") {
    test::GraphBuilder g(13);
    g.input("x", DType::Float, {2, 12});
    g.initializer("shape", Tensor::from_ints(DType::Int64, {2}, {-1, 4}));
    g.node("Reshape", {"x", "shape"}, {"y"}, "to_rows");
    g.output("y");
    CHECK_THROWS_WITH(run_batch(g.model(), {{"x", x}}),
                      Catch::Contains("output 'y'") && Catch::Contains("written by node 'to_rows' (Reshape)"));
  }
}
