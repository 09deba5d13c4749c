#include "golden/accelerator/precision_map.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps {

namespace {
// One width of `text`, as `what` names it in the refusal.
int parse_bits(std::string_view s, const std::string& text, std::string_view what = "precision") {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < kMinBits || v > kMaxBits)
    throw InputError(fmt::format("{} '{}': '{}' is not a width in {}..{}", what, text, s, kMinBits, kMaxBits));
  return v;
}
}  // namespace

std::vector<int> parse_width_list(const std::string& text, const std::string& option) {
  std::vector<int> widths;
  std::string_view rest = text;
  do {
    const size_t comma = rest.find(',');
    const int v = parse_bits(rest.substr(0, comma), text, option);
    if (std::find(widths.begin(), widths.end(), v) != widths.end())
      throw InputError(fmt::format("{} '{}': width {} is given twice", option, text, v));
    widths.push_back(v);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty())
      throw InputError(fmt::format("{} '{}': '' is not a width in {}..{}", option, text, kMinBits, kMaxBits));
  } while (!rest.empty());
  return widths;
}

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
  // Every item a width: an empty one (a trailing comma, "map:") is refused as "8,,8" is.
  for (std::string_view rest = std::string_view(text).substr(4);;) {
    const size_t comma = rest.find(',');
    given.push_back(parse_bits(rest.substr(0, comma), text));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (given.size() == layers) {
    for (size_t i = 0; i < layers; ++i)
      if (!has_weights[i] && given[i] != kMaxBits)
        throw InputError(fmt::format("precision '{}': layer {} has no weights, so its width is {} (not {}); or give "
                                     "the {} layers with weights alone",
                                     text, i, kMaxBits, given[i], weighted));
    return given;
  }
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

std::vector<LayerConfig> static_configs(const PrecisionMap& map) {
  std::vector<LayerConfig> c;
  for (int b : map) c.push_back(static_config(b));
  return c;
}

std::vector<LayerConfig> step_configs(const NetworkProgram& p, const std::string& precision) {
  std::vector<bool> main_weighted;
  for (const auto& l : p.layers) main_weighted.push_back(l.role == LayerRole::Main && l.has_weights());
  const PrecisionMap map = parse_precision(precision, main_weighted);
  std::vector<LayerConfig> configs;
  for (size_t i = 0; i < p.layers.size(); ++i) configs.push_back(static_config(main_weighted[i] ? map[i] : 8));
  return configs;
}

std::vector<LayerConfig> weighted_map_configs(const NetworkProgram& p, const std::vector<int>& bits) {
  const std::vector<int> w = weighted_layers(p);
  if (bits.size() != w.size())
    throw InputError(fmt::format("{} widths for {} layers with weights", bits.size(), w.size()));
  std::vector<LayerConfig> configs(p.layers.size(), static_config(kMaxBits));
  for (size_t j = 0; j < w.size(); ++j) configs[w[j]] = static_config(bits[j]);
  return configs;
}

std::string main_precision_text(const NetworkProgram& p, const std::vector<LayerConfig>& configs) {
  std::vector<int> bits;
  for (int i : weighted_layers(p)) bits.push_back(configs[i].bits);
  return fmt::format("map:{}", fmt::join(bits, ","));
}

double bit_macs(const NetworkProgram& p, const std::vector<LayerConfig>& configs) {
  double sum = 0;
  for (int i : weighted_layers(p)) sum += static_cast<double>(p.layers[i].macs()) * configs[i].bits;
  return sum;
}

double bit_macs(const NetworkProgram& p, const ProgramResult& run) {
  return bit_macs(p, run.configs) + (run.rerun ? bit_macs(p, run.rerun_configs) : 0.0);
}

double mac_weighted_bits(const NetworkProgram& p, const std::vector<LayerConfig>& configs) {
  const double macs = static_cast<double>(p.total_macs());
  return macs > 0 ? bit_macs(p, configs) / macs : 0.0;
}

}  // namespace aps
