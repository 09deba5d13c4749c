#include "golden/adaptation/calibrator.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>

#include "golden/accelerator/accelerator_geometry.hpp"
#include "golden/accelerator/evaluation.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/adaptation/bias_correction.hpp"
#include "golden/adaptation/gate_fit.hpp"
#include "golden/adaptation/shadow_network.hpp"
#include "golden/errors.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/roc_auc.hpp"
#include "golden/accelerator/pcu.hpp"
#include "golden/accelerator/sae.hpp"
#include "golden/parallel_for.hpp"

namespace aps {

NetworkProgram with_bias_correction(NetworkProgram program, const CalibrationProfile& profile) {
  const std::string file = profile.source.empty() ? "the calibration profile" : profile.source;
  for (const LayerProfile& l : profile.layers) {
    if (l.bias_correction.empty()) continue;
    if (l.layer < 0 || l.layer >= static_cast<int>(program.layers.size()) || !program.layers[l.layer].has_weights() ||
        program.layers[l.layer].name != l.name)
      throw InputError(fmt::format("{}: its layer '{}' (step {}) is not a layer with weights of {}'s program", file,
                                   l.name, l.layer, program.source));
    Layer& layer = program.layers[l.layer];
    if (static_cast<int64_t>(l.bias_correction.size()) != layer.bias_correction_entries())
      throw InputError(fmt::format("{}: layer '{}' has {} bias corrections; its {} output channels need {}", file, l.name,
                                   l.bias_correction.size(), layer.out_shape.channels, layer.bias_correction_entries()));
    layer.bias_correction = l.bias_correction;
  }
  validate_program(program);
  return program;
}

namespace {

// The weight rule and bias corrections the profile was calibrated with.
NetworkProgram with_profile_rules(NetworkProgram program, const CalibrationProfile& profile) {
  program.set_weight_reduction(profile.weight_reduction);
  return with_bias_correction(std::move(program), profile);
}

}  // namespace

NetworkProgram program_for_profile(const OnnxModel& model, const CalibrationProfile& profile) {
  auto built = build_without_ranges(model);
  if (auto* program = std::get_if<NetworkProgram>(&built)) return with_profile_rules(std::move(*program), profile);
  if (profile.ranges.empty())
    throw InputError(fmt::format("{}: the profile holds no activation ranges, and this {} model needs them",
                                 profile.source,
                                 detect_model_format(model) == ModelFormat::Float ? "float" : "partly quantized"));
  // The model quantized with these ranges when it was calibrated: if it
  // no longer does, the ranges were changed.
  try {
    return with_profile_rules(build_program(model, profile.ranges), profile);
  } catch (const UnsupportedError&) {
    throw;  // the model's own limit, not the profile's
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: the profile's activation ranges do not fit the model: {}", profile.source,
                                 e.what()));
  }
}

double code_mse(const Codes& a, const Codes& b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) e += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return a.empty() ? 0.0 : e / static_cast<double>(a.size());
}

std::vector<double> input_energies(const NetworkProgram& p, int index) {
  const Layer& l = p.layers[index];
  const FeatureShape& stored = p.tensor_shape(l.input);
  std::vector<double> e(static_cast<size_t>(stored.size()), 0.0);
  const int64_t outs = l.out_shape.channels, per_out = l.weights_per_output();
  if (l.kind == LayerKind::FullyConnected) {
    for (int64_t o = 0; o < outs; ++o)
      for (int64_t i = 0; i < per_out; ++i) {
        const double d = l.weights[o * per_out + i] - l.weight_zero_points[o];
        e[i] += d * d;
      }
    return e;
  }
  // Convolution: every element of channel c is read by every output channel
  // of its group through every tap; borders ignored.
  const int64_t cpg = l.in_shape.channels / l.groups, mpg = outs / l.groups;
  const int64_t taps = int64_t{l.window.kernel_h} * l.window.kernel_w;
  std::vector<double> per_channel(static_cast<size_t>(l.in_shape.channels), 0.0);
  for (int64_t o = 0; o < outs; ++o)
    for (int64_t ci = 0; ci < cpg; ++ci)
      for (int64_t t = 0; t < taps; ++t) {
        const double d = l.weights[(o * cpg + ci) * taps + t] - l.weight_zero_points[o];
        per_channel[(o / mpg) * cpg + ci] += d * d;
      }
  const int64_t pixels = stored.height * stored.width;
  for (int64_t c = 0; c < stored.channels; ++c)
    for (int64_t px = 0; px < pixels; ++px) e[c * pixels + px] = per_channel[c];
  return e;
}

std::vector<std::vector<int>> candidate_maps(const NetworkProgram& p, const std::vector<int>& widths, size_t limit) {
  const size_t k = weighted_layers(p).size();
  std::vector<std::vector<int>> maps;
  size_t total = 1;
  for (size_t j = 0; j < k && total <= limit; ++j) total *= widths.size();
  if (total > limit) {
    for (int b : widths) maps.push_back(std::vector<int>(k, b));  // uniform maps only
    return maps;
  }
  std::vector<size_t> idx(k, 0);
  for (size_t n = 0; n < total; ++n) {
    std::vector<int> m;
    for (size_t j = 0; j < k; ++j) m.push_back(widths[idx[j]]);
    maps.push_back(m);
    for (size_t j = 0; j < k; ++j) {
      if (++idx[j] < widths.size()) break;
      idx[j] = 0;
    }
  }
  return maps;
}

