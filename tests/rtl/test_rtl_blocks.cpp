// The accelerator RTL through its host port: every CSR as the host
// interface description says, descriptor checks in hardware, host-protocol
// assertions, and robustness (random initial state, host stalls, reset
// mid-inference, back-to-back inputs at changing precisions).

#include <catch2/catch.hpp>
#include <set>

#include "generated/host_interface.hpp"
#include "golden/accelerator/precision_map.hpp"
#include "golden/accelerator/program_executor.hpp"
#include "golden/import/program_loader.hpp"
#include "golden/onnx/data_set.hpp"
#include "sim/accelerator_session.hpp"
#include "sim/csr_readback.hpp"
#include "sim/descriptor_fault.hpp"
#include "sim/random_network.hpp"

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

SessionOptions rtl(SessionOptions o = {}) {
  o.make_device = make_device;
  return o;
}

uint32_t csr(HostDriver& d, uint32_t offset) { return d.read32(hw::kCsrBase + offset); }

}  // namespace

TEST_CASE("the accelerator identifies itself and its capacity", "[rtl]") {
  SimController c(make_device({}));
  HostDriver d(c);
  c.reset();
  CHECK(csr(d, hw::kCsrId) == hw::kIdValue);
  const hw::CsrParams params = hw::CsrParams::unpack(csr(d, hw::kCsrParams));
  CHECK(params.rows == static_cast<uint32_t>(c.device().rows()));
  CHECK(params.cols == static_cast<uint32_t>(c.device().cols()));
  CHECK(csr(d, hw::kCsrActWords) == hw::kThisBuild.act_words);
  CHECK(hw::CsrStatus::unpack(csr(d, hw::kCsrStatus)).busy == 0);
}

TEST_CASE("every CSR reads back as the host interface description says", "[rtl][csr]") {
  SimController c(make_device({}));
  HostDriver d(c);
  c.reset();
  const std::vector<std::string> problems = check_csr_readback(d);
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("the sequencer refuses bad descriptors, and more layers or slots than its tables hold, with an error code", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, rtl());
  HostDriver& d = s.driver();
  auto run_and_status = [&] {
    d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
    d.wait_done(100000);
    const hw::CsrStatus status = hw::CsrStatus::unpack(csr(d, hw::kCsrStatus));
    d.write32(hw::kCsrBase + hw::kCsrStatus, hw::CsrStatus{.done = 1}.pack());
    return status;
  };
  const uint32_t step1 = hw::kDescBase + static_cast<uint32_t>(hw::desc_entry_bytes());
  d.write32(step1 + 4 * hw::kDescMode, hw::DescMode{.bits = 9}.pack());
  hw::CsrStatus status = run_and_status();
  CHECK(status.error == 1);
  CHECK(status.error_code == hw::Error::kBadConfig);
  CHECK(status.layer == 1);
  d.write32(step1 + 4 * hw::kDescMode, hw::DescMode{.bits = 8}.pack());
  d.write32(step1 + 4 * hw::kDescInBase, 0x7fffffff);  // input outside the memory
  CHECK(run_and_status().error_code == hw::Error::kActRange);
  d.write32(hw::kCsrBase + hw::kCsrNumLayers, 200);  // more layers than the table holds
  CHECK(run_and_status().error_code == hw::Error::kLayers);
  // More PCU slots than the slot table holds would alias slots.
  d.write32(step1 + 4 * hw::kDescInBase, s.image().descriptors[1][hw::kDescInBase]);
  d.write32(hw::kCsrBase + hw::kCsrNumLayers, static_cast<uint32_t>(s.image().descriptors.size()));
  REQUIRE(run_and_status().error == 0);
  d.write32(hw::kCsrBase + hw::kCsrNumSlots, static_cast<uint32_t>(s.limits().max_layers));  // every slot: legal
  CHECK(run_and_status().error == 0);
  d.write32(hw::kCsrBase + hw::kCsrNumSlots, static_cast<uint32_t>(s.limits().max_layers + 1));
  const hw::CsrStatus slots = run_and_status();
  CHECK(slots.error == 1);
  CHECK(slots.error_code == hw::Error::kLayers);
}

TEST_CASE("every descriptor fault stops the run at its step with its error code", "[rtl][fault]") {
  Mlp m;
  // An adaptive program, so that there are scan steps to break.
  std::string policy;
  const NetworkProgram adaptive = random_policy_program(m.program, 11, policy);
  for (hw::Error code : descriptor_fault_codes()) {
    INFO("error code " << static_cast<uint32_t>(code) << ", policy " << policy);
    AcceleratorSession s(adaptive, rtl());
    std::mt19937_64 rng(static_cast<uint64_t>(code));
    const auto fault = plan_descriptor_fault(s.image(), s.limits(), code, rng);
    REQUIRE(fault);
    CHECK(check_descriptor_fault(s, *fault, 1'000'000) == "");
  }
}

