#pragma once
// A scratch folder for one test case, empty when made and removed when the
// case ends, passed or failed: /tmp is shared by every build, run and user of
// the machine, so a test leaves nothing there. The process id is in its name,
// since ctest runs cases side by side.

#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>

namespace aps::test {

class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / fmt::format("aps_{}_{}", name, getpid())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;  // a destructor must not throw; a folder left behind is all that can go wrong
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  operator const std::filesystem::path&() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace aps::test