namespace {

// Energies quantized to 16 bits for the hardware (one scale per layer; alpha absorbs it).
std::vector<uint32_t> quantize_coefficients(const std::vector<double>& e, const std::vector<int64_t>& elements) {
  double top = 0;
  for (int64_t i : elements) top = std::max(top, e[i]);
  std::vector<uint32_t> q;
  for (int64_t i : elements) q.push_back(top > 0 ? static_cast<uint32_t>(std::llround(e[i] / top * 65535.0)) : 0u);
  return q;
}

// n elements of a stored tensor, importance-sampled by energy: the n most
// energetic features of a vector; for a feature map, pixels spread evenly
// over channels allocated in proportion to their energy.
std::vector<int64_t> select_elements(const std::vector<double>& e, const FeatureShape& stored, int64_t n) {
  n = std::clamp<int64_t>(n, 1, static_cast<int64_t>(e.size()));
  std::vector<int64_t> chosen;
  const int64_t pixels = stored.height * stored.width;
  if (pixels == 1) {
    std::vector<int64_t> order(e.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return e[a] > e[b]; });
    chosen.assign(order.begin(), order.begin() + n);
  } else {
    std::vector<double> ce(static_cast<size_t>(stored.channels), 0.0);
    double total = 0;
    for (int64_t c = 0; c < stored.channels; ++c) {
      ce[c] = e[c * pixels];
      total += ce[c];
    }
    std::vector<int64_t> per(static_cast<size_t>(stored.channels), 0);
    int64_t given = 0;
    for (int64_t c = 0; c < stored.channels; ++c) {
      per[c] = total > 0 ? std::min<int64_t>(pixels, static_cast<int64_t>(std::floor(n * ce[c] / total))) : 0;
      given += per[c];
    }
    std::vector<int64_t> order(static_cast<size_t>(stored.channels));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ce[a] > ce[b]; });
    for (size_t k = 0; given < n && k < order.size() * static_cast<size_t>(pixels); ++k) {
      const int64_t c = order[k % order.size()];
      if (per[c] < pixels) {
        ++per[c];
        ++given;
      }
    }
    for (int64_t c = 0; c < stored.channels; ++c)
      for (int64_t k = 0; k < per[c]; ++k) chosen.push_back(c * pixels + (2 * k + 1) * pixels / (2 * per[c]));
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

uint32_t fit_alpha(double true_sum, double metric_sum) {
  // true error in kErrorUnit code^2 ~ (metric * alpha) >> 16
  if (metric_sum <= 0) return 0;
  const double a = std::round(65536.0 * kErrorUnitsPerCode2 * true_sum / metric_sum);
  return a >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(a);
}

// ---- the stages of calibrate() ----

// The model as the accelerator runs it, the calibration inputs and their
// 8-bit reference runs: what every stage reads.
struct Reference {
  NetworkProgram program;
  std::vector<int> weighted;          // main layers with weights
  std::vector<Codes> inputs;
  std::vector<ProgramResult> runs8;
  DecisionRule rule = DecisionRule::classifier();
  std::vector<int64_t> decisions8;
  int threads = 1;

  int64_t samples() const { return static_cast<int64_t>(inputs.size()); }
  const Codes& layer_input(int64_t s, int index) const {
    const int src = program.layers[index].input;
    return src < 0 ? inputs[s] : runs8[s].layer_outputs[src];
  }
  const FeatureShape& stored_shape(size_t j) const { return program.tensor_shape(program.layers[weighted[j]].input); }
};

// Per layer with weights, width (profile.widths) and sample: the output
// MSE of that layer alone at that width, on its 8-bit input.
using ErrorTable = std::vector<std::vector<std::vector<double>>>;

// The options that make a profile, checked, and the profile's header.
CalibrationProfile start_profile(const OnnxModel& model, int64_t samples, const std::string& source,
                                 const CalibrationOptions& o) {
  CalibrationProfile prof;
  prof.model_hash = model_hash(model);
  prof.model = model.source();
  // Every choice here keeps the 8-bit decision (DecisionRule): the class,
  // or an anomaly detector's verdict at the threshold reference_runs sets.
  prof.task = o.task ? *o.task : model_task(model);
  if (samples < o.min_samples)
    throw InputError(fmt::format("{} has {} samples; at least {} are needed (a training split, never the test split; "
                                 "--min-samples lowers the floor, at the cost of thresholds fitted to fewer samples)",
                                 source, samples, o.min_samples));
  prof.samples = static_cast<int>(samples);
  prof.metric = o.metric;
  if (o.metric != "mse" && o.metric != "sqnr") throw InputError(fmt::format("--metric must be mse or sqnr, not '{}'", o.metric));
  prof.sae_budget = o.sae_budget;
  prof.candidates = o.candidates;
  std::sort(prof.candidates.begin(), prof.candidates.end());
  if (std::adjacent_find(prof.candidates.begin(), prof.candidates.end()) != prof.candidates.end())
    throw InputError(fmt::format("candidate widths {} repeat a width", fmt::join(o.candidates, ",")));
  for (int c : prof.candidates)
    if (c < 2 || c > 7) throw InputError(fmt::format("candidate width {} is outside 2..7", c));
  if (prof.candidates.empty() || prof.candidates.size() > 4) throw InputError("give 1 to 4 candidate widths below 8");
  prof.widths = prof.candidates;
  prof.widths.push_back(8);
  prof.target_agreement = o.target_agreement;
  prof.target_bits = o.target_bits;
  prof.weight_reduction = o.weight_reduction;
  return prof;
}

