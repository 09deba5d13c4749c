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
    if (out.mon_valid && scoreboard_)
      scoreboard_->on_write(cycle, out.mon_pass ? 1 : 0, out.mon_layer, out.mon_index, out.mon_value);
  });
  if (!options.trace_path.empty()) start_trace(options.trace_path, options.trace_window);
  controller_.reset();
  limits_ = read_limits(driver_);
  configs_ = static_configs(PrecisionMap(program.layers.size(), 8));
  image_ = build_image(program_, configs_, limits_);
  if (static_cast<int64_t>(program_.layers.size()) > hw::kMaxSteps)
    throw InputError(fmt::format("{}: {} steps, the accelerator logs {}", program_.source, program_.layers.size(),
                                 hw::kMaxSteps));
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
  limits.sae_entries = driver.read32(hw::kCsrBase + hw::kCsrSaeEntries);
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
  for (size_t s = 0; s < image_.pcu_table.size(); ++s)
    driver_.write_words(hw::kPcuBase + static_cast<uint32_t>(s * 64), image_.pcu_table[s]);
  const auto entry_bytes = static_cast<uint32_t>(hw::sae_entry_bytes(limits_.array.rows));
  for (size_t e = 0; e < image_.sae_entries.size(); ++e)
    driver_.write_bytes(hw::kSaeBase + static_cast<uint32_t>(e) * entry_bytes, image_.sae_entries[e]);
  driver_.write32(hw::kCsrBase + hw::kCsrPcuCandidates, image_.pcu_candidates);
  driver_.write32(hw::kCsrBase + hw::kCsrPcuFlags, image_.pcu_flags);
  driver_.write32(hw::kCsrBase + hw::kCsrBudgetLo, static_cast<uint32_t>(image_.budget));
  driver_.write32(hw::kCsrBase + hw::kCsrBudgetHi, static_cast<uint32_t>(image_.budget >> 32));
  driver_.write32(hw::kCsrBase + hw::kCsrNumSlots, image_.num_slots);
  driver_.write32(hw::kCsrBase + hw::kCsrNumLayers, static_cast<uint32_t>(program_.layers.size()));
}

void AcceleratorSession::restart() {
  controller_.reset();
  const auto configs = configs_;
  load_image();
  configs_ = static_configs(PrecisionMap(program_.layers.size(), 8));
  configure(configs);
}

void AcceleratorSession::configure(const std::vector<LayerConfig>& configs) {
  if (configs.size() != program_.layers.size()) throw InputError("one configuration per layer is needed");
  for (size_t l = 0; l < configs.size(); ++l) {
    const Layer& layer = program_.layers[l];
    check_layer_config(configs[l], fmt::format("layer '{}'", layer.name));
    // Scans have no configuration; the PCU configures its layers itself.
    if (configs[l] == configs_[l] || layer.kind == LayerKind::SaeScan || layer.pcu_slot >= 0) continue;
    driver_.write32(hw::kDescBase + static_cast<uint32_t>(l * hw::kDescWords * 4 + hw::kDwMode * 4),
                    mode_word(layer, configs[l]) | (layer.role == LayerRole::Shadow ? hw::kModeShadow : 0u));
  }
  configs_ = configs;
}

InputRun AcceleratorSession::run(int64_t input_index, const Codes& input, const ProgramResult& expected,
                                 Scoreboard& scoreboard) {
  return execute(input_index, input, &expected, &scoreboard);
}

InputRun AcceleratorSession::run_unchecked(int64_t input_index, const Codes& input) {
  return execute(input_index, input, nullptr, nullptr);
}

