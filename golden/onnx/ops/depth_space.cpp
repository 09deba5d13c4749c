// DepthToSpace and SpaceToDepth: [N, C, H, W] rearranged between channels
// and blocksize x blocksize pixel blocks (PyTorch's pixel_shuffle exports as
// DepthToSpace in CRD order; TensorFlow's depth_to_space is DCR).

#include <cstdint>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"
#include "golden/onnx/ops/take_elements.hpp"

namespace aps {
namespace {

// Bounded so that no product below overflows (a real blocksize is a few
// pixels).
int64_t block_size(const OpContext& ctx, const Tensor& x) {
  if (x.rank() != 4) throw InputError(fmt::format("{}: input must be [N,C,H,W], got {}", ctx.label(), shape_string(x.shape())));
  const int64_t b = ctx.attrs.get_int("blocksize", 0);
  if (b < 1 || b > (int64_t{1} << 20))
    throw InputError(fmt::format("{}: blocksize {} is not between 1 and 2^20", ctx.label(), b));
  return b;
}

std::vector<Tensor> depth_to_space(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = block_size(ctx, x);
  const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  if (c % (b * b) != 0)
    throw InputError(fmt::format("{}: {} channels do not divide into blocks of {}", ctx.label(), c, b * b));
  // Before opset 11 there is no mode: DCR.
  const std::string mode = ctx.opset < 11 ? "DCR" : ctx.attrs.get_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    throw InputError(fmt::format("{}: mode '{}' is not DCR or CRD", ctx.label(), mode));
  const int64_t co = c / (b * b);
  if (h > INT64_MAX / b || w > INT64_MAX / b)
    throw InputError(fmt::format("{}: {}x{} pixels times a block of {} overflow", ctx.label(), h, w, b));
  checked_element_count({n, co, h * b, w * b}, ctx.label());
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(x.size()));
  for (int64_t in = 0; in < n; ++in)
    for (int64_t oc = 0; oc < co; ++oc)
      for (int64_t oy = 0; oy < h * b; ++oy)
        for (int64_t ox = 0; ox < w * b; ++ox) {
          const int64_t i = oy % b, j = ox % b;
          const int64_t ic = mode == "DCR" ? (i * b + j) * co + oc : (oc * b + i) * b + j;
          offsets.push_back(((in * c + ic) * h + oy / b) * w + ox / b);
        }
  return {take_elements(x, {n, co, h * b, w * b}, offsets)};
}

std::vector<Tensor> space_to_depth(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = block_size(ctx, x);
  const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  if (h % b != 0 || w % b != 0)
    throw InputError(fmt::format("{}: {}x{} pixels do not divide into blocks of {}", ctx.label(), h, w, b));
  if (c > INT64_MAX / (b * b))
    throw InputError(fmt::format("{}: {} channels times a block of {} overflow", ctx.label(), c, b * b));
  checked_element_count({n, c * b * b, h / b, w / b}, ctx.label());
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(x.size()));
  for (int64_t in = 0; in < n; ++in)
    for (int64_t oc = 0; oc < c * b * b; ++oc)
      for (int64_t oy = 0; oy < h / b; ++oy)
        for (int64_t ox = 0; ox < w / b; ++ox) {
          const int64_t block = oc / c, ic = oc % c, i = block / b, j = block % b;
          offsets.push_back(((in * c + ic) * h + oy * b + i) * w + ox * b + j);
        }
  return {take_elements(x, {n, c * b * b, h / b, w / b}, offsets)};
}

}  // namespace

void register_depth_space_ops(OpTable& t) {
  t.push_back({"DepthToSpace", {depth_to_space, 1}});
  t.push_back({"SpaceToDepth", {space_to_depth, 1}});
}

}  // namespace aps
