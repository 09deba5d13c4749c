// Bias correction: a layer at a reduced width, corrected on calibration
// inputs, keeps the 8-bit layer's mean output on those inputs; uncorrected it
// drifts (reduce() rounds half up). The profile carries the correction to
// the program and the memory image's per-width parameter blocks.

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <fmt/format.h>
#include <onnx/onnx_pb.h>
#include <random>

#include "golden/accelerator/memory_plan.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/adaptation/bias_correction.hpp"
#include "golden/adaptation/calibrator.hpp"
#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;

namespace {

const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";

// Codes like a ReLU's output: a third at the zero point, the rest spread above it.
std::vector<Codes> relu_like_inputs(int64_t count, int64_t size, int zero_point, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(zero_point + 1, 255), pick(0, 2);
  std::vector<Codes> out(static_cast<size_t>(count), Codes(static_cast<size_t>(size)));
  for (Codes& c : out)
    for (uint8_t& v : c) v = static_cast<uint8_t>(pick(rng) == 0 ? zero_point : code(rng));
  return out;
}

// Weights, and per-channel zero points within +-max_zero_point.
void random_weights(Layer& l, uint32_t seed, int max_zero_point = 0) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> w(-127, 127), z(-max_zero_point, max_zero_point);
  l.weights.resize(static_cast<size_t>(l.out_shape.channels * l.weights_per_output()));
  for (int8_t& v : l.weights) v = static_cast<int8_t>(w(rng));
  l.weight_zero_points.clear();
  for (int64_t c = 0; c < l.out_shape.channels; ++c) l.weight_zero_points.push_back(z(rng));
  l.weight_scales.assign(static_cast<size_t>(l.out_shape.channels), 1.0);
  l.bias.assign(static_cast<size_t>(l.out_shape.channels), 0);
}

// A fully connected layer reading codes of zero point 3, with random weights
// (seeded) and one output multiplier for every channel.
Layer random_fc(const std::string& name, int64_t ins, int64_t outs, ActivationQuant out_q, double multiplier,
                uint32_t seed) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::FullyConnected;
  l.in_shape = {ins, 1, 1};
  l.out_shape = {outs, 1, 1};
  l.in_q = {0.05, 3};
  l.out_q = out_q;
  random_weights(l, seed);
  l.multipliers.assign(static_cast<size_t>(outs), quantize_multiplier(multiplier));
  return l;
}

// Per channel of channel-major outputs, the mean code over samples and pixels.
std::vector<double> mean_codes(const std::vector<Codes>& outputs, size_t channels) {
  const size_t pixels = outputs.front().size() / channels;
  std::vector<double> mean(channels, 0.0);
  for (const Codes& out : outputs)
    for (size_t k = 0; k < out.size(); ++k) mean[k / pixels] += out[k];
  for (double& m : mean) m /= static_cast<double>(outputs.size() * pixels);
  return mean;
}

// Per output channel: the mean output code of a layer at `bits` over the inputs and pixels.
std::vector<double> mean_outputs(const Layer& l, const std::vector<Codes>& inputs, int bits) {
  std::vector<Codes> outputs;
  for (const Codes& in : inputs) outputs.push_back(execute_layer(l, in, static_config(bits)));
  return mean_codes(outputs, static_cast<size_t>(l.out_shape.channels));
}

// The largest per-channel gap between two channels' means.
double largest_gap(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (size_t c = 0; c < a.size(); ++c) worst = std::max(worst, std::abs(a[c] - b[c]));
  return worst;
}

// The largest per-channel gap between the mean outputs at `bits` and at 8.
double largest_drift(const Layer& l, const std::vector<Codes>& inputs, int bits) {
  return largest_gap(mean_outputs(l, inputs, bits), mean_outputs(l, inputs, 8));
}

