// The memory plan: which tensors stay in the scratchpad, which spill to the
// external memory, and what each step moves.

#include <catch2/catch.hpp>

#include "golden/accelerator/memory_plan.hpp"
#include "golden/errors.hpp"

using namespace aps;

namespace {

Layer fc(const std::string& name, int input, int64_t in, int64_t out) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::FullyConnected;
  l.input = input;
  l.in_shape = {in, 1, 1};
  l.out_shape = {out, 1, 1};
  return l;
}

// x -> a -> b -> add(b, x): the input lives until the add.
NetworkProgram residual(int64_t width) {
  NetworkProgram p;
  p.source = "residual";
  p.input_shape = {width, 1, 1};
  p.layers = {fc("a", -1, width, width), fc("b", 0, width, width), fc("sum", 1, width, width)};
  p.layers[2].kind = LayerKind::Add;
  p.layers[2].add.input_b = -1;
  return p;
}

bool overlap(int64_t b0, int64_t n0, int64_t b1, int64_t n1) { return b0 < b1 + n1 && b1 < b0 + n0; }

}  // namespace

TEST_CASE("with room, every tensor stays resident: the input loads once, the output stores once", "[plan]") {
  const NetworkProgram p = residual(64);  // 8 words per tensor
  const MemoryPlan plan = plan_memory(p, HardwareLimits{}, 8192, 1 << 20);
  CHECK(plan.spilled_tensors == 0);
  CHECK(plan.steps[0].load_in);
  CHECK(!plan.steps[1].load_in);
  CHECK(!plan.steps[2].load_in);
  CHECK(!plan.steps[2].load_in_b);  // the input is still there
  CHECK(!plan.steps[0].store_out);
  CHECK(!plan.steps[1].store_out);
  CHECK(plan.steps[2].store_out);
  CHECK(plan.steps[2].ext_out == plan.output_ext);
  CHECK(plan.steps[2].in_b_base == plan.steps[0].in_base);
  // tensors alive at the same step never share words: the input, a's output
  // and b's output all overlap in time at step 1 and 2
  CHECK(!overlap(plan.steps[0].in_base, 8, plan.steps[1].out_base, 8));
  CHECK(!overlap(plan.steps[1].in_base, 8, plan.steps[1].out_base, 8));
  CHECK(!overlap(plan.steps[2].in_base, 8, plan.steps[2].out_base, 8));
  CHECK(plan.spm_words_used == 24);
  // a's output is dead after step 1, so the sum reuses its words
  CHECK(plan.steps[2].out_base == plan.steps[1].in_base);
}

TEST_CASE("a tight scratchpad spills the long-lived tensor: stored by its producer, loaded by each reader", "[plan]") {
  // x -> a -> b (twice as wide) -> c -> d -> add(d, a): a lives from step 0
  // to 4, and at step 2 a, b and c need 32 words together; no step touches
  // more than 24.
  NetworkProgram p;
  p.source = "skip";
  p.input_shape = {64, 1, 1};
  p.layers = {fc("a", -1, 64, 64), fc("b", 0, 64, 128), fc("c", 1, 128, 64), fc("d", 2, 64, 64), fc("sum", 3, 64, 64)};
  p.layers[4].kind = LayerKind::Add;
  p.layers[4].add.input_b = 0;
  CHECK(plan_memory(p, HardwareLimits{}, 32, 1 << 20).spilled_tensors == 0);
  const MemoryPlan plan = plan_memory(p, HardwareLimits{}, 24, 1 << 20);
  CHECK(plan.spilled_tensors == 1);
  CHECK(plan.spm_words_used <= 24);
  CHECK(plan.steps[0].store_out);  // a stores its output
  CHECK(plan.steps[1].load_in);    // b loads it
  CHECK(plan.steps[4].load_in_b);  // and the add loads it again
  CHECK(plan.steps[1].ext_in == plan.steps[0].ext_out);
  CHECK(plan.steps[4].ext_in_b == plan.steps[0].ext_out);
  CHECK(plan.steps[0].ext_out != plan.output_ext);
  CHECK(!plan.steps[2].load_in);   // b and c stay resident
  CHECK(!overlap(plan.steps[4].in_base, 8, plan.steps[4].in_b_base, 8));
  CHECK(!overlap(plan.steps[4].in_b_base, 8, plan.steps[4].out_base, 8));
}

