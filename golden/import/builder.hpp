#pragma once
// The program builder's state, shared by the lowering files (one per family
// of ONNX constructs, like onnx/ops/): builder.cpp drives the graph walk and
// finishes layers; lower_layers.cpp lowers the ops that become layers;
// lower_activations.cpp the ops fused into them or standing alone (Relu,
// Clip, BatchNormalization, Add, pooling); lower_layout.cpp the ops that move
// no values (Transpose, Reshape, Flatten, Squeeze, Unsqueeze), the layout of
// the graph input and the host tail after the last layer; constant folding
// is in fold_constants.cpp. Internal to golden/import.

#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "golden/accelerator/network_program.hpp"
#include "golden/import/program_builder.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps::import {

// The layers the accelerator applies an activation in (ReLU, a clip, a
// slope, a table), in their output stage (lower_activations.cpp).
bool takes_activation(const Layer& l);
// The elementwise activations lowered to output tables (lower_table_activation.cpp).
bool is_table_activation(const std::string& op);
// A Swish's gate (Sigmoid or HardSigmoid) and, in a QDQ model, the
// QuantizeLinear between it and the Mul.
struct SwishGate {
  const onnx::NodeProto* gate = nullptr;
  const onnx::NodeProto* quantize = nullptr;
};

// An activation tensor of the program as an ONNX value sees it: the stored
// tensor (a layer's output, or the network input), and the value's own shape
// and element order, which layout ops change without moving anything.
struct ActView {
  int tensor = -1;               // producing layer, -1 = network input
  ActivationQuant q;
  FeatureShape stored;           // the stored tensor: (C, H, W), CHW order
  Shape dims;                    // the value's shape, batch first (as 1)
  std::vector<int64_t> order;    // value flat index -> stored flat index; empty: the same
  bool codes = false;            // the value holds codes (between Q and DQ)
  // Zeros around the stored map (top, left, bottom, right): a Pad, which the
  // convolution or average pooling that reads the value takes as its own
  // padding (the accelerator pads with the zero point, real 0). Any other
  // reader is refused (act).
  std::array<int64_t, 4> pad{};
  std::string pad_node;          // that Pad's name, for the refusal

  bool padded() const { return pad != std::array<int64_t, 4>{}; }
  // The stored map's sizes with the padding around it.
  int64_t padded_height() const { return stored.height + pad[0] + pad[2]; }
  int64_t padded_width() const { return stored.width + pad[1] + pad[3]; }
  // A [1,C,H,W] view of the stored map (with its padding) in its own order,
  // or a [1,C,L] view of a map of height 1 (a 1-D map, as Conv1d reads it):
  // what convolution, pooling and Add read.
  bool feature_map() const {
    if (!order.empty() || dims.size() < 3 || dims[1] != stored.channels) return false;
    if (dims.size() == 3) return padded_height() == 1 && dims[2] == padded_width();
    return dims.size() == 4 && dims[2] == padded_height() && dims[3] == padded_width();
  }
  // Why a layer that reads maps cannot read this value ("a convolution" etc.
  // names the reader): a value of a map's rank whose elements are not the
  // stored map's in (C, H, W) order is a reshaped or transposed view of it.
  std::string not_a_map(const std::string& reader) const;
  // The spatial sizes the value shows: {H, W}, or {L} for a 1-D map.
  std::vector<int64_t> spatial() const { return {dims.begin() + 2, dims.end()}; }
  // The shape of a map of `channels` x h x w of the same rank as this one.
  Shape map_dims(int64_t channels, int64_t h, int64_t w) const {
    return dims.size() == 3 ? Shape{1, channels, w} : Shape{1, channels, h, w};
  }
  // A [1,F] view: what a fully connected layer reads (in `order`).
  bool vector() const { return !padded() && dims.size() == 2 && dims[1] == stored.size(); }
};

// The graph input before it becomes the network input: layout ops and its
// quantization may come first (an NHWC input transposed, a flat input
// reshaped, then QuantizeLinear).
struct InputView {
  Shape dims;                    // batch first (as 1)
  std::vector<int64_t> order;    // value flat index -> raw sample flat index; empty: the same
  std::optional<ActivationQuant> q;
  bool codes = false;
  std::vector<InputStep> steps;  // a normalization before the quantization
};