// Per output channel: the mean accumulator at the 8-bit scale over the inputs
// and pixels, straight from the definition (program_executor.hpp).
std::vector<double> mean_accumulators(const Layer& l, const std::vector<Codes>& inputs, int bits) {
  const int shift = default_shift(bits);
  const Window& w = l.window;
  const int64_t cpg = l.in_shape.channels / l.groups, mpg = l.out_shape.channels / l.groups;
  const int32_t za = reduce_code(l.in_q.zero_point, bits, shift, Signedness::Unsigned);
  std::vector<double> mean(static_cast<size_t>(l.out_shape.channels), 0.0);
  for (const Codes& in : inputs)
    for (int64_t m = 0; m < l.out_shape.channels; ++m) {
      const int32_t zw = reduce_code(l.weight_zero_points[m], bits, shift, Signedness::Signed);
      for (int64_t y = 0; y < l.out_shape.height; ++y)
        for (int64_t x = 0; x < l.out_shape.width; ++x)
          for (int64_t ci = 0; ci < cpg; ++ci)
            for (int64_t ky = 0; ky < w.kernel_h; ++ky)
              for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
                const int64_t iy = y * w.stride_h - w.pad_top + ky * w.dilation_h;
                const int64_t ix = x * w.stride_w - w.pad_left + kx * w.dilation_w;
                if (iy < 0 || iy >= l.in_shape.height || ix < 0 || ix >= l.in_shape.width) continue;
                const int64_t c = (m / mpg) * cpg + ci;
                const uint8_t a = in[(c * l.in_shape.height + iy) * l.in_shape.width + ix];
                const int8_t wt = l.weights[((m * cpg + ci) * w.kernel_h + ky) * w.kernel_w + kx];
                mean[m] += double(reduce_code(a, bits, shift, Signedness::Unsigned) - za) *
                           (reduce_code(wt, bits, shift, Signedness::Signed) - zw) * double(1 << (2 * shift));
              }
    }
  for (double& v : mean) v /= static_cast<double>(inputs.size() * l.out_shape.height * l.out_shape.width);
  return mean;
}

std::vector<const Codes*> pointers(const std::vector<Codes>& v) {
  std::vector<const Codes*> p;
  for (const Codes& c : v) p.push_back(&c);
  return p;
}

// Layer::bias_correction for every width, each measured on the same inputs.
std::vector<int32_t> every_width(const Layer& l, const std::vector<Codes>& inputs) {
  std::vector<int32_t> all;
  for (int b = kMinBits; b < kMaxBits; ++b) {
    const auto c = measure_bias_correction(l, pointers(inputs), b);
    all.insert(all.end(), c.begin(), c.end());
  }
  return all;
}

// A grouped, strided, dilated, padded convolution, 4x9x9 -> 6x5x5, reading
// codes of zero point 20, outputs at zero point 128.
Layer grouped_conv() {
  Layer l;
  l.name = "conv";
  l.kind = LayerKind::Conv;
  l.in_shape = {4, 9, 9};
  l.out_shape = {6, 5, 5};
  l.groups = 2;
  l.window = Window{.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_top = 2, .pad_left = 2,
                    .pad_bottom = 2, .pad_right = 2, .dilation_h = 2, .dilation_w = 2};
  l.in_q = {0.05, 20};
  l.out_q = {0.1, 128};
  random_weights(l, 5, 9);
  l.multipliers.assign(6, quantize_multiplier(1.0 / 2048));
  return l;
}

// Two fully connected layers with ReLU, 64 wide, the second reading the first.
NetworkProgram two_fc() {
  NetworkProgram p;
  p.source = "two_fc";
  p.input_q = {0.05, 3};
  for (int i = 0; i < 2; ++i) {
    Layer l = random_fc(fmt::format("fc{}", i), 64, 64, {0.05, 3}, 1.0 / 2048, 20 + i);
    l.input = i - 1;
    l.relu = true;
    p.layers.push_back(l);
  }
  return p;
}

}  // namespace

