#pragma once
// One accelerator instance running one network program: creates and resets
// the device, reads what the RTL build offers, loads the program image over
// the host port, then runs inputs one after another and checks each with
// the scoreboard. Instances are independent, so --jobs runs several on
// threads.

#include <memory>
#include <optional>
#include <string>

#include "golden/layer_config.hpp"
#include "golden/network_program.hpp"
#include "golden/program_executor.hpp"
#include "sim/host_driver.hpp"
#include "sim/program_image.hpp"
#include "sim/scoreboard.hpp"
#include "sim/sim_controller.hpp"
#include "sim/tracer.hpp"

namespace aps::sim {

struct SessionOptions {
  DeviceOptions device;
  int64_t max_cycles = 10'000'000;  // watchdog budget per input
  uint64_t stall_seed = 0;
  double stall_probability = 0.0;   // random idle cycles between host requests
  std::string trace_path;           // empty = no trace
  TraceWindow trace_window;
};

struct InputRun {
  bool passed = false;
  int64_t cycles = 0;               // accelerator cycles of the run (CSR)
  std::vector<int64_t> layer_cycles;        // per step, pass 0
  std::vector<int64_t> rerun_layer_cycles;  // per step, the cascade's re-run (empty without one)
  int64_t start_cycle = 0;          // simulation cycle of the start command
  int64_t pcu_cycles = 0;           // cycles in PCU decisions (CSR)
  bool rerun = false;               // the cascade re-ran the input
  Codes output;                     // read back over the host port
};

// What an RTL build offers (array shape, memory sizes), read from its CSRs
// on a fresh device.
HardwareLimits probe_hardware(const DeviceOptions& options);

class AcceleratorSession {
 public:
  AcceleratorSession(const NetworkProgram& program, const SessionOptions& options);
  ~AcceleratorSession();

  const HardwareLimits& limits() const { return limits_; }
  // Writes the precision configuration of every step the PCU does not
  // control (descriptor word 0).
  void configure(const std::vector<LayerConfig>& configs);
  // Resets the device (as a host would after a fault) and loads the image
  // and configuration again.
  void restart();
  // The driver, for tests that poke the device directly.
  HostDriver& driver() { return driver_; }
  // Runs one input and checks it against `expected` (golden, same configs).
  InputRun run(int64_t input_index, const Codes& input, const ProgramResult& expected, Scoreboard& scoreboard);
  // Runs one input on the RTL alone: nothing is compared (there is no golden
  // result), the counters and the output are still read. For measuring what
  // the checks cost (aps-bench's RTL-only rows).
  InputRun run_unchecked(int64_t input_index, const Codes& input);
  // Starts a trace now (the window is in simulation cycles).
  void start_trace(const std::string& path, TraceWindow window);
  // Closes the trace; returns the file name or "".
  std::string close_trace();
  int64_t cycle() const { return controller_.cycle(); }
  const std::string& variant() const { return variant_; }

 private:
  void load_image();
  friend HardwareLimits probe_hardware(const DeviceOptions& options);
  static HardwareLimits read_limits(HostDriver& driver);

  const NetworkProgram& program_;
  SessionOptions options_;
  SimController controller_;
  HostDriver driver_;
  HardwareLimits limits_;
  ProgramImage image_;
  std::vector<LayerConfig> configs_;
  std::unique_ptr<Tracer> tracer_;
  // The run itself; expected and scoreboard are both null for an unchecked run.
  InputRun execute(int64_t input_index, const Codes& input, const ProgramResult* expected, Scoreboard* scoreboard);
  // Every check of a finished run against the golden result, reading the
  // RTL's logs (SAE metrics, slot widths, configurations) as it goes.
  void check_run(int64_t input_index, uint32_t status, uint32_t info, const ProgramResult& expected, const InputRun& r,
                 Scoreboard& scoreboard);

  Scoreboard* scoreboard_ = nullptr;  // during run()
  std::string variant_;
};

}  // namespace aps::sim