// A quantized constant: DequantizeLinear of a constant.
struct QuantConst {
  Tensor codes;
  std::vector<double> scales;  // 1 or one per index along `axis`
  std::vector<int64_t> zero_points;
  int axis = 0;
  // Every code's value (dequantize_linear), per axis along `axis` (a 1-D
  // constant's own axis when `axis` is out of range).
  std::vector<double> values() const;
};

// A Gemm / MatMul / Conv / pooling / Add whose output quantization is not
// known yet (it comes from the QuantizeLinear that follows, or from
// calibration).
struct PendingLayer {
  Layer layer;
  std::vector<double> bias_real;  // float bias (float models / float C), empty if none
  std::optional<QuantConst> bias_quant;
  // Float models: the weights, [out][rest], quantized only at finalize() so
  // that a following BatchNormalization can be folded in first.
  std::vector<double> float_weights;
  Shape dims;                     // the output value's shape, batch first
  std::vector<int64_t> order;     // the output value's order (an Add keeps its inputs')
  std::optional<std::pair<double, double>> clip;  // a Clip after the layer: [min, max]
  // Moves a quantized bias to bias_real (zeros if there is none): before
  // something changes the bias or the weights' scales.
  void bias_to_real();
};

// The activations read after a layer, as one clip: [lo, hi] (a ReLU is
// [0, inf)), and whether a Clip is among them.
struct ActivationAfter {
  double lo = -INFINITY, hi = INFINITY;
  bool clip = false;
};

// An inference BatchNormalization per channel: y = (x - mean) * gain + beta,
// with gain = scale / sqrt(var + eps).
struct BatchNormAffine {
  std::vector<double> gain, mean, beta;
};

// Per-output-channel int8 weights, canonicalised, [out][rest].
struct ChannelWeights {
  std::vector<int8_t> codes;
  std::vector<int32_t> zero_points;
  std::vector<double> scales;
};

class ProgramBuilder {
 public:
  ProgramBuilder(const OnnxModel& model, const ActivationRanges* ranges);
  NetworkProgram build();

 private:
  // builder.cpp: the walk, values and constants, finishing layers.
  void check_finite_constants(const PendingLayer& p) const;
  [[noreturn]] void unsupported(const onnx::NodeProto& node, const std::string& why) const;
  // PartlyQuantizedError: `what` (where and which value the model leaves
  // float), and that calibration data would quantize it.
  [[noreturn]] void needs_calibration(const std::string& what) const;
  OpContext context(const onnx::NodeProto& node) const;
  void lower(const onnx::NodeProto& node);
  const Tensor* constant(const std::string& value) const;
  // constant(value), or the value of a Constant node the walk has not reached
  // yet (torch.onnx writes a QuantizeLinear's parameters just before it).
  const Tensor* constant_ahead(const std::string& value);
  ActivationQuant calibrated_quant(const std::string& value) const;
  // `zp` may be null: zero point 0 of `absent_zp_type`.
  ActivationQuant activation_quant(const onnx::NodeProto& node, const Tensor* scale, const Tensor* zp,
                                   DType absent_zp_type = DType::UInt8) const;
  DType codes_dtype(std::string value) const;
  QuantConst quant_const_from(const onnx::NodeProto& node, const Tensor& codes, const Tensor& scale, const Tensor* zp,
                              int64_t axis) const;
  // A padded value is refused unless the reader takes the padding
  // (`takes_padding`: it folds it, or passes the view on unchanged).
  ActView act(const std::string& value, const onnx::NodeProto& node, bool takes_padding = false);
  // Why `value` cannot be read as an activation's codes: `usual`, or, for a
  // graph input of integer type, that the tools feed float samples.
  std::string not_codes(const std::string& value, const std::string& usual) const;
  PendingLayer requantizing_layer(const onnx::NodeProto& node, const ActView& in) const;
  PendingLayer new_layer(const onnx::NodeProto& node, LayerKind kind, const ActView& in) const;
  // The pending layer `value` names, for `node` to fuse into it: `value`
  // itself (the result before that op) is never stored.
  PendingLayer take_pending(const std::string& value, const onnx::NodeProto& node);
  void finalize_from_calibration(const std::string& value);
  // A layer's result read, or given as the graph output, before any
  // QuantizeLinear: a quantized model's max pooling is on its input's grid,
  // anything else is quantized from its calibration range; false without
  // ranges (a partly quantized model built without calibration data).
  bool finalize_unquantized(const std::string& value);
  // `measured`: out_q comes from a calibration range, not from the model.
  void finalize(const std::string& value, ActivationQuant out_q, bool measured = false);
  // A QOperator layer (or a requantizing one): `p` finalized as `value` at
  // `out_q`, its result codes. The view it gets.
  ActView& finalize_codes(const std::string& value, PendingLayer p, ActivationQuant out_q);
  // `at_clip`: the grid of the values the clip reads; `then`: the grid a
  // QuantizeLinear moves its output to next (grid_after).
  void clip_as_saturation(Layer& l, double lo, double hi, const ActivationQuant& at_clip,
                          const std::optional<ActivationQuant>& then) const;
  int32_t bias_code(double v, const Layer& l) const;
  // A QuantizeLinear's parameters; refused unless constant scalars.
  ActivationQuant quantize_params(const onnx::NodeProto& node) const;
  // Whether a QuantizeLinear the walk has not reached has constant scalar
  // parameters (constant_ahead), so quantize_params can read them early.
  bool per_tensor_params_ahead(const onnx::NodeProto& q);
  void lower_quantize(const onnx::NodeProto& node);
  ActView requantize(const onnx::NodeProto& node, const ActView& in, ActivationQuant q);
  void lower_dequantize(const onnx::NodeProto& node);
  // The graph input's codes (an int8 / uint8 input) take the parameters of
  // the first op that reads them with its own (a DequantizeLinear, a
  // QLinearConv); any later reader must agree.
  void adopt_input_quant(const onnx::NodeProto& node, const std::string& value, const ActivationQuant& q);

