// Simple dual-port memory: one write port with byte enables, one registered
// read port whose output holds until the next read.
module aps_mem #(
  parameter int WORDS = 1024,
  parameter int BYTES = 8,
  localparam int WIDTH = 8 * BYTES,
  localparam int AW = $clog2(WORDS)
) (
  input  logic                 clk_i,
  input  logic                 we_i,
  input  logic [AW-1:0]        waddr_i,
  input  logic [BYTES-1:0]     wbe_i,
  input  logic [WIDTH-1:0]   wdata_i,
  input  logic                 re_i,
  input  logic [AW-1:0]        raddr_i,
  output logic [WIDTH-1:0]   rdata_o
);
  // The stored words are left out of toggle coverage: the ports' toggles are
  // counted, and a point per stored bit would bury the design's own.
  /* verilator coverage_off */
  logic [WIDTH-1:0] mem [WORDS];
  /* verilator coverage_on */

  // The enabled parts of wdata over the stored word, as one whole-word write
  // (a per-part write in a loop would have to be unrolled, which wide arrays
  // exceed). Computed in the clocked block, only when writing: as a
  // continuous mask it would be re-evaluated whenever a top-level input
  // moves, which is every cycle.
  function automatic logic [WIDTH-1:0] merge(logic [WIDTH-1:0] old_word, logic [WIDTH-1:0] new_word,
                                                logic [BYTES-1:0] enables);
    logic [WIDTH-1:0] merged = old_word;
    for (int e = 0; e < BYTES; e++)
      if (enables[e]) merged[8*e +: 8] = new_word[8*e +: 8];
    return merged;
  endfunction

  always_ff @(posedge clk_i) begin
    if (we_i) mem[waddr_i] <= merge(mem[waddr_i], wdata_i, wbe_i);
    if (re_i) rdata_o <= mem[raddr_i];
  end
endmodule
