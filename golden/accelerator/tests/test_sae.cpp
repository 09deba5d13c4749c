// The SAE of the golden model, computed by hand.

#include <catch2/catch.hpp>

#include "golden/accelerator/sae.hpp"

using namespace aps;

TEST_CASE("the SAE's reduction error, by hand", "[sae]") {
  // 4 bits, zero point 0: 200 -> (200 + 8) >> 4 = 13 -> 208: error -8.
  CHECK(reduction_error(200, 0, 4) == -8);
  // 255 -> 16 saturates at 15 -> 240: error 15.
  CHECK(reduction_error(255, 0, 4) == 15);
  // zero point 100 -> (100 + 8) >> 4 = 6, code 120 -> 8: (120 - 100) - ((8 - 6) << 4) = -12.
  CHECK(reduction_error(120, 100, 4) == -12);
  CHECK(reduction_error(77, 77, 3) == 0);  // the zero point itself
}

TEST_CASE("SAE metrics sum coefficient * error^2 per candidate", "[sae]") {
  SaeScanParams scan;
  scan.elements = {0, 2};
  scan.coefficients = {3, 5};
  const std::vector<uint8_t> tensor = {200, 9, 255};
  const auto m = sae_metrics(scan, tensor, 0, {4, 6});
  // 4 bits: 3 * 64 + 5 * 225; 6 bits: 200 -> 50 -> 200 (0), 255 -> 64 sat 63 -> 252 (3): 5 * 9.
  CHECK(m == std::vector<uint64_t>{3 * 64 + 5 * 225, 5 * 9});
}
