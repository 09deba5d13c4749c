#pragma once
// Bias correction: what a layer at a reduced width adds to its bias so that,
// on average, it keeps the 8-bit layer's accumulators or the 8-bit run's
// outputs (the two targets below).
//
// reduce() rounds half up from the one plane below the kept ones (the only
// rounding that reads a single extra plane), so a reduced code is on average
// half an 8-bit code above the code it stands for. Summed over a layer's
// fan-in this drift is no longer small: on a 784-input layer it is of the
// order of the rounding noise itself at 4 bits, and it is systematic, the
// same sign for every input. Since weights are constants, the mean
// accumulator of output channel o at width b over the data is linear in
// the mean reduced input at each tap:
//
//   E[acc_b(o)] * 2^(s_a + s_w) = sum_k dw_b(o, k) * 2^s_w * T_b(k)
//   E[acc_8(o)]                 = sum_k dw_8(o, k) * T_8(k)
//
// where dw_b = reduce(w) - reduce(z_w) and T_b(k) is the mean over samples
// and output pixels of (reduce(a) - reduce(z_a)) * 2^s_a read by tap k
// (padding reads 0). The correction is their difference, negated and
// rounded: Layer::bias_correction, at the default shifts (8 - b).
//
// A layer at b bits mostly runs after layers at b bits, whose errors move
// the statistics of its input; so a width's corrections are measured layer
// by layer, each on its input with every layer before it at that width and
// already corrected (correct_width). Two targets are measured:
// - the layer's own input: the mean accumulator of the codes the layer
//   receives equals their 8-bit accumulator, so the layer adds no drift of
//   its own before its activation;
// - the 8-bit run's output: from the own-input correction, it moves until
//   each channel's mean output code equals the 8-bit run's at that layer.
//   A correct pre-activation mean leaves the post-activation mean high:
//   ReLU passes the upper half of a zero-mean error and clips the lower, by
//   an amount that grows with the error; a layer reading that output
//   inherits the drift. Matched outputs leave its readers no mean drift to
//   inherit (per channel, over all its pixels), whatever width they run at.
//   In a mixed map the correction is approximate: after 8-bit layers a
//   layer's input is less noisy, less of its error is rectified, and the
//   correction, fitted after layers at its own width, overshoots; the
//   choice below is made on uniform maps only.
// The calibrator keeps, per width, the target that keeps more of the 8-bit
// decisions on uniform maps, and neither where no correction keeps more than
// the uncorrected width does: a model trained with the reduction in the loop
// (tools/train_any_precision.py) has learnt part of the drift itself.
//
// A layer's correction is chosen by its width alone, so adaptive scaling,
// which may reduce activations by a smaller shift, applies the one measured
// at the default shift: right for the weights' part, approximate for the
// activations' (close at any shift of at least 1, where rounding half up
// errs by about half an 8-bit code on average; too large at shift 0, where
// activations are not rounded at all).

#include <cstdint>
#include <span>
#include <vector>

#include "golden/accelerator/network_program.hpp"
#include "golden/accelerator/program_executor.hpp"

namespace aps {

// The calibration samples a width's corrections are measured on: at most
// kBiasCorrectionSamples of `total`, spread evenly over all of them (sample
// k * total / n), so that data of two kinds in turn, clean then corrupted,
// informs the corrections with both.
inline constexpr int64_t kBiasCorrectionSamples = 1000;
std::vector<int64_t> bias_correction_samples(int64_t total);

// One width's correction of a layer aimed at its own input, per output
// channel, from the layer's inputs (each of its input shape) on calibration
// samples; all zero for none. bits in 2..7.
std::vector<int32_t> measure_bias_correction(const Layer& layer, std::span<const std::vector<uint8_t>* const> inputs,
                                             int bits);

// Corrects every main layer with weights at width `bits`, in program order,
// on the calibration inputs (network input codes), and returns the
// program's output codes for each input at uniform width `bits`, corrected.
// With `runs8` (the 8-bit runs of the same inputs through the same program)
// the corrections aim at the 8-bit run's mean output codes; without, at
// each layer's own input.
// Other widths' corrections are kept; a layer without any gets zeros for
// them. `program` must have no SAE steps.
std::vector<std::vector<uint8_t>> correct_width(NetworkProgram& program, int bits,
                                                const std::vector<std::vector<uint8_t>>& inputs, int threads,
                                                const std::vector<const ProgramResult*>& runs8);
// The same, `runs8` whole (or none).
std::vector<std::vector<uint8_t>> correct_width(NetworkProgram& program, int bits,
                                                const std::vector<std::vector<uint8_t>>& inputs, int threads,
                                                std::span<const ProgramResult> runs8 = {});

}  // namespace aps
