#include "golden/accelerator/program_executor.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <stdexcept>

#include "golden/errors.hpp"
#include "golden/accelerator/input_patches.hpp"
#include "golden/accelerator/pcu.hpp"
#include "golden/accelerator/sae.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/quantize_linear.hpp"
#include "golden/numerics/requantize.hpp"
#include "golden/numerics/rounding.hpp"
#include "golden/numerics/weight_reduction.hpp"

namespace aps {
namespace {

// An output channel's accumulators, finished: shifted back to the 8-bit
// scale, bias added, requantized. What the channel and width fix is looked
// up once per channel, not once per output.
class ChannelOutput {
 public:
  ChannelOutput(const Layer& l, int64_t channel, const LayerConfig& c)
      : shift_(c.act_shift + weight_operand_shift(c.weight_shift, l.weight_reduction)),
        bias_(l.bias_at(c.bits, channel)),
        multiplier_(l.multipliers[channel]),
        zero_point_(l.requantized_zero_point()),
        relu_(l.relu),
        negative_(l.negative_multiplier(channel)),
        layer_(l) {}

  uint8_t operator()(int64_t acc) const {
    const int32_t acc32 = saturate_int32(acc);
    const int32_t acc8 = saturate_int32(static_cast<int64_t>(acc32) * (int64_t{1} << shift_));
    const int32_t total = saturate_int32(static_cast<int64_t>(acc8) + bias_);
    return layer_.table_code(requantize(total, multiplier_, zero_point_, relu_, negative_));
  }

