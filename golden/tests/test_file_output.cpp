// Result files are replaced whole: a failed write keeps the earlier file and
// leaves nothing beside it.

#include <catch2/catch.hpp>
#include <csignal>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "golden/errors.hpp"
#include "golden/file_output.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;
namespace fs = std::filesystem;

namespace {

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("a result file is written whole and replaces the earlier one with its permissions", "[file_output]") {
  const test::ScratchFolder dir("file_output_replace");
  const fs::path file = dir / "result.json";
  replace_file(file.string(), "first");
  CHECK(contents(file) == "first");
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  replace_file(file.string(), "second, longer");
  CHECK(contents(file) == "second, longer");
  CHECK(fs::status(file).permissions() == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(entries(dir) == 1);
  fs::remove_all(dir);
}

TEST_CASE("a write that fails keeps the earlier file and leaves no partial one", "[file_output]") {
  const test::ScratchFolder dir("file_output_fail");
  const fs::path file = dir / "profile.onnx";
  replace_file(file.string(), "the earlier result");
  // A file size limit makes the write fail part way (EFBIG), as a full disk would.
  struct rlimit before{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &before) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = before;
  small.rlim_cur = 1000;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  const std::string big(5000, 'x');
  CHECK_THROWS_WITH(replace_file(file.string(), big),
                    Catch::Contains(file.string()) && Catch::Contains("cannot write"));
  ::setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  CHECK(contents(file) == "the earlier result");
  CHECK(entries(dir) == 1);
  fs::remove_all(dir);
}

TEST_CASE("a result file named through a link replaces the file the link names", "[file_output]") {
  const test::ScratchFolder dir("file_output_link");
  replace_file((dir / "real.json").string(), "old");
  fs::create_symlink("real.json", dir / "link.json");
  replace_file((dir / "link.json").string(), "new");
  CHECK(fs::is_symlink(dir / "link.json"));
  CHECK(contents(dir / "real.json") == "new");
  CHECK(entries(dir) == 2);
  // A link to a file not made yet makes it, where the link points.
  fs::create_symlink("later.json", dir / "dangling.json");
  replace_file((dir / "dangling.json").string(), "made");
  CHECK(fs::is_symlink(dir / "dangling.json"));
  CHECK(contents(dir / "later.json") == "made");
  fs::remove_all(dir);
}

TEST_CASE("a result written to a device is written directly, a missing folder is named", "[file_output]") {
  CHECK_NOTHROW(replace_file("/dev/null", "discarded"));
  CHECK_THROWS_WITH(replace_file("/nonexistent-aps-folder/result.json", "x"),
                    Catch::Contains("/nonexistent-aps-folder/result.json: cannot write"));
}

TEST_CASE("valid_utf8 keeps well-formed UTF-8 and replaces every other byte by U+FFFD", "[file_output]") {
  const std::string r = "\xEF\xBF\xBD";
  CHECK(valid_utf8("plain/path.onnx") == "plain/path.onnx");
  CHECK(valid_utf8("mod\xC3\xA8le \xE2\x82\xAC \xF0\x9F\x98\x80") == "mod\xC3\xA8le \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(valid_utf8("mod\xE8le") == "mod" + r + "le");             // Latin-1
  CHECK(valid_utf8("a\xFF") == "a" + r);                           // never a lead byte
  CHECK(valid_utf8("\xC3") == r);                                  // cut short
  CHECK(valid_utf8("\xC0\x80") == r + r);                          // overlong
  CHECK(valid_utf8("\xED\xA0\x80") == r + r + r);                  // a surrogate
  CHECK(valid_utf8("\xF4\x90\x80\x80") == r + r + r + r);          // past U+10FFFF
}
