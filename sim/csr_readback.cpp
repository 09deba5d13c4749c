#include "sim/csr_readback.hpp"

#include <fmt/format.h>

#include "generated/host_interface.hpp"

namespace aps::sim {

std::vector<std::string> check_csr_readback(HostDriver& driver) {
  std::vector<std::string> problems;
  auto expect = [&](std::string_view name, uint32_t offset, uint32_t want, const char* when) {
    const uint32_t got = driver.read32(hw::kCsrBase + offset);
    if (got != want)
      problems.push_back(fmt::format("{} (0x{:03x}) {}: read 0x{:08x}, the description says 0x{:08x}", name, offset,
                                     when, got, want));
  };
  // Each word of each log array: visit(name of its entry, its offset).
  const auto for_each_log_word = [](auto&& visit) {
    for (const hw::CsrArrayInfo& a : hw::kCsrArrayTable)
      for (uint32_t i = 0; i < a.count; ++i)
        for (uint32_t word = 0; word < a.width / 32; ++word)
          visit(fmt::format("{}[{}]", a.name, i), a.offset + i * a.stride + 4 * word);
  };
  // Every register at its reset value, every log entry 0, every free offset
  // the unmapped marker: after reset, and again after all the writes below
  // (a write decoded onto another register shows there).
  const auto check_map = [&](const char* when, const char* unmapped_when) {
    std::vector<bool> mapped(hw::kCsrSpan / 4, false);
    for (const hw::CsrInfo& c : hw::kCsrTable) {
      mapped[c.offset / 4] = true;
      if (c.readable) expect(c.name, c.offset, c.reset, when);
    }
    for_each_log_word([&](const std::string& name, uint32_t offset) {
      mapped[offset / 4] = true;
      expect(name, offset, 0, when);
    });
    for (uint32_t w = 0; w < mapped.size(); ++w)
      if (!mapped[w]) expect("unmapped offset", 4 * w, hw::kCsrUnmapped, unmapped_when);
  };
  check_map("after reset", "(no register)");
  for (const hw::CsrInfo& c : hw::kCsrTable) {
    if (!c.write_mask) continue;
    driver.write32(hw::kCsrBase + c.offset, c.write_mask);
    if (c.readable) expect(c.name, c.offset, (c.reset & ~c.write_mask) | c.write_mask, "after writing ones");
    driver.write32(hw::kCsrBase + c.offset, 0);
    if (c.readable) expect(c.name, c.offset, c.reset & ~c.write_mask, "after writing zeros");
    driver.write32(hw::kCsrBase + c.offset, c.reset);
  }
  // A write leaves every bit it cannot set as it was: a counter or log that
  // took a host write would pass for what the run measured. The acting bits
  // (start, write-1-to-clear) are left alone; read-write bits get their reset.
  for (const hw::CsrInfo& c : hw::kCsrTable) {
    const uint32_t inert = ~(c.write_mask | c.action_mask);
    if (!c.readable || !inert) continue;
    driver.write32(hw::kCsrBase + c.offset, inert | (c.reset & c.write_mask));
    expect(c.name, c.offset, c.reset, "after writing ones to its read-only bits");
    driver.write32(hw::kCsrBase + c.offset, c.reset & c.write_mask);
    expect(c.name, c.offset, c.reset, "after writing zeros to its read-only bits");
  }
  for_each_log_word([&](const std::string& name, uint32_t offset) {
    driver.write32(hw::kCsrBase + offset, 0xffffffffu);
    expect(name, offset, 0, "after writing ones");
  });
  check_map("after the writes", "(no register) after the writes");
  return problems;
}

}  // namespace aps::sim
