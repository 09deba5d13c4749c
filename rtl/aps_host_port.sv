// Host port: a memory-mapped 32-bit request/response bus onto the control
// and status registers, the descriptor table, the PCU slot table, the SAE
// slice memory, the output tables and the activation scratchpad (address map and register
// layout in the generated aps_host_if_pkg, from rtl/aps_host_interface.json).
// The weights, channel parameters and tensors live in the external memory,
// which the host fills directly.
//
// A request is taken when valid && ready. Reads answer one cycle later with
// rsp_valid. CSRs are always ready; the memories only while the accelerator
// is idle (their ports belong to the datapath during a run), so a host that
// touches them mid-run simply waits.
module aps_host_port
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
  localparam int SAE_BYTES = sae_entry_bytes(ROWS),
  localparam int LUT_WORDS = LUT_TABLES * lut_entry_bytes() / 4,
  localparam int LUT_AW = $clog2(LUT_WORDS),
  localparam int ACT_AW = $clog2(ACT_WORDS),
  localparam int SAE_AW = $clog2(SAE_ENTRIES),
  localparam int LAYER_AW = $clog2(MAX_LAYERS),
  localparam int DESC_BYTES = desc_entry_bytes(),
  localparam int PCU_BYTES = pcu_entry_bytes()
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // bus
  input  logic                     req_valid_i,
  output logic                     req_ready_o,
  input  logic                     req_write_i,
  input  logic [31:0]              req_addr_i,
  input  logic [31:0]              req_wdata_i,
  output logic                     rsp_valid_o,
  output logic [31:0]              rsp_rdata_o,
  // control / status
  input  logic                     busy_i,
  input  logic                     run_done_i,
  input  logic                     run_error_i,
  input  logic [7:0]               error_code_i,
  input  step_t                    layer_i,
  input  logic [63:0]              run_cycles_i,
  input  logic [31:0]              stall_cycles_i,
  input  logic [31:0]              mem_beats_i,
  input  logic [31:0]              mem_stalls_i,
  input  logic [31:0]              act_plane_reads_i,
  input  logic [31:0]              wgt_plane_reads_i,
  input  logic                     layer_done_i,
  input  step_t                    done_layer_i,
  input  logic [31:0]              layer_cycles_i,
  input  logic [31:0]              layer_beats_i,
  input  logic [31:0]              layer_mem_stalls_i,
  input  logic                     pass_i,
  input  logic                     config_we_i,
  input  step_config_t             config_i,
  input  logic                     rerun_i,
  input  logic [7:0]               margin_i,
  input  logic [7:0]               third_gap_i,
  input  logic [31:0]              pcu_cycles_i,
  input  logic [31:0]              sae_cycles_i,
  input  logic [MAX_LAYERS-1:0][3:0] slot_bits_i,
  output logic [LAYER_AW+1:0]      metric_sel_o,    // the PCU metric the offset addresses
  input  logic [63:0]              metric_i,        // ... and its value
  // PCU / SAE configuration
  output logic                     adaptive_scaling_o,
  output logic                     cascade_o,
  output logic [CsrPcuFlagsMarginWeightWidth-1:0] margin_weight_o,
  output logic [CsrPcuFlagsThirdWeightWidth-1:0] third_weight_o,
  output logic [CsrPcuFlagsGateThresholdWidth-1:0] gate_threshold_o,
  output logic [7:0]               input_max_o,
  output step_t                    num_slots_o,
  output logic [63:0]              budget_o,
  output logic [2:0]               num_cand_o,
  output logic [3:0]               cand_o [4],
  output logic                     start_o,
  output step_t                    num_layers_o,
  output logic                     done_o,
  output logic                     irq_o,
  // memory write ports (used only while idle)
  output logic                     desc_we_o,
  output logic [LAYER_AW-1:0]      desc_waddr_o,
  output logic [DESC_BYTES-1:0]    desc_wbe_o,
  output logic                     act_we_o,
  output logic [ACT_AW-1:0]        act_waddr_o,
  output logic [ROWS-1:0]          act_wbe_o,
  output logic                     pcu_we_o,
  output logic [LAYER_AW-1:0]      pcu_waddr_o,
  output logic [PCU_BYTES-1:0]     pcu_wbe_o,
  output logic                     sae_we_o,
  output logic [SAE_AW-1:0]        sae_waddr_o,
  output logic [SAE_BYTES-1:0]     sae_wbe_o,
  output logic                     lut_we_o,       // a whole 32-bit word of the output tables (4 codes)
  output logic [LUT_AW-1:0]        lut_waddr_o,
  output logic [31:0]              wdata_o,        // replicate across the word; byte enables select
  // memory read ports (used only while idle)
  output logic                     act_re_o,
  output logic [ACT_AW-1:0]        act_raddr_o,
  input  logic [8*ROWS-1:0]        act_rdata_i
);
  localparam int ActBytes = act_word_bytes(ROWS);

  region_e region;
  logic [31:0] offset;
  assign region = decode_region(req_addr_i);
  assign offset = req_addr_i - region_base(region);
  csr_offset_t csr_off;  // the offset within the CSR region
  assign csr_off = offset[CsrOffsetBits-1:0];

  logic mem_region, take, wr, rd;
  assign mem_region = region != RegionCsr && region != RegionNone;
  assign req_ready_o = !(mem_region && busy_i);
  assign take = req_valid_i && req_ready_o;
  assign wr = take && req_write_i;
  assign rd = take && !req_write_i;

  // ---- control and status registers ----
  logic done_q, irq_en_q;
  step_t      num_layers_q;
  logic [31:0] layer_cycles_q [MAX_LAYERS];
  logic [31:0] layer_cycles1_q [MAX_LAYERS];
  logic [31:0] config_q [MAX_LAYERS];   // step_config_t words
  logic [31:0] config1_q [MAX_LAYERS];
  logic [31:0] layer_beats_q [MAX_LAYERS];
  logic [31:0] layer_mem_stalls_q [MAX_LAYERS];
  csr_pcu_candidates_t cand_q;
  csr_pcu_flags_t flags_q;
  logic [31:0] budget_lo_q, budget_hi_q;
  step_t       num_slots_q;
  logic [7:0]  input_max_q;
  logic error_q;
  logic [7:0] error_code_q;
  logic ran_q;  // a run has ended since reset (for the planted fault LOG_ONCE)

  // The write data as the fields of the registers it may be written to.
  /* verilator lint_off UNUSEDSIGNAL */
  csr_ctrl_t w_ctrl;
  csr_status_t w_status;
  csr_num_layers_t w_num_layers;
  csr_num_slots_t w_num_slots;
  csr_input_max_t w_input_max;
  /* verilator lint_on UNUSEDSIGNAL */
  assign w_ctrl = csr_ctrl_t'(req_wdata_i);
  assign w_status = csr_status_t'(req_wdata_i);
  assign w_num_layers = csr_num_layers_t'(req_wdata_i);
  assign w_num_slots = csr_num_slots_t'(req_wdata_i);
  assign w_input_max = csr_input_max_t'(req_wdata_i);
  assign start_o = wr && region == RegionCsr && csr_off == CsrCtrl && w_ctrl.start && !busy_i;
  assign num_layers_o = num_layers_q;
  assign done_o = done_q;
  assign irq_o = done_q && irq_en_q && !`APS_PLANTED(IRQ_DEAD);  // planted fault: the interrupt never rises

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      done_q <= 1'b0;
      irq_en_q <= 1'b0;
      num_layers_q <= '0;
      error_q <= 1'b0;
      error_code_q <= '0;
      ran_q <= 1'b0;
      for (int l = 0; l < MAX_LAYERS; l++) begin
        layer_cycles_q[l] <= '0;
        layer_cycles1_q[l] <= '0;
        config_q[l] <= '0;
        config1_q[l] <= '0;
        layer_beats_q[l] <= '0;
        layer_mem_stalls_q[l] <= '0;
      end
      {cand_q, flags_q, budget_lo_q, budget_hi_q, num_slots_q, input_max_q} <= '0;
    end else begin
      if (start_o) begin
        done_q <= 1'b0;
        error_q <= 1'b0;
        error_code_q <= '0;
      end
      if (run_done_i) begin
        done_q <= 1'b1;
        ran_q <= 1'b1;
        error_q <= run_error_i;
        error_code_q <= error_code_i;
      end
      if (layer_done_i && 32'(done_layer_i) < MAX_LAYERS) begin
        if (pass_i) layer_cycles1_q[done_layer_i[LAYER_AW-1:0]] <= layer_cycles_i;
        else if (!(`APS_PLANTED(LOG_ONCE) && ran_q)) begin  // planted fault: logs kept from the first run
          layer_cycles_q[done_layer_i[LAYER_AW-1:0]] <= layer_cycles_i;
          layer_beats_q[done_layer_i[LAYER_AW-1:0]] <= layer_beats_i;
          layer_mem_stalls_q[done_layer_i[LAYER_AW-1:0]] <= layer_mem_stalls_i;
        end
      end
      if (config_we_i && 32'(layer_i) < MAX_LAYERS) begin
        if (pass_i) config1_q[layer_i[LAYER_AW-1:0]] <= config_i;
        else if (!(`APS_PLANTED(LOG_ONCE) && ran_q)) config_q[layer_i[LAYER_AW-1:0]] <= config_i;
      end
      // Every log starts empty, so a step that is not logged reads 0, not
      // what an earlier input left (which equals it whenever the map is static).
      if (start_o)
        for (int l = 0; l < MAX_LAYERS; l++) begin
          layer_cycles_q[l] <= '0;
          layer_cycles1_q[l] <= '0;
          config_q[l] <= '0;
          config1_q[l] <= '0;
          layer_beats_q[l] <= '0;
          layer_mem_stalls_q[l] <= '0;
        end
      if (wr && region == RegionCsr) begin
        unique case (csr_off)
          CsrCtrl: irq_en_q <= w_ctrl.irq_enable;
          CsrStatus: if (w_status.done && !`APS_PLANTED(NO_W1C)) done_q <= 1'b0;  // write 1 to clear done (and the irq)
          CsrNumLayers: num_layers_q <= w_num_layers.count;
          CsrPcuCandidates: cand_q <= csr_pcu_candidates_t'(req_wdata_i & CsrPcuCandidatesWriteMask);
          CsrPcuFlags: flags_q <= csr_pcu_flags_t'(req_wdata_i & CsrPcuFlagsWriteMask);
          CsrBudgetLo: budget_lo_q <= req_wdata_i & CsrBudgetLoWriteMask;
          CsrBudgetHi: budget_hi_q <= req_wdata_i & CsrBudgetHiWriteMask;
          CsrNumSlots: num_slots_q <= w_num_slots.count;
          CsrInputMax: input_max_q <= w_input_max.code;
          default: ;
        endcase
      end
    end
  end

  assign adaptive_scaling_o = flags_q.adaptive_scaling;
  assign cascade_o = flags_q.cascade;
  assign margin_weight_o = flags_q.margin_weight;
  assign third_weight_o = flags_q.third_weight;
  assign gate_threshold_o = flags_q.gate_threshold;
  assign input_max_o = input_max_q;
  assign num_slots_o = num_slots_q;
  assign budget_o = {budget_hi_q, budget_lo_q};
  assign num_cand_o = cand_q.count[2:0];
  assign cand_o[0] = cand_q.c0;
  assign cand_o[1] = cand_q.c1;
  assign cand_o[2] = cand_q.c2;
  assign cand_o[3] = cand_q.c3;

  // ---- memory writes ----
  assign wdata_o = req_wdata_i;
  assign desc_we_o = wr && region == RegionDesc;
  assign desc_waddr_o = LAYER_AW'(offset / DESC_BYTES);
  assign desc_wbe_o = DESC_BYTES'(4'hF) << (offset % DESC_BYTES & ~32'd3);
  assign act_we_o = wr && region == RegionAct;
  assign act_waddr_o = ACT_AW'(offset / ActBytes);
  assign act_wbe_o = ActBytes'(4'hF) << (offset % ActBytes & ~32'd3);
  assign pcu_we_o = wr && region == RegionPcu;
  assign pcu_waddr_o = LAYER_AW'(offset / PCU_BYTES);
  assign pcu_wbe_o = PCU_BYTES'(4'hF) << (offset % PCU_BYTES & ~32'd3);
  assign sae_we_o = wr && region == RegionSae;
  assign sae_waddr_o = SAE_AW'(offset / SAE_BYTES);
  assign sae_wbe_o = SAE_BYTES'(4'hF) << (offset % SAE_BYTES & ~32'd3);
  assign lut_we_o = wr && region == RegionLut;
  assign lut_waddr_o = LUT_AW'(offset / 4);

  // ---- reads: memories answer from their registered port next cycle ----
  assign act_re_o = rd && region == RegionAct;
  assign metric_sel_o = (LAYER_AW+2)'(array_entry(csr_off, CsrMetrics, CsrMetricsStride));
  assign act_raddr_o = ACT_AW'(offset / ActBytes);

  // Whether entry i of a per-step log exists (entries past MAX_LAYERS read
  // 0). The logs are indexed in place: a function taking a log as an argument
  // would make the simulator build and clear a copy of it every cycle.
  function automatic logic in_steps(input logic [31:0] i);
    return i < MAX_LAYERS;
  endfunction

  // The CSR read value, computed only when a read is taken (a wide mux that
  // would otherwise be evaluated on every simulated cycle). An offset the
  // description does not map reads CsrUnmapped, so a register the
  // description lists but this mux misses cannot pass for a zero.
  function automatic logic [31:0] csr_read(input csr_offset_t off);
    logic [31:0] i;
    logic [63:0] mword;
    i = '0;
    mword = '0;
    unique casez (off)
      CsrId: return IdValue;
      CsrParams: return csr_params_t'{rows: 8'(ROWS), cols: 8'(COLS), max_layers: 8'(MAX_LAYERS), default: '0};
      CsrCtrl: return csr_ctrl_t'{irq_enable: irq_en_q, default: '0};
      CsrStatus: return csr_status_t'{busy: busy_i, done: done_q, error: error_q, layer: layer_i,
                                      error_code: error_code_q, default: '0};
      CsrNumLayers: return csr_num_layers_t'{count: num_layers_q, default: '0};
      CsrCyclesLo: return run_cycles_i[31:0];
      CsrCyclesHi: return run_cycles_i[63:32];
      CsrStalls: return stall_cycles_i;
      CsrActWords: return 32'(ACT_WORDS);
      CsrWgtWords: return 32'(WGT_WORDS);
      CsrParamEntries: return 32'(PARAM_ENTRIES);
      CsrSaeEntries: return 32'(SAE_ENTRIES);
      CsrLutTables: return 32'(LUT_TABLES);
      CsrPcuCandidates: return cand_q;
      CsrPcuFlags: return flags_q;
      CsrBudgetLo: return budget_lo_q;
      CsrBudgetHi: return budget_hi_q;
      CsrNumSlots: return csr_num_slots_t'{count: num_slots_q, default: '0};
      CsrInputMax: return csr_input_max_t'{code: input_max_q, default: '0};
      CsrRunInfo: return csr_run_info_t'{rerun: rerun_i, margin: margin_i, third_gap: third_gap_i, default: '0};
      CsrPcuCycles: return pcu_cycles_i;
      CsrSaeCycles: return sae_cycles_i;
      CsrMemBeats: return mem_beats_i;
      CsrMemStalls: return mem_stalls_i;
      CsrActPlaneReads: return act_plane_reads_i;
      CsrWgtPlaneReads: return wgt_plane_reads_i;
      default: ;
    endcase
    // The logs, indexed by step or slot (entries past MAX_LAYERS read 0).
