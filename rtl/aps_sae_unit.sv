// Sensitivity Analysis Engine (golden/accelerator/sae.hpp is its twin): one scan reads a
// slice of a tensor, entry by entry, each entry an activation-word address
// and ROWS 16-bit coefficients, and accumulates for every candidate width b
//   metric_b += coef_lane * err_b(code_lane)^2
// over the lanes. A three-stage pipeline: read the entry, read the word,
// accumulate; one entry per cycle.
module aps_sae_unit
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  parameter int ROWS = DefaultRows,
  parameter int SAE_ENTRIES = DefaultSaeEntries,
  parameter int ACT_WORDS = DefaultActWords,
  localparam int SAE_AW = $clog2(SAE_ENTRIES),
  localparam int ACT_AW = $clog2(ACT_WORDS)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 start_i,
  input  logic [31:0]          base_i,         // first entry
  input  logic [31:0]          count_i,        // entries
  input  logic [7:0]           zp_i,
  input  logic [2:0]           num_cand_i,
  input  logic [3:0]           cand_i [4],
  output logic                 done_o,         // one-cycle pulse: metrics_o holds the scan's metrics
  output logic [63:0]          metrics_o [4],
  // SAE slice memory (registered read): entry = {coefficients, address}
  output logic                 sae_re_o,
  output logic [SAE_AW-1:0]    sae_raddr_o,
  input  logic [32+16*ROWS-1:0] sae_rdata_i,
  // activation memory read port (registered)
  output logic                 act_re_o,
  output logic [ACT_AW-1:0]    act_raddr_o,
  input  logic [8*ROWS-1:0]    act_rdata_i
);
  logic        running;
  logic [31:0] issued;
  logic        s2_valid, s3_valid;
  logic [16*ROWS-1:0] s3_coef;

  assign sae_re_o = running && issued < count_i;
  assign sae_raddr_o = SAE_AW'(base_i + issued);
  // stage 2: the entry is on sae_rdata_i; read its word
  assign act_re_o = s2_valid;
  assign act_raddr_o = ACT_AW'(sae_rdata_i[32*SaeAddress +: 32]);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      running <= 1'b0;
      issued <= '0;
      s2_valid <= 1'b0;
      s3_valid <= 1'b0;
      s3_coef <= '0;
      done_o <= 1'b0;
      for (int c = 0; c < 4; c++) metrics_o[c] <= '0;
    end else begin
      done_o <= 1'b0;
      s2_valid <= sae_re_o;
      s3_valid <= s2_valid;
      if (s2_valid) s3_coef <= sae_rdata_i[32 +: 16*ROWS];
      if (start_i) begin
        running <= 1'b1;
        issued <= '0;
        for (int c = 0; c < 4; c++) metrics_o[c] <= '0;
      end else if (running) begin
        if (sae_re_o) issued <= issued + 32'd1;
        // stage 3: the word is on act_rdata_i
        if (s3_valid) begin
          for (int c = 0; c < 4; c++) begin
            logic [63:0] sum;
            sum = '0;
            for (int l = 0; l < ROWS; l++) begin
              logic signed [9:0] e;
              logic [19:0] e2;
              e = reduction_error(act_rdata_i[8*l +: 8], zp_i, cand_i[c]);
              e2 = 20'($unsigned(32'(e) * 32'(e)));
              // planted fault: the last lane is ignored
              if (!(`APS_PLANTED(SAE_LANE) && l == ROWS - 1)) sum = sum + 64'(s3_coef[16*l +: 16]) * 64'(e2);
            end
            if (3'(c) < num_cand_i) metrics_o[c] <= metrics_o[c] + sum;
          end
        end
        if (issued >= count_i && !sae_re_o && !s2_valid && !s3_valid) begin
          running <= 1'b0;
          done_o <= 1'b1;
        end
      end
    end
  end
`ifndef SYNTHESIS
  // Slice entries are the host's (the golden model's program image, whose
  // addresses lie inside the scanned tensor): one past the scratchpad would
  // wrap onto another tensor's word.
  assert property (@(posedge clk_i) disable iff (!rst_ni) act_re_o |->
                   sae_rdata_i[32*SaeAddress +: 32] < 32'(ACT_WORDS))
    else $error("aps_sae_unit: slice entry word %0d outside the %0d-word scratchpad",
                sae_rdata_i[32*SaeAddress +: 32], ACT_WORDS);
`endif
endmodule