 private:
  int shift_;
  int32_t bias_;
  QuantizedMultiplier multiplier_;
  int32_t zero_point_;
  bool relu_;
  std::optional<int32_t> negative_;
  const Layer& layer_;
};

}  // namespace

std::vector<int32_t> weight_differences(const Layer& l, const LayerConfig& c) {
  const int64_t per_out = l.weights_per_output();
  const auto operand = weight_operand_table(c.bits, c.weight_shift, l.weight_reduction);
  std::vector<int32_t> d(l.weights.size());
  for (int64_t o = 0; o < l.out_shape.channels; ++o) {
    const int32_t z = weight_zero_point_operand(l.weight_zero_points[o], c.bits, c.weight_shift, l.weight_reduction);
    for (int64_t k = 0; k < per_out; ++k)
      d[o * per_out + k] = operand[static_cast<uint8_t>(l.weights[o * per_out + k])] - z;
  }
  return d;
}

namespace {

std::vector<int32_t> activation_differences(const Layer& l, std::span<const uint8_t> in, const LayerConfig& c) {
  const int32_t z = reduce_code(l.in_q.zero_point, c.bits, c.act_shift, Signedness::Unsigned);
  const auto reduced = reduction_table(c.bits, c.act_shift, Signedness::Unsigned);
  std::vector<int32_t> d(in.size());
  for (size_t i = 0; i < in.size(); ++i) d[i] = reduced[in[i]] - z;
  return d;
}

Codes fully_connected(const Layer& l, std::span<const uint8_t> in, const LayerConfig& c) {
  const auto a = activation_differences(l, in, c);
  const auto w = weight_differences(l, c);
  const int64_t k = l.in_shape.size();
  Codes out(static_cast<size_t>(l.out_shape.channels));
  for (int64_t o = 0; o < l.out_shape.channels; ++o) {
    int64_t acc = 0;
    for (int64_t i = 0; i < k; ++i) acc += static_cast<int64_t>(a[i]) * w[o * k + i];
    out[o] = ChannelOutput(l, o, c)(acc);
  }
  return out;
}

// dst[i] += w * src[i]: the convolution's inner loop, on arrays that do not
// overlap (so the compiler may vectorize it).
template <class Acc>
void add_scaled(Acc* __restrict dst, const int32_t* __restrict src, int64_t n, Acc w) {
  for (int64_t i = 0; i < n; ++i) dst[i] += w * src[i];
}

// One output channel's plane at a time, tap by tap: each tap adds its weight
// times a shifted row of the input to every output it reaches. The sums are
// exact integers, so this order gives the same accumulators as any other;
// Acc is int32_t when no sum of the layer can leave its range.
template <class Acc>
Codes convolution_with(const Layer& l, std::span<const int32_t> a, std::span<const int32_t> w, const LayerConfig& c) {
  const Window& win = l.window;
  const int64_t ih = l.in_shape.height, iw = l.in_shape.width;
  const int64_t oh = l.out_shape.height, ow = l.out_shape.width;
  const int64_t cpg = l.in_shape.channels / l.groups, mpg = l.out_shape.channels / l.groups;
  const int64_t stride = win.stride_w;
  // Per kernel column: the output columns whose input column is inside the image.
  std::vector<std::pair<int64_t, int64_t>> cols(static_cast<size_t>(win.kernel_w));
  for (int64_t kx = 0; kx < win.kernel_w; ++kx) {
    int64_t lo = 0, hi = ow;
    while (lo < hi && lo * stride - win.pad_left + kx * win.dilation_w < 0) ++lo;
    while (hi > lo && (hi - 1) * stride - win.pad_left + kx * win.dilation_w >= iw) --hi;
    cols[kx] = {lo, hi};
  }
  const bool rows_contiguous = stride == 1 && win.stride_h == 1 && ow == iw;
  Codes out(static_cast<size_t>(l.out_shape.size()));
  std::vector<Acc> acc(static_cast<size_t>(oh * ow));
  for (int64_t m = 0; m < l.out_shape.channels; ++m) {
    const int64_t g = m / mpg;
    std::fill(acc.begin(), acc.end(), 0);
    for (int64_t ci = 0; ci < cpg; ++ci) {
      const int32_t* plane = a.data() + (g * cpg + ci) * ih * iw;
      for (int64_t ky = 0; ky < win.kernel_h; ++ky)
        for (int64_t kx = 0; kx < win.kernel_w; ++kx) {
          const Acc wv = w[((m * cpg + ci) * win.kernel_h + ky) * win.kernel_w + kx];
          if (wv == 0) continue;
          const auto [x0, x1] = cols[kx];
          if (x0 == x1) continue;  // every column of this tap reads padding
          if (rows_contiguous && x0 == 0 && x1 == ow) {
            // Every output column reads inside the image and output rows
            // follow input rows: the tap's in-bounds rows are one run.
            const int64_t y0 = std::clamp<int64_t>(win.pad_top - ky * win.dilation_h, 0, oh);
            const int64_t y1 = std::clamp<int64_t>(ih + win.pad_top - ky * win.dilation_h, y0, oh);
            if (y1 == y0) continue;  // (and `first` may lie outside the plane)
            const int64_t first = (y0 - win.pad_top + ky * win.dilation_h) * iw + kx * win.dilation_w - win.pad_left;
            add_scaled(acc.data() + y0 * ow, plane + first, (y1 - y0) * ow, wv);
            continue;
          }
          for (int64_t y = 0; y < oh; ++y) {
            const int64_t iy = y * win.stride_h - win.pad_top + ky * win.dilation_h;
            if (iy < 0 || iy >= ih) continue;  // pad = zero point: difference 0
            const int64_t first = iy * iw - win.pad_left + kx * win.dilation_w;  // input index of output column 0
            Acc* dst = acc.data() + y * ow;
            if (stride == 1) {
              add_scaled(dst + x0, plane + (first + x0), x1 - x0, wv);
            } else {
              for (int64_t x = x0; x < x1; ++x) dst[x] += wv * plane[first + x * stride];
            }
          }
        }
    }
    const ChannelOutput finish(l, m, c);
    for (int64_t p = 0; p < oh * ow; ++p) out[m * oh * ow + p] = finish(acc[p]);
  }
  return out;
}

Codes convolution(const Layer& l, std::span<const uint8_t> in, const LayerConfig& c) {
  const auto a = activation_differences(l, in, c);
  const auto w = weight_differences(l, c);
  // |a|, |w| <= 255 after subtracting zero points.
  const int64_t terms = l.in_shape.channels / l.groups * l.window.kernel_h * l.window.kernel_w;
  if (terms * 255 * 255 <= int64_t{INT32_MAX}) return convolution_with<int32_t>(l, a, w, c);
  return convolution_with<int64_t>(l, a, w, c);
}

Codes average_pool(const Layer& l, std::span<const uint8_t> in) {
  const Window& win = l.window;
  const int64_t ih = l.in_shape.height, iw = l.in_shape.width;
  const int64_t oh = l.out_shape.height, ow = l.out_shape.width;
  Codes out(static_cast<size_t>(l.out_shape.size()));
  for (int64_t ch = 0; ch < l.out_shape.channels; ++ch) {
    const ChannelOutput finish(l, ch, static_config(kMaxBits));
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        int64_t acc = 0;
        for (int64_t ky = 0; ky < win.kernel_h; ++ky)
          for (int64_t kx = 0; kx < win.kernel_w; ++kx) {
            const int64_t iy = y * win.stride_h - win.pad_top + ky * win.dilation_h;
            const int64_t ix = x * win.stride_w - win.pad_left + kx * win.dilation_w;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;  // padding: real 0, code z
            acc += static_cast<int64_t>(in[(ch * ih + iy) * iw + ix]) - l.in_q.zero_point;
          }
        out[(ch * oh + y) * ow + x] = finish(acc);
      }
  }
  return out;
}

// The rescaled sum goes through the layer's output stage as an average
// pool's does (its bias is 0, its shift 0).
Codes add(const Layer& l, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  const int64_t per_channel = l.out_shape.height * l.out_shape.width;
  Codes out(static_cast<size_t>(l.out_shape.size()));
  for (int64_t ch = 0; ch < l.out_shape.channels; ++ch) {
    const ChannelOutput finish(l, ch, static_config(kMaxBits));
    for (int64_t i = ch * per_channel; i < (ch + 1) * per_channel; ++i)
      out[i] = finish(add_rescaled_sum(l.add, a[i], l.in_q.zero_point, b[i]));
  }
  return out;
}

Codes max_pool(const Layer& l, std::span<const uint8_t> in) {
  const Window& win = l.window;
  const int64_t ih = l.in_shape.height, iw = l.in_shape.width;
  const int64_t oh = l.out_shape.height, ow = l.out_shape.width;
  Codes out(static_cast<size_t>(l.out_shape.size()));
  for (int64_t ch = 0; ch < l.out_shape.channels; ++ch)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        int best = -1;
        for (int64_t ky = 0; ky < win.kernel_h; ++ky)
          for (int64_t kx = 0; kx < win.kernel_w; ++kx) {
            const int64_t iy = y * win.stride_h - win.pad_top + ky * win.dilation_h;
            const int64_t ix = x * win.stride_w - win.pad_left + kx * win.dilation_w;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
            best = std::max<int>(best, in[(ch * ih + iy) * iw + ix]);
          }
        out[(ch * oh + y) * ow + x] = static_cast<uint8_t>(std::max(best, 0));
      }
  return out;
}

}  // namespace

