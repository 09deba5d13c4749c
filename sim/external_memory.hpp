#pragma once
// The external memory behind the accelerator's memory port: a byte array the
// host fills by backdoor (the model image, each input) and reads back (the
// output), and a port model with a fixed latency and a bytes-per-cycle limit
// (golden/accelerator/memory_plan.hpp, MemoryTiming), deterministic, so that
// the golden cycle model predicts every transfer exactly.
//
// The port protocol (rtl/aps_dma.sv is the other side): one burst at a time.
// A request (address, beats, write) is taken when valid && ready; ready is
// high while no burst is in flight, once the request has waited
// request_wait cycles (back-pressure, 0 by default). A read burst taken at cycle A answers
// beat k at cycle A + latency + k * P (P = beat cycles), each held until the
// port takes it. A write burst taken at cycle A accepts beat k no earlier
// than cycle A + 1 + k * P and P cycles after the previous one; its one
// response comes `latency` cycles after the last beat. Anything else
// (a beat with no burst, a burst past the end, an unaligned address, a
// request of 0 or more than MaxBurst beats) is a protocol error: the memory
// records the first one and the session reports it as an RTL failure.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "golden/accelerator/memory_plan.hpp"
#include "sim/device.hpp"

namespace aps::sim {

class ExternalMemory {
 public:
  // Bytes never written read as this (a read of unwritten memory is a bug
  // the comparison should see, not a convenient zero).
  static constexpr uint8_t kUnwritten = 0xA5;

  ExternalMemory(const MemoryTiming& timing, int rows);

  const MemoryTiming& timing() const { return timing_; }
  int64_t size() const { return timing_.size_bytes; }

  // Backdoor access (no cycles). Out-of-range access throws std::out_of_range.
  void write(uint64_t address, std::span<const uint8_t> bytes);
  std::vector<uint8_t> read(uint64_t address, size_t count) const;

  // Drops the burst in flight (the accelerator was reset); the contents stay.
  void reset_port();
  // The port, once per cycle: what the memory drives in `cycle` (from its
  // state only), then what it took once the device has seen it.
  void drive(int64_t cycle, DeviceInputs& in) const;
  void commit(int64_t cycle, const DeviceInputs& in, const DeviceOutputs& out);

  // The first protocol error ("" if none).
  const std::string& error() const { return error_; }
  // Beats moved through the port since construction.
  int64_t beats() const { return beats_; }

 private:
  static constexpr uint64_t kPageBytes = 64 * 1024;

  uint8_t* page(uint64_t address);
  void fail(const std::string& what);

  MemoryTiming timing_;
  int rows_;
  int64_t period_;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;

  // The burst in flight.
  bool busy_ = false, write_ = false;
  uint64_t address_ = 0;
  int64_t beats_left_ = 0, next_beat_ = 0;  // next beat: its address and earliest cycle
  bool acking_ = false;
  int64_t ack_at_ = 0;
  int64_t waiting_since_ = -1;  // the cycle the request now held back was first seen
  int64_t beats_ = 0;
  std::string error_;
};

}  // namespace aps::sim