TEST_CASE("a weight tile too large and weight parts larger than a slot both stop the run", "[rtl][fault]") {
  Mlp m;
  std::set<std::string> kinds;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    AcceleratorSession s(m.program, rtl());
    std::mt19937_64 rng(seed);
    const auto fault = plan_descriptor_fault(s.image(), s.limits(), hw::Error::kWgtRange, rng);
    REQUIRE(fault);
    INFO(fault->what);
    kinds.insert(fault->what.find("parts") != std::string::npos ? "parts" : "kernel");
    CHECK(check_descriptor_fault(s, *fault, 1'000'000) == "");
  }
  CHECK(kinds.size() == 2);
}

namespace {

// The words a step's weight tile holds after its header, as the sequencer
// counts them from the descriptor (a depthwise tile: its own block per tap).
int64_t tile_words(const Descriptor& d) {
  const auto k = hw::DescKernel::unpack(d[hw::kDescKernel]);
  const int64_t blocks = hw::DescMode::unpack(d[hw::kDescMode]).depthwise
                             ? 1
                             : hw::DescChans::unpack(d[hw::kDescChans]).in_cb;
  return int64_t{k.kernel_h} * k.kernel_w * blocks;
}

uint32_t parts_word(int64_t parts, int64_t words) {
  return hw::DescWgtParts{.parts = static_cast<uint32_t>(parts), .part_words = static_cast<uint32_t>(words)}.pack();
}

// The first step of a random network's image that `wanted` accepts, with
// its session (the networks of the regression, searched in seed order).
struct FoundStep {
  std::unique_ptr<AcceleratorSession> session;
  int step = -1;
};
template <typename Wanted>
FoundStep find_step(const RandomNetworkOptions& options, Wanted wanted) {
  const HardwareLimits limits = hardware_limits(hw::kThisBuild);
  for (uint64_t seed = 1; seed < 4000; ++seed) {
    const RandomCase c = random_case(seed, limits, options);
    if (c.policy != "static") continue;
    const ProgramImage image = build_image(c.program, c.configs, limits,
                                           plan_memory(c.program, limits, limits.act_words, 1 << 26));
    for (size_t s = 0; s < image.descriptors.size(); ++s)
      if (wanted(image.descriptors[s])) return {std::make_unique<AcceleratorSession>(c.program, rtl()), static_cast<int>(s)};
  }
  FAIL("no random network has such a step");
  return {};
}

}  // namespace

