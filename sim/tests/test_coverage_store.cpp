// The coverage store: points from several devices summed by key, written in
// Verilator's format, and text that is not coverage data refused.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "golden/errors.hpp"
#include "sim/coverage_store.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;
using namespace aps::sim;

namespace {
const std::string kA = "\x01" "page\x02" "v_user/aps_dma\x01" "h\x02" "aps.aps_top.u_dma.cov_memory_port.load_act";
const std::string kB = "\x01" "page\x02" "v_line/aps_pcu\x01" "l\x02" "12";
}  // namespace

TEST_CASE("coverage points of several devices are summed by key, in first-seen order", "[coverage]") {
  const aps::test::ScratchFolder scratch("coverage_store");
  CoverageStore store;
  store.add("# SystemC::Coverage-3\nC '" + kA + "' 3\nC '" + kB + "' 0\n");
  store.add("# SystemC::Coverage-3\nC '" + kB + "' 5\nC '" + kA + "' 4\n");
  CHECK(store.points() == 2);
  CHECK(store.count(kA) == 7);
  CHECK(store.count(kB) == 5);
  const auto path = scratch / "aps-test-coverage.dat";
  store.write(path.string());
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "# SystemC::Coverage-3\nC '" + kA + "' 7\nC '" + kB + "' 5\n");
  CoverageStore again;  // what it writes, it reads
  again.add(text.str());
  CHECK(again.count(kA) == 7);
  std::filesystem::remove(path);
}

TEST_CASE("text that is not coverage data is refused with its line", "[coverage]") {
  CoverageStore store;
  CHECK_THROWS_WITH(store.add("# SystemC::Coverage-3\nC '" + kA + "' 3\nhello\n"), Catch::Contains("line 3"));
  CHECK_THROWS_WITH(store.add("C '" + kA + "' many\n"), Catch::Contains("no count"));
}
