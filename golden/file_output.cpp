#include "golden/file_output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "golden/errors.hpp"

namespace aps {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void cannot_write(const std::string& path, const std::string& why) {
  throw InputError(fmt::format("{}: cannot write: {}", path, why));
}

// Every byte to `fd`, retried after a signal or a short write.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void write_in_place(const std::string& path, std::string_view bytes) {
  errno = 0;
  std::ofstream out(path, std::ios::binary);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !out.flush())
    cannot_write(path, errno ? std::strerror(errno) : "the write failed");
}

}  // namespace

void replace_file(const std::string& path, std::string_view bytes) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  // A device, a pipe, or a descriptor's name (/dev/stdout may resolve to the
  // regular file a shell redirected it to, which a rename would replace).
  if ((fs::exists(status) && !fs::is_regular_file(status)) || path.starts_with("/dev/") ||
      path.starts_with("/proc/"))
    return write_in_place(path, bytes);
  // Through a link to the file it names, existing or not.
  fs::path target = path;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    const fs::path link = fs::read_symlink(target, ec);
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  // The new file takes the old one's permissions, or a new file's.
  mode_t mode = 0666;
  if (struct stat st{}; ::stat(target.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode &= ~mask;
  }
  // Hidden, and not named as a result: a run killed mid-write (SIGKILL) leaves
  // nothing a reader would take for one.
  const std::string suffix = ".tmp";
  std::string temporary = (target.parent_path() / ("." + target.filename().string() + ".XXXXXX" + suffix)).string();
  const int fd = ::mkstemps(temporary.data(), static_cast<int>(suffix.size()));
  const int open_errno = errno;
  // A writable file in a folder that is not (or a file mounted on its own)
  // can only be written where it is.
  if (fd < 0 && (open_errno == EACCES || open_errno == EROFS || open_errno == EPERM) && fs::exists(target, ec))
    return write_in_place(target.string(), bytes);
  if (fd < 0) cannot_write(path, std::strerror(open_errno));
  const bool written = ::fchmod(fd, mode) == 0 && write_all(fd, bytes);
  const int write_errno = errno;
  if (::close(fd) != 0 || !written) {
    ::unlink(temporary.c_str());
    cannot_write(path, written ? std::strerror(errno) : std::strerror(write_errno));
  }
  if (std::rename(temporary.c_str(), target.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(temporary.c_str());
    if (rename_errno == EXDEV || rename_errno == EBUSY) return write_in_place(target.string(), bytes);
    cannot_write(path, std::strerror(rename_errno));
  }
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  for (size_t i = 0; i < s.size();) {
    const unsigned c = byte(i);
    // The sequence's length and the range its second byte must fall in
    // (which rules out overlong forms, surrogates and code points past U+10FFFF).
    size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    bool ok = n > 0;
    for (size_t k = 1; ok && k < n; ++k) {
      const unsigned b = byte(i + k);
      ok = k == 1 ? b >= lo && b <= hi : b >= 0x80 && b <= 0xBF;
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string json_file_text(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace aps
