// aps-study: what adaptation buys. For one model and its calibration
// profile (made from calibration data only), on each evaluation split: the
// accuracy (an anomaly detector's ROC AUC), MAC-weighted bits (work: every pass counted), accelerator cycles
// (SAE, PCU and re-runs included) and estimated energy of
//   fp32; static 8/6/4/3/2; the static front (maps chosen on calibration data,
//   and, for reference only, the front of the split itself); SAE-driven
//   adaptive at several thresholds, just in time and up front; grouping and
//   adaptive scaling; the budget policy; the margin cascade (classifiers:
//   the accelerator's margin check reads the class margin); the staged
//   cascade (golden only: the RTL has one re-run; an anomaly detector
//   escalates on its reconstruction error's distance to the profile's
//   threshold); and three golden yardsticks: the ideal policy (true per-layer
//   errors, same thresholds), the perfect-gate cascade (classifiers: a
//   calibration-front map, then 8 bits for exactly the inputs it decides
//   unlike 8 bits) and the per-input oracle (each input's cheapest
//   static map that decides as 8 bits do, DecisionRule). Also the SAE's fidelity: Spearman rank correlation of its
//   estimates with the true per-layer errors, decisions equal to the ideal's,
//   and its cost as a share of the network's MACs.
//
// Cycles come from the golden cycle model, which the RTL matches exactly
// (checked by every co-simulation); with --rtl every hardware policy row is
// also run through the RTL, which must report 0 mismatches and the same
// cycles.

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>

#include "golden/accelerator/energy_model.hpp"
#include "golden/parallel_for.hpp"
#include "golden/adaptation/adaptive_program.hpp"
#include "golden/adaptation/calibrator.hpp"
#include "golden/adaptation/staged_cascade.hpp"
#include "cli/command_line.hpp"
#include "cli/policy_cli.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/errors.hpp"
#include "golden/accelerator/evaluation.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/onnx/batch_runner.hpp"
#include "golden/accelerator/cycle_model.hpp"
#include "golden/accelerator/pcu.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/sae.hpp"
#include "golden/numerics/roc_auc.hpp"
#include "golden/numerics/tensor_compare.hpp"
#include "sim/cosim_runner.hpp"
#include "sim/program_image.hpp"

namespace po = boost::program_options;
using namespace aps;

namespace {

struct Split {
  std::string name;
  int64_t first = 0;  // index in the split's files of inputs[0]
  Tensor batch;
  std::vector<Codes> inputs;
  std::vector<int64_t> labels;
  std::vector<int64_t> decisions8;
};

// What one input scored and cost, over every pass it ran.
struct InputOutcome {
  Decision decision;  // of its last pass
  bool rerun = false;
  double bit_macs = 0, energy = 0;
  int64_t cycles = 0, beats = 0, sae = 0;  // sae: SAE and PCU cycles
  std::vector<int> widths;                 // per main layer with weights, first pass

  void add_pass(const NetworkProgram& program, const ProgramResult& r, const Platform& platform) {
    const RunCycles rc = run_cycle_model(program, r, platform);
    bit_macs += aps::bit_macs(program, r);
    cycles += rc.total;
    beats += rc.beats;
    sae += rc.sae + rc.pcu;
    energy += run_energy_pj(program, r, rc, platform.array());
  }
  // Another run's passes, charged to this input too.
  void add_passes(const InputOutcome& o) {
    bit_macs += o.bit_macs;
    cycles += o.cycles;
    beats += o.beats;
    sae += o.sae;
    energy += o.energy;
  }
};

struct Row {
  Row(std::string p, std::string f, std::string d) : policy(std::move(p)), family(std::move(f)), detail(std::move(d)) {}
  std::string policy, family, detail;
  double accuracy = 0;  // or an anomaly detector's ROC AUC
  double avg_bits = 0, cycles = 0, energy_nj = 0, rerun_share = 0;
  double agreement8 = -1;  // share of inputs decided as at 8 bits (-1: fp32, not measured)
  double external_bytes = 0;  // through the memory port, per inference (0: not measured)
  // SAE and PCU cycles on the critical path, per inference: all of them
  // today, since scans, shadow layers and decisions run on the sequencer.
  double sae_exposed = 0;
  bool hardware = false, rtl_verified = false;
  std::vector<std::vector<int>> widths;  // per input, per slot (pass 0)
  // Per input (widths moved out), for a static map whose passes a yardstick
  // reuses (the perfect-gate cascade); empty otherwise.
  std::vector<InputOutcome> outcomes;
};

double mean(const std::vector<double>& v) { return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = (i + j) / 2.0;
    i = j + 1;
  }
  return r;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const auto ra = ranks(a), rb = ranks(b);
  const double ma = mean(ra), mb = mean(rb);
  double num = 0, da = 0, db = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) * (ra[i] - ma);
    db += (rb[i] - mb) * (rb[i] - mb);
  }
  return da > 0 && db > 0 ? num / std::sqrt(da * db) : 0.0;
}

class Study {
 public:
  // `limits`: the build every row is modelled on (the RTL's, with `rtl`);
  // `jobs`: threads for the golden runs, and accelerator instances with `rtl`.
  Study(NetworkProgram base, CalibrationProfile profile, const HardwareLimits& limits, bool rtl, int jobs)
      : base_(std::move(base)), limits_(limits), base_platform_(make_platform(base_, limits_, MemoryTiming{})),
        profile_(std::move(profile)), rule_(decision_rule(profile_)), rtl_(rtl), jobs_(jobs), w_(weighted_layers(base_)) {
    for (int l : w_) macs_ += static_cast<double>(base_.layers[l].macs());
  }

  // The row's figure (accuracy, or ROC AUC) from each input's final decision.
  double figure(const std::vector<Decision>& decisions, const Split& s) const {
    Evaluation e(rule_.task());
    for (size_t i = 0; i < decisions.size(); ++i) e.add(decisions[i], s.labels[i]);
    return e.figure();
  }

  // The share of inputs decided as the 8-bit run decides them.
  static double agreement8(const std::vector<Decision>& decisions, const Split& s) {
    size_t same = 0;
    for (size_t i = 0; i < decisions.size(); ++i) same += decisions[i].value == s.decisions8[i];
    return decisions.empty() ? 0.0 : static_cast<double>(same) / static_cast<double>(decisions.size());
  }