`define APS_STEP_LOG_READ(csr, log) \
    if (in_array(off, csr, csr``Count, csr``Stride)) begin \
      i = array_entry(off, csr, csr``Stride); \
      return in_steps(i) ? log[i[LAYER_AW-1:0]] : '0; \
    end
    `APS_STEP_LOG_READ(CsrLayerCycles, layer_cycles_q)
    `APS_STEP_LOG_READ(CsrLayerCycles1, layer_cycles1_q)
    `APS_STEP_LOG_READ(CsrConfigs, config_q)
    `APS_STEP_LOG_READ(CsrConfigs1, config1_q)
    `APS_STEP_LOG_READ(CsrLayerMemBeats, layer_beats_q)
    `APS_STEP_LOG_READ(CsrLayerMemStalls, layer_mem_stalls_q)
`undef APS_STEP_LOG_READ
    if (in_array(off, CsrMetrics, CsrMetricsCount, CsrMetricsStride)) begin
      i = array_entry(off, CsrMetrics, CsrMetricsStride);  // slot * PcuCandidates + candidate
      mword = (i / PcuCandidates < MAX_LAYERS) ? metric_i : 64'd0;
      return off[2] ? mword[63:32] : mword[31:0];
    end
    if (in_array(off, CsrSlotBits, CsrSlotBitsCount, CsrSlotBitsStride)) begin
      i = array_entry(off, CsrSlotBits, CsrSlotBitsStride);
      return in_steps(i) ? csr_slot_bits_t'{bits: slot_bits_i[i[LAYER_AW-1:0]], default: '0} : '0;
    end
    return CsrUnmapped;
  endfunction

  region_e rsp_region;
  logic [31:0] rsp_offset, csr_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rsp_valid_o <= 1'b0;
      rsp_region <= RegionNone;
      rsp_offset <= '0;
      csr_q <= '0;
    end else begin
      rsp_valid_o <= rd && !(`APS_PLANTED(CSR_SILENT) && region == RegionCsr && csr_off == CsrMemStalls);  // planted fault
      if (rd) begin
        rsp_region <= region;
        rsp_offset <= offset;
        if (region == RegionCsr) csr_q <= csr_read(csr_off);
      end
    end
  end

  always_comb begin
    unique case (rsp_region)
      RegionCsr: rsp_rdata_o = csr_q;
      RegionAct: rsp_rdata_o = act_rdata_i[8 * (rsp_offset % ActBytes & ~32'd3) +: 32];
      default: rsp_rdata_o = '0;  // the tables are write-only
    endcase
  end

`ifndef SYNTHESIS
  // Host protocol: a request waiting for ready holds still.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   req_valid_i && !req_ready_o |=> req_valid_i && $stable(req_addr_i) && $stable(req_write_i) &&
                                                   $stable(req_wdata_i))
    else $error("aps_host_port: request changed or was dropped while waiting for ready");
  assert property (@(posedge clk_i) disable iff (!rst_ni) req_valid_i |-> region != RegionNone)
    else $error("aps_host_port: address %08x is not mapped", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni) req_valid_i |-> req_addr_i[1:0] == 2'b00)
    else $error("aps_host_port: unaligned address %08x", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RegionAct |-> offset / ActBytes < ACT_WORDS)
    else $error("aps_host_port: activation write past the end of the memory (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RegionDesc |-> offset / DESC_BYTES < MAX_LAYERS)
    else $error("aps_host_port: descriptor write past the table (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RegionPcu |-> offset / PCU_BYTES < MAX_LAYERS)
    else $error("aps_host_port: PCU table write past its end (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RegionSae |-> offset / SAE_BYTES < SAE_ENTRIES)
    else $error("aps_host_port: SAE slice write past its end (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RegionLut |-> offset / 4 < LUT_WORDS)
    else $error("aps_host_port: output table write past its end (%08x)", req_addr_i);

  // Functional coverage (--coverage-user builds): the port holding the host
  // off, the host watching a run through the CSRs, and the end-of-run
  // interrupt being raised and acknowledged.
  if (1) begin : cov_host_port
    memory_request_held: cover property (@(posedge clk_i) disable iff (!rst_ni) req_valid_i && !req_ready_o);
    csr_read_while_busy: cover property (@(posedge clk_i) disable iff (!rst_ni) rd && region == RegionCsr && busy_i);
    irq_raised: cover property (@(posedge clk_i) disable iff (!rst_ni) run_done_i && irq_en_q);
    irq_acknowledged: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                      wr && region == RegionCsr && csr_off == CsrStatus && w_status.done && irq_o);
  end
`endif
endmodule
