#pragma once
// fn(i) for every i in [0, n), on up to `threads` threads. Callers keep one
// result per index and reduce them in index order afterwards, so every figure
// is the same whatever the thread count. Once all threads have stopped, the
// exception of the lowest failing index is rethrown: indices are claimed in
// order, so every index below a failing one has been claimed and runs to its
// end, and the error reported is the one a single thread would report.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace aps {

template <class Fn>
void parallel_for(size_t n, int threads, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  size_t error_index = n;
  std::mutex error_lock;
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        const std::lock_guard<std::mutex> hold(error_lock);
        if (i < error_index) {
          error = std::current_exception();
          error_index = i;
        }
        next = n;
      }
    }
  };
  const size_t count = std::min<size_t>(n, static_cast<size_t>(std::max(threads, 1)));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < count; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace aps
