#pragma once
// Verilator coverage counts gathered over every device a process runs. Each
// verilated model owns its counters and dies with its session, so each one
// adds its counts here before it goes (sim/verilated_device.cpp); the store
// sums points with the same key and writes one file in Verilator's format,
// which verilator_coverage merges across processes and annotates. No
// Verilator header: the format is text ("C '<key>' <count>" per point).

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aps::sim {

class CoverageStore {
 public:
  // Adds the points of a coverage file's text. InputError on a line that is
  // not a coverage point (the file came from somewhere else).
  void add(std::string_view dat_text);
  // Writes every point, in the order first seen.
  void write(const std::string& path) const;
  size_t points() const;
  uint64_t count(const std::string& key) const;  // 0 for an unknown key

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, uint64_t>> points_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace aps::sim
