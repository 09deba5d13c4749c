#pragma once
// The network program: the layer IR the accelerator executes and the golden
// model checks it against. Integer only: 8-bit activations (uint8 codes with
// a per-tensor scale and zero point), int8 weights with per-output-channel
// scales and zero points, int32 biases, and per-channel requantization
// multipliers. Floats appear only as the scales at the model's edges.
//
// Canonical forms, whatever the ONNX model used: activations are uint8 (an
// int8 activation becomes code + 128, zero point + 128: same real values);
// weights are int8 (a uint8 weight becomes code - 128, zero point - 128).
// Feature maps are stored channel-major (C, H, W), so Flatten moves nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "golden/accelerator/cascade_gate.hpp"
#include "golden/numerics/dtype.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/numerics/requantize.hpp"
#include "golden/numerics/weight_reduction.hpp"

namespace aps {

enum class LayerKind { FullyConnected, Conv, MaxPool, AveragePool, Add, SaeScan };

// Main layers compute the network; shadow layers are the SAE's simplified
// copies (up-front schedule), run before the main computation.
enum class LayerRole { Main, Shadow };

// What the PCU does after a scan.
enum class PcuAction { None, Decide, DecideAll };

std::string_view layer_kind_name(LayerKind k);

struct ActivationQuant {
  double scale = 1.0;       // float32 value, held in a double
  int32_t zero_point = 0;   // 0..255
  bool operator==(const ActivationQuant&) const = default;
};

// Channels x height x width; fully connected layers use height = width = 1.
struct FeatureShape {
  int64_t channels = 0, height = 1, width = 1;
  int64_t size() const { return channels * height * width; }
  bool operator==(const FeatureShape&) const = default;
};

// Window of a Conv or pooling layer (2-D; FC layers leave the defaults).
struct Window {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;
  bool operator==(const Window&) const = default;
};

// Residual Add of two quantized tensors, as TFLite computes it: each input
// is moved to a common fixed-point scale, (q - z) * 2^left_shift times its
// multiplier (s_in / (2 max(s_a, s_b))), the two are summed, and the sum is
// requantized with the layer's output multiplier (2 max(s_a, s_b) /
// (2^left_shift s_out)).
struct AddParams {
  int input_b = -1;  // producer of the second operand; -1 = the network input
  ActivationQuant in_q_b;
  QuantizedMultiplier multiplier_a, multiplier_b;
  int left_shift = 20;
  bool operator==(const AddParams&) const = default;
};

// A sensitivity-analysis step (golden/accelerator/sae.hpp): reads a slice of a tensor
// and accumulates, for every candidate width b, sum coef_i * err_b(q_i)^2.
struct SaeScanParams {
  int tensor = -1;                     // producer of the scanned tensor; -1 = network input
  std::vector<int64_t> elements;       // CHW indices into that tensor
  std::vector<uint32_t> coefficients;  // one per element, < 2^16
  int slot = 0;                        // the PCU slot (main layer) the metrics belong to
  PcuAction action = PcuAction::None;
  bool operator==(const SaeScanParams&) const = default;
};

// Widths that carry a bias correction, 2..7 (8 bits is the reference).
inline constexpr int kCorrectedWidths = kMaxBits - kMinBits;

struct Layer {
  std::string name;  // the ONNX node it came from, for messages
  LayerKind kind = LayerKind::FullyConnected;
  int input = -1;    // index of the producing layer; -1 = the network input
  FeatureShape in_shape, out_shape;
  ActivationQuant in_q, out_q;
  bool relu = false;
  Window window;
  int groups = 1;

  AddParams add;     // Add only
  LayerRole role = LayerRole::Main;
  int pcu_slot = -1;   // >= 0: the PCU chooses this layer's configuration
  SaeScanParams scan;  // SaeScan only

