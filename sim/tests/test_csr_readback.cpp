// The CSR read-back check on the behavioural device: it passes where the
// device decodes every register the description lists, and fails, naming
// the register, where a read arm is missing or a read-only register takes a
// write.

#include <catch2/catch.hpp>

#include "sim/csr_readback.hpp"
#include "sim/tests/harness_fixture.hpp"

using namespace aps;
using namespace aps::sim;
using namespace aps::sim::test;

TEST_CASE("every CSR the description lists reads as described", "[csr]") {
  const Model m("digits_mlp");
  SimController c(std::make_unique<BehaviouralDevice>(m.program, DeviceOptions{}));
  HostDriver d(c);
  c.reset();
  const std::vector<std::string> problems = check_csr_readback(d);
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("a register without a read arm is caught by the read-back", "[csr]") {
  const Model m("digits_mlp");
  BehaviouralFaults missing;
  missing.unmapped_csr = "sae_cycles";
  SimController c(std::make_unique<BehaviouralDevice>(m.program, DeviceOptions{}, hw::kThisBuild, missing));
  HostDriver d(c);
  c.reset();
  const std::vector<std::string> problems = check_csr_readback(d);
  // After reset, after each write to its read-only bits, and after all the writes.
  REQUIRE(problems.size() == 4);
  CHECK_THAT(problems[0], Catch::StartsWith("sae_cycles (0x054) after reset"));
  for (const auto& p : problems) CHECK_THAT(p, Catch::StartsWith("sae_cycles (0x054)"));
}

TEST_CASE("a read-only register that takes a host write is caught by the read-back", "[csr]") {
  const Model m("digits_mlp");
  BehaviouralFaults writable;
  writable.writable_stalls = true;
  SimController c(std::make_unique<BehaviouralDevice>(m.program, DeviceOptions{}, hw::kThisBuild, writable));
  HostDriver d(c);
  c.reset();
  const std::vector<std::string> problems = check_csr_readback(d);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::StartsWith("stalls (0x01c) after writing ones to its read-only bits: read 0xffffffff"));
}