  // lower_layers.cpp
  void lower_fully_connected(const onnx::NodeProto& node);
  void lower_conv(const onnx::NodeProto& node);
  void lower_qlinear(const onnx::NodeProto& node);
  // lower_qoperator_contrib.cpp: ONNX Runtime's com.microsoft QLinearAdd,
  // QLinearAveragePool, QLinearGlobalAveragePool and QLinearLeakyRelu (QGemm
  // is lower_qlinear's).
  void lower_qlinear_add(const onnx::NodeProto& node);
  void lower_qlinear_bias_add(const onnx::NodeProto& node, int layer_input, int constant_input);
  void check_one_code_type(const onnx::NodeProto& node, DType a, DType b) const;
  void lower_qlinear_average_pool(const onnx::NodeProto& node);
  void lower_qlinear_leaky_relu(const onnx::NodeProto& node);
  const Tensor* param(const onnx::NodeProto& node, int i) const;
  ActivationQuant quant_inputs(const onnx::NodeProto& node, int scale, DType type) const;
  ChannelWeights channel_weights(const QuantConst& c, int out_axis, const onnx::NodeProto& node) const;
  std::vector<double> float_channel_major(const Tensor& f, int out_axis) const;
  void attach_bias(PendingLayer& p, const std::string& value, const onnx::NodeProto& node);
  int conv_groups(const OpContext& ctx, const onnx::NodeProto& node) const;
  void set_window(Layer& l, const OpContext& ctx, std::vector<int64_t> in, std::vector<int64_t> kernel) const;

  // lower_table_activation.cpp: Sigmoid, Tanh, HardSwish, ... as output tables
  void lower_table_activation(const onnx::NodeProto& node, const SwishGate* swish = nullptr);
  std::optional<SwishGate> swish_gate(const onnx::NodeProto& mul) const;
  std::optional<SwishGate> match_swish(const onnx::NodeProto& mul) const;
  // The gate of a Swish, or its QuantizeLinear or DequantizeLinear: lowered with the Mul.
  bool inside_swish(const onnx::NodeProto& node) const;
  bool same_quantization(const onnx::NodeProto& q, const onnx::NodeProto& dq) const;
  Tensor activation_values(const onnx::NodeProto& node, const ActivationQuant& grid) const;

