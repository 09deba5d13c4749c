// The regression's generator covers what the README says it covers.

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>

#include "golden/numerics/precision_reduction.hpp"
#include "sim/program_image.hpp"
#include "sim/random_network.hpp"

using namespace aps;
using namespace aps::sim;

TEST_CASE("random networks cover every layer kind and the geometry edge cases", "[regress]") {
  const HardwareLimits limits = hardware_limits(hw::kDefaultBuild);
  std::map<std::string, int> seen;
  for (int k = 0; k < 600; ++k) {
    const RandomCase c = random_case(case_seed(1, k), limits);
    CHECK_NOTHROW(validate_program(c.program));
    for (size_t i = 0; i < c.program.layers.size(); ++i) {
      const Layer& l = c.program.layers[i];
      ++seen[std::string(layer_kind_name(l.kind))];
      if (l.kind == LayerKind::Conv) {
        if (l.groups > 1) ++seen[l.groups == l.in_shape.channels ? "depthwise" : "grouped"];
        if (l.window.dilation_h > 1 || l.window.dilation_w > 1) ++seen["dilated"];
        if (l.window.pad_top || l.window.pad_left) ++seen["padded conv"];
        if (l.window.stride_h > 1 || l.window.stride_w > 1) ++seen["strided conv"];
        if (l.window.kernel_h == 5 || l.window.kernel_w == 5) ++seen["5-wide kernel"];
      }
      if (l.kind == LayerKind::Add && l.add.input_b != l.input) ++seen["residual add"];
      if (l.kind == LayerKind::AveragePool && l.window.kernel_h == l.in_shape.height &&
          l.window.kernel_w == l.in_shape.width && l.out_shape.height == 1 && l.out_shape.width == 1)
        ++seen["global average"];
      if (l.kind == LayerKind::Conv && layer_geometry(c.program, i, limits.array).depthwise) ++seen["depthwise mapping"];
      if (l.in_q.zero_point == 255) ++seen["zero point 255"];
      if (i == 0 && c.program.input_patches.enabled()) ++seen["packed stem"];
      if (l.role == LayerRole::Shadow && l.kind == LayerKind::Add) ++seen["shadow add"];
      if (l.role == LayerRole::Shadow && l.groups > 1) ++seen["shadow depthwise"];
      if (c.configs[i].bits == 2) ++seen["2 bits"];
      if (!l.bias_correction.empty()) {
        ++seen["bias correction"];
        if (c.configs[i].bits < 8) ++seen["corrected layer below 8 bits"];
        for (int b = kMinBits; b < kMaxBits; ++b)
          for (int64_t o = 0; o < l.out_shape.channels; ++o)
            if (l.bias_at(b, o) == INT32_MAX || l.bias_at(b, o) == INT32_MIN) ++seen["saturating correction"];
      }
      if (c.configs[i].act_shift < 8 - c.configs[i].bits) ++seen["adaptive shift"];
      for (const auto& m : l.multipliers)
        if (m.shift > 0) ++seen["left shift"];
    }
  }
  for (const char* what : {"fc", "conv", "maxpool", "avgpool", "add", "depthwise", "depthwise mapping", "grouped",
                           "dilated", "padded conv", "strided conv", "5-wide kernel", "residual add", "global average",
                           "zero point 255", "2 bits", "adaptive shift", "left shift", "packed stem",
                           "shadow add", "shadow depthwise", "bias correction", "corrected layer below 8 bits",
                           "saturating correction"}) {
    INFO(what);
    CHECK(seen[what] > 0);
  }
}

TEST_CASE("a case seed gives the same network every time", "[regress]") {
  const HardwareLimits limits = hardware_limits(hw::kDefaultBuild);
  const RandomCase a = random_case(42, limits), b = random_case(42, limits);
  CHECK(a.program.fingerprint() == b.program.fingerprint());
  CHECK(a.inputs == b.inputs);
  CHECK(a.configs == b.configs);
}

TEST_CASE("random cases vary the memory: latency, bandwidth, and scratchpads that make the plan spill", "[regress]") {
  const HardwareLimits limits = hardware_limits(hw::kDefaultBuild);
  std::map<std::string, int> seen;
  for (int k = 0; k < 600; ++k) {
    const RandomCase c = random_case(case_seed(1, k), limits);
    ++seen["latency " + std::to_string(c.memory.latency)];
    if (c.memory.bytes_per_cycle < limits.array.rows) ++seen["narrow memory"];
    if (c.spm_words == 0) continue;
    const MemoryPlan plan = plan_memory(c.program, limits, c.spm_words, static_cast<uint64_t>(c.memory.size_bytes));
    CHECK(plan.spm_words_used <= c.spm_words);
    if (plan.spilled_tensors > 0) ++seen["spilled"];
    for (size_t i = 0; i + 1 < plan.steps.size(); ++i)
      if (plan.steps[i].store_out) ++seen["intermediate store"];
    for (size_t i = 1; i < plan.steps.size(); ++i)
      if (plan.steps[i].load_in || plan.steps[i].load_in_b) ++seen["reload"];
  }
  for (const char* what : {"latency 1", "latency 40", "narrow memory", "spilled", "intermediate store", "reload"}) {
    INFO(what);
    CHECK(seen[what] > 0);
  }
}
