#pragma once
// What the harness tests share: a bundled model, its inputs and golden
// results, and sessions on the behavioural device.

#include <filesystem>
#include <memory>

#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/onnx/data_set.hpp"
#include "sim/accelerator_session.hpp"
#include "sim/behavioural_device.hpp"

namespace aps::sim::test {

inline const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";

struct Model {
  explicit Model(const std::string& name)
      : program(load_network_program(kModels / name / "model_int8.onnx").program),
        data(load_data_set(kModels / name / "test_data_set_0")),
        configs(step_configs(program, "8")) {}
  NetworkProgram program;
  DataSet data;
  std::vector<LayerConfig> configs;
  Codes input(int64_t i) const { return quantize_input(program, data.inputs[0].tensor, i); }
  ProgramResult expected(int64_t i) const { return execute_program(program, input(i), configs); }
};

// Session options that run `program` on the behavioural device, with faults.
inline SessionOptions behavioural(const NetworkProgram& program, BehaviouralFaults faults = {}) {
  SessionOptions o;
  o.make_device = [&program, faults](const DeviceOptions& d) {
    return std::make_unique<BehaviouralDevice>(program, d, hw::kThisBuild, faults);
  };
  return o;
}

}  // namespace aps::sim::test