  // lower_negative_slope.cpp: LeakyRelu and PRelu
  void lower_negative_slope(const onnx::NodeProto& node);
  // The node's slope for each channel of the stored tensor its output is
  // (`dims` and `order` as an ActView's), as Q1.30 codes; refused where a
  // channel's slope varies or lies beyond [-1, 1].
  std::vector<int32_t> channel_slopes(const onnx::NodeProto& node, const Shape& dims,
                                      const std::vector<int64_t>& order, const FeatureShape& stored) const;

  // lower_activations.cpp
  void lower_relu(const onnx::NodeProto& node);
  void lower_clip(const onnx::NodeProto& node);
  void clamp_after_slope(const onnx::NodeProto& node, Layer& l, double lo) const;
  void clamp_table(Layer& l, double lo, double hi) const;
  // The finished layer a Relu or Clip applies to when it reads the layer's
  // requantized output; refused unless nothing else reads it on the way.
  // An activation reading a layer's result whose activation another reader
  // already fused (two Relus of one Conv): refused, saying so.
  void refuse_fused_input(const onnx::NodeProto& node) const;
  Layer& layer_before(const onnx::NodeProto& node);
  void pass_through(const onnx::NodeProto& node);
  // The one node that reads `value`; nullptr when others read it too, or it
  // is the graph's output (which the host reads).
  const onnx::NodeProto* sole_reader(const std::string& value) const;
  // The Relus and Clips that layer_before would apply in the layer whose
  // result is `value`, as one range (nullopt if none): what a float model's
  // grid is chosen for.
  std::optional<ActivationAfter> activation_after(const std::string& value) const;
  // A Clip's [min, max]; refused unless constant and holding 0.
  std::pair<double, double> clip_bounds(const onnx::NodeProto& node) const;
  // The grid the QuantizeLinear that reads `value` (through ops that keep
  // its values, read by nothing else) moves it to; nullopt if none.
  std::optional<ActivationQuant> grid_after(const std::string& value);
  // The grid `value` is quantized to where the graph or calibration says:
  // grid_after, else a calibrated model's measured range; nullopt if neither.
  std::optional<ActivationQuant> known_grid(const std::string& value);
  void lower_add(const onnx::NodeProto& node);
  void lower_bias_add(const onnx::NodeProto& node);
  void lower_quantized_constant_add(const onnx::NodeProto& node, const std::string& x, const std::string& b);
  // A layer that adds `values` (a constant shaped as `c`, one per channel of
  // `in`) to the codes `in`: what an Add of a constant that cannot be a bias is.
  PendingLayer constant_add_layer(const onnx::NodeProto& node, const ActView& in, const Tensor& c,
                                  const std::vector<double>& values) const;
  // The Add layer of two activations of one shape and layout.
  PendingLayer residual_add(const onnx::NodeProto& node, const ActView& a, const ActView& b) const;
  // A constant's values as one per output channel of pending layer `p`
  // (right-aligned against its output, varying only along the channel axis).
  std::vector<double> channel_values(const PendingLayer& p, const Tensor& c, const std::vector<double>& values,
                                     const onnx::NodeProto& node) const;
  // The window of an AveragePool or GlobalAveragePool `node` reading `in`.
  void average_pool_window(PendingLayer& p, const onnx::NodeProto& node, const ActView& in) const;
  // Whether `in` is its stored map transposed channels last: [1,H,W,C], or
  // [1,L,C] of a map of height 1.
  bool channels_last_map(const ActView& in) const;
  void lower_batch_norm(const onnx::NodeProto& node);
  // A Mul, Div or Sub of a constant (one value, or one per channel) right
  // after a Conv / Gemm, before any activation: its per-channel affine folded
  // into the layer as a BatchNormalization's is. False if neither operand is
  // a constant; refused, saying where it is supported, if the other operand
  // is not such a layer.
  bool lower_channel_affine(const onnx::NodeProto& node);
  // The pending Conv / Gemm / MatMul that produces `x`, if it has no
  // activation yet: what a bias Add, a BatchNormalization or a constant's
  // Mul / Div / Sub folds into; nullptr otherwise.
  const PendingLayer* affine_target(const std::string& x) const;
  // Pending layer `x` takes y = gain * (x - mean) + beta per output channel.
  void fold_channel_affine(const onnx::NodeProto& node, const std::string& x, const BatchNormAffine& a);
  // Refused in training mode, or unless its parameters are constants, one per channel.
  BatchNormAffine batch_norm_affine(const onnx::NodeProto& node, int64_t channels) const;
  void lower_average_pool(const onnx::NodeProto& node);
  void lower_reduce_mean(const onnx::NodeProto& node);
  void lower_max_pool(const onnx::NodeProto& node);

