#include "sim/program_image.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <tuple>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps::sim {
namespace {

[[noreturn]] void too_big(const NetworkProgram& p, const Layer& l, const std::string& what) {
  throw InputError(fmt::format("{}: layer '{}' does not fit the RTL build: {}", p.source, l.name, what));
}
// A size of the build the layer exceeds, and any other the model does.
[[noreturn]] void too_big(const NetworkProgram& p, const HardwareLimits& limits, const Layer& l, const std::string& what) {
  too_big(p, l, what + whole_model_build(p, limits));
}

void check_field(const NetworkProgram& p, const Layer& l, int64_t value, unsigned width, const char* what) {
  if (value < 0 || value >= (int64_t{1} << width))
    too_big(p, l, fmt::format("{} = {} needs more than the {}-bit descriptor field", what, value, width));
}

// Weight of output channel m for input channel ci at tap (ky, kx), or the
// channel's zero point where the pair does not interact (padding lanes,
// other groups): (w - z_w) is then 0 whatever the activation.
int8_t conv_weight(const Layer& l, int64_t m, int64_t ci, int64_t ky, int64_t kx) {
  const int64_t cin = l.in_shape.channels, cpg = cin / l.groups, mpg = l.out_shape.channels / l.groups;
  const auto zp = static_cast<int8_t>(l.weight_zero_points[m]);
  if (ci >= cin || ci / cpg != m / mpg) return zp;
  const int64_t local = ci - (m / mpg) * cpg;
  return l.weights[((m * cpg + local) * l.window.kernel_h + ky) * l.window.kernel_w + kx];
}

// FC weight for input word r of the blocked input tensor (stored in shape
// `s`, its producer's output shape) and lane: the flattened feature index is
// c * H * W + pixel, ONNX Flatten's order.
int8_t fc_weight(const Layer& l, const FeatureShape& s, int64_t m, int64_t word, int64_t lane, int rows) {
  const int64_t e = word_element(s, word, lane, rows);
  if (e < 0) return static_cast<int8_t>(l.weight_zero_points[m]);
  return l.weights[m * s.size() + e];
}

hw::LayerKind kind_code(LayerKind k) {
  switch (k) {
    case LayerKind::MaxPool: return hw::LayerKind::kMaxPool;
    case LayerKind::AveragePool: return hw::LayerKind::kAvgPool;
    case LayerKind::Add: return hw::LayerKind::kAdd;
    case LayerKind::SaeScan: return hw::LayerKind::kScan;
    case LayerKind::FullyConnected:
    case LayerKind::Conv: break;
  }
  return hw::LayerKind::kConv;
}

hw::ScanAction action_code(PcuAction a) {
  return a == PcuAction::Decide ? hw::ScanAction::kDecide
         : a == PcuAction::DecideAll ? hw::ScanAction::kDecideAll
                                     : hw::ScanAction::kNone;
}

// An SAE scan: its descriptor, and its slice entries appended to the image
// where the memory plan put them. The scanned tensor's size goes in the input
// words, for its load.
Descriptor scan_descriptor(const NetworkProgram& p, size_t step, const MemoryPlan& plan, ProgramImage& img) {
  const Layer& l = p.layers[step];
  const StepMemory& m = plan.steps[step];
  Descriptor d{};
  d[hw::kDescMode] = mode_word(p, step, static_config(8), plan, img.array);
  const FeatureShape& shape = p.tensor_shape(l.scan.tensor);
  d[hw::kDescInHw] = hw::DescInHw{.in_h = static_cast<uint32_t>(shape.height), .in_w = static_cast<uint32_t>(shape.width)}.pack();
  d[hw::kDescChans] = hw::DescChans{.in_cb = static_cast<uint32_t>(channel_blocks(shape.channels, img.array.rows))}.pack();
  d[hw::kDescInBase] = static_cast<uint32_t>(m.in_base);
  d[hw::kDescExtIn] = m.ext_in;
  d[hw::kDescZp] = hw::DescZp{.in_zp = static_cast<uint32_t>(p.tensor_quant(l.scan.tensor).zero_point)}.pack();
  const auto words = scan_words(p, l, img.array.rows);
  if (static_cast<int64_t>(img.sae_entries.size()) != m.scan_base || static_cast<int64_t>(words.size()) != m.scan_entries)
    throw std::logic_error("scan_descriptor: the memory plan's SAE entries are for another program");
  d[hw::kDescScanBase] = static_cast<uint32_t>(m.scan_base);
  d[hw::kDescScanCount] = static_cast<uint32_t>(m.scan_entries);
  d[hw::kDescScanCtl] = hw::DescScanCtl{.slot = static_cast<uint32_t>(l.scan.slot), .action = action_code(l.scan.action)}.pack();
  for (const ScanWord& w : words) {
    std::vector<uint8_t> entry(static_cast<size_t>(hw::sae_entry_bytes(img.array.rows)), 0);
    const auto address = static_cast<uint32_t>(m.in_base + w.word);
    std::memcpy(entry.data() + 4 * hw::kSaeAddress, &address, 4);
    for (int lane = 0; lane < img.array.rows; ++lane) {
      const auto c = static_cast<uint16_t>(w.coefficients[lane]);
      std::memcpy(entry.data() + 4 + 2 * lane, &c, 2);
    }
    img.sae_entries.push_back(std::move(entry));
  }
  return d;
}

// Which lanes of the layer's input words hold channels.
void set_lanes(const NetworkProgram& p, const Layer& l, ArrayShape a, Descriptor& d) {
  const FeatureShape& stored = stored_input_shape(p, l);
  const int64_t blocks = channel_blocks(stored.channels, a.rows);
  check_field(p, l, blocks, hw::DescLanes::kPixelBlocksWidth, "input channel blocks");
  d[hw::kDescLanes] = hw::DescLanes{.last_lanes = static_cast<uint32_t>(stored.channels % a.rows),
                                    .pixel_blocks = static_cast<uint32_t>(blocks)}
                          .pack();
}

// The geometry words of a layer's descriptor (sizes, window), checked
// against their fields.
void set_geometry(const NetworkProgram& p, const Layer& l, const LayerGeometry& g, Descriptor& d) {
  using hw::DescChans, hw::DescInHw, hw::DescKernel, hw::DescOutCb, hw::DescOutHw, hw::DescPad;
  // A fully connected layer and an Add iterate a 1x1 window.
  const Window w = l.kind == LayerKind::FullyConnected || l.kind == LayerKind::Add ? Window{} : l.window;
  for (const auto& [value, width, what] : {
           std::tuple<int64_t, unsigned, const char*>{g.in_h, DescInHw::kInHWidth, "input height"},
           {g.in_w, DescInHw::kInWWidth, "input width"},
           {g.in_cb, DescChans::kInCbWidth, "input words"},
           {g.out_channels, DescChans::kOutChannelsWidth, "output channels"},
           {g.out_h, DescOutHw::kOutHWidth, "output height"},
           {g.out_w, DescOutHw::kOutWWidth, "output width"},
           {g.out_cb, DescOutCb::kOutCbWidth, "output channel blocks"},
           {w.kernel_h, DescKernel::kKernelHWidth, "kernel height"},
           {w.kernel_w, DescKernel::kKernelWWidth, "kernel width"},
           {w.stride_h, DescKernel::kStrideHWidth, "stride"},
           {w.stride_w, DescKernel::kStrideWWidth, "stride"},
           {w.pad_top, DescPad::kPadTopWidth, "padding"},
           {w.pad_left, DescPad::kPadLeftWidth, "padding"},
           {w.dilation_h, DescPad::kDilationHWidth, "dilation"},
           {w.dilation_w, DescPad::kDilationWWidth, "dilation"}})
    check_field(p, l, value, width, what);
  d[hw::kDescInHw] = DescInHw{.in_h = static_cast<uint32_t>(g.in_h), .in_w = static_cast<uint32_t>(g.in_w)}.pack();
  d[hw::kDescChans] = DescChans{.in_cb = static_cast<uint32_t>(g.in_cb), .out_channels = static_cast<uint32_t>(g.out_channels)}.pack();
  d[hw::kDescOutHw] = DescOutHw{.out_h = static_cast<uint32_t>(g.out_h), .out_w = static_cast<uint32_t>(g.out_w)}.pack();
  d[hw::kDescOutCb] = DescOutCb{.out_cb = static_cast<uint32_t>(g.out_cb)}.pack();
  d[hw::kDescKernel] = DescKernel{.kernel_h = static_cast<uint32_t>(w.kernel_h), .kernel_w = static_cast<uint32_t>(w.kernel_w),
                                  .stride_h = static_cast<uint32_t>(w.stride_h), .stride_w = static_cast<uint32_t>(w.stride_w)}.pack();
  d[hw::kDescPad] = DescPad{.pad_top = static_cast<uint32_t>(w.pad_top), .pad_left = static_cast<uint32_t>(w.pad_left),
                            .dilation_h = static_cast<uint32_t>(w.dilation_h), .dilation_w = static_cast<uint32_t>(w.dilation_w)}.pack();
}

// The Add words: the second input's base and zero point, the TFLite multipliers.
void set_add(const NetworkProgram& p, const Layer& l, const StepMemory& m, Descriptor& d) {
  d[hw::kDescWgtBase] = static_cast<uint32_t>(m.in_b_base);
  d[hw::kDescExtInB] = m.ext_in_b;
  hw::DescZp zp = hw::DescZp::unpack(d[hw::kDescZp]);
  zp.in_b_zp = static_cast<uint32_t>(l.add.in_q_b.zero_point);
  d[hw::kDescZp] = zp.pack();
  d[hw::kDescAddMultA] = static_cast<uint32_t>(l.add.multiplier_a.multiplier);
  d[hw::kDescAddMultB] = static_cast<uint32_t>(l.add.multiplier_b.multiplier);
  const hw::DescAddShift shift{.shift_a = l.add.multiplier_a.shift, .shift_b = l.add.multiplier_b.shift,
                               .left_shift = static_cast<uint32_t>(l.add.left_shift)};
  if (!hw::fits_signed(shift.shift_a, hw::DescAddShift::kShiftAWidth) ||
      !hw::fits_signed(shift.shift_b, hw::DescAddShift::kShiftBWidth))
    too_big(p, l, fmt::format("an add multiplier shift outside the descriptor's {} bits", hw::DescAddShift::kShiftAWidth));
  if (l.add.left_shift < 0 || !shift.fits())
    too_big(p, l, fmt::format("the add left shift must be 0..{}", (1 << hw::DescAddShift::kLeftShiftWidth) - 1));
  d[hw::kDescAddShift] = shift.pack();
}

// The bit-planes of a tile's words after its header (memory_plan.hpp,
// weight_tile_beats): plane 7 of every word, then plane 6, ..., each
// word-plane hw::wgt_plane_beats beats with bit j the plane's bit of word
// byte j.
void append_planes(const std::vector<std::vector<uint8_t>>& words, ArrayShape a, std::vector<uint8_t>& out) {
  const auto plane_bytes = static_cast<size_t>(hw::wgt_plane_beats(a.cols) * hw::mem_beat_bytes(a.rows));
  for (int p = 7; p >= 0; --p)
    for (const auto& word : words) {
      std::vector<uint8_t> plane(plane_bytes, 0);
      for (size_t j = 0; j < word.size(); ++j) plane[j / 8] |= static_cast<uint8_t>(((word[j] >> p) & 1) << (j % 8));
      out.insert(out.end(), plane.begin(), plane.end());
    }
}

// The weight tiles of a layer with weights, in the order the sequencer reads
// them: per tile of COLS output channels a header of their weight zero
// points, then one word per (ky, kx, input channel block) the tile reads
// (a depthwise tile: only the blocks of its own channels), stored as
// bit-planes after the header; a tile loaded in parts repeats its header
// before each part's planes.
void append_weight_tiles(const Layer& l, const LayerGeometry& g, const WeightParts& parts, const FeatureShape& stored,
                         ArrayShape a, std::vector<uint8_t>& weights) {
  const auto tile_bytes = static_cast<size_t>(hw::wgt_word_bytes(a.rows, a.cols));
  for (int64_t t = 0; t < g.tiles; ++t) {
    std::vector<uint8_t> header(tile_bytes, 0);
    for (int64_t c = 0; c < a.cols; ++c) {
      const int64_t m = t * a.cols + c;
      if (m < g.out_channels) header[c] = static_cast<uint8_t>(static_cast<int8_t>(l.weight_zero_points[m]));
    }
    std::vector<std::vector<uint8_t>> words;
    for (int64_t ky = 0; ky < g.kernel_h; ++ky)
      for (int64_t kx = 0; kx < g.kernel_w; ++kx)
        for (int64_t j = 0; j < g.word_blocks; ++j) {
          const int64_t cb = (g.depthwise ? t * a.cols / a.rows : 0) + j;
          std::vector<uint8_t> word(tile_bytes, 0);
          for (int64_t c = 0; c < a.cols; ++c) {
            const int64_t m = t * a.cols + c;
            if (m >= g.out_channels) continue;
            for (int64_t lane = 0; lane < a.rows; ++lane) {
              const int8_t w = l.kind == LayerKind::FullyConnected ? fc_weight(l, stored, m, cb, lane, a.rows)
                                                                  : conv_weight(l, m, cb * a.rows + lane, ky, kx);
              word[c * a.rows + lane] = static_cast<uint8_t>(w);
            }
          }
          words.push_back(std::move(word));
        }
    for (int64_t part = 0, first = 0; part < parts.count; ++part) {
      const int64_t n = parts.words_of(part, g.words_per_pixel);
      weights.insert(weights.end(), header.begin(), header.end());
      append_planes({words.begin() + first, words.begin() + first + n}, a, weights);
      first += n;
    }
  }
}

ParamEntry param_entry(const Layer& l, int64_t channel, int bits) {
  ParamEntry e{};
  e[hw::kParamBias] = static_cast<uint32_t>(l.bias_at(bits, channel));
  e[hw::kParamMult] = static_cast<uint32_t>(l.multipliers[channel].multiplier);
  e[hw::kParamShift] = static_cast<uint32_t>(l.multipliers[channel].shift);
  if (const auto negative = l.negative_multiplier(channel)) e[hw::kParamNegMult] = static_cast<uint32_t>(*negative);
  return e;
}

// The PCU's CSRs and one table entry per slot.
void set_pcu(const NetworkProgram& p, ProgramImage& img) {
  const PcuProgram& pcu = p.pcu;
  img.num_slots = static_cast<uint32_t>(pcu.slots.size());
  if (pcu.candidates.size() > hw::kPcuCandidates)
    throw InputError(fmt::format("{}: {} candidate widths, the PCU holds {}", p.source, pcu.candidates.size(),
                                 hw::kPcuCandidates));
  img.pcu_candidates.count = static_cast<uint32_t>(pcu.candidates.size());
  uint32_t* widths[] = {&img.pcu_candidates.c0, &img.pcu_candidates.c1, &img.pcu_candidates.c2, &img.pcu_candidates.c3};
  for (size_t c = 0; c < pcu.candidates.size(); ++c) *widths[c] = static_cast<uint32_t>(pcu.candidates[c]);
  img.pcu_flags = {.adaptive_scaling = pcu.adaptive_scaling ? 1u : 0u,
                   .cascade = pcu.cascade ? 1u : 0u,
                   .margin_weight = static_cast<uint32_t>(pcu.gate.margin_weight),
                   .third_weight = static_cast<uint32_t>(pcu.gate.third_weight),
                   .gate_threshold = static_cast<uint32_t>(pcu.gate.threshold)};
  img.budget = pcu.budget;
  for (const PcuSlot& s : pcu.slots) {
    PcuEntry e{};
    for (size_t c = 0; c < s.alpha.size(); ++c) e[hw::kPcuAlpha0 + c] = s.alpha[c];
    e[hw::kPcuTauLo] = static_cast<uint32_t>(s.threshold);
    e[hw::kPcuTauHi] = static_cast<uint32_t>(s.threshold >> 32);
    e[hw::kPcuGroup] = hw::PcuGroup{.group = static_cast<uint32_t>(s.group)}.pack();
    if (s.cost.size() != pcu.candidates.size() + 1)
      throw InputError(fmt::format("{}: PCU slot of layer {} has {} costs, not one per candidate and one for 8 bits",
                                   p.source, s.layer, s.cost.size()));
    for (size_t c = 0; c < pcu.candidates.size(); ++c) e[hw::kPcuCost0 + c] = s.cost[c];
    e[hw::kPcuCost8] = s.cost.back();
    img.pcu_table.push_back(e);
  }
}

// Copies `bytes` into the external image at `address`.
void place_external(std::vector<uint8_t>& external, uint32_t address, const std::vector<uint8_t>& bytes) {
  std::copy(bytes.begin(), bytes.end(), external.begin() + address);
}

// Where element e (a CHW offset) of a tensor of shape s sits in its blocked bytes.
size_t blocked_byte(const FeatureShape& s, int64_t e, int rows) {
  return static_cast<size_t>(element_word(s, e, rows) * rows + element_lane(s, e, rows));
}

}  // namespace

