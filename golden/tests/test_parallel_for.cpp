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

// Indices 3 and 40 fail. On several threads index 3 waits until index 40 has
// failed, so 40's error is always the first in time; the report must still
// be 3's. (One thread reaches 40 only after 3, so 3 does not wait there.)
std::string error_of(int threads) {
  std::atomic<bool> failed_40{false};
  try {
    aps::parallel_for(64, threads, [&](size_t i) {
      if (i == 3) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (threads > 1 && !failed_40 && std::chrono::steady_clock::now() < give_up)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        throw std::runtime_error("index 3");
      }
      if (i == 40) {
        failed_40 = true;
        throw std::runtime_error("index 40");
      }
    });
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
