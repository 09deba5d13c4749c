// Writeback engine: takes one output pixel's values (COLS accumulators of a
// convolution tile, or ROWS lanes of the pool unit: max-pooled codes to copy,
// or average-pool sums and add sums to requantize), and writes them one byte
// per cycle into the activation memory, requantizing on the way.
// Every write also appears on the monitor port, so the harness checks layers
// as they are produced without pausing the accelerator.
//
// Two stages: A reads the channel's parameters (bias, multiplier, shift); B
// requantizes, maps the code through the step's output table if it has one,
// and writes. The tables (the host writes them while idle) are read
// combinationally: 256 codes each, a small register file. A new pixel is accepted once stage A has consumed
// the previous one (ready_o), so compute and writeback overlap.
module aps_writeback
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  parameter int ROWS = DefaultRows,
  parameter int COLS = DefaultCols,
  parameter int ACT_WORDS = DefaultActWords,
  parameter int PARAM_ENTRIES = DefaultParamEntries,
  parameter int LUT_TABLES = DefaultLutTables,
  localparam int LUT_WORDS = LUT_TABLES * lut_entry_bytes() / 4,
  localparam int LUT_BYTE_AW = $clog2(LUT_WORDS) + 2,
  localparam int NV = (COLS > ROWS) ? COLS : ROWS,
  localparam int ACT_AW = $clog2(ACT_WORDS),
  localparam int PRM_AW = $clog2(PARAM_ENTRIES)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // layer configuration
  input  logic                     copy_i,          // values are codes to copy (max pooling), not accumulators
  input  logic                     relu_i,
  input  logic                     leaky_i,         // a negative total takes the channel's neg_mult
  input  logic [7:0]               table_i,         // 1 + the output table the codes go through (0: none)
  // output tables: host writes of whole 32-bit words (4 codes)
  input  logic                     lut_we_i,
  input  logic [$clog2(LUT_WORDS)-1:0] lut_waddr_i,
  input  logic [31:0]              lut_wdata_i,
  input  logic [4:0]               acc_shift_i,     // act_shift + weight_shift: back to the 8-bit scale
  input  logic [7:0]               out_zp_i,
  input  logic [31:0]              out_base_i,      // activation word address of the output tensor
  input  logic [15:0]              out_cb_i,        // channel blocks per pixel in the output layout
  input  logic [31:0]              pixels_i,        // output pixels (for the monitor's element index)
  input  step_t                    layer_i,
  // a pixel to write
  input  logic                     start_i,
  input  logic signed [31:0]       values_i [NV],
  input  logic [31:0]              channel_base_i,  // channel of value 0
  input  logic [31:0]              count_i,         // values to write (the rest are padding)
  input  logic [31:0]              pixel_i,
  output logic                     ready_o,         // may start a new pixel this cycle
  output logic                     busy_o,          // writes still in flight
  // channel parameter memory read port (registered)
  output logic                     prm_re_o,
  output logic [PRM_AW-1:0]        prm_raddr_o,
  input  logic [32*ParamWords-1:0] prm_rdata_i,
  // activation memory write port
  output logic                     act_we_o,
  output logic [ACT_AW-1:0]        act_waddr_o,
  output logic [ROWS-1:0]          act_wbe_o,
  output logic [8*ROWS-1:0]        act_wdata_o,
  // monitor
  output logic                     mon_valid_o,
  output step_t                    mon_layer_o,
  output logic [31:0]              mon_index_o,
  output logic [7:0]               mon_value_o
);
  localparam int LaneBits = $clog2(ROWS);
  localparam int NvBits = $clog2(NV);

  // Pixel buffer, filled by start_i.
  logic [NV-1:0][31:0] buf_acc;  // packed: rewritten whole per pixel, read with $signed
  logic [31:0] buf_base, buf_count, buf_pixel, next_col;
  // Stage B
  logic b_valid;
  logic signed [31:0] b_value;
  logic [31:0] b_channel, b_pixel;

  assign ready_o = next_col >= buf_count;
  assign busy_o = !ready_o || b_valid;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      buf_acc <= '0;
      buf_base <= '0;
      buf_count <= '0;
      buf_pixel <= '0;
      next_col <= '0;
      b_valid <= 1'b0;
      b_value <= '0;
      b_channel <= '0;
      b_pixel <= '0;
    end else begin
      // stage A: hand one value to stage B (its parameters are read meanwhile)
      b_valid <= !ready_o;
      if (!ready_o) begin
        b_value <= $signed(buf_acc[next_col[NvBits-1:0]]);
        b_channel <= buf_base + next_col;
        b_pixel <= buf_pixel;
        next_col <= next_col + 32'd1;
      end
      if (start_i) begin
        for (int i = 0; i < NV; i++) buf_acc[i] <= values_i[i];
        buf_base <= channel_base_i;
        buf_count <= count_i;
        buf_pixel <= pixel_i;
        next_col <= '0;
      end
    end
  end

  assign prm_re_o = !ready_o;
  // The parameter buffer holds this step's channels from entry 0.
  assign prm_raddr_o = PRM_AW'(buf_base + next_col);

  logic [31:0] lut_words [LUT_WORDS];
  always_ff @(posedge clk_i) if (lut_we_i) lut_words[lut_waddr_i] <= lut_wdata_i;

  // stage B: requantize and write
  logic [7:0] value, code;
  logic signed [31:0] total;
  always_comb begin
    logic signed [31:0] acc8;
    logic signed [31:0] bias, mult, shift;
    logic [LUT_BYTE_AW-1:0] entry;  // byte of the output tables
    bias = prm_rdata_i[32*ParamBias +: 32];
    shift = prm_rdata_i[32*ParamShift +: 32];
    acc8 = sat32(64'(b_value) <<< acc_shift_i);
    total = sat32(64'(acc8) + 64'(bias));
    // A leaky step's negative totals scale by the slope too (same shift); a
    // total of 0 is 0 under either multiplier.
    // planted fault: the slope is never applied
    mult = (leaky_i && total < 0 && !`APS_PLANTED(LEAKY_SLOPE)) ? prm_rdata_i[32*ParamNegMult +: 32]
                                                                : prm_rdata_i[32*ParamMult +: 32];
    code = copy_i ? b_value[7:0] : requantize(total, mult, shift, out_zp_i, relu_i);
    value = code;
    entry = LUT_BYTE_AW'((32'(table_i) - 32'd1) * 32'(lut_entry_bytes()) + 32'(code));
    // planted fault: the table is never applied
    if (table_i != '0 && !copy_i && !`APS_PLANTED(TABLE_SKIP))
      value = lut_words[entry[LUT_BYTE_AW-1:2]][8*entry[1:0] +: 8];
  end

  logic [31:0] byte_offset;
  assign byte_offset = b_pixel * 32'(out_cb_i) * ROWS + b_channel;
  assign act_we_o = b_valid;
  assign act_waddr_o = ACT_AW'(out_base_i + (byte_offset >> LaneBits));
  assign act_wbe_o = ROWS'(1) << byte_offset[LaneBits-1:0];
  assign act_wdata_o = {ROWS{value}};

  assign mon_valid_o = b_valid;
  assign mon_layer_o = layer_i;
  assign mon_index_o = b_channel * pixels_i + b_pixel;
  assign mon_value_o = value;

`ifndef SYNTHESIS
  // Functional coverage: a leaky step's output stage on both sides of 0.
  if (1) begin : cov_leaky
    negative: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid && !copy_i && leaky_i && total < 0);
    positive: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid && !copy_i && leaky_i && total > 0);
  end
  // A step's codes through an output table, at both ends of the table.
  if (1) begin : cov_output_table
    applied: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid && !copy_i && table_i != '0);
    lowest_code: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid && !copy_i && table_i != '0 &&
                                 code == 8'd0);
    highest_code: cover property (@(posedge clk_i) disable iff (!rst_ni) b_valid && !copy_i && table_i != '0 &&
                                  code == 8'd255);
  end
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |-> ready_o)
    else $error("aps_writeback: a pixel arrived while the previous one was still being read");
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |-> count_i <= NV)
    else $error("aps_writeback: %0d values for %0d slots", count_i, NV);
  assert property (@(posedge clk_i) disable iff (!rst_ni) b_valid |-> b_channel < 32'(out_cb_i) * ROWS)
    else $error("aps_writeback: channel %0d outside the %0d-block output layout", b_channel, out_cb_i);
  // The sequencer's range checks keep the output inside the scratchpad; a
  // write past it would wrap onto live words.
  assert property (@(posedge clk_i) disable iff (!rst_ni) act_we_o |->
                   64'(out_base_i) + 64'(32'(byte_offset >> LaneBits)) < 64'(ACT_WORDS))
    else $error("aps_writeback: word %0d outside the %0d-word scratchpad", out_base_i + (byte_offset >> LaneBits),
                ACT_WORDS);
`endif
endmodule
