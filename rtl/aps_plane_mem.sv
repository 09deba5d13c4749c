// A buffer of 8-bit codes stored bit-plane by bit-plane: eight banks, bank j
// holding bit j of every code of a word. A read names how many planes, most
// significant first, it needs; the other banks stay idle and their bits read
// as 0. A layer at width b reads its operands this way: reduction_planes(shift)
// planes of each code (aps_pkg.sv), because nothing below them reaches the
// reduced value. So a narrow layer reads fewer bits from its buffers, as it
// moves fewer from external memory; the sequencer counts the planes it reads
// and golden/accelerator/energy_model.hpp charges them.
module aps_plane_mem #(
  parameter int WORDS = 1024,
  parameter int CODES = 8,   // 8-bit codes per word
  parameter int GRAIN = 8,   // bits per write enable: 8 (a code) or 1 (a bit)
  localparam int AW = $clog2(WORDS),
  localparam int ENABLES = 8 * CODES / GRAIN
) (
  input  logic                 clk_i,
  input  logic                 we_i,
  input  logic [AW-1:0]        waddr_i,
  input  logic [ENABLES-1:0]   wbe_i,
  input  logic [8*CODES-1:0]   wdata_i,
  input  logic                 re_i,
  input  logic [AW-1:0]        raddr_i,
  input  logic [3:0]           planes_i,  // 1..8: the most significant planes this read needs
  output logic [8*CODES-1:0]   rdata_o
);
  logic [7:0] read_banks, banks_q;
  assign read_banks = 8'hFF << (4'd8 - planes_i);

  // The banks the last read enabled: the others' bits read as 0 until the
  // next read, as the read port holds its word.
  always_ff @(posedge clk_i) if (re_i) banks_q <= read_banks;

  // The enabled bits of `plane` in new_word over old_word. Called in the
  // clocked block, only when writing: as wiring the enables' expansion would
  // be re-evaluated whenever a top-level input moves, which is every cycle
  // (the weight buffer's writes come from the memory port's beat).
  function automatic logic [8*CODES-1:0] merge(logic [8*CODES-1:0] old_word, logic [8*CODES-1:0] new_word,
                                               logic [ENABLES-1:0] enables, logic [8*CODES-1:0] plane);
    logic [8*CODES-1:0] bits;
    if (GRAIN == 1) bits = (8*CODES)'(enables);
    else for (int e = 0; e < ENABLES; e++) bits[GRAIN*e +: GRAIN] = {GRAIN{enables[e]}};
    bits &= plane;
    return (old_word & ~bits) | (new_word & bits);
  endfunction

  // Bank j keeps bit j of each code in that bit's place in the word (the
  // bank's other bits are never read), so neither a write nor a read moves a
  // bit to another position: a simulator then spends whole-word operations,
  // not one per bit, on every word. The read port ORs the banks the last read
  // enabled.
  for (genvar j = 0; j < 8; j++) begin : g_bank
    localparam logic [8*CODES-1:0] Plane = {CODES{8'(1 << j)}};
    // The stored planes are left out of toggle coverage, as in aps_mem.
    /* verilator coverage_off */
    logic [8*CODES-1:0] mem [WORDS];
    /* verilator coverage_on */
    logic [8*CODES-1:0] rdata, upto;
    always_ff @(posedge clk_i) begin
      if (we_i) mem[waddr_i] <= merge(mem[waddr_i], wdata_i, wbe_i, Plane);
      if (re_i && read_banks[j]) rdata <= mem[raddr_i];
    end
    if (j == 0) begin : g_first
      assign upto = rdata & Plane & {8*CODES{banks_q[j]}};
    end else begin : g_next
      assign upto = g_bank[j-1].upto | (rdata & Plane & {8*CODES{banks_q[j]}});
    end
  end
  assign rdata_o = g_bank[7].upto;

`ifndef SYNTHESIS
  assert property (@(posedge clk_i) re_i |-> planes_i >= 4'd1 && planes_i <= 4'd8)
    else $error("aps_plane_mem: a read of %0d planes", planes_i);
`endif
endmodule
