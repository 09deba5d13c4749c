#include "sim/accelerator_session.hpp"

#include <iostream>

#include <fmt/format.h>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/errors.hpp"
#include "generated/host_interface.hpp"

namespace aps::sim {

namespace {
std::unique_ptr<Device> new_device(const DeviceFactory& make_device, const DeviceOptions& options) {
  if (!make_device) throw std::logic_error("SessionOptions::make_device is not set");
  return make_device(options);
}
}  // namespace

AcceleratorSession::AcceleratorSession(const NetworkProgram& program, const SessionOptions& options)
    : program_(program),
      options_(options),
      controller_(new_device(options.make_device, options.device)),
      driver_(controller_, options.stall_seed, options.stall_probability) {
  variant_ = controller_.device().variant();
  controller_.add_hook([this](int64_t cycle, const DeviceOutputs& out) {
    if (out.mon_valid && scoreboard_)
      scoreboard_->on_write(cycle, out.mon_pass ? 1 : 0, out.mon_layer, out.mon_index, out.mon_value);
  });
  if (!options.trace_path.empty()) start_trace(options.trace_path, options.trace_window);
  controller_.reset();
  limits_ = read_limits(driver_);
  if (const std::string why = check_memory_timing(options.memory); !why.empty()) throw InputError(why);
  if (options.spm_words < 0 || options.spm_words > limits_.act_words)
    throw InputError(fmt::format("--spm-words {}: the build's scratchpad has {} words", options.spm_words,
                                 limits_.act_words));
  memory_ = std::make_unique<ExternalMemory>(options.memory, limits_.array.rows);
  controller_.attach_memory(memory_.get());
  controller_.device().attach_memory(memory_.get());
  platform_ = make_platform(program_, limits_, options.memory, options.spm_words);
  configs_ = static_configs(PrecisionMap(program.layers.size(), 8));
  image_ = build_image(program_, configs_, limits_, platform_.plan);
  load_image();
}

HardwareLimits AcceleratorSession::read_limits(HostDriver& driver) {
  auto csr = [&](uint32_t offset) { return driver.read32(hw::kCsrBase + offset); };
  if (csr(hw::kCsrId) != hw::kIdValue)
    throw InputError("the RTL does not answer with the APS identification register; wrong build?");
  const hw::CsrParams params = hw::CsrParams::unpack(csr(hw::kCsrParams));
  hw::BuildParameters b;
  b.rows = params.rows;
  b.cols = params.cols;
  b.max_layers = params.max_layers;
  b.act_words = csr(hw::kCsrActWords);
  b.wgt_words = csr(hw::kCsrWgtWords);
  b.param_entries = csr(hw::kCsrParamEntries);
  b.sae_entries = csr(hw::kCsrSaeEntries);
  b.lut_tables = csr(hw::kCsrLutTables);
  return hardware_limits(b);
}

HardwareLimits probe_hardware(const DeviceFactory& make_device, const DeviceOptions& options) {
  SimController controller(new_device(make_device, options));
  HostDriver driver(controller);
  controller.reset();
  return AcceleratorSession::read_limits(driver);
}

AcceleratorSession::~AcceleratorSession() {
  scoreboard_ = nullptr;
  // Closing may throw (a trace that cannot be read back); a destructor that
  // runs while another exception unwinds must not.
  try {
    if (tracer_) tracer_->close();
  } catch (const std::exception& e) {
    std::cerr << "warning: the trace was not closed: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "warning: the trace was not closed\n";
  }
}

void AcceleratorSession::start_trace(const std::string& path, TraceWindow window) {
  tracer_ = std::make_unique<Tracer>(path, window);
  controller_.set_tracer(tracer_.get());
}

std::string AcceleratorSession::close_trace(std::optional<int64_t> marker_cycle) {
  if (!tracer_) return "";
  controller_.set_tracer(nullptr);
  // Released before closing: a close that throws is not retried by the destructor.
  const std::unique_ptr<Tracer> tracer = std::move(tracer_);
  const std::string written = tracer->close(marker_cycle);
  // A window that never opened wrote nothing, and a file of that name from
  // before must not pass for this run's.
  if (written.empty())
    throw std::runtime_error(fmt::format("{}: the trace window starts at cycle {}, after the run's last cycle {}",
                                         tracer->path(), tracer->window().start, controller_.cycle() - 1));
  return written;
}

uint32_t AcceleratorSession::csr(uint32_t offset) { return driver_.read32(hw::kCsrBase + offset); }

void AcceleratorSession::write_csr(uint32_t offset, uint32_t value) { driver_.write32(hw::kCsrBase + offset, value); }

void AcceleratorSession::load_image() {
  for (size_t l = 0; l < image_.descriptors.size(); ++l) driver_.write_words(descriptor_address(l), image_.descriptors[l]);
  memory_->write(0, image_.external);
  const auto pcu_bytes = static_cast<uint32_t>(hw::pcu_entry_bytes());
  for (size_t s = 0; s < image_.pcu_table.size(); ++s)
    driver_.write_words(hw::kPcuBase + static_cast<uint32_t>(s) * pcu_bytes, image_.pcu_table[s]);
  const auto entry_bytes = static_cast<uint32_t>(hw::sae_entry_bytes(limits_.array.rows));
  for (size_t e = 0; e < image_.sae_entries.size(); ++e)
    driver_.write_bytes(hw::kSaeBase + static_cast<uint32_t>(e) * entry_bytes, image_.sae_entries[e]);
  for (size_t t = 0; t < image_.tables.size(); ++t)
    driver_.write_bytes(hw::kLutBase + static_cast<uint32_t>(t * hw::lut_entry_bytes()), image_.tables[t]);
  write_csr(hw::kCsrPcuCandidates, image_.pcu_candidates.pack());
  write_csr(hw::kCsrPcuFlags, image_.pcu_flags.pack());
  write_csr(hw::kCsrBudgetLo, static_cast<uint32_t>(image_.budget));
  write_csr(hw::kCsrBudgetHi, static_cast<uint32_t>(image_.budget >> 32));
  write_csr(hw::kCsrNumSlots, hw::CsrNumSlots{.count = image_.num_slots}.pack());
  write_csr(hw::kCsrNumLayers, hw::CsrNumLayers{.count = static_cast<uint32_t>(program_.layers.size())}.pack());
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
    driver_.write32(descriptor_address(l, hw::kDescMode), mode_word(program_, l, configs[l], platform_.plan, limits_.array));
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
  // An assertion or a hang anywhere in the input's run (loading it, starting
  // it, waiting, reading its counters back) names the input.
  try {
    return execute_input(input_index, input, expected, scoreboard);
  } catch (const RtlAssertion& e) {
    scoreboard_ = nullptr;
    throw RtlAssertion(fmt::format("input {}: {}", input_index, e.what()));
  } catch (const WatchdogTimeout& e) {
    scoreboard_ = nullptr;
    throw WatchdogTimeout(fmt::format("input {}: {}", input_index, e.what()));
  }
}

InputRun AcceleratorSession::execute_input(int64_t input_index, const Codes& input, const ProgramResult* expected,
                                           Scoreboard* scoreboard) {
  const int rows = limits_.array.rows;
  const FeatureShape& out_shape = program_.output_layer().out_shape;
  const auto out_bytes = static_cast<size_t>(tensor_words(out_shape, rows) * hw::act_word_bytes(rows));
  // The output region reads as never written, so an output the run does not
  // store cannot read as an earlier input's.
  memory_->write(platform_.plan.output_ext, std::vector<uint8_t>(out_bytes, ExternalMemory::kUnwritten));
  memory_->write(platform_.plan.input_ext, pack_tensor(input, program_.input_shape, rows));
  uint32_t input_max = 0;
  for (uint8_t v : input) input_max = std::max<uint32_t>(input_max, v);
  write_csr(hw::kCsrInputMax, hw::CsrInputMax{.code = input_max}.pack());  // what a DMA engine would note while loading
  InputRun r;
  r.start_cycle = controller_.cycle();
  if (scoreboard) scoreboard->begin_input(input_index, program_, *expected, r.start_cycle);
  scoreboard_ = scoreboard;
  write_csr(hw::kCsrCtrl, hw::CsrCtrl{.start = 1, .irq_enable = 1}.pack());
  try {
    r.irq_at_done = driver_.wait_done(options_.max_cycles, options_.host_wait).irq;
  } catch (const WatchdogTimeout&) {
    scoreboard_ = nullptr;
    const int layer = static_cast<int>(hw::CsrStatus::unpack(csr(hw::kCsrStatus)).layer);
    const std::string name = layer < static_cast<int>(program_.layers.size()) ? program_.layers[layer].name : "?";
    throw WatchdogTimeout(fmt::format("the accelerator did not finish within {} cycles; stuck in layer {} '{}'",
                                      options_.max_cycles, layer, name));
  }
  scoreboard_ = nullptr;
  const hw::CsrStatus status = hw::CsrStatus::unpack(csr(hw::kCsrStatus));
  write_csr(hw::kCsrStatus, hw::CsrStatus{.done = 1}.pack());  // clear done
  const DeviceOutputs cleared = controller_.step({});
  r.done_after_clear = cleared.done;
  r.irq_after_clear = cleared.irq;
  const hw::CsrRunInfo info = hw::CsrRunInfo::unpack(csr(hw::kCsrRunInfo));
  r.rerun = info.rerun;
  r.cycles = csr(hw::kCsrCyclesLo) | (static_cast<int64_t>(csr(hw::kCsrCyclesHi)) << 32);
  for (size_t l = 0; l < program_.layers.size(); ++l) {
    const auto step = static_cast<uint32_t>(l);
    r.layer_cycles.push_back(csr(hw::kCsrLayerCycles + hw::kCsrLayerCyclesStride * step));
    r.layer_mem_beats.push_back(csr(hw::kCsrLayerMemBeats + hw::kCsrLayerMemBeatsStride * step));
    r.layer_mem_stalls.push_back(csr(hw::kCsrLayerMemStalls + hw::kCsrLayerMemStallsStride * step));
  }
  // The re-run's counters when the RTL re-ran (and, in a checked run, the
  // golden run did too: otherwise the decision itself is the mismatch).
  if (r.rerun && (!scoreboard || expected->rerun))
    for (size_t l = 0; l < program_.layers.size(); ++l)
      r.rerun_layer_cycles.push_back(csr(hw::kCsrLayerCycles1 + static_cast<uint32_t>(hw::kCsrLayerCycles1Stride * l)));
  r.pcu_cycles = csr(hw::kCsrPcuCycles);
  r.sae_cycles = csr(hw::kCsrSaeCycles);
  r.stalls = csr(hw::kCsrStalls);
  r.mem_stalls = csr(hw::kCsrMemStalls);
  r.mem_beats = csr(hw::kCsrMemBeats);
  r.act_plane_reads = csr(hw::kCsrActPlaneReads);
  r.wgt_plane_reads = csr(hw::kCsrWgtPlaneReads);
  r.output = unpack_tensor(memory_->read(platform_.plan.output_ext, out_bytes), out_shape, rows);
  if (scoreboard) {
    check_run(input_index, status, info, *expected, r, *scoreboard);
    r.passed = scoreboard->end_input();
  }
  return r;
}

void AcceleratorSession::check_run(int64_t input_index, const hw::CsrStatus& status, const hw::CsrRunInfo& info,
                                   const ProgramResult& expected, const InputRun& r, Scoreboard& scoreboard) {
  if (status.error) {
    const int layer = static_cast<int>(status.layer);
    Mismatch m;
    m.check = fmt::format("RTL refused the descriptor ({})", hw::error_message(status.error_code));
    m.rank = CheckRank::LayerConfig;
    m.input = input_index;
    m.layer = layer;
    m.layer_name = layer < static_cast<int>(program_.layers.size()) ? program_.layers[layer].name : "?";
    scoreboard.record(std::move(m));
  }
  // The SAE metrics and the width the PCU decided, per slot.
  const PcuProgram& pcu = program_.pcu;
  for (size_t s = 0; s < pcu.slots.size(); ++s) {
    for (size_t c = 0; c < pcu.candidates.size(); ++c) {
      const auto off = static_cast<uint32_t>(hw::kCsrMetrics + hw::kCsrMetricsStride * (hw::kPcuCandidates * s + c));
      scoreboard.check_metric(static_cast<int>(s), static_cast<int>(c), csr(off) | static_cast<uint64_t>(csr(off + 4)) << 32);
    }
    const auto bits = hw::CsrSlotBits::unpack(csr(hw::kCsrSlotBits + static_cast<uint32_t>(hw::kCsrSlotBitsStride * s))).bits;
    scoreboard.check_slot_bits(static_cast<int>(s), static_cast<int>(bits));
  }
  // The configuration of every step, in both passes.
  for (int pass = 0; pass < (r.rerun ? 2 : 1); ++pass)
    for (size_t l = 0; l < program_.layers.size(); ++l) {
      const Layer& layer = program_.layers[l];
      if (layer.kind == LayerKind::SaeScan || (pass == 1 && layer.role != LayerRole::Main)) continue;
      const uint32_t log = pass ? hw::kCsrConfigs1 + hw::kCsrConfigs1Stride * static_cast<uint32_t>(l)
                                : hw::kCsrConfigs + hw::kCsrConfigsStride * static_cast<uint32_t>(l);
      scoreboard.check_config(static_cast<int>(l), pass, unpack_step_config(csr(log)));
    }
  scoreboard.check_rerun(r.rerun, {static_cast<int>(info.margin), static_cast<int>(info.third_gap)});
  // The end-of-run pins, with the interrupt enabled.
  scoreboard.check_counter("interrupt pin when done rose", r.irq_at_done, 1);
  scoreboard.check_counter("done pin after writing 1 to status.done", r.done_after_clear, 0);
  scoreboard.check_counter("interrupt pin after writing 1 to status.done", r.irq_after_clear, 0);
  // The counters.
  const RunCycles model = run_cycle_model(program_, expected, platform_);
  for (size_t l = 0; l < r.layer_cycles.size(); ++l) {
    scoreboard.check_step_cycles(static_cast<int>(l), 0, r.layer_cycles[l], model.pass0[l]);
    scoreboard.check_step_counter("step memory beats", static_cast<int>(l), 0, r.layer_mem_beats[l], model.beats0[l]);
    scoreboard.check_step_counter("step memory stall cycles", static_cast<int>(l), 0, r.layer_mem_stalls[l],
                                  model.mem_stalls0[l]);
  }
  for (size_t l = 0; l < r.rerun_layer_cycles.size(); ++l)
    scoreboard.check_step_cycles(static_cast<int>(l), 1, r.rerun_layer_cycles[l], model.pass1[l]);
  scoreboard.check_counter("run cycle count", r.cycles, model.total);
  scoreboard.check_counter("stall cycle count", r.stalls, model.stalls);
  scoreboard.check_counter("memory stall cycle count", r.mem_stalls, model.mem_stalls);
  scoreboard.check_counter("memory beat count", r.mem_beats, model.beats);
  scoreboard.check_counter("activation plane read count", r.act_plane_reads, model.act_plane_reads);
  scoreboard.check_counter("weight plane read count", r.wgt_plane_reads, model.wgt_plane_reads);
  scoreboard.check_counter("PCU cycle count", r.pcu_cycles, model.pcu);
  scoreboard.check_counter("SAE cycle count", r.sae_cycles, model.sae);
  scoreboard.check_readback(r.output);
}

}  // namespace aps::sim
