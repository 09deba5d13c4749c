#pragma once
// A progress bar on stderr, drawn only when stderr is a terminal (so logs
// and CI output stay clean).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace aps::sim {

class ProgressBar {
 public:
  ProgressBar(std::string what, int64_t total);
  ~ProgressBar();
  void update(int64_t done);
  void finish();
  bool enabled() const { return enabled_; }

 private:
  std::string what_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
  std::mutex mutex_;
};

}  // namespace aps::sim