  // The row's per-inference figures from its inputs' outcomes (their widths
  // move into the row); returns the total memory beats and SAE + PCU cycles,
  // which the RTL must match.
  std::pair<int64_t, int64_t> summarize(std::vector<InputOutcome>& per, const Platform& platform, const Split& s,
                                        Row& row) const {
    double bit_macs = 0, cycles = 0, energy = 0, reruns = 0;
    int64_t beats = 0, sae = 0;
    std::vector<Decision> decisions;
    for (InputOutcome& o : per) {
      decisions.push_back(o.decision);
      bit_macs += o.bit_macs;
      cycles += static_cast<double>(o.cycles);
      beats += o.beats;
      sae += o.sae;
      energy += o.energy;
      reruns += o.rerun;
      row.widths.push_back(std::move(o.widths));
    }
    const double n = static_cast<double>(per.size());
    row.accuracy = figure(decisions, s);
    row.agreement8 = agreement8(decisions, s);
    row.avg_bits = bit_macs / (macs_ * n);
    row.cycles = cycles / n;
    row.energy_nj = energy / n / 1000.0;
    row.rerun_share = reruns / n;
    row.external_bytes = static_cast<double>(beats * platform.array().rows) / n;
    row.sae_exposed = static_cast<double>(sae) / n;
    return {beats, sae};
  }

  Row evaluate(const std::string& policy, const std::string& family, const std::string& detail,
               const NetworkProgram& program, const std::vector<LayerConfig>& configs, const Split& s, bool hardware,
               bool keep_outcomes = false) {
    Row row{policy, family, detail};
    row.hardware = hardware;
    const std::vector<int> main_weighted = weighted_layers(program);
    const Platform platform = make_platform(program, limits_, MemoryTiming{});
    std::vector<InputOutcome> per(s.inputs.size());
    parallel_for(per.size(), jobs_, [&](size_t i) {
      const ProgramResult r = execute_program(program, s.inputs[i], configs);
      InputOutcome& o = per[i];
      o.decision = rule_.decide(program, s.inputs[i], r.output());
      o.add_pass(program, r, platform);
      for (int l : main_weighted) o.widths.push_back(r.configs[l].bits);
      o.rerun = r.rerun;
    });
    const auto [beats, sae] = summarize(per, platform, s, row);
    if (keep_outcomes) row.outcomes = std::move(per);
    if (rtl_ && hardware) {
      sim::CosimOptions co;
      co.session.make_device = sim::make_device;
      co.configs = configs;
      co.jobs = jobs_;
      co.first_input = s.first;  // mismatches name the input as the split's files number it
      const sim::CosimResult r = sim::run_cosim(program, s.inputs, s.labels, co);
      const double n = static_cast<double>(s.inputs.size());
      if (r.counts.mismatches != 0 || r.failed_inputs != 0)
        throw std::runtime_error(fmt::format("{} {}, {}: the RTL disagrees with the golden model: {}", policy, detail, s.name,
                                             r.first_mismatch ? r.first_mismatch->describe() : "?"));
      if (static_cast<double>(r.rtl_cycles) / n != row.cycles)
        throw std::runtime_error(fmt::format("{} {}, {}: RTL cycles {} != model {}", policy, detail, s.name, r.rtl_cycles / n,
                                             row.cycles));
      if (r.sae_cycles + r.pcu_cycles != sae)
        throw std::runtime_error(fmt::format("{} {}, {}: RTL SAE and PCU cycles {} != model {}", policy, detail, s.name,
                                             r.sae_cycles + r.pcu_cycles, sae));
      if (r.mem_beats != beats)
        throw std::runtime_error(fmt::format("{} {}, {}: RTL memory beats {} != model {}", policy, detail, s.name,
                                             r.mem_beats, beats));
      row.rtl_verified = true;
    }
    return row;
  }

  // The float model's energy, from the base program's schedule at 8 bits
  // (the same for every input).
  double fp32_energy_nj(const Split& s) const {
    const auto configs = weighted_map_configs(base_, std::vector<int>(w_.size(), 8));
    const ProgramResult r = execute_program(base_, s.inputs.front(), configs);
    return fp32_energy_pj(base_, run_cycle_model(base_, r, base_platform_), base_platform_.array()) / 1000.0;
  }

  // `keep_outcomes`: keep each input's outcome in the row, for perfect_gate.
  Row static_map(const std::string& family, const std::vector<int>& bits, const Split& s, bool hardware,
                 bool keep_outcomes = false) {
    return evaluate(fmt::format("static map:{}", fmt::join(bits, ",")), family, "", base_, weighted_map_configs(base_, bits),
                    s, hardware, keep_outcomes);
  }

