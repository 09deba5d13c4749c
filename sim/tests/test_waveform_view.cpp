// The GTKWave save file beside a trace: the trace's signals grouped, the view
// at the trace's start, the marker where the check failed.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "sim/waveform_view.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps::sim;

namespace {

std::string write_vcd(const std::filesystem::path& dir) {
  const auto path = dir / "aps_test_view.vcd";
  std::ofstream(path) << "$timescale 1ps $end\n"
                         "$scope module aps $end\n"
                         "$var wire 1 ! clk_i $end\n"
                         "$var wire 32 \" host_req_addr_i [31:0] $end\n"
                         "$var wire 1 # mon_valid_o $end\n"
                         "$scope module aps_top $end\n"
                         "$scope module u_sequencer $end\n"
                         "$var wire 5 $ state [4:0] $end\n"
                         "$var wire 32 % unrelated [31:0] $end\n"
                         "$upscope $end\n"
                         "$scope module u_pe_array $end\n"
                         "$scope module g_col[0] $end\n"
                         "$var wire 48 & acc [47:0] $end\n"
                         "$upscope $end\n"
                         "$upscope $end\n"
                         "$upscope $end\n"
                         "$upscope $end\n"
                         "$enddefinitions $end\n#0\n";
  return path.string();
}

}  // namespace

TEST_CASE("the save file groups the trace's signals and marks the failing cycle", "[trace]") {
  const aps::test::ScratchFolder dir("waveform_view");
  const auto names = vcd_signal_names(write_vcd(dir));
  REQUIRE(names.size() == 6);
  CHECK(names[1] == "aps.host_req_addr_i[31:0]");
  CHECK(names[4] == "aps.aps_top.u_sequencer.unrelated[31:0]");
  CHECK(names[5] == "aps.aps_top.u_pe_array.g_col[0].acc[47:0]");
  const std::string text = gtkw_text({"/tmp/x.vcd", names, 4000, 4242});
  CHECK(text.find("[dumpfile] \"/tmp/x.vcd\"") != std::string::npos);
  CHECK(text.find("[timestart] 4000") != std::string::npos);
  CHECK(text.find("*-4.000000 4242 ") != std::string::npos);
  CHECK(text.find("-Host port\n@22\naps.clk_i\naps.host_req_addr_i[31:0]\n") != std::string::npos);
  CHECK(text.find("-Sequencer\n@22\naps.aps_top.u_sequencer.state[4:0]\n@1000200") != std::string::npos);
  CHECK(text.find("-PE array\n@22\naps.aps_top.u_pe_array.g_col[0].acc[47:0]\n") != std::string::npos);
  CHECK(text.find("-Monitor\n@22\naps.mon_valid_o\n") != std::string::npos);
  CHECK(text.find("unrelated") == std::string::npos);  // in no group
  CHECK(text.find("SAE and PCU") == std::string::npos);  // a group the trace has no signal of is left out
}

TEST_CASE("without a failing check the view has no marker", "[trace]") {
  CHECK(gtkw_text({"t.vcd", {"aps.clk_i"}, 0, std::nullopt}).find("*-4.000000 -1 ") != std::string::npos);
}

TEST_CASE("the save file sits beside the trace", "[trace]") {
  CHECK(gtkw_path_for("out/fail.vcd") == "out/fail.gtkw");
  CHECK(gtkw_path_for("out.d/fail.fst") == "out.d/fail.gtkw");
  CHECK(gtkw_path_for("out.d/fail") == "out.d/fail.gtkw");
}