// The program (a float model quantized with ranges measured here, which the
// profile keeps), the 8-bit reference runs and their decisions. An anomaly
// detector's operating threshold is chosen here, on the 8-bit reconstruction
// errors and the calibration labels (Youden's J).
Reference reference_runs(const OnnxModel& model, const CalibrationInputs& data, RangeMethod ranges, int threads,
                         CalibrationProfile& prof) {
  const Tensor& batch = data.batch;
  const std::vector<int64_t>& labels = data.labels;
  if (prof.task == Task::AnomalyDetection && labels.empty())
    throw InputError(fmt::format("{}: an anomaly detector is calibrated on labelled data (labels.pb: 0 normal, 1 "
                                 "anomaly), which sets its operating threshold; the calibration data has no labels",
                                 prof.model));
  Reference ref;
  ref.threads = threads;
  auto built = build_without_ranges(model);
  if (auto* program = std::get_if<NetworkProgram>(&built)) {
    ref.program = std::move(*program);
  } else {
    prof.ranges = activation_ranges(model, batch, ranges);
    prof.range_method = std::string(range_method_name(ranges));
    ref.program = build_program(model, prof.ranges);
    check_quantization_resolves(model, ref.program, prof.ranges, batch, data.source);
    // The program built, so no value it quantizes is NaN or infinite; one it
    // does not read (an unread constant, a side branch) has no range to keep.
    std::erase_if(prof.ranges, [](const auto& r) { return !std::isfinite(r.second.first) || !std::isfinite(r.second.second); });
  }
  ref.program.set_weight_reduction(prof.weight_reduction);
  ref.weighted = weighted_layers(ref.program);
  if (prof.task == Task::AnomalyDetection) check_reconstructs_raw_input(ref.program);
  check_class_labels(prof.task, labels, static_cast<int64_t>(ref.program.output_layer().out_shape.size()),
                     data.labels_file, prof.model);
  const int64_t n = batch.shape()[0];
  for (int64_t s = 0; s < n; ++s) ref.inputs.push_back(quantize_input(ref.program, batch, s));
  const auto configs8 = static_configs(PrecisionMap(ref.program.layers.size(), 8));
  ref.runs8.resize(ref.inputs.size());
  parallel_for(ref.inputs.size(), threads, [&](size_t s) { ref.runs8[s] = execute_program(ref.program, ref.inputs[s], configs8); });
  if (prof.task == Task::AnomalyDetection) {
    std::vector<double> scores;
    for (size_t s = 0; s < ref.inputs.size(); ++s)
      scores.push_back(reconstruction_error(ref.program, ref.inputs[s], ref.runs8[s].output()));
    try {
      prof.decision_threshold = youden_threshold(scores, labels);
      ref.rule = decision_rule(prof);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: the calibration data cannot set an operating threshold: {}", prof.model, e.what()));
    }
  }
  for (size_t s = 0; s < ref.inputs.size(); ++s)
    ref.decisions8.push_back(ref.rule.decide(ref.program, ref.inputs[s], ref.runs8[s].output()).value);
  return ref;
}

// Bias correction (bias_correction.hpp), width by width on the calibration
// inputs bias_correction_samples picks; a width
// keeps the target whose corrections keep more 8-bit decisions on uniform
// maps at that width, and neither unless it keeps more than the uncorrected
// width does. Every choice
// below is made on the corrected program; the 8-bit runs stay valid, since a
// correction applies below 8 bits only.
void correct_biases(Reference& ref, const std::function<void(const std::string&)>& say) {
  const std::vector<int64_t> picked = bias_correction_samples(ref.samples());
  const auto n = static_cast<int64_t>(picked.size());
  std::vector<Codes> inputs;
  std::vector<const ProgramResult*> runs8;
  for (int64_t s : picked) {
    inputs.push_back(ref.inputs[s]);
    runs8.push_back(&ref.runs8[s]);
  }
  auto agreement = [&](const std::vector<Codes>& outputs) {
    int64_t agree = 0;
    for (int64_t k = 0; k < n; ++k)
      agree += ref.rule.decide(ref.program, inputs[k], outputs[k]).value == ref.decisions8[picked[k]];
    return static_cast<double>(agree) / static_cast<double>(n);
  };
  std::vector<std::string> kept;
  for (int b = kMinBits; b < kMaxBits; ++b) {
    const auto configs = weighted_map_configs(ref.program, std::vector<int>(ref.weighted.size(), b));
    std::vector<Codes> plain(inputs.size());
    parallel_for(inputs.size(), ref.threads,
                 [&](size_t s) { plain[s] = execute_program(ref.program, inputs[s], configs).output(); });
    NetworkProgram own = ref.program, matched = ref.program;
    const double with_own = agreement(correct_width(own, b, inputs, ref.threads));
    const double with_matched = agreement(correct_width(matched, b, inputs, ref.threads, runs8));
    const double without = agreement(plain);
    const bool matched_better = with_matched > with_own;
    const bool keep = std::max(with_own, with_matched) > without;
    say(fmt::format("bias correction at {} bits: {:.2f} % of the 8-bit decisions aimed at each layer's input, {:.2f} % "
                    "aimed at the 8-bit run's outputs, {:.2f} % without: {}",
                    b, 100 * with_own, 100 * with_matched, 100 * without,
                    !keep ? "dropped" : matched_better ? "kept, aimed at the 8-bit run's outputs" : "kept, aimed at each layer's input"));
    if (keep) {
      ref.program = std::move(matched_better ? matched : own);
      kept.push_back(fmt::format("{}{}", b, matched_better ? " (8-bit outputs)" : ""));
    }
  }
  for (const int index : ref.weighted) {
    Layer& l = ref.program.layers[index];
    if (std::all_of(l.bias_correction.begin(), l.bias_correction.end(), [](int32_t c) { return c == 0; }))
      l.bias_correction.clear();
  }
  say(kept.empty() ? std::string("bias correction: no width keeps it")
                   : fmt::format("bias correction kept at {} bits (measured on {} samples)", fmt::join(kept, ", "), n));
}

