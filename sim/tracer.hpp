#pragma once
// Waveform tracing over a window of cycles, in VCD or FST chosen by the file
// name. The device writes VCD; for .fst the tracer converts with GTKWave's
// vcd2fst when the window closes (run directly, no shell: any file name
// works). The file is closed (and
// converted) on every exit path: window end, end of run, mismatch,
// watchdog, SIGINT/SIGTERM/SIGHUP (the harness turns signals into an exception, so
// this destructor runs).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/device.hpp"

namespace aps::sim {

struct TraceWindow {
  int64_t start = 0;   // first cycle traced
  int64_t end = -1;    // first cycle not traced; -1 = until the end
};

// The files a trace at `path` writes: the trace, the VCD an FST is converted
// from, and the GTKWave save file; a tool checks them all before a run.
std::vector<std::string> trace_files(const std::string& path);

class Tracer {
 public:
  // InputError if the extension is neither .vcd nor .fst, or if .fst is
  // asked for and vcd2fst is missing.
  Tracer(std::string path, TraceWindow window);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Called before each device step with the cycle about to run. A window
  // that ends mid-run and cannot be closed does not stop the run: close()
  // throws its error at the end instead.
  void before_cycle(int64_t cycle, Device& device);
  // The window holds `cycle`.
  bool inside(int64_t cycle) const;
  // Closes the trace (idempotent); returns the file written, or "" if the
  // window never opened. A GTKWave save file is written beside it
  // (waveform_view.hpp), with the marker at `marker_cycle` if given.
  std::string close(std::optional<int64_t> marker_cycle = std::nullopt);
  const std::string& path() const { return path_; }
  const TraceWindow& window() const { return window_; }

 private:
  std::string path_;
  TraceWindow window_;
  bool fst_ = false;
  Device* device_ = nullptr;  // while open
  bool written_ = false;
  std::string converter_;  // vcd2fst, for .fst
  int64_t opened_cycle_ = 0;
  std::vector<std::string> signals_;  // what the trace declares, read when it closes
  std::string close_error_;  // why the window's own close failed, for close() to throw
  void write_view(std::optional<int64_t> marker_cycle) const;
  std::string vcd_path() const;
};

}  // namespace aps::sim
