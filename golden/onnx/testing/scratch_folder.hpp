#pragma once
// A scratch folder for one test case: the process id in its name, since
// ctest runs cases side by side; emptied and created.

#include <filesystem>
#include <string>
#include <unistd.h>

#include <fmt/format.h>

namespace aps::test {

inline std::filesystem::path fresh_folder(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("aps_{}_{}", name, getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace aps::test