// Sensitivity: each layer alone at each width, on its 8-bit input.
ErrorTable measure_sensitivity(const Reference& ref, CalibrationProfile& prof) {
  const size_t k = ref.weighted.size();
  const int64_t n = ref.samples();
  ErrorTable mse(k, std::vector<std::vector<double>>(prof.widths.size(), std::vector<double>(n)));
  for (size_t j = 0; j < k; ++j) {
    LayerProfile lp;
    const int index = ref.weighted[j];
    const Layer& l = ref.program.layers[index];
    lp.name = l.name;
    lp.layer = index;
    lp.macs = l.macs();
    for (size_t b = 0; b < prof.widths.size(); ++b) {
      std::vector<double> signals(static_cast<size_t>(n)), noises(static_cast<size_t>(n));
      parallel_for(static_cast<size_t>(n), ref.threads, [&](size_t s) {
        const Codes& y8 = ref.runs8[s].layer_outputs[index];
        const Codes y = execute_layer(l, ref.layer_input(static_cast<int64_t>(s), index), static_config(prof.widths[b]));
        mse[j][b][s] = code_mse(y, y8);
        for (size_t e = 0; e < y.size(); ++e) {
          const double r = static_cast<double>(y8[e]) - l.out_q.zero_point;
          signals[s] += r * r;
          noises[s] += (static_cast<double>(y[e]) - y8[e]) * (static_cast<double>(y[e]) - y8[e]);
        }
      });
      // Summed in sample order: the same figures for any thread count.
      double sum_mse = 0, signal = 0, noise = 0;
      for (int64_t s = 0; s < n; ++s) {
        sum_mse += mse[j][b][s];
        signal += signals[s];
        noise += noises[s];
      }
      lp.true_mse.push_back(sum_mse / n);
      lp.sensitivity.push_back(prof.metric == "mse" ? sum_mse / n
                                                    : (noise > 0 ? 10.0 * std::log10(signal / noise) : 200.0));
    }
    lp.bias_correction = ref.program.layers[ref.weighted[j]].bias_correction;
    prof.layers.push_back(std::move(lp));
  }
  return mse;
}

// The just-in-time slices, sized to half the SAE budget (ops = 2 per element
// and candidate), spread over the layers by their MACs, then scaled down
// together while their words overflow the SAE memory (each layer keeps at
// least one element). Returns each layer's input energies, which the up-front
// slices reuse.
InputError too_few_sae_entries(const std::string& model, int64_t needed, int64_t have) {
  return InputError(fmt::format("{}: the just-in-time SAE slices need at least {} SAE entries (one word per layer with "
                                "weights), the SAE memory has {}",
                                model, needed, have));
}

std::vector<std::vector<double>> size_jit_slices(const Reference& ref, const CalibrationOptions& o,
                                                 CalibrationProfile& prof,
                                                 const std::function<void(const std::string&)>& say) {
  const size_t k = ref.weighted.size();
  const double total_macs = static_cast<double>(ref.program.total_macs());
  const double budget_ops = prof.sae_budget * total_macs;
  const auto nc = static_cast<double>(prof.candidates.size());
  std::vector<std::vector<double>> energy(k);
  for (size_t j = 0; j < k; ++j) energy[j] = input_energies(ref.program, ref.weighted[j]);
  auto choose = [&](double scale) {
    int64_t entries = 0;
    for (size_t j = 0; j < k; ++j) {
      const double share = budget_ops * static_cast<double>(prof.layers[j].macs) / total_macs;
      const auto elements = static_cast<int64_t>(scale * share / (2.0 * nc));
      prof.layers[j].jit.elements = select_elements(energy[j], ref.stored_shape(j), elements);
      entries += slice_entries(ref.stored_shape(j), prof.layers[j].jit.elements, o.build.array.rows);
    }
    return entries;
  };
  const int64_t wanted = choose(1.0);
  if (wanted > o.build.sae_entries) {
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 30; ++it) {
      const double scale = (lo + hi) / 2;
      (choose(scale) <= o.build.sae_entries ? lo : hi) = scale;
    }
    const int64_t entries = choose(lo);
    if (entries > o.build.sae_entries)
      throw too_few_sae_entries(prof.model, entries, o.build.sae_entries);
    say(fmt::format("just-in-time SAE slices: the cost budget asks {} SAE entries, the SAE memory has {}; scaled by "
                    "{:.3f} to {} entries",
                    wanted, o.build.sae_entries, lo, entries));
  }
  for (size_t j = 0; j < k; ++j)
    prof.layers[j].jit.coefficients = quantize_coefficients(energy[j], prof.layers[j].jit.elements);
  return energy;
}

// Pixels of channels of layer j's input, each channel placed at its position
// (a channel index) in the tensor the elements index; channel-major, so the
// main and shadow copies of a slice list the same elements in the same order.
std::vector<int64_t> channel_elements(const Reference& ref, size_t j, const std::vector<int64_t>& positions,
                                      const std::vector<int64_t>& pixels) {
  const int64_t plane = ref.stored_shape(j).height * ref.stored_shape(j).width;
  std::vector<int64_t> elements;
  for (int64_t c : positions)
    for (int64_t px : pixels) elements.push_back(c * plane + px);
  return elements;
}

// What the up-front slices scan: per layer with weights, the kept channels of
// its input and the pixels of each (the same for every kept channel of a
// layer, so the channels of one block share their SAE words).
struct UpfrontChoice {
  std::vector<std::vector<int64_t>> channels, pixels;
};

// Layer j's up-front slice: its kept channels, where they sit in the shadow
// copy of its input (which may keep more for other readers).
std::vector<int64_t> upfront_elements(const Reference& ref, const ShadowNetwork& shadow, size_t j,
                                      const UpfrontChoice& c) {
  std::vector<int64_t> positions;
  for (int64_t ch : c.channels[j]) positions.push_back(shadow.position(shadow.source_of[j], ch));
  return channel_elements(ref, j, positions, c.pixels[j]);
}

// The SAE entries the up-front schedule's slices take together (a layer that
// reads the network input scans its just-in-time slice).
int64_t upfront_entries(const Reference& ref, const ShadowNetwork& shadow, const UpfrontChoice& c,
                        const CalibrationProfile& prof, int rows) {
  int64_t entries = 0;
  for (size_t j = 0; j < ref.weighted.size(); ++j) {
    const int source = shadow.source_of[j];
    entries += source < 0 ? slice_entries(ref.stored_shape(j), prof.layers[j].jit.elements, rows)
                          : slice_entries(shadow.layers[source].out_shape, upfront_elements(ref, shadow, j, c), rows);
  }
  return entries;
}