TEST_CASE("bias correction: a fully connected layer keeps its 8-bit mean output at every width", "[bias_correction]") {
  const WeightReduction rule = GENERATE(WeightReduction::RoundHalfUp, WeightReduction::Midpoint);
  INFO("weights " << weight_reduction_name(rule));
  Layer l = random_fc("fc", 256, 6, {0.1, 128}, 1.0 / 16384, 7);  // outputs far from 0 and 255
  l.weight_reduction = rule;
  const auto inputs = relu_like_inputs(300, 256, 3, 11);
  // Uncorrected, half an 8-bit code per weight and per activation adds up
  // over 256 inputs to most of an output code at every width below 8.
  for (int b = kMinBits; b < kMaxBits; ++b) CHECK(largest_drift(l, inputs, b) > 0.5);
  l.bias_correction = every_width(l, inputs);
  REQUIRE(l.bias_correction.size() == 6 * 6);
  for (int b = kMinBits; b < kMaxBits; ++b) {
    INFO("width " << b);
    CHECK(largest_drift(l, inputs, b) < 0.15);
  }
}

TEST_CASE("bias correction: a grouped, strided, dilated, padded convolution counts only the taps inside the image",
          "[bias_correction]") {
  Layer l = grouped_conv();
  const auto inputs = relu_like_inputs(300, 4 * 9 * 9, 20, 13);
  l.bias_correction = every_width(l, inputs);
  // Output codes round on the accumulators' lattice (2^(2(8 - b)) apart at
  // the 8-bit scale), which moves their mean by itself at 2 and 3 bits; the
  // accumulators, written out here loop by loop, are what the correction
  // matches, to its rounding.
  for (int b = kMinBits; b < kMaxBits; ++b) {
    INFO("width " << b);
    const auto at8 = mean_accumulators(l, inputs, 8), at_b = mean_accumulators(l, inputs, b);
    double uncorrected = 0;
    for (int64_t c = 0; c < 6; ++c) {
      const int32_t correction = l.bias_at(b, c) - l.bias[c];
      CHECK(std::abs(at_b[c] + correction - at8[c]) <= 0.5);
      uncorrected = std::max(uncorrected, std::abs(at_b[c] - at8[c]));
    }
    CHECK(uncorrected > 100.0);
    if (b >= 4) CHECK(largest_drift(l, inputs, b) < 0.15);
  }
  // 8 bits is the reference: its bias is never corrected.
  CHECK(l.bias_at(8, 0) == l.bias[0]);
}

TEST_CASE("bias correction: a width's layers are measured in order, each after the ones before it at that width",
          "[bias_correction]") {
  const NetworkProgram p = two_fc();
  const auto inputs = relu_like_inputs(200, 64, 3, 17);
  NetworkProgram corrected = p;
  const auto outputs = correct_width(corrected, 4, inputs, 2);
  // By hand: the first layer on the inputs, then the second on the first's
  // corrected outputs at 4 bits.
  Layer first = p.layers[0];
  first.bias_correction.assign(static_cast<size_t>(first.bias_correction_entries()), 0);
  const auto c0 = measure_bias_correction(first, pointers(inputs), 4);
  std::copy(c0.begin(), c0.end(), first.bias_correction.begin() + first.bias_correction_offset(4));
  CHECK(corrected.layers[0].bias_correction == first.bias_correction);
  std::vector<Codes> middle;
  for (const Codes& in : inputs) middle.push_back(execute_layer(first, in, static_config(4)));
  const auto c1 = measure_bias_correction(p.layers[1], pointers(middle), 4);
  CHECK(std::equal(c1.begin(), c1.end(), corrected.layers[1].bias_correction.begin() + p.layers[1].bias_correction_offset(4)));
  // Other widths stay uncorrected, and the outputs are the corrected program's.
  CHECK(corrected.layers[1].bias_at(5, 0) == corrected.layers[1].bias[0]);
  for (size_t s = 0; s < inputs.size(); s += 37)
    CHECK(outputs[s] == execute_program(corrected, inputs[s], std::vector<LayerConfig>(2, static_config(4))).output());
}

