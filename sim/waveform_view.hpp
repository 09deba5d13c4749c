#pragma once
// A GTKWave save file (.gtkw) beside a trace: it opens the trace with the
// accelerator's signals grouped (host port, memory port, sequencer, PE array,
// writeback and requantization, monitor, SAE and PCU), the view starting at
// the trace's first time stamp and the marker where a check failed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aps::sim {

// Every signal a VCD file declares, named as GTKWave names them in a save
// file ("aps.aps_top.u_sequencer.state[4:0]"). InputError if it cannot be read.
std::vector<std::string> vcd_signal_names(const std::string& vcd_path);

struct WaveformView {
  std::string dump_file;               // the trace the view opens
  std::vector<std::string> signals;    // what the trace holds (vcd_signal_names)
  int64_t start_time = 0;              // waveform time (2 units per cycle)
  std::optional<int64_t> marker_time;  // the failing check's cycle, in waveform time
};

// The save file's text: each group holds the trace's signals that match it.
std::string gtkw_text(const WaveformView& view);

// "trace.vcd" / "trace.fst" -> "trace.gtkw".
std::string gtkw_path_for(const std::string& trace_path);

}  // namespace aps::sim