// Up-front: keep a share r of each later layer's input channels (the most
// energetic), the largest r whose shadow MACs and scans fit the budget and
// whose slices fit the SAE memory; the slices are the kept channels' whole
// maps. Where even one channel per layer overflows the SAE memory, the slices
// are sampled: a word holds one pixel of `rows` channels of the shadow copy,
// so each layer keeps as many channels as share one word block (at most
// `rows`; fewer where the budget says so) at the cost in entries of one, and
// each kept channel is scanned at the largest share of its pixels that fits
// (the most energetic pixels of the kept channels; at least one); the shadow
// network still computes the whole maps. Nothing when the network cannot be
// copied (InputError from the shadow network; logged).
std::optional<ShadowNetwork> size_shadow_network(const Reference& ref, const std::vector<std::vector<double>>& energy,
                                                 const CalibrationOptions& o, CalibrationProfile& prof,
                                                 const std::function<void(const std::string&)>& say) {
  const size_t k = ref.weighted.size();
  const double budget_ops = prof.sae_budget * static_cast<double>(ref.program.total_macs());
  const auto nc = static_cast<double>(prof.candidates.size());
  const int rows = o.build.array.rows;
  // Indices of the most energetic `share` of the items (at least one, at most
  // `cap`), ascending.
  auto strongest = [](const std::vector<double>& e, double share, int64_t cap) {
    std::vector<int64_t> order(e.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return e[a] > e[b]; });
    const auto keep = std::clamp<int64_t>(std::llround(share * static_cast<double>(e.size())), 1,
                                          std::min(cap, static_cast<int64_t>(e.size())));
    std::vector<int64_t> kept(order.begin(), order.begin() + keep);
    std::sort(kept.begin(), kept.end());
    return kept;
  };
  std::vector<std::vector<double>> channel_energy(k);  // per layer, each input channel's summed energy
  for (size_t j = 0; j < k; ++j) {
    const FeatureShape& st = ref.stored_shape(j);
    const int64_t plane = st.height * st.width;
    channel_energy[j].assign(static_cast<size_t>(st.channels), 0.0);
    for (int64_t ch = 0; ch < st.channels; ++ch)
      for (int64_t px = 0; px < plane; ++px) channel_energy[j][ch] += energy[j][ch * plane + px];
  }
  const auto any = std::numeric_limits<int64_t>::max();
  auto choose = [&](double r, double q, int64_t cap) {
    UpfrontChoice c{std::vector<std::vector<int64_t>>(k), std::vector<std::vector<int64_t>>(k)};
    for (size_t j = 0; j < k; ++j) {
      const int64_t plane = ref.stored_shape(j).height * ref.stored_shape(j).width;
      c.channels[j] = strongest(channel_energy[j], r, cap);
      std::vector<double> pe(static_cast<size_t>(plane), 0.0);
      for (int64_t ch : c.channels[j])
        for (int64_t px = 0; px < plane; ++px) pe[px] += energy[j][ch * plane + px];
      c.pixels[j] = strongest(pe, q, any);
    }
    return c;
  };
  // The shadow MACs and the scans' operations, against the budget.
  auto within_budget = [&](const ShadowNetwork& s, const UpfrontChoice& c) {
    double ops = static_cast<double>(s.macs());
    for (size_t j = 0; j < k; ++j)
      ops += 2.0 * nc *
             static_cast<double>(s.source_of[j] < 0 ? prof.layers[j].jit.elements.size()
                                                    : c.channels[j].size() * c.pixels[j].size());
    return ops <= budget_ops;
  };
  UpfrontChoice choice;
  ShadowNetwork shadow;
  try {
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 20; ++it) {
      const double r = (lo + hi) / 2;
      const UpfrontChoice c = choose(r, 1.0, any);
      const ShadowNetwork s = build_shadow_network(ref.program, c.channels);
      (within_budget(s, c) && upfront_entries(ref, s, c, prof, rows) <= o.build.sae_entries ? lo : hi) = r;
    }
    choice = choose(lo, 1.0, any);
    shadow = build_shadow_network(ref.program, choice.channels);
  } catch (const InputError& e) {
    prof.upfront_unavailable = fmt::format("the shadow network cannot copy the model: {}", e.what());
    say("up-front schedule not available: " + prof.upfront_unavailable);
    return std::nullopt;
  }
  if (const int64_t whole = upfront_entries(ref, shadow, choice, prof, rows); whole > o.build.sae_entries) {
    // The bisection above kept one channel per layer. Whole maps of more
    // channels that take no more entries than that share its word blocks
    // (and one pixel of each layer's must fit, as one pixel of one channel,
    // a word, does).
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 20; ++it) {
      const double r = (lo + hi) / 2;
      const UpfrontChoice c = choose(r, 1.0, rows);
      const ShadowNetwork s = build_shadow_network(ref.program, c.channels);
      (within_budget(s, c) && upfront_entries(ref, s, c, prof, rows) <= whole &&
               upfront_entries(ref, s, choose(r, 0.0, rows), prof, rows) <= o.build.sae_entries
           ? lo
           : hi) = r;
    }
    const double r = lo;
    shadow = build_shadow_network(ref.program, choose(r, 1.0, rows).channels);
    lo = 0.0, hi = 1.0;
    for (int it = 0; it < 30; ++it) {
      const double q = (lo + hi) / 2;
      (upfront_entries(ref, shadow, choose(r, q, rows), prof, rows) <= o.build.sae_entries ? lo : hi) = q;
    }
    choice = choose(r, lo, rows);
    // One pixel per layer fits (checked above for r; at r = 0 one pixel of
    // one channel is one word, and every just-in-time slice, which fits, has
    // at least one), so the sampled slices always fit.
    const int64_t sampled = upfront_entries(ref, shadow, choice, prof, rows);
    if (sampled > o.build.sae_entries)
      throw std::logic_error(fmt::format("sampled up-front slices need {} SAE entries, the SAE memory has {}", sampled,
                                         o.build.sae_entries));
    size_t most = 0;
    for (const auto& ch : choice.channels) most = std::max(most, ch.size());
    say(fmt::format("up-front SAE slices: whole maps of one channel per layer need {} SAE entries, the SAE memory has "
                    "{}; up to {} channels per layer share a word block, each sampled at {:.1f} % of its pixels, {} "
                    "entries",
                    whole, o.build.sae_entries, most, 100 * lo, sampled));
  }
  for (size_t j = 0; j < k; ++j) {
    prof.layers[j].shadow_channels = choice.channels[j];
    if (shadow.source_of[j] < 0) {  // the network input: the shadow network does not copy it
      prof.layers[j].upfront = prof.layers[j].jit;
      continue;
    }
    // The coefficients weigh the same elements where the main network holds them.
    const auto main_elements = channel_elements(ref, j, choice.channels[j], choice.pixels[j]);
    prof.layers[j].upfront.elements = upfront_elements(ref, shadow, j, choice);
    prof.layers[j].upfront.coefficients = quantize_coefficients(energy[j], main_elements);
  }
  return shadow;
}

