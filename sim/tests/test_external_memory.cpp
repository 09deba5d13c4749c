// The external memory's port model: the timing the golden cycle model
// assumes, and the protocol errors it reports.

#include <catch2/catch.hpp>

#include "golden/accelerator/memory_plan.hpp"
#include "sim/external_memory.hpp"

using namespace aps;
using namespace aps::sim;

namespace {

MemoryTiming timing(int64_t latency, int64_t bytes_per_cycle) {
  MemoryTiming t;
  t.latency = latency;
  t.bytes_per_cycle = bytes_per_cycle;
  t.size_bytes = 1 << 16;
  return t;
}

// One cycle of the port: the memory drives, the "device" answers with `out`.
DeviceInputs cycle(ExternalMemory& m, int64_t c, const DeviceOutputs& out) {
  DeviceInputs in;
  m.drive(c, in);
  m.commit(c, in, out);
  return in;
}

}  // namespace

TEST_CASE("a read burst answers beat k at request + latency + k * period", "[memory]") {
  ExternalMemory m(timing(5, 4), 8);  // 8-byte beats, one every 2 cycles
  std::vector<uint8_t> data(24);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i + 1);
  m.write(64, data);
  DeviceOutputs req;
  req.mem_req_valid = true;
  req.mem_req_addr = 64;
  req.mem_req_beats = 3;
  req.mem_rsp_ready = true;
  CHECK(cycle(m, 10, req).mem_req_ready);  // taken at cycle 10
  DeviceOutputs idle;
  idle.mem_rsp_ready = true;
  std::vector<int64_t> beats;
  for (int64_t c = 11; c < 30; ++c) {
    const DeviceInputs in = cycle(m, c, idle);
    CHECK(!in.mem_req_ready);
    if (in.mem_rsp_valid) {
      beats.push_back(c);
      CHECK(in.mem_rsp_data[0] == 1 + 8 * (beats.size() - 1));
    }
    if (beats.size() == 3) break;
  }
  CHECK(beats == std::vector<int64_t>{15, 17, 19});
  CHECK(cycle(m, 20, idle).mem_req_ready);
  CHECK(m.error().empty());
  CHECK(m.beats() == 3);
}

TEST_CASE("a write burst takes a beat per period, then answers after the latency", "[memory]") {
  ExternalMemory m(timing(3, 8), 8);
  DeviceOutputs req;
  req.mem_req_valid = true;
  req.mem_req_write = true;
  req.mem_req_addr = 0;
  req.mem_req_beats = 2;
  cycle(m, 0, req);
  DeviceOutputs data;
  data.mem_wvalid = true;
  data.mem_rsp_ready = true;
  data.mem_wdata[0] = 0x11;
  CHECK(cycle(m, 1, data).mem_wready);
  data.mem_wdata[0] = 0x22;
  CHECK(cycle(m, 2, data).mem_wready);
  DeviceOutputs wait;
  wait.mem_rsp_ready = true;
  CHECK(!cycle(m, 4, wait).mem_rsp_valid);
  CHECK(cycle(m, 5, wait).mem_rsp_valid);  // last beat at 2, latency 3
  CHECK(m.read(0, 9) == std::vector<uint8_t>{0x11, 0, 0, 0, 0, 0, 0, 0, 0x22});
  CHECK(m.error().empty());
}

TEST_CASE("memory never written reads as a fill pattern, not zeros", "[memory]") {
  ExternalMemory m(timing(1, 8), 8);
  CHECK(m.read(1000, 2) == std::vector<uint8_t>{0xA5, 0xA5});
  CHECK_THROWS_AS(m.read(65535, 2), std::out_of_range);
}

TEST_CASE("protocol errors: bursts past the end, unaligned, empty or too long, stray write beats", "[memory]") {
  auto error_of = [](DeviceOutputs out) {
    ExternalMemory m(timing(1, 8), 8);
    cycle(m, 0, out);
    return m.error();
  };
  DeviceOutputs r;
  r.mem_req_valid = true;
  r.mem_req_beats = 2;
  r.mem_req_addr = 65536 - 8;
  CHECK_THAT(error_of(r), Catch::Contains("runs past the memory's 65536 bytes"));
  r.mem_req_addr = 4;
  CHECK_THAT(error_of(r), Catch::Contains("not a multiple of the 8-byte beat"));
  r.mem_req_addr = 0;
  r.mem_req_beats = 0;
  CHECK_THAT(error_of(r), Catch::Contains("a burst of 0 beats"));
  r.mem_req_beats = 257;
  CHECK_THAT(error_of(r), Catch::Contains("a burst of 257 beats"));
  DeviceOutputs stray;
  stray.mem_wvalid = true;
  CHECK_THAT(error_of(stray), Catch::Contains("a write beat with no write burst"));
}