int32_t add_rescaled_sum(const AddParams& p, int32_t a_code, int32_t a_zero_point, int32_t b_code) {
  const int32_t a = (a_code - a_zero_point) * (1 << p.left_shift);
  const int32_t b = (b_code - p.in_q_b.zero_point) * (1 << p.left_shift);
  return saturate_int32(static_cast<int64_t>(multiply_by_quantized_multiplier(a, p.multiplier_a)) +
                        multiply_by_quantized_multiplier(b, p.multiplier_b));
}

Codes execute_layer(const Layer& layer, std::span<const uint8_t> input, const LayerConfig& config,
                    std::span<const uint8_t> input_b) {
  if (static_cast<int64_t>(input.size()) != layer.in_shape.size())
    throw InputError(fmt::format("layer '{}': {} input codes, expected {}", layer.name, input.size(), layer.in_shape.size()));
  switch (layer.kind) {
    case LayerKind::FullyConnected: return fully_connected(layer, input, config);
    case LayerKind::Conv: return convolution(layer, input, config);
    case LayerKind::MaxPool: return max_pool(layer, input);
    case LayerKind::AveragePool: return average_pool(layer, input);
    case LayerKind::SaeScan:
      return {};
    case LayerKind::Add:
      if (static_cast<int64_t>(input_b.size()) != layer.in_shape.size())
        throw InputError(fmt::format("layer '{}': second input has {} codes, expected {}", layer.name, input_b.size(),
                                     layer.in_shape.size()));
      return add(layer, input, input_b);
  }
  return {};
}