// Alpha: how SAE metrics map to true errors, per layer, width and schedule.
// The shadow network runs once per sample.
void fit_alphas(const Reference& ref, const ErrorTable& mse, const std::optional<ShadowNetwork>& shadow,
                CalibrationProfile& prof) {
  const size_t k = ref.weighted.size(), nc = prof.candidates.size();
  const int64_t n = ref.samples();
  std::vector<std::vector<Codes>> shadow_outputs(shadow ? static_cast<size_t>(n) : 0);
  if (shadow)
    parallel_for(shadow_outputs.size(), ref.threads,
                 [&](size_t s) { shadow_outputs[s] = run_shadow_network(*shadow, ref.inputs[s]); });
  for (size_t j = 0; j < k; ++j) {
    const int32_t zp = ref.program.layers[ref.weighted[j]].in_q.zero_point;
    SaeScanParams jit;
    jit.elements = prof.layers[j].jit.elements;
    jit.coefficients = prof.layers[j].jit.coefficients;
    std::vector<double> true_sum(nc, 0), jit_sum(nc, 0), up_sum(nc, 0);
    SaeScanParams up;
    up.elements = prof.layers[j].upfront.elements;
    up.coefficients = prof.layers[j].upfront.coefficients;
    for (int64_t s = 0; s < n; ++s) {
      const auto m = sae_metrics(jit, ref.layer_input(s, ref.weighted[j]), zp, prof.candidates);
      std::vector<uint64_t> mu(nc, 0);
      if (shadow) {
        const int source = shadow->source_of[j];
        mu = sae_metrics(up, source < 0 ? ref.inputs[s] : shadow_outputs[s][source], zp, prof.candidates);
      }
      for (size_t c = 0; c < nc; ++c) {
        true_sum[c] += mse[j][c][s];
        jit_sum[c] += static_cast<double>(m[c]);
        up_sum[c] += static_cast<double>(mu[c]);
      }
    }
    for (size_t c = 0; c < nc; ++c) {
      prof.layers[j].alpha_jit.push_back(fit_alpha(true_sum[c], jit_sum[c]));
      prof.layers[j].alpha_upfront.push_back(shadow ? fit_alpha(true_sum[c], up_sum[c]) : 0u);
    }
  }
}

// Networks with more maps than the exhaustive search takes: one greedy path
// from all-8 down to the narrowest candidate. Each step narrows the layer
// whose next width costs the least output error per bit-MAC saved, the cost
// of a layer at a width being the mean squared difference of the network's
// output codes with that layer alone at that width (measured on up to 500
// evenly spaced samples), and costs of several layers taken as additive.
std::vector<std::vector<int>> greedy_path(const Reference& ref, const CalibrationProfile& prof) {
  const size_t k = ref.weighted.size(), nw = prof.widths.size();
  const int64_t n = ref.samples(), stride = std::max<int64_t>(1, (n + 499) / 500);
  std::vector<int64_t> picked;
  for (int64_t s = 0; s < n; s += stride) picked.push_back(s);
  // error[s][j * nw + b]: sample s's output error with layer j alone at widths[b].
  std::vector<std::vector<double>> error(picked.size(), std::vector<double>(k * nw, 0.0));
  const size_t steps = ref.program.layers.size();
  parallel_for(picked.size(), ref.threads, [&](size_t p) {
    const int64_t s = picked[p];
    // Layers before layer j's step are the 8-bit run's; from it on, recomputed.
    // Last layer first: a run leaves the steps before its own untouched.
    std::vector<Codes> outputs = ref.runs8[s].layer_outputs;
    std::vector<LayerConfig> configs(steps, static_config(8));
    for (size_t j = k; j-- > 0;) {
      const auto first = static_cast<size_t>(ref.weighted[j]);
      for (size_t b = 0; b + 1 < nw; ++b) {
        configs[first] = static_config(prof.widths[b]);
        execute_static_from(ref.program, ref.inputs[s], configs, first, outputs);
        error[p][j * nw + b] = code_mse(outputs.back(), ref.runs8[s].output());
      }
      configs[first] = static_config(8);
    }
  });
  std::vector<double> cost(k * nw, 0.0);
  for (const auto& e : error)
    for (size_t i = 0; i < cost.size(); ++i) cost[i] += e[i];
  std::vector<size_t> level(k, nw - 1);  // index into widths (ascending): all 8
  std::vector<std::vector<int>> path;
  auto current = [&] {
    std::vector<int> m;
    for (size_t j = 0; j < k; ++j) m.push_back(prof.widths[level[j]]);
    return m;
  };
  path.push_back(current());
  for (;;) {
    size_t best = k;
    double best_ratio = 0;
    for (size_t j = 0; j < k; ++j) {
      if (level[j] == 0) continue;
      const double saved = static_cast<double>(prof.layers[j].macs) * (prof.widths[level[j]] - prof.widths[level[j] - 1]);
      const double ratio = (cost[j * nw + level[j] - 1] - cost[j * nw + level[j]]) / saved;
      if (best == k || ratio < best_ratio) {
        best = j;
        best_ratio = ratio;
      }
    }
    if (best == k) break;
    --level[best];
    path.push_back(current());
  }
  return path;
}

