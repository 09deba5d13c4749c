// The SAE and PCU of the golden model, computed by hand, and calibration
// profiles (round trip, foreign model, too little data), the shadow network.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "golden/adaptive_program.hpp"
#include "golden/calibrator.hpp"
#include "golden/data_set.hpp"
#include "golden/exit_code.hpp"
#include "golden/pcu.hpp"
#include "golden/program_loader.hpp"
#include "golden/requantize.hpp"
#include "golden/sae.hpp"

using namespace aps;

namespace {
const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";

PcuProgram two_slots(std::vector<int> candidates) {
  PcuProgram p;
  p.candidates = std::move(candidates);
  for (int s = 0; s < 2; ++s) {
    PcuSlot slot;
    slot.layer = s;
    slot.alpha.assign(p.candidates.size(), 1 << 16);  // estimate = metric
    slot.threshold = 100;
    slot.group = s;
    slot.macs = 100;
    p.slots.push_back(slot);
  }
  return p;
}
}  // namespace

TEST_CASE("the SAE's reduction error, by hand", "[sae]") {
  // 4 bits, zero point 0: 200 -> (200 + 8) >> 4 = 13 -> 208: error -8.
  CHECK(reduction_error(200, 0, 4) == -8);
  // 255 -> 16 saturates at 15 -> 240: error 15.
  CHECK(reduction_error(255, 0, 4) == 15);
  // zero point 100 -> (100 + 8) >> 4 = 6, code 120 -> 8: (120 - 100) - ((8 - 6) << 4) = -12.
  CHECK(reduction_error(120, 100, 4) == -12);
  CHECK(reduction_error(77, 77, 3) == 0);  // the zero point itself
}

TEST_CASE("SAE metrics sum coefficient * error^2 per candidate", "[sae]") {
  SaeScanParams scan;
  scan.elements = {0, 2};
  scan.coefficients = {3, 5};
  const std::vector<uint8_t> tensor = {200, 9, 255};
  const auto m = sae_metrics(scan, tensor, 0, {4, 6});
  // 4 bits: 3 * 64 + 5 * 225; 6 bits: 200 -> 50 -> 200 (0), 255 -> 64 sat 63 -> 252 (3): 5 * 9.
  CHECK(m == std::vector<uint64_t>{3 * 64 + 5 * 225, 5 * 9});
}

TEST_CASE("threshold: the narrowest candidate whose estimate is within tau", "[pcu]") {
  PcuProgram p = two_slots({3, 4, 6});
  CHECK(threshold_width(p, 0, {500, 90, 10}) == 4);
  CHECK(threshold_width(p, 0, {100, 90, 10}) == 3);  // <= tau
  CHECK(threshold_width(p, 0, {500, 300, 101}) == 8);
  p.slots[0].alpha = {1 << 15, 1 << 15, 1 << 15};    // estimate = metric / 2
  CHECK(threshold_width(p, 0, {300, 190, 10}) == 4);
}

TEST_CASE("just in time, the first member of a group decides for the group", "[pcu]") {
  PcuProgram p = two_slots({4});
  p.slots[1].group = 0;
  PcuState st(p);
  st.metrics = {{500}, {0}};
  pcu_decide(p, st, 0);
  pcu_decide(p, st, 1);
  CHECK(st.bits == std::vector<int>{8, 8});  // slot 1 alone would have taken 4
}

TEST_CASE("up front, a group takes its widest member's width", "[pcu]") {
  PcuProgram p = two_slots({4});
  p.slots[1].group = 0;
  PcuState st(p);
  st.metrics = {{0}, {500}};
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 8});
  CHECK(st.decide_all_cycles == 1 + 2 + 1 + 1);
}

TEST_CASE("a budget narrows the layer that costs the least estimated error", "[pcu]") {
  PcuProgram p = two_slots({4});
  PcuState st(p);
  st.metrics = {{10}, {1}};
  p.budget = 100 * 8 + 100 * 4;  // room for one layer at 4 bits
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 4});
  CHECK(st.decide_all_cycles == 1 + 2 + 1 + 1 * (2 + 2) + 2 + 1);
  p.budget = 100;  // unreachable: everything as narrow as it goes
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{4, 4});
}

TEST_CASE("adaptive scaling shifts less when the input's range is small", "[pcu]") {
  PcuProgram p;
  p.adaptive_scaling = true;
  CHECK(pcu_config(p, 4, 15, 0).act_shift == 0);    // 15 fits 4 bits
  CHECK(pcu_config(p, 4, 100, 0).act_shift == 3);   // 7 significant bits
  CHECK(pcu_config(p, 4, 255, 0).act_shift == 4);
  CHECK(pcu_config(p, 4, 15, 200).act_shift == 4);  // the zero point must fit too
  CHECK(pcu_config(p, 4, 15, 0).weight_shift == 4);
  p.adaptive_scaling = false;
  CHECK(pcu_config(p, 4, 15, 0).act_shift == 4);
}

TEST_CASE("the output margin is top1 - top2", "[pcu]") {
  CHECK(output_margin({3, 9, 9}) == 0);
  CHECK(output_margin({1, 5, 2}) == 3);
  CHECK(output_margin({7}) == 7);
}

