#include "sim/waveform_view.hpp"

#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <sstream>

#include "golden/errors.hpp"

namespace aps::sim {
namespace {

struct Group {
  const char* title;
  const char* pattern;  // matched against the name without its bit range
};

// The groups a failing layer is read with, in screen order. Patterns name
// signals by their place in rtl/aps_top.sv's hierarchy.
const Group kGroups[] = {
    {"Host port", R"(^aps\.(clk_i|rst_ni|host_.*|done_o|irq_o)$)"},
    {"Memory port", R"(^aps\.mem_.*$)"},
    {"Sequencer", R"(^aps\.aps_top\.u_sequencer\.(state|layer|kind|bits|plane|tile|pixel|word|step_end|need_store)$)"},
    {"DMA", R"(^aps\.aps_top\.u_dma\.(state|op|left|word|burst)$)"},
    {"PE array", R"(^aps\.aps_top\.u_pe_array\.(bits_i|plane_i|step_i|capture_i|first_word_i|last_plane_i|g_col\[0\]\.(partial|acc)|result_o\[0\])$)"},
    {"Writeback and requantization", R"(^aps\.aps_top\.u_writeback\.(b_valid|b_value|b_channel|b_pixel|value|ready_o)$)"},
    {"Monitor", R"(^aps\.mon_.*$)"},
    {"SAE and PCU", R"(^aps\.aps_top\.(u_sae\.(running|issued|s2_valid|s3_valid)|u_pcu\.(state|cursor|done_o))$)"},
};

// "…acc[47:0]" -> "…acc"; an index such as g_col[0] or values_i[0] stays.
std::string without_range(const std::string& name) {
  const auto open = name.rfind('[');
  if (open == std::string::npos || name.back() != ']' || name.find(':', open) == std::string::npos) return name;
  return name.substr(0, open);
}

}  // namespace

std::vector<std::string> vcd_signal_names(const std::string& vcd_path) {
  std::ifstream in(vcd_path);
  if (!in) throw InputError(fmt::format("{}: cannot read the trace", vcd_path));
  std::vector<std::string> scope, names;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w;
    words >> w;
    if (w == "$scope") {
      std::string kind, name;
      words >> kind >> name;
      scope.push_back(name);
    } else if (w == "$upscope") {
      if (!scope.empty()) scope.pop_back();
    } else if (w == "$var") {
      std::string kind, width, id, name, range;
      words >> kind >> width >> id >> name >> range;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      full += name;
      if (!range.empty() && range != "$end") full += range;
      names.push_back(full);
    } else if (w == "$enddefinitions") {
      break;
    }
  }
  return names;
}

std::string gtkw_path_for(const std::string& trace_path) {
  const auto dot = trace_path.rfind('.');
  const auto slash = trace_path.rfind('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? trace_path.substr(0, dot) : trace_path) + ".gtkw";
}

std::string gtkw_text(const WaveformView& view) {
  std::string s = "[*] written by aps-sim: the accelerator's signals, the marker at the failing check\n";
  s += fmt::format("[dumpfile] \"{}\"\n", view.dump_file);
  s += fmt::format("[timestart] {}\n", view.start_time);
  s += "[size] 1600 900\n";
  // The '*' line: zoom, then the primary marker (-1: none).
  s += fmt::format("*-4.000000 {} -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1\n",
                   view.marker_time.value_or(-1));
  s += "[treeopen] aps.\n[treeopen] aps.aps_top.\n";
  for (const Group& g : kGroups) {
    const std::regex re(g.pattern);
    std::vector<std::string> members;
    for (const auto& n : view.signals)
      if (std::regex_match(without_range(n), re)) members.push_back(n);
    if (members.empty()) continue;
    // Group open (0x800000 group begin | 0x200 blank), then the signals in
    // hex (0x22: hex, right-justified), then group close (0x1000000).
    s += fmt::format("@800200\n-{}\n@22\n", g.title);
    for (const auto& m : members) s += m + "\n";
    s += fmt::format("@1000200\n-{}\n", g.title);
  }
  return s;
}

}  // namespace aps::sim
