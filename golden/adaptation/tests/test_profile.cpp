// Calibration profiles: round trip, foreign models, too little data, the SAE
// budget and memory, and the programs the policies build from them.

#include <catch2/catch.hpp>
#include <onnx/onnx_pb.h>
#include <fmt/format.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>

#include "golden/accelerator/decision_rule.hpp"
#include "golden/accelerator/memory_plan.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/adaptation/adaptive_program.hpp"
#include "golden/adaptation/calibrator.hpp"
#include "golden/errors.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/random_tensor.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;

namespace {
const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";
}  // namespace

TEST_CASE("calibration profiles: round trip, foreign models, too little data", "[profile]") {
  const test::ScratchFolder scratch("profile_round_trip");
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
  const auto file = scratch / "aps_test.profile.onnx";
  save_profile(p, file);
  const CalibrationProfile q = load_profile(file, mlp);
  CHECK(q.layers[1].jit == p.layers[1].jit);
  CHECK(q.layers[2].alpha_jit == p.layers[2].alpha_jit);
  CHECK(q.cascade == p.cascade);
  CHECK(q.margin_cascade == p.margin_cascade);
  CHECK(p.margin_cascade.gate == CascadeGate::margin(p.margin_cascade.gate.threshold));
  REQUIRE_FALSE(p.staged_cascade.empty());
  CHECK(p.staged_cascade.back().bits == std::vector<int>(3, 8));
  CHECK(q.staged_cascade == p.staged_cascade);
  const OnnxModel cnn = OnnxModel::load(kModels / "digits_cnn/model_int8.onnx");
  CHECK_THROWS_WITH(load_profile(file, cnn), Catch::Contains("made for another model"));

  // The profile drives a program of every policy.
  const NetworkProgram base = program_for_profile(mlp, q);
  for (Policy policy : {Policy::Adaptive, Policy::Cascade, Policy::AdaptiveCascade}) {
    PolicyOptions po;
    po.policy = policy;
    CHECK_NOTHROW(validate_program(build_adaptive_program(base, q, po)));
  }

  // The cascade runs the fitted gate and its maps; --plain-margin the plain
  // margin cascade; --margin N that cascade's maps at threshold N.
  CalibrationProfile two = q;
  two.cascade = {std::vector<int>(3, 3), std::vector<int>(3, 6), CascadeGate{2, 1, 300}};
  two.margin_cascade = {std::vector<int>(3, 4), std::vector<int>(3, 8), CascadeGate::margin(9)};
  auto built = [&](bool plain, std::optional<int> margin) {
    PolicyOptions po;
    po.policy = Policy::Cascade;
    po.plain_margin = plain;
    po.margin_threshold = margin;
    const NetworkProgram prog = build_adaptive_program(base, two, po);
    REQUIRE_FALSE(prog.pcu.slots.empty());
    return std::make_tuple(prog.pcu.gate, prog.pcu.slots[0].initial_bits, prog.pcu.slots[0].fallback_bits);
  };
  CHECK(built(false, {}) == std::make_tuple(CascadeGate{2, 1, 300}, 3, 6));
  CHECK(built(true, {}) == std::make_tuple(CascadeGate::margin(9), 4, 8));
  CHECK(built(false, 20) == std::make_tuple(CascadeGate::margin(20), 4, 8));

  // A gate that does not fit the register is refused by name.
  CalibrationProfile bad = p;
  bad.cascade.gate.threshold = CascadeGate::kMaxThreshold + 1;
  const auto bad_file = scratch / "aps_test_bad_gate.profile.onnx";
  save_profile(bad, bad_file);
  CHECK_THROWS_WITH(load_profile(bad_file, mlp), Catch::Contains("aps_test_bad_gate.profile.onnx: cascade gate"));

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

namespace {
NetworkProgram adaptive_program(const NetworkProgram& base, const CalibrationProfile& p, Schedule schedule) {
  PolicyOptions po;
  po.policy = Policy::Adaptive;
  po.schedule = schedule;
  return build_adaptive_program(base, p, po);
}

// SAE slice entries a policy's program fills, as the memory plan lays them
// out on a build with room for any number.
int64_t slice_memory_entries(const NetworkProgram& base, const CalibrationProfile& p, Schedule schedule) {
  HardwareLimits unbounded;
  unbounded.sae_entries = std::numeric_limits<int64_t>::max();
  return plan_memory(adaptive_program(base, p, schedule), unbounded, unbounded.act_words, uint64_t{1} << 26)
      .sae_entries_used;
}
}  // namespace

TEST_CASE("SAE memory: a schedule's slices shrink to fit the build's SAE slice memory", "[profile]") {
  const test::ScratchFolder scratch("profile_no_upfront");
  const OnnxModel cnn = OnnxModel::load(kModels / "digits_cnn/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_cnn/calibration");
  const CalibrationInputs in{cal.inputs[0].tensor, cal.labels->ints()};
  CalibrationOptions o;
  o.exhaustive_maps = 8;
  const CalibrationProfile roomy = calibrate(cnn, in, o);
  const NetworkProgram base = program_for_profile(cnn, roomy);
  const int64_t jit_entries = slice_memory_entries(base, roomy, Schedule::JustInTime);
  REQUIRE(has_upfront_schedule(roomy));
  const int64_t upfront_entries = slice_memory_entries(base, roomy, Schedule::UpFront);
  REQUIRE(jit_entries <= o.build.sae_entries);
  // The plan for a build whose SAE memory is one entry short refuses the
  // scan whose slice overflows it, by name.
  HardwareLimits short_of_one;
  short_of_one.sae_entries = jit_entries - 1;
  const NetworkProgram jit = adaptive_program(base, roomy, Schedule::JustInTime);
  CHECK_THROWS_WITH(plan_memory(jit, short_of_one, short_of_one.act_words, uint64_t{1} << 26),
                    Catch::Contains("layer '" + std::find_if(jit.layers.rbegin(), jit.layers.rend(), [](const Layer& l) {
                                      return l.kind == LayerKind::SaeScan;
                                    })->name + "' needs SAE slice entries up to " + std::to_string(jit_entries)));

  o.build.sae_entries = jit_entries / 3;
  const CalibrationProfile tight = calibrate(cnn, in, o);
  const int64_t tight_jit = slice_memory_entries(base, tight, Schedule::JustInTime);
  CHECK(tight_jit <= o.build.sae_entries);
  CHECK(tight_jit > o.build.sae_entries / 2);  // shrunk to fit, not emptied
  for (size_t j = 0; j < tight.layers.size(); ++j) {
    CHECK_FALSE(tight.layers[j].jit.elements.empty());
    CHECK(tight.layers[j].jit.elements.size() <= roomy.layers[j].jit.elements.size());
  }
  // A kept channel's up-front slice is its whole map, one word per pixel: in
  // a third of the room not even one channel per layer fits, so the kept
  // channels are sampled at the pixels that fit, and each layer keeps the
  // channels that share one word per pixel (at most a word's lanes).
  REQUIRE(upfront_entries > o.build.sae_entries);
  REQUIRE(has_upfront_schedule(tight));
  const int64_t tight_upfront = slice_memory_entries(base, tight, Schedule::UpFront);
  CHECK(tight_upfront <= o.build.sae_entries);
  CHECK(tight_upfront > o.build.sae_entries / 2);
  const std::vector<int> w = weighted_layers(base);
  bool sampled = false, blocked = false;
  for (size_t j = 0; j < tight.layers.size(); ++j) {
    const LayerProfile& l = tight.layers[j];
    if (base.layers[w[j]].input < 0) continue;  // scans its just-in-time slice up front
    const FeatureShape& in = base.tensor_shape(base.layers[w[j]].input);  // as stored, before any flattening
    const size_t kept = l.shadow_channels.size(), pixels = l.upfront.elements.size() / kept;
    CHECK(kept >= 1);
    CHECK(kept <= static_cast<size_t>(o.build.array.rows));
    CHECK(l.upfront.elements.size() == kept * pixels);
    CHECK(pixels >= 1);
    CHECK(pixels <= static_cast<size_t>(in.height * in.width));
    sampled = sampled || pixels < static_cast<size_t>(in.height * in.width);
    blocked = blocked || kept > 1;
  }
  CHECK(sampled);
  CHECK(blocked);  // more channels than one, at no more entries

  // A profile without an up-front schedule (the calibrator's case when the
  // shadow network cannot copy the model, made here by clearing one) keeps
  // its reason through a round trip, and a policy asking for one is refused
  // naming it.
  CalibrationProfile none = roomy;
  for (LayerProfile& l : none.layers) l.upfront = {};
  none.upfront_unavailable = "the shadow network cannot copy the model: planted";
  const auto file = scratch / "aps_test_no_upfront.profile.onnx";
  save_profile(none, file);
  CHECK(load_profile(file, cnn).upfront_unavailable == none.upfront_unavailable);
  PolicyOptions po;
  po.policy = Policy::Adaptive;
  po.schedule = Schedule::UpFront;
  CHECK_THROWS_WITH(build_adaptive_program(base, none, po),
                    Catch::Contains("no up-front schedule (" + none.upfront_unavailable + ")"));
  // The reason and the empty slices say the same thing; a file where they
  // disagree is refused, naming the first layer.
  CalibrationProfile no_reason = none;
  no_reason.upfront_unavailable.clear();
  save_profile(no_reason, file);
  CHECK_THROWS_WITH(load_profile(file, cnn), Catch::Contains("layer '" + none.layers.front().name +
                                                              "' has no up-front slice, but the profile records no reason"));
  CalibrationProfile stray_reason = roomy;
  stray_reason.upfront_unavailable = "made up";
  save_profile(stray_reason, file);
  CHECK_THROWS_WITH(load_profile(file, cnn), Catch::Contains("has an up-front slice, but the profile says"));

  o.build.sae_entries = static_cast<int64_t>(roomy.layers.size()) - 1;  // not one word per layer
  CHECK_THROWS_WITH(calibrate(cnn, in, o), Catch::Contains("SAE entries"));
}

TEST_CASE("static front: a greedy path of per-layer maps where the exhaustive search does not fit", "[profile]") {
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  CalibrationOptions o;
  o.exhaustive_maps = 8;  // 4 widths over 3 layers are 64 maps
  const CalibrationProfile p = calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, o);
  bool per_layer = false;
  for (size_t i = 0; i < p.static_front.size(); ++i) {
    const auto& bits = p.static_front[i].bits;
    per_layer = per_layer || std::adjacent_find(bits.begin(), bits.end(), std::not_equal_to<>()) != bits.end();
    if (i > 0) {
      CHECK(p.static_front[i].avg_bits > p.static_front[i - 1].avg_bits);
      CHECK(p.static_front[i].agreement > p.static_front[i - 1].agreement);
    }
  }
  CHECK(per_layer);  // uniform maps alone would leave the front without one
  CHECK(p.static_front.back().agreement == 1.0);  // all-8 is on the path, and agrees with itself

  // The same greedy path where the 64 maps are allowed but would cost more
  // MACs than the search may spend; the log says which search ran.
  CalibrationOptions costly;
  costly.exhaustive_search_macs = 1e6;
  std::ostringstream log;
  const CalibrationProfile q = calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, costly, &log);
  REQUIRE(q.static_front.size() == p.static_front.size());
  for (size_t i = 0; i < p.static_front.size(); ++i) CHECK(q.static_front[i].bits == p.static_front[i].bits);
  CHECK_THAT(log.str(), Catch::Contains("static front: the uniform maps and a greedy path"));
  std::ostringstream all;
  calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, CalibrationOptions{}, &all);
  CHECK_THAT(all.str(), Catch::Contains("static front: every map, 64 on"));
}

