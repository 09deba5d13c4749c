#include "sim/program_image.hpp"

#include <cstring>
#include <fmt/format.h>

#include "golden/exit_code.hpp"
#include "sim/host_address_map.hpp"

namespace aps::sim {
namespace {

[[noreturn]] void too_big(const NetworkProgram& p, const Layer& l, const std::string& what) {
  throw InputError(fmt::format("{}: layer '{}' does not fit the RTL build: {}", p.source, l.name, what));
}

void check_field(const NetworkProgram& p, const Layer& l, int64_t value, int bits, const char* what) {
  if (value < 0 || value >= (int64_t{1} << bits))
    too_big(p, l, fmt::format("{} = {} needs more than the {}-bit descriptor field", what, value, bits));
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
  const int64_t cb = channel_blocks(s.channels, rows);
  const int64_t pixel = word / cb;
  const int64_t c = (word % cb) * rows + lane;
  if (c >= s.channels) return static_cast<int8_t>(l.weight_zero_points[m]);
  return l.weights[m * s.size() + c * s.height * s.width + pixel];
}

}  // namespace

uint32_t mode_word(const Layer& layer, const LayerConfig& config) {
  uint32_t kind = hw::kKindConv;
  if (layer.kind == LayerKind::MaxPool) kind = hw::kKindMaxPool;
  if (layer.kind == LayerKind::AveragePool) kind = hw::kKindAvgPool;
  if (layer.kind == LayerKind::Add) kind = hw::kKindAdd;
  // Layers without weights always run at 8 bits (golden/program_executor.hpp).
  const LayerConfig c = layer.has_weights() ? config : static_config(8);
  return kind | (layer.relu ? 1u << 4 : 0u) | (static_cast<uint32_t>(c.bits) << 8) |
         (static_cast<uint32_t>(c.act_shift) << 12) | (static_cast<uint32_t>(c.weight_shift) << 16);
}

std::vector<uint8_t> pack_tensor(const Codes& chw, const FeatureShape& s, int rows) {
  const int64_t cb = channel_blocks(s.channels, rows);
  std::vector<uint8_t> bytes(static_cast<size_t>(s.height * s.width * cb * rows), 0);
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t p = 0; p < s.height * s.width; ++p) bytes[(p * cb + c / rows) * rows + c % rows] = chw[c * s.height * s.width + p];
  return bytes;
}

Codes unpack_tensor(const std::vector<uint8_t>& bytes, const FeatureShape& s, int rows) {
  const int64_t cb = channel_blocks(s.channels, rows);
  Codes chw(static_cast<size_t>(s.size()));
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t p = 0; p < s.height * s.width; ++p) chw[c * s.height * s.width + p] = bytes[(p * cb + c / rows) * rows + c % rows];
  return chw;
}

