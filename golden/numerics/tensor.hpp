#pragma once
// A dense tensor of the ONNX interpreter. Floating values are held as double
// but always rounded to their element type (a float32 tensor only ever holds
// float32 values), so one float32 op computed in double and rounded once gives
// the IEEE float32 result. Integral values are held as int64_t and always lie
// in their element type's range.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "golden/numerics/dtype.hpp"

namespace aps {

using Shape = std::vector<int64_t>;

// The most elements one tensor may have. A file that claims more (a corrupt
// or hostile dimension) is bad input, not an allocation attempt.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 26;

// Number of elements of a shape; throws InputError naming `what` when a
// dimension is negative or the count exceeds kMaxTensorElements.
int64_t checked_element_count(const Shape& shape, std::string_view what);
std::string shape_string(const Shape& shape);
// A shape some of whose dimensions are unknown ("?"), as models declare them.
using PartialShape = std::vector<std::optional<int64_t>>;
std::string shape_string(const PartialShape& shape);
// Row-major strides in elements.
std::vector<int64_t> row_major_strides(const Shape& shape);

// Round a value to what an element of type t can hold: float32 rounding for
// Float, IEEE half rounding for Float16, identity for Double. Integral types
// are not handled here.
double round_to_float_type(double v, DType t);
// IEEE binary16 bit patterns <-> values (round to nearest even).
double half_bits_to_double(uint16_t bits);
uint16_t double_to_half_bits(double v);
// Two's-complement wrap of an integer into an integral type (numpy/ONNX
// behaviour for integer Add/Sub/Mul overflow).
int64_t wrap_to_integral_type(int64_t v, DType t);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled; checks the element count

  static Tensor from_reals(DType dtype, Shape shape, std::vector<double> values);
  static Tensor from_ints(DType dtype, Shape shape, std::vector<int64_t> values);
  static Tensor scalar_real(DType dtype, double v) { return from_reals(dtype, {}, {v}); }
  static Tensor scalar_int(DType dtype, int64_t v) { return from_ints(dtype, {}, {v}); }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t size() const { return floating() ? static_cast<int64_t>(reals_.size()) : static_cast<int64_t>(ints_.size()); }
  bool floating() const { return is_floating(dtype_); }
  bool empty_type() const { return dtype_ == DType::Undefined; }

  // Value as double whatever the storage (exact for integers below 2^53).
  double value(int64_t i) const { return floating() ? reals_[i] : static_cast<double>(ints_[i]); }
  // Stores v rounded to the element type: float rounding, or for integral
  // types truncation toward zero then saturation (ONNX Cast of an in-range
  // value; callers that need other rounding round first).
  void set_value(int64_t i, double v);

  const std::vector<double>& reals() const { return reals_; }
  std::vector<double>& reals() { return reals_; }
  const std::vector<int64_t>& ints() const { return ints_; }
  std::vector<int64_t>& ints() { return ints_; }

  // Same data, new shape (element counts must match).
  Tensor reshaped(Shape shape) const;

 private:
  DType dtype_ = DType::Undefined;
  Shape shape_;
  std::vector<double> reals_;
  std::vector<int64_t> ints_;
};

}  // namespace aps