HardwareLimits hardware_limits(const hw::BuildParameters& b) {
  HardwareLimits h;
  h.array = {static_cast<int>(b.rows), static_cast<int>(b.cols)};
  h.act_words = b.act_words;
  h.wgt_words = b.wgt_words;
  h.param_entries = b.param_entries;
  h.max_layers = std::min<int64_t>(b.max_layers, hw::kCsrLogSteps);
  h.sae_entries = b.sae_entries;
  h.lut_tables = b.lut_tables;
  return h;
}

uint32_t mode_word(const NetworkProgram& p, size_t step, const LayerConfig& config, const MemoryPlan& plan,
                   ArrayShape array) {
  const Layer& layer = p.layers[step];
  const StepMemory& m = plan.steps[step];
  // Layers without weights always run at 8 bits (golden/accelerator/program_executor.hpp).
  const LayerConfig c = layer.has_weights() ? config : static_config(8);
  return hw::DescMode{.kind = kind_code(layer.kind),
                      .relu = layer.relu ? 1u : 0u,
                      .leaky = layer.leaky() ? 1u : 0u,
                      .bits = static_cast<uint32_t>(c.bits),
                      .act_shift = static_cast<uint32_t>(c.act_shift),
                      .weight_shift = static_cast<uint32_t>(c.weight_shift),
                      .weight_midpoint = layer.weight_reduction == WeightReduction::Midpoint ? 1u : 0u,
                      .shadow = layer.role == LayerRole::Shadow || layer.kind == LayerKind::SaeScan ? 1u : 0u,
                      .load_in = m.load_in ? 1u : 0u,
                      .load_in_b = m.load_in_b ? 1u : 0u,
                      .store_out = m.store_out ? 1u : 0u,
                      .depthwise = maps_depthwise(layer, array) ? 1u : 0u}
      .pack();
}

