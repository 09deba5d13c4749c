// Requantization of the accelerator path: TFLite's multiplier, one rounding.

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "golden/errors.hpp"
#include "golden/numerics/requantize.hpp"

using namespace aps;

// Wide enough for a 62-bit product doubled and a rounding unit of 2^62.
__extension__ using Wide = __int128;

TEST_CASE("quantize_multiplier represents the real multiplier in Q0.31", "[requantize]") {
  const auto half = quantize_multiplier(0.5);
  CHECK(half.multiplier == (1 << 30));
  CHECK(half.shift == 0);
  const auto quarter = quantize_multiplier(0.25);
  CHECK(quarter.multiplier == (1 << 30));
  CHECK(quarter.shift == -1);
  const auto three = quantize_multiplier(3.0);
  CHECK(three.shift == 2);
  CHECK(quantize_multiplier(0.0) == QuantizedMultiplier{0, 0});
  CHECK(quantize_multiplier(1e-12) == QuantizedMultiplier{0, 0});  // below 2^-31
  // Rounding up to 2^31 carries into the exponent.
  const auto almost_one = quantize_multiplier(1.0 - 1e-12);
  CHECK(almost_one.multiplier == (1 << 30));
  CHECK(almost_one.shift == 1);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> dist(1e-6, 4.0);
  for (int i = 0; i < 1000; ++i) {
    const double r = dist(rng);
    const auto m = quantize_multiplier(r);
    CHECK(m.multiplier >= (1 << 30));
    CHECK(std::fabs(real_value(m) / r - 1.0) < 1e-9);
  }
}

TEST_CASE("quantize_multiplier rejects negative, non-finite and huge multipliers", "[requantize]") {
  CHECK_THROWS_AS(quantize_multiplier(-0.5), InputError);
  CHECK_THROWS_AS(quantize_multiplier(std::nan("")), InputError);
  CHECK_THROWS_AS(quantize_multiplier(1e6), InputError);
}

TEST_CASE("a saturating multiplier too large to hold gives every accumulator the output the real one would",
          "[requantize]") {
  for (const double real : {255.0, 255.99999999999636, 256.0, 571.6, 1e9}) {
    INFO(real);
    const QuantizedMultiplier m = saturating_multiplier(real);
    CHECK(real_value(m) == 255.0);
    for (int32_t zp : {0, 3, 128, 255})
      for (int32_t acc : {-70000, -2, -1, 0, 1, 2, 70000})
        for (bool relu : {false, true}) {
          const double exact = std::round(acc * real) + zp;
          const double lo = lowest_output_code(zp, relu);
          CHECK(requantize(acc, m, zp, relu) == static_cast<uint8_t>(std::clamp(exact, lo, 255.0)));
        }
  }
  CHECK(saturating_multiplier(100.0) == quantize_multiplier(100.0));
  CHECK_THROWS_AS(saturating_multiplier(-1.0), InputError);
}

TEST_CASE("multiply_by_quantized_multiplier rounds the product once, ties to even", "[requantize]") {
  const auto half = quantize_multiplier(0.5);
  CHECK(multiply_by_quantized_multiplier(3, half) == 2);    // 1.5 -> 2
  CHECK(multiply_by_quantized_multiplier(-3, half) == -2);  // -1.5 -> -2
  CHECK(multiply_by_quantized_multiplier(5, half) == 2);    // 2.5 -> 2
  const auto quarter = quantize_multiplier(0.25);
  CHECK(multiply_by_quantized_multiplier(6, quarter) == 2);  // 1.5 -> 2
  CHECK(multiply_by_quantized_multiplier(-6, quarter) == -2);
  CHECK(multiply_by_quantized_multiplier(10, quarter) == 2);  // 2.5 -> 2
  // A global average of 16 codes at the same scale: 8/16 and 24/16.
  const auto sixteenth = quantize_multiplier(1.0 / 16);
  CHECK(multiply_by_quantized_multiplier(8, sixteenth) == 0);
  CHECK(multiply_by_quantized_multiplier(24, sixteenth) == 2);
  // An average pool's sum times a multiplier below 1/2: TFLite's two
  // roundings (35 x 0.82 -> 29 at bit 31, then 29 / 2 -> 15) give 15.
  CHECK(multiply_by_quantized_multiplier(35, quantize_multiplier(0.41)) == 14);  // 14.35
  CHECK(multiply_by_quantized_multiplier(-50, quantize_multiplier(0.4095)) == -20);  // -20.475
  // left shifts saturate instead of overflowing
  const auto four = quantize_multiplier(4.0);
  CHECK(multiply_by_quantized_multiplier(std::numeric_limits<int32_t>::max(), four) ==
        (1 << 30));  // saturates at 2^31-1, then x 2^30/2^31 = 2^30 - 1/2 rounds to the even 2^30
  CHECK(multiply_by_quantized_multiplier(100, four) == 400);
}

