#include "sim/descriptor_fault.hpp"

#include <fmt/format.h>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "sim/accelerator_session.hpp"

namespace aps::sim {
namespace {

hw::DescMode mode_of(const Descriptor& d) { return hw::DescMode::unpack(d[hw::kDescMode]); }

bool is_scan(const Descriptor& d) { return mode_of(d).kind == hw::LayerKind::kScan; }
bool is_conv(const Descriptor& d) { return mode_of(d).kind == hw::LayerKind::kConv; }
bool is_dense_conv(const Descriptor& d) { return is_conv(d) && mode_of(d).depthwise == 0; }

}  // namespace

std::vector<hw::Error> descriptor_fault_codes() {
  return {hw::Error::kBadKind, hw::Error::kBadConfig, hw::Error::kActRange, hw::Error::kWgtRange,
          hw::Error::kPrmRange, hw::Error::kShape,    hw::Error::kLayers,   hw::Error::kScan,
          hw::Error::kTable};
}

std::optional<DescriptorFault> plan_descriptor_fault(const ProgramImage& image, const HardwareLimits& limits,
                                                     hw::Error code, std::mt19937_64& rng) {
  bool (*applies)(const Descriptor&) = nullptr;
  switch (code) {
    case hw::Error::kBadKind: applies = [](const Descriptor&) { return true; }; break;
    case hw::Error::kBadConfig:
    case hw::Error::kWgtRange: applies = is_conv; break;
    case hw::Error::kPrmRange: applies = is_dense_conv; break;
    case hw::Error::kActRange:
    case hw::Error::kShape: applies = [](const Descriptor& d) { return !is_scan(d); }; break;
    case hw::Error::kScan: applies = is_scan; break;
    case hw::Error::kTable: applies = [](const Descriptor& d) { return !is_scan(d); }; break;
    case hw::Error::kLayers: {
      DescriptorFault f{code, 0, {}, static_cast<uint32_t>(limits.max_layers + 1), ""};
      f.what = fmt::format("layer count {} (the table holds {})", f.num_layers, limits.max_layers);
      return f;
    }
    default: return std::nullopt;
  }
  std::vector<int> steps;
  for (size_t s = 0; s < image.descriptors.size(); ++s)
    if (applies(image.descriptors[s])) steps.push_back(static_cast<int>(s));
  if (steps.empty()) return std::nullopt;
  DescriptorFault f;
  f.code = code;
  f.step = steps[std::uniform_int_distribution<size_t>(0, steps.size() - 1)(rng)];
  const Descriptor& d = image.descriptors[static_cast<size_t>(f.step)];
  hw::DescMode mode = mode_of(d);
  switch (code) {
    case hw::Error::kBadKind:
      mode.kind = static_cast<hw::LayerKind>(std::uniform_int_distribution<uint32_t>(5, 15)(rng));
      f.words = {{hw::kDescMode, mode.pack()}};
      f.what = fmt::format("kind {}", static_cast<uint32_t>(mode.kind));
      break;
    case hw::Error::kBadConfig:
      mode.bits = std::bernoulli_distribution(0.5)(rng) ? std::uniform_int_distribution<uint32_t>(0, 1)(rng)
                                                        : std::uniform_int_distribution<uint32_t>(9, 15)(rng);
      mode.act_shift = mode.weight_shift = 0;
      f.words = {{hw::kDescMode, mode.pack()}};
      f.what = fmt::format("bits {}", mode.bits);
      break;
    case hw::Error::kShape: {
      hw::DescOutHw out = hw::DescOutHw::unpack(d[hw::kDescOutHw]);
      out.out_h = 0;
      f.words = {{hw::kDescOutHw, out.pack()}};
      f.what = "output height 0";
      break;
    }
    case hw::Error::kActRange:
      f.words = {{hw::kDescInBase, static_cast<uint32_t>(limits.act_words)}};
      f.what = fmt::format("input at word {}, past the scratchpad", limits.act_words);
      break;
    case hw::Error::kWgtRange: {
      if (std::bernoulli_distribution(0.5)(rng)) {
        hw::DescKernel k = hw::DescKernel::unpack(d[hw::kDescKernel]);
        k.kernel_h = k.kernel_w = 255;
        f.words = {{hw::kDescKernel, k.pack()}};
        f.what = "a 255x255 kernel, larger than a weight buffer slot";
      } else {
        // Whatever the step's shape, a part as large as a slot leaves no room for its header.
        const auto slot = static_cast<uint32_t>(limits.wgt_words / 2);
        f.words = {{hw::kDescWgtParts, hw::DescWgtParts{.parts = 2, .part_words = slot}.pack()}};
        f.what = fmt::format("weights in parts of {} words, a weight buffer slot's size", slot);
      }
      break;
    }
    case hw::Error::kPrmRange: {
      // One output pixel of more channels than the parameter buffer holds,
      // laid out consistently and inside the scratchpad.
      const uint32_t channels = static_cast<uint32_t>(limits.param_entries) + 1;
      const auto blocks = static_cast<uint32_t>(channel_blocks(channels, limits.array.rows));
      hw::DescChans chans = hw::DescChans::unpack(d[hw::kDescChans]);
      chans.out_channels = channels;
      f.words = {{hw::kDescChans, chans.pack()},
                 {hw::kDescOutHw, hw::DescOutHw{.out_h = 1, .out_w = 1}.pack()},
                 {hw::kDescOutCb, hw::DescOutCb{.out_cb = blocks}.pack()},
                 {hw::kDescOutBase, 0}};
      f.what = fmt::format("{} output channels (the parameter buffer holds {})", channels, limits.param_entries);
      break;
    }
    case hw::Error::kTable: {
      // A max pooling step copies codes: no table applies to it. Any other
      // step: one past the build's tables.
      const bool pool = mode.kind == hw::LayerKind::kMaxPool;
      const auto table = static_cast<uint32_t>(pool ? 1 : std::min<int64_t>(limits.lut_tables + 1, 255));
      f.words = {{hw::kDescOutTable, hw::DescOutTable{.index = table}.pack()}};
      f.what = pool ? "an output table on a max pooling step"
                    : fmt::format("output table {} (the build holds {})", table, limits.lut_tables);
      break;
    }
    case hw::Error::kScan: {
      hw::DescScanCtl ctl = hw::DescScanCtl::unpack(d[hw::kDescScanCtl]);
      ctl.slot = 255;
      f.words = {{hw::kDescScanCtl, ctl.pack()}};
      f.what = "scan of slot 255";
      break;
    }
    default: return std::nullopt;
  }
  f.what = fmt::format("step {}: {}", f.step, f.what);
  return f;
}

std::string check_descriptor_fault(AcceleratorSession& session, const DescriptorFault& fault, int64_t max_cycles) {
  HostDriver& d = session.driver();
  for (const auto& [word, value] : fault.words) d.write32(descriptor_address(static_cast<size_t>(fault.step), word), value);
  if (fault.num_layers) d.write32(hw::kCsrBase + hw::kCsrNumLayers, hw::CsrNumLayers{.count = fault.num_layers}.pack());
  d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
  d.wait_done(max_cycles);
  const hw::CsrStatus status = hw::CsrStatus::unpack(d.read32(hw::kCsrBase + hw::kCsrStatus));
  d.write32(hw::kCsrBase + hw::kCsrStatus, hw::CsrStatus{.done = 1}.pack());
  if (status.error == 1 && status.error_code == fault.code && static_cast<int>(status.layer) == fault.step) return "";
  return fmt::format("descriptor fault ({}): expected error code {} at step {}, the RTL stopped with error {} code {} at step {}",
                     fault.what, static_cast<uint32_t>(fault.code), fault.step, status.error,
                     static_cast<uint32_t>(status.error_code), status.layer);
}

}  // namespace aps::sim
