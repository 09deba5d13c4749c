#include "sim/accelerator_session.hpp"

#include <fmt/format.h>

#include "golden/accelerator_geometry.hpp"
#include "golden/exit_code.hpp"
#include "sim/host_address_map.hpp"

namespace aps::sim {

AcceleratorSession::AcceleratorSession(const NetworkProgram& program, const SessionOptions& options)
    : program_(program),
      options_(options),
      controller_(make_device(options.device)),
      driver_(controller_, options.stall_seed, options.stall_probability) {
  variant_ = controller_.device().variant();
  controller_.add_hook([this](int64_t cycle, const DeviceOutputs& out) {
    if (out.mon_valid && scoreboard_) scoreboard_->on_write(cycle, out.mon_layer, out.mon_index, out.mon_value);
  });
  if (!options.trace_path.empty()) start_trace(options.trace_path, options.trace_window);
  controller_.reset();
  limits_ = read_limits(driver_);
  configs_ = static_configs(PrecisionMap(program.layers.size(), 8));
  image_ = build_image(program_, configs_, limits_);
  load_image();
}

HardwareLimits AcceleratorSession::read_limits(HostDriver& driver) {
  if (driver.read32(hw::kCsrBase + hw::kCsrId) != hw::kIdValue)
    throw InputError("the RTL does not answer with the APS identification register; wrong build?");
  HardwareLimits limits;
  const uint32_t params = driver.read32(hw::kCsrBase + hw::kCsrParams);
  limits.array = {static_cast<int>(params & 0xff), static_cast<int>((params >> 8) & 0xff)};
  limits.max_layers = std::min<int64_t>((params >> 16) & 0xff, hw::kMaxLayersInCsrSpace);
  limits.act_words = driver.read32(hw::kCsrBase + hw::kCsrActWords);
  limits.wgt_words = driver.read32(hw::kCsrBase + hw::kCsrWgtWords);
  limits.param_entries = driver.read32(hw::kCsrBase + hw::kCsrParamWords);
  return limits;
}

HardwareLimits probe_hardware(const DeviceOptions& options) {
  SimController controller(make_device(options));
  HostDriver driver(controller);
  controller.reset();
  return AcceleratorSession::read_limits(driver);
}

AcceleratorSession::~AcceleratorSession() {
  scoreboard_ = nullptr;
  if (tracer_) tracer_->close();
}

void AcceleratorSession::start_trace(const std::string& path, TraceWindow window) {
  tracer_ = std::make_unique<Tracer>(path, window);
  controller_.set_tracer(tracer_.get());
}

std::string AcceleratorSession::close_trace() {
  if (!tracer_) return "";
  controller_.set_tracer(nullptr);
  std::string written = tracer_->close();
  tracer_.reset();
  return written;
}

void AcceleratorSession::load_image() {
  for (size_t l = 0; l < image_.descriptors.size(); ++l)
    driver_.write_words(hw::kDescBase + static_cast<uint32_t>(l * hw::kDescWords * 4), image_.descriptors[l]);
  for (size_t e = 0; e < image_.params.size(); ++e) {
    const auto& p = image_.params[e];
    const std::array<uint32_t, 4> words{static_cast<uint32_t>(p[0]), static_cast<uint32_t>(p[1]),
                                        static_cast<uint32_t>(p[2]), static_cast<uint32_t>(p[3])};
    driver_.write_words(hw::kParamBase + static_cast<uint32_t>(e * 16), words);
  }
  driver_.write_bytes(hw::kWgtBase, image_.weights);
  driver_.write32(hw::kCsrBase + hw::kCsrNumLayers, static_cast<uint32_t>(program_.layers.size()));
}

void AcceleratorSession::restart() {
  controller_.reset();
  const auto configs = configs_;
  image_ = build_image(program_, configs, limits_);
  load_image();
  for (size_t l = 0; l < configs.size(); ++l)
    driver_.write32(hw::kDescBase + static_cast<uint32_t>(l * hw::kDescWords * 4 + hw::kDwMode * 4),
                    mode_word(program_.layers[l], configs[l]));
}

void AcceleratorSession::configure(const std::vector<LayerConfig>& configs) {
  if (configs.size() != program_.layers.size()) throw InputError("one configuration per layer is needed");
  for (size_t l = 0; l < configs.size(); ++l) {
    check_layer_config(configs[l], fmt::format("layer '{}'", program_.layers[l].name));
    if (configs[l] == configs_[l]) continue;
    driver_.write32(hw::kDescBase + static_cast<uint32_t>(l * hw::kDescWords * 4 + hw::kDwMode * 4),
                    mode_word(program_.layers[l], configs[l]));
  }
  configs_ = configs;
}

InputRun AcceleratorSession::run(int64_t input_index, const Codes& input, const ProgramResult& expected,
                                 Scoreboard& scoreboard) {
  const int rows = limits_.array.rows;
  driver_.write_bytes(hw::kActBase + static_cast<uint32_t>(image_.input.base * rows),
                      pack_tensor(input, image_.input.shape, rows));
  InputRun r;
  r.start_cycle = controller_.cycle();
  scoreboard.begin_input(input_index, program_, expected, configs_, r.start_cycle);
  scoreboard_ = &scoreboard;
  driver_.write32(hw::kCsrBase + hw::kCsrCtrl, hw::kCtrlStart | hw::kCtrlIrqEnable);
  try {
    driver_.wait_done(options_.max_cycles);
  } catch (const WatchdogTimeout&) {
    scoreboard_ = nullptr;
    const uint32_t status = driver_.read32(hw::kCsrBase + hw::kCsrStatus);
    const int layer = static_cast<int>((status >> 8) & 0xff);
    const std::string name = layer < static_cast<int>(program_.layers.size()) ? program_.layers[layer].name : "?";
    throw WatchdogTimeout(fmt::format("input {}: the accelerator did not finish within {} cycles; stuck in layer {} '{}'",
                                      input_index, options_.max_cycles, layer, name));
  }
  scoreboard_ = nullptr;
  const uint32_t status = driver_.read32(hw::kCsrBase + hw::kCsrStatus);
  driver_.write32(hw::kCsrBase + hw::kCsrStatus, hw::kStatusDone);  // clear done
  if (status & hw::kStatusError) {
    const int layer = static_cast<int>((status >> 8) & 0xff);
    Mismatch m;
    m.check = fmt::format("RTL refused the descriptor ({})", hw::error_name((status >> 16) & 0xff));
    m.input = input_index;
    m.layer = layer;
    m.layer_name = layer < static_cast<int>(program_.layers.size()) ? program_.layers[layer].name : "?";
    scoreboard.record(std::move(m));
  }
  r.cycles = driver_.read32(hw::kCsrBase + hw::kCsrCyclesLo) |
             (static_cast<int64_t>(driver_.read32(hw::kCsrBase + hw::kCsrCyclesHi)) << 32);
  for (size_t l = 0; l < program_.layers.size(); ++l) {
    r.layer_cycles.push_back(driver_.read32(hw::kCsrBase + hw::kCsrLayerCycles + static_cast<uint32_t>(4 * l)));
    scoreboard.check_layer_cycles(static_cast<int>(l), r.layer_cycles.back(),
                                  layer_cycles(program_, l, configs_[l], limits_.array));
  }
  scoreboard.check_run_cycles(r.cycles, run_cycles(program_, configs_, limits_.array));
  const TensorPlacement& out = image_.outputs.back();
  r.output = unpack_tensor(driver_.read_bytes(hw::kActBase + static_cast<uint32_t>(out.base * rows),
                                              static_cast<size_t>(out.words * rows)),
                           out.shape, rows);
  scoreboard.check_readback(r.output);
  r.passed = scoreboard.end_input();
  return r;
}

}  // namespace aps::sim