  // lower_layout.cpp
  bool lower_layout(const onnx::NodeProto& node);
  // An Add, Sub, Mul or Div of the graph input (before it is quantized) and a
  // float constant that keeps its shape: a step of the host's normalization.
  bool lower_input_step(const onnx::NodeProto& node);
  // InputError naming the node when a host step's constant is NaN or infinite.
  void check_finite_step(const onnx::NodeProto& node, const InputStep& step) const;
  // A Cast to float32 of the graph input's integer values (image bytes, as
  // Keras and TensorFlow exporters leave them): the host converts them.
  bool lower_input_cast(const onnx::NodeProto& node);
  // The graph input `value` names before any layer reads it (nullopt if it
  // is not one), refused once it is quantized: a normalization step's operand.
  std::optional<InputView> unquantized_input(const std::string& value, const onnx::NodeProto& node) const;
  bool lower_input_batch_norm(const onnx::NodeProto& node);
  // A constant zero Pad of a feature map's height and width: a padded view.
  void lower_pad(const onnx::NodeProto& node);
  // An inference Dropout as the Identity it is (refused in training mode, or
  // when its mask is read).
  onnx::NodeProto inference_dropout(const onnx::NodeProto& node) const;
  bool lower_host_tail(const onnx::NodeProto& node);
  // Refuses a host Softmax that is not over one sample's classes: `dims`,
  // batch first (as 1), holds at most one dimension above 1, the classes.
  void check_softmax_axis(const onnx::NodeProto& node, const Shape& dims) const;
  Shape layout_target(const onnx::NodeProto& node, const Shape& in) const;
  ActView declare_input(const InputView& view, ActivationQuant q, const onnx::NodeProto* node);

  // fold_constants.cpp
  bool fold_constant(const onnx::NodeProto& node);

  const OnnxModel& model_;
  ModelFormat format_;
  NetworkProgram program_;
  std::map<std::string, ActView> acts_;
  mutable std::map<const onnx::NodeProto*, std::optional<SwishGate>> swish_gates_;  // swish_gate's decisions
  std::vector<std::string> layer_values_;            // per program layer: the value its output was stored at
  std::map<std::string, InputView> inputs_;
  std::map<std::string, QuantConst> qconsts_;
  std::map<std::string, PendingLayer> pending_;
  std::map<std::string, std::string> fused_;         // a layer's result before a fused op -> what it was
  std::map<std::string, Tensor> folded_;             // constants computed from constants
  struct HostTailValue {
    std::string ops;            // the ops that made it
    std::optional<Shape> dims;  // its shape, until a layout op
  };
  std::map<std::string, HostTailValue> tail_;        // host-tail value -> how it was made
  int tail_source_ = -1;                             // the layer the host tail starts from
  std::map<std::string, std::pair<double, double>> ranges_;
  bool calibrated_ = false;  // built with ranges: float values are quantized from them
  bool input_declared_ = false;
  bool input_read_as_codes_ = false;  // a DequantizeLinear or QLinear node read the integer input as codes
};

// Helpers the lowering files share.
// A value's shape for messages, its batch (held as 1) shown as N.
std::string value_shape(const Shape& dims);
// The view's padding added to a window's own.
void fold_padding(Window& w, const ActView& in);
ActivationQuant canonical_quant(double scale, int64_t zero_point, DType type);
// The flat index of `dims` element `i` after permuting with `perm` (ONNX
// Transpose: output dim k is input dim perm[k]), as an input flat index.
std::vector<int64_t> transpose_order(const Shape& in_dims, const std::vector<int64_t>& perm);
// order composed with a further reordering `then` (then[j] = index into the
// previous value); empty when the result is the identity.
std::vector<int64_t> compose_order(const std::vector<int64_t>& order, const std::vector<int64_t>& then);

}  // namespace aps::import
