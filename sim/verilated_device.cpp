// The verilated aps_top behind the Device interface. The only file of the
// harness that includes Verilator headers; compiled once per RTL build.
//
// Two evals per cycle: lower the clock and apply the inputs, evaluate, so
// combinational outputs such as req_ready reflect them; sample the outputs;
// raise the clock and evaluate (registers update). Lowering the clock in the
// same eval as the inputs change is safe because no logic is sensitive to
// the falling edge (the reset is asynchronous but driven only by reset()),
// and it saves the third eval a cycle that Verilator's examples spend on the
// falling edge alone. Inputs never change in the same eval as a rising edge.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <type_traits>
#include <unistd.h>
#include <string_view>
#include <mutex>

// Verilator's headers and the generated model are not written for -Wpedantic.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <verilated.h>
#include <verilated_vcd_c.h>

#include "Vaps_top.h"
#pragma GCC diagnostic pop

#include "generated/host_interface.hpp"
#include "golden/errors.hpp"
#include "sim/coverage_store.hpp"
#include "sim/device.hpp"

#ifndef APS_RTL_VARIANT
#define APS_RTL_VARIANT "rtl"
#endif
#ifndef APS_RTL_COVERAGE
#define APS_RTL_COVERAGE 0
#endif

namespace aps::sim {
namespace {

// The trace writes that failed (vl_fatal below), and the last one's reason: a
// trace whose writer closed it reports it, if one failed since it opened.
std::mutex trace_failure_mutex;
std::string last_trace_failure;
int64_t trace_failures = 0;

std::pair<int64_t, std::string> trace_failure() {
  const std::lock_guard<std::mutex> lock(trace_failure_mutex);
  return {trace_failures, last_trace_failure};
}

}  // namespace
}  // namespace aps::sim

// Verilator's trace writer calls vl_fatal when a write fails (a full disk, a
// file size limit), holding the trace's lock, from a dump or from the flush
// an RTL assertion or a warning runs; Verilator's own vl_fatal then flushes
// every trace, which waits on that lock for ever, deaf to SIGTERM. Built with
// VL_USER_FATAL (rtl/CMakeLists.txt), a failed trace write is recorded
// instead: Verilator then closes that trace, the run goes on, and
// trace_close reports it. Anything else ends the process as Verilator's
// vl_fatal does.
void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) {
  (void)hier;
  if (std::string_view(msg).starts_with("VerilatedVcd::bufferFlush")) {
    const std::lock_guard<std::mutex> lock(aps::sim::trace_failure_mutex);
    aps::sim::last_trace_failure = msg;
    ++aps::sim::trace_failures;
    return;
  }
  Verilated::threadContextp()->gotError(true);
  Verilated::threadContextp()->gotFinish(true);
  if (filename && filename[0])
    VL_PRINTF("%%Error: %s:%d: %s\n", filename, linenum, msg);
  else
    VL_PRINTF("%%Error: %s\n", msg);
  Verilated::runFlushCallbacks();
  VL_PRINTF("Aborting...\n");
  Verilated::runExitCallbacks();
  std::abort();
}

