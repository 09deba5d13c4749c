#include "sim/cli/progress_bar.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

namespace aps::sim {

ProgressBar::ProgressBar(std::string what, int64_t total)
    : what_(std::move(what)), total_(total), enabled_(isatty(STDERR_FILENO) == 1 && total > 1),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / std::max<int64_t>(total_, 1));
  std::fprintf(stderr, "\r[%s%s] %lld/%lld %s  %.1f/s", std::string(filled, '=').c_str(),
               std::string(kWidth - filled, ' ').c_str(), static_cast<long long>(done), static_cast<long long>(total_),
               what_.c_str(), secs > 0 ? done / secs : 0.0);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\r%s\r", std::string(80, ' ').c_str());
  std::fflush(stderr);
}

}  // namespace aps::sim
