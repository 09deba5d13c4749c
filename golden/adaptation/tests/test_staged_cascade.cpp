// The staged cascade: the chooser finds the cheapest stages and thresholds
// that keep the target agreement (hand-made fronts whose best answer is
// known), and a run escalates on the output margin as the stages say.

#include <catch2/catch.hpp>
#include <filesystem>

#include "golden/accelerator/pcu.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/adaptation/staged_cascade.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/data_set.hpp"

using namespace aps;

namespace {

// Ten samples, all predicted 0 at 8 bits. A (2 bits) gets samples 6..9 wrong,
// with margins 1..4; B (4 bits) gets only sample 9 wrong, with margin 1; C is
// the 8-bit map.
FrontOutcomes three_maps() {
  FrontOutcomes f;
  f.bits = {{2}, {4}, {8}};
  f.avg_bits = {2.0, 4.0, 8.0};
  f.preds = {{0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, std::vector<int64_t>(10, 0)};
  f.margins = {{50, 50, 50, 50, 50, 50, 1, 2, 3, 4}, {40, 40, 40, 40, 40, 40, 40, 40, 40, 1}, std::vector<int>(10, 60)};
  return f;
}

const std::vector<int64_t> kPreds8(10, 0);

}  // namespace

TEST_CASE("staged cascade: three stages when the middle map settles what the cheap one cannot", "[staged]") {
  // Two stages cost 2 + 8 x 4/10 = 5.2 (from A) or 4 + 8 x 1/10 = 4.8 (from
  // B); three cost 2 + 4 x 4/10 + 8 x 1/10 = 4.4.
  const StagedCascadeChoice c = choose_staged_cascade(three_maps(), kPreds8, 1.0);
  REQUIRE(c.stages.size() == 3);
  CHECK(c.stages[0] == CascadeStage{{2}, 2.0, 5});
  CHECK(c.stages[1] == CascadeStage{{4}, 4.0, 2});
  CHECK(c.stages[2] == CascadeStage{{8}, 8.0, 0});
  CHECK(c.expected_bits == Approx(4.4));
  CHECK(c.agreement == 1.0);
  CHECK(describe_stages(c.stages) == "2 <5> 4 <2> 8");
}

TEST_CASE("staged cascade: a lower target lets an input stop short of 8 bits", "[staged]") {
  // 90 %: escalate A's margins 1..3 to B, which settles them, and leave
  // sample 9 wrong: 2 + 4 x 3/10 = 3.2 (the cheapest two stages, B that never
  // escalates, cost 4).
  const StagedCascadeChoice c = choose_staged_cascade(three_maps(), kPreds8, 0.9);
  REQUIRE(c.stages.size() == 3);
  CHECK(c.stages[0].margin_threshold == 4);
  CHECK(c.stages[1].margin_threshold == 0);
  CHECK(c.expected_bits == Approx(3.2));
  CHECK(c.agreement == Approx(0.9));
}

TEST_CASE("staged cascade: two stages when the middle map adds nothing", "[staged]") {
  FrontOutcomes f = three_maps();
  f.preds[1] = f.preds[0];  // B is as wrong as A, on the same samples
  f.margins[1] = f.margins[0];
  const StagedCascadeChoice c = choose_staged_cascade(f, kPreds8, 1.0);
  REQUIRE(c.stages.size() == 2);
  CHECK(c.stages[0] == CascadeStage{{2}, 2.0, 5});
  CHECK(c.expected_bits == Approx(5.2));
}

TEST_CASE("staged cascade: one stage when the front is the 8-bit map alone, and bad tables are refused", "[staged]") {
  FrontOutcomes f;
  f.bits = {{8}};
  f.avg_bits = {8.0};
  f.preds = {kPreds8};
  f.margins = {std::vector<int>(10, 9)};
  const StagedCascadeChoice c = choose_staged_cascade(f, kPreds8, 1.0);
  REQUIRE(c.stages.size() == 1);
  CHECK(c.expected_bits == 8.0);
  f.margins[0].pop_back();
  CHECK_THROWS_WITH(choose_staged_cascade(f, kPreds8, 1.0), Catch::Contains("map 0 has 10 predictions and 9 margins for 10 samples"));
  f.margins[0].push_back(256);
  CHECK_THROWS_WITH(choose_staged_cascade(f, kPreds8, 1.0), Catch::Contains("map 0 has a margin of 256"));
}

TEST_CASE("staged cascade: a run escalates while the margin is below the stage's threshold", "[staged]") {
  const auto models = std::filesystem::path(APS_SOURCE_DIR) / "models";
  const NetworkProgram program = build_program(OnnxModel::load(models / "digits_mlp/model_int8.onnx"));
  const DataSet data = load_data_set(models / "digits_mlp/test_data_set_0");
  const Codes input = quantize_input(program, data.inputs[0].tensor, 0);
  const std::vector<int> two{2, 2, 2}, four{4, 4, 4}, eight{8, 8, 8};
  const Codes out2 = execute_program(program, input, weighted_map_configs(program, two)).output();
  const Codes out8 = execute_program(program, input, weighted_map_configs(program, eight)).output();
  const int margin2 = output_margin(out2);
  REQUIRE(margin2 > 0);

  // At the margin: stays in the first stage.
  StagedRun r = run_staged_cascade(program, {{two, 2.0, margin2}, {four, 4.0, 255}, {eight, 8.0, 0}}, DecisionRule::classifier(), input);
  CHECK(r.passes.size() == 1);
  CHECK(r.result().output() == out2);
  // Above every margin: runs all three stages and ends with the 8-bit output.
  r = run_staged_cascade(program, {{two, 2.0, 256}, {four, 4.0, 256}, {eight, 8.0, 0}}, DecisionRule::classifier(), input);
  CHECK(r.passes.size() == 3);
  CHECK(r.result().output() == out8);
  CHECK(r.passes[1].configs != r.passes[2].configs);
}