TEST_CASE("bias correction: aimed at the 8-bit run's outputs, each layer's mean output code is the 8-bit run's",
          "[bias_correction]") {
  const NetworkProgram p = two_fc();
  // Below 5 bits the values this layer rounds to output codes lie on a
  // lattice an eighth of a code apart or more (2^(2(8 - b)) at the 8-bit
  // scale times the multiplier, 1/2048), which a correction shifts for every
  // sample at once: the mean moves in stairs (kOutputMeanSteps' comment).
  constexpr int kBits = 5;
  const auto inputs = relu_like_inputs(200, 64, 3, 17);
  std::vector<ProgramResult> runs8;
  for (const Codes& in : inputs) runs8.push_back(execute_program(p, in, std::vector<LayerConfig>(2, static_config(8))));
  NetworkProgram own = p, matched = p;
  correct_width(own, kBits, inputs, 2);
  const auto outputs = correct_width(matched, kBits, inputs, 2, runs8);
  // Layer by layer on each program's own reduced run: matched, every
  // channel's mean output is the 8-bit run's to a few hundredths of a code;
  // aimed at each layer's input, several times further off (ReLU passes
  // only the upper half of the error).
  std::vector<Codes> in_own = inputs, in_matched = inputs, out8(inputs.size());
  for (size_t i = 0; i < 2; ++i) {
    std::vector<Codes> out_own, out_matched;
    for (size_t s = 0; s < inputs.size(); ++s) {
      out_own.push_back(execute_layer(own.layers[i], in_own[s], static_config(kBits)));
      out_matched.push_back(execute_layer(matched.layers[i], in_matched[s], static_config(kBits)));
      out8[s] = runs8[s].layer_outputs[i];
    }
    const auto mean8 = mean_codes(out8, 64), mean_own = mean_codes(out_own, 64), mean_matched = mean_codes(out_matched, 64);
    const double own_gap = largest_gap(mean_own, mean8), matched_gap = largest_gap(mean_matched, mean8);
    INFO("layer " << i);
    CHECK(matched_gap < 0.05);
    CHECK(own_gap > 3 * matched_gap);
    in_own = out_own;
    in_matched = out_matched;
  }
  CHECK(outputs == in_matched);
}

TEST_CASE("bias correction: aimed at the 8-bit run's outputs, a convolution's channels are matched over their pixels",
          "[bias_correction]") {
  NetworkProgram p;
  p.source = "conv";
  p.input_q = {0.05, 20};
  p.layers.push_back(grouped_conv());
  p.layers[0].input = -1;
  p.layers[0].relu = true;
  const auto inputs = relu_like_inputs(200, 4 * 9 * 9, 20, 13);
  std::vector<ProgramResult> runs8;
  for (const Codes& in : inputs) runs8.push_back(execute_program(p, in, {static_config(8)}));
  NetworkProgram own = p, matched = p;
  const auto own_outputs = correct_width(own, 5, inputs, 2);
  const auto outputs = correct_width(matched, 5, inputs, 2, runs8);
  std::vector<Codes> out8;
  for (const ProgramResult& r : runs8) out8.push_back(r.layer_outputs[0]);
  const auto mean8 = mean_codes(out8, 6), mean_matched = mean_codes(outputs, 6), mean_own = mean_codes(own_outputs, 6);
  const double own_gap = largest_gap(mean_own, mean8), matched_gap = largest_gap(mean_matched, mean8);
  CHECK(matched_gap < 0.05);
  CHECK(own_gap > 3 * matched_gap);
  // 8-bit runs of another program are refused, not read past their end.
  std::vector<ProgramResult> short_runs(runs8.size());
  NetworkProgram again = p;
  CHECK_THROWS_WITH(correct_width(again, 5, inputs, 2, short_runs),
                    "correct_width: an 8-bit run has 0 steps, the program 1");
}

