// APS accelerator: the number rules of the accelerator path. The host
// interface (addresses, registers, descriptor layout, error codes) is the
// generated package aps_host_if_pkg (rtl/aps_host_interface.json).
//
// The number rules are the RTL twins of golden/: reduce_code mirrors
// golden/numerics/precision_reduction.hpp; weight_operand, weight_zp_operand,
// weight_operand_shift and weight_planes mirror
// golden/numerics/weight_reduction.hpp; mbqm and requantize mirror
// golden/numerics/rounding.hpp and golden/numerics/requantize.hpp. Change one side, change both;
// the co-simulation scoreboard proves they agree bit for bit.
// Planted faults (rtl/CMakeLists.txt, APS_FAULTS): a site reads
// `APS_PLANTED(CONST) and keeps the real logic when it is false. Outside the
// fault-injection build it is the constant 0, so the real RTL has no trace
// of them.
`ifdef APS_FAULT_INJECTION
`define APS_PLANTED(fault) (aps_fault_pkg::planted == aps_fault_pkg::fault)
`else
`define APS_PLANTED(fault) 1'b0
`endif

package aps_pkg;
  // What the DMA engine moves (rtl/aps_dma.sv); internal to the accelerator.
  typedef enum logic [1:0] {OpLoadAct, OpStoreAct, OpLoadWgt, OpLoadPrm} dma_op_e;

  // ---------------------------------------------------------------------------
  // Number rules
  // ---------------------------------------------------------------------------

  // 8 -> b bit reduction (golden/numerics/precision_reduction.hpp):
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

  // The bit-planes of an 8-bit code, most significant first, that its
  // reduction by `shift` reads (golden: reduction_planes): nothing below bit
  // shift - 1 reaches the result, so the DMA engine loads only these planes
  // of a weight tile and leaves the others 0.
  function automatic logic [3:0] reduction_planes(input logic [3:0] shift);
    return (shift <= 4'd1) ? 4'd8 : 4'd9 - shift;
  endfunction

  // The weight rules (golden/numerics/weight_reduction.hpp): rounding half up
  // (reduce_code), or the kept planes' midpoint, 2 * floor(w / 2^shift) + 1
  // half-steps, with the zero point rounded half up to the half-step grid.
  function automatic logic midpoint_rule(input logic midpoint, input logic [3:0] shift);
    return midpoint && shift != 4'd0;
  endfunction

  function automatic logic signed [9:0] weight_operand(input logic signed [9:0] code, input logic [3:0] bits,
                                                        input logic [3:0] shift, input logic midpoint);
    logic signed [9:0] kept, half;
    if (!midpoint_rule(midpoint, shift)) return reduce_code(code, bits, shift, 1'b1);
    kept = code >>> shift;
    half = 10'sd1 <<< (bits - 4'd1);
    if (kept > half - 10'sd1) kept = half - 10'sd1;
    if (kept < -half) kept = -half;
    return (kept <<< 1) + 10'sd1;
  endfunction

  function automatic logic signed [9:0] weight_zp_operand(input logic signed [9:0] zp, input logic [3:0] bits,
                                                           input logic [3:0] shift, input logic midpoint);
    if (!midpoint_rule(midpoint, shift)) return reduce_code(zp, bits, shift, 1'b1);
    if (`APS_PLANTED(WGT_ZP_MIDPOINT)) return weight_operand(zp, bits, shift, midpoint);  // planted fault
    return 10'((11'(zp) * 11'sd2 + (11'sd1 <<< (shift - 4'd1))) >>> shift);
  endfunction

  // How far left an accumulator of weight operands returns to the 8-bit scale.
  function automatic logic [3:0] weight_operand_shift(input logic [3:0] shift, input logic midpoint);
    return midpoint_rule(midpoint, shift) ? shift - 4'd1 : shift;
  endfunction

  // The weight planes a step reads.
  function automatic logic [3:0] weight_planes(input logic [3:0] shift, input logic midpoint);
    return midpoint_rule(midpoint, shift) ? 4'd8 - shift : reduction_planes(shift);
  endfunction

  // The planes of a zero point (a tile header) a step reads: it rounds at the operand's scale.
  function automatic logic [3:0] weight_zp_planes(input logic [3:0] shift, input logic midpoint);
    return reduction_planes(weight_operand_shift(shift, midpoint));
  endfunction

  function automatic logic signed [31:0] sat32(input logic signed [63:0] x);
    if (x > 64'sd2147483647) return 32'sh7fff_ffff;
    if (x < -64'sd2147483648) return 32'sh8000_0000;
    return x[31:0];
  endfunction

  // SAE reduction error (golden/accelerator/sae.hpp): (q - z) - ((reduce(q) - reduce(z)) << (8 - b)).
  function automatic logic signed [9:0] reduction_error(input logic [7:0] code, input logic [7:0] zp, input logic [3:0] bits);
    logic [3:0] sh;
    logic signed [9:0] r;
    sh = 4'd8 - bits;
    r = reduce_code(10'($signed({2'b00, code})), bits, sh, 1'b0) - reduce_code(10'($signed({2'b00, zp})), bits, sh, 1'b0);
    return 10'($signed({2'b00, code}) - $signed({2'b00, zp})) - 10'(r <<< sh);
  endfunction

  // multiply_by_quantized_multiplier (golden/numerics/requantize.hpp):
  // x * mult * 2^(shift-31), the left shift saturating, the 64-bit product
  // rounded once, half to even (|product| < 2^62, e <= 62).
  function automatic logic signed [31:0] mbqm(input logic signed [31:0] x, input logic signed [31:0] mult,
                                              input logic signed [31:0] shift);
    logic [4:0] left, right;
    logic [5:0] e;
    logic signed [63:0] product, quotient, remainder, half;
    left = (shift > 0) ? shift[4:0] : 5'd0;
    right = (shift < 0) ? 5'((-shift)) : 5'd0;
    e = 6'd31 + 6'(right);
    product = 64'(sat32(64'(x) <<< left)) * 64'(mult);
    quotient = product >>> e;
    if (`APS_PLANTED(REQUANT_ROUND)) return 32'(quotient);  // planted fault: truncate instead of rounding
    remainder = product - (quotient <<< e);
    half = 64'sd1 <<< (e - 6'd1);
    return 32'(quotient + ((remainder > half || (remainder == half && quotient[0])) ? 64'sd1 : 64'sd0));
  endfunction

  // Requantization (golden/numerics/requantize.hpp): int32 -> uint8 code.
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
endpackage