TEST_CASE("multiply_by_quantized_multiplier is the nearest integer to x times the represented multiplier",
          "[requantize]") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> any_x(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int32_t> small_x(-600, 600);
  std::uniform_real_distribution<double> log2_multiplier(-31.0, 7.9);
  for (int i = 0; i < 20000; ++i) {
    const QuantizedMultiplier m = quantize_multiplier(std::exp2(log2_multiplier(rng)));
    const int32_t x = i % 2 ? any_x(rng) : small_x(rng);
    const int32_t r = multiply_by_quantized_multiplier(x, m);
    // x' = the saturated left shift; exact = x' * m / 2^e with e = 31 + right
    const int left = std::max(m.shift, 0), e = 31 + std::max(-m.shift, 0);
    const Wide shifted = std::clamp<Wide>(static_cast<Wide>(x) << left, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max());
    const Wide twice_product = 2 * shifted * m.multiplier;
    const Wide unit = static_cast<Wide>(1) << e;
    INFO(x << " x " << m.multiplier << " * 2^" << m.shift << " -> " << r);
    // r - 1/2 <= exact <= r + 1/2, and r even where exact is a tie
    CHECK(twice_product >= (2 * static_cast<Wide>(r) - 1) * unit);
    CHECK(twice_product <= (2 * static_cast<Wide>(r) + 1) * unit);
    const bool tie = twice_product == (2 * static_cast<Wide>(r) - 1) * unit ||
                     twice_product == (2 * static_cast<Wide>(r) + 1) * unit;
    if (tie) CHECK(r % 2 == 0);
  }
}

TEST_CASE("requantize adds the output zero point, clamps to uint8 and applies ReLU at the zero point", "[requantize]") {
  const auto one = quantize_multiplier(1.0);
  CHECK(requantize(5, one, 10, false) == 15);
  CHECK(requantize(-20, one, 10, false) == 0);    // clamp at 0
  CHECK(requantize(-5, one, 10, false) == 5);
  CHECK(requantize(-5, one, 10, true) == 10);     // ReLU: real 0 is code 10
  CHECK(requantize(500, one, 10, false) == 255);  // clamp at 255
  CHECK(requantize(0, one, 255, false) == 255);
  CHECK(requantize(std::numeric_limits<int32_t>::min(), one, 0, false) == 0);
}

TEST_CASE("a leaky output stage scales negative accumulators by the slope, in one rounding", "[requantize]") {
  const auto half = quantize_multiplier(0.5);
  const int32_t quarter = slope_code(0.25);
  CHECK(quarter == kUnitSlope / 4);
  const int32_t neg = negative_multiplier(half, quarter);
  CHECK(neg == (1 << 28));
  // -100 * 0.5 * 0.25 = -12.5: one rounding, half to even, gives -12.
  CHECK(requantize(-100, half, 128, false, neg) == 116);
  CHECK(requantize(-102, half, 128, false, neg) == 128 - 13);  // -12.75
  // Non-negative accumulators keep the positive multiplier.
  CHECK(requantize(100, half, 128, false, neg) == 178);
  CHECK(requantize(0, half, 128, false, neg) == 128);
  // Slope 1 is linear, slope 0 is ReLU's floor, a negative slope mirrors.
  for (int32_t acc : {-1000, -37, -1}) {
    CHECK(requantize(acc, half, 100, false, negative_multiplier(half, kUnitSlope)) == requantize(acc, half, 100, false));
    CHECK(requantize(acc, half, 100, false, negative_multiplier(half, 0)) == requantize(acc, half, 100, true));
  }
  CHECK(requantize(-40, half, 100, false, negative_multiplier(half, slope_code(-0.5))) == 110);
  // The most negative multiplier a slope of -1 makes still fits.
  const QuantizedMultiplier top{std::numeric_limits<int32_t>::max(), 0};
  CHECK(negative_multiplier(top, -kUnitSlope) == -std::numeric_limits<int32_t>::max());
}

TEST_CASE("slope_code refuses slopes the output stage cannot hold", "[requantize]") {
  CHECK(slope_code(1.0) == kUnitSlope);
  CHECK(slope_code(-1.0) == -kUnitSlope);
  CHECK(slope_code(0.01) == 10737418);  // 0.01 * 2^30 = 10737418.24
  CHECK_THROWS_AS(slope_code(1.5), InputError);
  CHECK_THROWS_AS(slope_code(-1.0000001), InputError);
  CHECK_THROWS_AS(slope_code(std::nan("")), InputError);
  CHECK_THROWS_AS(slope_code(INFINITY), InputError);
}
