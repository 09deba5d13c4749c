#include "sim/tracer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>
#include <fmt/format.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "golden/errors.hpp"
#include "sim/sim_controller.hpp"
#include "sim/waveform_view.hpp"

extern char** environ;

namespace aps::sim {
namespace {

// The program `name` on PATH, or "" if there is none.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// Runs a program with these arguments, no shell in between (a file name is
// passed as it is, whatever characters it holds), its output discarded;
// returns its exit status (-1 if it could not run).
int run_program(const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

Tracer::Tracer(std::string path, TraceWindow window) : path_(std::move(path)), window_(window) {
  trace_files(path_);  // refuses an extension other than .vcd and .fst
  if (std::filesystem::path(path_).extension() == ".fst") {
    fst_ = true;
    converter_ = find_program("vcd2fst");
    if (converter_.empty()) throw InputError(fmt::format("{}: FST output needs vcd2fst (Debian package gtkwave)", path_));
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

std::vector<std::string> trace_files(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext != ".vcd" && ext != ".fst") throw InputError(fmt::format("{}: trace files must end in .vcd or .fst", path));
  std::vector<std::string> files{path, gtkw_path_for(path)};
  if (std::filesystem::path(path).extension() == ".fst") files.push_back(path + ".tmp.vcd");
  return files;
}

bool Tracer::inside(int64_t cycle) const { return cycle >= window_.start && (window_.end < 0 || cycle < window_.end); }

void Tracer::before_cycle(int64_t cycle, Device& device) {
  if (inside(cycle) && !device_ && !written_) {
    device.trace_open(vcd_path());
    device_ = &device;
    opened_cycle_ = cycle;
  } else if (!inside(cycle) && device_) {
    try {
      close();
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      close_error_ = e.what();
    }
  }
}

std::string Tracer::close(std::optional<int64_t> marker_cycle) {
  if (!close_error_.empty()) throw InputError(std::exchange(close_error_, ""));
  if (!device_) {
    // The window may have ended before the caller knew where to mark.
    if (written_ && marker_cycle) write_view(marker_cycle);
    return written_ ? path_ : "";
  }
  // Not retried: a device whose trace cannot close would otherwise be asked again every cycle.
  std::exchange(device_, nullptr)->trace_close();
  written_ = true;
  signals_ = vcd_signal_names(vcd_path());
  if (fst_) {
    const int rc = run_program({converter_, "-v", vcd_path(), "-f", path_});
    std::remove(vcd_path().c_str());
    // A signal stops the converter too (it runs in our process group): that
    // is an interrupted run, not a trace that cannot be written.
    if (rc != 0 && stop_request().load()) throw Interrupted(stop_request().load());
    if (rc != 0) throw InputError(fmt::format("{}: vcd2fst failed to convert the trace", path_));
  }
  write_view(marker_cycle);
  return path_;
}

void Tracer::write_view(std::optional<int64_t> marker_cycle) const {
  const WaveformView view{std::filesystem::absolute(path_).string(), signals_, 2 * opened_cycle_,
                          marker_cycle ? std::optional<int64_t>(2 * *marker_cycle) : std::nullopt};
  const std::string gtkw = gtkw_path_for(path_);
  std::ofstream out(gtkw);
  out << gtkw_text(view);
  if (!out) throw InputError(fmt::format("{}: cannot write the GTKWave save file", gtkw));
}

}  // namespace aps::sim
