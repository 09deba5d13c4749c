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
