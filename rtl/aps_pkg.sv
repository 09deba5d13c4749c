// APS accelerator: shared constants, the host address map, the layer
// descriptor layout, and the number rules of the accelerator path.
//
// The number rules are the RTL twins of golden/: reduce_code mirrors
// golden/precision_reduction.hpp; srdhm, rdbpot and requantize mirror
// golden/rounding.hpp and golden/requantize.hpp. Change one side, change both;
// the co-simulation scoreboard proves they agree bit for bit.
package aps_pkg;
  // A shared header of constants: not every user needs every one of them.
  /* verilator lint_off UNUSEDPARAM */

  // ---------------------------------------------------------------------------
  // Host address map (byte addresses; the host port moves 32-bit words)
  // ---------------------------------------------------------------------------
  localparam logic [31:0] CsrBase   = 32'h0000_0000;  // control/status, perf counters
  localparam logic [31:0] DescBase  = 32'h0001_0000;  // layer descriptors: 64 B per layer
  localparam logic [31:0] ParamBase = 32'h0002_0000;  // per-output-channel parameters: 16 B each
  localparam logic [31:0] PcuBase   = 32'h0003_0000;  // PCU slot table: 64 B per slot
  localparam logic [31:0] SaeBase   = 32'h0004_0000;  // SAE slice entries: 32 B each
  localparam logic [31:0] WgtBase   = 32'h0100_0000;  // weight memory (tile words)
  localparam logic [31:0] ActBase   = 32'h0200_0000;  // activation memory (vector words)
  localparam logic [31:0] RegionMask = 32'hFF00_0000;

  // CSR offsets
  localparam logic [11:0] CsrId         = 12'h000;  // RO "APS1"
  localparam logic [11:0] CsrParams     = 12'h004;  // RO ROWS | COLS<<8 | MAX_LAYERS<<16
  localparam logic [11:0] CsrCtrl       = 12'h008;  // W: bit0 start, bit1 irq enable
  localparam logic [11:0] CsrStatus     = 12'h00C;  // R: bit0 busy, bit1 done, bit2 error, [15:8] layer, [23:16] error code; W1C done
  localparam logic [11:0] CsrNumLayers  = 12'h010;
  localparam logic [11:0] CsrCyclesLo   = 12'h014;  // cycles of the last run
  localparam logic [11:0] CsrCyclesHi   = 12'h018;
  localparam logic [11:0] CsrStalls     = 12'h01C;  // compute cycles lost waiting for writeback
  localparam logic [11:0] CsrActWords   = 12'h020;  // RO memory sizes
  localparam logic [11:0] CsrWgtWords   = 12'h024;
  localparam logic [11:0] CsrParamWords = 12'h028;
  localparam logic [11:0] CsrSaeEntries = 12'h02C;  // RO
  localparam logic [11:0] CsrPcuCandidates = 12'h030;  // count[3:0] c0[7:4] c1[11:8] c2[15:12] c3[19:16]
  localparam logic [11:0] CsrPcuFlags      = 12'h034;  // bit0 adaptive scaling, bit1 cascade, [15:8] margin threshold
  localparam logic [11:0] CsrBudgetLo      = 12'h038;  // budget in bit-MACs (0: none)
  localparam logic [11:0] CsrBudgetHi      = 12'h03C;
  localparam logic [11:0] CsrNumSlots      = 12'h040;
  localparam logic [11:0] CsrInputMax      = 12'h048;  // largest code of the input the host wrote
  localparam logic [11:0] CsrRunInfo       = 12'h04C;  // RO: bit0 re-run, [15:8] margin
  localparam logic [11:0] CsrPcuCycles     = 12'h050;  // RO: cycles in PCU decisions (pass 0)
  localparam logic [11:0] CsrSaeCycles     = 12'h054;  // RO: cycles in SAE scans (pass 0)
  localparam logic [11:0] CsrLayerCycles = 12'h100;    // + 4*step: cycles of each step, pass 0
  localparam logic [11:0] CsrLayerCycles1 = 12'h200;   // + 4*step: pass 1 (the cascade's re-run)
  localparam logic [11:0] CsrConfigs     = 12'h300;    // + 4*step: bits[3:0] act_shift[7:4] weight_shift[11:8], pass 0
  localparam logic [11:0] CsrConfigs1    = 12'h380;    // + 4*step: pass 1
  localparam logic [11:0] CsrMetrics     = 12'h400;    // + 8*(4*slot + c): 64-bit SAE metric (lo, hi)
  localparam logic [11:0] CsrSlotBits    = 12'h800;    // + 4*slot: the width the PCU decided (0 = none)
  localparam logic [31:0] IdValue = 32'h4150_5331;   // "APS1"

  // ---------------------------------------------------------------------------
  // Layer descriptor: 16 words per layer
  // ---------------------------------------------------------------------------
  localparam int DescWords = 16;
  localparam int DwMode    = 0;   // kind[3:0] relu[4] bits[11:8] act_shift[15:12] weight_shift[19:16]
  localparam int DwInBase  = 1;   // input tensor base (activation word address)
  localparam int DwOutBase = 2;   // output tensor base (activation word address)
  localparam int DwInHW    = 3;   // in_h[15:0] in_w[31:16]
  localparam int DwChans   = 4;   // in_cb[15:0] (input channel blocks) out_channels[31:16]
  localparam int DwOutHW   = 5;   // out_h[15:0] out_w[31:16]
  localparam int DwOutCb   = 6;   // out_cb[15:0] (channel blocks of the output layout)
  localparam int DwKernel  = 7;   // kernel_h[7:0] kernel_w[15:8] stride_h[23:16] stride_w[31:24]
  localparam int DwPad     = 8;   // pad_top[7:0] pad_left[15:8] dilation_h[23:16] dilation_w[31:24]
  localparam int DwWgtBase = 9;   // first weight tile word of the layer (Add: base of the second input)
  localparam int DwPrmBase = 10;  // first channel-parameter entry of the layer
  localparam int DwZp      = 11;  // in_zp[7:0] out_zp[15:8] in_b_zp[23:16]
  localparam int DwAddMultA = 12; // Add: Q0.31 multiplier of input A
  localparam int DwAddMultB = 13; // Add: Q0.31 multiplier of input B
  localparam int DwAddShift = 14; // Add: shift_a[7:0] shift_b[15:8] (signed), left_shift[23:16]
  // SAE scan steps
  localparam int DwScanBase = 12;  // first SAE slice entry
  localparam int DwScanCount = 13; // entries
  localparam int DwScanCtl = 14;   // slot[7:0] action[9:8] (0 none, 1 decide, 2 decide all)
  // PCU-controlled layers (any kind but Add uses words 12..14 freely; this is word 15)
  localparam int DwPcu = 15;       // slot[7:0] initial_bits[11:8] fallback_bits[15:12] enable[16] max_source[31:24]
                                   // (max_source: producer step + 1, 0 = the network input)

  typedef enum logic [3:0] {
    KindConv    = 4'd0,  // convolution; a fully connected layer is a 1x1 conv on a 1x1 image
    KindMaxPool = 4'd1,
    KindAvgPool = 4'd2,  // sum of (a - z) over the window, requantized
    KindAdd     = 4'd3,  // residual add of two tensors (TFLite's quantized add)
    KindScan    = 4'd4   // SAE scan (no output), then an optional PCU decision
  } layer_kind_e;

  // Mode word bit 25: a shadow step (the SAE's up-front copy), skipped by a re-run.
  localparam int ModeShadowBit = 25;

  // PCU slot table: 16 words per slot
  localparam int PwAlpha0 = 0;      // words 0..3: alpha per candidate (Q16)
  localparam int PwTauLo = 4;       // tau, 64 bits
  localparam int PwTauHi = 5;
  localparam int PwGroup = 6;       // group[7:0]
  localparam int PwMacs = 7;        // MACs of the slot's layer

  // Channel parameter entry: 4 words
  localparam int PwBias  = 0;  // int32, at the 8-bit accumulator scale
  localparam int PwMult  = 1;  // int32 Q0.31 multiplier
  localparam int PwShift = 2;  // int32 shift (> 0 left, < 0 right)

  // Error codes (STATUS[23:16])
  typedef enum logic [7:0] {
    ErrNone      = 8'd0,
    ErrBadKind   = 8'd1,
    ErrBadConfig = 8'd2,  // bits / shifts out of range
    ErrActRange  = 8'd3,  // input or output tensor outside the activation memory
    ErrWgtRange  = 8'd4,  // weights outside the weight memory
    ErrPrmRange  = 8'd5,  // channel parameters outside the parameter memory
    ErrShape     = 8'd6,  // empty or inconsistent shape
    ErrLayers    = 8'd7,  // more layers than the descriptor table holds
    ErrScan      = 8'd8   // an SAE scan outside its memories or for a slot that does not exist
  } error_e;

  // ---------------------------------------------------------------------------
  // Number rules
  // ---------------------------------------------------------------------------

  // 8 -> b bit reduction (golden/precision_reduction.hpp):
  //   bits == 8 and shift == 0: identity
  //   otherwise clamp((code + 2^(shift-1)) >>> shift, range_b), i.e. round half
  //   toward +infinity, with range_b = [0, 2^b-1] for unsigned codes and
  //   [-(2^(b-1)-1), 2^(b-1)-1] for signed codes.
  function automatic logic signed [9:0] reduce_code(input logic signed [9:0] code, input logic [3:0] bits,
                                                     input logic [3:0] shift, input logic is_signed);
    logic signed [10:0] rounded;
    logic signed [10:0] lo, hi;
    if (bits == 4'd8 && shift == 4'd0) return code;
    rounded = (shift == 4'd0) ? 11'(code) : (11'(code) + (11'sd1 <<< (shift - 4'd1))) >>> shift;
    if (is_signed) begin
      hi = (11'sd1 <<< (bits - 4'd1)) - 11'sd1;
      lo = -hi;
    end else begin
      hi = (11'sd1 <<< bits) - 11'sd1;
      lo = 11'sd0;
    end
    if (rounded > hi) return 10'(hi);
    if (rounded < lo) return 10'(lo);
    return 10'(rounded);
  endfunction

  function automatic logic signed [31:0] sat32(input logic signed [63:0] x);
    if (x > 64'sd2147483647) return 32'sh7fff_ffff;
    if (x < -64'sd2147483648) return 32'sh8000_0000;
    return x[31:0];
  endfunction

  // gemmlowp SaturatingRoundingDoublingHighMul: a*b / 2^31, nudged by 2^30
  // (or 1 - 2^30 for a negative product) and truncated toward zero.
  function automatic logic signed [31:0] srdhm(input logic signed [31:0] a, input logic signed [31:0] b);
    logic signed [63:0] ab, sum, q;
    if (a == 32'sh8000_0000 && b == 32'sh8000_0000) return 32'sh7fff_ffff;
    ab = 64'(a) * 64'(b);
    sum = ab + ((ab >= 0) ? 64'sd1073741824 : (64'sd1 - 64'sd1073741824));
    q = sum >>> 31;                                  // floor
    if (sum < 0 && sum[30:0] != 31'd0) q = q + 64'sd1;  // -> truncation toward zero
    return q[31:0];
  endfunction

  // gemmlowp RoundingDivideByPOT: x / 2^e, ties away from zero.
  function automatic logic signed [31:0] rdbpot(input logic signed [31:0] x, input logic [4:0] e);
    logic signed [31:0] mask, remainder, threshold;
    if (e == 5'd0) return x;
    mask = (32'sd1 <<< e) - 32'sd1;
    remainder = x & mask;
    threshold = (mask >>> 1) + ((x < 0) ? 32'sd1 : 32'sd0);
`ifdef APS_FAULT_REQUANT_ROUND
    // Planted fault: truncate instead of rounding.
    return x >>> e;
`else
    return (x >>> e) + ((remainder > threshold) ? 32'sd1 : 32'sd0);
`endif
  endfunction

  // SAE reduction error (golden/sae.hpp): (q - z) - ((reduce(q) - reduce(z)) << (8 - b)).
  function automatic logic signed [9:0] reduction_error(input logic [7:0] code, input logic [7:0] zp, input logic [3:0] bits);
    logic [3:0] sh;
    logic signed [9:0] r;
    sh = 4'd8 - bits;
    r = reduce_code(10'($signed({2'b00, code})), bits, sh, 1'b0) - reduce_code(10'($signed({2'b00, zp})), bits, sh, 1'b0);
    return 10'($signed({2'b00, code}) - $signed({2'b00, zp})) - 10'(r <<< sh);
  endfunction

  // MultiplyByQuantizedMultiplier (golden/requantize.hpp): x * mult * 2^(shift-31),
  // the left shift saturating.
  function automatic logic signed [31:0] mbqm(input logic signed [31:0] x, input logic signed [31:0] mult,
                                              input logic signed [31:0] shift);
    logic [4:0] left, right;
    left = (shift > 0) ? shift[4:0] : 5'd0;
    right = (shift < 0) ? 5'((-shift)) : 5'd0;
    return rdbpot(srdhm(sat32(64'(x) <<< left), mult), right);
  endfunction

  // Requantization (golden/requantize.hpp): int32 -> uint8 code.
  function automatic logic [7:0] requantize(input logic signed [31:0] acc, input logic signed [31:0] mult,
                                            input logic signed [31:0] shift, input logic [7:0] out_zp,
                                            input logic relu);
    logic signed [31:0] scaled;
    logic signed [63:0] y, lo;
    scaled = mbqm(acc, mult, shift);
    y = 64'(scaled) + 64'($signed({1'b0, out_zp}));
    lo = relu ? 64'($signed({1'b0, out_zp})) : 64'sd0;
    if (y < lo) y = lo;
    if (y > 64'sd255) y = 64'sd255;
    return y[7:0];
  endfunction

  /* verilator lint_on UNUSEDPARAM */
endpackage
