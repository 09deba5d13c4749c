#include "golden/adaptation/bias_correction.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>

#include "golden/accelerator/program_executor.hpp"
#include "golden/accelerator/sae.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/requantize.hpp"
#include "golden/parallel_for.hpp"

namespace aps {
namespace {

using DiffTable = std::array<int64_t, 256>;

// (reduce(code) - reduce(z)) * 2^shift for every activation code: the
// reduced difference at the 8-bit scale, the 8-bit difference less the
// SAE's reduction error.
DiffTable difference_table(int bits, int32_t zero_point) {
  DiffTable t{};
  for (int code = 0; code < 256; ++code)
    t[static_cast<size_t>(code)] = (code - zero_point) - reduction_error(code, zero_point, bits);
  return t;
}

// Adds, per tap, the sum over output pixels of the difference each tap
// reads, at `bits` (sums[0]) and at 8 bits (sums[1]): tap = (c * kh + ky) *
// kw + kx for a convolution (c over all input channels), the input index
// for a fully connected layer. Padding reads a difference of 0.
void add_tap_sums(const Layer& l, const std::vector<uint8_t>& in, const DiffTable& at_b, const DiffTable& at_8,
                  std::vector<int64_t>& sum_b, std::vector<int64_t>& sum_8) {
  if (l.kind == LayerKind::FullyConnected) {
    for (size_t k = 0; k < in.size(); ++k) {
      sum_b[k] += at_b[in[k]];
      sum_8[k] += at_8[in[k]];
    }
    return;
  }
  const Window& win = l.window;
  const int64_t ih = l.in_shape.height, iw = l.in_shape.width;
  for (int64_t c = 0; c < l.in_shape.channels; ++c)
    for (int64_t ky = 0; ky < win.kernel_h; ++ky)
      for (int64_t kx = 0; kx < win.kernel_w; ++kx) {
        const int64_t tap = (c * win.kernel_h + ky) * win.kernel_w + kx;
        for (int64_t y = 0; y < l.out_shape.height; ++y) {
          const int64_t iy = y * win.stride_h - win.pad_top + ky * win.dilation_h;
          if (iy < 0 || iy >= ih) continue;
          for (int64_t x = 0; x < l.out_shape.width; ++x) {
            const int64_t ix = x * win.stride_w - win.pad_left + kx * win.dilation_w;
            if (ix < 0 || ix >= iw) continue;
            const uint8_t code = in[(c * ih + iy) * iw + ix];
            sum_b[tap] += at_b[code];
            sum_8[tap] += at_8[code];
          }
        }
      }
}

}  // namespace

std::vector<int32_t> measure_bias_correction(const Layer& l, std::span<const std::vector<uint8_t>* const> inputs,
                                             int bits) {
  if (bits < kMinBits || bits >= kMaxBits) throw std::logic_error("measure_bias_correction: width outside 2..7");
  const int64_t outs = l.out_shape.channels;
  std::vector<int32_t> correction(static_cast<size_t>(outs), 0);
  if (inputs.empty()) return correction;
  const bool fc = l.kind == LayerKind::FullyConnected;
  const int64_t window = fc ? 1 : int64_t{l.window.kernel_h} * l.window.kernel_w;
  const int64_t taps = fc ? l.in_shape.size() : l.in_shape.channels * window;
  std::vector<int64_t> sum_b(static_cast<size_t>(taps), 0), sum_8(static_cast<size_t>(taps), 0);
  const DiffTable at_b = difference_table(bits, l.in_q.zero_point), at_8 = difference_table(kMaxBits, l.in_q.zero_point);
  for (const std::vector<uint8_t>* in : inputs) {
    if (static_cast<int64_t>(in->size()) != l.in_shape.size())
      throw std::logic_error(fmt::format("measure_bias_correction: layer '{}' reads {} codes, an input has {}", l.name,
                                         l.in_shape.size(), in->size()));
    add_tap_sums(l, *in, at_b, at_8, sum_b, sum_8);
  }
  const double reads =
      static_cast<double>(inputs.size()) * (fc ? 1.0 : static_cast<double>(l.out_shape.height * l.out_shape.width));

  const int shift = weight_operand_shift(default_shift(bits), l.weight_reduction);
  const std::vector<int32_t> dw_b = weight_differences(l, static_config(bits));
  const std::vector<int32_t> dw_8 = weight_differences(l, static_config(kMaxBits));
  const int64_t per_out = l.weights_per_output();
  const int64_t in_per_group = l.in_shape.channels / l.groups, out_per_group = outs / l.groups;
  for (int64_t o = 0; o < outs; ++o) {
    // Weight k of output o reads tap first + k: its group's input channels' taps.
    const int64_t first = fc ? 0 : (o / out_per_group) * in_per_group * window;
    double drift = 0;
    for (int64_t k = 0; k < per_out; ++k) {
      const auto w = static_cast<size_t>(o * per_out + k);
      drift += (static_cast<double>(int64_t{dw_b[w]} << shift) * static_cast<double>(sum_b[first + k]) -
                static_cast<double>(dw_8[w]) * static_cast<double>(sum_8[first + k])) / reads;
    }
    correction[o] = static_cast<int32_t>(std::clamp(-std::nearbyint(drift), double{std::numeric_limits<int32_t>::min()},
                                                    double{std::numeric_limits<int32_t>::max()}));
  }
  return correction;
}

namespace {

// Steps of match_output_means after the own-input correction: each moves a
// channel's correction by its remaining gap over the slope of its mean
// output code, the multiplier times the share of outputs not clamped. With
// ReLU that mean is convex in the bias, so from above the target (the usual
// start: the own-input correction leaves ReLU outputs high) the steps do not
// overshoot a smooth mean; below 5 bits it moves in stairs (the values the
// bias shifts lie on one lattice, 2^(2(8 - b)) at the 8-bit scale, which
// every sample crosses at once), and the last step is kept whether or not it
// is the best.
constexpr int kOutputMeanSteps = 3;
// A gap this small (in output codes) is far below what moves a decision; a
// channel within it takes no more steps.
constexpr double kOutputMeanTolerance = 0.02;
// The smallest unclamped share the slope assumes: a channel all clamped at
// width b has no slope, and this bounds its step to 16 times its gap over
// the multiplier instead of dividing by zero.
constexpr double kSmallestUnclampedShare = 1.0 / 16;

struct ChannelMeans {
  std::vector<double> mean, unclamped_share;
};

// Per output channel, the mean code of a layer's outputs (channel-major,
// each shape.size() codes) and the share of them not clamped (above
// `lowest`, below kHighestOutputCode).
ChannelMeans channel_means(std::span<const Codes* const> outputs, const FeatureShape& shape, int32_t lowest) {
  const auto channels = static_cast<size_t>(shape.channels), per_channel = static_cast<size_t>(shape.height * shape.width);
  ChannelMeans m{std::vector<double>(channels, 0.0), std::vector<double>(channels, 0.0)};
  for (const Codes* out : outputs) {
    if (out->size() != channels * per_channel)
      throw std::logic_error(fmt::format("channel_means: an output has {} codes, not {}", out->size(), channels * per_channel));
    for (size_t k = 0; k < out->size(); ++k) {
      m.mean[k / per_channel] += (*out)[k];
      m.unclamped_share[k / per_channel] += (*out)[k] > lowest && (*out)[k] < kHighestOutputCode;
    }
  }
  const double reads = static_cast<double>(std::max<size_t>(outputs.size(), 1) * per_channel);
  for (size_t o = 0; o < channels; ++o) {
    m.mean[o] /= reads;
    m.unclamped_share[o] /= reads;
  }
  return m;
}

// Moves layer l's corrections at width `bits` (which start at the own-input
// ones) until each channel's mean output code over `in` is `target`'s, and
// returns the outputs at the final corrections.
std::vector<Codes> match_output_means(Layer& l, int bits, const std::vector<const Codes*>& in,
                                      const std::vector<double>& target, int threads) {
  const int64_t outs = l.out_shape.channels;
  // An output table's codes have no floor of their own: any code but the
  // grid's ends moves with the bias.
  const int32_t lowest = l.has_output_table() ? 0 : lowest_output_code(l.out_q.zero_point, l.relu);
  const auto correction = l.bias_correction.begin() + l.bias_correction_offset(bits);
  std::vector<Codes> outputs(in.size());
  std::vector<const Codes*> output_codes;
  for (const Codes& out : outputs) output_codes.push_back(&out);
  for (int step = 0;; ++step) {
    parallel_for(in.size(), threads, [&](size_t s) { outputs[s] = execute_layer(l, *in[s], static_config(bits)); });
    if (step == kOutputMeanSteps) return outputs;
    const ChannelMeans now = channel_means(output_codes, l.out_shape, lowest);
    bool settled = true;
    for (int64_t o = 0; o < outs; ++o) {
      const double gap = target[o] - now.mean[o];
      if (std::abs(gap) < kOutputMeanTolerance) continue;
      settled = false;
      const double slope = real_value(l.multipliers[o]) * std::max(now.unclamped_share[o], kSmallestUnclampedShare);
      const double moved = static_cast<double>(correction[o]) + gap / slope;
      correction[o] = static_cast<int32_t>(std::clamp(std::nearbyint(moved), double{std::numeric_limits<int32_t>::min()},
                                                      double{std::numeric_limits<int32_t>::max()}));
    }
    if (settled) return outputs;
  }
}

}  // namespace

std::vector<int64_t> bias_correction_samples(int64_t total) {
  const int64_t n = std::min(total, kBiasCorrectionSamples);
  std::vector<int64_t> picked;
  for (int64_t k = 0; k < n; ++k) picked.push_back(k * total / n);
  return picked;
}

std::vector<std::vector<uint8_t>> correct_width(NetworkProgram& program, int bits,
                                                const std::vector<std::vector<uint8_t>>& inputs, int threads,
                                                std::span<const ProgramResult> runs8) {
  std::vector<const ProgramResult*> each;
  for (const ProgramResult& r : runs8) each.push_back(&r);
  return correct_width(program, bits, inputs, threads, each);
}

std::vector<std::vector<uint8_t>> correct_width(NetworkProgram& program, int bits,
                                                const std::vector<std::vector<uint8_t>>& inputs, int threads,
                                                const std::vector<const ProgramResult*>& runs8) {
  const size_t n = inputs.size(), steps = program.layers.size();
  if (!runs8.empty() && runs8.size() != n)
    throw std::logic_error(fmt::format("correct_width: {} inputs and {} 8-bit runs", n, runs8.size()));
  for (const ProgramResult* r : runs8)
    if (r->layer_outputs.size() != steps)
      throw std::logic_error(
          fmt::format("correct_width: an 8-bit run has {} steps, the program {}", r->layer_outputs.size(), steps));
  std::vector<std::vector<Codes>> outputs(n, std::vector<Codes>(steps));
  auto source = [&](size_t s, int producer) -> const Codes& { return producer < 0 ? inputs[s] : outputs[s][producer]; };
  for (size_t i = 0; i < steps; ++i) {
    Layer& l = program.layers[i];
    if (l.kind == LayerKind::SaeScan || l.role != LayerRole::Main)
      throw std::logic_error("correct_width: the program has SAE steps");
    if (l.has_weights()) {
      std::vector<const Codes*> in;
      for (size_t s = 0; s < n; ++s) in.push_back(&source(s, l.input));
      const std::vector<int32_t> c = measure_bias_correction(l, in, bits);
      if (l.bias_correction.empty()) l.bias_correction.assign(static_cast<size_t>(l.bias_correction_entries()), 0);
      std::copy(c.begin(), c.end(), l.bias_correction.begin() + l.bias_correction_offset(bits));
      if (!runs8.empty()) {
        std::vector<const Codes*> at8;
        for (const ProgramResult* r : runs8) at8.push_back(&r->layer_outputs[i]);
        std::vector<Codes> matched = match_output_means(l, bits, in, channel_means(at8, l.out_shape, 0).mean, threads);
        for (size_t s = 0; s < n; ++s) outputs[s][i] = std::move(matched[s]);
        continue;
      }
    }
    const LayerConfig config = static_config(l.has_weights() ? bits : kMaxBits);
    parallel_for(n, threads, [&](size_t s) {
      const Codes none;
      outputs[s][i] = execute_layer(l, source(s, l.input), config, l.kind == LayerKind::Add ? source(s, l.add.input_b) : none);
    });
  }
  std::vector<Codes> result;
  for (auto& o : outputs) result.push_back(std::move(o.back()));
  return result;
}

}  // namespace aps