LayerConfig unpack_step_config(uint32_t word) {
  const hw::StepConfig c = hw::StepConfig::unpack(word);
  return {static_cast<int>(c.bits), static_cast<int>(c.act_shift), static_cast<int>(c.weight_shift)};
}

uint32_t pack_step_config(const LayerConfig& c) {
  return hw::StepConfig{.bits = static_cast<uint32_t>(c.bits), .act_shift = static_cast<uint32_t>(c.act_shift),
                        .weight_shift = static_cast<uint32_t>(c.weight_shift)}
      .pack();
}

std::vector<uint8_t> pack_tensor(const Codes& chw, const FeatureShape& s, int rows) {
  std::vector<uint8_t> bytes(static_cast<size_t>(tensor_words(s, rows) * rows), 0);
  for (int64_t e = 0; e < s.size(); ++e) bytes[blocked_byte(s, e, rows)] = chw[static_cast<size_t>(e)];
  return bytes;
}

Codes unpack_tensor(const std::vector<uint8_t>& bytes, const FeatureShape& s, int rows) {
  Codes chw(static_cast<size_t>(s.size()));
  for (int64_t e = 0; e < s.size(); ++e) chw[static_cast<size_t>(e)] = bytes[blocked_byte(s, e, rows)];
  return chw;
}