TEST_CASE("bias correction: measured on samples spread over the whole calibration set, not its first ones",
          "[bias_correction]") {
  // Data of two kinds in turn (clean, then corrupted) must inform the corrections with both.
  const std::vector<int64_t> picked = bias_correction_samples(2500);
  REQUIRE(static_cast<int64_t>(picked.size()) == kBiasCorrectionSamples);
  CHECK(picked.front() == 0);
  CHECK(picked.back() >= 2497);
  CHECK(std::adjacent_find(picked.begin(), picked.end(), std::greater_equal<>()) == picked.end());
  const auto second_half = std::count_if(picked.begin(), picked.end(), [](int64_t s) { return s >= 1250; });
  CHECK(second_half == kBiasCorrectionSamples / 2);
  // Fewer samples than that: every one.
  const std::vector<int64_t> all = bias_correction_samples(600);
  REQUIRE(all.size() == 600);
  for (int64_t s = 0; s < 600; ++s) CHECK(all[s] == s);
}

TEST_CASE("bias correction: carried by the profile into the program and the memory plan", "[bias_correction]") {
  const test::ScratchFolder scratch("bias_correction_profile");
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  CalibrationOptions o;
  o.threads = 2;
  CalibrationProfile p = calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, o);
  // Whichever widths the calibration kept, every layer gets a correction here.
  const NetworkProgram plain = program_for_profile(mlp, p);
  for (LayerProfile& lp : p.layers)
    lp.bias_correction.assign(static_cast<size_t>(plain.layers[static_cast<size_t>(lp.layer)].out_shape.channels * 6), 1);
  const auto file = scratch / "aps_test_bias.profile.onnx";
  save_profile(p, file);
  const CalibrationProfile q = load_profile(file, mlp);
  const NetworkProgram program = program_for_profile(mlp, q);
  for (const LayerProfile& lp : q.layers) {
    const Layer& l = program.layers[static_cast<size_t>(lp.layer)];
    CHECK(l.bias_correction == p.layers[static_cast<size_t>(&lp - q.layers.data())].bias_correction);
    CHECK(l.bias_at(3, 0) == l.bias[0] + 1);
  }
  // One parameter block per width 8..2 for a corrected layer, one otherwise.
  CalibrationProfile none = q;
  for (LayerProfile& lp : none.layers) lp.bias_correction.clear();
  const MemoryPlan corrected = plan_memory(program, HardwareLimits{}, 8192, uint64_t{1} << 24);
  const MemoryPlan one_block = plan_memory(program_for_profile(mlp, none), HardwareLimits{}, 8192, uint64_t{1} << 24);
  int64_t block_bytes = 0;
  for (const LayerProfile& lp : q.layers) {
    const int64_t block = program.layers[static_cast<size_t>(lp.layer)].out_shape.channels * hw::param_entry_bytes();
    CHECK(corrected.steps[static_cast<size_t>(lp.layer)].param_stride == block);
    CHECK(one_block.steps[static_cast<size_t>(lp.layer)].param_stride == 0);
    block_bytes += block;
  }
  CHECK(corrected.ext_bytes >= one_block.ext_bytes + 6 * block_bytes);

  // Corrections that do not fit the program are refused, naming the profile.
  CalibrationProfile bad = q;
  bad.layers[1].bias_correction.resize(bad.layers[1].bias_correction.size() + 6);
  CHECK_THROWS_WITH(program_for_profile(mlp, bad),
                    Catch::Contains("aps_test_bias.profile.onnx: layer '" + q.layers[1].name + "' has") &&
                        Catch::Contains("output channels need"));
  bad = q;
  bad.layers[1].name = "another";
  CHECK_THROWS_WITH(program_for_profile(mlp, bad), Catch::Contains("its layer 'another' (step"));
  bad = q;
  bad.layers[1].layer = static_cast<int>(program.layers.size());
  CHECK_THROWS_WITH(program_for_profile(mlp, bad), Catch::Contains("is not a layer with weights"));
  bad = q;
  bad.layers[1].bias_correction.pop_back();
  const auto bad_file = scratch / "aps_test_bias_bad.profile.onnx";
  save_profile(bad, bad_file);
  CHECK_THROWS_WITH(load_profile(bad_file, mlp), Catch::Contains("aps_test_bias_bad.profile.onnx: layer") &&
                                                     Catch::Contains("not 6 per output channel"));

  // A profile of format 5, made before bias correction, loads uncorrected;
  // one that carries corrections all the same is refused.
  onnx::ModelProto m;
  {
    std::ifstream in(file, std::ios::binary);
    REQUIRE(m.ParseFromIstream(&in));
  }
  for (auto& e : *m.mutable_metadata_props())
    if (e.key() == "aps.profile_format") e.set_value("5");
  const auto old_file = scratch / "aps_test_bias_format5.profile.onnx";
  {
    std::ofstream out(old_file, std::ios::binary);
    REQUIRE(m.SerializeToOstream(&out));
  }
  CHECK_THROWS_WITH(load_profile(old_file, mlp), Catch::Contains("aps_test_bias_format5.profile.onnx: a format 5 "
                                                                 "profile with bias corrections"));
  auto* inits = m.mutable_graph()->mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [](const onnx::TensorProto& t) { return t.name().ends_with(".bias_correction"); }),
               inits->end());
  {
    std::ofstream out(old_file, std::ios::binary);
    REQUIRE(m.SerializeToOstream(&out));
  }
  for (const LayerProfile& lp : load_profile(old_file, mlp).layers) CHECK(lp.bias_correction.empty());
  // Without the table, a format 6 profile is malformed.
  for (auto& e : *m.mutable_metadata_props())
    if (e.key() == "aps.profile_format") e.set_value("6");
  {
    std::ofstream out(old_file, std::ios::binary);
    REQUIRE(m.SerializeToOstream(&out));
  }
  CHECK_THROWS_WITH(load_profile(old_file, mlp), Catch::Contains("table 'bias_correction' of layer 0 is missing"));
}