  // InputError naming the program unless it fits the modelled build (its
  // memory plan: scratchpad, SAE slice memory, external memory) and, with the
  // RTL, the verilated build's tables (steps, PCU slots).
  void check_fits(const std::string& row, const NetworkProgram& p) const {
    try {
      const Platform platform = make_platform(p, limits_, MemoryTiming{});
      if (rtl_) sim::build_image(p, step_configs(p, "8"), limits_, platform.plan);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}, for the {} row (checked before the study starts)", e.what(), row));
    }
  }

  Row policy(const std::string& name, const NetworkProgram& p, const std::string& detail, const Split& s) {
    return evaluate(name, name, detail, p, step_configs(p, "8"), s, true);
  }

  // A staged cascade in golden arithmetic: every stage an input reaches is a
  // full static pass, charged in full (the RTL's cascade has one re-run and
  // reads the class margin, so this row is not a hardware row).
  Row staged(const std::string& policy, const std::string& family, const std::string& detail,
             const std::vector<CascadeStage>& stages, const Split& s) {
    Row row{policy, family, detail};
    std::vector<InputOutcome> per(s.inputs.size());
    parallel_for(per.size(), jobs_, [&](size_t i) {
      const StagedRun run = run_staged_cascade(base_, stages, rule_, s.inputs[i]);
      InputOutcome& o = per[i];
      o.decision = rule_.decide(base_, s.inputs[i], run.result().output());
      o.rerun = run.passes.size() > 1;
      for (const ProgramResult& pass : run.passes) o.add_pass(base_, pass, base_platform_);
      for (int l : w_) o.widths.push_back(run.passes.front().configs[l].bits);
    });
    summarize(per, base_platform_, s, row);
    return row;
  }

  // A two-pass cascade whose gate knows which inputs its first pass decides
  // unlike 8 bits, and re-runs exactly those at 8 bits: the ceiling of any
  // gate feature (margin, entropy, SAE metrics) on a cascade that keeps every
  // 8-bit decision with an 8-bit re-run (one that keeps fewer, or re-runs at
  // a narrower map, can cost less).
  // The first map is each of `firsts` in turn (its bits and its static-map
  // row, run with its outcomes kept), kept if it is the cheapest in cycles on
  // this split (a yardstick, like the per-input oracle: it peeks); every pass
  // is charged in full, from the rows' own runs: the first map's, and
  // `static8`'s (also with its outcomes kept) for a re-run.
  Row perfect_gate(const std::vector<std::pair<std::vector<int>, const Row*>>& firsts, const Row& static8,
                   const Split& s) const {
    std::optional<Row> best;
    for (const auto& [bits, first] : firsts) {
      Row row{"perfect-gate cascade", "gate ceiling", fmt::format("first map:{}, re-run at 8 bits", fmt::join(bits, ","))};
      if (first->outcomes.size() != s.inputs.size() || static8.outcomes.size() != s.inputs.size())
        throw std::logic_error("perfect_gate: a static row without its outcomes");
      std::vector<InputOutcome> per = first->outcomes;
      for (size_t i = 0; i < per.size(); ++i) {
        InputOutcome& o = per[i];
        o.widths = bits;
        if (o.decision.value != s.decisions8[i]) {
          o.rerun = true;
          o.decision = static8.outcomes[i].decision;
          o.add_passes(static8.outcomes[i]);
        }
      }
      summarize(per, base_platform_, s, row);
      if (!best || row.cycles < best->cycles) best = std::move(row);
    }
    if (!best) throw std::logic_error("perfect_gate: no first map");
    return *best;
  }

  // Thresholds on the true per-layer errors (each layer on its actual input).
  Row ideal(double scale, const Split& s) {
    Row row{"ideal (true errors)", "ideal", fmt::format("threshold x{}", scale)};
    struct PerInput {
      Decision decision;
      double bit_macs = 0, cycles = 0;
      std::vector<int> widths;
    };
    std::vector<PerInput> per(s.inputs.size());
    parallel_for(per.size(), jobs_, [&](size_t i) {
      std::vector<Codes> outs(base_.layers.size());
      std::vector<LayerConfig> used(base_.layers.size(), static_config(8));
      std::vector<int> widths;
      for (size_t l = 0; l < base_.layers.size(); ++l) {
        const Layer& layer = base_.layers[l];
        auto src = [&](int p) -> std::span<const uint8_t> { return p < 0 ? std::span<const uint8_t>(s.inputs[i]) : outs[p]; };
        const std::span<const uint8_t> b = layer.kind == LayerKind::Add ? src(layer.add.input_b) : std::span<const uint8_t>{};
        const auto it = std::find(w_.begin(), w_.end(), static_cast<int>(l));
        if (it != w_.end()) {
          const size_t j = it - w_.begin();
          const Codes y8 = execute_layer(layer, src(layer.input), static_config(8), b);
          int chosen = 8;
          for (int c : profile_.candidates) {
            const double err = code_mse(execute_layer(layer, src(layer.input), static_config(c), b), y8) * kErrorUnitsPerCode2;
            if (err <= static_cast<double>(profile_.layers[j].threshold) * scale) {
              chosen = c;
              break;
            }
          }
          used[l] = static_config(chosen);
          widths.push_back(chosen);
        }
        outs[l] = execute_layer(layer, src(layer.input), used[l], b);
      }
      per[i] = {rule_.decide(base_, s.inputs[i], outs.back()), aps::bit_macs(base_, used),
                static_cast<double>(run_cycles(base_, used, base_platform_)), std::move(widths)};
    });
    double bit_macs = 0, cycles = 0;
    std::vector<Decision> decisions;
    for (PerInput& o : per) {
      decisions.push_back(o.decision);
      bit_macs += o.bit_macs;
      cycles += o.cycles;
      row.widths.push_back(std::move(o.widths));
    }
    const double n = static_cast<double>(s.inputs.size());
    row.accuracy = figure(decisions, s);
    row.agreement8 = agreement8(decisions, s);
    row.avg_bits = bit_macs / (macs_ * n);
    row.cycles = cycles / n;
    return row;
  }

  // Each input's cheapest static map (widths {2,3,4,6,8}) that decides as 8 bits do.
  Row oracle(const Split& s) {
    Row row{"per-input oracle", "oracle", "cheapest static map with the 8-bit decision"};
    auto maps = candidate_maps(base_, {2, 3, 4, 6, 8}, 4096);
    std::vector<double> cost;
    for (const auto& m : maps) cost.push_back(mac_weighted_bits(base_, weighted_map_configs(base_, m)));
    std::vector<size_t> order(maps.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cost[a] < cost[b]; });
    // Per input: its cheapest map that keeps the 8-bit decision (the all-8
    // map always does), that run's cycles and its decision.
    struct Taken {
      size_t map = 0;
      double cycles = 0;
      Decision decision;
    };
    Taken none;
    none.map = maps.size();
    std::vector<Taken> taken(s.inputs.size(), none);
    parallel_for(taken.size(), jobs_, [&](size_t i) {
      for (size_t k : order) {
        const ProgramResult r = execute_program(base_, s.inputs[i], weighted_map_configs(base_, maps[k]));
        const Decision d = rule_.decide(base_, s.inputs[i], r.output());
        if (d.value != s.decisions8[i]) continue;
        taken[i] = {k, static_cast<double>(run_cycle_model(base_, r, base_platform_).total), d};
        break;
      }
    });
    double bits = 0, cycles = 0;
    std::vector<Decision> decisions;
    for (const Taken& t : taken) {
      if (t.map == maps.size()) throw std::logic_error("per-input oracle: the all-8 map changed an 8-bit decision");
      bits += cost[t.map];
      cycles += t.cycles;
      decisions.push_back(t.decision);
      row.widths.push_back(maps[t.map]);
    }
    const double n = static_cast<double>(s.inputs.size());
    row.accuracy = figure(decisions, s);
    row.agreement8 = agreement8(decisions, s);
    row.avg_bits = bits / n;
    row.cycles = cycles / n;
    return row;
  }

  // Spearman rho of SAE estimates against true errors, per layer and pooled.
  // The SAE's fidelity on a split, for each of `schedules`: {"rho_all", "layers"}.
  std::vector<nlohmann::json> fidelity(const Split& s, const std::vector<Schedule>& schedules) {
    const bool upfront = std::find(schedules.begin(), schedules.end(), Schedule::UpFront) != schedules.end();
    std::optional<ShadowNetwork> shadow;
    if (upfront) shadow = profile_shadow_network(base_, profile_);
    const size_t widths = profile_.candidates.size();
    // est[k][j][i * widths + c]: schedule k, layer j, input i, candidate c;
    // truth[j][i * widths + c], the same for every schedule. Each input's
    // 8-bit run (and, up front, its shadow network's tensors, which the scans
    // read) is made here and dropped: kept for a whole split they were
    // gigabytes on 10,000 inputs.
    using PerLayer = std::vector<std::vector<double>>;
    PerLayer truth(w_.size(), std::vector<double>(s.inputs.size() * widths));
    std::vector<PerLayer> est(schedules.size(), truth);
    const auto cfg8 = step_configs(base_, "8");
    parallel_for(s.inputs.size(), jobs_, [&](size_t i) {
      const ProgramResult run8 = execute_program(base_, s.inputs[i], cfg8);
      const std::vector<Codes> shadow_outputs = shadow ? run_shadow_network(*shadow, s.inputs[i]) : std::vector<Codes>{};
      for (size_t j = 0; j < w_.size(); ++j) {
        const Layer& layer = base_.layers[w_[j]];
        const LayerProfile& lp = profile_.layers[j];
        const Codes& in = layer.input < 0 ? s.inputs[i] : run8.layer_outputs[layer.input];
        const Codes& y8 = run8.layer_outputs[w_[j]];
        for (size_t c = 0; c < widths; ++c)
          truth[j][i * widths + c] =
              code_mse(execute_layer(layer, in, static_config(profile_.candidates[c])), y8) * kErrorUnitsPerCode2;
        for (size_t k = 0; k < schedules.size(); ++k) {
          const bool jit = schedules[k] == Schedule::JustInTime;
          SaeScanParams scan;
          scan.elements = jit ? lp.jit.elements : lp.upfront.elements;
          scan.coefficients = jit ? lp.jit.coefficients : lp.upfront.coefficients;
          const auto& alpha = jit ? lp.alpha_jit : lp.alpha_upfront;
          // What the scan reads: the layer's input just in time; up front the
          // network input or the shadow tensor standing for the layer's input.
          const int source = jit ? -1 : shadow->source_of[j];
          const Codes& scanned = jit ? in : source < 0 ? s.inputs[i] : shadow_outputs[source];
          const std::vector<uint64_t> m = sae_metrics(scan, scanned, layer.in_q.zero_point, profile_.candidates);
          for (size_t c = 0; c < widths; ++c)
            est[k][j][i * widths + c] = static_cast<double>(estimated_error(m[c], alpha[c]));
        }
      }
    });
    std::vector<nlohmann::json> out;
    for (size_t k = 0; k < schedules.size(); ++k) {
      std::vector<double> all_est, all_true;
      nlohmann::json per_layer = nlohmann::json::object();
      for (size_t j = 0; j < w_.size(); ++j) {
        const std::vector<double>& e_j = est[k][j];
        const std::vector<double>& t_j = truth[j];
        // Within one width: does the SAE rank inputs as the true error does?
        std::vector<double> within;
        for (size_t c = 0; c < widths; ++c) {
          std::vector<double> e, t;
          for (size_t x = c; x < e_j.size(); x += widths) {
            e.push_back(e_j[x]);
            t.push_back(t_j[x]);
          }
          within.push_back(spearman(e, t));
        }
        per_layer[base_.layers[w_[j]].name] = {{"rho_pooled", spearman(e_j, t_j)}, {"rho_per_width", within}};
        all_est.insert(all_est.end(), e_j.begin(), e_j.end());
        all_true.insert(all_true.end(), t_j.begin(), t_j.end());
      }
      out.push_back({{"rho_all", spearman(all_est, all_true)}, {"layers", per_layer}});
    }
    return out;
  }

  double sae_cost_share(Schedule schedule) const {
    double ops = 0;
    for (const auto& l : profile_.layers)
      ops += 2.0 * static_cast<double>(profile_.candidates.size()) *
             static_cast<double>((schedule == Schedule::JustInTime ? l.jit : l.upfront).elements.size());
    if (schedule == Schedule::UpFront) ops += static_cast<double>(profile_shadow_network(base_, profile_).macs());
    return ops / macs_;
  }

  const NetworkProgram& base() const { return base_; }
  const DecisionRule& rule() const { return rule_; }
  const std::vector<int>& weighted() const { return w_; }

 private:
  NetworkProgram base_;
  HardwareLimits limits_;
  Platform base_platform_;  // the modelled build and the default memory timing
  CalibrationProfile profile_;
  DecisionRule rule_;
  bool rtl_;
  int jobs_;
  std::vector<int> w_;
  double macs_ = 0;
};

