#include "golden/onnx/op_registry.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "golden/errors.hpp"

namespace aps {
namespace {

const std::map<std::string, OpInfo, std::less<>>& table() {
  static const auto* ops = [] {
    OpTable t;
    register_elementwise_ops(t);
    register_math_ops(t);
    register_replicate_split_ops(t);
    register_activation_ops(t);
    register_matmul_ops(t);
    register_integer_matmul_ops(t);
    register_conv_ops(t);
    register_pool_ops(t);
    register_normalization_ops(t);
    register_shape_ops(t);
    register_data_movement_ops(t);
    register_pad_ops(t);
    register_reduce_ops(t);
    register_quantization_ops(t);
    register_contrib_quantized_ops(t);
    register_resize_ops(t);
    register_conv_transpose_ops(t);
    register_depth_space_ops(t);
    register_element_index_ops(t);
    register_index_pattern_ops(t);
    register_axis_scan_ops(t);
    return new std::map<std::string, OpInfo, std::less<>>(t.begin(), t.end());
  }();
  return *ops;
}

}  // namespace

const Tensor& OpContext::input(int i) const {
  if (!has_input(i)) throw InputError(fmt::format("{}: required input {} is missing", label(), i));
  return *inputs[i];
}

std::vector<int64_t> OpContext::int_list(int i, std::string_view what) const {
  const Tensor& t = input(i);
  if ((t.dtype() != DType::Int64 && t.dtype() != DType::Int32) || t.rank() != 1)
    throw InputError(fmt::format("{}: {} must be a 1-D int32 or int64 tensor, got {} {}", label(), what,
                                 dtype_name(t.dtype()), shape_string(t.shape())));
  return t.ints();
}

bool is_default_domain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

std::string op_key(std::string_view domain, std::string_view op_type) {
  if (is_default_domain(domain)) return std::string(op_type);
  return fmt::format("{}:{}", domain, op_type);
}

const OpInfo* find_op(std::string_view domain, std::string_view op_type) {
  const auto& t = table();
  const auto it = t.find(op_key(domain, op_type));
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace aps
