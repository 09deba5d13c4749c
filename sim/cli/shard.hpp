#pragma once
// One shard of K of N, as a farm runs a job: a regression takes every N-th
// case from the K-th (cases differ in cost, so interleaving balances them);
// a data-set run takes the K-th of N contiguous slices (so each shard's
// inputs keep their data-set order and the merged run reads like one).

#include <cstdint>
#include <string>
#include <utility>

namespace aps::sim::cli {

struct Shard {
  int k = 1, n = 1;
  bool has_case(int64_t index) const { return index % n == k - 1; }
  // [begin, end) of `total` items.
  std::pair<int64_t, int64_t> slice(int64_t total) const { return {total * (k - 1) / n, total * k / n}; }
};

// "K/N" with 1 <= K <= N; InputError naming the text otherwise.
Shard parse_shard(const std::string& text);

}  // namespace aps::sim::cli