// The front's maps run from the first step each changes (execute_static_from):
// each map's calibration agreement must be what whole runs at it give.
TEST_CASE("static front: a map's agreement is what whole runs of it give", "[profile]") {
  const OnnxModel cnn = OnnxModel::load(kModels / "digits_cnn/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_cnn/calibration");
  CalibrationOptions o;
  o.exhaustive_maps = 8;  // a greedy path: maps that share prefixes and differ in the middle
  const CalibrationProfile p = calibrate(cnn, {cal.inputs[0].tensor, cal.labels->ints()}, o);
  const NetworkProgram program = program_for_profile(cnn, p);
  const DecisionRule rule = decision_rule(p);
  const Tensor& batch = cal.inputs[0].tensor;
  REQUIRE(p.static_front.size() > 2);
  std::vector<Codes> inputs;
  std::vector<int64_t> decisions8;
  for (int64_t s = 0; s < batch.shape()[0]; ++s) {
    inputs.push_back(quantize_input(program, batch, s));
    const std::vector<int> all8(p.static_front.front().bits.size(), 8);
    decisions8.push_back(
        rule.decide(program, inputs.back(), execute_program(program, inputs.back(), weighted_map_configs(program, all8)).output())
            .value);
  }
  for (const StaticMapResult& r : p.static_front) {
    const std::vector<LayerConfig> configs = weighted_map_configs(program, r.bits);
    int64_t agree = 0;
    for (size_t s = 0; s < inputs.size(); ++s)
      agree += rule.decide(program, inputs[s], execute_program(program, inputs[s], configs).output()).value == decisions8[s];
    CAPTURE(r.bits);
    CHECK(r.agreement == static_cast<double>(agree) / static_cast<double>(batch.shape()[0]));
  }
}