ProgramImage build_image(const NetworkProgram& p, const std::vector<LayerConfig>& configs, const HardwareLimits& limits,
                         const MemoryPlan& plan) {
  const ArrayShape a = limits.array;
  ProgramImage img;
  img.array = a;
  if (static_cast<int64_t>(p.layers.size()) > limits.max_layers) {
    // The policy's steps count too: say how many, so the user sees whether
    // another schedule is a way out.
    const auto scans = std::count_if(p.layers.begin(), p.layers.end(), [](const Layer& l) { return l.kind == LayerKind::SaeScan; });
    // Scan steps are shadow steps too (adaptive_program.cpp): count the shadow layers apart from them.
    const auto shadow = std::count_if(p.layers.begin(), p.layers.end(), [](const Layer& l) {
      return l.role == LayerRole::Shadow && l.kind != LayerKind::SaeScan;
    });
    const std::string sae = scans || shadow ? fmt::format(" ({} of the model, {} SAE scans, {} shadow layers{})",
                                                          static_cast<int64_t>(p.layers.size()) - scans - shadow, scans,
                                                          shadow, shadow ? ": --schedule jit has none" : "")
                                            : "";
    throw InputError(fmt::format("{}: {} steps{}, the RTL build's descriptor table holds {}", p.source, p.layers.size(),
                                 sae, limits.max_layers));
  }
  if (configs.size() != p.layers.size()) throw InputError("one layer configuration per layer is needed");
  if (plan.steps.size() != p.layers.size()) throw std::logic_error("build_image: the memory plan is for another program");
  if (static_cast<int64_t>(p.pcu.slots.size()) > limits.max_layers)
    throw InputError(fmt::format("{}: {} PCU slots, the RTL build has {}", p.source, p.pcu.slots.size(), limits.max_layers));

  img.external.assign(static_cast<size_t>(plan.ext_bytes), 0);
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    const StepMemory& m = plan.steps[i];
    if (l.kind == LayerKind::SaeScan) {
      img.descriptors.push_back(scan_descriptor(p, i, plan, img));
      continue;
    }
    const LayerGeometry g = layer_geometry(p, i, a);
    Descriptor d{};
    // A PCU step's configuration comes from the PCU; its word carries 8 bits.
    d[hw::kDescMode] = mode_word(p, i, l.pcu_slot >= 0 ? static_config(8) : configs[i], plan, a);
    if (l.pcu_slot >= 0) {
      const PcuSlot& s = p.pcu.slots[l.pcu_slot];
      d[hw::kDescPcu] = hw::DescPcu{.slot = static_cast<uint32_t>(l.pcu_slot),
                                    .initial_bits = static_cast<uint32_t>(s.initial_bits),
                                    .fallback_bits = static_cast<uint32_t>(s.fallback_bits),
                                    .enable = 1,
                                    .max_source = static_cast<uint32_t>(l.input + 1)}
                            .pack();
    }
    d[hw::kDescInBase] = static_cast<uint32_t>(m.in_base);
    d[hw::kDescOutBase] = static_cast<uint32_t>(m.out_base);
    d[hw::kDescExtIn] = m.ext_in;
    d[hw::kDescExtOut] = m.ext_out;
    set_geometry(p, l, g, d);
    set_lanes(p, l, a, d);
    d[hw::kDescZp] = hw::DescZp{.in_zp = static_cast<uint32_t>(l.in_q.zero_point),
                                .out_zp = static_cast<uint32_t>(l.requantized_zero_point())}
                         .pack();
    if (l.kind == LayerKind::Add) set_add(p, l, m, d);
    if (l.has_weights()) {
      // A tile is loaded in parts only on a step of one output pixel
      // (accelerator_geometry.hpp weight_parts).
      if (!m.weight_parts.fits())
        too_big(p, limits, l, fmt::format("a weight tile needs {} words, a weight buffer slot holds {}, and {} (a build "
                                  "configured with {} holds it)", g.tile_stride, limits.wgt_words / 2,
                                  g.depthwise ? "a depthwise tile is not loaded in parts"
                                              : fmt::format("only a layer of one output pixel loads a tile in parts "
                                                            "(this one has {} output pixels)", g.pixels),
                                  wgt_words_option(g.tile_stride)));
      if (m.weight_parts.count > 1) {
        check_field(p, l, m.weight_parts.count, hw::DescWgtParts::kPartsWidth, "weight tile parts");
        check_field(p, l, m.weight_parts.words, hw::DescWgtParts::kPartWordsWidth, "words per weight tile part");
        d[hw::kDescWgtParts] = hw::DescWgtParts{.parts = static_cast<uint32_t>(m.weight_parts.count),
                                                .part_words = static_cast<uint32_t>(m.weight_parts.words)}
                                   .pack();
      }
      // Mapped as a grouped convolution, its lanes of other channels would
      // carry the zero point as their weight, which the midpoint rule does
      // not cancel (weight_reduction.hpp).
      if (l.weight_reduction == WeightReduction::Midpoint && l.is_depthwise() && !maps_depthwise(l, a))
        too_big(p, l, fmt::format("midpoint weights on a depthwise convolution need the array's depthwise mapping, "
                                  "which a {}x{} array does not give", a.rows, a.cols));
      d[hw::kDescWgtBase] = m.ext_weights;
      std::vector<uint8_t> tiles;
      append_weight_tiles(l, g, m.weight_parts, p.tensor_shape(l.input), a, tiles);
      place_external(img.external, m.ext_weights, tiles);
    }
    if (l.requantizes()) {
      if (g.out_channels > limits.param_entries)
        too_big(p, limits, l, fmt::format("{} output channels, the parameter buffer holds {} (a build configured with "
                                  "{} holds it)", g.out_channels, limits.param_entries,
                                  param_entries_option(g.out_channels)));
      d[hw::kDescPrmBase] = m.ext_params;
      d[hw::kDescPrmStride] = m.param_stride;
      d[hw::kDescOutTable] = hw::DescOutTable{.index = static_cast<uint32_t>(m.output_table)}.pack();
      std::vector<uint8_t> params;
      for (int bits = kMaxBits; bits >= (m.param_stride ? kMinBits : kMaxBits); --bits)
        for (int64_t c = 0; c < g.out_channels; ++c) {
          const ParamEntry e = param_entry(l, c, bits);
          const auto* bytes = reinterpret_cast<const uint8_t*>(e.data());
          params.insert(params.end(), bytes, bytes + sizeof(e));
        }
      place_external(img.external, m.ext_params, params);
    }
    img.descriptors.push_back(d);
  }
  set_pcu(p, img);
  img.tables = plan.tables;
  return img;
}

}  // namespace aps::sim
