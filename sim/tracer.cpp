#include "sim/tracer.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>

#include "golden/exit_code.hpp"

namespace aps::sim {

Tracer::Tracer(std::string path, TraceWindow window) : path_(std::move(path)), window_(window) {
  const std::string ext = std::filesystem::path(path_).extension().string();
  if (ext == ".fst") {
    fst_ = true;
    if (std::system("command -v vcd2fst >/dev/null 2>&1") != 0)
      throw InputError(fmt::format("{}: FST output needs vcd2fst (Debian package gtkwave)", path_));
  } else if (ext != ".vcd") {
    throw InputError(fmt::format("{}: trace files must end in .vcd or .fst", path_));
  }
  if (window_.end >= 0 && window_.end <= window_.start)
    throw InputError(fmt::format("trace window [{}, {}) is empty", window_.start, window_.end));
}

Tracer::~Tracer() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() already reported what it could.
  }
}

std::string Tracer::vcd_path() const { return fst_ ? path_ + ".tmp.vcd" : path_; }

void Tracer::before_cycle(int64_t cycle, Device& device) {
  const bool inside = cycle >= window_.start && (window_.end < 0 || cycle < window_.end);
  if (inside && !device_ && !written_) {
    device.trace_open(vcd_path());
    device_ = &device;
  } else if (!inside && device_) {
    close();
  }
}

std::string Tracer::close() {
  if (!device_) return written_ ? path_ : "";
  device_->trace_close();
  device_ = nullptr;
  written_ = true;
  if (fst_) {
    const std::string cmd = fmt::format("vcd2fst -v '{}' -f '{}' >/dev/null 2>&1", vcd_path(), path_);
    const int rc = std::system(cmd.c_str());
    std::remove(vcd_path().c_str());
    if (rc != 0) throw InputError(fmt::format("{}: vcd2fst failed to convert the trace", path_));
  }
  return path_;
}

}  // namespace aps::sim