TEST_CASE("a step whose own tensors do not fit, or an image the memory cannot hold, is refused", "[plan]") {
  const NetworkProgram p = residual(64);
  CHECK_THROWS_AS(plan_memory(p, HardwareLimits{}, 16, 1 << 20), InputError);
  CHECK_THROWS_WITH(plan_memory(p, HardwareLimits{}, 16, 1 << 20),
                    Catch::Contains("layer 'sum' needs 24 scratchpad words at once") &&
                        Catch::Contains("the scratchpad has 16") && !Catch::Contains("APS_RTL_ACT_WORDS"));
  // Beyond the build's scratchpad, not only the plan's share of it: the
  // message names the build parameter that would hold the step.
  HardwareLimits small;
  small.act_words = 16;
  CHECK_THROWS_WITH(plan_memory(p, small, 16, 1 << 20),
                    Catch::EndsWith("the scratchpad has 16 (a build configured with -DAPS_RTL_ACT_WORDS=24 holds them)"));
  CHECK_THROWS_WITH(plan_memory(p, HardwareLimits{}, 8192, 256),
                    Catch::Contains("residual: the model needs") && Catch::Contains("the memory has 256"));
}

TEST_CASE("the external image: beat-aligned, weights and parameters per layer, nothing overlaps", "[plan]") {
  NetworkProgram p;
  p.source = "chain";
  p.input_shape = {20, 1, 1};
  p.layers = {fc("a", -1, 20, 30), fc("b", 0, 30, 10)};
  const MemoryPlan plan = plan_memory(p, HardwareLimits{}, 8192, 1 << 20);
  std::vector<std::pair<uint64_t, uint64_t>> spans = {{plan.input_ext, 3 * 8}, {plan.output_ext, 2 * 8}};
  for (size_t s = 0; s < 2; ++s) {
    const StepMemory& m = plan.steps[s];
    spans.push_back({m.ext_weights, static_cast<uint64_t>(weight_tile_beats(m.tile_words, 8, ArrayShape{})) * 8 *
                                       ((p.layers[s].out_shape.channels + 7) / 8)});
    spans.push_back({m.ext_params, static_cast<uint64_t>(m.param_beats) * 8});
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    CHECK(spans[i].first % 8 == 0);
    CHECK(spans[i].first + spans[i].second <= plan.ext_bytes);
    for (size_t j = i + 1; j < spans.size(); ++j)
      CHECK(!overlap(static_cast<int64_t>(spans[i].first), static_cast<int64_t>(spans[i].second),
                     static_cast<int64_t>(spans[j].first), static_cast<int64_t>(spans[j].second)));
  }
}

TEST_CASE("output tables: one per distinct table, shared by the steps that use it, refused past the build's",
          "[plan]") {
  NetworkProgram p;
  p.source = "tables";
  p.input_shape = {8, 1, 1};
  p.layers = {fc("a", -1, 8, 8), fc("b", 0, 8, 8), fc("c", 1, 8, 8), fc("d", 2, 8, 8)};
  std::vector<uint8_t> t1(256, 1), t2(256, 2);
  p.layers[0].output_table = t1;
  p.layers[2].output_table = t2;
  p.layers[3].output_table = t1;
  HardwareLimits limits;
  const MemoryPlan plan = plan_memory(p, limits, 8192, 1 << 20);
  REQUIRE(plan.tables.size() == 2);
  CHECK(plan.tables[0] == t1);
  CHECK(plan.steps[0].output_table == 1);
  CHECK(plan.steps[1].output_table == 0);
  CHECK(plan.steps[2].output_table == 2);
  CHECK(plan.steps[3].output_table == 1);
  limits.lut_tables = 1;
  CHECK_THROWS_WITH(plan_memory(p, limits, 8192, 1 << 20),
                    Catch::Contains("layer 'c' needs output table 2, the build holds 1") &&
                        Catch::Contains("-DAPS_RTL_LUT_TABLES=2"));
}
