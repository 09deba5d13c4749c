// Simple dual-port memory: one write port with byte enables, one registered
// read port whose output holds until the next read (the datapath relies on
// that: a word read once feeds all its bit-planes).
module aps_mem #(
  parameter int WORDS = 1024,
  parameter int BYTES = 8,
  localparam int AW = $clog2(WORDS)
) (
  input  logic                 clk_i,
  input  logic                 we_i,
  input  logic [AW-1:0]        waddr_i,
  input  logic [BYTES-1:0]     wbe_i,
  input  logic [8*BYTES-1:0]   wdata_i,
  input  logic                 re_i,
  input  logic [AW-1:0]        raddr_i,
  output logic [8*BYTES-1:0]   rdata_o
);
  logic [8*BYTES-1:0] mem [WORDS];

  // One whole-word write merging the enabled bytes (a per-byte write in a
  // loop would have to be unrolled BYTES times, which wide arrays exceed).
  logic [8*BYTES-1:0] bit_mask;
  always_comb
    for (int b = 0; b < BYTES; b++) bit_mask[8*b +: 8] = {8{wbe_i[b]}};

  always_ff @(posedge clk_i) begin
    if (we_i) mem[waddr_i] <= (mem[waddr_i] & ~bit_mask) | (wdata_i & bit_mask);
    if (re_i) rdata_o <= mem[raddr_i];
  end
endmodule
