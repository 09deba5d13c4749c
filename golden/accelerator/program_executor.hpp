#pragma once
// The golden model of the accelerator: executes a network program layer by
// layer with the accelerator's integer arithmetic at a given configuration
// per layer. This is what the RTL is checked against, bit for bit.
//
// A layer with weights at configuration (b, s_a, s_w) computes, per output:
//   acc   = sum (reduce(a, b, s_a) - reduce(z_a, b, s_a)) * (reduce(w, b, s_w) - reduce(z_w, b, s_w))
//   acc8  = sat32(acc * 2^(s_a + s_w))          back to the 8-bit scale
//   y     = table(requantize(sat32(acc8 + bias_b), M, z_out, relu, M_neg))
// with bias_b the layer's bias at width b (Layer::bias_at: the 8-bit bias plus
// its calibrated correction), M_neg a leaky layer's Layer::negative_multiplier, table its output
// table (Layer::table_code; z_out is then the grid the table reads), reduce() from golden/numerics/precision_reduction.hpp and requantize() from
// golden/numerics/requantize.hpp. Padded taps of a convolution contribute
// (z_a - z_a) = 0, i.e. padding uses the input zero point. Max pooling takes
// the largest code in the window (padding never wins). Average pooling sums
// (a - z_a) over the window (padding counts as zero) and requantizes with
// s_in / (s_out * window size). Add follows TFLite (see AddParams). Layers
// without weights always run at 8 bits.

#include <cstdint>
#include <span>
#include <vector>

#include "golden/accelerator/layer_config.hpp"
#include "golden/accelerator/network_program.hpp"
#include "golden/numerics/tensor.hpp"

namespace aps {

using Codes = std::vector<uint8_t>;

// One layer's output codes for the given input codes (`input_b`: the second
// operand of an Add).
Codes execute_layer(const Layer& layer, std::span<const uint8_t> input, const LayerConfig& config,
                    std::span<const uint8_t> input_b = {});

// A layer's reduced weights minus their reduced zero points at `config`,
// [out][k]: the weight side of every product it accumulates.
std::vector<int32_t> weight_differences(const Layer& layer, const LayerConfig& config);

// TFLite's quantized add of one element pair (golden twin of the RTL's add lanes):
// the sum of both inputs at the common scale, before output requantization.
int32_t add_rescaled_sum(const AddParams& add, int32_t a_code, int32_t a_zero_point, int32_t b_code);

// Everything one input's run produces, for the scoreboard to compare.
struct ProgramResult {
  std::vector<Codes> layer_outputs;             // pass 0: one per step (empty for SAE scans)
  std::vector<LayerConfig> configs;             // pass 0: the configuration each step ran with
  std::vector<std::vector<uint64_t>> metrics;   // per PCU slot, per candidate width
  std::vector<int> decided_bits;                // per PCU slot: the width the PCU decided (0: none)
  std::vector<int64_t> pcu_step_cycles;         // per step: cycles of its PCU decision (pass 0)
  int64_t pcu_cycles = 0;                       // cycles of PCU decisions in pass 0
  OutputGaps gaps;                              // cascade: of pass 0's output codes
  bool rerun = false;                           // the cascade re-ran the input
  std::vector<Codes> rerun_outputs;             // pass 1: one per step (empty where not re-run)
  std::vector<LayerConfig> rerun_configs;

  const Codes& output() const { return rerun ? rerun_outputs.back() : layer_outputs.back(); }
};

// Runs a program without SAE scans or PCU-controlled layers from step
// `first` on, at `configs`: `outputs` (one per step, as execute_program's
// layer_outputs) holds the steps before `first` from an earlier run of the
// same input, and gets the rest. A search over many maps runs each from the
// first step whose configuration differs from the map run before it.
void execute_static_from(const NetworkProgram& program, std::span<const uint8_t> input,
                         const std::vector<LayerConfig>& configs, size_t first, std::vector<Codes>& outputs);

// Runs a program: SAE scans and PCU decisions where the program has them,
// every layer, and the cascade's re-run. `configs` (one per step) gives the
// configuration of every layer the PCU does not control.
ProgramResult execute_program(const NetworkProgram& program, std::span<const uint8_t> input,
                              const std::vector<LayerConfig>& configs);

// The codes of sample `index` of a float batch (first dimension = samples),
// quantized with the program's input quantization (ONNX QuantizeLinear:
// round half to even, saturate); of a batch of the codes the program takes
// (input_codes), those codes. InputError on a shape or type mismatch.
Codes quantize_input(const NetworkProgram& program, const Tensor& batch, int64_t index);

// Real values of output codes: scale * (q - z).
std::vector<double> dequantize_output(const NetworkProgram& program, const Codes& codes);

// Index of the largest code (first on ties): the predicted class.
int64_t predicted_class(const Codes& codes);

}  // namespace aps
