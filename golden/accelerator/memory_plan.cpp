#include "golden/accelerator/memory_plan.hpp"

#include <algorithm>
#include <bit>
#include <fmt/format.h>
#include <limits>
#include <numeric>

#include "generated/host_interface.hpp"
#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"

namespace aps {
namespace {

constexpr uint64_t kExtAlign = 64;

uint64_t align_up(uint64_t x) { return (x + kExtAlign - 1) / kExtAlign * kExtAlign; }

// Bursts of a transfer: full MaxBurst bursts, then the rest.
template <class PerBurst>
int64_t over_bursts(int64_t beats, PerBurst per_burst) {
  int64_t cycles = 0;
  for (int64_t left = beats; left > 0; left -= hw::kMaxBurst) cycles += per_burst(std::min<int64_t>(left, hw::kMaxBurst));
  return cycles;
}

// One tensor's life in the scratchpad: the steps it must be there and the
// words it takes. A resident tensor has one piece from its first to its last
// step; a spilled one has a piece per step that touches it.
struct Piece {
  int tensor = 0;  // producer + 1 (0: the network input)
  int first = 0, last = 0;
  int64_t words = 0;
  int64_t base = -1;
};

struct TensorLife {
  int64_t words = 0;
  std::vector<int> steps;  // ascending: producing step (if any), then the readers
  bool spilled = false;
};

// Offline first-fit, largest pieces first; returns the scratchpad words used.
int64_t place(std::vector<Piece>& pieces) {
  std::vector<size_t> order(pieces.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pieces[a].words > pieces[b].words; });
  std::vector<size_t> placed;
  int64_t used = 0;
  for (size_t i : order) {
    Piece& p = pieces[i];
    std::vector<std::pair<int64_t, int64_t>> busy;  // [base, end) of placed pieces alive at the same time
    for (size_t j : placed)
      if (pieces[j].first <= p.last && p.first <= pieces[j].last)
        busy.push_back({pieces[j].base, pieces[j].base + pieces[j].words});
    std::sort(busy.begin(), busy.end());
    int64_t base = 0;
    for (const auto& [b, e] : busy) {
      if (base + p.words <= b) break;
      base = std::max(base, e);
    }
    p.base = base;
    used = std::max(used, base + p.words);
    placed.push_back(i);
  }
  return used;
}

std::vector<Piece> pieces_of(const std::vector<TensorLife>& lives) {
  std::vector<Piece> pieces;
  for (size_t v = 0; v < lives.size(); ++v) {
    const TensorLife& t = lives[v];
    if (t.steps.empty()) continue;
    if (!t.spilled) {
      pieces.push_back({static_cast<int>(v), t.steps.front(), t.steps.back(), t.words});
    } else {
      for (int s : t.steps) pieces.push_back({static_cast<int>(v), s, s, t.words});  // steps are unique
    }
  }
  return pieces;
}

// The tensors step `s` reads (producer + 1; 0 is the network input).
std::vector<int> reads_of(const Layer& l) {
  if (l.kind == LayerKind::SaeScan) return {l.scan.tensor + 1};
  if (l.kind == LayerKind::Add) return {l.input + 1, l.add.input_b + 1};
  return {l.input + 1};
}

// Words of the tensors step `s` reads and writes, each once.
int64_t step_words(const NetworkProgram& p, size_t s, int rows) {
  const Layer& l = p.layers[s];
  std::vector<int> touched = reads_of(l);
  if (l.produces_output()) touched.push_back(static_cast<int>(s) + 1);
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  int64_t words = 0;
  for (int v : touched) words += tensor_words(p.tensor_shape(v - 1), rows);
  return words;
}

}  // namespace

int64_t min_scratchpad_words(const NetworkProgram& p, int rows) {
  int64_t words = 0;
  for (size_t s = 0; s < p.layers.size(); ++s) words = std::max(words, step_words(p, s, rows));
  return words;
}

std::string act_words_option(int64_t words) { return fmt::format("-DAPS_RTL_ACT_WORDS={}", words); }

// Two slots, a power of two in all.
std::string wgt_words_option(int64_t tile_words) {
  return fmt::format("-DAPS_RTL_WGT_WORDS={}", std::bit_ceil(static_cast<uint64_t>(2 * tile_words)));
}

std::string param_entries_option(int64_t channels) {
  return fmt::format("-DAPS_RTL_PARAM_ENTRIES={}", std::bit_ceil(static_cast<uint64_t>(channels)));
}

std::string whole_model_build(const NetworkProgram& p, const HardwareLimits& limits) {
  std::vector<std::string> options;
  if (const int64_t words = min_scratchpad_words(p, limits.array.rows); words > limits.act_words)
    options.push_back(act_words_option(words));
  int64_t tile = 0, channels = 0;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& l = p.layers[i];
    if (l.kind == LayerKind::SaeScan) continue;
    const LayerGeometry g = layer_geometry(p, i, limits.array);
    if (l.has_weights() && !weight_parts(g, limits.wgt_words / 2).fits()) tile = std::max(tile, g.tile_stride);
    if (l.requantizes()) channels = std::max(channels, g.out_channels);
  }
  if (tile > 0) options.push_back(wgt_words_option(tile));
  if (channels > limits.param_entries) options.push_back(param_entries_option(channels));
  if (options.size() < 2) return "";
  return fmt::format("; the whole model needs a build configured with {}", fmt::join(options, " "));
}

