#pragma once
// Bad descriptors on purpose: a regression case loads a good program, breaks
// one descriptor field (or the layer count) in the accelerator's tables the
// way a host bug would, runs it, and requires the sequencer to stop at that
// step with that error code and nothing else. Each code has one way to
// provoke it, chosen so that every check before it in the sequencer's order
// (rtl/aps_sequencer.sv, "descriptor checks") still passes.

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "generated/host_interface.hpp"
#include "golden/accelerator/memory_plan.hpp"
#include "sim/program_image.hpp"

namespace aps::sim {

class AcceleratorSession;

struct DescriptorFault {
  hw::Error code = hw::Error::kNone;
  int step = 0;                                  // where the run must stop
  std::vector<std::pair<uint32_t, uint32_t>> words;  // descriptor words of `step` to overwrite: (index, value)
  uint32_t num_layers = 0;                       // nonzero: write this layer count instead
  std::string what;                              // "step 3: bits 9"
};

// The error codes a descriptor fault can provoke.
std::vector<hw::Error> descriptor_fault_codes();

// A fault with `code` for this program image (a step it applies to, drawn
// with rng), or nullopt if the image has no such step (a scan fault needs a
// scan step).
std::optional<DescriptorFault> plan_descriptor_fault(const ProgramImage& image, const HardwareLimits& limits,
                                                     hw::Error code, std::mt19937_64& rng);

// Applies the fault to a loaded session, runs, and returns "" if the RTL
// stopped at the fault's step with its code, else what it did instead.
// WatchdogTimeout if the run never ends.
std::string check_descriptor_fault(AcceleratorSession& session, const DescriptorFault& fault, int64_t max_cycles);

}  // namespace aps::sim
