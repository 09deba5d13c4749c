#include "sim/sim_controller.hpp"

#include <csignal>
#include <fmt/format.h>

namespace aps::sim {

std::atomic<int>& stop_request() {
  static std::atomic<int> flag{0};
  return flag;
}

namespace {
extern "C" void on_stop_signal(int sig) { stop_request().store(sig); }
}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGHUP, on_stop_signal);  // the terminal or the ssh session that ran it closed
}

SimController::SimController(std::unique_ptr<Device> device) : device_(std::move(device)) {}

// Reset cycles count as cycles, so that waveform time is always 2 * cycle.
void SimController::reset(int cycles) {
  device_->reset(cycles);
  if (memory_) memory_->reset_port();
  cycle_ += cycles;
}

void SimController::arm_watchdog(int64_t limit) {
  watchdog_start_ = cycle_;
  watchdog_limit_ = limit;
}

DeviceOutputs SimController::step(const DeviceInputs& in) {
  if (const int sig = stop_request().load()) throw Interrupted(sig);
  if (watchdog_limit_ > 0 && cycle_ - watchdog_start_ >= watchdog_limit_)
    throw WatchdogTimeout(fmt::format("no result after {} cycles", watchdog_limit_));
  if (tracer_) tracer_->before_cycle(cycle_, *device_);
  DeviceInputs pins = in;
  if (memory_) memory_->drive(cycle_, pins);
  const DeviceOutputs out = device_->step(pins);
  if (memory_) memory_->commit(cycle_, pins, out);
  for (const auto& hook : hooks_) hook(cycle_, out);
  ++cycle_;
  if (device_->failed()) {
    const std::string detail = device_->failure_detail();
    throw RtlAssertion(fmt::format("an RTL assertion failed at cycle {}{}{}", cycle_ - 1, detail.empty() ? "" : ": ", detail));
  }
  if (memory_ && !memory_->error().empty()) throw RtlAssertion(memory_->error());
  return out;
}

}  // namespace aps::sim
