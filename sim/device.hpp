#pragma once
// The accelerator as the host side sees it: pins in, pins out, one clock
// cycle per step. The harness talks only to this interface (after TVM VTA's
// split between the simulated device and the host runtime), so nothing but
// verilated_device.cpp includes a Verilator header; each RTL build (normal,
// fault injection) links its own make_device(), and the harness's
// own tests run against a behavioural stand-in (behavioural_device.hpp).

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "generated/host_interface.hpp"

namespace aps::sim {

class ExternalMemory;
class CoverageStore;

// One memory-port beat: ROWS bytes (at most 16), in lane order.
using Beat = std::array<uint8_t, 16>;

struct DeviceInputs {
  // host port
  bool req_valid = false;
  bool req_write = false;
  uint32_t req_addr = 0;
  uint32_t req_wdata = 0;
  // memory port, from the external memory
  bool mem_req_ready = false;
  bool mem_wready = false;
  bool mem_rsp_valid = false;
  Beat mem_rsp_data{};
};

struct DeviceOutputs {
  bool req_ready = false;
  bool rsp_valid = false;
  uint32_t rsp_rdata = 0;
  bool done = false;
  bool irq = false;
  bool mon_valid = false;
  bool mon_pass = false;  // the cascade's re-run
  uint8_t mon_layer = 0;  // the RTL's step_t
  uint32_t mon_index = 0;
  uint8_t mon_value = 0;
  // memory port, to the external memory
  bool mem_req_valid = false;
  bool mem_req_write = false;
  uint32_t mem_req_addr = 0;
  uint32_t mem_req_beats = 0;
  bool mem_wvalid = false;
  Beat mem_wdata{};
  bool mem_rsp_ready = false;
};
static_assert(hw::kStepBits <= 8, "DeviceOutputs::mon_layer holds the RTL's step_t");

struct DeviceOptions {
  uint64_t seed = 1;          // Verilator's random initial state (+verilator+rand+reset+2)
  bool random_reset = true;   // randomize state that reset does not set
  // Where the device adds its coverage counts when it is destroyed (RTL
  // builds with coverage only: rtl_has_coverage()).
  CoverageStore* coverage = nullptr;
};

class Device {
 public:
  virtual ~Device() = default;
  // Holds reset for `cycles` cycles, then releases it.
  virtual void reset(int cycles) = 0;
  // One clock cycle: apply inputs, settle, sample outputs (the values during
  // this cycle, before the rising edge), then the rising and falling edges.
  virtual DeviceOutputs step(const DeviceInputs& in) = 0;
  // Waveforms: VCD into `path` from now until trace_close().
  virtual void trace_open(const std::string& path) = 0;
  virtual void trace_close() = 0;
  virtual bool tracing() const = 0;
  // Array parameters the RTL was built with.
  virtual int rows() const = 0;
  virtual int cols() const = 0;
  // The memory on the memory port. A verilated device reaches it through its
  // pins only (the controller connects them); the behavioural stand-in, which
  // has no DMA engine, reads its input and writes its output here directly.
  virtual void attach_memory(ExternalMemory* /*memory*/) {}
  // Which build this is ("rtl", or the planted fault's name).
  virtual std::string variant() const = 0;
  // Assertion failures and $error/$fatal messages make Verilator stop; the
  // device reports them here instead of aborting the process.
  virtual bool failed() const = 0;
  // What the failed check said, where the device keeps it (the behavioural
  // stand-in); the verilated RTL prints its own messages and returns "".
  virtual std::string failure_detail() const { return ""; }
};

// How a session builds its device.
using DeviceFactory = std::function<std::unique_ptr<Device>(const DeviceOptions&)>;

// The verilated RTL this executable links (sim/verilated_device.cpp).
std::unique_ptr<Device> make_device(const DeviceOptions& options);
// Whether that RTL build counts coverage (the aps-sim-coverage build).
bool rtl_has_coverage();
// The command that runs that RTL build again, for reproduce lines: aps-sim,
// or aps-sim-fault-<name> with a planted fault.
std::string rtl_command_name();

}  // namespace aps::sim