// Each item of a comma-separated list, parsed and checked by `parse` (the
// single-value rule aps-sim applies to the same option); an item that repeats
// another would repeat its rows.
template <typename Parse>
auto parse_list(const std::string& text, const char* option, Parse parse) {
  std::vector<decltype(parse(std::string()))> v;
  for (const std::string& item : cli::split_list(text)) {
    v.push_back(parse(item));
    if (std::find(v.begin(), v.end() - 1, v.back()) != v.end() - 1)
      throw InputError(fmt::format("{} names {} twice", option, item));
  }
  return v;
}

// Ratios to static 8 bits; 0 where the row has no such figure (the table's
// "–"), which the JSON files write as null (figure_or_null): a script taking
// the smallest ratio must not find the fp32 or oracle row's missing one.
double ratio(double value, double static8) { return value > 0 && static8 > 0 ? value / static8 : 0.0; }
double speedup(const Row& r, double cycles8) { return r.cycles > 0 ? cycles8 / r.cycles : 0.0; }
double sae_share(const Row& r) { return r.cycles > 0 ? r.sae_exposed / r.cycles : 0.0; }
nlohmann::json figure_or_null(double v, bool has) { return has ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json row_json(const Row& r, double fp32_accuracy, const Row& static8) {
  return {{"policy", r.policy}, {"family", r.family}, {"detail", r.detail}, {"accuracy", r.accuracy},
          {"accuracy_drop_vs_fp32", fp32_accuracy - r.accuracy}, {"avg_bits", r.avg_bits}, {"cycles", r.cycles},
          {"speedup_vs_static8", figure_or_null(speedup(r, static8.cycles), r.cycles > 0)}, {"energy_nj", r.energy_nj},
          {"external_bytes", r.external_bytes}, {"sae_cycles_exposed", r.sae_exposed}, {"rerun_share", r.rerun_share},
          {"agreement_with_8bit", r.agreement8 >= 0 ? nlohmann::json(r.agreement8) : nlohmann::json()},
          {"rtl_verified", r.rtl_verified}};
}

// One row of --report: the columns scripts compare across models and splits.
// The slice's place (inputs, first) lets a script weigh slices of one split.
nlohmann::json report_row(const Row& r, const Split& s, double fp32_accuracy, const Row& static8) {
  return {{"policy", r.policy},
          {"setting", r.detail},
          {"family", r.family},
          {"split", s.name},
          {"inputs", s.inputs.size()},
          {"first", s.first},
          {"accuracy", r.accuracy},
          {"fp32_accuracy", fp32_accuracy},
          {"avg_bits", r.avg_bits},
          {"speedup", figure_or_null(speedup(r, static8.cycles), r.cycles > 0)},
          {"energy_ratio", figure_or_null(ratio(r.energy_nj, static8.energy_nj), r.energy_nj > 0)},
          {"bytes_ratio", figure_or_null(ratio(r.external_bytes, static8.external_bytes), r.external_bytes > 0)},
          {"sae_exposed_share", figure_or_null(sae_share(r), r.cycles > 0)},
          {"rtl_verified", r.rtl_verified}};
}

}  // namespace

