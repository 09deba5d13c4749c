#include "golden/accelerator/pcu.hpp"

#include <algorithm>
#include <limits>

#include "golden/numerics/precision_reduction.hpp"

namespace aps {

// 128-bit intermediates, as the RTL's wide comparators (GCC/Clang extension).
__extension__ typedef unsigned __int128 u128;

uint64_t estimated_error(uint64_t metric, uint32_t alpha) {
  const u128 product = static_cast<u128>(metric) * alpha;
  const u128 shifted = product >> 16;
  return shifted > std::numeric_limits<uint64_t>::max() ? std::numeric_limits<uint64_t>::max()
                                                        : static_cast<uint64_t>(shifted);
}

int threshold_width(const PcuProgram& pcu, int slot, const std::vector<uint64_t>& metrics) {
  const PcuSlot& s = pcu.slots[slot];
  for (size_t c = 0; c < pcu.candidates.size(); ++c)
    if (estimated_error(metrics[c], s.alpha[c]) <= s.threshold) return pcu.candidates[c];
  return kMaxBits;
}

PcuState::PcuState(const PcuProgram& pcu)
    : metrics(pcu.slots.size(), std::vector<uint64_t>(pcu.candidates.size(), 0)),
      bits(pcu.slots.size(), kMaxBits),
      decided(pcu.slots.size(), false),
      group_bits(pcu.slots.size(), -1) {
  for (size_t s = 0; s < pcu.slots.size(); ++s) bits[s] = pcu.slots[s].initial_bits;
}

void pcu_decide(const PcuProgram& pcu, PcuState& state, int slot) {
  const int g = pcu.slots[slot].group;
  if (state.group_bits[g] < 0) state.group_bits[g] = threshold_width(pcu, slot, state.metrics[slot]);
  state.bits[slot] = state.group_bits[g];
  state.decided[slot] = true;
}

namespace {

// The candidate whose width is b; candidates.size() for 8 bits (no candidate).
size_t candidate_index(const PcuProgram& pcu, int b) {
  size_t c = 0;
  while (c < pcu.candidates.size() && pcu.candidates[c] != b) ++c;
  return c;
}

// Estimated error of slot s at width b (0 at 8 bits).
uint64_t slot_error(const PcuProgram& pcu, const PcuState& st, int s, int b) {
  const size_t c = candidate_index(pcu, b);
  return c < pcu.candidates.size() ? estimated_error(st.metrics[s][c], pcu.slots[s].alpha[c]) : 0;
}

// Budget cost of slot s at width b: its candidate's entry, or the 8-bit one (the last).
uint32_t slot_cost(const PcuProgram& pcu, int s, int b) { return pcu.slots[s].cost.at(candidate_index(pcu, b)); }

// The next narrower width than b, or 0 if there is none.
int narrower(const PcuProgram& pcu, int b) {
  int best = 0;
  for (int c : pcu.candidates)
    if (c < b) best = c;
  return best;
}

}  // namespace

void pcu_decide_all(const PcuProgram& pcu, PcuState& st) {
  const int n = static_cast<int>(pcu.slots.size());
  int steps = 0;
  bool exhausted = false;
  std::fill(st.decided.begin(), st.decided.end(), true);
  if (pcu.budget == 0) {
    for (int s = 0; s < n; ++s) st.bits[s] = threshold_width(pcu, s, st.metrics[s]);
    std::vector<int> widest(n, 0);
    for (int s = 0; s < n; ++s) widest[pcu.slots[s].group] = std::max(widest[pcu.slots[s].group], st.bits[s]);
    for (int s = 0; s < n; ++s) st.bits[s] = widest[pcu.slots[s].group];
  } else {
    std::vector<int> group_width(n, kMaxBits);
    auto cost = [&] {
      u128 c = 0;
      for (int s = 0; s < n; ++s) c += slot_cost(pcu, s, group_width[pcu.slots[s].group]);
      return c;
    };
    while (cost() > pcu.budget) {
      int best = -1;
      u128 best_de = 0, best_dc = 1;
      for (int g = 0; g < n; ++g) {
        const int b = group_width[g];
        const int lower = narrower(pcu, b);
        u128 de = 0, dc = 0;
        bool member = false;
        for (int s = 0; s < n; ++s) {
          if (pcu.slots[s].group != g) continue;
          member = true;
          const uint64_t e_now = slot_error(pcu, st, s, b), e_low = lower ? slot_error(pcu, st, s, lower) : 0;
          de += e_low > e_now ? e_low - e_now : 0;
          const uint32_t c_now = slot_cost(pcu, s, b), c_low = lower ? slot_cost(pcu, s, lower) : c_now;
          dc += c_now > c_low ? c_now - c_low : 0;
        }
        if (!member || lower == 0 || dc == 0) continue;
        // de / dc < best_de / best_dc, compared without division
        if (best < 0 || de * best_dc < best_de * dc) {
          best = g;
          best_de = de;
          best_dc = dc;
        }
      }
      if (best < 0) {  // nothing left to narrow: the budget cannot be met
        exhausted = true;
        break;
      }
      group_width[best] = narrower(pcu, group_width[best]);
      ++steps;
    }
    for (int s = 0; s < n; ++s) st.bits[s] = group_width[pcu.slots[s].group];
  }
  st.decide_all_cycles = pcu_decide_all_cycles(pcu, steps, exhausted);
}

int pcu_decide_all_cycles(const PcuProgram& pcu, int budget_steps, bool exhausted) {
  const int n = static_cast<int>(pcu.slots.size());
  if (pcu.budget == 0) return 1 + n + 1 + 1;
  return 1 + n + 1 + budget_steps * (n + 2) + (exhausted ? n + 3 : 2) + 1;
}

LayerConfig pcu_config(const PcuProgram& pcu, int bits, int input_max, int input_zero_point) {
  LayerConfig c = static_config(bits);
  if (!pcu.adaptive_scaling) return c;
  const int m = std::max(input_max, input_zero_point);
  int length = 0;
  while (length < 8 && (m >> length) != 0) ++length;
  const int k = 8 - length;  // leading zeros of m in 8 bits
  c.act_shift = std::max(0, default_shift(bits) - k);
  return c;
}

int output_margin(const std::vector<uint8_t>& codes) { return output_gaps(codes).second; }

}  // namespace aps