TEST_CASE("bias correction: a width below 2, a correction without weights and an input of the wrong size are refused",
          "[bias_correction]") {
  Layer l = random_fc("fc", 8, 2, {0.1, 128}, 1.0 / 256, 3);
  l.bias_correction.assign(static_cast<size_t>(l.bias_correction_entries()), 7);
  CHECK(l.bias_at(2, 1) == l.bias[1] + 7);
  CHECK_THROWS_AS(l.bias_at(1, 0), std::logic_error);
  const Codes short_input(7, 3);
  CHECK_THROWS_WITH(measure_bias_correction(l, std::vector<const Codes*>{&short_input}, 4),
                    Catch::Contains("layer 'fc' reads 8 codes, an input has 7"));

  NetworkProgram p;
  p.source = "pool.onnx";
  p.input_shape = {2, 2, 2};
  p.input_q = {0.05, 3};
  Layer pool;
  pool.name = "pool";
  pool.kind = LayerKind::AveragePool;
  pool.in_shape = {2, 2, 2};
  pool.out_shape = {2, 1, 1};
  pool.window = Window{.kernel_h = 2, .kernel_w = 2};
  pool.in_q = pool.out_q = {0.05, 3};
  pool.bias.assign(2, 0);
  pool.multipliers.assign(2, quantize_multiplier(0.25));
  p.layers.push_back(pool);
  CHECK_NOTHROW(validate_program(p));
  p.layers[0].bias_correction.assign(static_cast<size_t>(p.layers[0].bias_correction_entries()), 1);
  CHECK_THROWS_WITH(validate_program(p), Catch::Contains("has a bias correction but no weights"));
}
