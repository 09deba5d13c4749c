// The 8 -> b bit reduction rule (golden/numerics/precision_reduction.hpp).

#include <catch2/catch.hpp>

#include "golden/numerics/precision_reduction.hpp"

using namespace aps;

TEST_CASE("reduction at 8 bits with no shift is the identity", "[precision]") {
  for (int c = 0; c < 256; ++c) CHECK(reduce_code(c, 8, 0, Signedness::Unsigned) == c);
  for (int c = -128; c < 128; ++c) CHECK(reduce_code(c, 8, 0, Signedness::Signed) == c);
}

TEST_CASE("unsigned codes round half up and saturate at 2^b - 1", "[precision]") {
  CHECK(reduce_code(0, 4, 4, Signedness::Unsigned) == 0);
  CHECK(reduce_code(7, 4, 4, Signedness::Unsigned) == 0);    // 0.4375
  CHECK(reduce_code(8, 4, 4, Signedness::Unsigned) == 1);    // 0.5 -> 1
  CHECK(reduce_code(24, 4, 4, Signedness::Unsigned) == 2);   // 1.5 -> 2
  CHECK(reduce_code(247, 4, 4, Signedness::Unsigned) == 15);
  CHECK(reduce_code(248, 4, 4, Signedness::Unsigned) == 15);  // 15.5 would be 16: saturates
  CHECK(reduce_code(255, 2, 6, Signedness::Unsigned) == 3);
  CHECK(reduce_code(128, 2, 6, Signedness::Unsigned) == 2);
}

TEST_CASE("signed codes use a symmetric range, so 2-bit weights are ternary", "[precision]") {
  CHECK(reduced_min(2, Signedness::Signed) == -1);
  CHECK(reduced_max(2, Signedness::Signed) == 1);
  CHECK(reduce_code(127, 2, 6, Signedness::Signed) == 1);
  CHECK(reduce_code(-127, 2, 6, Signedness::Signed) == -1);
  CHECK(reduce_code(-128, 2, 6, Signedness::Signed) == -1);
  CHECK(reduce_code(31, 2, 6, Signedness::Signed) == 0);
  CHECK(reduce_code(32, 2, 6, Signedness::Signed) == 1);   // 0.5 rounds up
  CHECK(reduce_code(-32, 2, 6, Signedness::Signed) == 0);  // -0.5 rounds up to 0
  CHECK(reduce_code(-33, 2, 6, Signedness::Signed) == -1);
  CHECK(reduce_code(127, 4, 4, Signedness::Signed) == 7);  // 7.9 saturates at 7
  CHECK(reduce_code(-127, 4, 4, Signedness::Signed) == -7);
}

TEST_CASE("a smaller shift (adaptive scaling) keeps more low bits and saturates sooner", "[precision]") {
  CHECK(reduce_code(20, 4, 2, Signedness::Unsigned) == 5);
  CHECK(reduce_code(200, 4, 2, Signedness::Unsigned) == 15);
  CHECK(reduce_code(20, 4, 0, Signedness::Unsigned) == 15);
}

TEST_CASE("a code reduces from its top reduction_planes(shift) planes alone", "[precision]") {
  for (int bits = kMinBits; bits <= kMaxBits; ++bits)
    for (int shift = 0; shift <= kMaxBits - bits; ++shift) {
      const int planes = reduction_planes(shift);
      const int keep = ~((1 << (kMaxBits - planes)) - 1) & 0xff;  // the top `planes` bits of a byte
      for (int code = -128; code <= 127; ++code) {
        const int top = static_cast<int8_t>(static_cast<uint8_t>(code) & keep);
        INFO("bits " << bits << " shift " << shift << " code " << code);
        REQUIRE(reduce_code(top, bits, shift, Signedness::Signed) == reduce_code(code, bits, shift, Signedness::Signed));
      }
      // One plane fewer is not enough (unless nothing is dropped at all).
      if (planes < kMaxBits) {
        const int fewer = ~((1 << (kMaxBits - planes + 1)) - 1) & 0xff;
        bool differs = false;
        for (int code = -128; code <= 127; ++code)
          differs |= reduce_code(static_cast<int8_t>(static_cast<uint8_t>(code) & fewer), bits, shift, Signedness::Signed) !=
                      reduce_code(code, bits, shift, Signedness::Signed);
        CHECK(differs);
      }
    }
}

TEST_CASE("the reduction table holds reduce_code of every code, indexed by its byte", "[precision]") {
  for (const Signedness s : {Signedness::Unsigned, Signedness::Signed})
    for (int bits = kMinBits; bits <= kMaxBits; ++bits)
      for (int shift = 0; shift <= kMaxBits - bits; ++shift) {
        const auto table = reduction_table(bits, shift, s);
        for (int code = s == Signedness::Signed ? -128 : 0; code <= (s == Signedness::Signed ? 127 : 255); ++code) {
          INFO("bits " << bits << " shift " << shift << " code " << code);
          REQUIRE(table[static_cast<uint8_t>(code)] == reduce_code(code, bits, shift, s));
        }
      }
}
