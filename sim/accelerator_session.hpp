#pragma once
// One accelerator instance running one network program: creates and resets
// the device and its external memory, reads what the RTL build offers, plans
// where the program's data lives, loads the on-chip tables over the host port
// and the external image by backdoor, then runs inputs one after another
// (each written into the external memory, its output read back from there)
// and checks each with the scoreboard. Instances are independent, so --jobs
// runs several on threads.

#include <memory>
#include <optional>
#include <string>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "sim/external_memory.hpp"
#include "sim/host_driver.hpp"
#include "sim/program_image.hpp"
#include "sim/scoreboard.hpp"
#include "sim/sim_controller.hpp"
#include "sim/tracer.hpp"

namespace aps::sim {

struct SessionOptions {
  DeviceFactory make_device;        // the device to run on (an RTL build: sim::make_device); required
  DeviceOptions device;
  MemoryTiming memory;              // the external memory's size, latency and bandwidth
  int64_t spm_words = 0;            // scratchpad words the plan may use (0: all the build has)
  int64_t max_cycles = 10'000'000;  // watchdog budget per input
  uint64_t stall_seed = 0;
  double stall_probability = 0.0;   // random idle cycles between host requests
  HostWait host_wait = HostWait::DonePin;
  std::string trace_path;           // empty = no trace
  TraceWindow trace_window;
};

struct InputRun {
  bool passed = false;
  int64_t cycles = 0;               // accelerator cycles of the run (CSR)
  std::vector<int64_t> layer_cycles;        // per step, pass 0
  std::vector<int64_t> rerun_layer_cycles;  // per step, the cascade's re-run (empty without one)
  int64_t start_cycle = 0;          // simulation cycle of the start command
  int64_t pcu_cycles = 0;           // pass 0: cycles in PCU decisions (CSR)
  int64_t sae_cycles = 0;           // pass 0: cycles in SAE scans and shadow layers (CSR)
  int64_t stalls = 0;               // cycles a finished pixel waited for the writeback (CSR)
  int64_t mem_stalls = 0;           // cycles the sequencer waited for the memory port (CSR)
  int64_t mem_beats = 0;            // memory-port beats (CSR)
  int64_t act_plane_reads = 0;      // activation-word planes read for the array (CSR)
  int64_t wgt_plane_reads = 0;      // weight-tile-word planes read (CSR)
  std::vector<int64_t> layer_mem_stalls, layer_mem_beats;  // per step, pass 0 (CSR logs)
  bool rerun = false;               // the cascade re-ran the input
  Codes output;                     // read back from the external memory
  // The end-of-run pins (interrupt enabled): the cycle done rose, and the
  // cycle after the host wrote 1 to status.done.
  bool irq_at_done = false;
  bool done_after_clear = false, irq_after_clear = false;
};

// What a device offers (array shape, memory sizes), read from the CSRs of a
// fresh one.
HardwareLimits probe_hardware(const DeviceFactory& make_device, const DeviceOptions& options);

class AcceleratorSession {
 public:
  AcceleratorSession(const NetworkProgram& program, const SessionOptions& options);
  ~AcceleratorSession();

  const HardwareLimits& limits() const { return limits_; }
  // Where the program runs: the build, its memory plan, the memory's timing.
  const Platform& platform() const { return platform_; }
  ExternalMemory& memory() { return *memory_; }
  // Writes the precision configuration of every step the PCU does not
  // control (descriptor word 0).
  void configure(const std::vector<LayerConfig>& configs);
  // Resets the device (as a host would after a fault) and loads the image
  // and configuration again.
  void restart();
  // The driver, for tests that poke the device directly.
  HostDriver& driver() { return driver_; }
  // What was loaded into the accelerator's tables and memory.
  const ProgramImage& image() const { return image_; }
  // Runs one input and checks it against `expected` (golden, same configs).
  InputRun run(int64_t input_index, const Codes& input, const ProgramResult& expected, Scoreboard& scoreboard);
  // Runs one input on the RTL alone: nothing is compared (there is no golden
  // result), the counters and the output are still read. For measuring what
  // the checks cost (aps-bench's RTL-only rows).
  InputRun run_unchecked(int64_t input_index, const Codes& input);
  // Starts a trace now (the window is in simulation cycles).
  void start_trace(const std::string& path, TraceWindow window);
  // Closes the trace; returns the file name or "". Its GTKWave save file
  // gets the marker at `marker_cycle` when one is given.
  std::string close_trace(std::optional<int64_t> marker_cycle = std::nullopt);
  int64_t cycle() const { return controller_.cycle(); }
  const std::string& variant() const { return variant_; }

 private:
  void load_image();
  friend HardwareLimits probe_hardware(const DeviceFactory& make_device, const DeviceOptions& options);
  static HardwareLimits read_limits(HostDriver& driver);

  const NetworkProgram& program_;
  SessionOptions options_;
  SimController controller_;
  HostDriver driver_;
  HardwareLimits limits_;
  std::unique_ptr<ExternalMemory> memory_;
  Platform platform_;
  ProgramImage image_;
  std::vector<LayerConfig> configs_;
  std::unique_ptr<Tracer> tracer_;
  // The run itself; expected and scoreboard are both null for an unchecked run.
  InputRun execute(int64_t input_index, const Codes& input, const ProgramResult* expected, Scoreboard* scoreboard);
  InputRun execute_input(int64_t input_index, const Codes& input, const ProgramResult* expected, Scoreboard* scoreboard);
  // Every check of a finished run against the golden result, reading the
  // RTL's logs (SAE metrics, slot widths, configurations) as it goes.
  void check_run(int64_t input_index, const hw::CsrStatus& status, const hw::CsrRunInfo& info,
                 const ProgramResult& expected, const InputRun& r, Scoreboard& scoreboard);
  uint32_t csr(uint32_t offset);
  void write_csr(uint32_t offset, uint32_t value);

  Scoreboard* scoreboard_ = nullptr;  // during run()
  std::string variant_;
};

}  // namespace aps::sim