// The static front on the calibration split: every map (beyond
// `exhaustive_maps`, the uniform maps and the greedy path), the cheapest
// first, each one better than all cheaper ones. Returns what the front's
// maps did on each calibration sample, for the cascades.
FrontOutcomes find_static_front(const Reference& ref, const std::vector<int64_t>& labels, const CalibrationOptions& o,
                                CalibrationProfile& prof, const std::function<void(const std::string&)>& say) {
  const int64_t n = ref.samples();
  // Every map runs on every sample: the search stops being exhaustive where
  // that would take more than minutes, whatever --exhaustive-maps allows.
  const double macs_per_map = static_cast<double>(n) * static_cast<double>(ref.program.total_macs());
  const size_t affordable =
      macs_per_map > 0 ? static_cast<size_t>(std::min(static_cast<double>(o.exhaustive_maps),
                                                      o.exhaustive_search_macs / macs_per_map))
                       : o.exhaustive_maps;
  std::vector<std::vector<int>> maps = candidate_maps(ref.program, prof.widths, affordable);
  const bool uniform_only = ref.weighted.size() > 1 && maps.size() == prof.widths.size();
  if (uniform_only)
    for (auto& m : greedy_path(ref, prof))
      if (std::find(maps.begin(), maps.end(), m) == maps.end()) maps.push_back(std::move(m));
  say(uniform_only ? fmt::format("static front: the uniform maps and a greedy path, {} maps on {} samples (every "
                                 "map would be more than --exhaustive-maps {} or {:.0e} MACs)",
                                 maps.size(), n, o.exhaustive_maps, o.exhaustive_search_macs)
                   : fmt::format("static front: every map, {} on {} samples", maps.size(), n));
  struct Candidate {
    StaticMapResult result;
    std::vector<int64_t> preds;
    std::vector<int> margins;
    std::vector<OutputGaps> gaps;
  };
  std::vector<Candidate> candidates;
  const bool classifier = ref.rule.task() == Task::Classification;
  std::vector<std::vector<LayerConfig>> cfgs;
  for (const auto& m : maps) cfgs.push_back(weighted_map_configs(ref.program, m));
  // Each sample runs the maps in ascending order, each from the first step
  // whose configuration differs from the map before it: the steps before it
  // are that map's, exactly. A greedy path's maps share long prefixes.
  std::vector<size_t> order(maps.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return maps[a] < maps[b]; });
  const size_t steps = ref.program.layers.size();
  std::vector<std::vector<Decision>> decisions(maps.size(), std::vector<Decision>(static_cast<size_t>(n)));
  std::vector<std::vector<OutputGaps>> gaps(maps.size(), std::vector<OutputGaps>(static_cast<size_t>(n)));
  parallel_for(static_cast<size_t>(n), ref.threads, [&](size_t s) {
    std::vector<Codes> outputs(steps);
    const std::vector<LayerConfig>* previous = nullptr;
    for (const size_t k : order) {
      size_t first = 0;
      while (previous && first < steps && (*previous)[first] == cfgs[k][first]) ++first;
      execute_static_from(ref.program, ref.inputs[s], cfgs[k], first, outputs);
      previous = &cfgs[k];
      decisions[k][s] = ref.rule.decide(ref.program, ref.inputs[s], outputs.back());
      // An anomaly detector's gate reads its margin only.
      gaps[k][s] = classifier ? output_gaps(outputs.back()) : OutputGaps{decisions[k][s].margin, 0};
    }
  });
  for (size_t k = 0; k < maps.size(); ++k) {
    Candidate c;
    c.result.bits = maps[k];
    c.result.avg_bits = mac_weighted_bits(ref.program, cfgs[k]);
    Evaluation figure(ref.rule.task());
    int64_t agree = 0;
    for (int64_t s = 0; s < n; ++s) {
      c.preds.push_back(decisions[k][s].value);
      c.margins.push_back(decisions[k][s].margin);
      agree += decisions[k][s].value == ref.decisions8[s];
      if (!labels.empty()) figure.add(decisions[k][s], labels[s]);
    }
    c.gaps = std::move(gaps[k]);
    std::vector<Decision>().swap(decisions[k]);  // kept in c from here
    c.result.agreement = static_cast<double>(agree) / n;
    if (!labels.empty()) c.result.accuracy = figure.figure();
    candidates.push_back(std::move(c));
  }
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.result.avg_bits != b.result.avg_bits ? a.result.avg_bits < b.result.avg_bits
                                                   : a.result.agreement > b.result.agreement;
  });
  FrontOutcomes runs;
  for (auto& c : candidates)
    if (prof.static_front.empty() || c.result.agreement > prof.static_front.back().agreement) {
      prof.static_front.push_back(c.result);
      runs.bits.push_back(c.result.bits);
      runs.avg_bits.push_back(c.result.avg_bits);
      runs.preds.push_back(std::move(c.preds));
      runs.margins.push_back(std::move(c.margins));
      runs.gaps.push_back(std::move(c.gaps));
    }
  return runs;
}

// Thresholds: anchored to the front map with the best calibration agreement
// within the target average width (the cheapest map if none fits): each
// layer's tau is its mean true error at its width in that map, so an input
// whose estimate is lower goes narrower and one whose error is higher goes
// wider. Groups: consecutive layers that share a width there.
void set_thresholds(CalibrationProfile& prof, const std::function<void(const std::string&)>& say) {
  const StaticMapResult* target = &prof.static_front.front();
  for (const auto& r : prof.static_front)
    if (r.avg_bits <= prof.target_bits + 1e-9 && r.agreement >= target->agreement) target = &r;
  say(fmt::format("thresholds anchored to the static map {} ({:.2f} bits, calibration agreement {:.2f} %)",
                  fmt::join(target->bits, ","), target->avg_bits, 100 * target->agreement));
  for (size_t j = 0; j < prof.layers.size(); ++j) {
    LayerProfile& lp = prof.layers[j];
    lp.static_bits = target->bits[j];
    const auto it = std::find(prof.widths.begin(), prof.widths.end(), lp.static_bits);
    const double tau = lp.true_mse[it - prof.widths.begin()] * kErrorUnitsPerCode2;
    lp.threshold = static_cast<uint64_t>(std::llround(tau));
    lp.group = (j > 0 && target->bits[j] == target->bits[j - 1]) ? prof.layers[j - 1].group : static_cast<int>(j);
  }
}

