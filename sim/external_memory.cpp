#include "sim/external_memory.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

#include "generated/host_interface.hpp"

namespace aps::sim {

ExternalMemory::ExternalMemory(const MemoryTiming& timing, int rows)
    : timing_(timing), rows_(rows), period_(timing.beat_cycles(rows)) {
  if (const std::string why = check_memory_timing(timing); !why.empty()) throw std::invalid_argument(why);
  pages_.resize(static_cast<size_t>((timing.size_bytes + kPageBytes - 1) / kPageBytes));
}

uint8_t* ExternalMemory::page(uint64_t address) {
  auto& p = pages_[address / kPageBytes];
  if (!p) {
    p = std::make_unique<uint8_t[]>(kPageBytes);
    std::memset(p.get(), kUnwritten, kPageBytes);
  }
  return p.get();
}

void ExternalMemory::write(uint64_t address, std::span<const uint8_t> bytes) {
  if (address + bytes.size() > static_cast<uint64_t>(size()))
    throw std::out_of_range(fmt::format("external memory: {} bytes at {:#x} run past its {} bytes", bytes.size(),
                                        address, size()));
  // Page by page: the image load writes megabytes.
  for (size_t done = 0; done < bytes.size();) {
    const uint64_t at = address + done;
    const size_t n = std::min<size_t>(bytes.size() - done, kPageBytes - at % kPageBytes);
    std::memcpy(page(at) + at % kPageBytes, bytes.data() + done, n);
    done += n;
  }
}

std::vector<uint8_t> ExternalMemory::read(uint64_t address, size_t count) const {
  if (address + count > static_cast<uint64_t>(size()))
    throw std::out_of_range(fmt::format("external memory: {} bytes at {:#x} run past its {} bytes", count, address,
                                        size()));
  std::vector<uint8_t> out(count, kUnwritten);
  for (size_t done = 0; done < count;) {
    const uint64_t at = address + done;
    const size_t n = std::min<size_t>(count - done, kPageBytes - at % kPageBytes);
    if (const auto& p = pages_[at / kPageBytes]) std::memcpy(out.data() + done, p.get() + at % kPageBytes, n);
    done += n;
  }
  return out;
}

void ExternalMemory::fail(const std::string& what) {
  if (error_.empty()) error_ = "memory port: " + what;
}

void ExternalMemory::reset_port() {
  busy_ = write_ = acking_ = false;
  beats_left_ = 0;
  waiting_since_ = -1;
}

void ExternalMemory::drive(int64_t cycle, DeviceInputs& in) const {
  in.mem_req_ready = !busy_ && (timing_.request_wait == 0 ||
                                (waiting_since_ >= 0 && cycle >= waiting_since_ + timing_.request_wait));
  in.mem_wready = busy_ && write_ && !acking_ && cycle >= next_beat_;
  in.mem_rsp_valid = busy_ && (write_ ? acking_ && cycle >= ack_at_ : cycle >= next_beat_);
  in.mem_rsp_data = {};
  // A beat is ROWS-aligned and never crosses a page.
  if (in.mem_rsp_valid && !write_) {
    if (const auto& p = pages_[address_ / kPageBytes])
      std::memcpy(in.mem_rsp_data.data(), p.get() + address_ % kPageBytes, static_cast<size_t>(rows_));
    else
      std::fill_n(in.mem_rsp_data.begin(), rows_, kUnwritten);
  }
}

void ExternalMemory::commit(int64_t cycle, const DeviceInputs& in, const DeviceOutputs& out) {
  if (out.mem_wvalid && !(busy_ && write_ && !acking_)) fail(fmt::format("a write beat with no write burst at cycle {}", cycle));
  if (busy_ && !write_ && in.mem_rsp_valid && out.mem_rsp_ready) {
    address_ += rows_;
    ++beats_;
    next_beat_ = std::max(next_beat_ + period_, cycle + 1);
    if (--beats_left_ == 0) busy_ = false;
  } else if (busy_ && write_ && in.mem_wready && out.mem_wvalid) {
    std::memcpy(page(address_) + address_ % kPageBytes, out.mem_wdata.data(), static_cast<size_t>(rows_));
    address_ += rows_;
    ++beats_;
    next_beat_ = cycle + period_;
    if (--beats_left_ == 0) {
      acking_ = true;
      ack_at_ = cycle + timing_.latency;
    }
  } else if (busy_ && write_ && acking_ && in.mem_rsp_valid && out.mem_rsp_ready) {
    busy_ = acking_ = false;
  }
  if (out.mem_req_valid && !in.mem_req_ready && !busy_ && waiting_since_ < 0) waiting_since_ = cycle;
  if (out.mem_req_valid && in.mem_req_ready) {
    waiting_since_ = -1;
    const uint64_t end = static_cast<uint64_t>(out.mem_req_addr) + uint64_t{out.mem_req_beats} * rows_;
    if (out.mem_req_beats == 0 || out.mem_req_beats > hw::kMaxBurst)
      return fail(fmt::format("a burst of {} beats at cycle {} (1..{})", out.mem_req_beats, cycle, hw::kMaxBurst));
    if (out.mem_req_addr % rows_ != 0)
      return fail(fmt::format("address {:#x} at cycle {} is not a multiple of the {}-byte beat", out.mem_req_addr,
                              cycle, rows_));
    if (end > static_cast<uint64_t>(size()))
      return fail(fmt::format("a {} burst of {} beats at {:#x} (cycle {}) runs past the memory's {} bytes",
                              out.mem_req_write ? "write" : "read", out.mem_req_beats, out.mem_req_addr, cycle, size()));
    busy_ = true;
    write_ = out.mem_req_write;
    address_ = out.mem_req_addr;
    beats_left_ = out.mem_req_beats;
    acking_ = false;
    next_beat_ = write_ ? cycle + 1 : cycle + timing_.latency;
  }
}

}  // namespace aps::sim
