#pragma once
// The ONNX operators the interpreter implements, keyed by op type, with the
// opset range whose semantics each kernel follows.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "golden/onnx/node_attributes.hpp"
#include "golden/numerics/tensor.hpp"

namespace aps {

struct OpContext {
  const onnx::NodeProto& node;
  int64_t opset;                      // default-domain opset of the model
  std::vector<const Tensor*> inputs;  // nullptr for an omitted optional input
  NodeAttributes attrs;

  const std::string& label() const { return attrs.label(); }
  int input_count() const { return static_cast<int>(inputs.size()); }
  bool has_input(int i) const { return i < input_count() && inputs[i] != nullptr; }
  // The i-th input; InputError naming the node if it is missing.
  const Tensor& input(int i) const;
  // The i-th input as a list of integers (Slice's starts, Split's sizes,
  // Expand's shape): InputError naming `what` unless it is 1-D int32 or int64.
  std::vector<int64_t> int_list(int i, std::string_view what) const;
  int output_count() const { return node.output_size(); }
};

using OpKernel = std::vector<Tensor> (*)(const OpContext&);

struct OpInfo {
  OpKernel kernel = nullptr;
  int64_t min_opset = 1;   // older opsets are refused: their semantics differ
};

// ONNX's default domain, which models name "" or "ai.onnx".
bool is_default_domain(std::string_view domain);
// The table's key of an op: its type in the default domain, "domain:type"
// in another (ONNX Runtime's com.microsoft).
std::string op_key(std::string_view domain, std::string_view op_type);
// nullptr when the op is not implemented.
const OpInfo* find_op(std::string_view domain, std::string_view op_type);
// Registration, one function per ops/ file.
using OpTable = std::vector<std::pair<std::string, OpInfo>>;
void register_elementwise_ops(OpTable& table);
void register_math_ops(OpTable& table);
void register_replicate_split_ops(OpTable& table);
void register_activation_ops(OpTable& table);
void register_matmul_ops(OpTable& table);
void register_integer_matmul_ops(OpTable& table);
void register_conv_ops(OpTable& table);
void register_pool_ops(OpTable& table);
void register_normalization_ops(OpTable& table);
void register_shape_ops(OpTable& table);
void register_data_movement_ops(OpTable& table);
void register_pad_ops(OpTable& table);
void register_reduce_ops(OpTable& table);
void register_quantization_ops(OpTable& table);
void register_contrib_quantized_ops(OpTable& table);
void register_resize_ops(OpTable& table);
void register_conv_transpose_ops(OpTable& table);
void register_depth_space_ops(OpTable& table);
void register_element_index_ops(OpTable& table);
void register_index_pattern_ops(OpTable& table);
void register_axis_scan_ops(OpTable& table);

}  // namespace aps