namespace {

int largest_code(std::span<const uint8_t> t) {
  int m = 0;
  for (uint8_t v : t) m = std::max<int>(m, v);
  return m;
}

// Step i at `config` (a layer without weights at 8 bits, whatever it is
// given), reading its inputs from `outputs` or the network input; returns
// the configuration it ran at.
LayerConfig run_step(const NetworkProgram& program, size_t i, std::span<const uint8_t> input, LayerConfig config,
                     std::vector<Codes>& outputs) {
  const Layer& l = program.layers[i];
  if (!l.has_weights()) config = static_config(kMaxBits);
  check_layer_config(config, fmt::format("layer '{}'", l.name));
  auto source = [&](int producer) { return producer < 0 ? input : std::span<const uint8_t>(outputs[producer]); };
  outputs[i] = execute_layer(l, source(l.input), config,
                             l.kind == LayerKind::Add ? source(l.add.input_b) : std::span<const uint8_t>{});
  return config;
}

// One pass over the steps. Pass 1 (the cascade's re-run) runs only the main
// layers, at the fallback widths.
void run_pass(const NetworkProgram& program, std::span<const uint8_t> input, const std::vector<LayerConfig>& configs,
              PcuState& pcu, int pass, ProgramResult& r) {
  std::vector<Codes>& outputs = pass == 0 ? r.layer_outputs : r.rerun_outputs;
  std::vector<LayerConfig>& used = pass == 0 ? r.configs : r.rerun_configs;
  outputs.assign(program.layers.size(), {});
  used.assign(program.layers.size(), LayerConfig{});
  auto source = [&](int producer) {
    if (producer < 0) return input;
    // Pass 1 reads what pass 1 wrote; shadow tensors exist only in pass 0.
    return std::span<const uint8_t>(outputs[producer]);
  };
  auto zero_point_of = [&](int producer) {
    return producer < 0 ? program.input_q.zero_point : program.layers[producer].out_q.zero_point;
  };
  for (size_t i = 0; i < program.layers.size(); ++i) {
    const Layer& l = program.layers[i];
    if (pass == 1 && (l.role != LayerRole::Main || l.kind == LayerKind::SaeScan)) continue;
    if (l.kind == LayerKind::SaeScan) {
      pcu.metrics[l.scan.slot] = sae_metrics(l.scan, source(l.scan.tensor), zero_point_of(l.scan.tensor),
                                             program.pcu.candidates);
      if (l.scan.action == PcuAction::Decide) {
        pcu_decide(program.pcu, pcu, l.scan.slot);
        r.pcu_step_cycles[i] = kPcuDecideCycles;
      } else if (l.scan.action == PcuAction::DecideAll) {
        pcu_decide_all(program.pcu, pcu);
        r.pcu_step_cycles[i] = pcu.decide_all_cycles;
      }
      r.pcu_cycles += r.pcu_step_cycles[i];
      continue;
    }
    LayerConfig config = configs[i];
    if (l.pcu_slot >= 0) {
      const int bits = pass == 0 ? pcu.bits[l.pcu_slot] : program.pcu.slots[l.pcu_slot].fallback_bits;
      config = pcu_config(program.pcu, bits, largest_code(source(l.input)), l.in_q.zero_point);
    }
    used[i] = run_step(program, i, input, config, outputs);
  }
}

}  // namespace

