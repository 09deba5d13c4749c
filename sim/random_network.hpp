#pragma once
// Random network programs for the regression: random depths, widths,
// convolution and pooling geometry, zero points, scales, biases, precisions,
// with a bias toward edge values (codes 0 and 255, weights -128 and 127,
// zero points at their extremes, saturating biases, multipliers above 1 and
// vanishingly small), random inputs for them, and a random external memory
// (latency, bandwidth, scratchpad limit). The same seed always gives the
// same case.

#include <cstdint>
#include <vector>

#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "sim/program_image.hpp"

namespace aps::sim {

struct RandomCase {
  NetworkProgram program;
  std::vector<LayerConfig> configs;
  std::vector<Codes> inputs;
  std::string policy = "static";  // the precision policy the program runs under
  // The memory the case runs against: random latency and bandwidth, and now
  // and then a scratchpad limit small enough that the plan spills tensors.
  MemoryTiming memory;
  int64_t spm_words = 0;          // 0: the whole scratchpad
};

struct RandomNetworkOptions {
  bool convolutions = true;  // also feature-map inputs with conv / max pool layers
  bool cnn_only = false;     // every network a CNN: a feature-map input, a convolution first
  int max_layers = 6;
  int inputs = 3;
  double adaptive = 0.5;     // share of networks that get a random profile and precision policy
};

// A network that fits `limits` (the generator shrinks until it does).
RandomCase random_case(uint64_t seed, const HardwareLimits& limits, const RandomNetworkOptions& options = {});

// A random calibration profile for a program (random slices, coefficients,
// alphas, thresholds, groups, shadow channels and cascade maps, edge values
// included) and a random policy built from it; `description` says which.
NetworkProgram random_policy_program(const NetworkProgram& base, uint64_t seed, std::string& description);

// Seed of case k of a regression with seed s (splitmix64).
uint64_t case_seed(uint64_t regression_seed, int64_t k);

}  // namespace aps::sim