// Each rule of the weight parts, broken alone on a step that is otherwise
// valid, stops the run with the weight-range error; other parts that hold
// the tile run.
TEST_CASE("each weight-parts rule refuses a descriptor on its own", "[rtl][fault]") {
  const auto slot = static_cast<int64_t>(hw::kThisBuild.wgt_words / 2);
  auto expect_refused = [](FoundStep& f, uint32_t value, const std::string& what) {
    INFO(what);
    const DescriptorFault fault{hw::Error::kWgtRange, f.step, {{hw::kDescWgtParts, value}}, 0, what};
    CHECK(check_descriptor_fault(*f.session, fault, 10'000'000) == "");
  };
  SECTION("on a step loaded in parts") {
    RandomNetworkOptions fc;
    fc.convolutions = false;
    FoundStep f = find_step(fc, [](const Descriptor& d) { return hw::DescWgtParts::unpack(d[hw::kDescWgtParts]).parts > 1; });
    const Descriptor& d = f.session->image().descriptors[static_cast<size_t>(f.step)];
    const int64_t r = tile_words(d);
    const auto ok = hw::DescWgtParts::unpack(d[hw::kDescWgtParts]);
    REQUIRE(r > slot - 1);
    expect_refused(f, parts_word((r + slot - 1) / slot, slot), "parts that add up, each the slot's size");
    expect_refused(f, parts_word(ok.parts + 1, ok.part_words), "one part more than the words need");
    expect_refused(f, parts_word(ok.parts, ok.part_words - 1), "parts one word short of the tile");
    // Other parts that hold the tile and fit the slot run to the end.
    HostDriver& host = f.session->driver();
    host.write32(descriptor_address(static_cast<size_t>(f.step), hw::kDescWgtParts),
                 parts_word(ok.parts + 1, (r + ok.parts) / (ok.parts + 1)));
    host.write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
    host.wait_done(10'000'000);
    CHECK(hw::CsrStatus::unpack(csr(host, hw::kCsrStatus)).error == 0);
  }
  auto split_in_two = [](const Descriptor& d) { return parts_word(2, (tile_words(d) + 1) / 2); };
  auto kind = [](const Descriptor& d) { return hw::DescMode::unpack(d[hw::kDescMode]); };
  SECTION("on a convolution of more than one output pixel") {
    FoundStep f = find_step({}, [&](const Descriptor& d) {
      const auto out = hw::DescOutHw::unpack(d[hw::kDescOutHw]);
      return kind(d).kind == hw::LayerKind::kConv && !kind(d).depthwise && out.out_h * out.out_w > 1 &&
             tile_words(d) >= 2;
    });
    expect_refused(f, split_in_two(f.session->image().descriptors[static_cast<size_t>(f.step)]), "a map in parts");
  }
  SECTION("on a depthwise convolution of one output pixel") {
    FoundStep f = find_step({}, [&](const Descriptor& d) {
      const auto out = hw::DescOutHw::unpack(d[hw::kDescOutHw]);
      return kind(d).kind == hw::LayerKind::kConv && kind(d).depthwise && out.out_h == 1 && out.out_w == 1 &&
             tile_words(d) >= 2;
    });
    expect_refused(f, split_in_two(f.session->image().descriptors[static_cast<size_t>(f.step)]), "depthwise in parts");
  }
  SECTION("on a pooling step") {
    FoundStep f = find_step({}, [&](const Descriptor& d) {
      const auto out = hw::DescOutHw::unpack(d[hw::kDescOutHw]);
      return kind(d).kind == hw::LayerKind::kMaxPool && out.out_h == 1 && out.out_w == 1 && tile_words(d) >= 2;
    });
    expect_refused(f, split_in_two(f.session->image().descriptors[static_cast<size_t>(f.step)]), "pooling in parts");
  }
}

TEST_CASE("the descriptor fault check fails when the RTL answers otherwise", "[rtl][fault]") {
  Mlp m;
  AcceleratorSession s(m.program, rtl());
  std::mt19937_64 rng(1);
  auto fault = plan_descriptor_fault(s.image(), s.limits(), hw::Error::kShape, rng);
  REQUIRE(fault);
  fault->code = hw::Error::kActRange;  // planted: not what this fault provokes
  CHECK_THAT(check_descriptor_fault(s, *fault, 1'000'000), Catch::Contains("the RTL stopped with error 1 code 6"));
}

TEST_CASE("host protocol violations fire the RTL's assertions", "[rtl]") {
  SECTION("an unmapped address") {
    SimController c(make_device({}));
    c.reset();
    CHECK_THROWS_AS(c.step({true, false, 0x0500'0000, 0}), RtlAssertion);
  }
  SECTION("a request that changes while waiting for ready") {
    Mlp m;
    AcceleratorSession s(m.program, rtl());
    SimController& c = s.driver().controller();
    s.driver().write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
    // While busy, memory requests wait: this one is not taken...
    REQUIRE_FALSE(c.step({true, true, hw::kActBase, 1}).req_ready);
    // ...and must not change before it is.
    CHECK_THROWS_AS(c.step({true, true, hw::kActBase + 4, 1}), RtlAssertion);
  }
}

TEST_CASE("random initial state: it differs by seed, and the results do not", "[rtl]") {
  // The memories have no reset: what they hold before the host writes them
  // is the random initial state itself.
  auto power_up = [](uint64_t seed, bool random) {
    SimController c(make_device({seed, random}));
    HostDriver d(c);
    c.reset();
    return d.read_bytes(hw::kActBase, 64);
  };
  const auto a = power_up(1, true), b = power_up(2, true), zero = power_up(1, false);
  CHECK(a != b);
  CHECK(a != zero);
  CHECK(zero == std::vector<uint8_t>(64, 0));
  Mlp m;
  for (uint64_t seed : {1, 2, 3, 17, 12345}) {
    SessionOptions o;
    o.device.seed = seed;
    AcceleratorSession s(m.program, rtl(o));
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
  AcceleratorSession s(m.program, rtl(o));
  Scoreboard sb;
  for (int i = 0; i < 5; ++i) CHECK(s.run(i, m.input(i), m.expected(i), sb).passed);
  CHECK(sb.counts().elements_compared == 5 * (64 + 32 + 10));
  CHECK(s.driver().stall_cycles() > 100);  // the stalls happened
}

TEST_CASE("the interrupt follows done only when enabled, and writing 1 to status.done clears both", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, rtl());
  HostDriver& d = s.driver();
  for (const uint32_t enable : {0u, 1u}) {
    CAPTURE(enable);
    d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1, .irq_enable = enable}.pack());
    const DeviceOutputs done = d.wait_done(100000);
    CHECK(done.done);
    CHECK(done.irq == (enable == 1));
    d.idle(5);  // done and the interrupt hold until the host clears them
    CHECK(hw::CsrStatus::unpack(csr(d, hw::kCsrStatus)).done == 1);
    const DeviceOutputs held = d.controller().step({});
    CHECK((held.done && held.irq == (enable == 1)));
    d.write32(hw::kCsrBase + hw::kCsrStatus, hw::CsrStatus{.done = 1}.pack());
    const DeviceOutputs cleared = d.controller().step({});
    CHECK(!cleared.done);
    CHECK(!cleared.irq);
    CHECK(hw::CsrStatus::unpack(csr(d, hw::kCsrStatus)).done == 0);
  }
}

TEST_CASE("reset in the middle of an inference, then a clean run", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, rtl());
  HostDriver& d = s.driver();
  d.write_bytes(hw::kActBase, std::vector<uint8_t>(64, 200));
  d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
  d.idle(300);  // well inside fc1
  REQUIRE(hw::CsrStatus::unpack(csr(d, hw::kCsrStatus)).busy == 1);
  s.restart();
  CHECK(hw::CsrStatus::unpack(csr(d, hw::kCsrStatus)).busy == 0);
  Scoreboard sb;
  for (int i = 0; i < 3; ++i) CHECK(s.run(i, m.input(i), m.expected(i), sb).passed);
}

