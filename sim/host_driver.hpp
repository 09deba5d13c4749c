#pragma once
// Host-port transactions on the simulated accelerator: 32-bit reads and
// writes with the valid/ready handshake, optional random stalls between
// requests (to shake out protocol assumptions), and waiting for done.

#include <cstdint>
#include <random>
#include <span>

#include "sim/sim_controller.hpp"

namespace aps::sim {

// How the host learns that a run has ended. A real driver does one of these;
// the regression draws one per case, since each exercises the host port
// differently while the accelerator is busy.
enum class HostWait {
  DonePin,      // wait for the done (interrupt) pin
  PollStatus,   // read the STATUS register until its done bit is set
  BlockedRead,  // read a scratchpad word: the port holds the request until the run ends
};

class HostDriver {
 public:
  // stall_probability: chance of an idle cycle before each request.
  explicit HostDriver(SimController& controller, uint64_t stall_seed = 0, double stall_probability = 0.0);

  void write32(uint32_t addr, uint32_t data);
  uint32_t read32(uint32_t addr);
  // Consecutive 32-bit words from `addr`.
  void write_words(uint32_t addr, std::span<const uint32_t> words);
  void write_bytes(uint32_t addr, std::span<const uint8_t> bytes);  // size a multiple of 4
  std::vector<uint8_t> read_bytes(uint32_t addr, size_t count);     // count a multiple of 4
  void idle(int cycles);
  // Waits until the run has ended, as `how` says, and returns the pins of
  // the cycle that showed it; WatchdogTimeout after max_cycles.
  DeviceOutputs wait_done(int64_t max_cycles, HostWait how = HostWait::DonePin);
  // Idle cycles the random stalls have inserted so far.
  int64_t stall_cycles() const { return stall_cycles_; }

  // Outside a run's watch (wait_done's watchdog), a single access may wait
  // this long for the port: a register or an idle scratchpad answers in a
  // few cycles, so a port that does not has hung.
  static constexpr int64_t kAccessCycles = 100000;

  SimController& controller() { return controller_; }

 private:
  DeviceOutputs issue(const DeviceInputs& request);
  void maybe_stall();
  // WatchdogTimeout once an access has waited kAccessCycles outside a watch.
  void check_access(int64_t waited, const char* what, uint32_t addr) const;

  SimController& controller_;
  std::mt19937_64 rng_;
  double stall_probability_;
  int64_t stall_cycles_ = 0;
};

}  // namespace aps::sim
