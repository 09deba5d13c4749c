// APS accelerator top: a precision-scalable (bit-serial) convolution /
// fully-connected engine with a memory-mapped host port, a layer sequencer,
// a DMA engine onto the external memory (which holds the weights, the
// channel parameters and the tensors), a writeback engine with integer
// requantization, and a monitor port that shows every layer-output write.
module aps_top
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  // The build parameters (rtl/aps_host_interface.json says what each is).
  parameter int ROWS = DefaultRows,
  parameter int COLS = DefaultCols,
  parameter int ACT_WORDS = DefaultActWords,
  parameter int WGT_WORDS = DefaultWgtWords,
  parameter int PARAM_ENTRIES = DefaultParamEntries,
  parameter int MAX_LAYERS = DefaultMaxLayers,
  parameter int SAE_ENTRIES = DefaultSaeEntries,
  parameter int LUT_TABLES = DefaultLutTables
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // host port
  input  logic        host_req_valid_i,
  output logic        host_req_ready_o,
  input  logic        host_req_write_i,
  input  logic [31:0] host_req_addr_i,
  input  logic [31:0] host_req_wdata_i,
  output logic        host_rsp_valid_o,
  output logic [31:0] host_rsp_rdata_o,
  output logic        done_o,
  output logic        irq_o,
  // memory port onto the external memory (beats of ROWS bytes)
  output logic                mem_req_valid_o,
  input  logic                mem_req_ready_i,
  output logic                mem_req_write_o,
  output logic [31:0]         mem_req_addr_o,
  output logic [8:0]          mem_req_beats_o,
  output logic                mem_wvalid_o,
  input  logic                mem_wready_i,
  output logic [8*ROWS-1:0]   mem_wdata_o,
  input  logic                mem_rsp_valid_i,
  output logic                mem_rsp_ready_o,
  input  logic [8*ROWS-1:0]   mem_rsp_data_i,
  // monitor: one layer-output element per cycle
  output logic        mon_valid_o,
  output logic        mon_pass_o,     // 1: the cascade's re-run
  output step_t       mon_layer_o,
  output logic [31:0] mon_index_o,
  output logic [7:0]  mon_value_o
);

