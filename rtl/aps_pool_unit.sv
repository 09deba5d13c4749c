// The element-wise datapath for the layers without weights, one lane per
// channel of the word:
//   max pooling   lane-wise maximum over the window (padded taps never win);
//   avg pooling   lane-wise sum of (a - z_a) over the window (padding adds 0);
//                 the writeback divides by requantizing;
//   add           word 0 is operand A, word 1 operand B; each lane returns
//                 mbqm((a - z_a) << L, M_a) + mbqm((b - z_b) << L, M_b), TFLite's
//                 rescaled sum (golden: add_rescaled_sum), requantized later.
module aps_pool_unit
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  parameter int ROWS = DefaultRows
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic [3:0]          kind_i,
  input  logic [7:0]          in_zp_i,
  input  logic [7:0]          in_b_zp_i,
  input  logic signed [31:0]  mult_a_i,
  input  logic signed [31:0]  mult_b_i,
  input  logic signed [7:0]   shift_a_i,
  input  logic signed [7:0]   shift_b_i,
  input  logic [4:0]          left_shift_i,
  input  logic [8*ROWS-1:0]   act_word_i,
  input  logic                tap_valid_i,
  input  logic                step_i,
  input  logic                first_tap_i,   // first word of the output pixel
  output logic signed [31:0]  result_o [ROWS]  // including this cycle's word
);
  logic [ROWS-1:0][31:0] held;  // running max / sum, or operand A (packed: rewritten whole, read with $signed)
  logic               any;          // max pooling: a valid tap seen in this window

  always_comb begin
    for (int l = 0; l < ROWS; l++) begin
      logic signed [31:0] code, prev;
      logic have_prev;
      result_o[l] = '0;
      if (kind_i == KindConv) continue;  // the PE array computes; save the simulator the work
      code = 32'($unsigned(act_word_i[8*l +: 8]));
      have_prev = !first_tap_i;
      prev = $signed(held[l]);
      unique case (kind_i)
        KindAvgPool: result_o[l] = (have_prev ? prev : 32'sd0) + (tap_valid_i ? code - 32'($unsigned(in_zp_i)) : 32'sd0);
        KindAdd: begin
          logic signed [31:0] a_term, b_term;
          a_term = mbqm((prev - 32'($unsigned(in_zp_i))) <<< left_shift_i, mult_a_i, 32'(shift_a_i));
          b_term = mbqm((code - 32'($unsigned(in_b_zp_i))) <<< left_shift_i, mult_b_i, 32'(shift_b_i));
          result_o[l] = sat32(64'(a_term) + 64'(b_term));
        end
        default: begin  // max pooling
          if (tap_valid_i && (!(have_prev && any) || code > prev)) result_o[l] = code;
          else result_o[l] = (have_prev && any) ? prev : 32'sd0;
        end
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      held <= '0;
      any <= 1'b0;
    end else if (step_i) begin
      for (int l = 0; l < ROWS; l++)
        held[l] <= (kind_i == KindAdd) ? 32'($unsigned(act_word_i[8*l +: 8])) : result_o[l];
      any <= (!first_tap_i && any) || tap_valid_i;
    end
  end
endmodule
