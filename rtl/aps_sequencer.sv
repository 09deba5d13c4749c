// Layer sequencer: runs the descriptor table step by step. A step
//   1. fetches and checks its descriptor (3 cycles);
//   2. loads what it reads from the external memory through the DMA engine,
//      one transfer after another: its input(s) if the descriptor asks, then
//      the channel parameters of the layers that requantize;
//   3. computes, tile by tile, driving the datapath with the address streams
//      of the layer; a convolution's weight tiles stream into the two slots of
//      the weight buffer, tile t + 1 loading while tile t computes;
//   4. waits for the writeback to drain, then stores its output if asked.
//
// Every layer with weights is a convolution (a fully connected layer is a
// 1x1 convolution on a 1x1 image whose input channels are all its
// features). Loops, outermost first:
//   tile t      COLS output channels (conv) or one channel block (pooling, add)
//   pixel       output (oy, ox)
//   word        conv: (ky, kx, input channel block), one activation word and
//               one weight tile word, held for `bits` cycles; a depthwise
//               conv visits only the blocks of the tile's own channels;
//               pooling: (ky, kx), one cycle each; add: operand A then B
// A conv tile starts with a header word holding the tile's weight zero
// points. Reads run one word ahead of the datapath: the datapath captures a
// word's operands in the cycle it starts the word (and reduces them to the
// layer's width once, not once per plane), and that cycle issues the read of
// the word after. When a pixel's last word finishes, its results go to the
// writeback engine; if that is still busy, the sequencer stalls (counted).
//
// Activation tensors are stored channel-blocked, pixel-major: the word of
// (y, x, channel block cb) is base + (y * W + x) * CB + cb, lane c mod ROWS.
// A tile in the weight buffer is its header then R words, R = KH * KW * CB_in
// (depthwise: KH * KW * max(1, COLS / ROWS)); load k sits in slot k mod 2.
// A tile larger than a slot, on a step of one output pixel, is loaded in
// the descriptor's parts, each a header and a run of the pixel's words: the
// pixel's sums carry from one part to the next (the array only clears them
// at the pixel's first word), and the reads stop at a part's last word until
// the next part has arrived.
module aps_sequencer
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  parameter int ROWS = DefaultRows,
  parameter int COLS = DefaultCols,
  parameter int ACT_WORDS = DefaultActWords,
  parameter int WGT_WORDS = DefaultWgtWords,
  parameter int PARAM_ENTRIES = DefaultParamEntries,
  parameter int MAX_LAYERS = DefaultMaxLayers,
  parameter int SAE_ENTRIES = DefaultSaeEntries,
  parameter int LUT_TABLES = DefaultLutTables,
  localparam int ACT_AW = $clog2(ACT_WORDS),
  localparam int WGT_AW = $clog2(WGT_WORDS),
  localparam int LAYER_AW = $clog2(MAX_LAYERS)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   start_i,
  input  step_t                  num_layers_i,
  output logic                   busy_o,
  output logic                   done_o,        // one-cycle pulse at the end of a run (also after an error)
  output logic                   error_o,       // with done_o: the run stopped at a bad descriptor
  output logic [7:0]             error_code_o,
  output step_t                  layer_o,
  output logic [63:0]            run_cycles_o,
  output logic [31:0]            stall_cycles_o,
  output logic [31:0]            mem_beats_o,
  output logic [31:0]            mem_stalls_o,
  output logic [31:0]            act_plane_reads_o,  // bit-planes of activation words read for the array (both passes)
  output logic [31:0]            wgt_plane_reads_o,  // bit-planes of weight tile words read (both passes)
  output logic                   layer_done_o,  // one-cycle pulse: step done_layer_o ended, with its counters
  output step_t                  done_layer_o,
  output logic [31:0]            layer_cycles_o,
  output logic [31:0]            layer_beats_o,
  output logic [31:0]            layer_mem_stalls_o,
  // descriptor memory
  output logic                   desc_re_o,
  output logic [LAYER_AW-1:0]    desc_raddr_o,
  input  logic [32*DescWords-1:0] desc_rdata_i,
  // activation / weight memory reads
  output logic                   act_re_o,
  output logic [ACT_AW-1:0]      act_raddr_o,
  output logic [3:0]             act_planes_o,  // planes of the word the read needs, most significant first
  output logic                   wgt_re_o,
  output logic [WGT_AW-1:0]      wgt_raddr_o,
  output logic [3:0]             wgt_planes_o,
  // DMA engine
  output logic                   dma_start_o,
  output dma_op_e                dma_op_o,
  output logic [31:0]            dma_ext_o,
  output logic [31:0]            dma_local_o,
  output logic [31:0]            dma_beats_o,
  output logic [31:0]            dma_tile_words_o,  // OpLoadWgt: the tile's words after its header
  input  logic                   dma_busy_i,
  input  logic                   dma_done_i,
  input  logic                   dma_beat_i,
  // datapath control
  output logic                   pool_o,        // not a convolution: the pool unit computes
  output logic [3:0]             kind_o,
  output logic                   relu_o,
  output logic                   leaky_o,
  output logic [7:0]             table_o,       // 1 + the output table (0: none)
  output logic [3:0]             bits_o,
  output logic [3:0]             act_shift_o,
  output logic [3:0]             weight_shift_o,
  output logic                   weight_midpoint_o,
  output logic [7:0]             in_zp_o,
  output logic [7:0]             out_zp_o,
  output logic [7:0]             in_b_zp_o,
  output logic signed [31:0]     add_mult_a_o,
  output logic signed [31:0]     add_mult_b_o,
  output logic signed [7:0]      add_shift_a_o,
  output logic signed [7:0]      add_shift_b_o,
  output logic [4:0]             add_left_shift_o,
  output logic                   tap_valid_o,   // the word being read is inside the input (else padding)
  // Which lanes of the word being read hold an input channel of this
  // step's sums: its channel block's (a pixel's last block may be short),
  // or for a depthwise step, per column, the lane whose channel is the
  // column's: lane - column == dw_offset_o.
  output logic [ROWS-1:0]        lane_valid_o,
  output logic signed [15:0]     dw_offset_o,
  output logic                   depthwise_o,
  output logic                   load_zw_o,
  output logic                   capture_o,     // the datapath takes the word on the read ports
  output logic                   step_o,
  output logic [3:0]             plane_o,
  output logic                   first_word_o,
  output logic                   last_plane_o,
  // writeback
  output logic                   wb_start_o,
  output logic [31:0]            wb_channel_base_o,
  output logic [31:0]            wb_count_o,
  output logic [31:0]            wb_pixel_o,
  output logic [31:0]            out_base_o,
  output logic [15:0]            out_cb_o,
  output logic [31:0]            pixels_o,
  input  logic                   wb_ready_i,
  input  logic                   wb_busy_i,
  // adaptive precision: SAE scans, PCU decisions, the cascade
  input  logic                   adaptive_scaling_i,
  input  logic                   cascade_i,
  input  logic [CsrPcuFlagsMarginWeightWidth-1:0] margin_weight_i,  // the cascade's confidence gate
  input  logic [CsrPcuFlagsThirdWeightWidth-1:0] third_weight_i,
  input  logic [CsrPcuFlagsGateThresholdWidth-1:0] gate_threshold_i,
  input  logic [7:0]             input_max_i,
  input  step_t                  num_slots_i,
  output logic                   run_start_o,    // pulse: a run begins (the PCU forgets its decisions)
  output logic                   pass_o,         // 0: the run, 1: the cascade's re-run
  output logic                   sae_start_o,
  output logic [31:0]            sae_base_o,
  output logic [31:0]            sae_count_o,
  input  logic                   sae_done_i,
  output logic                   metrics_we_o,   // the scan's metrics belong to pcu_slot_o
  output logic                   pcu_decide_o,
  output logic                   pcu_decide_all_o,
  output step_t                  pcu_slot_o,
  input  logic                   pcu_done_i,
  input  logic [3:0]             pcu_slot_bits_i, // the PCU's width for pcu_slot_o (0: undecided)
  output logic                   config_we_o,    // the configuration a step runs with, for the log
  output step_config_t           config_o,
  output logic [31:0]            pcu_cycles_o,
  output logic [31:0]            sae_cycles_o,   // pass 0: scan steps (without their PCU waits) and shadow layers
  output logic                   rerun_o,
  output logic [7:0]             margin_o,       // top1 - top2 of the first pass's output codes
  output logic [7:0]             third_gap_o,    // top1 - top3
  // layer-output writes (the monitor), for range tracking and the cascade gate
  input  logic                   mon_valid_i,
  input  step_t                  mon_layer_i,
  input  logic [7:0]             mon_value_i
);
  localparam int SlotWords = WGT_WORDS / 2;
  localparam int WgtPlaneBeats = wgt_plane_beats(COLS);
  localparam int BeatsPerEntry = param_entry_bytes() / ROWS;
  localparam int DwBlocks = (COLS > ROWS) ? COLS / ROWS : 1;  // input blocks of a depthwise tile
  localparam bit DwMappable = (ROWS % COLS == 0) || (COLS % ROWS == 0);

  typedef enum logic [4:0] {
    SIdle, SDescReq, SDescWait, SSetup, SPre, SWgtWait, STileStart, SFirst, SPrime, SPlanes, SDrain, SStore,
    SDone, SScan, SPcu, SCascade
  } state_e;
  state_e state;

  // ---- descriptor fields (latched in SDescWait) ----
  logic [3:0]  kind;
  logic        relu, leaky, depthwise, load_in, load_in_b, store_out;
  logic [3:0]  bits, act_shift, weight_shift;
  logic        weight_midpoint;
  logic [31:0] in_base, out_base, wgt_base, prm_base, prm_stride, ext_in, ext_in_b, ext_out;
  logic [7:0]  out_table;
  logic [15:0] in_h, in_w, in_cb, out_ch, out_h, out_w, out_cb;
  logic [4:0]  last_lanes;    // lanes of a pixel's last channel block that hold a channel (0: all)
  logic [15:0] pixel_blocks;  // channel blocks of one stored input pixel
  logic [7:0]  k_h, k_w, s_h, s_w, p_t, p_l, d_h, d_w;
  logic [7:0]  in_zp, out_zp, in_b_zp;
  logic signed [31:0] add_mult_a, add_mult_b;
  logic signed [7:0] add_shift_a, add_shift_b;
  logic [4:0]  add_left_shift;
  logic [15:0] parts, part_words;  // weight loads per tile (1: whole) and words of each but the last

  function automatic logic [31:0] dw(input int i);
    return desc_rdata_i[32*i +: 32];
  endfunction
  /* verilator lint_off UNUSEDSIGNAL */  // reserved bits
  desc_mode_t d_mode;
  desc_out_cb_t d_out_cb;
  desc_zp_t d_zp;
  desc_add_shift_t d_add_shift;
  desc_scan_ctl_t d_scan_ctl;
  desc_lanes_t d_lanes;
  /* verilator lint_on UNUSEDSIGNAL */
  desc_wgt_parts_t d_wgt_parts;
  /* verilator lint_off UNUSEDSIGNAL */  // the word's other bits are reserved
  desc_out_table_t d_out_table;
  /* verilator lint_on UNUSEDSIGNAL */
  desc_in_hw_t d_in_hw;
  desc_chans_t d_chans;
  desc_out_hw_t d_out_hw;
  desc_kernel_t d_kernel;
  desc_pad_t d_pad;
  assign d_mode = desc_mode_t'(dw(DescMode));
  assign d_in_hw = desc_in_hw_t'(dw(DescInHw));
  assign d_chans = desc_chans_t'(dw(DescChans));
  assign d_out_hw = desc_out_hw_t'(dw(DescOutHw));
  assign d_out_cb = desc_out_cb_t'(dw(DescOutCb));
  assign d_kernel = desc_kernel_t'(dw(DescKernel));
  assign d_pad = desc_pad_t'(dw(DescPad));
  assign d_zp = desc_zp_t'(dw(DescZp));
  assign d_add_shift = desc_add_shift_t'(dw(DescAddShift));
  assign d_lanes = desc_lanes_t'(dw(DescLanes));
  assign d_scan_ctl = desc_scan_ctl_t'(dw(DescScanCtl));
  assign d_wgt_parts = desc_wgt_parts_t'(dw(DescWgtParts));
  assign d_out_table = desc_out_table_t'(dw(DescOutTable));

  // ---- adaptive precision state ----
  logic        shadow;                 // this step is part of the SAE's up-front copy
  logic [31:0] scan_base, scan_count;
  step_t       scan_slot;
  logic [1:0]  scan_action;            // scan_action_e
  /* verilator lint_off UNUSEDSIGNAL */  // reserved bits
  desc_pcu_t   pcu_word;
  /* verilator lint_on UNUSEDSIGNAL */
  logic        pass;
  logic        pcu_issued;
  logic [7:0]  step_max [MAX_LAYERS];  // largest code each step wrote (this pass)
  logic [7:0]  top1, top2, top3;       // the largest output codes (pass 0, last step)
  // Two products of a weight and an 8-bit gap, summed: one bit more than either.
  localparam int GateScoreWidth = aps_max(CsrPcuFlagsMarginWeightWidth, CsrPcuFlagsThirdWeightWidth) + 8 + 1;
  logic [GateScoreWidth-1:0] gate_score;  // golden/accelerator/cascade_gate.hpp
  logic        escalate;
  logic [31:0] pcu_cycles, sae_cycles, step_pcu_cycles;

  // ---- derived per step (computed in SSetup) ----
  logic        pool, is_add, skip;
  logic [31:0] pixels, planes_per_word;
  logic [2:0]  pre_todo;               // transfers before computing: {parameters, second input, input}
  logic        need_store;
  logic [31:0] tiles, tile_stride, word_blocks;  // combinational, from the latched descriptor
  logic        split;                           // the step's tiles are loaded in parts
  // A weight tile in external memory: per part its header, then 8 planes of
  // the part's words (aps_dma.sv); a load reads a header and the planes its
  // width reduces from.
  logic [31:0] tile_ext_bytes, part_ext_bytes;
  logic [31:0] last_part_words;        // the last part's words: the rest of the tile's
  logic [31:0] in_words, out_words;

  // ---- weight loads in flight (a load: a tile, or a part of one) ----
  logic [31:0] wt_issued, wt_loaded;   // loads of this step requested from / landed in the weight buffer
  logic [31:0] wi_t;                   // the tile and part of the next load to request
  logic [15:0] wi_pt;
  logic [31:0] wi_words;               // its words after the header

  // ---- loop counters ----
  logic [31:0] t;       // output tile
  logic [31:0] ld;      // weight load being computed (its slot: ld mod 2)
  logic [15:0] pt;      // its part of tile t
  logic [31:0] part_first, part_last;  // the pixel words part pt holds
  // the word last read (its data is on the read ports after the read cycle)
  logic [15:0] f_oy, f_ox, f_cbi;
  logic [7:0]  f_ky, f_kx;
  logic [31:0] f_r;
  logic [15:0] f_blk;  // its channel block within its pixel
  // the word a convolution's datapath holds (captured from the read ports)
  logic [15:0] c_oy, c_ox, c_cbi;
  logic [7:0]  c_ky, c_kx;
  logic [31:0] c_r;
  // the word being computed: pooling and add work on the read ports directly
  logic [15:0] w_oy, w_ox, w_cbi;
  logic [7:0]  w_ky, w_kx;
  logic [31:0] w_r;
  logic [3:0]  plane;

  logic [63:0] run_cycles;
  logic [31:0] layer_cycles, stalls, mem_beats, mem_stalls, step_beats, step_mem_stalls;
  logic [31:0] act_plane_reads, wgt_plane_reads;

  assign pool = (kind != KindConv);
  assign is_add = (kind == KindAdd);

  // Is (ky, kx, cbi, r) the last word of its pixel / (oy, ox) the last pixel?
  function automatic logic is_last_word(input logic [7:0] ky, input logic [7:0] kx, input logic [15:0] cbi,
                                        input logic [31:0] r);
    return is_add ? (r == 32'd1)
                  : (ky == k_h - 8'd1) && (kx == k_w - 8'd1) && (pool || 32'(cbi) == word_blocks - 32'd1);
  endfunction
  assign {w_oy, w_ox, w_ky, w_kx, w_cbi, w_r} = pool ? {f_oy, f_ox, f_ky, f_kx, f_cbi, f_r}
                                                   : {c_oy, c_ox, c_ky, c_kx, c_cbi, c_r};
  logic last_word, last_pixel, f_last, last_tile, last_plane, seg_end, w_part_end, f_part_end;
  assign last_word  = is_last_word(w_ky, w_kx, w_cbi, w_r);
  assign last_pixel = (w_oy == out_h - 16'd1) && (w_ox == out_w - 16'd1);
  assign f_last = is_last_word(f_ky, f_kx, f_cbi, f_r) && (f_oy == out_h - 16'd1) && (f_ox == out_w - 16'd1);
  assign last_tile  = (t == tiles - 32'd1);
  assign last_plane = (32'(plane) == planes_per_word - 32'd1);
  assign w_part_end = split && w_r == part_last;
  assign f_part_end = split && f_r == part_last;

  logic stall, advance;
  assign stall = (state == SPlanes) && last_plane && last_word && !wb_ready_i;
  // The datapath finishes its word this cycle and moves to the next one.
  assign advance = (state == SPlanes) && last_plane && !stall;
  // The word finished is the last in the weight slot: the next needs another load (or none).
  assign seg_end = advance && ((last_word && last_pixel) || w_part_end);

  // ---- reads: the word after the one last read ----
  logic        issue;
  logic [15:0] n_oy, n_ox, n_cbi;
  logic [7:0]  n_ky, n_kx;
  logic [31:0] n_r;
  logic [15:0] n_blk;
  always_comb begin
    n_oy = f_oy; n_ox = f_ox; n_ky = f_ky; n_kx = f_kx; n_cbi = f_cbi; n_r = f_r; n_blk = f_blk;
    issue = 1'b0;
    if (state == SFirst && pt == '0) begin
      issue = 1'b1;
      n_oy = '0; n_ox = '0; n_ky = '0; n_kx = '0; n_cbi = '0; n_r = '0; n_blk = '0;
    end else if (state == SFirst || ((state == SPrime || (advance && !seg_end)) && !f_last && !f_part_end)) begin
      // (a later part's first read: the word after the previous part's last)
      issue = 1'b1;
      if (!is_last_word(f_ky, f_kx, f_cbi, f_r)) begin
        n_r = f_r + 32'd1;
        if (is_add) begin
          // operand B: same pixel and block, other tensor
        end else if (!pool && 32'(f_cbi) != word_blocks - 32'd1) begin
          n_cbi = f_cbi + 16'd1;
          // A fully connected layer's words run through every pixel's blocks.
          n_blk = (f_blk == pixel_blocks - 16'd1) ? 16'd0 : f_blk + 16'd1;
        end else begin
          n_cbi = '0;
          n_blk = '0;
          if (f_kx != k_w - 8'd1) begin
            n_kx = f_kx + 8'd1;
          end else begin
            n_kx = '0;
            n_ky = f_ky + 8'd1;
          end
        end
      end else begin
        n_r = '0; n_ky = '0; n_kx = '0; n_cbi = '0; n_blk = '0;
        if (f_ox != out_w - 16'd1) begin
          n_ox = f_ox + 16'd1;
        end else begin
          n_ox = '0;
          n_oy = f_oy + 16'd1;
        end
      end
    end
  end

  // Input coordinates of the word to read; outside the input = padding.
  logic signed [31:0] iy, ix;
  logic               in_bounds;
  logic [31:0]        act_addr, block;
  assign iy = $signed(32'(n_oy) * 32'(s_h)) - $signed(32'(p_t)) + $signed(32'(n_ky) * 32'(d_h));
  assign ix = $signed(32'(n_ox) * 32'(s_w)) - $signed(32'(p_l)) + $signed(32'(n_kx) * 32'(d_w));
  assign in_bounds = iy >= 0 && iy < $signed(32'(in_h)) && ix >= 0 && ix < $signed(32'(in_w));
  // The channel block of the word: pooling and add work block t; a depthwise
  // tile starts at the block of its first channel.
  assign block = pool ? t : (depthwise ? (t * COLS) / ROWS : 32'd0) + 32'(n_cbi);
  // Add reads operand B (word 1) from the second tensor, at wgt_base.
  assign act_addr = ((is_add && n_r == 32'd1) ? wgt_base : in_base) + (32'(iy) * 32'(in_w) + 32'(ix)) * 32'(in_cb) +
                    block;

  logic [31:0] slot_base;
  assign slot_base = ld[0] ? 32'(SlotWords) : 32'd0;
  assign act_re_o = issue && in_bounds;
  assign act_raddr_o = ACT_AW'(act_addr);
  assign wgt_re_o = !pool && (state == STileStart || issue);
  // A convolution reads the planes its reduction needs; pooling and Add
  // work on whole codes.
  // Planted fault: the second step asks the scratchpad for no planes (its
  // read-port assertion must stop the run).
  assign act_planes_o = (`APS_PLANTED(ACT_NO_PLANES) && layer_o == step_t'(1)) ? 4'd0
                        : pool ? 4'd8 : reduction_planes(act_shift);
  // planted fault: the weights' last needed plane is not read
  // A tile's header holds its zero points, read with the planes their
  // rounding needs (aps_pkg weight_zp_planes).
  assign wgt_planes_o = (state == STileStart ? weight_zp_planes(weight_shift, weight_midpoint)
                                             : weight_planes(weight_shift, weight_midpoint))
                        - (`APS_PLANTED(WGT_PLANES) ? 4'd1 : 4'd0);
  assign wgt_raddr_o = WGT_AW'(slot_base + ((state == STileStart) ? 32'd0 : 32'd1 + n_r - part_first));

  // ---- datapath control ----
  assign step_o = (state == SPlanes) && !stall;
  assign plane_o = plane;
  // Only the pixel's first word clears the sums: a later part's carries on.
  // Planted fault: every part starts the sums afresh.
  assign first_word_o = (w_r == (`APS_PLANTED(PART_RESTART) ? part_first : 32'd0));
  assign last_plane_o = last_plane;
  assign load_zw_o = (state == SFirst) && !pool;
  assign capture_o = !pool && ((state == SPrime) || (advance && !seg_end));
  assign pool_o = pool;
  assign kind_o = kind;
  assign in_b_zp_o = in_b_zp;
  assign add_mult_a_o = add_mult_a;
  assign add_mult_b_o = add_mult_b;
  assign add_shift_a_o = add_shift_a;
  assign add_shift_b_o = add_shift_b;
  assign add_left_shift_o = add_left_shift;
  assign relu_o = relu;
  assign leaky_o = leaky;
  assign table_o = out_table;
  assign bits_o = bits;
  assign act_shift_o = act_shift;
  assign weight_shift_o = weight_shift;
  assign weight_midpoint_o = weight_midpoint;
  assign depthwise_o = depthwise;
  assign in_zp_o = in_zp;
  assign out_zp_o = out_zp;

  // A pixel is complete in the last plane of its last word.
  assign wb_start_o = step_o && last_plane && last_word;
  assign wb_channel_base_o = pool ? t * ROWS : t * COLS;
  always_comb begin
    logic [31:0] remaining;
    remaining = pool ? (32'(out_ch) - t * ROWS) : (32'(out_ch) - t * COLS);
    wb_count_o = pool ? ((remaining < ROWS) ? remaining : ROWS) : ((remaining < COLS) ? remaining : COLS);
  end
  assign wb_pixel_o = 32'(w_oy) * 32'(out_w) + 32'(w_ox);
  assign out_base_o = out_base;
  assign out_cb_o = out_cb;
  assign pixels_o = pixels;

  // ---- DMA: the transfers before computing, the weight tiles, the store ----
  logic pre_start, wt_start, store_start, conv_phase, step_end;
  assign pre_start = (state == SPre) && !dma_busy_i && pre_todo != 3'd0;
  assign conv_phase = (kind == KindConv) && (state inside {SWgtWait, STileStart, SFirst, SPrime, SPlanes});
  // Load k goes to slot k mod 2, free once load k - 2 has finished (ld >= k - 1).
  assign wt_start = conv_phase && !dma_busy_i && wt_issued < tiles * 32'(parts) && wt_issued <= ld + 32'd1;
  assign store_start = (state == SDrain) && !wb_busy_i && need_store;
  assign dma_start_o = pre_start || wt_start || store_start;
  assign dma_tile_words_o = wi_words;
  always_comb begin
    dma_op_o = OpLoadAct;
    dma_ext_o = ext_in;
    dma_local_o = in_base;
    dma_beats_o = in_words;
    if (pre_start && !pre_todo[0] && pre_todo[1]) begin
      dma_ext_o = ext_in_b;
      dma_local_o = wgt_base;
    end else if (pre_start && pre_todo[1:0] == 2'b00) begin
      dma_op_o = OpLoadPrm;
      dma_ext_o = prm_base;
      dma_local_o = '0;
      dma_beats_o = 32'(out_ch) * BeatsPerEntry;
    end else if (wt_start) begin
      dma_op_o = OpLoadWgt;
      dma_ext_o = wgt_base + wi_t * tile_ext_bytes + 32'(wi_pt) * part_ext_bytes;
      dma_local_o = wt_issued[0] ? 32'(SlotWords) : 32'd0;
      dma_beats_o = 32'(COLS) + 32'(weight_planes(weight_shift, weight_midpoint)) * wi_words * WgtPlaneBeats;
    end else if (store_start) begin
      dma_op_o = OpStoreAct;
      dma_ext_o = ext_out;
      dma_local_o = out_base;
      dma_beats_o = out_words;
    end
  end

  // The step's last cycle.
  // Planted fault: the second step never drains (a hung accelerator).
  assign step_end = ((state == SDrain && !wb_busy_i && !need_store) || (state == SStore && dma_done_i)) &&
                    !(`APS_PLANTED(HANG) && layer_o == step_t'(1));

  assign desc_re_o = (state == SDescReq);
  assign desc_raddr_o = LAYER_AW'(layer_o);

  assign busy_o = (state != SIdle);
  assign pass_o = pass;
  assign pcu_cycles_o = pcu_cycles;
  assign sae_cycles_o = sae_cycles;
  assign margin_o = top1 - top2;
  assign third_gap_o = top1 - top3;
  assign gate_score = GateScoreWidth'(margin_weight_i) * GateScoreWidth'(margin_o) +
                      GateScoreWidth'(third_weight_i) * GateScoreWidth'(third_gap_o);
  assign escalate = gate_score < gate_threshold_i;
  assign sae_start_o = (state == SPre) && pre_start == 1'b0 && !dma_busy_i && kind == KindScan && !skip;
  assign sae_base_o = scan_base;
  assign sae_count_o = scan_count;
  assign metrics_we_o = (state == SScan) && sae_done_i;
  assign pcu_decide_o = (state == SPcu) && !pcu_issued && scan_action == ActionDecide;
  assign pcu_decide_all_o = (state == SPcu) && !pcu_issued && scan_action == ActionDecideAll;
  assign pcu_slot_o = (kind == KindScan) ? scan_slot : pcu_word.slot;

  // The configuration of this step: the descriptor's, or the PCU's for a
  // PCU-controlled layer (golden: pcu_config), with adaptive scaling from
  // the largest code of the layer's input.
  logic [3:0] eff_bits, eff_act_shift, eff_weight_shift;
  always_comb begin
    logic [7:0] m;
    logic [LAYER_AW-1:0] src;
    logic [3:0] k, sh;
    m = '0;
    k = '0;
    sh = '0;
    src = LAYER_AW'(pcu_word.max_source - step_t'(1));
    eff_bits = bits;
    eff_act_shift = act_shift;
    eff_weight_shift = weight_shift;
    if (pcu_word.enable && !pool) begin
      eff_bits = pass ? pcu_word.fallback_bits : (pcu_slot_bits_i != 4'd0 ? pcu_slot_bits_i : pcu_word.initial_bits);
      sh = 4'd8 - eff_bits;
      m = (pcu_word.max_source == '0) ? input_max_i : step_max[src];
      if (in_zp > m) m = in_zp;
      k = 4'd8;
      for (int b = 7; b >= 0; b--)
        if (m[b] && k == 4'd8) k = 4'(7 - b);
      eff_act_shift = (adaptive_scaling_i && k < sh) ? sh - k : (adaptive_scaling_i ? 4'd0 : sh);
      eff_weight_shift = sh;
    end
  end
  assign config_we_o = (state == SSetup) && setup_error == ErrNone && kind != KindScan && !(pass && shadow);
  assign config_o = pool ? step_config_t'{bits: 4'd8, default: '0}
                          : step_config_t'{bits: eff_bits, act_shift: eff_act_shift, weight_shift: eff_weight_shift,
                                           default: '0};
  assign run_cycles_o = run_cycles;
  assign stall_cycles_o = stalls;
  assign mem_beats_o = mem_beats;
  assign mem_stalls_o = mem_stalls;
  assign act_plane_reads_o = act_plane_reads;
  assign wgt_plane_reads_o = wgt_plane_reads;

  // tiles, the tile stride and the step's tensor sizes depend on the latched descriptor only
  always_comb begin
    word_blocks = depthwise ? 32'(DwBlocks) : 32'(in_cb);
    tile_stride = 32'(k_h) * 32'(k_w) * word_blocks + 32'd1;
    split = parts > 16'd1;
    tile_ext_bytes = (32'(parts) * COLS + 32'd8 * (tile_stride - 32'd1) * WgtPlaneBeats) * ROWS;
    part_ext_bytes = (32'(COLS) + 32'd8 * 32'(part_words) * WgtPlaneBeats) * ROWS;
    last_part_words = tile_stride - 32'd1 - (32'(parts) - 32'd1) * 32'(part_words);
    part_first = split ? 32'(pt) * 32'(part_words) : 32'd0;
    part_last = part_first + ((pt != parts - 16'd1) ? 32'(part_words) : last_part_words) - 32'd1;
    wi_words = (wi_pt != parts - 16'd1) ? 32'(part_words) : last_part_words;
    tiles = pool ? 32'(out_cb) : (32'(out_ch) + COLS - 1) / COLS;
    in_words = 32'(in_h) * 32'(in_w) * 32'(in_cb);
    out_words = 32'(out_h) * 32'(out_w) * 32'(out_cb);
  end

  // ---- descriptor checks ----
  logic [7:0] setup_error;
  always_comb begin
    logic [63:0] in_words64, out_words64;
    in_words64 = 64'(in_h) * 64'(in_w) * 64'(in_cb);
    out_words64 = 64'(out_h) * 64'(out_w) * 64'(out_cb);
    setup_error = ErrNone;
    if (kind > KindScan) setup_error = ErrBadKind;
    else if (kind == KindScan) begin
      if (64'(scan_base) + 64'(scan_count) > 64'(SAE_ENTRIES) || scan_slot >= num_slots_i ||
          !(scan_action inside {ActionNone, ActionDecide, ActionDecideAll}) ||
          (load_in && 64'(in_base) + in_words64 > 64'(ACT_WORDS)))
        setup_error = ErrScan;
    end
    else if (!pool && (bits < 4'd2 || bits > 4'd8 || act_shift > 4'd8 - bits || weight_shift > 4'd8 - bits))
      setup_error = ErrBadConfig;
    else if (pcu_word.enable && (pcu_word.slot >= num_slots_i || pcu_word.initial_bits < 4'd2 ||
                                 pcu_word.initial_bits > 4'd8 || pcu_word.fallback_bits < 4'd2 ||
                                 pcu_word.fallback_bits > 4'd8 || 32'(pcu_word.max_source) > MAX_LAYERS))
      setup_error = ErrBadConfig;
    else if (in_h == 0 || in_w == 0 || in_cb == 0 || out_h == 0 || out_w == 0 || out_cb == 0 || out_ch == 0 ||
             k_h == 0 || k_w == 0 || s_h == 0 || s_w == 0 || d_h == 0 || d_w == 0 ||
             32'(out_ch) > 32'(out_cb) * ROWS || (pool && (in_cb != out_cb)) ||
             (depthwise && (pool || !DwMappable || in_cb != out_cb)) ||
             (is_add && (in_h != out_h || in_w != out_w || k_h != 8'd1 || k_w != 8'd1 || s_h != 8'd1 || s_w != 8'd1 ||
                         p_t != 8'd0 || p_l != 8'd0)))
      setup_error = ErrShape;
    else if (64'(in_base) + in_words64 > 64'(ACT_WORDS) || 64'(out_base) + out_words64 > 64'(ACT_WORDS) ||
             (is_add && 64'(wgt_base) + in_words64 > 64'(ACT_WORDS)))
      setup_error = ErrActRange;
    else if (!pool && !split && 64'(tile_stride) > 64'(SlotWords))
      setup_error = ErrWgtRange;
    else if (split && (pool || depthwise || out_h != 16'd1 || out_w != 16'd1 || part_words == '0 ||
                       32'(part_words) + 32'd1 > SlotWords ||
                       (64'(parts) - 64'd1) * 64'(part_words) >= 64'(tile_stride) - 64'd1 ||
                       64'(parts) * 64'(part_words) < 64'(tile_stride) - 64'd1))
      setup_error = ErrWgtRange;
    else if (kind != KindMaxPool && 32'(out_ch) > PARAM_ENTRIES)
      setup_error = ErrPrmRange;
    else if (out_table != '0 && (kind == KindMaxPool || 32'(out_table) > LUT_TABLES))
      setup_error = ErrTable;
  end

  // ---- state machine ----
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state <= SIdle;
      layer_o <= '0;
      done_o <= 1'b0;
      error_o <= 1'b0;
      error_code_o <= ErrNone;
      layer_done_o <= 1'b0;
      done_layer_o <= '0;
      {layer_cycles_o, layer_beats_o, layer_mem_stalls_o} <= '0;
      run_cycles <= '0;
      {layer_cycles, stalls, mem_beats, mem_stalls, step_beats, step_mem_stalls} <= '0;
      {act_plane_reads, wgt_plane_reads} <= '0;
      {kind, relu, leaky, depthwise, load_in, load_in_b, store_out, bits, act_shift, weight_shift, weight_midpoint} <= '0;
      {in_base, out_base, wgt_base, prm_base, prm_stride, ext_in, ext_in_b, ext_out} <= '0;
      out_table <= '0;
      {in_h, in_w, in_cb, out_ch, out_h, out_w, out_cb} <= '0;
      {k_h, k_w, s_h, s_w, p_t, p_l, d_h, d_w, in_zp, out_zp, in_b_zp} <= '0;
      {add_mult_a, add_mult_b, add_shift_a, add_shift_b, add_left_shift} <= '0;
      {pixels, planes_per_word, skip, pre_todo, need_store, wt_issued, wt_loaded} <= '0;
      {t, f_oy, f_ox, f_ky, f_kx, f_cbi, f_r, c_oy, c_ox, c_ky, c_kx, c_cbi, c_r, plane} <= '0;
      tap_valid_o <= 1'b0;
      {lane_valid_o, dw_offset_o, f_blk, last_lanes, pixel_blocks} <= '0;
      {shadow, scan_base, scan_count, scan_slot, scan_action, pcu_word} <= '0;
      {pass, pcu_issued, top1, top2, top3, pcu_cycles, sae_cycles, step_pcu_cycles, rerun_o, run_start_o} <= '0;
      for (int l = 0; l < MAX_LAYERS; l++) step_max[l] <= '0;
    end else begin
      done_o <= 1'b0;
      layer_done_o <= 1'b0;
      run_start_o <= 1'b0;
      // Range and top-code tracking from the writes of the running step.
      if (mon_valid_i && 32'(mon_layer_i) < MAX_LAYERS && mon_value_i > step_max[mon_layer_i[LAYER_AW-1:0]])
        step_max[mon_layer_i[LAYER_AW-1:0]] <= mon_value_i;
      if (mon_valid_i && !pass && mon_layer_i + step_t'(1) == num_layers_i) begin
        if (mon_value_i > top1) begin
          // planted fault: the old second is lost instead of becoming the third
          if (!`APS_PLANTED(GATE_THIRD)) top3 <= top2;
          top2 <= top1;
          top1 <= mon_value_i;
        end else if (mon_value_i > top2) begin
          top3 <= top2;
          top2 <= mon_value_i;
        end else if (mon_value_i > top3) begin
          top3 <= mon_value_i;
        end
      end
      if (state == SPcu && !pass) pcu_cycles <= pcu_cycles + 32'd1;
      if (state == SPcu) step_pcu_cycles <= step_pcu_cycles + 32'd1;
      if (state != SIdle) run_cycles <= run_cycles + 64'd1;
      if (state != SIdle && state != SDone) layer_cycles <= layer_cycles + 32'd1;
      if (stall) stalls <= stalls + 32'd1;
      if (state inside {SPre, SWgtWait, SStore}) begin
        mem_stalls <= mem_stalls + 32'd1;
        step_mem_stalls <= step_mem_stalls + 32'd1;
      end
      if (act_re_o) act_plane_reads <= act_plane_reads + 32'(act_planes_o);
      if (wgt_re_o) wgt_plane_reads <= wgt_plane_reads + 32'(wgt_planes_o);
      if (dma_beat_i) begin
        mem_beats <= mem_beats + 32'd1;
        step_beats <= step_beats + 32'd1;
      end
      if (wt_start) begin
        wt_issued <= wt_issued + 32'd1;
        if (wi_pt == parts - 16'd1) begin
          wi_pt <= '0;
          wi_t <= wi_t + 32'd1;
        end else begin
          wi_pt <= wi_pt + 16'd1;
        end
      end
      if (dma_done_i && conv_phase) wt_loaded <= wt_loaded + 32'd1;
      if (pre_start) begin
        if (pre_todo[0]) pre_todo[0] <= 1'b0;
        else if (pre_todo[1]) pre_todo[1] <= 1'b0;
        else pre_todo[2] <= 1'b0;
      end
      if (issue) begin
        {f_oy, f_ox, f_ky, f_kx, f_cbi, f_r} <= {n_oy, n_ox, n_ky, n_kx, n_cbi, n_r};
        f_blk <= n_blk;
        tap_valid_o <= in_bounds;
        lane_valid_o <= (n_blk == pixel_blocks - 16'd1 && last_lanes != 5'd0) ? ROWS'((ROWS + 1)'(1) << last_lanes) - ROWS'(1)
                                                                               : '1;
        dw_offset_o <= 16'($signed(t * COLS) - $signed(block * ROWS));
      end
      if (capture_o) {c_oy, c_ox, c_ky, c_kx, c_cbi, c_r} <= {f_oy, f_ox, f_ky, f_kx, f_cbi, f_r};
      if (step_end) begin
        // A step's cycles: from its descriptor read to this, its last cycle.
        layer_done_o <= 1'b1;
        done_layer_o <= layer_o;
        layer_cycles_o <= layer_cycles + 32'd1;
        layer_beats_o <= step_beats + (dma_beat_i ? 32'd1 : 32'd0);
        layer_mem_stalls_o <= step_mem_stalls + ((state == SStore) ? 32'd1 : 32'd0);
        if (!pass && (kind == KindScan || shadow)) sae_cycles <= sae_cycles + layer_cycles + 32'd1 - step_pcu_cycles;
        if (layer_o + step_t'(1) == num_layers_i) begin
          state <= (cascade_i && !pass) ? SCascade : SDone;
        end else begin
          layer_o <= layer_o + step_t'(1);
          state <= SDescReq;
        end
      end
      unique case (state)
        SIdle: if (start_i) begin
          layer_o <= '0;
          run_cycles <= '0;
          stalls <= '0;
          mem_beats <= '0;
          mem_stalls <= '0;
          act_plane_reads <= '0;
          wgt_plane_reads <= '0;
          pass <= 1'b0;
          rerun_o <= 1'b0;
          pcu_cycles <= '0;
          sae_cycles <= '0;
          top1 <= '0;
          top2 <= '0;
          top3 <= '0;
          run_start_o <= 1'b1;
          error_o <= 1'b0;
          error_code_o <= ErrNone;
          // More slots than the PCU's table holds would alias slots.
          if (32'(num_layers_i) > MAX_LAYERS || 32'(num_slots_i) > MAX_LAYERS) begin
            error_o <= 1'b1;
            error_code_o <= ErrLayers;
            state <= SDone;
          end else begin
            state <= (num_layers_i == '0) ? SDone : SDescReq;
          end
        end
        SDescReq: begin
          layer_cycles <= 32'd1;
          step_pcu_cycles <= '0;
          step_beats <= '0;
          step_mem_stalls <= '0;
          state <= SDescWait;
        end
        SDescWait: begin
          kind <= d_mode.kind;
          relu <= d_mode.relu;
          leaky <= d_mode.leaky;
          depthwise <= d_mode.depthwise;
          load_in <= d_mode.load_in;
          load_in_b <= d_mode.load_in_b;
          store_out <= d_mode.store_out;
          bits <= d_mode.bits;
          act_shift <= d_mode.act_shift;
          weight_shift <= d_mode.weight_shift;
          weight_midpoint <= d_mode.weight_midpoint;
          in_base <= dw(DescInBase);
          out_base <= dw(DescOutBase);
          in_h <= d_in_hw.in_h;
          in_w <= d_in_hw.in_w;
          in_cb <= d_chans.in_cb;
          out_ch <= d_chans.out_channels;
          out_h <= d_out_hw.out_h;
          out_w <= d_out_hw.out_w;
          out_cb <= d_out_cb.out_cb;
          k_h <= d_kernel.kernel_h;
          k_w <= d_kernel.kernel_w;
          s_h <= d_kernel.stride_h;
          s_w <= d_kernel.stride_w;
          p_t <= d_pad.pad_top;
          p_l <= d_pad.pad_left;
          d_h <= d_pad.dilation_h;
          d_w <= d_pad.dilation_w;
          wgt_base <= dw(DescWgtBase);
          prm_base <= dw(DescPrmBase);
          prm_stride <= dw(DescPrmStride);
          out_table <= d_out_table.index;
          ext_in <= dw(DescExtIn);
          ext_in_b <= dw(DescExtInB);
          ext_out <= dw(DescExtOut);
          in_zp <= d_zp.in_zp;
          last_lanes <= d_lanes.last_lanes;
          pixel_blocks <= d_lanes.pixel_blocks;
          out_zp <= d_zp.out_zp;
          in_b_zp <= d_zp.in_b_zp;
          add_mult_a <= dw(DescAddMultA);
          add_mult_b <= dw(DescAddMultB);
          add_shift_a <= d_add_shift.shift_a;
          add_shift_b <= d_add_shift.shift_b;
          add_left_shift <= d_add_shift.left_shift;
          shadow <= d_mode.shadow;
          scan_base <= dw(DescScanBase);
          scan_count <= dw(DescScanCount);
          scan_slot <= d_scan_ctl.slot;
          scan_action <= d_scan_ctl.action;
          pcu_word <= desc_pcu_t'(dw(DescPcu));
          parts <= (d_wgt_parts.parts == '0) ? 16'd1 : 16'(d_wgt_parts.parts);
          part_words <= 16'(d_wgt_parts.part_words);
          state <= SSetup;
        end
        SSetup: begin
          pixels <= 32'(out_h) * 32'(out_w);
          planes_per_word <= pool ? 32'd1 : 32'(eff_bits);
          bits <= eff_bits;
          // The channel parameters of this width (a bias corrected per width).
          prm_base <= prm_base + {28'd0, 4'd8 - eff_bits} * prm_stride;
          act_shift <= eff_act_shift;
          weight_shift <= eff_weight_shift;
          t <= '0;
          ld <= '0;
          pt <= '0;
          wi_t <= '0;
          wi_pt <= '0;
          wt_issued <= '0;
          wt_loaded <= '0;
          pcu_issued <= 1'b0;
          // The cascade's re-run computes the main layers only, but performs
          // every step's loads: a later main layer may read what they bring.
          skip <= pass && (shadow || kind == KindScan);
          pre_todo <= {!(pass && (shadow || kind == KindScan)) && kind != KindMaxPool && kind != KindScan,
                       load_in_b && is_add, load_in};
          need_store <= !(pass && shadow) && store_out && kind != KindScan;
          if (setup_error != ErrNone) begin
            error_o <= 1'b1;
            error_code_o <= setup_error;
            state <= SDone;
          end else begin
            if (!(pass && (shadow || kind == KindScan)) && kind != KindScan) begin
              step_max[layer_o[LAYER_AW-1:0]] <= '0;
              if (!pass && layer_o + step_t'(1) == num_layers_i) begin
                top1 <= '0;
                top2 <= '0;
                top3 <= '0;
              end
            end
            state <= SPre;
          end
        end
        SPre: if (!dma_busy_i && pre_todo == 3'd0) begin
          if (skip) state <= SDrain;
          else if (kind == KindScan) state <= SScan;
          else if (kind == KindConv) state <= SWgtWait;
          else state <= STileStart;
        end
        SScan: if (sae_done_i) state <= (scan_action == ActionNone) ? SDrain : SPcu;
        SPcu: begin
          pcu_issued <= 1'b1;
          if (pcu_done_i) state <= SDrain;
        end
        SCascade: begin
          if (escalate) begin
            rerun_o <= 1'b1;
            pass <= 1'b1;
            layer_o <= '0;
            state <= SDescReq;
          end else begin
            state <= SDone;
          end
        end
        SWgtWait: if (wt_loaded > ld) state <= STileStart;
        STileStart: begin
          plane <= '0;
          state <= SFirst;
        end
        SFirst: state <= pool ? SPlanes : SPrime;
        SPrime: state <= SPlanes;
        SPlanes: if (!stall) begin
          if (!last_plane) begin
            plane <= plane + 4'd1;
          end else begin
            plane <= '0;
            if (last_word && last_pixel) begin
              if (last_tile) begin
                state <= SDrain;
              end else begin
                t <= t + 32'd1;
                ld <= ld + 32'd1;
                pt <= '0;
                state <= pool ? STileStart : SWgtWait;
              end
            end else if (w_part_end) begin
              ld <= ld + 32'd1;
              pt <= pt + 16'd1;
              state <= SWgtWait;
            end
          end
        end
        SDrain: if (store_start) state <= SStore;
        SStore: ;
        SDone: begin
          done_o <= 1'b1;
          state <= SIdle;
        end
        default: state <= SIdle;
      endcase
    end
  end

`ifndef SYNTHESIS
  assert property (@(posedge clk_i) disable iff (!rst_ni) act_re_o |-> act_addr < 32'(ACT_WORDS))
    else $error("aps_sequencer: activation address %0d outside the %0d-word scratchpad", act_addr, ACT_WORDS);
  assert property (@(posedge clk_i) disable iff (!rst_ni) state == SPlanes |-> 32'(plane) < planes_per_word)
    else $error("aps_sequencer: plane counter ran past the operand width");
  assert property (@(posedge clk_i) disable iff (!rst_ni) wb_start_o |-> wb_count_o >= 1)
    else $error("aps_sequencer: a pixel with no output channels");
  assert property (@(posedge clk_i) disable iff (!rst_ni) state == STileStart && !pool |-> wt_loaded > ld)
    else $error("aps_sequencer: weight load %0d (tile %0d) started before it arrived", ld, t);
  assert property (@(posedge clk_i) disable iff (!rst_ni) dma_done_i && state != SStore |->
                   state == SPre || conv_phase)
    else $error("aps_sequencer: a DMA transfer ended outside a phase that waits for one");
  // Functional coverage (--coverage-user builds; docs/verification.md lists
  // the points and rtl/coverage_holes.json why any is out of reach).
  if (1) begin : cov_layer_kind_x_width
    for (genvar b = 2; b <= 8; b++) begin : conv
      cover property (@(posedge clk_i) disable iff (!rst_ni)
                      config_we_o && kind == KindConv && !depthwise && config_o.bits == 4'(b));
    end
    for (genvar b = 2; b <= 8; b++) begin : depthwise_conv
      cover property (@(posedge clk_i) disable iff (!rst_ni)
                      config_we_o && kind == KindConv && depthwise && config_o.bits == 4'(b));
    end
    max_pool: cover property (@(posedge clk_i) disable iff (!rst_ni) config_we_o && kind == KindMaxPool);
    avg_pool: cover property (@(posedge clk_i) disable iff (!rst_ni) config_we_o && kind == KindAvgPool);
    add: cover property (@(posedge clk_i) disable iff (!rst_ni) config_we_o && kind == KindAdd);
    scan: cover property (@(posedge clk_i) disable iff (!rst_ni)
                          state == SSetup && setup_error == ErrNone && kind == KindScan);
  end

  if (1) begin : cov_sae_schedule
    scan_only: cover property (@(posedge clk_i) disable iff (!rst_ni)
                               state == SScan && sae_done_i && scan_action == ActionNone);
    scan_then_decide: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                      state == SScan && sae_done_i && scan_action == ActionDecide);
    scan_then_decide_all: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                          state == SScan && sae_done_i && scan_action == ActionDecideAll);
    shadow_layer: cover property (@(posedge clk_i) disable iff (!rst_ni) config_we_o && shadow);
    skipped_in_rerun: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                      state == SSetup && setup_error == ErrNone && pass && (shadow || kind == KindScan));
    pcu_layer_undecided: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                         config_we_o && !pass && pcu_word.enable && !pool && pcu_slot_bits_i == 4'd0);
    pcu_layer_decided: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                       config_we_o && !pass && pcu_word.enable && !pool && pcu_slot_bits_i != 4'd0);
    input_range_scaling: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                         config_we_o && pcu_word.enable && !pool && adaptive_scaling_i &&
                                         eff_act_shift < 4'd8 - eff_bits);
  end

  if (1) begin : cov_cascade
    rerun_taken: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                 state == SCascade && escalate);
    rerun_not_taken: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                     state == SCascade && !escalate);
    // the gate reads the third code: its gap keeps an input the weighted margin alone would re-run
    kept_by_third: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                   state == SCascade && !escalate &&
                                   GateScoreWidth'(margin_weight_i) * GateScoreWidth'(margin_o) < gate_threshold_i);
    fallback_layer: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                    config_we_o && pass && pcu_word.enable && !pool);
  end

  if (1) begin : cov_error_code
    logic stopped;
    assign stopped = state == SDone && error_o;
    bad_kind: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrBadKind);
    bad_config: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrBadConfig);
    act_range: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrActRange);
    wgt_range: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrWgtRange);
    prm_range: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrPrmRange);
    shape: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrShape);
    layers: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrLayers);
    scan: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrScan);
    table_range: cover property (@(posedge clk_i) disable iff (!rst_ni) stopped && error_code_o == ErrTable);
  end

  if (1) begin : cov_datapath_stall
    writeback_stall: cover property (@(posedge clk_i) disable iff (!rst_ni) stall);
    // A later load's weights still loading, or already there (the double buffer hid the load).
    tile_waits_for_weights: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                            state == SWgtWait && ld != 32'd0 && wt_loaded <= ld);
    tile_weights_prefetched: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                             state == SWgtWait && ld != 32'd0 && wt_loaded > ld);
    // A tile larger than a slot: its pixel's sums carried into the next part.
    tile_part_carried: cover property (@(posedge clk_i) disable iff (!rst_ni) advance && w_part_end && !last_word);
  end
  if (1) begin : cov_weight_rule
    // Midpoint weights captured, at a narrow width and at 7 bits (its zero
    // point needs all 8 planes there).
    midpoint_weights: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                      capture_o && weight_midpoint && weight_shift > 4'd1);
    midpoint_weights_7_bits: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                             capture_o && weight_midpoint && weight_shift == 4'd1);
    // Lanes left out of a sum: a pixel's short last block, a fully connected
    // layer's block count wrapping to the next pixel, a depthwise word.
    short_block_masked: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                        capture_o && !depthwise && lane_valid_o != '1);
    pixel_blocks_wrapped: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                          issue && n_cbi != 16'd0 && n_blk == 16'd0);
  end
`endif
endmodule