namespace {

int run_tool(int argc, char** argv) {
  std::string dir, model_path, reference_path, data_dir, profile_path, splits_text = "test_data_set_0,noisy",
              json_path, report_path,
              scales_text = "0.25,0.5,1,2,4,8,16",
              margins_text = "4,8,12,16,24,32", budgets_text = "3,4,5", budget_metrics_text = "bit-macs,energy";
  bool rtl = false;
  int jobs = 1;
  int64_t count = 0, first = 0, front_maps = 4096;
  HardwareLimits limits;
  po::options_description opts(
      "aps-study (--model-dir DIR | --model M --data DIR [--reference F]) --profile PROFILE [options]");
  opts.add_options()("help,h", "show this help")
      ("model-dir", po::value(&dir), "folder with model.onnx, model_int8.onnx and the splits (sets the next three)")
      ("model", po::value(&model_path), "the model the accelerator runs, as the profile was made for it (float, QDQ or QOperator)")
      ("reference", po::value(&reference_path), "the float model of the fp32 row (default: --model, when it is float)")
      ("data", po::value(&data_dir), "folder that holds the split folders")
      ("profile", po::value(&profile_path)->required(), "calibration profile of the model (aps-calibrate)")
      ("splits", po::value(&splits_text)->default_value(splits_text), "evaluation splits (folders in the data folder)")
      ("count", po::value(&count)->default_value(0), "the first N inputs of each split (0: all)")
      ("first", po::value(&first)->default_value(0),
       "index of the first input studied in each split, which must hold more (a later slice of a study run in parts)")
      ("front-maps", po::value(&front_maps)->default_value(front_maps),
       "per-layer maps of the split's own front, drawn for reference (uniform maps only beyond this; 0: none)")
      ("threshold-scales", po::value(&scales_text)->default_value(scales_text), "adaptive / ideal threshold multipliers")
      ("margins", po::value(&margins_text)->default_value(margins_text), "cascade margin thresholds to sweep")
      ("budgets", po::value(&budgets_text)->default_value(budgets_text),
       "budget policy: the widths whose cost everywhere is the budget")
      ("budget-metrics", po::value(&budget_metrics_text)->default_value(budget_metrics_text),
       "budget policy: what each budget counts (bit-macs, traffic, energy)")
      ("sae-entries", po::value(&limits.sae_entries)->default_value(limits.sae_entries),
       "SAE slice memory of the modelled build, in entries (as given to aps-calibrate; --rtl needs the verilated one)")
      ("rtl", po::bool_switch(&rtl), "also run every hardware policy through the RTL (0 mismatches required)")
      ("jobs", po::value(&jobs)->default_value(1), "threads for the golden runs, and accelerator instances for --rtl")
      ("json", po::value(&json_path), "write every number as JSON (for tools/plot_adaptation.py)")
      ("report", po::value(&report_path), "write every row (policy, setting, family, split, inputs, first, accuracy, "
                                          "fp32_accuracy, avg_bits, speedup, energy_ratio, bytes_ratio, "
                                          "sae_exposed_share, rtl_verified; null where a row has no such figure) as JSON");
  try {
    po::variables_map vm;
    // An empty list skips those rows (--budgets '' spares the budget sweep's RTL runs).
    if (!cli::parse_args(cli::Args(argv + 1, argv + argc), opts, vm, nullptr,
                         {"threshold-scales", "margins", "budgets", "budget-metrics"}))
      return 0;
    if (!dir.empty()) {
      if (!model_path.empty() || !data_dir.empty() || !reference_path.empty())
        throw InputError("--model-dir names the model, its float reference and the data: give it or them, not both");
      model_path = (std::filesystem::path(dir) / "model_int8.onnx").string();
      reference_path = (std::filesystem::path(dir) / "model.onnx").string();
      data_dir = dir;
    }
    if (model_path.empty() || data_dir.empty()) throw InputError("give --model-dir, or --model and --data");
    if (count < 0) throw InputError("--count must be at least 0 (0: every input)");
    if (first < 0) throw InputError("--first must be at least 0");
    if (front_maps < 0) throw InputError("--front-maps must be at least 0 (0: uniform maps only)");
    if (jobs < 1) throw InputError("--jobs must be at least 1");
    const std::vector<std::string> split_names = cli::split_list(splits_text);
    if (split_names.empty()) throw InputError("--splits names no split folder");
    for (std::set<std::string> seen; const std::string& name : split_names)
      if (!seen.insert(name).second) throw InputError(fmt::format("--splits names {} twice", name));
    // Checked before the study runs, not when its rows are written.
    const std::vector<double> threshold_scales =
        parse_list(scales_text, "--threshold-scales",
                   [](const std::string& t) { return cli::parse_threshold_scale(t, "--threshold-scales"); });
    const std::vector<int> margins =
        parse_list(margins_text, "--margins", [](const std::string& t) { return cli::parse_margin(t, "--margins"); });
    const std::vector<double> budgets =
        parse_list(budgets_text, "--budgets", [](const std::string& t) { return cli::parse_budget_bits(t, "--budgets"); });
    cli::check_writable_each({json_path, report_path});
    cli::check_outputs_apart({{"--model-dir", dir}, {"--model", model_path}, {"--reference", reference_path},
                              {"--data", data_dir}, {"--profile", profile_path}},
                             {{"--json", json_path}, {"--report", report_path}});
    const std::filesystem::path root(data_dir);
    const OnnxModel model = OnnxModel::load(model_path);
    // A float --model is its own reference; a large model read twice would
    // cost its parse time and memory again.
    std::optional<OnnxModel> reference;
    if (reference_path.empty()) {
      if (detect_model_format(model) != ModelFormat::Float)
        throw InputError(fmt::format("{}: a quantized model needs --reference, the float model of the fp32 row", model_path));
      reference_path = model_path;
    } else {
      reference = OnnxModel::load(reference_path);
      if (detect_model_format(*reference) != ModelFormat::Float)
        throw InputError(fmt::format("--reference {} is quantized; the fp32 row needs the float model", reference_path));
    }
    const OnnxModel& fp32_model = reference ? *reference : model;
    const CalibrationProfile profile = load_profile(profile_path, model);
    if (limits.sae_entries < 1) throw InputError("--sae-entries must be at least 1");
    if (rtl) {
      const HardwareLimits built = sim::probe_hardware(sim::make_device, {});
      if (limits.sae_entries != built.sae_entries)
        throw InputError(fmt::format("--sae-entries {} is not the verilated build's {}: the RTL rows run on the build "
                                     "that was verilated",
                                     limits.sae_entries, built.sae_entries));
      // Every row models the build its RTL rows run on (array, memories,
      // steps), so their cycles and beats can be compared.
      limits = built;
    }
    Study study(program_for_profile(model, profile), profile, limits, rtl, jobs);
    const NetworkProgram& base = study.base();
    const auto cfg8 = step_configs(base, "8");
    const bool upfront = has_upfront_schedule(profile);
    const std::vector<BudgetMetric> budget_metrics = parse_list(budget_metrics_text, "--budget-metrics", parse_budget_metric);
    std::vector<Schedule> schedules{Schedule::JustInTime};
    if (upfront) schedules.push_back(Schedule::UpFront);
    // The rows of the policies that build their own program, in table order
    // (an ideal row follows each threshold scale's adaptive rows).
    struct PolicyRow {
      std::string family, detail;
      PolicyOptions options;
      std::optional<double> ideal_after;
      NetworkProgram program = {};  // built once below, for every split
    };
    std::vector<PolicyRow> policy_rows;
    for (double scale : threshold_scales)
      for (Schedule sch : schedules) {
        PolicyOptions o;
        o.policy = Policy::Adaptive;
        o.schedule = sch;
        o.threshold_scale = scale;
        policy_rows.push_back({fmt::format("adaptive ({})", schedule_name(sch)), fmt::format("threshold x{}", scale), o,
                               sch == schedules.back() ? std::optional<double>(scale) : std::nullopt});
      }
    {
      PolicyOptions o;
      o.policy = Policy::Adaptive;
      o.grouping = true;
      policy_rows.push_back({"adaptive (jit, grouping)", "threshold x1", o, std::nullopt});
      o.grouping = false;
      o.scaling = true;
      policy_rows.push_back({"adaptive (jit, scaling)", "threshold x1", o, std::nullopt});
    }
    for (const BudgetMetric m : budget_metrics)
      for (double b : upfront ? budgets : std::vector<double>{}) {
        PolicyOptions o;
        o.policy = Policy::Budget;
        o.schedule = Schedule::UpFront;
        o.budget_bits = b;
        o.budget_metric = m;
        policy_rows.push_back({m == BudgetMetric::BitMacs ? std::string("budget (upfront)")
                                                          : fmt::format("budget (upfront, {})", budget_metric_name(m)),
                               fmt::format("{} bits", b), o, std::nullopt});
      }
    if (profile.task == Task::Classification) {
      PolicyOptions o;
      o.policy = Policy::Cascade;
      policy_rows.push_back({"cascade", fmt::format("gate {} (profile)", profile.cascade.gate.describe()), o, std::nullopt});
      o.plain_margin = true;
      policy_rows.push_back({"cascade", fmt::format("{} (profile, plain margin)", profile.margin_cascade.gate.describe()),
                             o, std::nullopt});
      for (int m : margins) {
        o.margin_threshold = m;
        policy_rows.push_back({"cascade", fmt::format("margin {}", m), o, std::nullopt});
      }
      PolicyOptions a;
      a.policy = Policy::AdaptiveCascade;
      policy_rows.push_back({"adaptive-cascade (jit)", fmt::format("gate {} (profile)", profile.cascade.gate.describe()),
                             a, std::nullopt});
    }
    // Every program the rows run, checked against the build before any split
    // is studied: one the build cannot hold must not end the study hours in.
    study.check_fits("static", base);
    for (PolicyRow& r : policy_rows) {
      r.program = build_adaptive_program(base, profile, r.options);
      study.check_fits(fmt::format("{} {}", r.family, r.detail), r.program);
    }

    nlohmann::json report_rows = nlohmann::json::array();
    const std::string model_name = dir.empty() ? model_path : dir;  // as the tables and plots name the study
    // "accuracy" holds an anomaly detector's ROC AUC; "figure" says which.
    const std::string figure = profile.task == Task::Classification ? "accuracy" : "auc";
    nlohmann::json out = {{"model", model_name}, {"profile", profile_path}, {"macs", base.total_macs()},
                          {"task", task_name(profile.task)}, {"figure", figure},
                          {"weight_reduction", weight_reduction_name(profile.weight_reduction)},
                          {"sae_cost_share_jit", study.sae_cost_share(Schedule::JustInTime)},
                          {"sae_cost_share_upfront", upfront ? nlohmann::json(study.sae_cost_share(Schedule::UpFront)) : nlohmann::json()},
                          {"upfront_unavailable", profile.upfront_unavailable},
                          {"profile_samples", profile.samples}, {"splits", nlohmann::json::object()}};
    // Every split is loaded and checked before any is studied: a bad last
    // split must not cost the hours the first one takes.
    std::vector<Split> splits;
    for (const std::string& split_name : split_names) {
      Split& s = splits.emplace_back();
      s.name = split_name;
      const DataSet ds = load_split(root / split_name);
      check_program_batch(base, ds);
      if (!ds.labels) throw InputError(fmt::format("{}: the study needs labels", (root / split_name).string()));
      if (first >= ds.sample_count())
        throw InputError(fmt::format("{}: --first {} is past its last input ({} inputs)", (root / split_name).string(),
                                     first, ds.sample_count()));
      const int64_t available = ds.sample_count() - first;
      const int64_t n = count > 0 ? std::min(count, available) : available;
      s.first = first;
      s.batch = batch_slice(ds.inputs[0].tensor, first, first + n);
      s.labels.assign(ds.labels->ints().begin() + first, ds.labels->ints().begin() + first + n);
      // The whole split's labels, so an error numbers the sample as its file does.
      check_class_labels(profile.task, ds.labels->ints(), base.output_layer().out_shape.size(),
                         (root / split_name / "labels.pb").string(), base.source);
      for (int64_t i = 0; i < n; ++i) s.inputs.push_back(quantize_input(base, s.batch, i));
      if (profile.task == Task::AnomalyDetection) {
        try {
          count_anomalies(s.labels, "the ROC AUC");
        } catch (const InputError&) {
          throw InputError(fmt::format("{}: the ROC AUC needs labels 0 (normal) and 1 (anomaly), both among inputs "
                                       "{} to {}",
                                       (root / split_name).string(), first, first + n - 1));
        }
      }
    }
    for (Split& s : splits) {
      const std::string& split_name = s.name;
      s.decisions8.resize(s.inputs.size());
      parallel_for(s.inputs.size(), jobs, [&](size_t i) {
        s.decisions8[i] = study.rule().decide(base, s.inputs[i], execute_program(base, s.inputs[i], cfg8).output()).value;
      });
      std::cerr << fmt::format("{} {}: {} inputs\n", data_dir, split_name, s.inputs.size());

      std::vector<Row> rows;
      // fp32
      const TensorMap fo = run_batch(fp32_model, {{fp32_model.inputs()[0].name, s.batch}}, nullptr, jobs);
      Evaluation fp32_figure(profile.task);
      for (size_t i = 0; i < s.labels.size(); ++i)
        fp32_figure.add_float(s.batch, fo.at(fp32_model.outputs()[0].name), static_cast<int64_t>(i), s.labels[i],
                              reference_path);
      Row fp32{"fp32", "fp32", "float model (ONNX semantics)"};
      fp32.accuracy = fp32_figure.figure();
      fp32.avg_bits = 32;
      rows.push_back(fp32);
      for (int b : {8, 6, 4, 3, 2})
        rows.push_back(study.static_map("static uniform", std::vector<int>(study.weighted().size(), b), s, true, b == 8));
      const Row static8 = rows[1];
      const double cycles8 = static8.cycles;
      rows[0].energy_nj = study.fp32_energy_nj(s);
      // The calibration front keeps its outcomes when the perfect-gate row reuses them.
      const bool gate_ceiling = profile.task == Task::Classification && !profile.static_front.empty();
      const size_t front_begin = rows.size();
      for (const auto& f : profile.static_front)
        rows.push_back(study.static_map("static front (calibration)", f.bits, s, false, gate_ceiling));
      // The split's own front: for reference only (it peeks at this split).
      {
        std::vector<Row> all;
        const auto maps = front_maps > 0 ? candidate_maps(base, {2, 3, 4, 6, 8}, static_cast<size_t>(front_maps))
                                         : std::vector<std::vector<int>>{};
        for (const auto& m : maps) all.push_back(study.static_map("static front (this split)", m, s, false));
        std::sort(all.begin(), all.end(), [](const Row& a, const Row& b) { return a.avg_bits != b.avg_bits ? a.avg_bits < b.avg_bits : a.accuracy > b.accuracy; });
        double best = -1;
        for (const Row& r : all)
          if (r.accuracy > best) {
            rows.push_back(r);
            best = r.accuracy;
          }
      }
      for (const PolicyRow& r : policy_rows) {
        rows.push_back(study.policy(r.family, r.program, r.detail, s));
        if (r.ideal_after) rows.push_back(study.ideal(*r.ideal_after, s));
      }
      if (profile.task != Task::Classification) {
        // The profile's cascade escalates on the reconstruction error's
        // distance to the threshold, which only the golden model computes.
        auto two_stages = [&](int margin) {
          const auto avg = [&](const std::vector<int>& bits) {
            return mac_weighted_bits(base, weighted_map_configs(base, bits));
          };
          return std::vector<CascadeStage>{{profile.cascade.first_bits, avg(profile.cascade.first_bits), margin},
                                           {profile.cascade.fallback_bits, avg(profile.cascade.fallback_bits), 0}};
        };
        rows.push_back(study.staged("cascade (golden, reconstruction error)", "cascade",
                                    fmt::format("margin {} % (profile)", profile.cascade.gate.threshold),
                                    two_stages(profile.cascade.gate.threshold), s));
        for (int m : margins)
          rows.push_back(study.staged("cascade (golden, reconstruction error)", "cascade",
                                      fmt::format("margin {} %", m), two_stages(m), s));
      }
      if (!profile.staged_cascade.empty())
        rows.push_back(study.staged("staged cascade (golden)", "staged cascade", describe_stages(profile.staged_cascade),
                                    profile.staged_cascade, s));
      if (gate_ceiling) {
        std::vector<std::pair<std::vector<int>, const Row*>> firsts;
        for (size_t k = 0; k < profile.static_front.size(); ++k)
          firsts.emplace_back(profile.static_front[k].bits, &rows[front_begin + k]);
        rows.push_back(study.perfect_gate(firsts, static8, s));
      }
      rows.push_back(study.oracle(s));

      // Decisions of the SAE-driven policy equal to the ideal's (threshold x1).
      const Row* adaptive1 = nullptr;
      const Row* ideal1 = nullptr;
      for (const Row& r : rows) {
        if (r.policy == "adaptive (jit)" && r.detail == "threshold x1") adaptive1 = &r;
        if (r.family == "ideal" && r.detail == "threshold x1") ideal1 = &r;
      }
      double same = 0, total = 0;
      if (adaptive1 && ideal1)
        for (size_t i = 0; i < adaptive1->widths.size(); ++i)
          for (size_t j = 0; j < adaptive1->widths[i].size(); ++j) {
            same += adaptive1->widths[i][j] == ideal1->widths[i][j];
            ++total;
          }

      nlohmann::json jrows = nlohmann::json::array();
      for (const Row& r : rows) {
        jrows.push_back(row_json(r, fp32.accuracy, static8));
        report_rows.push_back(report_row(r, s, fp32.accuracy, static8));
      }
      const std::vector<nlohmann::json> rho = study.fidelity(
          s, upfront ? std::vector{Schedule::JustInTime, Schedule::UpFront} : std::vector{Schedule::JustInTime});
      out["splits"][split_name] = {{"inputs", s.inputs.size()},
                                   {"first", s.first},
                                   {"rows", jrows},
                                   {"fidelity_jit", rho[0]},
                                   {"fidelity_upfront", upfront ? rho[1] : nlohmann::json()},
                                   // null without both threshold x1 rows to compare
                                   {"decisions_equal_to_ideal", figure_or_null(total > 0 ? same / total : 0.0, total > 0)}};
      out["split_order"].push_back(split_name);  // "splits" is an object, whose keys JSON sorts

      const std::string rule = cli::weight_rule_suffix(base);
      if (s.first == 0)
        std::cout << fmt::format("\n### {} — {} ({} inputs{})\n\n", model_name, split_name, s.inputs.size(), rule);
      else
        std::cout << fmt::format("\n### {} — {} ({} inputs, from input {}{})\n\n", model_name, split_name, s.inputs.size(), s.first,
                                 rule);
      const bool auc = profile.task == Task::AnomalyDetection;
      std::cout << fmt::format("| policy | setting | {} | vs fp32 | bits (MAC-weighted, all passes) | cycles / inference | speed-up vs static 8 | energy / inference | memory bytes / inference | SAE + PCU cycles exposed | re-runs | RTL-checked |\n",
                               auc ? "ROC AUC" : "accuracy");
      std::cout << fmt::format("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|\n");
      for (const Row& r : rows) {
        // The two static fronts' maps are named alike: the setting tells them apart.
        const std::string setting = r.family == "static front (calibration)" ? "front chosen on calibration data"
                                    : r.family == "static front (this split)" ? "front of this split (yardstick)"
                                                                              : r.detail;
        std::cout << fmt::format("| {} | {} | {} | {} | {:.2f} | {} | {} | {} | {} | {} | {} | {} |\n", r.policy, setting,
                                 auc ? fmt::format("{:.4f}", r.accuracy) : fmt::format("{:.2f} %", 100 * r.accuracy),
                                 auc ? fmt::format("{:+.4f}", r.accuracy - fp32.accuracy)
                                     : fmt::format("{:+.2f}", 100 * (r.accuracy - fp32.accuracy)),
                                 r.avg_bits, r.cycles > 0 ? fmt::format("{:.0f}", r.cycles) : "–",
                                 r.cycles > 0 ? fmt::format("{:.2f}x", speedup(r, cycles8)) : "–",
                                 r.energy_nj > 0 ? fmt::format("{:.1f} nJ", r.energy_nj) : "–",
                                 r.external_bytes > 0 ? fmt::format("{:.0f}", r.external_bytes) : "–",
                                 r.sae_exposed > 0 ? fmt::format("{:.0f} ({:.1f} %)", r.sae_exposed, 100 * sae_share(r)) : "",
                                 r.rerun_share > 0 ? fmt::format("{:.1f} %", 100 * r.rerun_share) : "",
                                 r.rtl_verified ? "yes" : (r.hardware ? "no" : "golden"));
      }
      const auto& fidelity = out["splits"][split_name];
      std::cout << fmt::format("\nSAE fidelity: Spearman rho (all layers and widths) {:.2f} just in time, {}; "
                               "decisions equal to the ideal policy's: {}\n",
                               fidelity["fidelity_jit"]["rho_all"].get<double>(),
                               upfront ? fmt::format("{:.2f} up front", fidelity["fidelity_upfront"]["rho_all"].get<double>())
                                       : std::string("no up-front schedule"),
                               total > 0 ? fmt::format("{:.1f} %", 100 * same / total) : std::string("n/a (no threshold x1 rows)"));
      s = Split{};  // a split's runs are not needed once its table is out
    }
    std::cout << fmt::format("\nSAE cost: {:.1f} % of the network's MACs just in time, {}\n", 100 * out["sae_cost_share_jit"].get<double>(),
                             upfront ? fmt::format("{:.1f} % up front (shadow layers included)",
                                                   100 * out["sae_cost_share_upfront"].get<double>())
                                     : fmt::format("no up-front schedule in the profile ({}), so the up-front and budget policies "
                                                   "are not run",
                                                   profile.upfront_unavailable));
    if (!json_path.empty()) aps::cli::write_json_file(json_path, out);
    if (!report_path.empty()) aps::cli::write_json_file(report_path, nlohmann::json{{"model_dir", dir}, {"model", model_path}, {"figure", figure},
                                                                 {"weight_reduction", weight_reduction_name(profile.weight_reduction)},
                                                                 {"rows", report_rows}});
    return 0;
  } catch (const InputError& e) {  // bad input, and usage errors (parse_args)
    std::cerr << "aps-study: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "aps-study: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  aps::cli::start_tool();
  return aps::cli::finish_tool(run_tool(argc, argv), "aps-study");
}
