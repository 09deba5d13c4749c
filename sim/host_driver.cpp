#include "sim/host_driver.hpp"

#include <cstring>

#include <fmt/format.h>

#include "generated/host_interface.hpp"

namespace aps::sim {

HostDriver::HostDriver(SimController& controller, uint64_t stall_seed, double stall_probability)
    : controller_(controller), rng_(stall_seed), stall_probability_(stall_probability) {}

void HostDriver::maybe_stall() {
  if (stall_probability_ <= 0) return;
  std::bernoulli_distribution stall(stall_probability_);
  while (stall(rng_)) {
    controller_.step({});
    ++stall_cycles_;
  }
}

void HostDriver::check_access(int64_t waited, const char* what, uint32_t addr) const {
  if (waited >= kAccessCycles && !controller_.watchdog_armed())
    throw WatchdogTimeout(fmt::format("the host port did not {} {:#010x} within {} cycles", what, addr, kAccessCycles));
}

// Holds the request until the cycle in which ready is seen: the transfer
// happens at that cycle's rising edge.
DeviceOutputs HostDriver::issue(const DeviceInputs& request) {
  maybe_stall();
  for (int64_t waited = 0;; ++waited) {
    check_access(waited, request.req_write ? "take a write to" : "take a read of", request.req_addr);
    const DeviceOutputs out = controller_.step(request);
    if (out.req_ready) return out;
  }
}

void HostDriver::write32(uint32_t addr, uint32_t data) { issue({true, true, addr, data}); }

uint32_t HostDriver::read32(uint32_t addr) {
  issue({true, false, addr, 0});
  for (int64_t waited = 0;; ++waited) {
    check_access(waited, "answer a read of", addr);
    const DeviceOutputs out = controller_.step({});
    if (out.rsp_valid) return out.rsp_rdata;
  }
}

void HostDriver::write_words(uint32_t addr, std::span<const uint32_t> words) {
  for (size_t i = 0; i < words.size(); ++i) write32(addr + static_cast<uint32_t>(4 * i), words[i]);
}

void HostDriver::write_bytes(uint32_t addr, std::span<const uint8_t> bytes) {
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    uint32_t w;
    std::memcpy(&w, bytes.data() + i, 4);
    write32(addr + static_cast<uint32_t>(i), w);
  }
}

std::vector<uint8_t> HostDriver::read_bytes(uint32_t addr, size_t count) {
  std::vector<uint8_t> out(count);
  for (size_t i = 0; i + 4 <= count; i += 4) {
    const uint32_t w = read32(addr + static_cast<uint32_t>(i));
    std::memcpy(out.data() + i, &w, 4);
  }
  return out;
}

void HostDriver::idle(int cycles) {
  for (int i = 0; i < cycles; ++i) controller_.step({});
}

DeviceOutputs HostDriver::wait_done(int64_t max_cycles, HostWait how) {
  controller_.arm_watchdog(max_cycles);
  DeviceOutputs out;
  try {
    if (how == HostWait::PollStatus) {
      while (!hw::CsrStatus::unpack(read32(hw::kCsrBase + hw::kCsrStatus)).done) {
      }
    } else if (how == HostWait::BlockedRead) {
      read32(hw::kActBase);
    }
    do {
      out = controller_.step({});
    } while (!out.done);
  } catch (...) {
    controller_.disarm_watchdog();  // the caller may still talk to the device
    throw;
  }
  controller_.disarm_watchdog();
  return out;
}

}  // namespace aps::sim
