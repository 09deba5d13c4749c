// The tracer's window on the behavioural device: it opens at the window's
// first cycle, closes at its end (or when the run ends or unwinds), refuses
// empty windows and unknown formats, and converts to FST without a shell,
// whatever characters the file name holds.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "golden/errors.hpp"
#include "sim/tests/harness_fixture.hpp"
#include "sim/tracer.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;
using namespace aps::sim;
using namespace aps::sim::test;

namespace {
// The cycles a VCD file holds a rising edge at (time 2 * cycle).
std::vector<int64_t> traced_cycles(const std::filesystem::path& vcd) {
  std::ifstream in(vcd);
  std::vector<int64_t> cycles;
  for (std::string line; std::getline(in, line);)
    if (line.size() > 1 && line[0] == '#' && std::stoll(line.substr(1)) % 2 == 0) cycles.push_back(std::stoll(line.substr(1)) / 2);
  return cycles;
}
}  // namespace

TEST_CASE("the trace holds exactly the window's cycles", "[tracer]") {
  const aps::test::ScratchFolder dir("tracer_window");
  const Model m("digits_mlp");
  const auto path = dir / "window.vcd";
  SimController c(std::make_unique<BehaviouralDevice>(m.program, DeviceOptions{}));
  Tracer t(path.string(), {10, 20});
  c.set_tracer(&t);
  for (int i = 0; i < 40; ++i) c.step({});
  CHECK(t.close() == path.string());
  const auto cycles = traced_cycles(path);
  REQUIRE(cycles.size() == 10);
  CHECK(cycles.front() == 10);
  CHECK(cycles.back() == 19);
}

TEST_CASE("a trace window that never opens writes nothing, bad windows and formats are refused", "[tracer]") {
  const aps::test::ScratchFolder dir("tracer_refused");
  CHECK_THROWS_AS(Tracer((dir / "empty.vcd").string(), {5, 5}), InputError);
  CHECK_THROWS_WITH(Tracer((dir / "trace.txt").string(), {}), Catch::Contains("must end in .vcd or .fst"));
  Tracer late((dir / "late.vcd").string(), {1000, -1});
  CHECK(late.close().empty());
}

TEST_CASE("a trace unwound by an exception is closed and complete", "[tracer]") {
  const aps::test::ScratchFolder dir("tracer_unwound");
  const Model m("digits_mlp");
  const auto path = dir / "unwound.vcd";
  try {
    SimController c(std::make_unique<BehaviouralDevice>(m.program, DeviceOptions{}));
    Tracer t(path.string(), {0, -1});
    c.set_tracer(&t);
    for (int i = 0; i < 5; ++i) c.step({});
    throw std::runtime_error("a mismatch, a watchdog, a signal");
  } catch (const std::runtime_error&) {
  }
  CHECK(traced_cycles(path).size() == 5);
}

TEST_CASE("FST traces convert without a shell, whatever the file name", "[tracer]") {
  const aps::test::ScratchFolder dir("tracer_fst");
  const Model m("digits_mlp");
  const auto path = dir / "it's a \"trace\" $(x).fst";
  std::filesystem::remove(path);
  {
    SimController c(std::make_unique<BehaviouralDevice>(m.program, DeviceOptions{}));
    Tracer t(path.string(), {0, 30});
    c.set_tracer(&t);
    for (int i = 0; i < 40; ++i) c.step({});
    CHECK(t.close() == path.string());
  }
  REQUIRE(std::filesystem::exists(path));
  CHECK(std::filesystem::file_size(path) > 0);
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp.vcd"));
}