  // FullyConnected and Conv: weights [out][in / groups][kh][kw].
  std::vector<int8_t> weights;
  std::vector<int32_t> weight_zero_points;   // one per output channel
  std::vector<double> weight_scales;         // one per output channel (reports, float reference)
  WeightReduction weight_reduction = WeightReduction::RoundHalfUp;  // how the weights meet a narrow width
  // Weights that stand for exactly 1 (an Add of a constant made a layer):
  // rounding half up keeps code 64 at every width, midpoint reduction would
  // read it as 1.5 at 2 bits, so such a layer always rounds.
  bool unit_weights = false;
  std::vector<int32_t> bias;                 // one per output channel, scale in_q.scale * weight_scales[c]
  // Bias correction (golden/adaptation/bias_correction.hpp): for widths 2..7,
  // what is added to the bias at that width, [bias_correction_offset(bits) +
  // c]; empty: every width adds the 8-bit bias alone. Reduction rounds half
  // up, so a reduced layer's accumulators drift from the 8-bit ones by a
  // per-channel mean that calibration can measure and cancel.
  std::vector<int32_t> bias_correction;
  // One per output channel: in * w / out for FC and Conv; in / (out * window
  // size) for AveragePool; the Add output multiplier for Add.
  std::vector<QuantizedMultiplier> multipliers;
  // A LeakyRelu or PRelu folded into the output stage: one Q1.30 slope per
  // output channel (golden/numerics/requantize.hpp slope_code); empty: the
  // output is linear below 0 (or ReLU's).
  std::vector<int32_t> negative_slopes;
  // An elementwise activation after requantization (Sigmoid, Tanh,
  // HardSwish, ...): the requantization aims at the grid table_in_q, and its
  // code c becomes output_table[c], 256 codes on the out_q grid. Empty: no
  // table, and the requantization aims at out_q.
  std::vector<uint8_t> output_table;
  ActivationQuant table_in_q;

  bool has_weights() const { return kind == LayerKind::FullyConnected || kind == LayerKind::Conv; }
  // Layers whose outputs go through the requantization unit.
  bool requantizes() const { return kind != LayerKind::MaxPool && kind != LayerKind::SaeScan; }
  bool leaky() const { return !negative_slopes.empty(); }
  bool has_output_table() const { return !output_table.empty(); }
  uint8_t table_code(uint8_t code) const { return output_table.empty() ? code : output_table[code]; }
  // The zero point the requantization adds (and ReLU clamps at).
  int32_t requantized_zero_point() const {
    return output_table.empty() ? out_q.zero_point : table_in_q.zero_point;
  }
  // Output channel c's multiplier for a negative accumulator, on a leaky layer.
  std::optional<int32_t> negative_multiplier(int64_t channel) const;
  bool produces_output() const { return kind != LayerKind::SaeScan; }
  // One input channel per output channel, as many as it reads.
  bool is_depthwise() const {
    return kind == LayerKind::Conv && groups > 1 && groups == in_shape.channels && out_shape.channels == in_shape.channels;
  }
  int64_t weights_per_output() const;  // (in / groups) * kh * kw
  // Whether its weights may take the midpoint rule: a weight equal to its
  // zero point no longer multiplies by exactly 0 there, and the array can
  // leave out of a dense or depthwise sum the lanes that hold no input
  // channel, but not the other groups' channels of a grouped convolution.
  bool takes_midpoint_weights() const { return has_weights() && !unit_weights && (groups == 1 || is_depthwise()); }
  // The bias a layer at `bits` adds to output channel c (saturated to int32).
  int32_t bias_at(int bits, int64_t channel) const;
  // Entries of a full bias_correction: one per output channel and corrected width.
  int64_t bias_correction_entries() const { return out_shape.channels * kCorrectedWidths; }
  // Where the corrections of width `bits` (2..7) start in bias_correction.
  int64_t bias_correction_offset(int bits) const { return (bits - kMinBits) * out_shape.channels; }
  // Multiply-accumulates of one inference (0 for pooling).
  int64_t macs() const;
};

// One main layer whose width the PCU chooses (golden/accelerator/pcu.hpp).
struct PcuSlot {
  int layer = 0;                  // index of the main layer in the program
  std::vector<uint32_t> alpha;    // per candidate: true error ~ (metric * alpha) >> 16
  uint64_t threshold = 0;         // tau: the largest acceptable estimated error
  int group = 0;                  // layers of one group share a width
  std::vector<uint32_t> cost;     // budget cost at each candidate's width, then at 8 bits
  int initial_bits = 8;           // width when no decision is made (a cascade's first pass)
  int fallback_bits = 8;          // width of a cascade's re-run
  bool operator==(const PcuSlot&) const = default;
};

struct PcuProgram {
  std::vector<int> candidates;    // ascending widths below 8; 8 is always the fallback
  std::vector<PcuSlot> slots;
  bool adaptive_scaling = false;  // choose the activation shift from the input's actual range
  uint64_t budget = 0;            // up-front: the slots' costs at their widths sum to at most this (0 = no budget)
  bool cascade = false;           // re-run at the fallback widths when the gate says so
  CascadeGate gate;               // on the first pass's output codes
  bool enabled() const { return !slots.empty(); }
  bool operator==(const PcuProgram&) const = default;
};

// The host's patch packing of the network input for a first convolution
// over few channels (golden/accelerator/input_patches.hpp).
struct InputPatches {
  FeatureShape raw;  // the network input before packing (0 channels: no packing)
  Window window;     // the convolution's window over it
  bool enabled() const { return raw.channels > 0; }
  bool operator==(const InputPatches&) const = default;
};

// An elementwise float32 op the graph applies to its input before the
// input is quantized (a normalization: Keras' Rescaling, (x - mean) / std).
// The host applies the steps in order to each raw element, then quantizes.
struct InputStep {
  enum class Op { Add, Sub, Mul, Div };
  Op op = Op::Mul;
  bool constant_first = false;  // c - x, c / x
  std::vector<float> constant;  // one per element of a raw sample (the graph input's order)

