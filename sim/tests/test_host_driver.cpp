// The controller and the host driver on the behavioural device: the
// valid/ready protocol, reads one cycle later, memories refused while a run
// is busy, random stalls, the watchdog, stop requests and the device's
// protocol assertions.

#include <catch2/catch.hpp>
#include <csignal>

#include "sim/host_driver.hpp"
#include "sim/tests/harness_fixture.hpp"

using namespace aps;
using namespace aps::sim;
using namespace aps::sim::test;

namespace {
std::unique_ptr<Device> idle_device(const NetworkProgram& p, BehaviouralFaults faults = {}) {
  return std::make_unique<BehaviouralDevice>(p, DeviceOptions{}, hw::kThisBuild, faults);
}
}  // namespace

TEST_CASE("words written to the memories and CSRs read back", "[driver]") {
  const Model m("digits_mlp");
  SimController c(idle_device(m.program));
  HostDriver d(c);
  c.reset();
  const std::vector<uint8_t> bytes = {1, 2, 3, 4, 250, 251, 252, 253};
  d.write_bytes(hw::kActBase + 64, bytes);
  CHECK(d.read_bytes(hw::kActBase + 64, bytes.size()) == bytes);
  d.write32(hw::kCsrBase + hw::kCsrNumLayers, 3);
  CHECK(d.read32(hw::kCsrBase + hw::kCsrNumLayers) == 3);
  CHECK(d.read32(hw::kCsrBase + hw::kCsrId) == hw::kIdValue);
  // Each read is a request cycle and a response cycle.
  const int64_t before = c.cycle();
  d.read32(hw::kCsrBase + hw::kCsrId);
  CHECK(c.cycle() - before == 2);
}

TEST_CASE("random stalls add idle cycles and change no data", "[driver]") {
  const Model m("digits_mlp");
  SimController plain_controller(idle_device(m.program)), stalled_controller(idle_device(m.program));
  HostDriver plain(plain_controller), stalled(stalled_controller, 7, 0.5);
  plain_controller.reset();
  stalled_controller.reset();
  std::vector<uint8_t> bytes(64);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(3 * i);
  const int64_t p0 = plain_controller.cycle(), s0 = stalled_controller.cycle();
  plain.write_bytes(hw::kActBase, bytes);
  stalled.write_bytes(hw::kActBase, bytes);
  CHECK(stalled.read_bytes(hw::kActBase, bytes.size()) == bytes);
  CHECK(stalled_controller.cycle() - s0 > 2 * (plain_controller.cycle() - p0));
}

TEST_CASE("a memory request waits while a run is busy, CSRs answer at once", "[driver]") {
  const Model m("digits_mlp");
  AcceleratorSession s(m.program, behavioural(m.program));
  SimController& c = s.driver().controller();
  s.driver().write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
  CHECK(c.step({true, false, hw::kCsrBase + hw::kCsrStatus, 0}).req_ready);
  const DeviceInputs memory_write{true, true, hw::kActBase, 1};
  const DeviceOutputs answer = c.step(memory_write);
  REQUIRE(answer.rsp_valid);
  CHECK(hw::CsrStatus::unpack(answer.rsp_rdata).busy == 1);
  CHECK_FALSE(answer.req_ready);
  CHECK_FALSE(c.step(memory_write).req_ready);  // held still while it waits: allowed
  CHECK_THROWS_AS(c.step({}), RtlAssertion);   // dropped before it was taken: a protocol error
}

TEST_CASE("the device's assertions: unmapped and unaligned addresses", "[driver]") {
  const Model m("digits_mlp");
  SECTION("unmapped") {
    SimController c(idle_device(m.program));
    c.reset();
    CHECK_THROWS_AS(c.step({true, false, 0x0500'0000, 0}), RtlAssertion);
  }
  SECTION("unaligned") {
    SimController c(idle_device(m.program));
    c.reset();
    CHECK_THROWS_AS(c.step({true, false, hw::kActBase + 2, 0}), RtlAssertion);
  }
}

TEST_CASE("the watchdog ends a run that never finishes, and the device still answers", "[driver]") {
  const Model m("digits_mlp");
  BehaviouralFaults hang;
  hang.hang = true;
  AcceleratorSession s(m.program, behavioural(m.program, hang));
  s.driver().write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
  CHECK_THROWS_AS(s.driver().wait_done(500), WatchdogTimeout);
  CHECK(hw::CsrStatus::unpack(s.driver().read32(hw::kCsrBase + hw::kCsrStatus)).busy == 1);
}

TEST_CASE("a stop request interrupts the next cycle, hooks see every cycle", "[driver]") {
  const Model m("digits_mlp");
  SimController c(idle_device(m.program));
  int64_t seen = 0;
  c.add_hook([&](int64_t, const DeviceOutputs&) { ++seen; });
  c.step({});
  c.step({});
  CHECK(seen == 2);
  stop_request().store(SIGTERM);
  CHECK_THROWS_AS(c.step({}), Interrupted);
  stop_request().store(0);
  CHECK_NOTHROW(c.step({}));
}

TEST_CASE("every way of waiting for a run's end sees the whole run", "[driver]") {
  const Model m("digits_mlp");
  const ProgramResult expected = m.expected(2);
  for (HostWait how : {HostWait::DonePin, HostWait::PollStatus, HostWait::BlockedRead}) {
    INFO("host wait " << static_cast<int>(how));
    SessionOptions o = behavioural(m.program);
    o.host_wait = how;
    AcceleratorSession s(m.program, o);
    s.configure(m.configs);
    Scoreboard sb;
    const InputRun r = s.run(2, m.input(2), expected, sb);
    CHECK(r.passed);
    CHECK(r.output == expected.output());
    CHECK(sb.counts().mismatches == 0);
  }
}

TEST_CASE("a blocked read is held until the run ends, then answered", "[driver]") {
  const Model m("digits_mlp");
  AcceleratorSession s(m.program, behavioural(m.program));
  s.driver().write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
  const int64_t before = s.cycle();
  s.driver().wait_done(1'000'000, HostWait::BlockedRead);
  CHECK(hw::CsrStatus::unpack(s.driver().read32(hw::kCsrBase + hw::kCsrStatus)).done == 1);
  CHECK(s.cycle() - before > 100);  // the read waited for the run, not two cycles
}