TEST_CASE("calibration threads: the same profile for any thread count", "[profile]") {
  const test::ScratchFolder scratch("profile_threads");
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  const auto dir = scratch.path();
  std::vector<std::string> files;
  for (int threads : {1, 3}) {
    CalibrationOptions o;
    o.threads = threads;
    o.exhaustive_maps = 8;
    const auto file = dir / ("aps_test_threads_" + std::to_string(threads) + ".profile.onnx");
    save_profile(calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, o), file);
    std::ifstream in(file, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  CHECK(files[0] == files[1]);
}

TEST_CASE("calibration profiles keep their weight rule, and a program under them takes it", "[profile]") {
  const test::ScratchFolder scratch("profile_midpoint");
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  CalibrationOptions o;
  o.threads = 2;
  o.exhaustive_maps = 8;
  o.weight_reduction = WeightReduction::Midpoint;
  const CalibrationProfile p = calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, o);
  CHECK(p.weight_reduction == WeightReduction::Midpoint);
  const auto file = scratch / "aps_test_midpoint.profile.onnx";
  save_profile(p, file);
  const CalibrationProfile q = load_profile(file, mlp);
  CHECK(q.weight_reduction == WeightReduction::Midpoint);
  for (const Layer& l : program_for_profile(mlp, q).layers)
    if (l.has_weights()) CHECK(l.weight_reduction == WeightReduction::Midpoint);

  // Format 7 marks it, so a build that knows only format 6 refuses it
  // rather than load it as rounding half up; the format and the rule must agree.
  onnx::ModelProto m;
  {
    std::ifstream in(file, std::ios::binary);
    REQUIRE(m.ParseFromIstream(&in));
  }
  std::string format;
  for (const auto& e : m.metadata_props())
    if (e.key() == "aps.profile_format") format = e.value();
  CHECK(format == "7");
  for (auto& e : *m.mutable_metadata_props())
    if (e.key() == "aps.profile_format") e.set_value("6");
  const auto forged = scratch / "aps_test_midpoint_format6.profile.onnx";
  {
    std::ofstream out(forged, std::ios::binary);
    REQUIRE(m.SerializeToOstream(&out));
  }
  CHECK_THROWS_WITH(load_profile(forged, mlp), Catch::Contains("aps_test_midpoint_format6.profile.onnx: a format 6 "
                                                               "profile with midpoint weights"));
  // A rounding profile is written as before, in format 6.
  CalibrationProfile round = q;
  round.weight_reduction = WeightReduction::RoundHalfUp;
  save_profile(round, forged);
  {
    std::ifstream in(forged, std::ios::binary);
    REQUIRE(m.ParseFromIstream(&in));
  }
  for (const auto& e : m.metadata_props())
    if (e.key() == "aps.profile_format") CHECK(e.value() == "6");
  CHECK(load_profile(forged, mlp).weight_reduction == WeightReduction::RoundHalfUp);
}

