#pragma once
// Simulation controller (after OpenTitan's simutil_verilator): owns the
// device and simulated time, connects the external memory to the device's
// memory port, applies the watchdog, honours stop requests from signal
// handlers, runs the tracer, and calls extension hooks on every cycle (the
// monitor is one).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/device.hpp"
#include "sim/external_memory.hpp"
#include "sim/tracer.hpp"

namespace aps::sim {

// The watchdog fired: the accelerator did not finish within the budget.
class WatchdogTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// SIGINT/SIGTERM/SIGHUP arrived; the run unwinds (closing traces and reports).
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal) : std::runtime_error("interrupted"), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// An RTL assertion or $error fired.
class RtlAssertion : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Set by the signal handler; every controller polls it once per cycle.
std::atomic<int>& stop_request();
// Installs SIGINT/SIGTERM/SIGHUP handlers that only set stop_request().
void install_stop_handlers();

using CycleHook = std::function<void(int64_t cycle, const DeviceOutputs& out)>;

class SimController {
 public:
  explicit SimController(std::unique_ptr<Device> device);

  void reset(int cycles = 4);
  DeviceOutputs step(const DeviceInputs& in);
  int64_t cycle() const { return cycle_; }
  Device& device() { return *device_; }
  // The memory on the device's memory port (it must outlive the controller's use of it).
  void attach_memory(ExternalMemory* memory) { memory_ = memory; }

  void add_hook(CycleHook hook) { hooks_.push_back(std::move(hook)); }
  void set_tracer(Tracer* tracer) { tracer_ = tracer; }
  // Budget for the current watch: WatchdogTimeout once `limit` cycles have
  // passed since arm_watchdog(). limit <= 0 disables it.
  void arm_watchdog(int64_t limit);
  void disarm_watchdog() { watchdog_limit_ = 0; }
  bool watchdog_armed() const { return watchdog_limit_ > 0; }

 private:
  std::unique_ptr<Device> device_;
  std::vector<CycleHook> hooks_;
  Tracer* tracer_ = nullptr;
  ExternalMemory* memory_ = nullptr;
  int64_t cycle_ = 0;
  int64_t watchdog_start_ = 0, watchdog_limit_ = 0;
};

}  // namespace aps::sim
