// The session (image loading, configuration, runs, every check of
// check_run) and the co-simulation runner on the behavioural device, and
// the behavioural device's planted faults, each caught by the check that
// must catch it.

#include <catch2/catch.hpp>

#include "golden/adaptation/adaptive_program.hpp"
#include "sim/cosim_runner.hpp"
#include "sim/random_network.hpp"
#include "sim/tests/harness_fixture.hpp"

using namespace aps;
using namespace aps::sim;
using namespace aps::sim::test;

TEST_CASE("a session on the behavioural device matches the golden model", "[session]") {
  const Model m("digits_mlp");
  AcceleratorSession s(m.program, behavioural(m.program));
  Scoreboard sb;
  for (const char* precision : {"8", "map:4,8,3", "2"}) {
    const auto configs = step_configs(m.program, precision);
    s.configure(configs);
    const ProgramResult expected = execute_program(m.program, m.input(1), configs);
    const InputRun r = s.run(1, m.input(1), expected, sb);
    CHECK(r.passed);
    CHECK(r.output == expected.output());
  }
  CHECK(sb.counts().mismatches == 0);
  CHECK(sb.counts().elements_compared == 3 * (64 + 32 + 10));
  CHECK(sb.counts().configs_compared == 3 * 3);
}

TEST_CASE("an adaptive program's metrics, widths, configurations and re-runs are all checked", "[session]") {
  const Model m("digits_mlp");
  int reruns = 0;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    std::string what;
    const NetworkProgram p = random_policy_program(m.program, seed, what);
    INFO(what);
    const auto configs = carry_configs(m.program, m.configs, p);
    AcceleratorSession s(p, behavioural(p));
    s.configure(configs);
    Scoreboard sb;
    for (int i = 0; i < 3; ++i) {
      const ProgramResult expected = execute_program(p, m.input(i), configs);
      reruns += expected.rerun;
      const bool passed = s.run(i, m.input(i), expected, sb).passed;
      INFO((sb.input_mismatch() ? sb.input_mismatch()->describe() : std::string("passed")));
      CHECK(passed);
    }
    CHECK(sb.counts().metrics_compared == 3 * static_cast<int64_t>(p.pcu.slots.size() * p.pcu.candidates.size()));
  }
  CHECK(reruns > 0);
}

TEST_CASE("each planted fault is caught by the check that must catch it", "[session][faults]") {
  const Model m("digits_mlp");
  auto first_mismatch = [&](const NetworkProgram& p, BehaviouralFaults faults) {
    AcceleratorSession s(p, behavioural(p, faults));
    Scoreboard sb;
    const auto configs = step_configs(p, "8");
    s.configure(configs);
    const InputRun r = s.run(0, m.input(0), execute_program(p, m.input(0), configs), sb);
    CHECK_FALSE(r.passed);
    REQUIRE(sb.input_mismatch());
    return *sb.input_mismatch();
  };
  BehaviouralFaults f;
  SECTION("a wrong value") {
    f.corrupt_write = 70;  // fc2's element 6
    const Mismatch x = first_mismatch(m.program, f);
    CHECK(x.check == "layer output");
    CHECK(x.layer == 1);
    CHECK(x.element == 6);
  }
  SECTION("a write that never comes") {
    f.drop_write = 100;
    CHECK(first_mismatch(m.program, f).check == "missing write");
  }
  SECTION("a write that comes twice") {
    f.duplicate_write = 3;
    CHECK(first_mismatch(m.program, f).check == "duplicate write");
  }
  SECTION("a wrong cycle count") {
    f.extra_cycles = 1;
    CHECK(first_mismatch(m.program, f).check == "run cycle count");
  }
  SECTION("a wrong stall count") {
    f.extra_stalls = 2;
    CHECK(first_mismatch(m.program, f).check == "stall cycle count");
  }
  SECTION("a wrong count of weight planes read") {
    f.extra_plane_reads = 8;
    CHECK(first_mismatch(m.program, f).check == "weight plane read count");
  }
  SECTION("a wrong SAE metric") {
    std::string what;
    const NetworkProgram p = random_policy_program(m.program, 3, what);
    REQUIRE_FALSE(p.pcu.slots.empty());
    f.wrong_metric = true;
    AcceleratorSession s(p, behavioural(p, f));
    const auto configs = carry_configs(m.program, m.configs, p);
    s.configure(configs);
    Scoreboard sb;
    CHECK_FALSE(s.run(0, m.input(0), execute_program(p, m.input(0), configs), sb).passed);
    REQUIRE(sb.input_mismatch());
    CHECK(sb.input_mismatch()->check == "SAE metric");
    CHECK(sb.input_mismatch()->slot == 0);
    CHECK(sb.input_mismatch()->candidate == 0);
  }
  SECTION("a run that never ends") {
    f.hang = true;
    SessionOptions o = behavioural(m.program, f);
    o.max_cycles = 2000;
    AcceleratorSession s(m.program, o);
    Scoreboard sb;
    CHECK_THROWS_WITH(s.run(0, m.input(0), m.expected(0), sb), Catch::Contains("stuck in layer"));
  }
}

