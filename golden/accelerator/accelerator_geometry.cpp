#include "golden/accelerator/accelerator_geometry.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace aps {

int64_t channel_blocks(int64_t channels, int rows) { return (channels + rows - 1) / rows; }

int64_t tensor_words(const FeatureShape& s, int rows) { return s.height * s.width * channel_blocks(s.channels, rows); }

const FeatureShape& stored_input_shape(const NetworkProgram& p, const Layer& l) {
  return p.tensor_shape(l.input);
}

LayerGeometry layer_geometry(const NetworkProgram& p, size_t i, ArrayShape a) {
  return layer_geometry(p.layers[i], stored_input_shape(p, p.layers[i]), a);
}

bool maps_depthwise(const Layer& l, ArrayShape a) {
  return l.is_depthwise() && (a.rows % a.cols == 0 || a.cols % a.rows == 0);
}

LayerGeometry layer_geometry(const Layer& l, const FeatureShape& stored_input, ArrayShape a) {
  LayerGeometry g;
  g.out_channels = l.out_shape.channels;
  g.out_h = l.out_shape.height;
  g.out_w = l.out_shape.width;
  g.out_cb = channel_blocks(l.out_shape.channels, a.rows);
  g.pixels = g.out_h * g.out_w;
  g.in_words = tensor_words(stored_input, a.rows);
  g.out_words = tensor_words(l.out_shape, a.rows);
  switch (l.kind) {
    case LayerKind::FullyConnected:
      g.in_h = g.in_w = 1;
      g.in_cb = g.in_words;  // every input word is a channel block of the 1x1 image
      g.kernel_h = g.kernel_w = 1;
      break;
    case LayerKind::Conv:
    case LayerKind::MaxPool:
    case LayerKind::AveragePool:
    case LayerKind::Add:
      g.in_h = l.in_shape.height;
      g.in_w = l.in_shape.width;
      g.in_cb = channel_blocks(l.in_shape.channels, a.rows);
      g.kernel_h = l.window.kernel_h;
      g.kernel_w = l.window.kernel_w;
      break;
    case LayerKind::SaeScan:
      break;  // reads a slice, writes no map: its cycles are scan_cycles(), not this schedule
  }
  if (l.kind == LayerKind::Add) {
    g.kernel_h = g.kernel_w = 1;
    g.tiles = g.out_cb;
    g.words_per_pixel = 2;  // operand A, operand B
  } else if (!l.has_weights()) {
    g.tiles = g.out_cb;
    g.words_per_pixel = g.kernel_h * g.kernel_w;
    g.tile_stride = 0;
  } else {
    g.tiles = (g.out_channels + a.cols - 1) / a.cols;
    g.depthwise = maps_depthwise(l, a);
    g.word_blocks = g.depthwise ? std::max(1, a.cols / a.rows) : g.in_cb;
    g.words_per_pixel = g.kernel_h * g.kernel_w * g.word_blocks;
    g.tile_stride = g.words_per_pixel + 1;
    g.weight_words = g.tiles * g.tile_stride;
  }
  return g;
}

WeightParts weight_parts(const LayerGeometry& g, int64_t slot_words) {
  const int64_t r = g.words_per_pixel;
  if (r + 1 <= slot_words) return {1, r};
  if (g.pixels != 1 || g.depthwise || slot_words < 2) return {0, 0};
  const int64_t count = (r + slot_words - 2) / (slot_words - 1);
  // Parts as even as the count allows: the same traffic, fewer stalls than
  // full parts and a short last one.
  return {count, (r + count - 1) / count};
}

std::vector<ScanWord> scan_words(const FeatureShape& t, std::span<const int64_t> elements,
                                 std::span<const uint32_t> coefficients, int rows) {
  std::map<int64_t, std::vector<uint32_t>> words;
  for (size_t i = 0; i < elements.size(); ++i) {
    auto& lanes = words[element_word(t, elements[i], rows)];
    lanes.resize(static_cast<size_t>(rows), 0);
    lanes[static_cast<size_t>(element_lane(t, elements[i], rows))] = coefficients[i];
  }
  std::vector<ScanWord> out;
  for (auto& [w, lanes] : words) out.push_back({w, std::move(lanes)});
  return out;
}

std::vector<ScanWord> scan_words(const NetworkProgram& p, const Layer& scan, int rows) {
  return scan_words(p.tensor_shape(scan.scan.tensor), scan.scan.elements, scan.scan.coefficients, rows);
}

int64_t element_word(const FeatureShape& t, int64_t element, int rows) {
  const int64_t pixels = t.height * t.width;
  return (element % pixels) * channel_blocks(t.channels, rows) + (element / pixels) / rows;
}

int64_t element_lane(const FeatureShape& t, int64_t element, int rows) {
  return (element / (t.height * t.width)) % rows;
}

int64_t word_element(const FeatureShape& t, int64_t word, int64_t lane, int rows) {
  const int64_t blocks = channel_blocks(t.channels, rows);
  const int64_t channel = (word % blocks) * rows + lane;
  return channel < t.channels ? channel * t.height * t.width + word / blocks : -1;
}

int64_t slice_entries(const FeatureShape& t, std::span<const int64_t> elements, int rows) {
  std::set<int64_t> words;
  for (const int64_t e : elements) words.insert(element_word(t, e, rows));
  return static_cast<int64_t>(words.size());
}

}  // namespace aps
