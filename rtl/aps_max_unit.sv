// Max pooling datapath: the lane-wise maximum of the window's words. Padded
// taps (tap_valid_i = 0) never win, as ONNX pads max pooling with -infinity.
module aps_max_unit #(
  parameter int ROWS = 8
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic [8*ROWS-1:0] act_word_i,
  input  logic              tap_valid_i,
  input  logic              step_i,
  input  logic              first_tap_i,   // first tap of the output pixel
  output logic [8*ROWS-1:0] result_o       // maximum including this cycle's tap
);
  logic [8*ROWS-1:0] best;
  logic              any;  // some valid tap seen in this window so far

  always_comb begin
    for (int l = 0; l < ROWS; l++) begin
      logic [7:0] prev;
      logic       have_prev;
      have_prev = !first_tap_i && any;
      prev = best[8*l +: 8];
      if (tap_valid_i && (!have_prev || act_word_i[8*l +: 8] > prev)) result_o[8*l +: 8] = act_word_i[8*l +: 8];
      else result_o[8*l +: 8] = have_prev ? prev : 8'd0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      best <= '0;
      any <= 1'b0;
    end else if (step_i) begin
      best <= result_o;
      any <= (!first_tap_i && any) || tap_valid_i;
    end
  end
endmodule
