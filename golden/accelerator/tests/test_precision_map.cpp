// Precision maps: per layer or per layer with weights, and what is refused.

#include <catch2/catch.hpp>

#include "golden/accelerator/precision_map.hpp"
#include "golden/errors.hpp"

using namespace aps;

TEST_CASE("precision maps parse per layer or per weighted layer", "[program]") {
  const std::vector<bool> cnn = {true, false, true, false, true};
  CHECK(parse_precision("4", cnn) == PrecisionMap{4, 8, 4, 8, 4});
  CHECK(parse_precision("map:8,6,4", cnn) == PrecisionMap{8, 8, 6, 8, 4});
  CHECK(parse_precision("map:8,8,6,8,4", cnn) == PrecisionMap{8, 8, 6, 8, 4});
  // A width for a layer without weights would be ignored: refused, not dropped.
  CHECK_THROWS_WITH(parse_precision("map:8,2,6,8,4", cnn), Catch::Contains("layer 1 has no weights, so its width is 8"));
  CHECK(format_precision({8, 8, 6, 8, 4}, cnn) == "map:8,6,4");
  CHECK_THROWS_WITH(parse_precision("9", cnn), Catch::Contains("not a width in 2..8"));
  CHECK_THROWS_WITH(parse_precision("map:8,6", cnn), Catch::Contains("has 2 widths"));
  CHECK_THROWS_WITH(parse_precision("map:8,x,4", cnn), Catch::Contains("'x'"));
  for (const char* empty_item : {"map:8,6,4,", "map:8,,4", "map:", "map:,8,6,4"})
    CHECK_THROWS_WITH(parse_precision(empty_item, cnn), Catch::Contains("'' is not a width in 2..8"));
}