`ifdef APS_FAULT_INJECTION
  // The harness names the planted fault (0: none) before the first eval.
  initial if (!$value$plusargs("aps_fault=%d", aps_fault_pkg::planted)) aps_fault_pkg::planted = 0;
`endif

  localparam int ACT_AW = $clog2(ACT_WORDS);
  localparam int WGT_AW = $clog2(WGT_WORDS);
  localparam int PRM_AW = $clog2(PARAM_ENTRIES);
  localparam int LAYER_AW = $clog2(MAX_LAYERS);
  localparam int SAE_AW = $clog2(SAE_ENTRIES);
  localparam int SAE_BYTES = sae_entry_bytes(ROWS);
  localparam int DESC_BYTES = desc_entry_bytes();
  localparam int PRM_BYTES = param_entry_bytes();
  localparam int PCU_BYTES = pcu_entry_bytes();

  // Elaboration-time checks of the parameters.
  if (ROWS < 4 || ROWS > 16 || (ROWS & (ROWS - 1)) != 0) $error("ROWS must be 4, 8 or 16");
  if (WGT_WORDS < 4 || WGT_WORDS % 2 != 0) $error("WGT_WORDS must be even (two slots) and at least 4");
  if (COLS < 1) $error("COLS must be >= 1");
  // Descriptor word out_table names 1 + a table in 8 bits.
  if (LUT_TABLES < 1 || LUT_TABLES > 255) $error("LUT_TABLES must be 1 to 255");
  // The PCU's candidate slots (c0..c3, the metrics' decode) are four.
  if (PcuCandidates != 4) $error("the host interface has %0d PCU candidates; aps_pcu holds 4", PcuCandidates);
  if (!host_if_fits(ROWS, COLS, ACT_WORDS, WGT_WORDS, PARAM_ENTRIES, MAX_LAYERS, SAE_ENTRIES, LUT_TABLES))
    $error("the memories do not fit their host address spans, or MAX_LAYERS is not 2 to CSR_LOG_STEPS");

  // ---- sequencer ----
  logic start, busy, run_done, run_error, layer_done;
  step_t      num_layers, layer, done_layer;
  logic [7:0] error_code;
  logic [63:0] run_cycles;
  logic [31:0] stall_cycles, layer_cycles, mem_beats, mem_stalls, layer_beats, layer_mem_stalls;
  logic [31:0] act_plane_reads, wgt_plane_reads;
  logic [3:0] seq_act_planes, seq_wgt_planes;
  logic seq_desc_re, seq_act_re, seq_wgt_re;
  logic [LAYER_AW-1:0] seq_desc_raddr;
  logic [ACT_AW-1:0] seq_act_raddr;
  logic [WGT_AW-1:0] seq_wgt_raddr;
  logic [7:0] out_table;
  logic h_lut_we;
  logic [$clog2(LUT_TABLES * lut_entry_bytes() / 4)-1:0] h_lut_waddr;
  logic pool, relu, leaky, tap_valid, load_zw, capture, step, first_word, last_plane, depthwise;
  logic [ROWS-1:0] lane_valid;
  logic signed [15:0] dw_offset;
  logic [3:0] bits, act_shift, weight_shift, plane, kind;
  logic       weight_midpoint;
  logic [7:0] in_zp, out_zp, in_b_zp;
  logic signed [31:0] add_mult_a, add_mult_b;
  logic signed [7:0] add_shift_a, add_shift_b;
  logic [4:0] add_left_shift;
  logic wb_start, wb_ready, wb_busy;
  logic [31:0] wb_channel_base, wb_count, wb_pixel, out_base, pixels;
  // DMA
  logic dma_start, dma_busy, dma_done, dma_beat;
  dma_op_e dma_op;
  logic [31:0] dma_ext, dma_local, dma_beats, dma_tile_words;
  logic dma_act_we, dma_act_re, dma_wgt_we, dma_prm_we;
  logic [ACT_AW-1:0] dma_act_waddr, dma_act_raddr;
  logic [8*ROWS-1:0] dma_act_wdata;
  logic [WGT_AW-1:0] dma_wgt_waddr;
  logic [8*ROWS*COLS-1:0] dma_wgt_wbe;
  logic [8*ROWS*COLS-1:0] dma_wgt_wdata;
  logic [PRM_AW-1:0] dma_prm_waddr;
  logic [PRM_BYTES-1:0] dma_prm_wbe;
  logic [8*PRM_BYTES-1:0] dma_prm_wdata;
  logic [15:0] out_cb;
  // adaptive precision
  logic adaptive_scaling, cascade, run_start, pass, sae_start, sae_done, metrics_we, pcu_decide, pcu_decide_all;
  logic pcu_done, config_we, rerun;
  step_t      num_slots, pcu_slot;
  logic [7:0] input_max, margin, third_gap;
  logic [CsrPcuFlagsMarginWeightWidth-1:0] margin_weight;
  logic [CsrPcuFlagsThirdWeightWidth-1:0] third_weight;
  logic [CsrPcuFlagsGateThresholdWidth-1:0] gate_threshold;
  logic [63:0] budget;
  logic [2:0] num_cand;
  logic [3:0] cand [4];
  logic [31:0] sae_base, sae_count, pcu_cycles, sae_cycles;
  step_config_t config_log;
  logic [63:0] sae_metrics [4];
  logic [MAX_LAYERS-1:0][3:0] slot_bits;
  logic [LAYER_AW+1:0] metric_sel;
  logic [63:0] metric_word;
  logic sae_re, sae_act_re, pcu_tbl_re, h_pcu_we, h_sae_we;
  logic [SAE_AW-1:0] sae_raddr, h_sae_waddr;
  /* verilator lint_off UNUSEDSIGNAL */  // entries are padded to a power of two
  logic [8*SAE_BYTES-1:0] sae_rdata;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [ACT_AW-1:0] sae_act_raddr;
  logic [LAYER_AW-1:0] pcu_tbl_raddr, h_pcu_waddr;
  logic [8*PCU_BYTES-1:0] pcu_tbl_rdata;
  logic [PCU_BYTES-1:0] h_pcu_wbe;
  logic [SAE_BYTES-1:0] h_sae_wbe;

  // ---- memories ----
  logic [8*DESC_BYTES-1:0] desc_rdata;
  logic [8*PRM_BYTES-1:0] prm_rdata;
  logic [8*ROWS-1:0] act_rdata;
  logic [8*ROWS*COLS-1:0] wgt_rdata;

  // host side
  logic h_desc_we, h_act_we, h_act_re;
  logic [LAYER_AW-1:0] h_desc_waddr;
  logic [DESC_BYTES-1:0] h_desc_wbe;
  logic [ACT_AW-1:0] h_act_waddr, h_act_raddr;
  logic [ROWS-1:0] h_act_wbe;
  logic [31:0] h_wdata;

  // writeback side
  logic wb_prm_re, wb_act_we;
  logic [PRM_AW-1:0] wb_prm_raddr;
  logic [ACT_AW-1:0] wb_act_waddr;
  logic [ROWS-1:0] wb_act_wbe;
  logic [8*ROWS-1:0] wb_act_wdata;

  aps_host_port #(
    .ROWS(ROWS), .COLS(COLS), .ACT_WORDS(ACT_WORDS), .WGT_WORDS(WGT_WORDS),
    .PARAM_ENTRIES(PARAM_ENTRIES), .MAX_LAYERS(MAX_LAYERS), .SAE_ENTRIES(SAE_ENTRIES), .LUT_TABLES(LUT_TABLES)
  ) u_host (
    .clk_i, .rst_ni,
    .req_valid_i(host_req_valid_i), .req_ready_o(host_req_ready_o), .req_write_i(host_req_write_i),
    .req_addr_i(host_req_addr_i), .req_wdata_i(host_req_wdata_i),
    .rsp_valid_o(host_rsp_valid_o), .rsp_rdata_o(host_rsp_rdata_o),
    .busy_i(busy), .run_done_i(run_done), .run_error_i(run_error), .error_code_i(error_code),
    .layer_i(layer), .run_cycles_i(run_cycles), .stall_cycles_i(stall_cycles),
    .mem_beats_i(mem_beats), .mem_stalls_i(mem_stalls),
    .act_plane_reads_i(act_plane_reads), .wgt_plane_reads_i(wgt_plane_reads),
    .layer_done_i(layer_done), .done_layer_i(done_layer), .layer_cycles_i(layer_cycles),
    .layer_beats_i(layer_beats), .layer_mem_stalls_i(layer_mem_stalls),
    .pass_i(pass), .config_we_i(config_we), .config_i(config_log), .rerun_i(rerun), .margin_i(margin), .third_gap_i(third_gap),
    .pcu_cycles_i(pcu_cycles), .sae_cycles_i(sae_cycles), .slot_bits_i(slot_bits), .metric_sel_o(metric_sel), .metric_i(metric_word),
    .adaptive_scaling_o(adaptive_scaling), .cascade_o(cascade), .margin_weight_o(margin_weight),
    .third_weight_o(third_weight), .gate_threshold_o(gate_threshold),
    .input_max_o(input_max), .num_slots_o(num_slots), .budget_o(budget), .num_cand_o(num_cand), .cand_o(cand),
    .start_o(start), .num_layers_o(num_layers), .done_o, .irq_o,
    .desc_we_o(h_desc_we), .desc_waddr_o(h_desc_waddr), .desc_wbe_o(h_desc_wbe),
    .act_we_o(h_act_we), .act_waddr_o(h_act_waddr), .act_wbe_o(h_act_wbe),
    .pcu_we_o(h_pcu_we), .pcu_waddr_o(h_pcu_waddr), .pcu_wbe_o(h_pcu_wbe),
    .sae_we_o(h_sae_we), .sae_waddr_o(h_sae_waddr), .sae_wbe_o(h_sae_wbe), .wdata_o(h_wdata),
    .lut_we_o(h_lut_we), .lut_waddr_o(h_lut_waddr),
    .act_re_o(h_act_re), .act_raddr_o(h_act_raddr), .act_rdata_i(act_rdata)
  );

  aps_mem #(.WORDS(MAX_LAYERS), .BYTES(DESC_BYTES)) u_desc_mem (
    .clk_i, .we_i(h_desc_we), .waddr_i(h_desc_waddr), .wbe_i(h_desc_wbe), .wdata_i({(DESC_BYTES/4){h_wdata}}),
    .re_i(seq_desc_re), .raddr_i(seq_desc_raddr), .rdata_o(desc_rdata)
  );

  // The parameter and weight buffers are filled by the DMA engine only.
  aps_mem #(.WORDS(PARAM_ENTRIES), .BYTES(PRM_BYTES)) u_param_mem (
    .clk_i, .we_i(dma_prm_we), .waddr_i(dma_prm_waddr), .wbe_i(dma_prm_wbe), .wdata_i(dma_prm_wdata),
    .re_i(wb_prm_re), .raddr_i(wb_prm_raddr), .rdata_o(prm_rdata)
  );

  // Bit enables: the DMA engine writes a weight word one bit-plane at a time.
  aps_plane_mem #(.WORDS(WGT_WORDS), .CODES(ROWS * COLS), .GRAIN(1)) u_wgt_mem (
    .clk_i, .we_i(dma_wgt_we), .waddr_i(dma_wgt_waddr), .wbe_i(dma_wgt_wbe), .wdata_i(dma_wgt_wdata),
    .re_i(seq_wgt_re), .raddr_i(seq_wgt_raddr), .planes_i(seq_wgt_planes), .rdata_o(wgt_rdata)
  );

  // The scratchpad's ports belong to the run while busy (the DMA engine, the
  // writeback, the SAE and the sequencer never want the same port in the same
  // cycle: transfers happen before and after a step's compute), to the host
  // while idle. Only the sequencer's reads for the array read fewer than
  // all planes.
  aps_plane_mem #(.WORDS(ACT_WORDS), .CODES(ROWS)) u_act_mem (
    .clk_i,
    .we_i(busy ? (dma_act_we || wb_act_we) : h_act_we),
    .waddr_i(busy ? (dma_act_we ? dma_act_waddr : wb_act_waddr) : h_act_waddr),
    .wbe_i(busy ? (dma_act_we ? {ROWS{1'b1}} : wb_act_wbe) : h_act_wbe),
    .wdata_i(busy ? (dma_act_we ? dma_act_wdata : wb_act_wdata) : {(ROWS/4){h_wdata}}),
    .re_i(busy ? (seq_act_re || sae_act_re || dma_act_re) : h_act_re),
    .raddr_i(busy ? (dma_act_re ? dma_act_raddr : sae_act_re ? sae_act_raddr : seq_act_raddr) : h_act_raddr),
    .planes_i((busy && !dma_act_re && !sae_act_re) ? seq_act_planes : 4'd8),
    .rdata_o(act_rdata)
  );

  aps_dma #(
    .ROWS(ROWS), .COLS(COLS), .ACT_WORDS(ACT_WORDS), .WGT_WORDS(WGT_WORDS), .PARAM_ENTRIES(PARAM_ENTRIES)
  ) u_dma (
    .clk_i, .rst_ni, .start_i(dma_start), .op_i(dma_op), .ext_addr_i(dma_ext), .local_i(dma_local),
    .beats_i(dma_beats), .tile_words_i(dma_tile_words), .busy_o(dma_busy), .done_o(dma_done), .beat_o(dma_beat),
    .mem_req_valid_o, .mem_req_ready_i, .mem_req_write_o, .mem_req_addr_o, .mem_req_beats_o,
    .mem_wvalid_o, .mem_wready_i, .mem_wdata_o, .mem_rsp_valid_i, .mem_rsp_ready_o, .mem_rsp_data_i,
    .act_we_o(dma_act_we), .act_waddr_o(dma_act_waddr), .act_wdata_o(dma_act_wdata),
    .act_re_o(dma_act_re), .act_raddr_o(dma_act_raddr), .act_rdata_i(act_rdata),
    .wgt_we_o(dma_wgt_we), .wgt_waddr_o(dma_wgt_waddr), .wgt_wbe_o(dma_wgt_wbe), .wgt_wdata_o(dma_wgt_wdata),
    .prm_we_o(dma_prm_we), .prm_waddr_o(dma_prm_waddr), .prm_wbe_o(dma_prm_wbe), .prm_wdata_o(dma_prm_wdata)
  );

  aps_mem #(.WORDS(MAX_LAYERS), .BYTES(PCU_BYTES)) u_pcu_table (
    .clk_i, .we_i(h_pcu_we), .waddr_i(h_pcu_waddr), .wbe_i(h_pcu_wbe), .wdata_i({(PCU_BYTES/4){h_wdata}}),
    .re_i(pcu_tbl_re), .raddr_i(pcu_tbl_raddr), .rdata_o(pcu_tbl_rdata)
  );

  aps_mem #(.WORDS(SAE_ENTRIES), .BYTES(SAE_BYTES)) u_sae_mem (
    .clk_i, .we_i(h_sae_we), .waddr_i(h_sae_waddr), .wbe_i(h_sae_wbe), .wdata_i({(SAE_BYTES/4){h_wdata}}),
    .re_i(sae_re), .raddr_i(sae_raddr), .rdata_o(sae_rdata)
  );

  aps_sae_unit #(.ROWS(ROWS), .SAE_ENTRIES(SAE_ENTRIES), .ACT_WORDS(ACT_WORDS)) u_sae (
    .clk_i, .rst_ni, .start_i(sae_start), .base_i(sae_base), .count_i(sae_count), .zp_i(in_zp),
    .num_cand_i(num_cand), .cand_i(cand), .done_o(sae_done), .metrics_o(sae_metrics),
    .sae_re_o(sae_re), .sae_raddr_o(sae_raddr), .sae_rdata_i(sae_rdata[32+16*ROWS-1:0]),
    .act_re_o(sae_act_re), .act_raddr_o(sae_act_raddr), .act_rdata_i(act_rdata)
  );

  aps_pcu #(.SLOTS(MAX_LAYERS)) u_pcu (
    .clk_i, .rst_ni, .run_start_i(run_start), .num_cand_i(num_cand), .cand_i(cand), .num_slots_i(num_slots),
    .budget_i(budget), .metrics_we_i(metrics_we), .metrics_slot_i(pcu_slot), .metrics_i(sae_metrics),
    .decide_i(pcu_decide), .decide_all_i(pcu_decide_all), .slot_i(pcu_slot), .done_o(pcu_done),
    .tbl_re_o(pcu_tbl_re), .tbl_raddr_o(pcu_tbl_raddr), .tbl_rdata_i(pcu_tbl_rdata),
    .bits_o(slot_bits), .metric_sel_i(metric_sel), .metric_o(metric_word)
  );

  aps_sequencer #(
    .ROWS(ROWS), .COLS(COLS), .ACT_WORDS(ACT_WORDS), .WGT_WORDS(WGT_WORDS),
    .PARAM_ENTRIES(PARAM_ENTRIES), .MAX_LAYERS(MAX_LAYERS), .SAE_ENTRIES(SAE_ENTRIES), .LUT_TABLES(LUT_TABLES)
  ) u_sequencer (
    .clk_i, .rst_ni, .start_i(start), .num_layers_i(num_layers),
    .busy_o(busy), .done_o(run_done), .error_o(run_error), .error_code_o(error_code), .layer_o(layer),
    .run_cycles_o(run_cycles), .stall_cycles_o(stall_cycles), .mem_beats_o(mem_beats), .mem_stalls_o(mem_stalls),
    .act_plane_reads_o(act_plane_reads), .wgt_plane_reads_o(wgt_plane_reads),
    .layer_done_o(layer_done), .done_layer_o(done_layer), .layer_cycles_o(layer_cycles),
    .layer_beats_o(layer_beats), .layer_mem_stalls_o(layer_mem_stalls),
    .desc_re_o(seq_desc_re), .desc_raddr_o(seq_desc_raddr), .desc_rdata_i(desc_rdata),
    .act_re_o(seq_act_re), .act_raddr_o(seq_act_raddr), .act_planes_o(seq_act_planes),
    .wgt_re_o(seq_wgt_re), .wgt_raddr_o(seq_wgt_raddr), .wgt_planes_o(seq_wgt_planes),
    .dma_start_o(dma_start), .dma_op_o(dma_op), .dma_ext_o(dma_ext), .dma_local_o(dma_local),
    .dma_beats_o(dma_beats), .dma_tile_words_o(dma_tile_words), .dma_busy_i(dma_busy), .dma_done_i(dma_done), .dma_beat_i(dma_beat),
    .pool_o(pool), .kind_o(kind), .relu_o(relu), .leaky_o(leaky), .table_o(out_table), .bits_o(bits), .act_shift_o(act_shift), .weight_shift_o(weight_shift),
    .weight_midpoint_o(weight_midpoint),
    .in_zp_o(in_zp), .out_zp_o(out_zp), .in_b_zp_o(in_b_zp), .add_mult_a_o(add_mult_a), .add_mult_b_o(add_mult_b),
    .add_shift_a_o(add_shift_a), .add_shift_b_o(add_shift_b), .add_left_shift_o(add_left_shift), .tap_valid_o(tap_valid),
    .lane_valid_o(lane_valid), .dw_offset_o(dw_offset), .depthwise_o(depthwise), .load_zw_o(load_zw), .capture_o(capture),
    .step_o(step),
    .plane_o(plane), .first_word_o(first_word), .last_plane_o(last_plane),
    .wb_start_o(wb_start), .wb_channel_base_o(wb_channel_base), .wb_count_o(wb_count), .wb_pixel_o(wb_pixel),
    .out_base_o(out_base), .out_cb_o(out_cb), .pixels_o(pixels),
    .wb_ready_i(wb_ready), .wb_busy_i(wb_busy),
    .adaptive_scaling_i(adaptive_scaling), .cascade_i(cascade), .margin_weight_i(margin_weight),
    .third_weight_i(third_weight), .gate_threshold_i(gate_threshold),
    .input_max_i(input_max), .num_slots_i(num_slots), .run_start_o(run_start), .pass_o(pass),
    .sae_start_o(sae_start), .sae_base_o(sae_base), .sae_count_o(sae_count), .sae_done_i(sae_done),
    .metrics_we_o(metrics_we), .pcu_decide_o(pcu_decide), .pcu_decide_all_o(pcu_decide_all), .pcu_slot_o(pcu_slot),
    .pcu_done_i(pcu_done), .pcu_slot_bits_i(slot_bits[pcu_slot[LAYER_AW-1:0]]), .config_we_o(config_we),
    .config_o(config_log), .pcu_cycles_o(pcu_cycles), .sae_cycles_o(sae_cycles), .rerun_o(rerun), .margin_o(margin), .third_gap_o(third_gap),
    .mon_valid_i(mon_valid_o), .mon_layer_i(mon_layer_o), .mon_value_i(mon_value_o)
  );
  assign mon_pass_o = pass;

  // ---- datapath ----
  localparam int NV = (COLS > ROWS) ? COLS : ROWS;
  logic signed [31:0] conv_result [COLS];
  logic signed [31:0] pool_result [ROWS];
  logic signed [31:0] wb_values [NV];
  always_comb begin
    for (int i = 0; i < NV; i++) begin
      if (pool) wb_values[i] = (i < ROWS) ? pool_result[i % ROWS] : 32'sd0;
      else wb_values[i] = (i < COLS) ? conv_result[i % COLS] : 32'sd0;
    end
  end

  aps_pe_array #(.ROWS(ROWS), .COLS(COLS)) u_pe_array (
    .clk_i, .rst_ni, .bits_i(bits), .act_shift_i(act_shift), .weight_shift_i(weight_shift),
    .weight_midpoint_i(weight_midpoint), .in_zp_i(in_zp),
    .act_word_i(act_rdata), .tap_valid_i(tap_valid), .lane_valid_i(lane_valid), .depthwise_i(depthwise),
    .dw_offset_i(dw_offset), .wgt_word_i(wgt_rdata), .load_zw_i(load_zw), .capture_i(capture),
    .step_i(step && !pool), .plane_i(plane), .first_word_i(first_word), .last_plane_i(last_plane),
    .result_o(conv_result)
  );

  aps_pool_unit #(.ROWS(ROWS)) u_pool_unit (
    .clk_i, .rst_ni, .kind_i(kind), .in_zp_i(in_zp), .in_b_zp_i(in_b_zp), .mult_a_i(add_mult_a), .mult_b_i(add_mult_b),
    .shift_a_i(add_shift_a), .shift_b_i(add_shift_b), .left_shift_i(add_left_shift),
    .act_word_i(act_rdata), .tap_valid_i(tap_valid), .step_i(step && pool),
    .first_tap_i(first_word), .result_o(pool_result)
  );

  aps_writeback #(
    .ROWS(ROWS), .COLS(COLS), .ACT_WORDS(ACT_WORDS), .PARAM_ENTRIES(PARAM_ENTRIES), .LUT_TABLES(LUT_TABLES)
  ) u_writeback (
    .clk_i, .rst_ni, .copy_i(kind == KindMaxPool), .relu_i(relu), .leaky_i(leaky), .table_i(out_table),
    .lut_we_i(h_lut_we), .lut_waddr_i(h_lut_waddr), .lut_wdata_i(h_wdata),
    .acc_shift_i(5'(act_shift) + 5'(weight_operand_shift(weight_shift, weight_midpoint))),
    .out_zp_i(out_zp), .out_base_i(out_base), .out_cb_i(out_cb), .pixels_i(pixels),
    .layer_i(layer), .start_i(wb_start), .values_i(wb_values),
    .channel_base_i(wb_channel_base), .count_i(wb_count), .pixel_i(wb_pixel),
    .ready_o(wb_ready), .busy_o(wb_busy),
    .prm_re_o(wb_prm_re), .prm_raddr_o(wb_prm_raddr), .prm_rdata_i(prm_rdata),
    .act_we_o(wb_act_we), .act_waddr_o(wb_act_waddr), .act_wbe_o(wb_act_wbe), .act_wdata_o(wb_act_wdata),
    .mon_valid_o, .mon_layer_o, .mon_index_o, .mon_value_o
  );

