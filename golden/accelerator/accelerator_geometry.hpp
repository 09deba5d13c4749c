#pragma once
// How a network program layer maps onto the accelerator's array and
// memories (rtl/aps_sequencer.sv): the one place that defines the hardware
// layout, used by the cycle model and by the host side that packs weights
// and tensors (sim/program_image.cpp).
//
// Activation tensors are channel-blocked and pixel-major: channel c of pixel
// (y, x) lives in word (y * W + x) * CB + c / ROWS, lane c % ROWS, with
// CB = ceil(C / ROWS). A fully connected layer is a 1x1 convolution on a 1x1
// image whose input words are all the words of its input tensor (so an FC
// after a convolution reads the feature map in that blocked order, and its
// weights are permuted to match).

#include <cstdint>
#include <span>

#include "generated/host_interface.hpp"
#include "golden/accelerator/network_program.hpp"

namespace aps {

// The PE array (the default build's by default, rtl/aps_host_interface.json).
struct ArrayShape {
  int rows = static_cast<int>(hw::kDefaultBuild.rows);  // input lanes (bytes per activation word)
  int cols = static_cast<int>(hw::kDefaultBuild.cols);  // output columns
  bool operator==(const ArrayShape&) const = default;
};

struct LayerGeometry {
  int64_t in_h = 1, in_w = 1, in_cb = 1;     // as the sequencer iterates the input
  int64_t out_h = 1, out_w = 1, out_cb = 1;  // output tensor layout
  int64_t out_channels = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t tiles = 0;            // COLS-channel tiles (conv) or channel blocks (max pool)
  int64_t pixels = 0;           // output pixels
  int64_t words_per_pixel = 0;  // R: activation words reduced per output pixel
  int64_t tile_stride = 0;      // weight tile words per tile: header + R (conv)
  int64_t in_words = 0, out_words = 0;  // tensor sizes in activation words
  int64_t weight_words = 0;     // tiles * tile_stride (conv), 0 (pool)
  bool depthwise = false;       // a tile reads only the input blocks of its own channels
  int64_t word_blocks = 0;      // input channel blocks a pixel reads per tap (conv)
};

// How a tile's weights go through a weight buffer slot of `slot_words`
// words. A tile that fits is loaded whole. One that does not, on a step of
// one output pixel (a fully connected layer, say over a large flattened
// map), is loaded in `count` parts of `words` words each (the last: the
// rest), each part its own header and planes, as if it were a tile: the
// array's sums carry from one part to the next, since the pixel is the same.
// With more pixels the sums of every pixel would have to be kept between
// parts, which the array does not do: such a tile does not fit (count 0).
struct WeightParts {
  int64_t count = 1;
  int64_t words = 0;  // words of each part but the last
  int64_t last_words(int64_t tile_words) const { return tile_words - (count - 1) * words; }
  int64_t words_of(int64_t part, int64_t tile_words) const {
    return part + 1 < count ? words : last_words(tile_words);
  }
  bool fits() const { return count > 0; }
  bool operator==(const WeightParts&) const = default;
};
WeightParts weight_parts(const LayerGeometry& geometry, int64_t slot_words);

// A depthwise convolution (one input channel per output channel) gets the
// array's depthwise mapping when its tiles line up with the channel blocks:
// a tile of COLS channels then reads max(1, COLS / ROWS) blocks per tap
// instead of all of them.
bool maps_depthwise(const Layer& layer, ArrayShape array);

int64_t channel_blocks(int64_t channels, int rows);
// Words of a (C, H, W) tensor in the blocked layout.
int64_t tensor_words(const FeatureShape& s, int rows);
// The shape in which a layer's input is stored: its producer's output shape
// (a fully connected layer's own in_shape is the flattened view of it).
const FeatureShape& stored_input_shape(const NetworkProgram& program, const Layer& layer);
LayerGeometry layer_geometry(const Layer& layer, const FeatureShape& stored_input, ArrayShape array);
LayerGeometry layer_geometry(const NetworkProgram& program, size_t layer, ArrayShape array);

// An SAE scan reads whole activation words: the words holding its elements
// (offsets from the scanned tensor's base, ascending), each with one 16-bit
// coefficient per lane (0 for lanes the slice does not use).
struct ScanWord {
  int64_t word = 0;
  std::vector<uint32_t> coefficients;  // ROWS lanes
};
std::vector<ScanWord> scan_words(const FeatureShape& t, std::span<const int64_t> elements,
                                 std::span<const uint32_t> coefficients, int rows);
std::vector<ScanWord> scan_words(const NetworkProgram& program, const Layer& scan, int rows);
// The word (offset from the tensor's base) holding element `element` (a CHW
// offset) of a tensor of shape `t`, and its lane in that word.
int64_t element_word(const FeatureShape& t, int64_t element, int rows);
int64_t element_lane(const FeatureShape& t, int64_t element, int rows);
// The other way: the element (a CHW offset) in lane `lane` of word `word`,
// or -1 when that lane pads the last channel block.
int64_t word_element(const FeatureShape& t, int64_t word, int64_t lane, int rows);
// How many SAE slice entries a slice of `elements` of a tensor of shape `t`
// takes: its distinct words.
int64_t slice_entries(const FeatureShape& t, std::span<const int64_t> elements, int rows);

}  // namespace aps