namespace aps::sim {
namespace {

#ifdef APS_FAULT_NAMES
// The fault-injection build plants the fault that APS_PLANTED_FAULT names;
// its position in APS_FAULT_NAMES (rtl/CMakeLists.txt's APS_FAULTS, from
// which the RTL's constants are generated too) is what +aps_fault= carries.
struct PlantedFault {
  std::string name;
  int position = 0;
};

PlantedFault planted_fault() {
  const char* wanted = std::getenv("APS_PLANTED_FAULT");
  std::stringstream names(APS_FAULT_NAMES);
  std::string name;
  for (int position = 1; std::getline(names, name, ','); ++position)
    if (wanted && name == wanted) return {name, position};
  throw InputError(fmt::format("this RTL build plants a fault: set APS_PLANTED_FAULT to one of {} (it is {})",
                               APS_FAULT_NAMES, wanted ? fmt::format("'{}'", wanted) : std::string("unset")));
}
#endif

// A memory-port beat <-> the model's data port (IData, QData or VlWide, by ROWS).
template <class Port>
void beat_to_port(const Beat& beat, Port& port) {
  if constexpr (std::is_integral_v<Port>) {
    port = 0;
    for (size_t b = 0; b < sizeof(Port); ++b) port |= static_cast<Port>(beat[b]) << (8 * b);
  } else {
    for (size_t w = 0; w < Port::Words; ++w)
      port[w] = static_cast<uint32_t>(beat[4 * w]) | static_cast<uint32_t>(beat[4 * w + 1]) << 8 |
                static_cast<uint32_t>(beat[4 * w + 2]) << 16 | static_cast<uint32_t>(beat[4 * w + 3]) << 24;
  }
}

template <class Port>
Beat port_to_beat(const Port& port) {
  Beat beat{};
  if constexpr (std::is_integral_v<Port>) {
    for (size_t b = 0; b < sizeof(Port); ++b) beat[b] = static_cast<uint8_t>(port >> (8 * b));
  } else {
    for (size_t w = 0; w < Port::Words; ++w)
      for (size_t b = 0; b < 4; ++b) beat[4 * w + b] = static_cast<uint8_t>(port[w] >> (8 * b));
  }
  return beat;
}

// Verilator takes a positive int as its seed, 0 meaning one of its own. Seeds
// below 2^31 are used as they are (regression cases keep their states); the
// bits above are folded in, so seeds that differ only there still differ, and
// whatever folds to 0 takes the largest value, so every run reproduces.
int verilator_seed(uint64_t seed) {
  const uint64_t folded = (seed ^ (seed >> 31) ^ (seed >> 62)) & 0x7fffffff;
  return folded != 0 ? static_cast<int>(folded) : 0x7fffffff;
}

class VerilatedDevice final : public Device {
 public:
  explicit VerilatedDevice(const DeviceOptions& options) : context_(std::make_unique<VerilatedContext>()) {
    // Assertion failures and $error end the simulation through gotError(),
    // which failed() reports, instead of aborting the process.
    context_->fatalOnError(false);
    context_->traceEverOn(true);
    context_->randReset(options.random_reset ? 2 : 0);
    context_->randSeed(verilator_seed(options.seed));
#ifdef APS_FAULT_NAMES
    const PlantedFault fault = planted_fault();
    variant_ = "fault-" + fault.name;
    const std::string plusarg = fmt::format("+aps_fault={}", fault.position);
    const char* args[] = {"aps-sim", plusarg.c_str()};
    context_->commandArgs(2, args);
#endif
    model_ = std::make_unique<Vaps_top>(context_.get(), "aps");
    if (APS_RTL_COVERAGE) coverage_ = options.coverage;
    model_->clk_i = 0;
    model_->rst_ni = 1;
    model_->eval();
  }

  ~VerilatedDevice() override {
    try {
      trace_close();
    } catch (const std::exception& e) {  // a destructor must not throw
      std::cerr << "aps-sim: " << e.what() << "\n";
    }
    model_->final();
    if (coverage_) {
      try {
        add_coverage(*coverage_);
      } catch (const std::exception& e) {  // a destructor must not throw; the run's result still stands
        std::cerr << "aps-sim: coverage of this device lost: " << e.what() << "\n";
      }
    }
  }

  void reset(int cycles) override {
    model_->rst_ni = 0;
    for (int i = 0; i < cycles; ++i) step({});
    model_->rst_ni = 1;
    model_->eval();
#if APS_RTL_COVERAGE
    // Coverage counts from the first reset on: the random initial state
    // would otherwise toggle every bit once per device.
    if (coverage_ && !counting_) {
      context_->coveragep()->zero();
      counting_ = true;
    }
#endif
  }

