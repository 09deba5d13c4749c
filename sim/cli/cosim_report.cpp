#include "sim/cli/cosim_report.hpp"

#include <fmt/format.h>

namespace aps::sim {

nlohmann::json mismatch_json(const std::optional<Mismatch>& m) {
  if (!m) return nullptr;
  return {{"check", m->check},       {"input", m->input},   {"layer", m->layer}, {"layer_name", m->layer_name},
          {"element", m->element},   {"expected", m->expected}, {"got", m->got}, {"bits", m->bits},
          {"cycle", m->cycle},       {"run_cycle", m->run_cycle}, {"message", m->describe()}};
}

namespace {
nlohmann::json histogram_json(const NetworkProgram& program, const CosimResult& r) {
  nlohmann::json h = nlohmann::json::object();
  size_t j = 0;
  for (const auto& l : program.layers) {
    if (l.role != LayerRole::Main || !l.has_weights()) continue;
    nlohmann::json widths = nlohmann::json::object();
    if (j < r.width_histogram.size())
      for (const auto& [b, count] : r.width_histogram[j]) widths[std::to_string(b)] = count;
    h[l.name] = widths;
    ++j;
  }
  return h;
}

// What a farm needs to merge a figure across shards: counts for accuracy, the
// scores and labels for the ROC AUC (not a mean of shard AUCs).
nlohmann::json evaluation_json(const Evaluation& e) {
  nlohmann::json j = {{"samples", e.samples()}, {"correct", e.correct()}};
  if (e.task() == Task::AnomalyDetection) {
    j["scores"] = e.scores();
    j["labels"] = e.labels();
  }
  return j;
}

}  // namespace

nlohmann::json cosim_json(const NetworkProgram& program, const RunDescription& d, const CosimResult& r) {
  const double n = static_cast<double>(std::max<int64_t>(r.inputs, 1));
  const bool labelled = r.rtl_eval.has_figure();
  const bool classification = r.rtl_eval.task() == Task::Classification;
  nlohmann::json layers = nlohmann::json::array();
  for (size_t l = 0; l < program.layers.size(); ++l)
    layers.push_back({{"name", program.layers[l].name},
                      {"kind", layer_kind_name(program.layers[l].kind)},
                      {"macs", program.layers[l].macs()},
                      {"cycles_per_inference", static_cast<double>(r.layer_cycles[l]) / n},
                      {"rerun_cycles_per_inference", static_cast<double>(r.layer_rerun_cycles[l]) / n},
                      {"bytes_moved_per_inference", static_cast<double>(r.layer_mem_beats[l]) * r.rows / n},
                      {"memory_stall_cycles_per_inference", static_cast<double>(r.layer_mem_stalls[l]) / n}});
  return {
      {"model", d.model},
      {"data", d.data},
      {"rtl_variant", r.variant},
      {"precision", d.precision},
      {"policy_options", d.policy_options},
      {"bias_correction_off", d.bias_correction_off},
      {"seed", d.seed},
      {"jobs", d.jobs},
      {"inputs", r.inputs},
      {"failed_inputs", r.failed_inputs},
      {"layers_compared", r.counts.layers_compared},
      {"elements_compared", r.counts.elements_compared},
      {"mismatches", r.counts.mismatches},
      {"first_mismatch", mismatch_json(r.first_mismatch)},
      {"task", task_name(r.rtl_eval.task())},
      {classification ? "accuracy" : "auc", labelled ? nlohmann::json(r.rtl_eval.figure()) : nlohmann::json(nullptr)},
      {classification ? "golden_accuracy" : "golden_auc",
       labelled ? nlohmann::json(r.golden_eval.figure()) : nlohmann::json(nullptr)},
      {"evaluation", {{"rtl", evaluation_json(r.rtl_eval)}, {"golden", evaluation_json(r.golden_eval)}}},
      {"avg_bits", d.avg_bits},
      {"cycles_per_inference", static_cast<double>(r.rtl_cycles) / n},
      {"bytes_moved_per_inference", static_cast<double>(r.mem_beats) * r.rows / n},
      {"memory_stall_cycles_per_inference", static_cast<double>(r.mem_stalls) / n},
      {"sim_cycles", r.sim_cycles},
      {"sim_cycles_per_second", r.seconds > 0 ? static_cast<double>(r.sim_cycles) / r.seconds : 0.0},
      {"inferences_per_second", r.seconds > 0 ? static_cast<double>(r.inputs) / r.seconds : 0.0},
      {"seconds", r.seconds},
      {"layers", layers},
      {"reruns", r.reruns},
      {"sae_cycles_per_inference", static_cast<double>(r.sae_cycles) / n},
      {"pcu_cycles_per_inference", static_cast<double>(r.pcu_cycles) / n},
      {"precision_maps", r.precision_maps},
      {"width_histogram", histogram_json(program, r)},
      {"metrics_compared", r.counts.metrics_compared},
      {"configs_compared", r.counts.configs_compared},
  };
}

std::string cosim_table(const NetworkProgram& program, const RunDescription& d, const CosimResult& r) {
  const double n = static_cast<double>(std::max<int64_t>(r.inputs, 1));
  std::string s;
  auto row = [&](const std::string& k, const std::string& v) { s += fmt::format("  {:<24} {}\n", k, v); };
  s += fmt::format("aps-sim: {} on {} ({}, {}{})\n", d.model, d.data, r.variant, d.precision,
                   d.bias_correction_off ? ", without bias correction" : "");
  row("inputs", fmt::format("{} ({} failed)", r.inputs, r.failed_inputs));
  row("layers compared", fmt::format("{}", r.counts.layers_compared));
  row("elements compared", fmt::format("{}", r.counts.elements_compared));
  row("mismatches", fmt::format("{}", r.counts.mismatches));
  if (r.rtl_eval.has_figure())
    row(std::string(r.rtl_eval.figure_name()),
        fmt::format("{} RTL, {} golden", r.rtl_eval.format_figure(), r.golden_eval.format_figure()));
  else
    row(std::string(r.rtl_eval.figure_name()),
        r.inputs == 0                ? "n/a (no inputs)"
        : r.rtl_eval.samples() > 0 ? "n/a (the inputs hold one class only)"
                                   : "n/a (no labels)");
  row("avg bits (MAC-weighted)", fmt::format("{:.2f}", d.avg_bits));
  row("cycles per inference", fmt::format("{:.0f} ({:.0f} waiting for memory)", static_cast<double>(r.rtl_cycles) / n,
                                          r.mem_stalls / n));
  row("bytes moved", fmt::format("{:.0f} per inference", static_cast<double>(r.mem_beats) * r.rows / n));
  if (r.reruns > 0) row("  by layer", "the first pass; re-run cycles beside it");
  for (size_t l = 0; l < program.layers.size(); ++l)
    row(fmt::format("  {} {} {}", program.layers[l].kind == LayerKind::SaeScan ? "step " : "layer", l, program.layers[l].name),
        fmt::format("{:.0f} cycles, {:.0f} bytes moved, {:.0f} waiting for memory{}", r.layer_cycles[l] / n,
                    r.layer_mem_beats[l] * r.rows / n, r.layer_mem_stalls[l] / n,
                    r.layer_rerun_cycles[l] > 0 ? fmt::format("; re-run {:.0f} cycles", r.layer_rerun_cycles[l] / n) : ""));
  if (program.pcu.enabled()) {
    row("SAE / PCU cycles", fmt::format("{:.1f} / {:.1f} per inference", r.sae_cycles / n, r.pcu_cycles / n));
    row("SAE metrics compared", fmt::format("{}", r.counts.metrics_compared));
    if (program.pcu.cascade) row("re-runs", fmt::format("{} of {}", r.reruns, r.inputs));
    std::string hist;
    size_t j = 0;
    for (const auto& l : program.layers) {
      if (l.role != LayerRole::Main || !l.has_weights()) continue;
      std::vector<std::string> parts;
      if (j < r.width_histogram.size())
        for (const auto& [b, count] : r.width_histogram[j]) parts.push_back(fmt::format("{}b:{}", b, count));
      row(fmt::format("  widths of {}", l.name), fmt::format("{}", fmt::join(parts, " ")));
      ++j;
    }
  }
  row("sim cycles/s", fmt::format("{:.3g}", r.seconds > 0 ? r.sim_cycles / r.seconds : 0.0));
  row("inferences/s", fmt::format("{:.1f}", r.seconds > 0 ? r.inputs / r.seconds : 0.0));
  if (r.first_mismatch) row("first mismatch", r.first_mismatch->describe());
  return s;
}

}  // namespace aps::sim
