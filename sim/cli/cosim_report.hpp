#pragma once
// What a co-simulation run reports: the fmt table for people, the JSON
// document for machines (the keys the README documents), JUnit for CI.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "golden/accelerator/network_program.hpp"
#include "sim/cosim_runner.hpp"

namespace aps::sim {

struct RunDescription {
  std::string model;
  std::string data;
  std::string precision;
  // The policy options given, as they would be typed (" --profile p.onnx
  // --policy budget --budget-bits 4"): what sets apart runs whose precision
  // reads alike.
  std::string policy_options;
  bool bias_correction_off = false;  // --no-bias-correction dropped the profile's corrections
  double avg_bits = 0;
  uint64_t seed = 0;
  int jobs = 1;
};

nlohmann::json mismatch_json(const std::optional<Mismatch>& m);
nlohmann::json cosim_json(const NetworkProgram& program, const RunDescription& d, const CosimResult& r);
std::string cosim_table(const NetworkProgram& program, const RunDescription& d, const CosimResult& r);

}  // namespace aps::sim