TEST_CASE("calibration profiles: round trip, foreign models, too little data", "[profile]") {
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  CalibrationInputs in{cal.inputs[0].tensor, cal.labels->ints()};
  CalibrationOptions o;
  const CalibrationProfile p = calibrate(mlp, in, o);
  REQUIRE(p.layers.size() == 3);
  for (const auto& l : p.layers) {
    CHECK(l.sensitivity.size() == 4);
    CHECK(l.sensitivity[0] > l.sensitivity[1]);  // 3 bits worse than 4
    CHECK(l.sensitivity[3] == 0.0);              // 8 bits is the reference
    CHECK_FALSE(l.jit.elements.empty());
  }
  const auto file = std::filesystem::temp_directory_path() / "aps_test.profile.onnx";
  save_profile(p, file);
  const CalibrationProfile q = load_profile(file, mlp);
  CHECK(q.layers[1].jit == p.layers[1].jit);
  CHECK(q.layers[2].alpha_jit == p.layers[2].alpha_jit);
  CHECK(q.cascade_first_bits == p.cascade_first_bits);
  CHECK(q.margin_threshold == p.margin_threshold);
  const OnnxModel cnn = OnnxModel::load(kModels / "digits_cnn/model_int8.onnx");
  CHECK_THROWS_WITH(load_profile(file, cnn), Catch::Contains("made for another model"));

  // The profile drives a program of every policy.
  const NetworkProgram base = program_for_profile(mlp, q);
  for (Policy policy : {Policy::Adaptive, Policy::Cascade, Policy::AdaptiveCascade}) {
    PolicyOptions po;
    po.policy = policy;
    CHECK_NOTHROW(validate_program(build_adaptive_program(base, q, po)));
  }

  const DataSet test = load_data_set(kModels / "digits_mlp/test_data_set_0");
  CalibrationInputs small{test.inputs[0].tensor, {}};
  CHECK_THROWS_WITH(calibrate(mlp, small, o), Catch::Contains("at least 1000 are needed"));
}

TEST_CASE("SAE budget: the slices cost at most the budget share of the MACs", "[profile]") {
  const OnnxModel cnn = OnnxModel::load(kModels / "digits_cnn/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_cnn/calibration");
  CalibrationOptions o;
  o.sae_budget = 0.03;
  const CalibrationProfile p = calibrate(cnn, {cal.inputs[0].tensor, cal.labels->ints()}, o);
  const NetworkProgram base = program_for_profile(cnn, p);
  double ops = 0;
  for (const auto& l : p.layers) ops += 2.0 * p.candidates.size() * static_cast<double>(l.jit.elements.size());
  CHECK(ops <= 0.03 * static_cast<double>(base.total_macs()) + 2.0 * p.candidates.size() * p.layers.size());
}

TEST_CASE("the shadow network copies the kept channels and rescales for the reduced fan-in", "[shadow]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;  // 64-64-32-10
  REQUIRE(p.layers.size() == 3);
  // fc2 reads fc1's channels 0, 5, 7; fc3 reads fc2's channels 1, 2.
  const ShadowNetwork s = build_shadow_network(p, {{}, {0, 5, 7}, {1, 2}});
  REQUIRE(s.layers.size() == 2);  // copies of fc1 and fc2: nothing after the last scan is copied
  CHECK(s.source_of == std::vector<int>{-1, 0, 1});
  const Layer& s1 = s.layers[0];
  const Layer& s2 = s.layers[1];
  CHECK(s1.role == LayerRole::Shadow);
  CHECK(s1.name == "shadow:" + p.layers[0].name);
  CHECK(s1.out_shape.channels == 3);
  CHECK(s2.in_shape.channels == 3);
  CHECK(s2.out_shape.channels == 2);
  CHECK(s2.input == 0);

  // The first copy keeps its whole input: at 8 bits its outputs are the main
  // layer's outputs at the kept channels.
  Codes x(64);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((37 * i) % 256);
  const Codes full = execute_layer(p.layers[0], x, static_config(8));
  const Codes copy = execute_layer(s1, x, static_config(8));
  REQUIRE(copy.size() == 3);
  CHECK(copy[0] == full[0]);
  CHECK(copy[1] == full[5]);
  CHECK(copy[2] == full[7]);

  // The second copy: fc2's weights at the kept inputs, its multiplier scaled
  // by full / kept fan-in (64 / 3), so the partial sum keeps the full scale.
  const int64_t fan_in = p.layers[1].weights_per_output();
  REQUIRE(fan_in == 64);
  for (int k = 0; k < 2; ++k) {
    const int64_t o = k + 1;
    CHECK(s2.weights[k * 3 + 0] == p.layers[1].weights[o * fan_in + 0]);
    CHECK(s2.weights[k * 3 + 1] == p.layers[1].weights[o * fan_in + 5]);
    CHECK(s2.weights[k * 3 + 2] == p.layers[1].weights[o * fan_in + 7]);
    CHECK(s2.bias[k] == p.layers[1].bias[o]);
    CHECK(s2.weight_zero_points[k] == p.layers[1].weight_zero_points[o]);
    CHECK(real_value(s2.multipliers[k]) ==
          Approx(std::min(200.0, real_value(p.layers[1].multipliers[o]) * 64.0 / 3.0)).epsilon(1e-6));
  }
}

TEST_CASE("the shadow network refuses what it cannot copy", "[shadow]") {
  const NetworkProgram p = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  CHECK_THROWS_WITH(build_shadow_network(p, {{}, {0}}), Catch::Contains("one channel list per layer with weights"));
  CHECK_THROWS_WITH(build_shadow_network(p, {{}, {64}, {0}}), Catch::Contains("channel 64 is outside layer"));
  NetworkProgram residual = p;
  residual.layers[1].kind = LayerKind::Add;
  CHECK_THROWS_WITH(build_shadow_network(residual, {{}, {0}}), Catch::Contains("is a residual Add"));
}