std::string check_memory_timing(const MemoryTiming& t) {
  if (t.latency < 1 || t.latency > 1'000'000) return fmt::format("memory latency {} must be 1..1000000 cycles", t.latency);
  if (t.bytes_per_cycle < 1 || t.bytes_per_cycle > 1024 || (t.bytes_per_cycle & (t.bytes_per_cycle - 1)) != 0)
    return fmt::format("memory bandwidth {} must be a power of two from 1 to 1024 bytes per cycle", t.bytes_per_cycle);
  if (t.request_wait < 0 || t.request_wait > 1000)
    return fmt::format("memory request wait {} must be 0..1000 cycles", t.request_wait);
  if (t.size_bytes < 4096 || t.size_bytes > (int64_t{1} << 32))
    return fmt::format("memory size {} must be 4096 bytes to 4 GiB", t.size_bytes);
  return "";
}

int64_t weight_tile_beats(int64_t tile_words, int planes, ArrayShape a) {
  return a.cols + planes * (tile_words - 1) * hw::wgt_plane_beats(a.cols);
}

int64_t weight_parts_beats(const StepMemory& m, int planes, ArrayShape a) {
  const WeightParts loads = m.weight_loads();
  int64_t beats = 0;
  for (int64_t part = 0; part < loads.count; ++part)
    beats += weight_tile_beats(loads.words_of(part, m.tile_words - 1) + 1, planes, a);
  return beats;
}

int64_t load_cycles(int64_t beats, const MemoryTiming& t, int rows) {
  const int64_t p = t.beat_cycles(rows);
  // The request's wait, the request (1 cycle), first beat after the latency,
  // then one beat per p cycles.
  return over_bursts(beats, [&](int64_t n) { return t.request_wait + 1 + t.latency + (n - 1) * p; });
}

int64_t store_cycles(int64_t beats, const MemoryTiming& t, int rows) {
  const int64_t p = t.beat_cycles(rows);
  // The request's wait, the request, the scratchpad read of the first beat,
  // one beat per p cycles, then the write response after the latency.
  return over_bursts(beats, [&](int64_t n) { return t.request_wait + 2 + (n - 1) * p + t.latency; });
}

