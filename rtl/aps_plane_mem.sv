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

  logic [8*CODES-1:0] bit_enables;
  for (genvar i = 0; i < 8 * CODES; i++) begin : g_enable
    assign bit_enables[i] = wbe_i[i / GRAIN];
  end

  for (genvar j = 0; j < 8; j++) begin : g_bank
    logic [CODES-1:0] wdata, wbe, rdata;
    for (genvar i = 0; i < CODES; i++) begin : g_code
      assign wdata[i] = wdata_i[8*i + j];
      assign wbe[i] = bit_enables[8*i + j];
      assign rdata_o[8*i + j] = rdata[i] & banks_q[j];
    end
    aps_mem #(.WORDS(WORDS), .WIDTH(CODES), .GRAIN(1)) u_bank (
      .clk_i, .we_i(we_i && |wbe), .waddr_i, .wbe_i(wbe), .wdata_i(wdata),
      .re_i(re_i && read_banks[j]), .raddr_i, .rdata_o(rdata)
    );
  end

`ifndef SYNTHESIS
  assert property (@(posedge clk_i) re_i |-> planes_i >= 4'd1 && planes_i <= 4'd8)
    else $error("aps_plane_mem: a read of %0d planes", planes_i);
`endif
endmodule
