// The PCU of the golden model, computed by hand: threshold, group, budget,
// scaling and margin decisions.

#include <catch2/catch.hpp>

#include "golden/accelerator/pcu.hpp"

using namespace aps;

namespace {
PcuProgram two_slots(std::vector<int> candidates) {
  PcuProgram p;
  p.candidates = std::move(candidates);
  for (int s = 0; s < 2; ++s) {
    PcuSlot slot;
    slot.layer = s;
    slot.alpha.assign(p.candidates.size(), 1 << 16);  // estimate = metric
    slot.threshold = 100;
    slot.group = s;
    for (int b : p.candidates) slot.cost.push_back(100 * b);  // 100 MACs: bit-MACs
    slot.cost.push_back(100 * 8);
    p.slots.push_back(slot);
  }
  return p;
}
}  // namespace

TEST_CASE("threshold: the narrowest candidate whose estimate is within tau", "[pcu]") {
  PcuProgram p = two_slots({3, 4, 6});
  CHECK(threshold_width(p, 0, {500, 90, 10}) == 4);
  CHECK(threshold_width(p, 0, {100, 90, 10}) == 3);  // <= tau
  CHECK(threshold_width(p, 0, {500, 300, 101}) == 8);
  p.slots[0].alpha = {1 << 15, 1 << 15, 1 << 15};    // estimate = metric / 2
  CHECK(threshold_width(p, 0, {300, 190, 10}) == 4);
}

TEST_CASE("just in time, the first member of a group decides for the group", "[pcu]") {
  PcuProgram p = two_slots({4});
  p.slots[1].group = 0;
  PcuState st(p);
  st.metrics = {{500}, {0}};
  pcu_decide(p, st, 0);
  pcu_decide(p, st, 1);
  CHECK(st.bits == std::vector<int>{8, 8});  // slot 1 alone would have taken 4
}

TEST_CASE("up front, a group takes its widest member's width", "[pcu]") {
  PcuProgram p = two_slots({4});
  p.slots[1].group = 0;
  PcuState st(p);
  st.metrics = {{0}, {500}};
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 8});
  CHECK(st.decide_all_cycles == 1 + 2 + 1 + 1);
}

TEST_CASE("a budget narrows the layer that costs the least estimated error", "[pcu]") {
  PcuProgram p = two_slots({4});
  PcuState st(p);
  st.metrics = {{10}, {1}};
  p.budget = 100 * 8 + 100 * 4;  // room for one layer at 4 bits
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 4});
  CHECK(st.decide_all_cycles == 1 + 2 + 1 + 1 * (2 + 2) + 2 + 1);
  p.budget = 100;  // unreachable: everything as narrow as it goes
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{4, 4});
}

TEST_CASE("a budget counts each slot's own cost at each width", "[pcu]") {
  // Slot 0 saves little by narrowing (a layer whose traffic barely falls),
  // slot 1 much: the same errors as above, but the table's costs, not
  // MACs x bits, decide which layer narrows.
  PcuProgram p = two_slots({4});
  p.slots[0].cost = {790, 800};  // 4 bits, 8 bits
  p.slots[1].cost = {100, 900};
  PcuState st(p);
  st.metrics = {{1}, {10}};      // slot 0 is the cheaper in error
  p.budget = 1000;
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 4});  // 10 error for 800 saved beats 1 for 10
  p.budget = 1700;                           // 8 and 8 fit: nothing narrows
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 8});
  p.slots[0].cost = {900, 800};  // narrowing would cost more: never a step
  p.budget = 1;
  pcu_decide_all(p, st);
  CHECK(st.bits == std::vector<int>{8, 4});
}

TEST_CASE("adaptive scaling shifts less when the input's range is small", "[pcu]") {
  PcuProgram p;
  p.adaptive_scaling = true;
  CHECK(pcu_config(p, 4, 15, 0).act_shift == 0);    // 15 fits 4 bits
  CHECK(pcu_config(p, 4, 100, 0).act_shift == 3);   // 7 significant bits
  CHECK(pcu_config(p, 4, 255, 0).act_shift == 4);
  CHECK(pcu_config(p, 4, 15, 200).act_shift == 4);  // the zero point must fit too
  CHECK(pcu_config(p, 4, 15, 0).weight_shift == 4);
  p.adaptive_scaling = false;
  CHECK(pcu_config(p, 4, 15, 0).act_shift == 4);
}

TEST_CASE("the output margin is top1 - top2", "[pcu]") {
  CHECK(output_margin({3, 9, 9}) == 0);
  CHECK(output_margin({1, 5, 2}) == 3);
  CHECK(output_margin({7}) == 7);
}