// Cascade: the cheapest first map, re-run map and confidence gate that keep
// the target agreement on calibration (gate_fit.hpp); the plain margin
// check's best is logged beside it, so the gate's gain is on record.
void choose_cascade(const Reference& ref, const FrontOutcomes& front, CalibrationProfile& prof,
                    const std::function<void(const std::string&)>& say) {
  const bool margin_only = prof.task != Task::Classification;
  const GatedCascade plain = fit_gated_cascade(front, ref.decisions8, prof.target_agreement, true);
  // A gate must be strictly cheaper on calibration to replace the plain check.
  GatedCascade best = plain;
  if (!margin_only) {
    const GatedCascade gated = fit_gated_cascade(front, ref.decisions8, prof.target_agreement, false);
    if (gated.expected_bits < plain.expected_bits) best = gated;
  }
  prof.cascade = {front.bits[best.first], front.bits[best.second], best.gate};
  prof.margin_cascade = {front.bits[plain.first], front.bits[plain.second], plain.gate};
  auto describe = [&](const char* what, const CascadeChoice& c, const GatedCascade& fit) {
    say(fmt::format("{}: first map {}, re-run at {} when {} {} (calibration cost {:.2f} bits, {:.1f} % re-run)", what,
                    fmt::join(c.first_bits, ","), fmt::join(c.fallback_bits, ","), c.gate.describe(),
                    margin_unit(prof.task), fit.expected_bits, 100 * fit.reruns));
  };
  describe("cascade", prof.cascade, best);
  if (!margin_only) describe("cascade with the plain margin check", prof.margin_cascade, plain);
  const GatedCascade perfect = perfect_gate_cascade(front, ref.decisions8, prof.target_agreement);
  if (perfect.first == perfect.second)
    say(fmt::format("a perfect gate on the same front (the ceiling of any gate): no cascade on this front keeps the "
                    "agreement target for fewer bits than its last map alone ({:.2f} bits)", perfect.expected_bits));
  else
    say(fmt::format("a perfect gate on the same front (the ceiling of any gate at the agreement target): first map {}, "
                    "re-run at {} (calibration cost {:.2f} bits, {:.1f} % re-run)",
                    fmt::join(front.bits[perfect.first], ","), fmt::join(front.bits[perfect.second], ","),
                    perfect.expected_bits, 100 * perfect.reruns));
}

void choose_staged(const Reference& ref, FrontOutcomes front, CalibrationProfile& prof,
                   const std::function<void(const std::string&)>& say) {
  // The front ends at its best calibration agreement, which a narrower map
  // than 8 bits may already reach; the cascade's last stage is 8 bits.
  const std::vector<int> eight(prof.layers.size(), 8);
  if (front.bits.back() != eight) {
    front.bits.push_back(eight);
    front.avg_bits.push_back(8.0);
    front.preds.push_back(ref.decisions8);
    front.margins.push_back(std::vector<int>(ref.decisions8.size(), 0));  // the last stage's margin is never read
    front.gaps.push_back(std::vector<OutputGaps>(ref.decisions8.size()));
  }
  const StagedCascadeChoice choice = choose_staged_cascade(front, ref.decisions8, prof.target_agreement);
  prof.staged_cascade = choice.stages;
  say(fmt::format("staged cascade: {} (on while the margin is below the threshold; calibration cost {:.2f} bits, "
                  "agreement {:.2f} %)",
                  describe_stages(choice.stages), choice.expected_bits, 100 * choice.agreement));
}

}  // namespace

CalibrationProfile calibrate(const OnnxModel& model, const CalibrationInputs& data, const CalibrationOptions& o,
                             std::ostream* log) {
  const std::function<void(const std::string&)> say = [&](const std::string& s) {
    if (log) *log << s << "\n";
  };
  CalibrationProfile prof = start_profile(model, data.batch.rank() ? data.batch.shape()[0] : 0, data.source, o);
  Reference ref = reference_runs(model, data, o.ranges, o.threads, prof);
  if (prof.task == Task::AnomalyDetection)
    say(fmt::format("anomaly detector: operating threshold {:.6g} (8-bit reconstruction error, Youden's J on the "
                    "calibration labels); every choice below keeps the 8-bit decision at it",
                    prof.decision_threshold));
  say(fmt::format("calibrating {} layers with weights on {} samples", ref.weighted.size(), ref.samples()));
  // Every slice holds at least one word: a memory smaller than one per layer
  // is refused before the stages that take the time (size_jit_slices says why).
  if (static_cast<int64_t>(ref.weighted.size()) > o.build.sae_entries)
    throw too_few_sae_entries(prof.model, static_cast<int64_t>(ref.weighted.size()), o.build.sae_entries);
  if (o.bias_correction)
    correct_biases(ref, say);
  else
    say("bias correction: off (--no-bias-correction); every width adds the 8-bit bias");
  const ErrorTable mse = measure_sensitivity(ref, prof);
  const auto energy = size_jit_slices(ref, o, prof, say);
  const std::optional<ShadowNetwork> shadow = size_shadow_network(ref, energy, o, prof, say);
  fit_alphas(ref, mse, shadow, prof);
  const FrontOutcomes front = find_static_front(ref, data.labels, o, prof, say);
  set_thresholds(prof, say);
  choose_cascade(ref, front, prof, say);
  choose_staged(ref, front, prof, say);
  return prof;
}

}  // namespace aps