  DeviceOutputs step(const DeviceInputs& in) override {
    model_->host_req_valid_i = in.req_valid;
    model_->host_req_write_i = in.req_write;
    model_->host_req_addr_i = in.req_addr;
    model_->host_req_wdata_i = in.req_wdata;
    model_->mem_req_ready_i = in.mem_req_ready;
    model_->mem_wready_i = in.mem_wready;
    model_->mem_rsp_valid_i = in.mem_rsp_valid;
    beat_to_port(in.mem_rsp_data, model_->mem_rsp_data_i);
    model_->clk_i = 0;
    model_->eval();
    DeviceOutputs out;
    out.req_ready = model_->host_req_ready_o;
    out.rsp_valid = model_->host_rsp_valid_o;
    out.rsp_rdata = model_->host_rsp_rdata_o;
    out.done = model_->done_o;
    out.irq = model_->irq_o;
    out.mon_valid = model_->mon_valid_o;
    out.mon_pass = model_->mon_pass_o;
    out.mon_layer = model_->mon_layer_o;
    out.mon_index = model_->mon_index_o;
    out.mon_value = model_->mon_value_o;
    out.mem_req_valid = model_->mem_req_valid_o;
    out.mem_req_write = model_->mem_req_write_o;
    out.mem_req_addr = model_->mem_req_addr_o;
    out.mem_req_beats = model_->mem_req_beats_o;
    out.mem_wvalid = model_->mem_wvalid_o;
    out.mem_wdata = port_to_beat(model_->mem_wdata_o);
    out.mem_rsp_ready = model_->mem_rsp_ready_o;
    if (trace_) trace_->dump(context_->time());
    context_->timeInc(1);
    model_->clk_i = 1;
    model_->eval();
    if (trace_) trace_->dump(context_->time());
    context_->timeInc(1);
    return out;
  }

  void trace_open(const std::string& path) override {
    trace_close();
    trace_ = std::make_unique<VerilatedVcdC>();
    trace_path_ = path;
    model_->trace(trace_.get(), 99);  // before open(), as Verilator requires
    failures_at_open_ = trace_failure().first;
    trace_->open(path.c_str());
  }

  // InputError naming the file when its writer closed it: it could not be
  // opened, or a write to it failed.
  void trace_close() override {
    if (!trace_) return;
    const bool closed_by_writer = !trace_->isOpen();
    trace_->flush();
    trace_->close();
    trace_.reset();
    if (closed_by_writer) {
      const auto [failures, why] = trace_failure();
      throw InputError(failures > failures_at_open_ ? fmt::format("{}: cannot write the trace: {}", trace_path_, why)
                                                     : fmt::format("{}: cannot open the trace file", trace_path_));
    }
  }

  bool tracing() const override { return trace_ != nullptr; }
  int rows() const override { return static_cast<int>(hw::kThisBuild.rows); }
  int cols() const override { return static_cast<int>(hw::kThisBuild.cols); }
  std::string variant() const override { return variant_; }
  bool failed() const override { return context_->gotError(); }

 private:
  // The counters live in the model: Verilator writes them to a file only,
  // so they go through a private temporary file into the store.
  void add_coverage(CoverageStore& store) {
#if APS_RTL_COVERAGE
    std::string path = (std::filesystem::temp_directory_path() / "aps-coverage-XXXXXX").string();
    const int fd = mkstemp(path.data());
    if (fd < 0) throw std::runtime_error(fmt::format("cannot create a temporary file like {}", path));
    close(fd);
    context_->coveragep()->write(path.c_str());
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::remove(path.c_str());
    store.add(text.str());
#else
    (void)store;
#endif
  }

  std::unique_ptr<VerilatedContext> context_;
  std::string variant_ = APS_RTL_VARIANT;
  std::unique_ptr<Vaps_top> model_;
  CoverageStore* coverage_ = nullptr;
  bool counting_ = false;
  std::unique_ptr<VerilatedVcdC> trace_;
  std::string trace_path_;
  int64_t failures_at_open_ = 0;
};

}  // namespace

std::unique_ptr<Device> make_device(const DeviceOptions& options) { return std::make_unique<VerilatedDevice>(options); }

bool rtl_has_coverage() { return APS_RTL_COVERAGE != 0; }

std::string rtl_command_name() {
#ifdef APS_FAULT_NAMES
  return "aps-sim-fault-" + planted_fault().name;
#else
  return "aps-sim";
#endif
}

}  // namespace aps::sim