ProgramImage build_image(const NetworkProgram& p, const std::vector<LayerConfig>& configs, const HardwareLimits& limits) {
  const ArrayShape a = limits.array;
  ProgramImage img;
  img.array = a;
  if (static_cast<int64_t>(p.layers.size()) > limits.max_layers)
    throw InputError(fmt::format("{}: {} layers, the RTL build's descriptor table holds {}", p.source, p.layers.size(),
                                 limits.max_layers));
  if (configs.size() != p.layers.size()) throw InputError("one layer configuration per layer is needed");

  int64_t next_word = 0;
  img.input = {0, p.input_shape, tensor_words(p.input_shape, a.rows)};
  next_word = img.input.words;
  int64_t weight_words = 0, param_entries = 0;
  const int64_t tile_bytes = static_cast<int64_t>(a.rows) * a.cols;

  if (static_cast<int64_t>(p.pcu.slots.size()) > limits.max_layers)
    throw InputError(fmt::format("{}: {} PCU slots, the RTL build has {}", p.source, p.pcu.slots.size(), limits.max_layers));
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) {
      std::array<uint32_t, 16> d{};
      d[hw::kDwMode] = hw::kKindScan | hw::kModeShadow;
      const TensorPlacement t = l.scan.tensor < 0 ? img.input : img.outputs[l.scan.tensor];
      const int32_t zp = l.scan.tensor < 0 ? p.input_q.zero_point : p.layers[l.scan.tensor].out_q.zero_point;
      d[hw::kDwZp] = static_cast<uint32_t>(zp);
      const auto words = scan_words(p, l, a.rows);
      d[hw::kDwScanBase] = static_cast<uint32_t>(img.sae_entries.size());
      d[hw::kDwScanCount] = static_cast<uint32_t>(words.size());
      const uint32_t action = l.scan.action == PcuAction::Decide ? 1u : l.scan.action == PcuAction::DecideAll ? 2u : 0u;
      d[hw::kDwScanCtl] = static_cast<uint32_t>(l.scan.slot) | action << 8;
      for (const ScanWord& w : words) {
        std::vector<uint8_t> entry(static_cast<size_t>(hw::sae_entry_bytes(a.rows)), 0);
        const auto address = static_cast<uint32_t>(t.base + w.word);
        std::memcpy(entry.data(), &address, 4);
        for (int lane = 0; lane < a.rows; ++lane) {
          const auto c = static_cast<uint16_t>(w.coefficients[lane]);
          std::memcpy(entry.data() + 4 + 2 * lane, &c, 2);
        }
        img.sae_entries.push_back(std::move(entry));
      }
      if (static_cast<int64_t>(img.sae_entries.size()) > limits.sae_entries)
        too_big(p, l, fmt::format("its slice needs SAE entries up to {}, the memory has {}", img.sae_entries.size(),
                                  limits.sae_entries));
      img.outputs.push_back({});
      img.descriptors.push_back(d);
      continue;
    }
    const LayerGeometry g = layer_geometry(p, i, a);
    const FeatureShape& stored = stored_input_shape(p, l);
    const TensorPlacement in = l.input < 0 ? img.input : img.outputs[l.input];  // a copy: outputs grows below
    TensorPlacement out{next_word, l.out_shape, g.out_words};
    next_word += out.words;
    img.outputs.push_back(out);
    if (next_word > limits.act_words)
      too_big(p, l, fmt::format("its output needs activation words up to {}, the memory has {}", next_word, limits.act_words));

    std::array<uint32_t, 16> d{};
    d[hw::kDwMode] = mode_word(l, configs[i]) | (l.role == LayerRole::Shadow ? hw::kModeShadow : 0u);
    if (l.pcu_slot >= 0) {
      const PcuSlot& s = p.pcu.slots[l.pcu_slot];
      d[hw::kDwMode] = mode_word(l, static_config(8));  // the PCU supplies the configuration
      d[hw::kDwPcu] = static_cast<uint32_t>(l.pcu_slot) | static_cast<uint32_t>(s.initial_bits) << 8 |
                      static_cast<uint32_t>(s.fallback_bits) << 12 | 1u << 16 |
                      static_cast<uint32_t>(l.input + 1) << 24;
    }
    d[hw::kDwInBase] = static_cast<uint32_t>(in.base);
    d[hw::kDwOutBase] = static_cast<uint32_t>(out.base);
    for (auto [v, n] : {std::pair{g.in_h, "input height"}, {g.in_w, "input width"}, {g.in_cb, "input words"},
                        {g.out_channels, "output channels"}, {g.out_h, "output height"}, {g.out_w, "output width"},
                        {g.out_cb, "output channel blocks"}})
      check_field(p, l, v, 16, n);
    for (auto [v, n] : {std::pair<int64_t, const char*>{l.window.kernel_h, "kernel height"}, {l.window.kernel_w, "kernel width"},
                        {l.window.stride_h, "stride"}, {l.window.stride_w, "stride"}, {l.window.pad_top, "padding"},
                        {l.window.pad_left, "padding"}, {l.window.dilation_h, "dilation"}, {l.window.dilation_w, "dilation"}})
      check_field(p, l, v, 8, n);
    d[hw::kDwInHW] = static_cast<uint32_t>(g.in_h | (g.in_w << 16));
    d[hw::kDwChans] = static_cast<uint32_t>(g.in_cb | (g.out_channels << 16));
    d[hw::kDwOutHW] = static_cast<uint32_t>(g.out_h | (g.out_w << 16));
    d[hw::kDwOutCb] = static_cast<uint32_t>(g.out_cb);
    if (l.kind == LayerKind::FullyConnected || l.kind == LayerKind::Add) {
      d[hw::kDwKernel] = 1u | 1u << 8 | 1u << 16 | 1u << 24;
      d[hw::kDwPad] = 1u << 16 | 1u << 24;
    } else {
      const Window& w = l.window;
      d[hw::kDwKernel] = static_cast<uint32_t>(w.kernel_h | w.kernel_w << 8 | w.stride_h << 16 | w.stride_w << 24);
      d[hw::kDwPad] = static_cast<uint32_t>(w.pad_top | w.pad_left << 8 | w.dilation_h << 16 | w.dilation_w << 24);
    }
    d[hw::kDwZp] = static_cast<uint32_t>(l.in_q.zero_point | (l.out_q.zero_point << 8));
    if (l.kind == LayerKind::Add) {
      const TensorPlacement b = l.add.input_b < 0 ? img.input : img.outputs[l.add.input_b];
      d[hw::kDwWgtBase] = static_cast<uint32_t>(b.base);
      d[hw::kDwZp] |= static_cast<uint32_t>(l.add.in_q_b.zero_point) << 16;
      d[hw::kDwAddMultA] = static_cast<uint32_t>(l.add.multiplier_a.multiplier);
      d[hw::kDwAddMultB] = static_cast<uint32_t>(l.add.multiplier_b.multiplier);
      for (int s : {l.add.multiplier_a.shift, l.add.multiplier_b.shift})
        if (s < -128 || s > 127) too_big(p, l, "an add multiplier shift outside the descriptor's 8 bits");
      if (l.add.left_shift < 0 || l.add.left_shift > 31) too_big(p, l, "the add left shift must be 0..31");
      d[hw::kDwAddShift] = static_cast<uint32_t>(static_cast<uint8_t>(l.add.multiplier_a.shift)) |
                           static_cast<uint32_t>(static_cast<uint8_t>(l.add.multiplier_b.shift)) << 8 |
                           static_cast<uint32_t>(l.add.left_shift) << 16;
    }
    if (l.requantizes() && !l.has_weights()) {
      d[hw::kDwPrmBase] = static_cast<uint32_t>(param_entries);
      param_entries += g.out_channels;
      if (param_entries > limits.param_entries)
        too_big(p, l, fmt::format("needs {} channel parameter entries, the memory has {}", param_entries,
                                  limits.param_entries));
      for (int64_t m = 0; m < g.out_channels; ++m)
        img.params.push_back({l.bias[m], l.multipliers[m].multiplier, l.multipliers[m].shift, 0});
    }

    if (l.has_weights()) {
      d[hw::kDwWgtBase] = static_cast<uint32_t>(weight_words);
      d[hw::kDwPrmBase] = static_cast<uint32_t>(param_entries);
      weight_words += g.weight_words;
      param_entries += g.out_channels;
      if (weight_words > limits.wgt_words)
        too_big(p, l, fmt::format("weights need {} tile words, the memory has {}", weight_words, limits.wgt_words));
      if (param_entries > limits.param_entries)
        too_big(p, l, fmt::format("needs {} channel parameter entries, the memory has {}", param_entries,
                                  limits.param_entries));
      for (int64_t t = 0; t < g.tiles; ++t) {
        std::vector<uint8_t> header(static_cast<size_t>(tile_bytes), 0);
        for (int64_t c = 0; c < a.cols; ++c) {
          const int64_t m = t * a.cols + c;
          if (m < g.out_channels) header[c] = static_cast<uint8_t>(static_cast<int8_t>(l.weight_zero_points[m]));
        }
        img.weights.insert(img.weights.end(), header.begin(), header.end());
        for (int64_t ky = 0; ky < g.kernel_h; ++ky)
          for (int64_t kx = 0; kx < g.kernel_w; ++kx)
            for (int64_t cb = 0; cb < g.in_cb; ++cb) {
              std::vector<uint8_t> word(static_cast<size_t>(tile_bytes), 0);
              for (int64_t c = 0; c < a.cols; ++c) {
                const int64_t m = t * a.cols + c;
                if (m >= g.out_channels) continue;
                for (int64_t lane = 0; lane < a.rows; ++lane) {
                  const int8_t w = l.kind == LayerKind::FullyConnected ? fc_weight(l, stored, m, cb, lane, a.rows)
                                                                      : conv_weight(l, m, cb * a.rows + lane, ky, kx);
                  word[c * a.rows + lane] = static_cast<uint8_t>(w);
                }
              }
              img.weights.insert(img.weights.end(), word.begin(), word.end());
            }
      }
      for (int64_t m = 0; m < g.out_channels; ++m)
        img.params.push_back({l.bias[m], l.multipliers[m].multiplier, l.multipliers[m].shift, 0});
    }
    img.descriptors.push_back(d);
  }
  img.act_words_used = next_word;
  // The PCU: candidate widths, flags and one table entry per slot.
  const PcuProgram& pcu = p.pcu;
  img.num_slots = static_cast<uint32_t>(pcu.slots.size());
  img.pcu_candidates = static_cast<uint32_t>(pcu.candidates.size());
  for (size_t c = 0; c < pcu.candidates.size(); ++c) img.pcu_candidates |= static_cast<uint32_t>(pcu.candidates[c]) << (4 + 4 * c);
  img.pcu_flags = (pcu.adaptive_scaling ? 1u : 0u) | (pcu.cascade ? 2u : 0u) |
                  static_cast<uint32_t>(pcu.margin_threshold) << 8;
  img.budget = pcu.budget;
  for (const PcuSlot& s : pcu.slots) {
    std::array<uint32_t, 16> e{};
    for (size_t c = 0; c < s.alpha.size(); ++c) e[hw::kPwAlpha0 + c] = s.alpha[c];
    e[hw::kPwTauLo] = static_cast<uint32_t>(s.threshold);
    e[hw::kPwTauHi] = static_cast<uint32_t>(s.threshold >> 32);
    e[hw::kPwGroup] = static_cast<uint32_t>(s.group);
    if (s.macs > 0xffffffffLL) throw InputError(fmt::format("{}: a layer has more than 2^32 MACs", p.source));
    e[hw::kPwMacs] = static_cast<uint32_t>(s.macs);
    img.pcu_table.push_back(e);
  }
  return img;
}

}  // namespace aps::sim
