// The scoreboard on its own: every kind of write it must refuse, and the
// check order of scoreboard.hpp deciding which mismatch of an input is
// reported first.

#include <catch2/catch.hpp>

#include "sim/scoreboard.hpp"
#include "sim/tests/harness_fixture.hpp"

using namespace aps;
using namespace aps::sim;
using namespace aps::sim::test;

namespace {
struct Fixture {
  Model m{"digits_mlp"};
  ProgramResult expected = m.expected(0);
  Scoreboard sb;
  Fixture() { sb.begin_input(0, m.program, expected, 100); }
  void write_all_but(int layer, int64_t element) {
    for (size_t l = 0; l < expected.layer_outputs.size(); ++l)
      for (size_t e = 0; e < expected.layer_outputs[l].size(); ++e)
        if (static_cast<int>(l) != layer || static_cast<int64_t>(e) != element)
          sb.on_write(200, 0, static_cast<int>(l), static_cast<int64_t>(e), expected.layer_outputs[l][e]);
  }
};
}  // namespace

TEST_CASE("a complete, correct input passes", "[scoreboard]") {
  Fixture f;
  f.write_all_but(-1, -1);
  CHECK(f.sb.end_input());
  CHECK(f.sb.counts().elements_compared == 64 + 32 + 10);
  CHECK(f.sb.counts().layers_compared == 3);
  CHECK(f.sb.counts().mismatches == 0);
}

TEST_CASE("wrong, missing, duplicate and stray writes are mismatches", "[scoreboard]") {
  SECTION("a wrong value") {
    Fixture f;
    f.write_all_but(1, 5);
    f.sb.on_write(300, 0, 1, 5, static_cast<uint8_t>(f.expected.layer_outputs[1][5] + 1));
    CHECK_FALSE(f.sb.end_input());
    CHECK(f.sb.input_mismatch()->check == "layer output");
    CHECK(f.sb.input_mismatch()->element == 5);
    CHECK(f.sb.input_mismatch()->run_cycle == 200);
  }
  SECTION("a missing write") {
    Fixture f;
    f.write_all_but(2, 9);
    CHECK_FALSE(f.sb.end_input());
    CHECK(f.sb.input_mismatch()->check == "missing write");
  }
  SECTION("a duplicate write") {
    Fixture f;
    f.write_all_but(-1, -1);
    f.sb.on_write(300, 0, 0, 0, f.expected.layer_outputs[0][0]);
    CHECK_FALSE(f.sb.end_input());
    CHECK(f.sb.input_mismatch()->check == "duplicate write");
  }
  SECTION("a write outside the layer, to a step without output, in a re-run that should not happen") {
    for (auto [layer, element, pass] : {std::tuple{0, int64_t{64}, 0}, {7, int64_t{0}, 0}, {0, int64_t{0}, 1}}) {
      Fixture f;
      f.write_all_but(-1, -1);
      f.sb.on_write(300, pass, layer, element, 0);
      CHECK_FALSE(f.sb.end_input());
    }
  }
  SECTION("the configuration of a re-run the golden model did not make is left to the re-run check") {
    // (it read past the golden model's empty re-run log; the sanitizers see it)
    Fixture f;
    f.write_all_but(-1, -1);
    f.sb.check_config(1, 1, static_config(8));
    CHECK(f.sb.end_input());
    CHECK(f.sb.counts().configs_compared == 0);
  }
}

TEST_CASE("the first mismatch follows the documented check order", "[scoreboard]") {
  SECTION("an earlier step's output before a later step's output") {
    Fixture f;
    f.sb.on_write(300, 0, 2, 0, static_cast<uint8_t>(f.expected.layer_outputs[2][0] + 1));
    f.sb.on_write(301, 0, 1, 0, static_cast<uint8_t>(f.expected.layer_outputs[1][0] + 1));
    CHECK(f.sb.input_mismatch()->layer == 1);
  }
  SECTION("at one step, the configuration before its outputs") {
    Fixture f;
    f.sb.on_write(300, 0, 1, 0, static_cast<uint8_t>(f.expected.layer_outputs[1][0] + 1));
    f.sb.check_config(1, 0, static_config(4));
    CHECK(f.sb.input_mismatch()->rank == CheckRank::LayerConfig);
  }
  SECTION("every step of the first pass before the counters, the counters before the read-back") {
    Fixture f;
    f.sb.check_readback(Codes(10, 0));
    f.sb.check_counter("stall cycle count", 1, 0);
    CHECK(f.sb.input_mismatch()->check == "stall cycle count");
    f.sb.on_write(300, 0, 2, 0, static_cast<uint8_t>(f.expected.layer_outputs[2][0] + 1));
    CHECK(f.sb.input_mismatch()->check == "layer output");
  }
}

TEST_CASE("a mismatch describes itself with slot and candidate, not an encoded number", "[scoreboard]") {
  Mismatch m;
  m.input = 3;
  m.check = "SAE metric";
  m.rank = CheckRank::SaeMetric;
  m.layer = 2;
  m.layer_name = "sae:fc2";
  m.slot = 1;
  m.candidate = 2;
  m.expected = 10;
  m.got = 11;
  m.bits = 6;
  CHECK(m.describe() == "input 3: SAE metric mismatch in layer 2 'sae:fc2', slot 1, candidate 2: expected 10, got 11 (6-bit)");
}

TEST_CASE("a read-back after a re-run is checked against the re-run's output, and says so", "[scoreboard]") {
  Model m{"digits_mlp"};
  ProgramResult e = m.expected(0);
  e.rerun = true;
  e.rerun_outputs = e.layer_outputs;
  e.rerun_outputs.back()[0] ^= 1;
  Scoreboard sb;
  sb.begin_input(0, m.program, e, 100);
  sb.check_readback(e.layer_outputs.back());  // the first pass's output, which the re-run replaced
  REQUIRE(sb.input_mismatch());
  CHECK(sb.input_mismatch()->pass == 1);
  CHECK(sb.input_mismatch()->describe().find("in re-run layer") != std::string::npos);
}
