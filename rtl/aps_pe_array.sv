// Bit-serial PE array (after Stripes): ROWS input lanes x COLS output columns.
//
// Each input word (ROWS activation codes) is held for `bits` cycles, one
// bit-plane per cycle, most significant plane first. A word's operands are
// reduced to the layer's width once, when the array captures them from the
// read ports, not in every plane. The zero points are
// subtracted from both operands before they are multiplied:
//   * weights arrive bit-parallel; a PE holds weight_operand(w) -
//     weight_zp_operand(z_w) (aps_pkg: rounding half up, or the kept planes'
//     midpoint);
//   * an activation code and its zero point are reduced to b bits, and plane
//     k of the PE's operand is their bit difference a[k] - z[k] in {-1,0,1},
//     because a - z = sum_k 2^k (a[k] - z[k]).
// So plane k of column c adds sum_lanes (a[k] - z[k]) * (w - z_w), and after
// b planes (Horner: partial = 2 * partial + plane sum) the column holds
// sum_lanes (a - z_a)(w - z_w) over the word. A b-bit layer takes b cycles
// per word: fewer bits, fewer cycles.
module aps_pe_array
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  parameter int ROWS = DefaultRows,
  parameter int COLS = DefaultCols
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  // layer configuration (stable during a layer)
  input  logic [3:0]                  bits_i,
  input  logic [3:0]                  act_shift_i,
  input  logic [3:0]                  weight_shift_i,
  input  logic                        weight_midpoint_i,
  input  logic [7:0]                  in_zp_i,
  // operands on the memory read ports
  input  logic [8*ROWS-1:0]           act_word_i,
  input  logic                        tap_valid_i,       // 0: padding, lanes read as the zero point
  input  logic [ROWS-1:0]             lane_valid_i,      // lanes that hold an input channel (aps_sequencer)
  input  logic                        depthwise_i,       // a depthwise step: column c reads only the lane l
  input  logic signed [15:0]          dw_offset_i,       //   with l - c == dw_offset_i
  input  logic [8*ROWS*COLS-1:0]      wgt_word_i,
  input  logic                        load_zw_i,         // wgt_word_i is a tile header: latch weight zero points
  input  logic                        capture_i,         // take the next word's operands
  // sequencing
  input  logic                        step_i,            // process one plane this cycle
  input  logic [3:0]                  plane_i,           // 0 = most significant
  input  logic                        first_word_i,      // first word of the output pixel
  input  logic                        last_plane_i,      // last plane of the word
  // the pixel's accumulators including this cycle's plane (valid in the
  // last plane of the pixel's last word)
  output logic signed [31:0]          result_o [COLS]
);
  // Per layer: the reduced activation zero point (latched with each tile's
  // header). Per word (capture_i, once, not once per plane): each lane's
  // reduced activation.
  logic signed [9:0] za_red;
  // Packed per-lane registers (here and wd below): a word's capture rewrites
  // them all, which a simulator commits as one vector, not ROWS pending
  // element writes checked every cycle. Elements are read with $signed.
  logic [ROWS-1:0][9:0] a_red;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) za_red <= '0;
    else if (load_zw_i) za_red <= reduce_code(10'($signed({2'b00, in_zp_i})), bits_i, act_shift_i, 1'b0);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_red <= '0;
    end else if (capture_i) begin
      for (int l = 0; l < ROWS; l++) begin
        logic [7:0] code;
        code = tap_valid_i ? act_word_i[8*l +: 8] : in_zp_i;
        if (!tap_valid_i && `APS_PLANTED(PAD_ZERO)) code = 8'd0;  // planted fault: pad with 0, not the zero point
        a_red[l] <= reduce_code(10'($signed({2'b00, code})), bits_i, act_shift_i, 1'b0);
      end
    end
  end

  // Bit position of this plane within the b-bit operand.
  logic [3:0] bitpos;
  assign bitpos = bits_i - 4'd1 - plane_i;

  // Per-lane signed bit difference a[k] - z[k].
  logic signed [1:0] delta [ROWS];
  always_comb begin
    for (int l = 0; l < ROWS; l++) begin
      delta[l] = $signed({1'b0, a_red[l][bitpos]}) - $signed({1'b0, za_red[bitpos]});
      if (`APS_PLANTED(ACT_ZP)) delta[l] = $signed({1'b0, a_red[l][bitpos]});  // planted fault: zero point not subtracted
    end
  end

  // One column: ROWS PEs and the column's accumulator.
  for (genvar c = 0; c < COLS; c++) begin : g_col
    logic signed [9:0] zw_red;      // reduced weight zero point (per tile)
    logic [ROWS-1:0][9:0] wd;       // reduce(w) - reduce(z_w) per PE (per word)
    logic signed [47:0] acc;
    logic signed [31:0] partial, word_sum;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        zw_red <= '0;
        wd <= '0;
      end else begin
        if (load_zw_i) zw_red <= weight_zp_operand(10'($signed(wgt_word_i[8*c +: 8])), bits_i, weight_shift_i,
                                                   weight_midpoint_i);
        // A lane that holds no input channel of this column's sum carries
        // the zero point as its weight, which rounding cancels and the
        // midpoint rule does not: it is left out instead.
        if (capture_i)
          for (int l = 0; l < ROWS; l++)
            wd[l] <= !(depthwise_i ? 16'(l - c) == dw_offset_i : lane_valid_i[l]) ? 10'sd0
                     : weight_operand(10'($signed(wgt_word_i[8*(c*ROWS + l) +: 8])), bits_i, weight_shift_i,
                                      weight_midpoint_i) - zw_red;
      end
    end

    // The plane's column sum, and the word's value after this plane.
    always_comb begin
      logic signed [31:0] s;
      s = '0;
      for (int l = 0; l < ROWS; l++) begin
        if (delta[l] == 2'sb01) s = s + 32'($signed(wd[l]));
        else if (delta[l] == 2'sb11) s = s - 32'($signed(wd[l]));
      end
      word_sum = (partial <<< 1) + s;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        acc <= '0;
        partial <= '0;
      end else if (step_i) begin
        if (last_plane_i) begin
          acc <= (first_word_i ? 48'sd0 : acc) + 48'(word_sum);
          partial <= '0;
        end else begin
          partial <= word_sum;
        end
      end
    end

    always_comb begin
      logic signed [47:0] total;
      total = (first_word_i ? 48'sd0 : acc) + 48'(word_sum);
      if (`APS_PLANTED(DROP_LAST_PSUM)) total = first_word_i ? 48'sd0 : acc;  // planted fault: the last word's partial sum is dropped
      result_o[c] = sat32(64'(total));
    end
  end

`ifndef SYNTHESIS
  // The plane index never reaches the operand width.
  assert property (@(posedge clk_i) disable iff (!rst_ni) step_i |-> plane_i < bits_i)
    else $error("aps_pe_array: plane %0d with %0d-bit operands", plane_i, bits_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni) step_i |-> (bits_i >= 4'd2 && bits_i <= 4'd8))
    else $error("aps_pe_array: precision %0d outside 2..8", bits_i);
`endif
endmodule
