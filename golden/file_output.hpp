#pragma once
// How every tool writes a result file: a reader never finds it half written,
// and a failed write (a full disk, a file size limit) leaves the earlier file
// as it was, not a truncated one that looks like a result.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace aps {

// Writes `bytes` to `path`: into a new file beside it, then renamed over it.
// A link is followed to the file it names; a path that is not a regular file
// (a pipe, /dev/null, /dev/stdout), and an existing file whose folder takes no
// new file, is written in place. InputError "<path>: cannot write: <why>"
// when it cannot be.
void replace_file(const std::string& path, std::string_view bytes);

// The text of a JSON result file. A path may hold bytes that are not UTF-8
// (Linux allows any); they are written as U+FFFD rather than stop the
// writing of a finished run's results.
std::string json_file_text(const nlohmann::json& j, int indent = 2);

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by U+FFFD, as json_file_text writes it: for the text of other
// result files (JUnit XML) that must be UTF-8.
std::string valid_utf8(std::string_view s);

}  // namespace aps
