// The blocked activation layout: where an element sits (word, lane), the way
// back, and how many words a slice of elements reads.

#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "golden/accelerator/accelerator_geometry.hpp"

using namespace aps;

TEST_CASE("blocked layout: word_element inverts element_word and element_lane, padding lanes are -1", "[geometry]") {
  const int rows = 8;
  const FeatureShape t{11, 3, 2};  // two channel blocks, the second with 5 padding lanes
  std::set<std::pair<int64_t, int64_t>> seen;
  for (int64_t e = 0; e < t.size(); ++e) {
    const int64_t word = element_word(t, e, rows), lane = element_lane(t, e, rows);
    CHECK(word < tensor_words(t, rows));
    CHECK(word_element(t, word, lane, rows) == e);
    seen.insert({word, lane});
  }
  CHECK(static_cast<int64_t>(seen.size()) == t.size());  // no two elements share a lane
  int64_t padding = 0;
  for (int64_t word = 0; word < tensor_words(t, rows); ++word)
    for (int64_t lane = 0; lane < rows; ++lane) padding += word_element(t, word, lane, rows) < 0 ? 1 : 0;
  CHECK(padding == tensor_words(t, rows) * rows - t.size());
}

TEST_CASE("a slice takes one SAE entry per distinct word it reads", "[geometry]") {
  const int rows = 8;
  const FeatureShape t{11, 3, 2};
  const int64_t pixels = t.height * t.width;
  // Channels 0 and 7 share pixel 0's first word; channel 8 is in its second.
  const std::vector<int64_t> slice{0 * pixels, 7 * pixels, 8 * pixels, 8 * pixels + 1};
  CHECK(slice_entries(t, slice, rows) == 3);
  const std::vector<uint32_t> coefficients{1, 2, 3, 4};
  const auto words = scan_words(t, slice, coefficients, rows);
  REQUIRE(words.size() == 3);
  CHECK(words[0].coefficients[0] == 1);
  CHECK(words[0].coefficients[7] == 2);
}

TEST_CASE("a tile larger than a weight slot is loaded in even parts on a step of one pixel only", "[geometry]") {
  LayerGeometry g;
  g.pixels = 1;
  g.words_per_pixel = 255;
  CHECK(weight_parts(g, 256) == WeightParts{1, 255});  // header + 255 words fill the slot
  g.words_per_pixel = 605;  // a fully connected layer over an 11x11x38 map: 121 pixels of 5 channel blocks
  const WeightParts parts = weight_parts(g, 256);
  CHECK(parts == WeightParts{3, 202});
  CHECK(parts.last_words(605) == 201);
  CHECK(parts.words_of(0, 605) + parts.words_of(1, 605) + parts.words_of(2, 605) == 605);
  g.pixels = 2;  // the sums of two pixels would have to be kept between parts
  CHECK_FALSE(weight_parts(g, 256).fits());
  g.pixels = 1;
  g.depthwise = true;
  CHECK_FALSE(weight_parts(g, 256).fits());
  g.depthwise = false;
  // Every part fits its slot, and the parts hold the tile's words exactly.
  for (int64_t slot = 2; slot <= 40; ++slot)
    for (int64_t words = 1; words <= 300; ++words) {
      g.words_per_pixel = words;
      const WeightParts p = weight_parts(g, slot);
      INFO("slot " << slot << ", words " << words);
      REQUIRE(p.fits());
      CHECK(p.words + 1 <= slot);
      CHECK(p.last_words(words) >= 1);
      CHECK(p.last_words(words) <= p.words);
      CHECK(p.count == (words + slot - 2) / (slot - 1));  // no more parts than the slot needs
    }
}
