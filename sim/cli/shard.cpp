#include "sim/cli/shard.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "golden/errors.hpp"

namespace aps::sim::cli {

Shard parse_shard(const std::string& text) {
  Shard s;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &s.k, &s.n, &tail) != 2 || s.n < 1 || s.k < 1 || s.k > s.n)
    throw InputError(fmt::format("--shard must be K/N with 1 <= K <= N, not '{}'", text));
  return s;
}

}  // namespace aps::sim::cli