TEST_CASE("a profile calibrated without labels has no static-front accuracy, not 0", "[profile]") {
  const test::ScratchFolder scratch("profile_unlabelled");
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  CalibrationOptions o;
  o.exhaustive_maps = 8;
  for (const bool labelled : {false, true}) {
    INFO("labelled " << labelled);
    const CalibrationProfile p =
        calibrate(mlp, {cal.inputs[0].tensor, labelled ? cal.labels->ints() : std::vector<int64_t>{}}, o);
    const auto file = scratch / "profile.onnx";
    save_profile(p, file);
    const CalibrationProfile q = load_profile(file, mlp);
    REQUIRE_FALSE(q.static_front.empty());
    for (const StaticMapResult& f : q.static_front) {
      CHECK(f.accuracy.has_value() == labelled);
      if (labelled) CHECK(*f.accuracy > 0.5);
    }
  }
}

TEST_CASE("a classifier with one output value is refused: its largest output is always class 0", "[profile]") {
  std::mt19937 rng(8);
  test::GraphBuilder g(13);
  g.input("x", DType::Float, {-1, 4});
  g.initializer("w", test::random_tensor(rng, {1, 4}, -1, 1));
  g.node("Gemm", {"x", "w"}, {"logit"}, "fc").attr("transB", 1);
  g.output("logit");
  const OnnxModel m = g.model();
  const Tensor x = test::random_tensor(rng, {64, 4}, -1, 1);
  CalibrationOptions o;
  o.min_samples = 64;
  CHECK_THROWS_WITH(calibrate(m, {x, {}}, o), Catch::Contains("the output has 1 value per sample") &&
                                                   Catch::Contains("export two, one per class"));
}
