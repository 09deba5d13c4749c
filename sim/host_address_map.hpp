#pragma once
// The accelerator's host address map and descriptor layout: the C++ twin of
// rtl/aps_pkg.sv (keep the two in step; the co-simulation tests fail fast
// when they are not).

#include <cstdint>

namespace aps::sim::hw {

inline constexpr uint32_t kCsrBase = 0x0000'0000;
inline constexpr uint32_t kDescBase = 0x0001'0000;
inline constexpr uint32_t kParamBase = 0x0002'0000;
inline constexpr uint32_t kWgtBase = 0x0100'0000;
inline constexpr uint32_t kActBase = 0x0200'0000;
inline constexpr uint32_t kPcuBase = 0x0003'0000;   // 64 B per slot
inline constexpr uint32_t kSaeBase = 0x0004'0000;   // one slice entry per sae_entry_bytes()

inline constexpr uint32_t kCsrId = 0x000;
inline constexpr uint32_t kCsrParams = 0x004;
inline constexpr uint32_t kCsrCtrl = 0x008;
inline constexpr uint32_t kCsrStatus = 0x00C;
inline constexpr uint32_t kCsrNumLayers = 0x010;
inline constexpr uint32_t kCsrCyclesLo = 0x014;
inline constexpr uint32_t kCsrCyclesHi = 0x018;
inline constexpr uint32_t kCsrStalls = 0x01C;
inline constexpr uint32_t kCsrActWords = 0x020;
inline constexpr uint32_t kCsrWgtWords = 0x024;
inline constexpr uint32_t kCsrParamWords = 0x028;
inline constexpr uint32_t kCsrSaeEntries = 0x02C;
inline constexpr uint32_t kCsrPcuCandidates = 0x030;
inline constexpr uint32_t kCsrPcuFlags = 0x034;
inline constexpr uint32_t kCsrBudgetLo = 0x038;
inline constexpr uint32_t kCsrBudgetHi = 0x03C;
inline constexpr uint32_t kCsrNumSlots = 0x040;
inline constexpr uint32_t kCsrInputMax = 0x048;
inline constexpr uint32_t kCsrRunInfo = 0x04C;
inline constexpr uint32_t kCsrPcuCycles = 0x050;
inline constexpr uint32_t kCsrLayerCycles = 0x100;
inline constexpr uint32_t kCsrLayerCycles1 = 0x200;
inline constexpr uint32_t kCsrConfigs = 0x300;
inline constexpr uint32_t kCsrConfigs1 = 0x380;
inline constexpr uint32_t kCsrMetrics = 0x400;
inline constexpr uint32_t kCsrSlotBits = 0x800;
inline constexpr int kMaxSteps = 32;  // the CSR logs hold 32 steps
inline constexpr uint32_t kIdValue = 0x4150'5331;  // "APS1"

inline constexpr uint32_t kCtrlStart = 1u << 0;
inline constexpr uint32_t kCtrlIrqEnable = 1u << 1;
inline constexpr uint32_t kStatusBusy = 1u << 0;
inline constexpr uint32_t kStatusDone = 1u << 1;
inline constexpr uint32_t kStatusError = 1u << 2;

inline constexpr int kDescWords = 16;
inline constexpr int kParamWords = 4;
inline constexpr int kMaxLayersInCsrSpace = 191;

enum DescriptorWord : int {
  kDwMode = 0,     // kind[3:0] relu[4] bits[11:8] act_shift[15:12] weight_shift[19:16]
  kDwInBase = 1,
  kDwOutBase = 2,
  kDwInHW = 3,     // in_h[15:0] in_w[31:16]
  kDwChans = 4,    // in_cb[15:0] out_channels[31:16]
  kDwOutHW = 5,    // out_h[15:0] out_w[31:16]
  kDwOutCb = 6,
  kDwKernel = 7,   // kernel_h[7:0] kernel_w[15:8] stride_h[23:16] stride_w[31:24]
  kDwPad = 8,      // pad_top[7:0] pad_left[15:8] dilation_h[23:16] dilation_w[31:24]
  kDwWgtBase = 9,  // Add: base of the second input
  kDwPrmBase = 10,
  kDwZp = 11,      // in_zp[7:0] out_zp[15:8] in_b_zp[23:16]
  kDwAddMultA = 12,
  kDwAddMultB = 13,
  kDwAddShift = 14,  // shift_a[7:0] shift_b[15:8] (signed) left_shift[23:16]
  kDwScanBase = 12,  // SAE scans: first slice entry
  kDwScanCount = 13, // entries
  kDwScanCtl = 14,   // slot[7:0] action[9:8]
  kDwPcu = 15,       // slot[7:0] initial_bits[11:8] fallback_bits[15:12] enable[16] max_source[31:24]
};
inline constexpr uint32_t kModeShadow = 1u << 25;

// PCU slot table words
inline constexpr int kPwAlpha0 = 0;
inline constexpr int kPwTauLo = 4;
inline constexpr int kPwTauHi = 5;
inline constexpr int kPwGroup = 6;
inline constexpr int kPwMacs = 7;

// Bytes of one SAE slice entry: the word address, then 16 bits per lane,
// padded to a power of two.
inline constexpr int sae_entry_bytes(int rows) {
  const int used = 4 + 2 * rows;
  return used <= 16 ? 16 : used <= 32 ? 32 : 64;
}

inline constexpr uint32_t kKindConv = 0;
inline constexpr uint32_t kKindMaxPool = 1;
inline constexpr uint32_t kKindAvgPool = 2;
inline constexpr uint32_t kKindAdd = 3;
inline constexpr uint32_t kKindScan = 4;

// STATUS[23:16] error codes
inline const char* error_name(uint32_t code) {
  switch (code) {
    case 0: return "none";
    case 1: return "bad layer kind";
    case 2: return "precision or shift out of range";
    case 3: return "tensor outside the activation memory";
    case 4: return "weights outside the weight memory";
    case 5: return "channel parameters outside the parameter memory";
    case 6: return "empty or inconsistent shape";
    case 7: return "more layers than the descriptor table holds";
    case 8: return "an SAE scan outside its memories or for a slot that does not exist";
    default: return "unknown error";
  }
}

}  // namespace aps::sim::hw