InputRun AcceleratorSession::execute(int64_t input_index, const Codes& input, const ProgramResult* expected,
                                     Scoreboard* scoreboard) {
  const int rows = limits_.array.rows;
  driver_.write_bytes(hw::kActBase + static_cast<uint32_t>(image_.input.base * rows),
                      pack_tensor(input, image_.input.shape, rows));
  uint32_t input_max = 0;
  for (uint8_t v : input) input_max = std::max<uint32_t>(input_max, v);
  driver_.write32(hw::kCsrBase + hw::kCsrInputMax, input_max);  // what a DMA engine would note while loading
  InputRun r;
  r.start_cycle = controller_.cycle();
  if (scoreboard) scoreboard->begin_input(input_index, program_, *expected, r.start_cycle);
  scoreboard_ = scoreboard;
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
  auto csr = [&](uint32_t offset) { return driver_.read32(hw::kCsrBase + offset); };
  const uint32_t status = csr(hw::kCsrStatus);
  driver_.write32(hw::kCsrBase + hw::kCsrStatus, hw::kStatusDone);  // clear done
  const uint32_t info = csr(hw::kCsrRunInfo);
  r.rerun = info & 1;
  r.cycles = csr(hw::kCsrCyclesLo) | (static_cast<int64_t>(csr(hw::kCsrCyclesHi)) << 32);
  for (size_t l = 0; l < program_.layers.size(); ++l)
    r.layer_cycles.push_back(csr(hw::kCsrLayerCycles + static_cast<uint32_t>(4 * l)));
  // The re-run's counters when the RTL re-ran (and, in a checked run, the
  // golden run did too: otherwise the decision itself is the mismatch).
  if (r.rerun && (!scoreboard || expected->rerun))
    for (size_t l = 0; l < program_.layers.size(); ++l)
      r.rerun_layer_cycles.push_back(csr(hw::kCsrLayerCycles1 + static_cast<uint32_t>(4 * l)));
  r.pcu_cycles = csr(hw::kCsrPcuCycles);
  const TensorPlacement& out = image_.outputs.back();
  r.output = unpack_tensor(driver_.read_bytes(hw::kActBase + static_cast<uint32_t>(out.base * rows),
                                              static_cast<size_t>(out.words * rows)),
                           out.shape, rows);
  if (scoreboard) {
    check_run(input_index, status, info, *expected, r, *scoreboard);
    r.passed = scoreboard->end_input();
  }
  return r;
}

void AcceleratorSession::check_run(int64_t input_index, uint32_t status, uint32_t info, const ProgramResult& expected,
                                   const InputRun& r, Scoreboard& scoreboard) {
  auto csr = [&](uint32_t offset) { return driver_.read32(hw::kCsrBase + offset); };
  if (status & hw::kStatusError) {
    const int layer = static_cast<int>((status >> 8) & 0xff);
    Mismatch m;
    m.check = fmt::format("RTL refused the descriptor ({})", hw::error_name((status >> 16) & 0xff));
    m.rank = CheckRank::LayerConfig;
    m.input = input_index;
    m.layer = layer;
    m.layer_name = layer < static_cast<int>(program_.layers.size()) ? program_.layers[layer].name : "?";
    scoreboard.record(std::move(m));
  }
  // 1-3: SAE metrics, the precision map, the configuration of every step.
  const PcuProgram& pcu = program_.pcu;
  for (size_t s = 0; s < pcu.slots.size(); ++s) {
    for (size_t c = 0; c < pcu.candidates.size(); ++c) {
      const auto off = static_cast<uint32_t>(hw::kCsrMetrics + 8 * (4 * s + c));
      scoreboard.check_metric(static_cast<int>(s), static_cast<int>(c), csr(off) | static_cast<uint64_t>(csr(off + 4)) << 32);
    }
    scoreboard.check_slot_bits(static_cast<int>(s), static_cast<int>(csr(hw::kCsrSlotBits + static_cast<uint32_t>(4 * s))));
  }
  auto unpack = [](uint32_t w) { return LayerConfig{static_cast<int>(w & 15), static_cast<int>((w >> 4) & 15), static_cast<int>((w >> 8) & 15)}; };
  for (int pass = 0; pass < (r.rerun ? 2 : 1); ++pass)
    for (size_t l = 0; l < program_.layers.size(); ++l) {
      const Layer& layer = program_.layers[l];
      if (layer.kind == LayerKind::SaeScan || (pass == 1 && layer.role != LayerRole::Main)) continue;
      scoreboard.check_config(static_cast<int>(l), pass,
                              unpack(csr((pass ? hw::kCsrConfigs1 : hw::kCsrConfigs) + static_cast<uint32_t>(4 * l))));
    }
  // 5: the cascade's decision.
  scoreboard.check_rerun(r.rerun, static_cast<int>((info >> 8) & 0xff));
  // 6: cycles.
  const RunCycles model = run_cycle_model(program_, expected, limits_.array);
  for (size_t l = 0; l < r.layer_cycles.size(); ++l)
    scoreboard.check_step_cycles(static_cast<int>(l), 0, r.layer_cycles[l], model.pass0[l]);
  for (size_t l = 0; l < r.rerun_layer_cycles.size(); ++l)
    scoreboard.check_step_cycles(static_cast<int>(l), 1, r.rerun_layer_cycles[l], model.pass1[l]);
  scoreboard.check_run_cycles(r.cycles, model.total);
  // 7: the output, read back.
  scoreboard.check_readback(r.output);
}

}  // namespace aps::sim