TEST_CASE("back-to-back inputs at changing precisions", "[rtl]") {
  Mlp m;
  AcceleratorSession s(m.program, rtl());
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

TEST_CASE("the memory port, front door: a load lands in the scratchpad, a store writes exactly the output", "[rtl][memory]") {
  // A 1x1 max pool copies its input: the step loads 300 words (two bursts)
  // through the port, and stores them back to the output's place.
  Layer copy;
  copy.name = "copy";
  copy.kind = LayerKind::MaxPool;
  copy.in_shape = copy.out_shape = {16, 10, 15};
  NetworkProgram p;
  p.source = "copy";
  p.input_shape = copy.in_shape;
  p.layers = {copy};
  validate_program(p);
  SessionOptions o = rtl();
  o.memory.latency = 7;
  o.memory.bytes_per_cycle = 2;
  AcceleratorSession s(p, o);
  const MemoryPlan& plan = s.platform().plan;
  REQUIRE(tensor_words(p.input_shape, 8) == 300);
  Codes in(static_cast<size_t>(p.input_shape.size()));
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7 + 3);
  Scoreboard sb;
  const InputRun r = s.run(0, in, execute_program(p, in, {static_config(8)}), sb);
  CHECK(r.passed);
  CHECK(r.output == in);
  CHECK(r.mem_beats == 600);
  // the load put the input where the step read it
  const auto word_bytes = static_cast<size_t>(hw::act_word_bytes(8));
  CHECK(s.driver().read_bytes(hw::kActBase + static_cast<uint32_t>(plan.steps[0].in_base * 8), 300 * word_bytes) ==
        pack_tensor(in, p.input_shape, 8));
  // the store wrote the output's 2400 bytes and nothing past them
  CHECK(s.memory().read(plan.output_ext, 2400) == pack_tensor(in, p.input_shape, 8));
  CHECK(s.memory().read(plan.output_ext + 2400, 8) == std::vector<uint8_t>(8, 0));
}

TEST_CASE("a memory that answers out of protocol stops the run with the port's error", "[rtl][memory]") {
  Mlp m;
  SessionOptions o = rtl();
  o.memory.size_bytes = 16384;  // the image fits; a read past it does not
  AcceleratorSession s(m.program, o);
  HostDriver& d = s.driver();
  // Point step 0's input load past the end of the memory.
  d.write32(hw::kDescBase + 4 * hw::kDescExtIn, 16384 - 8);
  d.write32(hw::kCsrBase + hw::kCsrCtrl, hw::CsrCtrl{.start = 1}.pack());
  CHECK_THROWS_WITH(d.wait_done(100000), Catch::Contains("memory port: a read burst of 8 beats at 0x3ff8") &&
                                             Catch::Contains("runs past the memory's 16384 bytes"));
}
