#include "sim/random_network.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <numeric>
#include <random>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/input_patches.hpp"
#include "golden/adaptation/adaptive_program.hpp"
#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps::sim {

uint64_t case_seed(uint64_t s, int64_t k) {
  uint64_t z = s + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(k + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

class Generator {
 public:
  Generator(uint64_t seed, const RandomNetworkOptions& o)
      : rng_(seed),
        correction_rng_(seed ^ 0x6a09e667f3bcc909ULL),
        rule_rng_(seed ^ 0xbb67ae8584caa73bULL),
        wide_rng_(seed ^ 0x3c6ef372fe94f82bULL),
        slope_rng_(seed ^ 0xa54ff53a5f1d36f1ULL),
        table_rng_(seed ^ 0x510e527fade682d1ULL),
        options_(o) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  double log_uniform(double lo, double hi) {
    return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng_));
  }

  int32_t zero_point_u8() { return chance(0.2) ? (chance(0.5) ? 0 : 255) : (chance(0.3) ? 0 : uniform(0, 255)); }
  int32_t zero_point_s8() { return chance(0.2) ? (chance(0.5) ? -128 : 127) : (chance(0.5) ? 0 : uniform(-128, 127)); }
  ActivationQuant quant() { return {static_cast<float>(log_uniform(1e-3, 1.0)), zero_point_u8()}; }

  // Weights, zero points, bias and multipliers for a layer with `per_out`
  // weights per output channel, on a build of this array.
  void fill_weights(Layer& l, int64_t per_out, const ArrayShape& array) {
    const int64_t outs = l.out_shape.channels;
    const int style = uniform(0, 9);  // a few layers are all extremes
    l.weights.resize(static_cast<size_t>(outs * per_out));
    for (auto& w : l.weights) {
      if (style == 0) w = static_cast<int8_t>(chance(0.5) ? -128 : 127);
      else if (style == 1) w = static_cast<int8_t>(uniform(-2, 2));
      else w = static_cast<int8_t>(uniform(-128, 127));
    }
    const bool symmetric = chance(0.5);
    for (int64_t m = 0; m < outs; ++m) {
      l.weight_zero_points.push_back(symmetric ? 0 : zero_point_s8());
      l.weight_scales.push_back(log_uniform(1e-3, 1e-1));
      // Keep most outputs inside the code range; sometimes saturate.
      const double spread = 64.0 * std::sqrt(static_cast<double>(per_out)) * 128.0;
      double real = log_uniform(0.3, 3.0) * 128.0 / spread;
      if (chance(0.05)) real = log_uniform(1.0, 8.0);   // left shifts
      if (chance(0.05)) real = log_uniform(1e-12, 1e-9);  // vanishing, or zero
      l.multipliers.push_back(quantize_multiplier(real));
      int32_t bias = uniform(-20000, 20000);
      if (chance(0.03)) bias = chance(0.5) ? 2147483647 : -2147483647 - 1;
      l.bias.push_back(bias);
    }
    add_bias_correction(l);
    // Two layers in five take their weights at the kept planes' midpoint
    // (golden/numerics/weight_reduction.hpp), from a generator of their own
    // for the same reason as the corrections', where the rule and the
    // build's array allow it (a depthwise layer needs the array's depthwise
    // mapping: sim/program_image.cpp).
    const bool midpoint = std::uniform_int_distribution<int>(0, 4)(rule_rng_) < 2;
    const bool allowed = l.takes_midpoint_weights() && (!l.is_depthwise() || maps_depthwise(l, array));
    l.weight_reduction = midpoint && allowed ? WeightReduction::Midpoint : WeightReduction::RoundHalfUp;
  }

  // A quarter of the layers that requantize without a ReLU are leaky: one
  // slope for all channels (LeakyRelu) or one each (PRelu), among them the
  // ends 0, 1 and -1 and slopes too small to survive the Q1.30 product. From
  // a generator of their own, as the corrections.
  void add_negative_slopes(Layer& l) {
    std::uniform_int_distribution<int> pick(0, 99);
    if (!l.requantizes() || l.relu || pick(slope_rng_) >= 25) return;
    const bool per_channel = pick(slope_rng_) < 50;
    auto draw = [&] {
      const int kind = pick(slope_rng_);
      if (kind < 10) return kind < 4 ? 0 : kind < 7 ? kUnitSlope : -kUnitSlope;
      if (kind < 15) return static_cast<int32_t>(std::uniform_int_distribution<int>(-3, 3)(slope_rng_));
      return std::uniform_int_distribution<int32_t>(-kUnitSlope, kUnitSlope)(slope_rng_);
    };
    const int32_t shared = draw();
    l.negative_slopes.resize(static_cast<size_t>(l.out_shape.channels));
    for (int32_t& s : l.negative_slopes) s = per_channel ? draw() : shared;
  }

  // A fifth of the layers that requantize go through an output table, one of
  // at most three per network (so the host shares a table among steps), as
  // many as the build holds: random codes, or now and then every code to
  // one end. From a generator of their own, as the corrections.
  void add_output_table(Layer& l, int64_t build_tables) {
    std::uniform_int_distribution<int> pick(0, 99);
    if (!l.requantizes() || pick(table_rng_) >= 20) return;
    const auto pool = static_cast<size_t>(std::min<int64_t>(3, build_tables));
    if (pool == 0) return;
    const size_t t = std::uniform_int_distribution<size_t>(0, pool - 1)(table_rng_);
    while (tables_.size() <= t) {
      std::vector<uint8_t> table(256);
      const int style = pick(table_rng_);
      for (uint8_t& code : table)
        code = style < 10 ? 0 : style < 20 ? 255 : static_cast<uint8_t>(std::uniform_int_distribution<int>(0, 255)(table_rng_));
      tables_.push_back(std::move(table));
    }
    l.output_table = tables_[t];
    // The table reads the grid the layer requantizes to and writes another.
    l.table_in_q = l.out_q;
    l.out_q.zero_point = std::uniform_int_distribution<int32_t>(0, 255)(table_rng_);
  }

  // Half the layers with weights get a bias correction per width, so the
  // RTL's per-width parameter blocks are exercised at every width a layer
  // runs, and a few corrections saturate the bias. Drawn from a generator of
  // their own, so the networks of a seed are the ones they were without them.
  void add_bias_correction(Layer& l) {
    std::uniform_int_distribution<int> pick(0, 99), small(-5000, 5000);
    if (pick(correction_rng_) < 50) return;
    l.bias_correction.resize(static_cast<size_t>(l.bias_correction_entries()));
    for (int32_t& c : l.bias_correction) {
      const int kind = pick(correction_rng_);
      c = kind < 2 ? std::numeric_limits<int32_t>::max() : kind < 4 ? std::numeric_limits<int32_t>::min() : small(correction_rng_);
    }
  }

  RandomCase make(const HardwareLimits& limits) {
    RandomCase c;
    NetworkProgram& p = c.program;
    p.source = "random";
    const bool spatial = options_.convolutions && (options_.cnn_only || chance(0.5));
    if (spatial) p.input_shape = {uniform(1, 12), uniform(1, 10), uniform(1, 10)};
    else p.input_shape = {chance(0.1) ? uniform(1, 8) : uniform(1, 200), 1, 1};
    // Now and then a fully connected network whose input is wider than a
    // weight tile slot holds, so its first layer loads its tiles in parts
    // (accelerator_geometry.hpp weight_parts); drawn from a generator of its
    // own, so the other networks of a seed are the ones they were without it.
    const int64_t slot_features = (limits.wgt_words / 2 - 1) * limits.array.rows;
    if (!spatial && std::bernoulli_distribution(0.06)(wide_rng_))
      p.input_shape.channels = std::uniform_int_distribution<int64_t>(slot_features + 1, 2 * slot_features)(wide_rng_);
    p.input_q = quant();
    const int depth = uniform(1, options_.max_layers);
    FeatureShape cur = p.input_shape;
    ActivationQuant cur_q = p.input_q;
    bool cur_spatial = spatial;
    for (int i = 0; i < depth; ++i) {
      Layer l;
      l.name = fmt::format("L{}", i);
      l.input = i - 1;
      l.in_q = cur_q;
      // An earlier tensor of the current shape, for a residual Add.
      std::vector<int> same_shape;
      if (p.input_shape == cur) same_shape.push_back(-1);
      for (int j = 0; j < i; ++j)
        if (p.layers[j].out_shape == cur) same_shape.push_back(j);
      int kind = cur_spatial ? uniform(0, 11) : (chance(0.2) ? 10 : 9);
      if (i == 0 && options_.cnn_only) kind %= 5;  // a convolution (no extra draw: same cases otherwise)
      if (kind == 10 && same_shape.empty()) kind = 9;
      if (kind == 11) kind = chance(0.5) ? 8 : 7;
      if (kind == 10) {  // residual add
        l.kind = LayerKind::Add;
        l.in_shape = cur;
        l.out_shape = cur;
        l.add.input_b = same_shape[uniform(0, static_cast<int>(same_shape.size()) - 1)];
        l.add.in_q_b = l.add.input_b < 0 ? p.input_q : p.layers[l.add.input_b].out_q;
        l.out_q = quant();
        const double twice_max = 2.0 * std::max(l.in_q.scale, l.add.in_q_b.scale);
        l.add.multiplier_a = quantize_multiplier(l.in_q.scale / twice_max);
        l.add.multiplier_b = quantize_multiplier(l.add.in_q_b.scale / twice_max);
        l.multipliers.assign(static_cast<size_t>(cur.channels),
                             quantize_multiplier(std::min(200.0, twice_max / (std::ldexp(1.0, 20) * l.out_q.scale))));
        l.bias.assign(static_cast<size_t>(cur.channels), 0);
        l.relu = chance(0.5);
      } else if (kind == 7) {  // average pooling (global now and then)
        l.kind = LayerKind::AveragePool;
        l.in_shape = cur;
        Window& w = l.window;
        if (chance(0.3)) {
          w.kernel_h = static_cast<int>(cur.height);
          w.kernel_w = static_cast<int>(cur.width);
        } else {
          w.kernel_h = uniform(1, std::min<int>(3, static_cast<int>(cur.height)));
          w.kernel_w = uniform(1, std::min<int>(3, static_cast<int>(cur.width)));
          w.stride_h = uniform(1, 3);
          w.stride_w = uniform(1, 3);
          w.pad_top = uniform(0, w.kernel_h / 2);   // padding counts in the divisor (count_include_pad)
          w.pad_left = uniform(0, w.kernel_w / 2);
          w.pad_bottom = uniform(0, w.kernel_h / 2);
          w.pad_right = uniform(0, w.kernel_w / 2);
        }
        const int64_t oh = (cur.height + w.pad_top + w.pad_bottom - w.kernel_h) / w.stride_h + 1;
        const int64_t ow = (cur.width + w.pad_left + w.pad_right - w.kernel_w) / w.stride_w + 1;
        l.out_shape = {cur.channels, oh, ow};
        l.out_q = quant();
        const double divisor = static_cast<double>(w.kernel_h) * w.kernel_w;
        l.multipliers.assign(static_cast<size_t>(cur.channels),
                             quantize_multiplier(std::min(200.0, l.in_q.scale / (l.out_q.scale * divisor))));
        l.bias.assign(static_cast<size_t>(cur.channels), 0);
      } else if (kind <= 4) {  // convolution
        l.kind = LayerKind::Conv;
        l.in_shape = cur;
        Window& w = l.window;
        w.kernel_h = uniform(1, std::min<int>(5, static_cast<int>(cur.height) + 2));
        w.kernel_w = uniform(1, std::min<int>(5, static_cast<int>(cur.width) + 2));
        w.stride_h = uniform(1, 3);
        w.stride_w = uniform(1, 3);
        w.dilation_h = chance(0.2) ? 2 : 1;
        w.dilation_w = chance(0.2) ? 2 : 1;
        w.pad_top = uniform(0, w.kernel_h - 1);
        w.pad_left = uniform(0, w.kernel_w - 1);
        w.pad_bottom = uniform(0, w.kernel_h - 1);
        w.pad_right = uniform(0, w.kernel_w - 1);
        const int64_t span_h = (w.kernel_h - 1) * w.dilation_h + 1, span_w = (w.kernel_w - 1) * w.dilation_w + 1;
        const int64_t room_h = cur.height + w.pad_top + w.pad_bottom - span_h;
        const int64_t room_w = cur.width + w.pad_left + w.pad_right - span_w;
        if (room_h < 0 || room_w < 0) {  // the window does not fit: fall back to 1x1
          w = Window{};
        }
        const int64_t oh = (cur.height + w.pad_top + w.pad_bottom - ((w.kernel_h - 1) * w.dilation_h + 1)) / w.stride_h + 1;
        const int64_t ow = (cur.width + w.pad_left + w.pad_right - ((w.kernel_w - 1) * w.dilation_w + 1)) / w.stride_w + 1;
        // groups: a common divisor of the channel counts (depthwise now and then)
        int64_t out_c = uniform(1, 24);
        l.groups = 1;
        if (chance(0.3)) {
          if (chance(0.5)) {
            l.groups = static_cast<int>(cur.channels);  // depthwise (channel multiplier 1 or 2)
            out_c = cur.channels * uniform(1, 2);
          } else {
            std::vector<int> divisors;
            for (int g = 1; g <= cur.channels; ++g)
              if (cur.channels % g == 0) divisors.push_back(g);
            l.groups = divisors[uniform(0, static_cast<int>(divisors.size()) - 1)];
            out_c = l.groups * uniform(1, 4);
          }
        }
        l.out_shape = {out_c, oh, ow};
        fill_weights(l, (cur.channels / l.groups) * w.kernel_h * w.kernel_w, limits.array);
        l.relu = chance(0.5);
        l.out_q = quant();
      } else if (kind <= 8) {  // max pooling (kinds 5, 6, 8)
        l.kind = LayerKind::MaxPool;
        l.in_shape = cur;
        Window& w = l.window;
        w.kernel_h = uniform(1, std::min<int>(3, static_cast<int>(cur.height)));
        w.kernel_w = uniform(1, std::min<int>(3, static_cast<int>(cur.width)));
        w.stride_h = uniform(1, 3);
        w.stride_w = uniform(1, 3);
        w.pad_top = uniform(0, w.kernel_h / 2);
        w.pad_left = uniform(0, w.kernel_w / 2);
        w.pad_bottom = uniform(0, w.kernel_h / 2);
        w.pad_right = uniform(0, w.kernel_w / 2);
        const int64_t oh = (cur.height + w.pad_top + w.pad_bottom - w.kernel_h) / w.stride_h + 1;
        const int64_t ow = (cur.width + w.pad_left + w.pad_right - w.kernel_w) / w.stride_w + 1;
        l.out_shape = {cur.channels, oh, ow};
        l.out_q = cur_q;
      } else {  // fully connected (flattening a feature map first)
        l.kind = LayerKind::FullyConnected;
        l.in_shape = {cur.size(), 1, 1};
        l.out_shape = {chance(0.1) ? uniform(1, 8) : uniform(1, 160), 1, 1};
        fill_weights(l, cur.size(), limits.array);
        l.relu = chance(0.5);
        l.out_q = quant();
      }
      add_negative_slopes(l);
      add_output_table(l, limits.lut_tables);
      cur = l.out_shape;
      cur_q = l.out_q;
      if (l.kind != LayerKind::Add) cur_spatial = l.kind != LayerKind::FullyConnected;
      p.layers.push_back(std::move(l));
    }
    for (size_t i = 0; i < p.layers.size(); ++i) c.configs.push_back(static_config(uniform(2, 8)));
    // Adaptive-scaling shifts now and then (smaller activation shift than 8 - b).
    for (auto& cfg : c.configs)
      if (chance(0.15)) cfg.act_shift = uniform(0, cfg.act_shift);
    validate_program(p);
    // Half the stems over few channels read their input as packed patches.
    if (chance(0.5)) pack_input_patches(p);
    for (int k = 0; k < options_.inputs; ++k) {
      Codes in(static_cast<size_t>(p.raw_input_shape().size()));
      const int style = uniform(0, 7);
      for (auto& v : in) {
        if (style == 0) v = 0;
        else if (style == 1) v = 255;
        else if (style == 2) v = static_cast<uint8_t>(p.input_q.zero_point);
        else v = static_cast<uint8_t>(uniform(0, 255));
      }
      c.inputs.push_back(patch_input(p, in));
    }
    if (chance(options_.adaptive)) {
      std::string what;
      NetworkProgram adaptive = random_policy_program(p, rng_(), what);
      c.configs = carry_configs(p, c.configs, adaptive);
      c.program = std::move(adaptive);
      c.policy = what;
    }
    const int64_t latencies[] = {1, 2, 5, 16, 40};
    c.memory.latency = latencies[uniform(0, 4)];
    c.memory.bytes_per_cycle = int64_t{1} << uniform(0, 4);
    const MemoryPlan full = plan_memory(c.program, limits, limits.act_words, static_cast<uint64_t>(c.memory.size_bytes));
    // Now and then the smallest scratchpad any plan can use: the plan spills
    // every tensor that lives across steps it does not touch.
    if (chance(0.35)) {
      const int64_t least = min_scratchpad_words(c.program, limits.array.rows);
      if (least < full.spm_words_used) c.spm_words = least;
    }
    // Throws if the network does not fit that scratchpad.
    build_image(c.program, c.configs, limits,
                c.spm_words > 0 ? make_platform(c.program, limits, c.memory, c.spm_words).plan : full);
    return c;
  }

 private:
  std::mt19937_64 rng_;
  std::mt19937_64 correction_rng_;
  std::mt19937_64 rule_rng_;
  std::mt19937_64 wide_rng_;
  std::mt19937_64 slope_rng_;
  std::mt19937_64 table_rng_;
  std::vector<std::vector<uint8_t>> tables_;  // the network's output tables, shared among its layers
  RandomNetworkOptions options_;
};

}  // namespace

