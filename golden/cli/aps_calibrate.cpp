// aps-calibrate: builds a model's calibration profile from a calibration set
// (at least 1000 samples: a training split, never the test split).

#include <algorithm>
#include <fmt/format.h>
#include <iostream>

#include "golden/accelerator/precision_map.hpp"
#include "golden/adaptation/bias_correction.hpp"
#include "golden/adaptation/calibrator.hpp"
#include "cli/command_line.hpp"
#include "cli/policy_cli.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/import/program_loader.hpp"

using namespace aps;
using namespace aps::cli;

namespace {

ExitCode calibrate_command(const Args& args) {
  po::options_description options("aps-calibrate --model M --data DIR --output PROFILE.onnx [options]");
  std::string model_path, data, output, ranges = "minmax", candidates = "3,4,6";
  CalibrationOptions o;
  // Signed, so "-1" is refused rather than read as the largest size_t.
  int64_t exhaustive_maps = 0;
  bool no_bias_correction = false;
  options.add_options()("help,h", "show this help")
      ("model", po::value(&model_path)->required(), "ONNX model (float, QDQ or QOperator)")
      ("data", po::value(&data)->required(), fmt::format("calibration data: input_0.pb [+ labels.pb], at least {} samples (bias corrections are measured on {} of them, spread evenly)",
                  o.min_samples, kBiasCorrectionSamples).c_str())
      ("output", po::value(&output)->required(), "where to write the profile (ONNX protobuf)")
      ("ranges", po::value(&ranges)->default_value("minmax"), "activation ranges of float and partly quantized models: minmax | percentile | mse")
      ("metric", po::value(&o.metric)->default_value("mse"), "sensitivity table: mse | sqnr")
      ("candidates", po::value(&candidates)->default_value("3,4,6"), "widths below 8 the SAE estimates (1 to 4)")
      ("budget", po::value(&o.sae_budget)->default_value(0.05, "0.05"), "SAE cost budget, share of the network's MACs")
      ("sae-entries", po::value(&o.build.sae_entries)->default_value(o.build.sae_entries),
       "SAE slice memory of the target build, in entries: a schedule's slices shrink to fit it")
      ("target-agreement", po::value(&o.target_agreement)->default_value(0.995),
       "share of 8-bit predictions the cascade must keep on calibration data")
      ("target-bits", po::value(&o.target_bits)->default_value(4.0),
       "thresholds are anchored to the best static map within this MAC-weighted average width")
      ("min-samples", po::value(&o.min_samples)->default_value(1000), "refuse smaller calibration sets")
      ("exhaustive-maps", po::value(&exhaustive_maps)->default_value(4096),
       "static front: every per-layer map when there are at most this many, else a greedy path of them")
      ("no-bias-correction", po::bool_switch(&no_bias_correction),
       "leave every width's bias at the 8-bit one (by default the mean drift of each layer's accumulators at "
       "widths 2..7, measured on the calibration data, is cancelled through its bias at every width where that "
       "keeps more 8-bit decisions)")
      ("jobs", po::value(&o.threads)->default_value(1), "threads (the profile is the same for any number)");
  std::string task, weight_reduction;
  add_task_option(options, task);
  add_weight_reduction_option(options, weight_reduction, false);
  po::variables_map vm;
  if (!parse_args(args, options, vm)) return ExitCode::Ok;
  o.ranges = parse_range_method(ranges);
  o.task = task_override(task);
  o.weight_reduction = weight_reduction_override(weight_reduction).value_or(WeightReduction::RoundHalfUp);
  o.candidates = parse_width_list(candidates, "--candidates");
  if (std::find(o.candidates.begin(), o.candidates.end(), kMaxBits) != o.candidates.end())
    throw InputError(fmt::format("--candidates {}: {} bits is always a candidate; give widths below it", candidates,
                                 kMaxBits));
  if (o.candidates.size() > 4)
    throw InputError(fmt::format("--candidates {}: give 1 to 4 widths (the PCU's candidate slots)", candidates));
  if (!(o.sae_budget > 0 && o.sae_budget < 1)) throw InputError("--budget must be in (0, 1)");
  if (!(o.target_agreement > 0 && o.target_agreement <= 1)) throw InputError("--target-agreement must be in (0, 1]");
  if (o.threads < 1) throw InputError("--jobs must be at least 1");
  if (o.build.sae_entries < 1) throw InputError("--sae-entries must be at least 1");
  if (!(o.target_bits >= kMinBits && o.target_bits <= kMaxBits))
    throw InputError(fmt::format("--target-bits must be a width in [{}, {}]", kMinBits, kMaxBits));
  if (o.min_samples < 1) throw InputError("--min-samples must be at least 1");
  // Each map is run on every calibration sample: a million is already days.
  constexpr int64_t kMaxExhaustiveMaps = int64_t{1} << 20;
  if (exhaustive_maps < 0 || exhaustive_maps > kMaxExhaustiveMaps)
    throw InputError(fmt::format("--exhaustive-maps must be in 0..{}", kMaxExhaustiveMaps));
  o.exhaustive_maps = static_cast<size_t>(exhaustive_maps);
  o.bias_correction = !no_bias_correction;
  if (output.empty()) throw InputError("--output must name the profile's file");
  check_writable(output);
  check_outputs_apart({{"--model", model_path}, {"--data", data}}, {{"--output", output}});

  const OnnxModel model = OnnxModel::load(model_path);
  if (const std::string note = o.task ? "" : task_rule_note(model); !note.empty())
    std::cerr << "aps-calibrate: note: " << note << "\n";
  // A model no accelerator tool takes is refused before its data is read.
  const bool measures_ranges = why_ranges_needed(model).has_value();
  if (given(vm, "ranges") && !measures_ranges)
    throw InputError(fmt::format("--ranges sets how a float or partly quantized model's activation ranges are "
                                 "measured; {} is quantized and brings its own",
                                 model_path));
  const DataSet set = load_calibration_set(model, data);
  CalibrationInputs in{set.inputs[0].tensor, {}, (set.folder / "labels.pb").string(), set.folder.string()};
  if (set.labels) in.labels = set.labels->ints();
  const CalibrationProfile p = calibrate(model, in, o, &std::cout);
  save_profile(p, output);

  std::cout << fmt::format("\n{} layers, {} samples, ranges {}, candidates {} (+8)\n", p.layers.size(), p.samples,
                           p.range_method, fmt::join(p.candidates, ","));
  std::cout << fmt::format("| layer | MACs | {} | static width | threshold | SAE slice | alpha (jit) |\n",
                           fmt::join(p.widths, " | "));
  for (const auto& l : p.layers) {
    std::vector<std::string> s;
    for (double v : l.sensitivity) s.push_back(fmt::format("{:.3g}", v));
    std::cout << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", l.name, l.macs, fmt::join(s, " | "),
                             l.static_bits, l.threshold, l.jit.elements.size(), fmt::join(l.alpha_jit, ","));
  }
  std::cout << fmt::format("sensitivity = {} of the layer's output codes at b bits against 8 bits\nwrote {}\n",
                           p.metric == "mse" ? "mean squared error" : "SQNR (dB)", output);
  return ExitCode::Ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  // One command: accept "aps-calibrate --model ..." as well as "aps-calibrate run --model ...".
  return dispatch(argc, argv, "aps-calibrate", "Offline calibration: the profile the SAE and PCU run with.",
                  {{"run", "build a calibration profile (the default command)", calibrate_command}}, "run");
}
