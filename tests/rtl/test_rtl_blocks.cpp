// The accelerator RTL through its host port: identification and capacity
// registers, descriptor checks in hardware, host-protocol assertions, and
// robustness (random initial state, host stalls, reset mid-inference).

#include <catch2/catch.hpp>

#include "golden/data_set.hpp"
#include "golden/program_executor.hpp"
#include "golden/program_loader.hpp"
#include "sim/accelerator_session.hpp"
#include "sim/host_address_map.hpp"

using namespace aps;
using namespace aps::sim;

namespace {

const std::filesystem::path kModels = std::filesystem::path(APS_SOURCE_DIR) / "models";

struct Mlp {
  NetworkProgram program = load_network_program(kModels / "digits_mlp/model_int8.onnx").program;
  DataSet data = load_data_set(kModels / "digits_mlp/test_data_set_0");
  std::vector<LayerConfig> configs = static_configs(PrecisionMap(3, 8));
  Codes input(int64_t i) const { return quantize_input(program, data.inputs[0].tensor, i); }
  ProgramResult expected(int64_t i) const { return execute_program(program, input(i), configs); }
};

uint32_t csr(HostDriver& d, uint32_t offset) { return d.read32(hw::kCsrBase + offset); }

}  // namespace

TEST_CASE("the accelerator identifies itself and its capacity", "[rtl]") {
  SimController c(make_device({}));
  HostDriver d(c);
  c.reset();
  CHECK(csr(d, hw::kCsrId) == hw::kIdValue);
  const uint32_t params = csr(d, hw::kCsrParams);
  CHECK((params & 0xff) == static_cast<uint32_t>(c.device().rows()));
  CHECK(((params >> 8) & 0xff) == static_cast<uint32_t>(c.device().cols()));
  CHECK(csr(d, hw::kCsrActWords) > 0);
  CHECK((csr(d, hw::kCsrStatus) & hw::kStatusBusy) == 0);
}

TEST_CASE("the sequencer refuses bad descriptors with an error code", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, {});
  HostDriver& d = s.driver();
  auto run_and_status = [&] {
    d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::kCtrlStart);
    d.wait_done(100000);
    const uint32_t status = csr(d, hw::kCsrStatus);
    d.write32(hw::kCsrBase + hw::kCsrStatus, hw::kStatusDone);
    return status;
  };
  const uint32_t mode1 = hw::kDescBase + 1 * hw::kDescWords * 4 + hw::kDwMode * 4;
  d.write32(mode1, 9u << 8);  // layer 1 at 9 bits
  uint32_t status = run_and_status();
  CHECK((status & hw::kStatusError) != 0);
  CHECK(((status >> 16) & 0xff) == 2);  // precision or shift out of range
  CHECK(((status >> 8) & 0xff) == 1);   // in layer 1
  d.write32(mode1, 8u << 8);
  d.write32(hw::kDescBase + 1 * hw::kDescWords * 4 + hw::kDwInBase * 4, 0x7fffffff);  // input outside the memory
  status = run_and_status();
  CHECK(((status >> 16) & 0xff) == 3);
  d.write32(hw::kCsrBase + hw::kCsrNumLayers, 200);  // more layers than the table holds
  status = run_and_status();
  CHECK(((status >> 16) & 0xff) == 7);
}

TEST_CASE("host protocol violations fire the RTL's assertions", "[rtl]") {
  SECTION("an unmapped address") {
    SimController c(make_device({}));
    c.reset();
    CHECK_THROWS_AS(c.step({true, false, 0x0500'0000, 0}), RtlAssertion);
  }
  SECTION("a request that changes while waiting for ready") {
    Mlp m;
    AcceleratorSession s(m.program, {});
    SimController& c = s.driver().controller();
    s.driver().write32(hw::kCsrBase + hw::kCsrCtrl, hw::kCtrlStart);
    // While busy, memory requests wait: this one is not taken...
    REQUIRE_FALSE(c.step({true, true, hw::kActBase, 1}).req_ready);
    // ...and must not change before it is.
    CHECK_THROWS_AS(c.step({true, true, hw::kActBase + 4, 1}), RtlAssertion);
  }
}

TEST_CASE("random initial state: several seeds, same results", "[rtl]") {
  Mlp m;
  for (uint64_t seed : {1, 2, 3, 17, 12345}) {
    SessionOptions o;
    o.device.seed = seed;
    AcceleratorSession s(m.program, o);
    Scoreboard sb;
    for (int i = 0; i < 3; ++i) CHECK(s.run(i, m.input(i), m.expected(i), sb).passed);
    CHECK(sb.counts().mismatches == 0);
  }
}

TEST_CASE("random stalls on the host port change nothing but time", "[rtl]") {
  Mlp m;
  SessionOptions o;
  o.stall_probability = 0.4;
  o.stall_seed = 99;
  AcceleratorSession s(m.program, o);
  Scoreboard sb;
  for (int i = 0; i < 5; ++i) CHECK(s.run(i, m.input(i), m.expected(i), sb).passed);
  CHECK(sb.counts().elements_compared == 5 * (64 + 32 + 10));
}

TEST_CASE("reset in the middle of an inference, then a clean run", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, {});
  HostDriver& d = s.driver();
  d.write_bytes(hw::kActBase, std::vector<uint8_t>(64, 200));
  d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::kCtrlStart);
  d.idle(300);  // well inside fc1
  REQUIRE((csr(d, hw::kCsrStatus) & hw::kStatusBusy) != 0);
  s.restart();
  CHECK((csr(d, hw::kCsrStatus) & hw::kStatusBusy) == 0);
  Scoreboard sb;
  for (int i = 0; i < 3; ++i) CHECK(s.run(i, m.input(i), m.expected(i), sb).passed);
}

TEST_CASE("back-to-back inputs at changing precisions", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, {});
  Scoreboard sb;
  int i = 0;
  for (const PrecisionMap& map : {PrecisionMap{8, 8, 8}, PrecisionMap{2, 2, 2}, PrecisionMap{4, 8, 3}, PrecisionMap{6, 5, 7}}) {
    const auto configs = static_configs(map);
    s.configure(configs);
    const Codes in = m.input(i);
    CHECK(s.run(i, in, execute_program(m.program, in, configs), sb).passed);
    ++i;
  }
}