  float apply(float x, size_t raw) const;
  bool operator==(const InputStep&) const = default;
};

struct NetworkProgram {
  std::string source;       // model file
  std::string input_name;   // ONNX graph input
  std::string output_name;  // ONNX graph output
  FeatureShape input_shape;
  // One sample of the graph input as the model declares it, batch excluded
  // (empty: a program built without a graph, not checked). The element count
  // alone would let a [N,64] batch feed a [N,1,8,8] model.
  std::vector<int64_t> input_dims;
  ActivationQuant input_q;
  // The graph input's element type: int8 or uint8 when the model takes codes
  // (a TFLite model converted with its integer input), which the host passes
  // on as they are; float when the host quantizes the samples at input_q.
  DType input_codes = DType::Float;
  // The graph casts those integers to float32 (image bytes into a float
  // model): they are not codes, the host converts them, applies input_steps
  // and quantizes at input_q as it does float samples.
  bool input_cast = false;
  // The host's input packing: CHW element i of the raw network input is
  // element input_order[i] of one sample of the graph input (an NHWC input
  // transposed, for one); empty when they are the same. With patch packing
  // the program's input (input_shape) is made from the raw one.
  std::vector<int64_t> input_order;
  std::vector<InputStep> input_steps;  // before quantization; empty: none
  InputPatches input_patches;
  // What the host computes from the last layer's dequantized output to give
  // the graph output ("Softmax", ...; empty: nothing). It preserves the
  // order of the outputs, so the prediction is the largest output code.
  std::string output_tail;
  std::vector<Layer> layers;  // execution order; the last one produces the output
  PcuProgram pcu;             // adaptive precision control (empty: static configurations)

  const Layer& output_layer() const { return layers.back(); }
  // The network input as the graph gives it (before patch packing).
  const FeatureShape& raw_input_shape() const { return input_patches.enabled() ? input_patches.raw : input_shape; }
  // The tensor `producer` writes (-1: the network input): its shape as
  // stored (a fully connected consumer's in_shape is a flattened view of
  // it) and its quantization.
  const FeatureShape& tensor_shape(int producer) const {
    return producer < 0 ? input_shape : layers[producer].out_shape;
  }
  const ActivationQuant& tensor_quant(int producer) const {
    return producer < 0 ? input_q : layers[producer].out_q;
  }
  // Multiply-accumulates of the main layers (the network's own work).
  int64_t total_macs() const;
  // Hash of the structure, weights and quantization parameters: identifies
  // the model a calibration profile belongs to.
  uint64_t fingerprint() const;
  // Every layer with weights reduces them by `r` (weight_reduction.hpp),
  // but grouped convolutions that are not depthwise keep rounding half up
  // (Layer::takes_midpoint_weights).
  void set_weight_reduction(WeightReduction r);
  // One line per layer, for people.
  std::string describe() const;
};

// The main layers with weights, in program order: the layers a precision map
// and the PCU's slots describe.
std::vector<int> weighted_layers(const NetworkProgram& program);

// Checks the invariants the executor and the RTL rely on (sizes agree,
// zero points in range, inputs precede their consumers). InputError naming
// the layer otherwise.
void validate_program(const NetworkProgram& program);

}  // namespace aps