NetworkProgram random_policy_program(const NetworkProgram& base, uint64_t seed, std::string& description) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  const std::vector<int> w = weighted_layers(base);
  CalibrationProfile prof;
  for (int b = 2; b <= 7; ++b)
    if (chance(0.5) && prof.candidates.size() < 4) prof.candidates.push_back(b);
  if (prof.candidates.empty()) prof.candidates.push_back(uniform(2, 7));
  prof.widths = prof.candidates;
  prof.widths.push_back(8);
  auto random_slice = [&](int64_t size) {
    SaeSlice s;
    const int n = uniform(0, static_cast<int>(std::min<int64_t>(size, 40)));
    std::vector<int64_t> all(static_cast<size_t>(size));
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    s.elements.assign(all.begin(), all.begin() + n);
    std::sort(s.elements.begin(), s.elements.end());
    for (int i = 0; i < n; ++i)
      s.coefficients.push_back(chance(0.1) ? (chance(0.5) ? 0u : 65535u) : static_cast<uint32_t>(uniform(0, 65535)));
    return s;
  };
  for (size_t j = 0; j < w.size(); ++j) {
    const Layer& l = base.layers[w[j]];
    const FeatureShape& stored = base.tensor_shape(l.input);
    LayerProfile lp;
    lp.name = l.name;
    lp.layer = w[j];
    lp.macs = l.macs();
    lp.jit = random_slice(stored.size());
    for (size_t c = 0; c < prof.candidates.size(); ++c) {
      // Edge values now and then: an estimate that saturates, one that is 0.
      auto alpha = [&](int lo) { return chance(0.05) ? 0xffffffffu : chance(0.05) ? 0u : static_cast<uint32_t>(uniform(lo, 1 << 20)); };
      lp.alpha_jit.push_back(alpha(1));
      lp.alpha_upfront.push_back(alpha(0));
    }
    const int t = uniform(0, 9);
    lp.threshold = t == 0 ? 0 : t == 1 ? UINT64_MAX : static_cast<uint64_t>(std::exp(std::uniform_real_distribution<double>(0, 40)(rng)));
    lp.group = uniform(0, static_cast<int>(w.size()) - 1);
    std::vector<int64_t> channels;
    for (int64_t c = 0; c < stored.channels; ++c)
      if (chance(0.4)) channels.push_back(c);
    if (channels.empty()) channels.push_back(uniform(0, static_cast<int>(stored.channels) - 1));
    lp.shadow_channels = channels;
    lp.upfront = l.input < 0 ? lp.jit : random_slice(static_cast<int64_t>(channels.size()) * stored.height * stored.width);
    prof.layers.push_back(std::move(lp));
    prof.cascade.first_bits.push_back(uniform(2, 8));
    prof.cascade.fallback_bits.push_back(uniform(2, 8));
  }
  // Every bit of the gate's fields: weights up to 15, thresholds often above
  // 255, sometimes up to the field's top.
  const int a = uniform(0, CascadeGate::kMaxWeight), b = uniform(0, CascadeGate::kMaxWeight);
  prof.cascade.gate = {a, b, uniform(0, chance(0.2) ? CascadeGate::kMaxThreshold : (a + b) * 255 / 4 + 1)};
  prof.margin_cascade = {prof.cascade.first_bits, prof.cascade.fallback_bits, CascadeGate::margin(uniform(0, 40))};
  PolicyOptions o;
  const Policy policies[] = {Policy::Adaptive, Policy::Budget, Policy::Cascade, Policy::AdaptiveCascade};
  o.policy = policies[uniform(0, 3)];
  o.schedule = (o.policy == Policy::Budget || chance(0.4)) ? Schedule::UpFront : Schedule::JustInTime;
  o.grouping = chance(0.4);
  o.scaling = chance(0.5);
  o.budget_bits = uniform(20, 80) / 10.0;
  o.budget_metric = static_cast<BudgetMetric>(uniform(0, 2));
  description = fmt::format("{} ({}{}{}{})", policy_name(o.policy), schedule_name(o.schedule), o.grouping ? ", grouping" : "",
                            o.scaling ? ", scaling" : "",
                            o.policy == Policy::Budget
                                ? fmt::format(", {} bits of {}", o.budget_bits, budget_metric_name(o.budget_metric))
                                : "");
  try {
    return build_adaptive_program(base, prof, o);
  } catch (const InputError&) {
    // The up-front schedule does not copy grouped (not depthwise) convolutions: fall back to just in time.
    if (o.policy == Policy::Budget) o.policy = Policy::Adaptive;
    o.schedule = Schedule::JustInTime;
    description = fmt::format("{} (jit{}{})", policy_name(o.policy), o.grouping ? ", grouping" : "", o.scaling ? ", scaling" : "");
    return build_adaptive_program(base, prof, o);
  }
}

RandomCase random_case(uint64_t seed, const HardwareLimits& limits, const RandomNetworkOptions& options) {
  RandomNetworkOptions o = options;
  for (int attempt = 0; attempt < 64; ++attempt) {
    try {
      RandomCase c = Generator(seed + static_cast<uint64_t>(attempt) * 7919, o).make(limits);
      // Request back-pressure of 0 to 3 cycles, taken from the seed, not the
      // generator's draws: the networks stay those each seed gave before.
      c.memory.request_wait = static_cast<int64_t>((seed * 0x9E3779B97F4A7C15ULL) >> 62);
      return c;
    } catch (const InputError&) {
      o.max_layers = std::max(1, o.max_layers - 1);  // too big for the build: try a smaller one
    }
  }
  throw InputError(fmt::format("random network {}: nothing generated fits the RTL build", seed));
}

}  // namespace aps::sim
