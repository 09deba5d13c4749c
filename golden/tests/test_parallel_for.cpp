// golden/parallel_for.hpp: every index once, and the error a single thread
// would report whatever the thread count.

#include "golden/parallel_for.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

// Index 3 fails late and index 40 fails at once, so on several threads the
// later index usually throws first in time; the report must still be 3's.
void fail_at_3_and_40(size_t i) {
  if (i == 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    throw std::runtime_error("index 3");
  }
  if (i == 40) throw std::runtime_error("index 40");
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

std::string error_of(int threads) {
  try {
    aps::parallel_for(64, threads, fail_at_3_and_40);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("parallel_for runs every index once", "[parallel_for]") {
  for (int threads : {1, 2, 5}) {
    std::vector<std::atomic<int>> runs(100);
    aps::parallel_for(runs.size(), threads, [&](size_t i) { ++runs[i]; });
    for (const auto& r : runs) CHECK(r == 1);
  }
}

TEST_CASE("parallel_for reports the lowest failing index whatever the thread count", "[parallel_for]") {
  for (int threads : {1, 2, 4, 8}) {
    for (int repeat = 0; repeat < 3; ++repeat) CHECK(error_of(threads) == "index 3");
  }
}