TEST_CASE("a descriptor the device refuses is reported with the step and the error code", "[session]") {
  const Model m("digits_mlp");
  AcceleratorSession s(m.program, behavioural(m.program));
  s.driver().write32(hw::kDescBase + static_cast<uint32_t>(hw::desc_entry_bytes()) + 4 * hw::kDescMode,
                     hw::DescMode{.bits = 9}.pack());
  Scoreboard sb;
  CHECK_FALSE(s.run(0, m.input(0), m.expected(0), sb).passed);
  REQUIRE(sb.input_mismatch());
  CHECK(sb.input_mismatch()->check == "RTL refused the descriptor (precision or shift out of range)");
  CHECK(sb.input_mismatch()->layer == 1);
}

TEST_CASE("an assertion that stops an input names the input", "[session]") {
  const Model mlp("digits_mlp"), cnn("digits_cnn");
  // A device made for another program asserts as the run starts (NUM_LAYERS
  // is not its program's), in the start command's write, not while waiting.
  AcceleratorSession s(mlp.program, behavioural(cnn.program));
  s.configure(mlp.configs);
  CHECK_THROWS_AS(s.run_unchecked(7, mlp.input(0)), RtlAssertion);
  AcceleratorSession again(mlp.program, behavioural(cnn.program));
  again.configure(mlp.configs);
  CHECK_THROWS_WITH(again.run_unchecked(7, mlp.input(0)),
                    Catch::StartsWith("input 7: an RTL assertion failed") && Catch::Contains("NUM_LAYERS is"));
}

TEST_CASE("the co-simulation runner gives the same counts with one job and with two", "[session]") {
  const Model m("digits_cnn");
  std::vector<Codes> inputs;
  std::vector<int64_t> labels;
  for (int i = 0; i < 6; ++i) {
    inputs.push_back(m.input(i));
    labels.push_back(m.data.labels->ints()[i]);
  }
  CosimOptions o;
  o.session = behavioural(m.program);
  o.configs = step_configs(m.program, "map:4,6,3");
  const CosimResult one = run_cosim(m.program, inputs, labels, o);
  o.jobs = 2;
  const CosimResult two = run_cosim(m.program, inputs, labels, o);
  CHECK(one.counts.mismatches == 0);
  CHECK(one.counts.elements_compared == two.counts.elements_compared);
  CHECK(one.rtl_cycles == two.rtl_cycles);
  CHECK(one.rtl_eval.correct() == two.rtl_eval.correct());
  CHECK(one.layer_cycles == two.layer_cycles);
  CHECK(one.rtl_eval.correct() == one.golden_eval.correct());
}

TEST_CASE("the behavioural device stops on a descriptor whose weight rule is not its program's", "[session]") {
  const Model m("digits_mlp");
  NetworkProgram midpoint = m.program;
  midpoint.set_weight_reduction(WeightReduction::Midpoint);
  // The host writes the midpoint program's image to a device that computes
  // the rounding one: the device's check fails the run (as an assertion).
  AcceleratorSession s(midpoint, behavioural(m.program));
  s.configure(m.configs);
  CHECK_THROWS_WITH(s.run_unchecked(0, m.input(0)),
                    Catch::StartsWith("input 0: an RTL assertion failed") && Catch::Contains("weight_midpoint is 1"));
  // The same program on both sides runs: the rule alone made the difference.
  AcceleratorSession same(midpoint, behavioural(midpoint));
  same.configure(m.configs);
  CHECK_NOTHROW(same.run_unchecked(0, m.input(0)));
}