void execute_static_from(const NetworkProgram& program, std::span<const uint8_t> input,
                         const std::vector<LayerConfig>& configs, size_t first, std::vector<Codes>& outputs) {
  if (configs.size() != program.layers.size() || outputs.size() != program.layers.size() || program.pcu.cascade)
    throw std::logic_error("execute_static_from: a static program, one configuration and one output per step");
  for (size_t i = first; i < program.layers.size(); ++i) {
    const Layer& l = program.layers[i];
    if (l.kind == LayerKind::SaeScan || l.pcu_slot >= 0)
      throw std::logic_error(fmt::format("execute_static_from: layer '{}' is the SAE's or the PCU's", l.name));
    run_step(program, i, input, configs[i], outputs);
  }
}

ProgramResult execute_program(const NetworkProgram& program, std::span<const uint8_t> input,
                              const std::vector<LayerConfig>& configs) {
  if (configs.size() != program.layers.size())
    throw InputError(fmt::format("{} layer configurations for {} layers", configs.size(), program.layers.size()));
  ProgramResult r;
  PcuState pcu(program.pcu);
  r.pcu_step_cycles.assign(program.layers.size(), 0);
  run_pass(program, input, configs, pcu, 0, r);
  r.metrics = pcu.metrics;
  r.decided_bits = pcu.bits;
  for (size_t s = 0; s < r.decided_bits.size(); ++s)
    if (!pcu.decided[s]) r.decided_bits[s] = 0;
  if (program.pcu.cascade) {
    r.gaps = output_gaps(r.layer_outputs.back());
    if (program.pcu.gate.escalates(r.gaps)) {
      r.rerun = true;
      run_pass(program, input, configs, pcu, 1, r);
    }
  }
  return r;
}

Codes quantize_input(const NetworkProgram& program, const Tensor& batch, int64_t index) {
  const int64_t per_sample = program.raw_input_shape().size();
  const bool given_codes = !batch.floating();  // the model's own codes, passed on as they are (unless cast)
  if ((given_codes && batch.dtype() != program.input_codes) || batch.rank() < 1 ||
      batch.size() != batch.shape()[0] * per_sample)
    throw InputError(fmt::format("{}: input batch {} {} does not hold samples of {} values for '{}'", program.source,
                                 dtype_name(batch.dtype()), shape_string(batch.shape()), per_sample, program.input_name));
  if (!program.input_dims.empty() &&
      !std::equal(batch.shape().begin() + 1, batch.shape().end(), program.input_dims.begin(), program.input_dims.end()))
    throw InputError(fmt::format("{}: input '{}' must have shape [?,{}], got {}", program.source, program.input_name,
                                 fmt::join(program.input_dims, ","), shape_string(batch.shape())));
  if (index < 0 || index >= batch.shape()[0]) throw InputError(fmt::format("sample {} is out of range", index));
  Codes codes(static_cast<size_t>(per_sample));
  const auto scale = static_cast<float>(program.input_q.scale);
  for (int64_t i = 0; i < per_sample; ++i) {
    const int64_t raw = program.input_order.empty() ? i : program.input_order[i];
    if (given_codes && !program.input_cast) {
      codes[i] = static_cast<uint8_t>(canonical_uint8(batch.ints()[index * per_sample + raw], batch.dtype()));
      continue;
    }
    auto x = static_cast<float>(given_codes ? static_cast<double>(batch.ints()[index * per_sample + raw])
                                            : batch.reals()[index * per_sample + raw]);
    for (const InputStep& step : program.input_steps) x = step.apply(x, static_cast<size_t>(raw));
    codes[i] = static_cast<uint8_t>(quantize_linear(x, scale, program.input_q.zero_point, DType::UInt8));
  }
  return patch_input(program, codes);
}

std::vector<double> dequantize_output(const NetworkProgram& program, const Codes& codes) {
  const ActivationQuant& q = program.output_layer().out_q;
  std::vector<double> v;
  for (uint8_t c : codes) v.push_back(dequantize_linear(c, static_cast<float>(q.scale), q.zero_point));
  return v;
}

int64_t predicted_class(const Codes& codes) {
  return std::max_element(codes.begin(), codes.end()) - codes.begin();
}

}  // namespace aps