MemoryPlan plan_memory(const NetworkProgram& p, const HardwareLimits& limits, int64_t spm_words, uint64_t ext_bytes) {
  const ArrayShape a = limits.array;
  const int rows = a.rows;
  const auto n = static_cast<int>(p.layers.size());
  MemoryPlan plan;
  plan.steps.resize(p.layers.size());

  // Lives of the tensors: index 0 is the network input, v = producer + 1.
  std::vector<TensorLife> lives(p.layers.size() + 1);
  lives[0].words = tensor_words(p.input_shape, rows);
  for (int s = 0; s < n; ++s) {
    const Layer& l = p.layers[s];
    if (l.produces_output()) {
      lives[s + 1].words = tensor_words(l.out_shape, rows);
      lives[s + 1].steps.push_back(s);
    }
    for (int v : reads_of(l))
      if (lives[v].steps.empty() || lives[v].steps.back() != s) lives[v].steps.push_back(s);
  }

  // A step's own inputs and output must fit together, whatever is spilled.
  for (int s = 0; s < n; ++s) {
    const Layer& l = p.layers[s];
    const int64_t words = step_words(p, static_cast<size_t>(s), rows);
    if (words > spm_words)
      throw InputError(fmt::format("{}: layer '{}' needs {} scratchpad words at once (its inputs and output), the "
                                   "scratchpad has {}{}{}", p.source, l.name, words, spm_words,
                                   words > limits.act_words
                                       ? fmt::format(" (a build configured with {} holds them)",
                                                     act_words_option(words))
                                       : "",
                                   whole_model_build(p, limits)));
  }

  // Spill the tensors holding the most word-steps until the plan fits.
  std::vector<Piece> pieces = pieces_of(lives);
  int64_t used = place(pieces);
  while (used > spm_words) {
    int best = -1;
    int64_t best_cost = 0;
    for (size_t v = 0; v < lives.size(); ++v) {
      const TensorLife& t = lives[v];
      if (t.spilled || t.steps.size() < 2) continue;
      const int64_t cost = t.words * (t.steps.back() - t.steps.front());
      if (cost > best_cost) best = static_cast<int>(v), best_cost = cost;
    }
    if (best < 0) break;  // nothing left to spill: refused below
    lives[best].spilled = true;
    ++plan.spilled_tensors;
    pieces = pieces_of(lives);
    used = place(pieces);
  }
  if (used > spm_words)
    throw InputError(fmt::format("{}: the tensors need {} scratchpad words, the scratchpad has {}", p.source, used,
                                 spm_words));
  plan.spm_words_used = used;

  // The external image: input, output, then per layer its weights and
  // parameters, then a home for every spilled tensor.
  uint64_t next = 0;
  auto take = [&](uint64_t bytes) {
    const uint64_t at = next;
    next = align_up(next + bytes);
    return at;
  };
  const auto act_bytes = static_cast<uint64_t>(hw::act_word_bytes(rows));
  plan.input_ext = static_cast<uint32_t>(take(lives[0].words * act_bytes));
  plan.output_ext = static_cast<uint32_t>(take(lives[n].words * act_bytes));
  std::vector<uint64_t> home(lives.size(), 0);
  home[0] = plan.input_ext;
  home[n] = plan.output_ext;
  for (int s = 0; s < n; ++s) {
    const Layer& l = p.layers[s];
    StepMemory& m = plan.steps[s];
    if (l.has_weights()) {
      const LayerGeometry g = layer_geometry(p, static_cast<size_t>(s), a);
      m.tile_words = g.tile_stride;
      m.weight_parts = weight_parts(g, limits.wgt_words / 2);
      m.ext_weights =
          static_cast<uint32_t>(take(static_cast<uint64_t>(g.tiles * weight_parts_beats(m, kMaxBits, a) * rows)));
    }
    if (l.requantizes()) {
      m.param_beats = l.out_shape.channels * hw::param_entry_bytes() / rows;
      const auto block = static_cast<uint64_t>(l.out_shape.channels) * hw::param_entry_bytes();
      const int blocks = l.bias_correction.empty() ? 1 : kCorrectedWidths + 1;
      m.ext_params = static_cast<uint32_t>(take(block * blocks));
      if (blocks > 1) m.param_stride = static_cast<uint32_t>(block);
    }
  }
  for (int v = 1; v < n; ++v)
    if (lives[v].spilled) home[v] = take(lives[v].words * act_bytes);
  plan.ext_bytes = next;
  if (next > ext_bytes || next > std::numeric_limits<uint32_t>::max())
    throw InputError(fmt::format("{}: the model needs {} bytes of external memory, the memory has {}", p.source, next,
                                 ext_bytes));

  // Each step's addresses and transfers.
  auto base_at = [&](int v, int s) {
    for (const Piece& piece : pieces)
      if (piece.tensor == v && piece.first <= s && s <= piece.last) return piece.base;
    return int64_t{-1};
  };
  // A resident tensor is loaded (the input) at its first step; a spilled one
  // at every step that reads it.
  auto needs_load = [&](int v, int s) { return v == 0 ? (lives[0].spilled || lives[0].steps.front() == s) : lives[v].spilled; };
  for (int s = 0; s < n; ++s) {
    const Layer& l = p.layers[s];
    StepMemory& m = plan.steps[s];
    const std::vector<int> reads = reads_of(l);
    m.in_base = base_at(reads[0], s);
    m.load_in = needs_load(reads[0], s);
    m.ext_in = static_cast<uint32_t>(home[reads[0]]);
    m.in_beats = lives[reads[0]].words;
    if (reads.size() > 1) {
      m.in_b_base = base_at(reads[1], s);
      m.load_in_b = reads[1] != reads[0] && needs_load(reads[1], s);
      m.ext_in_b = static_cast<uint32_t>(home[reads[1]]);
      m.in_b_beats = lives[reads[1]].words;
    }
    if (l.produces_output()) {
      m.out_base = base_at(s + 1, s);
      m.store_out = lives[s + 1].spilled || s == n - 1;
      m.ext_out = static_cast<uint32_t>(home[s + 1]);
      m.out_beats = lives[s + 1].words;
    }
  }

  for (int s = 0; s < n; ++s) {
    const Layer& l = p.layers[s];
    if (l.kind != LayerKind::SaeScan) continue;
    StepMemory& m = plan.steps[s];
    m.scan_base = plan.sae_entries_used;
    m.scan_entries = slice_entries(p.tensor_shape(l.scan.tensor), l.scan.elements, rows);
    plan.sae_entries_used += m.scan_entries;
    if (plan.sae_entries_used > limits.sae_entries)
      throw InputError(fmt::format("{}: layer '{}' needs SAE slice entries up to {}, the SAE memory has {}", p.source,
                                   l.name, plan.sae_entries_used, limits.sae_entries));
  }
  int beyond = -1;  // the first step whose table the build cannot hold
  for (int s = 0; s < n; ++s) {
    const Layer& l = p.layers[s];
    if (!l.has_output_table()) continue;
    auto at = std::find(plan.tables.begin(), plan.tables.end(), l.output_table);
    if (at == plan.tables.end()) at = plan.tables.insert(plan.tables.end(), l.output_table);
    plan.steps[s].output_table = static_cast<int>(at - plan.tables.begin()) + 1;
    if (beyond < 0 && plan.steps[s].output_table > limits.lut_tables) beyond = s;
  }
  if (beyond >= 0)
    throw InputError(fmt::format("{}: layer '{}' needs output table {}, the build holds {} (the model needs a build "
                                 "configured with -DAPS_RTL_LUT_TABLES={})",
                                 p.source, p.layers[beyond].name, plan.steps[beyond].output_table, limits.lut_tables,
                                 plan.tables.size()));
  return plan;
}

}  // namespace aps
