#include "golden/numerics/tensor.hpp"

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "golden/errors.hpp"

namespace aps {

int64_t checked_element_count(const Shape& shape, std::string_view what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw InputError(fmt::format("{}: negative dimension {} in shape {}", what, d, shape_string(shape)));
    if (d != 0 && n > kMaxTensorElements / d)
      throw InputError(fmt::format("{}: shape {} has more than {} elements", what, shape_string(shape),
                                   kMaxTensorElements));
    n *= d;
  }
  return n;
}

std::string shape_string(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::string shape_string(const PartialShape& shape) {
  std::vector<std::string> dims;
  for (const auto& d : shape) dims.push_back(d ? std::to_string(*d) : "?");
  return fmt::format("[{}]", fmt::join(dims, ","));
}

std::vector<int64_t> row_major_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

double round_to_float_type(double v, DType t) {
  if (t == DType::Float) return static_cast<double>(static_cast<float>(v));
  if (t == DType::Float16) return half_bits_to_double(double_to_half_bits(v));
  return v;
}

double half_bits_to_double(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  double v = 0;
  if (exponent == 0) v = std::ldexp(mantissa, -24);
  else if (exponent == 31) v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(mantissa + 1024, exponent - 25);
  return sign ? -v : v;
}

uint16_t double_to_half_bits(double v) {
  const uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  if (std::isnan(v)) return 0x7e00;
  const double a = std::fabs(v);
  if (a >= 65520.0) return sign | 0x7c00;  // rounds to infinity
  if (a < std::ldexp(1.0, -14)) {          // subnormal: multiples of 2^-24
    const double q = std::nearbyint(std::ldexp(a, 24));
    return sign | static_cast<uint16_t>(q);
  }
  int e = 0;
  const double f = std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1)
  double m = std::nearbyint(std::ldexp(f, 11));  // 11 significant bits
  if (m == 2048) {
    m = 1024;
    ++e;
  }
  const int biased = e - 1 + 15;
  if (biased >= 31) return sign | 0x7c00;
  return sign | static_cast<uint16_t>(biased << 10) | static_cast<uint16_t>(static_cast<int>(m) - 1024);
}

int64_t wrap_to_integral_type(int64_t v, DType t) {
  switch (t) {
    case DType::Bool: return v != 0;
    case DType::UInt8: return static_cast<uint8_t>(v);
    case DType::Int8: return static_cast<int8_t>(v);
    case DType::UInt16: return static_cast<uint16_t>(v);
    case DType::Int16: return static_cast<int16_t>(v);
    case DType::Int32: return static_cast<int32_t>(v);
    case DType::UInt32: return static_cast<uint32_t>(v);
    default: return v;
  }
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  const int64_t n = checked_element_count(shape_, "tensor");
  if (floating()) reals_.assign(n, 0.0);
  else ints_.assign(n, 0);
}

Tensor Tensor::from_reals(DType dtype, Shape shape, std::vector<double> values) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  if (checked_element_count(t.shape_, "tensor") != static_cast<int64_t>(values.size()))
    throw InputError(fmt::format("tensor: {} values for shape {}", values.size(), shape_string(t.shape_)));
  if (t.floating()) {
    for (double& v : values) v = round_to_float_type(v, dtype);
    t.reals_ = std::move(values);
  } else {
    t.ints_.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) t.set_value(static_cast<int64_t>(i), values[i]);
  }
  return t;
}

Tensor Tensor::from_ints(DType dtype, Shape shape, std::vector<int64_t> values) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  if (checked_element_count(t.shape_, "tensor") != static_cast<int64_t>(values.size()))
    throw InputError(fmt::format("tensor: {} values for shape {}", values.size(), shape_string(t.shape_)));
  if (t.floating()) {
    t.reals_.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) t.reals_[i] = round_to_float_type(static_cast<double>(values[i]), dtype);
  } else {
    t.ints_ = std::move(values);
  }
  return t;
}

void Tensor::set_value(int64_t i, double v) {
  if (floating()) {
    reals_[i] = round_to_float_type(v, dtype_);
    return;
  }
  if (std::isnan(v)) {
    ints_[i] = 0;
    return;
  }
  const double lo = static_cast<double>(dtype_min(dtype_));
  const double hi = static_cast<double>(dtype_max(dtype_));
  const double t = std::trunc(v);
  ints_[i] = t <= lo ? dtype_min(dtype_) : t >= hi ? dtype_max(dtype_) : static_cast<int64_t>(t);
  if (dtype_ == DType::Bool) ints_[i] = v != 0.0;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (checked_element_count(shape, "reshape") != size())
    throw InputError(fmt::format("cannot reshape {} to {}", shape_string(shape_), shape_string(shape)));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace aps
