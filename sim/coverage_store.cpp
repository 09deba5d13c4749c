#include "sim/coverage_store.hpp"

#include "golden/file_output.hpp"

#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "golden/errors.hpp"

namespace aps::sim {

void CoverageStore::add(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    // C '<key>' <count>; the key holds no quote (Verilator separates its
    // fields with \001 and \002).
    const size_t close = line.rfind('\'');
    if (line.size() < 5 || line.substr(0, 3) != "C '" || close < 3)
      throw InputError(fmt::format("coverage data line {}: not a coverage point", line_no));
    const std::string key(line.substr(3, close - 3));
    uint64_t count = 0;
    try {
      count = std::stoull(std::string(line.substr(close + 1)));
    } catch (const std::exception&) {
      throw InputError(fmt::format("coverage data line {}: no count", line_no));
    }
    const auto [it, inserted] = index_.emplace(key, points_.size());
    if (inserted) points_.emplace_back(key, count);
    else points_[it->second].second += count;
  }
}

void CoverageStore::write(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  out << "# SystemC::Coverage-3\n";
  for (const auto& [key, count] : points_) out << "C '" << key << "' " << count << "\n";
  replace_file(path, out.str());
}

size_t CoverageStore::points() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return points_.size();
}

uint64_t CoverageStore::count(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = index_.find(key);
  return it == index_.end() ? 0 : points_[it->second].second;
}

}  // namespace aps::sim
