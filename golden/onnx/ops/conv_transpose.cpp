// ConvTranspose over N spatial dimensions with groups (the upsampling layer
// of decoders and segmentation heads): each input element adds its value
// times the kernel into the output window it maps to, at
// out = in * stride + tap * dilation - pad_begin.

#include <algorithm>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/onnx/op_registry.hpp"

namespace aps {
namespace {

struct TransposeGeometry {
  std::vector<int64_t> in, kernel, strides, dilations, pad_begin, out;
};

std::vector<int64_t> per_axis(const OpContext& ctx, const char* name, size_t rank, int64_t fallback) {
  std::vector<int64_t> v = ctx.attrs.get_ints(name, std::vector<int64_t>(rank, fallback));
  if (v.size() != rank)
    throw InputError(fmt::format("{}: {} has {} values for {} spatial dimensions", ctx.label(), name, v.size(), rank));
  return v;
}

// Output size and padding per the operator's definition: from pads, or from
// output_shape / auto_pad (the total padding split with the odd one at the
// end for SAME_UPPER, at the start otherwise).
TransposeGeometry transpose_geometry(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  TransposeGeometry g;
  const size_t r = static_cast<size_t>(x.rank() - 2);
  g.in.assign(x.shape().begin() + 2, x.shape().end());
  g.kernel.assign(w.shape().begin() + 2, w.shape().end());
  if (ctx.attrs.has("kernel_shape") && ctx.attrs.get_ints("kernel_shape") != g.kernel)
    throw InputError(fmt::format("{}: kernel_shape does not match the weight {}", ctx.label(), shape_string(w.shape())));
  g.strides = per_axis(ctx, "strides", r, 1);
  g.dilations = per_axis(ctx, "dilations", r, 1);
  const std::vector<int64_t> out_pad = per_axis(ctx, "output_padding", r, 0);
  const std::string auto_pad = ctx.attrs.get_string("auto_pad", "NOTSET");
  std::vector<int64_t> out_shape = ctx.attrs.get_ints("output_shape");
  if (out_shape.size() > r) out_shape.erase(out_shape.begin(), out_shape.end() - static_cast<int64_t>(r));
  if (!out_shape.empty() && out_shape.size() != r)
    throw InputError(fmt::format("{}: output_shape has {} values for {} spatial dimensions", ctx.label(),
                                 out_shape.size(), r));
  const std::vector<int64_t> pads = per_axis(ctx, "pads", 2 * r, 0);
  // Bounded so that no size below can overflow: each factor below 2^31.
  constexpr int64_t kLimit = int64_t{1} << 31;
  for (size_t d = 0; d < r; ++d) {
    if (g.in[d] > kLimit || g.kernel[d] > kLimit)
      throw InputError(fmt::format("{}: spatial dimensions of the input {} and kernel {} must be below 2^31",
                                   ctx.label(), shape_string(x.shape()), shape_string(w.shape())));
    if (g.strides[d] < 1 || g.strides[d] > kLimit || g.dilations[d] < 1 || g.dilations[d] > kLimit)
      throw InputError(fmt::format("{}: strides and dilations must be between 1 and 2^31", ctx.label()));
    if (out_pad[d] < 0 || out_pad[d] >= std::max(g.strides[d], g.dilations[d]))
      throw InputError(fmt::format("{}: output_padding {} must be below the stride or the dilation", ctx.label(),
                                   out_pad[d]));
    if (pads[d] < 0 || pads[d + r] < 0 || pads[d] > kLimit || pads[d + r] > kLimit)
      throw InputError(fmt::format("{}: pads must be between 0 and 2^31", ctx.label()));
  }
  g.pad_begin.resize(r);
  g.out.resize(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t full = g.strides[d] * (g.in[d] - 1) + out_pad[d] + (g.kernel[d] - 1) * g.dilations[d] + 1;
    if (!out_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.out[d] = out_shape.empty() ? g.in[d] * g.strides[d] : out_shape[d];
      // An output larger than the full one takes its extra elements at the
      // end, as if by output_padding (ONNX Runtime's rule, which the
      // backend tests follow): the padding is never negative.
      const int64_t total = std::max<int64_t>(0, full - g.out[d]);
      g.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (auto_pad == "NOTSET" || auto_pad == "VALID") {
      g.pad_begin[d] = auto_pad == "VALID" ? 0 : pads[d];
      g.out[d] = full - (auto_pad == "VALID" ? 0 : pads[d] + pads[d + r]);
    } else {
      throw InputError(fmt::format("{}: auto_pad '{}' is not a valid value", ctx.label(), auto_pad));
    }
    if (g.out[d] < 1)
      throw InputError(fmt::format("{}: spatial dimension {} of the output would be {}", ctx.label(), d, g.out[d]));
  }
  return g;
}

std::vector<Tensor> conv_transpose(const OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (!x.floating() || x.dtype() != w.dtype() || x.rank() < 3 || w.rank() != x.rank())
    throw InputError(fmt::format("{}: ConvTranspose needs floating X [N,C,spatial...] and W of its type and rank "
                                 "(got {} {} and {} {})",
                                 ctx.label(), dtype_name(x.dtype()), shape_string(x.shape()), dtype_name(w.dtype()),
                                 shape_string(w.shape())));
  const int64_t n_batch = x.shape()[0], c_in = x.shape()[1], group = ctx.attrs.get_int("group", 1);
  if (group < 1 || c_in % group != 0 || w.shape()[0] != c_in)
    throw InputError(fmt::format("{}: group {} does not fit {} input channels (weight {})", ctx.label(), group, c_in,
                                 shape_string(w.shape())));
  const int64_t mpg = w.shape()[1], m_out = mpg * group, cpg = c_in / group;
  const TransposeGeometry g = transpose_geometry(ctx, x, w);
  const int r = x.rank() - 2;
  Shape out_shape{n_batch, m_out};
  out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
  checked_element_count(out_shape, ctx.label());
  const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (b && b->size() != m_out)
    throw InputError(fmt::format("{}: bias has {} values for {} output channels", ctx.label(), b->size(), m_out));
  // The input positions x kernel taps table is as large as a tensor may be.
  std::vector<int64_t> in_taps(g.in.begin(), g.in.end());
  in_taps.insert(in_taps.end(), g.kernel.begin(), g.kernel.end());
  checked_element_count(in_taps, ctx.label());
  int64_t ins = 1, taps = 1, outs = 1;
  for (int d = 0; d < r; ++d) {
    ins *= g.in[d];
    taps *= g.kernel[d];
    outs *= g.out[d];
  }
  // Output offset (or -1) of each input position and kernel tap.
  std::vector<int64_t> target(static_cast<size_t>(ins * taps));
  std::vector<int64_t> p(static_cast<size_t>(r)), k(static_cast<size_t>(r));
  for (int64_t i = 0; i < ins; ++i)
    for (int64_t t = 0; t < taps; ++t) {
      int64_t rest_i = i, rest_t = t, at = 0;
      for (int d = r - 1; d >= 0; --d) {
        p[d] = rest_i % g.in[d];
        rest_i /= g.in[d];
        k[d] = rest_t % g.kernel[d];
        rest_t /= g.kernel[d];
      }
      for (int d = 0; d < r && at >= 0; ++d) {
        const int64_t o = p[d] * g.strides[d] + k[d] * g.dilations[d] - g.pad_begin[d];
        at = (o < 0 || o >= g.out[d]) ? -1 : at * g.out[d] + o;
      }
      target[i * taps + t] = at;
    }
  std::vector<double> acc(static_cast<size_t>(n_batch * m_out * outs), 0.0);
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t c = 0; c < c_in; ++c) {
      const int64_t grp = c / cpg;
      for (int64_t mm = 0; mm < mpg; ++mm) {
        double* out = &acc[(n * m_out + grp * mpg + mm) * outs];
        const double* wk = &w.reals()[(c * mpg + mm) * taps];
        for (int64_t i = 0; i < ins; ++i) {
          const double v = x.reals()[(n * c_in + c) * ins + i];
          for (int64_t t = 0; t < taps; ++t)
            if (const int64_t at = target[i * taps + t]; at >= 0) out[at] += v * wk[t];
        }
      }
    }
  Tensor y(x.dtype(), out_shape);
  for (int64_t i = 0; i < y.size(); ++i)
    y.reals()[i] = round_to_float_type(acc[i] + (b ? b->value((i / outs) % m_out) : 0.0), y.dtype());
  return {y};
}

}  // namespace

void register_conv_transpose_ops(OpTable& t) { t.push_back({"ConvTranspose", {conv_transpose, 1}}); }

}  // namespace aps
