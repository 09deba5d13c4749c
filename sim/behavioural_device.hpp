#pragma once
// A stand-in for the accelerator at its pins, driven by the golden model, so
// the harness (controller, host driver, session, scoreboard, tracer, CSR
// read-back, co-simulation runner) is built and tested without the RTL, also
// under the sanitizers.
//
// What it models: the host port with the RTL's protocol (requests to the
// memories wait while a run is busy, reads answer one cycle later, the CSRs
// and their reset values as rtl/aps_host_interface.json describes them,
// write-1-to-clear done, irq, the host-port assertions as failed()), the
// memories the host writes (random at power-up under random reset, like the
// RTL's), and a run: on start it reads the input the host wrote into the
// external memory and each step's configuration from the descriptors the
// host wrote, executes the golden model, plays every layer-output write on
// the monitor pins one per cycle, writes the output tensor back into the
// external memory, fills the counters and logs from the golden run and the
// cycle model, and raises done after the cycle model's count. It has no DMA
// engine: its memory port stays idle, and the memory plan it follows is made
// from the program when the memory is attached, with the whole scratchpad
// (sessions against it use the default --spm-words). It is not a second
// model of the datapath: where it reports what the
// golden model computed, a session against it matches by construction, which
// is what makes its planted faults a test of the checks that must catch them.

#include <array>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "generated/host_interface.hpp"
#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/network_program.hpp"
#include "sim/device.hpp"
#include "sim/external_memory.hpp"

namespace aps::sim {

// What a planted fault breaks (all off by default).
struct BehaviouralFaults {
  int64_t corrupt_write = -1;    // the n-th monitor write of a run carries its value + 1
  int64_t drop_write = -1;       // the n-th monitor write of a run never appears
  int64_t duplicate_write = -1;  // the n-th monitor write of a run appears twice
  int64_t extra_cycles = 0;      // added to the run's cycle counter
  int64_t extra_stalls = 0;      // added to the stall counter
  int64_t extra_plane_reads = 0; // added to the weight plane-read counter
  bool wrong_metric = false;     // slot 0, candidate 0 reads one more than the SAE computed
  bool hang = false;             // a run never ends
  std::string unmapped_csr;      // this CSR (a kCsrTable name) reads as unmapped: a missing read arm
  bool writable_stalls = false;  // the read-only stall counter takes host writes: a decode that ignores access
};

class BehaviouralDevice final : public Device {
 public:
  // `program` is what the host loads; it must outlive the device.
  BehaviouralDevice(const NetworkProgram& program, const DeviceOptions& options,
                    const hw::BuildParameters& build = hw::kThisBuild, BehaviouralFaults faults = {});

  void reset(int cycles) override;
  DeviceOutputs step(const DeviceInputs& in) override;
  void trace_open(const std::string& path) override;
  void trace_close() override;
  bool tracing() const override { return trace_.is_open(); }
  void attach_memory(ExternalMemory* memory) override;
  int rows() const override { return static_cast<int>(build_.rows); }
  int cols() const override { return static_cast<int>(build_.cols); }
  std::string variant() const override { return faulty_ ? "behavioural-fault" : "behavioural"; }
  bool failed() const override { return !failure_.empty(); }
  std::string failure_detail() const override { return failure_; }

 private:
  struct MonitorWrite {
    int pass = 0;
    int layer = 0;
    uint32_t index = 0;
    uint8_t value = 0;
  };
  struct Region {
    uint32_t base = 0, entry_bytes = 0;
    std::vector<uint8_t> bytes;
  };

  void clear_registers();
  void fail(const std::string& what);
  Region* region_of(uint32_t addr);
  uint32_t read_word(uint32_t addr);
  void write_word(uint32_t addr, uint32_t data);
  uint32_t read_csr(uint32_t offset) const;
  void write_csr(uint32_t offset, uint32_t data);
  void start_run();
  void finish_run();
  void dump(const DeviceOutputs& out);

  const NetworkProgram& program_;
  hw::BuildParameters build_;
  BehaviouralFaults faults_;
  ExternalMemory* memory_ = nullptr;
  Platform platform_;  // made when the memory is attached
  bool faulty_ = false;
  uint64_t seed_ = 1;
  bool random_reset_ = true;
  std::map<uint32_t, Region> regions_;  // by base
  std::string failure_;

  // Host port state.
  bool rsp_pending_ = false;
  uint32_t rsp_data_ = 0;
  bool waiting_ = false;  // a request was refused (not ready) last cycle
  DeviceInputs waiting_request_;

  // Registers.
  bool busy_ = false, done_ = false, irq_enable_ = false, error_ = false;
  uint32_t num_layers_ = 0, input_max_ = 0, num_slots_ = 0, pcu_candidates_ = 0, pcu_flags_ = 0;
  uint64_t budget_ = 0, cycles_ = 0;
  uint32_t stalls_ = 0, pcu_cycles_ = 0, sae_cycles_ = 0, run_info_ = 0, layer_ = 0, mem_beats_ = 0, mem_stalls_ = 0;
  uint32_t act_plane_reads_ = 0, wgt_plane_reads_ = 0;
  std::array<uint32_t, hw::kCsrLogSteps> layer_mem_beats_{}, layer_mem_stalls_{};
  std::array<uint32_t, hw::kCsrLogSteps> layer_cycles_{}, layer_cycles1_{}, configs_{}, configs1_{}, slot_bits_{};
  std::array<uint64_t, hw::kCsrLogSteps * hw::kPcuCandidates> metrics_{};

  // The run in progress.
  std::deque<MonitorWrite> writes_;
  int64_t remaining_ = 0;          // cycles until done
  std::vector<uint8_t> output_;    // the output tensor's bytes, written back at the end
  uint32_t output_address_ = 0;
  uint32_t refused_ = 0;           // the step the run stops at (the program's size: none)
  int64_t cycle_ = 0;

  std::ofstream trace_;
};

}  // namespace aps::sim
