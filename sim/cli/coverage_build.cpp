#include "sim/cli/coverage_build.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <unistd.h>

#include "golden/errors.hpp"
#include "sim/device.hpp"

namespace aps::sim::cli {
namespace fs = std::filesystem;

bool needs_coverage_build(int argc, char** argv) {
  if (rtl_has_coverage()) return false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--coverage" || a.rfind("--coverage=", 0) == 0) return true;
  }
  return false;
}

int run_coverage_build(char** argv) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const std::string name = self.filename().string();
  // A planted-fault build must not hand its run to the real RTL.
  if (ec || name != "aps-sim") {
    std::cerr << name << ": error: --coverage needs an RTL build with coverage; this one (" << name
              << ") counts none\n";
    return static_cast<int>(ExitCode::BadInput);
  }
  const fs::path coverage_build = self.parent_path() / "aps-sim-coverage";
  argv[0] = const_cast<char*>(coverage_build.c_str());
  execv(coverage_build.c_str(), argv);
  std::cerr << "aps-sim: error: --coverage needs " << coverage_build.string() << " (configure with -DAPS_RTL_COVERAGE=ON): "
            << std::strerror(errno) << "\n";
  return static_cast<int>(ExitCode::BadInput);
}

}  // namespace aps::sim::cli