`ifndef SYNTHESIS
  // The layer being written never overwrites itself mid-read: writes happen
  // only to the layer's output region (checked by the sequencer's range
  // checks); the writeback only writes while the accelerator runs.
  assert property (@(posedge clk_i) disable iff (!rst_ni) wb_act_we |-> busy && !dma_act_we)
    else $error("aps_top: writeback outside a run, or in the same cycle as a DMA load");
  assert property (@(posedge clk_i) disable iff (!rst_ni) dma_act_re |-> !seq_act_re && !sae_act_re)
    else $error("aps_top: the DMA engine and the datapath read the scratchpad in the same cycle");
  // The scratchpad's read mux gives the SAE priority over the sequencer: the
  // two must never read in one cycle (a scan runs between a step's compute
  // phases), or the array would take the SAE's word.
  assert property (@(posedge clk_i) disable iff (!rst_ni) sae_act_re |-> !seq_act_re)
    else $error("aps_top: the SAE and the sequencer read the scratchpad in the same cycle");
  // The weight buffer's two slots: a tile loads into one while the array reads the other.
  assert property (@(posedge clk_i) disable iff (!rst_ni) dma_wgt_we && seq_wgt_re |->
                   (32'(dma_wgt_waddr) >= WGT_WORDS / 2) != (32'(seq_wgt_raddr) >= WGT_WORDS / 2))
    else $error("aps_top: the DMA engine writes weight word %0d in the slot the array reads (word %0d)",
                dma_wgt_waddr, seq_wgt_raddr);
`endif
endmodule
