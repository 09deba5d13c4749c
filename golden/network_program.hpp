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
#include <string>
#include <vector>

#include "golden/requantize.hpp"

namespace aps {

enum class LayerKind { FullyConnected, Conv, MaxPool, AveragePool, Add };

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

  // FullyConnected and Conv: weights [out][in / groups][kh][kw].
  std::vector<int8_t> weights;
  std::vector<int32_t> weight_zero_points;   // one per output channel
  std::vector<double> weight_scales;         // one per output channel (reports, float reference)
  std::vector<int32_t> bias;                 // one per output channel, scale in_q.scale * weight_scales[c]
  // One per output channel: in * w / out for FC and Conv; in / (out * window
  // size) for AveragePool; the Add output multiplier for Add.
  std::vector<QuantizedMultiplier> multipliers;

  bool has_weights() const { return kind == LayerKind::FullyConnected || kind == LayerKind::Conv; }
  // Layers whose outputs go through the requantization unit.
  bool requantizes() const { return kind != LayerKind::MaxPool; }
  int64_t weights_per_output() const;  // (in / groups) * kh * kw
  // Multiply-accumulates of one inference (0 for pooling).
  int64_t macs() const;
};

struct NetworkProgram {
  std::string source;       // model file
  std::string input_name;   // ONNX graph input
  std::string output_name;  // ONNX graph output
  FeatureShape input_shape;
  ActivationQuant input_q;
  std::vector<Layer> layers;  // execution order; the last one produces the output

  const Layer& output_layer() const { return layers.back(); }
  int64_t total_macs() const;
  // Hash of the structure, weights and quantization parameters: identifies
  // the model a calibration profile belongs to.
  uint64_t fingerprint() const;
  // One line per layer, for people.
  std::string describe() const;
};

// Checks the invariants the executor and the RTL rely on (sizes agree,
// zero points in range, inputs precede their consumers). InputError naming
// the layer otherwise.
void validate_program(const NetworkProgram& program);

}  // namespace aps
