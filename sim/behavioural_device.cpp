#include "sim/behavioural_device.hpp"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <fmt/format.h>
#include <random>

#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/pcu.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/errors.hpp"
#include "sim/program_image.hpp"

namespace aps::sim {

BehaviouralDevice::BehaviouralDevice(const NetworkProgram& program, const DeviceOptions& options,
                                     const hw::BuildParameters& build, BehaviouralFaults faults)
    : program_(program), build_(build), faults_(std::move(faults)), seed_(options.seed),
      random_reset_(options.random_reset) {
  const BehaviouralFaults none;
  faulty_ = faults_.corrupt_write != none.corrupt_write || faults_.drop_write != none.drop_write ||
            faults_.duplicate_write != none.duplicate_write || faults_.extra_cycles != 0 || faults_.extra_stalls != 0 ||
            faults_.extra_plane_reads != 0 ||
            faults_.wrong_metric || faults_.hang || !faults_.unmapped_csr.empty() || faults_.writable_stalls;
  const auto region = [&](uint32_t base, int64_t entries, int64_t entry_bytes) {
    Region r;
    r.base = base;
    r.entry_bytes = static_cast<uint32_t>(entry_bytes);
    r.bytes.assign(static_cast<size_t>(entries * entry_bytes), 0);
    regions_[base] = std::move(r);
  };
  region(hw::kDescBase, build_.max_layers, hw::desc_entry_bytes());
  region(hw::kPcuBase, build_.max_layers, hw::pcu_entry_bytes());
  region(hw::kSaeBase, build_.sae_entries, hw::sae_entry_bytes(build_.rows));
  region(hw::kLutBase, build_.lut_tables, hw::lut_entry_bytes());
  region(hw::kActBase, build_.act_words, hw::act_word_bytes(build_.rows));
  // Memories have no reset: under random reset they power up random, as the
  // verilated RTL's do (--x-initial unique).
  if (random_reset_) {
    std::mt19937_64 rng(seed_);
    for (auto& [base, r] : regions_)
      for (auto& b : r.bytes) b = static_cast<uint8_t>(rng());
  }
  clear_registers();
}

void BehaviouralDevice::clear_registers() {
  busy_ = done_ = irq_enable_ = error_ = false;
  num_layers_ = input_max_ = num_slots_ = pcu_candidates_ = pcu_flags_ = 0;
  budget_ = cycles_ = 0;
  stalls_ = pcu_cycles_ = sae_cycles_ = run_info_ = layer_ = mem_beats_ = mem_stalls_ = 0;
  layer_mem_beats_.fill(0);
  layer_mem_stalls_.fill(0);
  layer_cycles_.fill(0);
  layer_cycles1_.fill(0);
  configs_.fill(0);
  configs1_.fill(0);
  slot_bits_.fill(0);
  metrics_.fill(0);
  writes_.clear();
  remaining_ = 0;
  rsp_pending_ = waiting_ = false;
}

void BehaviouralDevice::fail(const std::string& what) {
  if (failure_.empty()) failure_ = what;
}

void BehaviouralDevice::attach_memory(ExternalMemory* memory) {
  memory_ = memory;
  if (memory_) platform_ = make_platform(program_, hardware_limits(build_), memory_->timing());
}

void BehaviouralDevice::reset(int cycles) {
  for (int i = 0; i < cycles; ++i) {
    clear_registers();
    dump({});
    ++cycle_;
  }
  clear_registers();
}

BehaviouralDevice::Region* BehaviouralDevice::region_of(uint32_t addr) {
  for (auto& [base, r] : regions_) {
    const uint32_t span = base == hw::kDescBase ? hw::kDescSpan : base == hw::kPcuBase ? hw::kPcuSpan
                          : base == hw::kSaeBase ? hw::kSaeSpan : hw::kActSpan;
    if (addr >= base && addr - base < span) return &r;
  }
  return nullptr;
}

uint32_t BehaviouralDevice::read_word(uint32_t addr) {
  if (addr < hw::kCsrSpan) return read_csr(addr);
  Region* r = region_of(addr);
  // Descriptors and the PCU and SAE tables are write-only.
  if (!r || r->base != hw::kActBase) return 0;
  uint32_t w = 0;
  const uint32_t offset = addr - r->base;
  if (offset + 4 <= r->bytes.size()) std::memcpy(&w, r->bytes.data() + offset, 4);
  return w;
}

void BehaviouralDevice::write_word(uint32_t addr, uint32_t data) {
  if (addr < hw::kCsrSpan) return write_csr(addr, data);
  Region* r = region_of(addr);
  const uint32_t offset = addr - r->base;
  if (offset + 4 > r->bytes.size()) return fail(fmt::format("write past the end of a memory ({:08x})", addr));
  std::memcpy(r->bytes.data() + offset, &data, 4);
}

uint32_t BehaviouralDevice::read_csr(uint32_t offset) const {
  for (const auto& c : hw::kCsrTable)
    if (c.offset == offset && c.name == faults_.unmapped_csr) return hw::kCsrUnmapped;
  auto in_array = [&](uint32_t base, uint32_t count, uint32_t stride) {
    return offset >= base && offset < base + count * stride;
  };
  switch (offset) {
    case hw::kCsrId: return hw::kIdValue;
    case hw::kCsrParams:
      return hw::CsrParams{.rows = static_cast<uint32_t>(build_.rows), .cols = static_cast<uint32_t>(build_.cols),
                           .max_layers = static_cast<uint32_t>(build_.max_layers)}
          .pack();
    case hw::kCsrCtrl: return hw::CsrCtrl{.irq_enable = irq_enable_}.pack();
    case hw::kCsrStatus:
      return hw::CsrStatus{.busy = busy_, .done = done_, .error = error_, .layer = layer_,
                           .error_code = static_cast<hw::Error>(error_ ? hw::Error::kBadConfig : hw::Error::kNone)}
          .pack();
    case hw::kCsrNumLayers: return num_layers_;
    case hw::kCsrCyclesLo: return static_cast<uint32_t>(cycles_);
    case hw::kCsrCyclesHi: return static_cast<uint32_t>(cycles_ >> 32);
    case hw::kCsrStalls: return stalls_;
    case hw::kCsrActWords: return static_cast<uint32_t>(build_.act_words);
    case hw::kCsrWgtWords: return static_cast<uint32_t>(build_.wgt_words);
    case hw::kCsrParamEntries: return static_cast<uint32_t>(build_.param_entries);
    case hw::kCsrSaeEntries: return static_cast<uint32_t>(build_.sae_entries);
    case hw::kCsrLutTables: return static_cast<uint32_t>(build_.lut_tables);
    case hw::kCsrPcuCandidates: return pcu_candidates_;
    case hw::kCsrPcuFlags: return pcu_flags_;
    case hw::kCsrBudgetLo: return static_cast<uint32_t>(budget_);
    case hw::kCsrBudgetHi: return static_cast<uint32_t>(budget_ >> 32);
    case hw::kCsrNumSlots: return num_slots_;
    case hw::kCsrInputMax: return input_max_;
    case hw::kCsrRunInfo: return run_info_;
    case hw::kCsrPcuCycles: return pcu_cycles_;
    case hw::kCsrSaeCycles: return sae_cycles_;
    case hw::kCsrMemBeats: return mem_beats_;
    case hw::kCsrMemStalls: return mem_stalls_;
    case hw::kCsrActPlaneReads: return act_plane_reads_;
    case hw::kCsrWgtPlaneReads: return wgt_plane_reads_;
    default: break;
  }
  const auto entry = [&](uint32_t base, uint32_t stride) { return (offset - base) / stride; };
  if (in_array(hw::kCsrLayerCycles, hw::kCsrLayerCyclesCount, hw::kCsrLayerCyclesStride))
    return layer_cycles_[entry(hw::kCsrLayerCycles, hw::kCsrLayerCyclesStride)];
  if (in_array(hw::kCsrLayerCycles1, hw::kCsrLayerCycles1Count, hw::kCsrLayerCycles1Stride))
    return layer_cycles1_[entry(hw::kCsrLayerCycles1, hw::kCsrLayerCycles1Stride)];
  if (in_array(hw::kCsrConfigs, hw::kCsrConfigsCount, hw::kCsrConfigsStride))
    return configs_[entry(hw::kCsrConfigs, hw::kCsrConfigsStride)];
  if (in_array(hw::kCsrConfigs1, hw::kCsrConfigs1Count, hw::kCsrConfigs1Stride))
    return configs1_[entry(hw::kCsrConfigs1, hw::kCsrConfigs1Stride)];
  if (in_array(hw::kCsrMetrics, hw::kCsrMetricsCount, hw::kCsrMetricsStride)) {
    const uint64_t m = metrics_[entry(hw::kCsrMetrics, hw::kCsrMetricsStride)];
    return (offset & 4) ? static_cast<uint32_t>(m >> 32) : static_cast<uint32_t>(m);
  }
  if (in_array(hw::kCsrLayerMemBeats, hw::kCsrLayerMemBeatsCount, hw::kCsrLayerMemBeatsStride))
    return layer_mem_beats_[entry(hw::kCsrLayerMemBeats, hw::kCsrLayerMemBeatsStride)];
  if (in_array(hw::kCsrLayerMemStalls, hw::kCsrLayerMemStallsCount, hw::kCsrLayerMemStallsStride))
    return layer_mem_stalls_[entry(hw::kCsrLayerMemStalls, hw::kCsrLayerMemStallsStride)];
  if (in_array(hw::kCsrSlotBits, hw::kCsrSlotBitsCount, hw::kCsrSlotBitsStride))
    return slot_bits_[entry(hw::kCsrSlotBits, hw::kCsrSlotBitsStride)];
  return hw::kCsrUnmapped;
}

void BehaviouralDevice::write_csr(uint32_t offset, uint32_t data) {
  switch (offset) {
    case hw::kCsrCtrl: {
      const hw::CsrCtrl c = hw::CsrCtrl::unpack(data);
      irq_enable_ = c.irq_enable;
      if (c.start && !busy_) start_run();
      break;
    }
    case hw::kCsrStatus:
      if (hw::CsrStatus::unpack(data).done) done_ = false;
      break;
    case hw::kCsrNumLayers: num_layers_ = hw::CsrNumLayers::unpack(data).count; break;
    case hw::kCsrPcuCandidates: pcu_candidates_ = hw::CsrPcuCandidates::unpack(data).pack(); break;
    case hw::kCsrPcuFlags: pcu_flags_ = hw::CsrPcuFlags::unpack(data).pack(); break;
    case hw::kCsrBudgetLo: budget_ = (budget_ & ~uint64_t{0xffffffff}) | data; break;
    case hw::kCsrBudgetHi: budget_ = (budget_ & 0xffffffff) | uint64_t{data} << 32; break;
    case hw::kCsrNumSlots: num_slots_ = hw::CsrNumSlots::unpack(data).count; break;
    case hw::kCsrInputMax: input_max_ = hw::CsrInputMax::unpack(data).code; break;
    case hw::kCsrStalls:
      if (faults_.writable_stalls) stalls_ = data;
      break;
    default: break;
  }
}

void BehaviouralDevice::start_run() {
  done_ = error_ = false;
  busy_ = true;
  refused_ = static_cast<uint32_t>(program_.layers.size());
  writes_.clear();
  output_.clear();
  // Every log and the PCU's metrics start empty, as the RTL's do.
  layer_cycles_.fill(0);
  layer_cycles1_.fill(0);
  configs_.fill(0);
  configs1_.fill(0);
  layer_mem_beats_.fill(0);
  layer_mem_stalls_.fill(0);
  metrics_.fill(0);
  slot_bits_.fill(0);
  layer_ = 0;
  const Region& desc = regions_.at(hw::kDescBase);
  // Word `w` of step `step`'s descriptor, as the host wrote it.
  const auto descriptor_word = [&](size_t step, uint32_t w) {
    uint32_t word = 0;
    std::memcpy(&word, desc.bytes.data() + step * desc.entry_bytes + 4 * w, 4);
    return word;
  };
  const size_t steps = program_.layers.size();
  if (!memory_) {
    fail("a run started with no external memory attached");
    return;
  }
  // A descriptor table the device was not given a program for is a harness
  // bug, not a run to model.
  if (num_layers_ != steps) {
    fail(fmt::format("NUM_LAYERS is {}, the program has {} steps", num_layers_, steps));
    return;
  }
  // Each step's configuration, as the host wrote it into descriptor word 0.
  // A step the RTL would refuse stops the run there: the steps before it ran.
  std::vector<LayerConfig> configs;
  size_t refused = steps;
  for (size_t i = 0; i < steps; ++i) {
    const hw::DescMode mode = hw::DescMode::unpack(descriptor_word(i, hw::kDescMode));
    const Layer& l = program_.layers[i];
    // The device computes with the program's weight rule and output stage:
    // an image that says otherwise is a harness bug.
    if ((mode.weight_midpoint != 0) != (l.weight_reduction == WeightReduction::Midpoint)) {
      fail(fmt::format("step {} '{}': the descriptor's weight_midpoint is {}, the program's weights are {}", i, l.name,
                       mode.weight_midpoint, weight_reduction_name(l.weight_reduction)));
      return;
    }
    if ((mode.leaky != 0) != l.leaky()) {
      fail(fmt::format("step {} '{}': the descriptor's leaky bit is {}, the program's layer {} a negative slope", i,
                       l.name, mode.leaky, l.leaky() ? "has" : "has no"));
      return;
    }
    if (l.kind != LayerKind::SaeScan) {
      const uint32_t table = hw::DescOutTable::unpack(descriptor_word(i, hw::kDescOutTable)).index;
      const Region& lut = regions_.at(hw::kLutBase);
      const size_t at = (table - 1) * static_cast<size_t>(hw::lut_entry_bytes());
      const bool written = table != 0 && table <= static_cast<uint32_t>(build_.lut_tables) &&
                           std::equal(l.output_table.begin(), l.output_table.end(), lut.bytes.begin() + at);
      if ((table != 0) != l.has_output_table() || (table != 0 && !written)) {
        fail(fmt::format("step {} '{}': the descriptor names output table {}, which does not hold the program's "
                         "layer's table{}", i, l.name, table, l.has_output_table() ? "" : " (it has none)"));
        return;
      }
    }
    LayerConfig c{static_cast<int>(mode.bits), static_cast<int>(mode.act_shift), static_cast<int>(mode.weight_shift)};
    if (!l.has_weights() || l.pcu_slot >= 0) c = static_config(8);
    try {
      check_layer_config(c, l.name);
    } catch (const InputError&) {
      refused = std::min(refused, i);
      c = static_config(8);
    }
    configs.push_back(c);
  }
  const HardwareLimits limits = hardware_limits(build_);
  const Platform& platform = platform_;
  const auto word_bytes = static_cast<size_t>(hw::act_word_bytes(build_.rows));
  const std::vector<uint8_t> in_bytes =
      memory_->read(platform.plan.input_ext, static_cast<size_t>(tensor_words(program_.input_shape, build_.rows)) * word_bytes);
  const Codes input = unpack_tensor(in_bytes, program_.input_shape, limits.array.rows);
  const ProgramResult r = execute_program(program_, input, configs);
  const RunCycles cycles = run_cycle_model(program_, r, platform);

  const bool rerun = r.rerun && refused == steps;
  for (int pass = 0; pass < (rerun ? 2 : 1); ++pass) {
    const auto& outputs = pass == 0 ? r.layer_outputs : r.rerun_outputs;
    for (size_t i = 0; i < outputs.size() && i < refused; ++i)
      for (size_t e = 0; e < outputs[i].size(); ++e)
        writes_.push_back({pass, static_cast<int>(i), static_cast<uint32_t>(e), outputs[i][e]});
  }
  if (faults_.corrupt_write >= 0 && faults_.corrupt_write < static_cast<int64_t>(writes_.size()))
    ++writes_[faults_.corrupt_write].value;
  if (faults_.duplicate_write >= 0 && faults_.duplicate_write < static_cast<int64_t>(writes_.size()))
    writes_.insert(writes_.begin() + faults_.duplicate_write, writes_[faults_.duplicate_write]);
  if (faults_.drop_write >= 0 && faults_.drop_write < static_cast<int64_t>(writes_.size()))
    writes_.erase(writes_.begin() + faults_.drop_write);

  cycles_ = static_cast<uint64_t>(cycles.total + faults_.extra_cycles);
  stalls_ = static_cast<uint32_t>(cycles.stalls + faults_.extra_stalls);
  pcu_cycles_ = static_cast<uint32_t>(cycles.pcu);
  sae_cycles_ = static_cast<uint32_t>(cycles.sae);
  mem_beats_ = static_cast<uint32_t>(cycles.beats);
  mem_stalls_ = static_cast<uint32_t>(cycles.mem_stalls);
  act_plane_reads_ = static_cast<uint32_t>(cycles.act_plane_reads);
  wgt_plane_reads_ = static_cast<uint32_t>(cycles.wgt_plane_reads + faults_.extra_plane_reads);
  for (size_t i = 0; i < refused; ++i) {
    layer_cycles_[i] = static_cast<uint32_t>(cycles.pass0[i]);
    layer_mem_beats_[i] = static_cast<uint32_t>(cycles.beats0[i]);
    layer_mem_stalls_[i] = static_cast<uint32_t>(cycles.mem_stalls0[i]);
    if (rerun) layer_cycles1_[i] = static_cast<uint32_t>(cycles.pass1[i]);
    if (program_.layers[i].kind == LayerKind::SaeScan) continue;
    configs_[i] = pack_step_config(r.configs[i]);
    if (rerun && program_.layers[i].role == LayerRole::Main) configs1_[i] = pack_step_config(r.rerun_configs[i]);
  }
  for (size_t s = 0; s < r.metrics.size(); ++s)
    for (size_t c = 0; c < r.metrics[s].size(); ++c) metrics_[s * hw::kPcuCandidates + c] = r.metrics[s][c];
  if (faults_.wrong_metric && !r.metrics.empty()) ++metrics_[0];
  for (size_t s = 0; s < r.decided_bits.size(); ++s) slot_bits_[s] = static_cast<uint32_t>(r.decided_bits[s]);
  const OutputGaps gaps = output_gaps(r.layer_outputs.back());
  run_info_ = hw::CsrRunInfo{.rerun = rerun,
                             .margin = static_cast<uint32_t>(gaps.second),
                             .third_gap = static_cast<uint32_t>(gaps.third)}
                  .pack();
  output_ = pack_tensor(r.output(), program_.output_layer().out_shape, limits.array.rows);
  output_address_ = platform.plan.output_ext;
  remaining_ = std::max<int64_t>(cycles.total, static_cast<int64_t>(writes_.size()) + 1);
  refused_ = static_cast<uint32_t>(refused);
  if (refused < steps) remaining_ = static_cast<int64_t>(writes_.size()) + 4;
}

void BehaviouralDevice::finish_run() {
  busy_ = false;
  done_ = true;
  if (refused_ < program_.layers.size()) {
    error_ = true;
    layer_ = refused_;
    return;
  }
  memory_->write(output_address_, output_);
  layer_ = num_layers_ > 0 ? num_layers_ - 1 : 0;
}

DeviceOutputs BehaviouralDevice::step(const DeviceInputs& in) {
  DeviceOutputs out;
  // Outputs during this cycle, before the rising edge.
  out.rsp_valid = rsp_pending_;
  out.rsp_rdata = rsp_data_;
  rsp_pending_ = false;
  out.done = done_;
  out.irq = done_ && irq_enable_;
  const bool csr = in.req_addr < hw::kCsrSpan;
  Region* region = csr ? nullptr : region_of(in.req_addr);
  out.req_ready = !(busy_ && !csr);
  if (busy_ && !writes_.empty()) {
    const MonitorWrite& w = writes_.front();
    out.mon_valid = true;
    out.mon_pass = w.pass == 1;
    out.mon_layer = static_cast<uint8_t>(w.layer);
    out.mon_index = w.index;
    out.mon_value = w.value;
    layer_ = static_cast<uint32_t>(w.layer);
  }
  // The host port's assertions.
  if (waiting_ && (!in.req_valid || in.req_addr != waiting_request_.req_addr || in.req_write != waiting_request_.req_write ||
                   in.req_wdata != waiting_request_.req_wdata))
    fail("a request changed or was dropped while waiting for ready");
  if (in.req_valid && !csr && !region) fail(fmt::format("address {:08x} is not mapped", in.req_addr));
  if (in.req_valid && (in.req_addr & 3)) fail(fmt::format("unaligned address {:08x}", in.req_addr));
  waiting_ = in.req_valid && !out.req_ready;
  waiting_request_ = in;
  dump(out);
  // The rising edge: the run advances, then the request is taken (a run it
  // starts is busy from the next cycle on).
  if (busy_) {
    if (out.mon_valid) writes_.pop_front();
    if (!faults_.hang && --remaining_ <= 0 && writes_.empty()) finish_run();
  }
  if (in.req_valid && out.req_ready && failure_.empty()) {
    if (in.req_write) {
      write_word(in.req_addr, in.req_wdata);
    } else {
      rsp_data_ = read_word(in.req_addr);
      rsp_pending_ = true;
    }
  }
  ++cycle_;
  return out;
}

void BehaviouralDevice::trace_open(const std::string& path) {
  trace_close();
  trace_.open(path);
  trace_ << "$timescale 1ps $end\n$scope module aps $end\n"
            "$var wire 1 ! clk_i $end\n$var wire 1 \" busy $end\n$var wire 1 # mon_valid_o $end\n"
            "$var wire 8 $ mon_layer_o $end\n$var wire 8 % mon_value_o $end\n"
            "$upscope $end\n$enddefinitions $end\n";
}

void BehaviouralDevice::trace_close() {
  if (trace_.is_open()) trace_.close();
}

void BehaviouralDevice::dump(const DeviceOutputs& out) {
  if (!trace_.is_open()) return;
  trace_ << '#' << 2 * cycle_ << "\n1!\n" << (busy_ ? 1 : 0) << "\"\n" << (out.mon_valid ? 1 : 0) << "#\n"
         << 'b' << std::bitset<8>(out.mon_layer) << " $\n"
         << 'b' << std::bitset<8>(out.mon_value) << " %\n"
         << '#' << 2 * cycle_ + 1 << "\n0!\n";
}

}  // namespace aps::sim
