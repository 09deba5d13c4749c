#include "golden/layer_config.hpp"

#include <charconv>
#include <fmt/format.h>

#include "golden/exit_code.hpp"
#include "golden/precision_reduction.hpp"

namespace aps {

LayerConfig static_config(int bits) { return {bits, default_shift(bits), default_shift(bits)}; }

void check_layer_config(const LayerConfig& c, const std::string& what) {
  if (c.bits < kMinBits || c.bits > kMaxBits)
    throw InputError(fmt::format("{}: precision {} is outside {}..{} bits", what, c.bits, kMinBits, kMaxBits));
  for (int s : {c.act_shift, c.weight_shift})
    if (s < 0 || s > default_shift(c.bits))
      throw InputError(fmt::format("{}: shift {} is outside 0..{} for {} bits", what, s, default_shift(c.bits), c.bits));
}

namespace {
int parse_bits(std::string_view s, const std::string& text) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < kMinBits || v > kMaxBits)
    throw InputError(fmt::format("precision '{}': '{}' is not a width in {}..{}", text, s, kMinBits, kMaxBits));
  return v;
}
}  // namespace

PrecisionMap parse_precision(const std::string& text, const std::vector<bool>& has_weights) {
  const size_t layers = has_weights.size();
  size_t weighted = 0;
  for (bool w : has_weights) weighted += w;
  if (!text.starts_with("map:")) {
    PrecisionMap map(layers, parse_bits(text, text));
    for (size_t i = 0; i < layers; ++i)
      if (!has_weights[i]) map[i] = kMaxBits;
    return map;
  }
  PrecisionMap given;
  std::string_view rest = std::string_view(text).substr(4);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    given.push_back(parse_bits(rest.substr(0, comma), text));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (given.size() == layers) return given;
  if (given.size() != weighted)
    throw InputError(fmt::format("precision '{}' has {} widths; the program has {} layers with weights ({} in all)", text,
                                 given.size(), weighted, layers));
  PrecisionMap map(layers, kMaxBits);
  for (size_t i = 0, k = 0; i < layers; ++i)
    if (has_weights[i]) map[i] = given[k++];
  return map;
}

std::string format_precision(const PrecisionMap& map, const std::vector<bool>& has_weights) {
  std::vector<int> shown;
  for (size_t i = 0; i < map.size(); ++i)
    if (i >= has_weights.size() || has_weights[i]) shown.push_back(map[i]);
  return fmt::format("map:{}", fmt::join(shown, ","));
}

}  // namespace aps
