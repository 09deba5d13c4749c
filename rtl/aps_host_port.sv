// Host port: a memory-mapped 32-bit request/response bus onto the control
// and status registers, the descriptor table, the channel parameters and the
// weight and activation memories (address map in aps_pkg).
//
// A request is taken when valid && ready. Reads answer one cycle later with
// rsp_valid. CSRs are always ready; the memories only while the accelerator
// is idle (their ports belong to the datapath during a run), so a host that
// touches them mid-run simply waits.
module aps_host_port
  import aps_pkg::*;
#(
  parameter int ROWS = 8,
  parameter int COLS = 8,
  parameter int ACT_WORDS = 1024,
  parameter int WGT_WORDS = 2048,
  parameter int PARAM_ENTRIES = 1024,
  parameter int MAX_LAYERS = 32,
  parameter int SAE_ENTRIES = 2048,
  localparam int SAE_BYTES = (4 + 2 * ROWS <= 16) ? 16 : ((4 + 2 * ROWS <= 32) ? 32 : 64),
  localparam int ACT_AW = $clog2(ACT_WORDS),
  localparam int SAE_AW = $clog2(SAE_ENTRIES),
  localparam int WGT_AW = $clog2(WGT_WORDS),
  localparam int PRM_AW = $clog2(PARAM_ENTRIES),
  localparam int LAYER_AW = $clog2(MAX_LAYERS)
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
  input  logic [7:0]               layer_i,
  input  logic [63:0]              run_cycles_i,
  input  logic [31:0]              stall_cycles_i,
  input  logic                     layer_done_i,
  input  logic [7:0]               done_layer_i,
  input  logic [31:0]              layer_cycles_i,
  input  logic                     pass_i,
  input  logic                     config_we_i,
  input  logic [11:0]              config_i,
  input  logic                     rerun_i,
  input  logic [7:0]               margin_i,
  input  logic [31:0]              pcu_cycles_i,
  input  logic [3:0]               slot_bits_i [MAX_LAYERS],
  input  logic [63:0]              slot_metrics_i [MAX_LAYERS][4],
  // PCU / SAE configuration
  output logic                     adaptive_scaling_o,
  output logic                     cascade_o,
  output logic [7:0]               margin_threshold_o,
  output logic [7:0]               input_max_o,
  output logic [7:0]               num_slots_o,
  output logic [63:0]              budget_o,
  output logic [2:0]               num_cand_o,
  output logic [3:0]               cand_o [4],
  output logic                     start_o,
  output logic [7:0]               num_layers_o,
  output logic                     done_o,
  output logic                     irq_o,
  // memory write ports (used only while idle)
  output logic                     desc_we_o,
  output logic [LAYER_AW-1:0]      desc_waddr_o,
  output logic [4*DescWords-1:0]   desc_wbe_o,
  output logic                     prm_we_o,
  output logic [PRM_AW-1:0]        prm_waddr_o,
  output logic [15:0]              prm_wbe_o,
  output logic                     wgt_we_o,
  output logic [WGT_AW-1:0]        wgt_waddr_o,
  output logic [ROWS*COLS-1:0]     wgt_wbe_o,
  output logic                     act_we_o,
  output logic [ACT_AW-1:0]        act_waddr_o,
  output logic [ROWS-1:0]          act_wbe_o,
  output logic                     pcu_we_o,
  output logic [LAYER_AW-1:0]      pcu_waddr_o,
  output logic [63:0]              pcu_wbe_o,
  output logic                     sae_we_o,
  output logic [SAE_AW-1:0]        sae_waddr_o,
  output logic [SAE_BYTES-1:0]     sae_wbe_o,
  output logic [31:0]              wdata_o,        // replicate across the word; byte enables select
  // memory read ports (used only while idle)
  output logic                     act_re_o,
  output logic [ACT_AW-1:0]        act_raddr_o,
  input  logic [8*ROWS-1:0]        act_rdata_i,
  output logic                     wgt_re_o,
  output logic [WGT_AW-1:0]        wgt_raddr_o,
  input  logic [8*ROWS*COLS-1:0]   wgt_rdata_i
);
  localparam int WgtBytes = ROWS * COLS;

  typedef enum logic [2:0] {RCsr, RDesc, RParam, RWgt, RAct, RPcu, RSae, RNone} region_e;
  region_e region;
  logic [31:0] offset;
  always_comb begin
    offset = req_addr_i & ~RegionMask;
    unique casez (req_addr_i)
      32'h0000_0???: region = RCsr;
      32'h0001_????: region = RDesc;
      32'h0002_????: region = RParam;
      32'h0003_????: region = RPcu;
      32'h0004_????: region = RSae;
      32'h01??_????: region = RWgt;
      32'h02??_????: region = RAct;
      default: region = RNone;
    endcase
    if (region == RDesc) offset = req_addr_i - DescBase;
    if (region == RParam) offset = req_addr_i - ParamBase;
    if (region == RPcu) offset = req_addr_i - PcuBase;
    if (region == RSae) offset = req_addr_i - SaeBase;
  end

  logic mem_region, take, wr, rd;
  assign mem_region = region == RDesc || region == RParam || region == RWgt || region == RAct || region == RPcu ||
                      region == RSae;
  assign req_ready_o = !(mem_region && busy_i);
  assign take = req_valid_i && req_ready_o;
  assign wr = take && req_write_i;
  assign rd = take && !req_write_i;

  // ---- control and status registers ----
  logic done_q, irq_en_q;
  logic [7:0] num_layers_q;
  logic [31:0] layer_cycles_q [MAX_LAYERS];
  logic [31:0] layer_cycles1_q [MAX_LAYERS];
  logic [11:0] config_q [MAX_LAYERS];
  logic [11:0] config1_q [MAX_LAYERS];
  logic [31:0] cand_q, flags_q, budget_lo_q, budget_hi_q;
  logic [7:0]  num_slots_q, input_max_q;
  logic error_q;
  logic [7:0] error_code_q;

  assign start_o = wr && region == RCsr && offset[11:0] == CsrCtrl && req_wdata_i[0] && !busy_i;
  assign num_layers_o = num_layers_q;
  assign done_o = done_q;
  assign irq_o = done_q && irq_en_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      done_q <= 1'b0;
      irq_en_q <= 1'b0;
      num_layers_q <= '0;
      error_q <= 1'b0;
      error_code_q <= '0;
      for (int l = 0; l < MAX_LAYERS; l++) begin
        layer_cycles_q[l] <= '0;
        layer_cycles1_q[l] <= '0;
        config_q[l] <= '0;
        config1_q[l] <= '0;
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
        error_q <= run_error_i;
        error_code_q <= error_code_i;
      end
      if (layer_done_i && 32'(done_layer_i) < MAX_LAYERS) begin
        if (pass_i) layer_cycles1_q[done_layer_i[LAYER_AW-1:0]] <= layer_cycles_i;
        else layer_cycles_q[done_layer_i[LAYER_AW-1:0]] <= layer_cycles_i;
      end
      if (config_we_i && 32'(layer_i) < MAX_LAYERS) begin
        if (pass_i) config1_q[layer_i[LAYER_AW-1:0]] <= config_i;
        else config_q[layer_i[LAYER_AW-1:0]] <= config_i;
      end
      if (start_o)
        for (int l = 0; l < MAX_LAYERS; l++) begin
          layer_cycles1_q[l] <= '0;
          config1_q[l] <= '0;
        end
      if (wr && region == RCsr) begin
        unique case (offset[11:0])
          CsrCtrl: irq_en_q <= req_wdata_i[1];
          CsrStatus: if (req_wdata_i[1]) done_q <= 1'b0;  // write 1 to clear done (and the irq)
          CsrNumLayers: num_layers_q <= req_wdata_i[7:0];
          CsrPcuCandidates: cand_q <= req_wdata_i;
          CsrPcuFlags: flags_q <= req_wdata_i;
          CsrBudgetLo: budget_lo_q <= req_wdata_i;
          CsrBudgetHi: budget_hi_q <= req_wdata_i;
          CsrNumSlots: num_slots_q <= req_wdata_i[7:0];
          CsrInputMax: input_max_q <= req_wdata_i[7:0];
          default: ;
        endcase
      end
    end
  end

  assign adaptive_scaling_o = flags_q[0];
  assign cascade_o = flags_q[1];
  assign margin_threshold_o = flags_q[15:8];
  assign input_max_o = input_max_q;
  assign num_slots_o = num_slots_q;
  assign budget_o = {budget_hi_q, budget_lo_q};
  assign num_cand_o = cand_q[2:0];
  assign cand_o[0] = cand_q[7:4];
  assign cand_o[1] = cand_q[11:8];
  assign cand_o[2] = cand_q[15:12];
  assign cand_o[3] = cand_q[19:16];

  // ---- memory writes ----
  assign wdata_o = req_wdata_i;
  assign desc_we_o = wr && region == RDesc;
  assign desc_waddr_o = LAYER_AW'(offset / (4 * DescWords));
  assign desc_wbe_o = (4*DescWords)'(4'hF) << (offset % (4 * DescWords) & ~32'd3);
  assign prm_we_o = wr && region == RParam;
  assign prm_waddr_o = PRM_AW'(offset / 16);
  assign prm_wbe_o = 16'hF << (offset % 16 & ~32'd3);
  assign wgt_we_o = wr && region == RWgt;
  assign wgt_waddr_o = WGT_AW'(offset / WgtBytes);
  assign wgt_wbe_o = (ROWS*COLS)'(4'hF) << (offset % WgtBytes & ~32'd3);
  assign act_we_o = wr && region == RAct;
  assign act_waddr_o = ACT_AW'(offset / ROWS);
  assign act_wbe_o = ROWS'(4'hF) << (offset % ROWS & ~32'd3);
  assign pcu_we_o = wr && region == RPcu;
  assign pcu_waddr_o = LAYER_AW'(offset / 64);
  assign pcu_wbe_o = 64'hF << (offset % 64 & ~32'd3);
  assign sae_we_o = wr && region == RSae;
  assign sae_waddr_o = SAE_AW'(offset / SAE_BYTES);
  assign sae_wbe_o = SAE_BYTES'(4'hF) << (offset % SAE_BYTES & ~32'd3);

  // ---- reads: memories answer from their registered port next cycle ----
  assign act_re_o = rd && region == RAct;
  assign act_raddr_o = ACT_AW'(offset / ROWS);
  assign wgt_re_o = rd && region == RWgt;
  assign wgt_raddr_o = WGT_AW'(offset / WgtBytes);

  // The CSR read value, computed only when a read is taken (a wide mux that
  // would otherwise be evaluated on every simulated cycle).
  function automatic logic [31:0] csr_read(input logic [11:0] off);
    logic [31:0] csr_rdata;
    logic [31:0] o, i;
    logic [63:0] mword;
    o = 32'(off);
    i = '0;
    mword = '0;
    csr_rdata = '0;
    unique casez (off)
      CsrId: csr_rdata = IdValue;
      CsrParams: csr_rdata = {8'd0, 8'(MAX_LAYERS), 8'(COLS), 8'(ROWS)};
      CsrCtrl: csr_rdata = {30'd0, irq_en_q, 1'b0};
      CsrStatus: csr_rdata = {8'd0, error_code_q, layer_i, 5'd0, error_q, done_q, busy_i};
      CsrNumLayers: csr_rdata = {24'd0, num_layers_q};
      CsrCyclesLo: csr_rdata = run_cycles_i[31:0];
      CsrCyclesHi: csr_rdata = run_cycles_i[63:32];
      CsrStalls: csr_rdata = stall_cycles_i;
      CsrActWords: csr_rdata = 32'(ACT_WORDS);
      CsrWgtWords: csr_rdata = 32'(WGT_WORDS);
      CsrParamWords: csr_rdata = 32'(PARAM_ENTRIES);
      CsrSaeEntries: csr_rdata = 32'(SAE_ENTRIES);
      CsrPcuCandidates: csr_rdata = cand_q;
      CsrPcuFlags: csr_rdata = flags_q;
      CsrBudgetLo: csr_rdata = budget_lo_q;
      CsrBudgetHi: csr_rdata = budget_hi_q;
      CsrNumSlots: csr_rdata = {24'd0, num_slots_q};
      CsrInputMax: csr_rdata = {24'd0, input_max_q};
      CsrRunInfo: csr_rdata = {16'd0, margin_i, 7'd0, rerun_i};
      CsrPcuCycles: csr_rdata = pcu_cycles_i;
      default: begin
        // Logs indexed by step or slot.
        if (o >= 32'(CsrLayerCycles) && o < 32'(CsrLayerCycles1)) begin
          i = (o - 32'(CsrLayerCycles)) / 4;
          if (i < MAX_LAYERS) csr_rdata = layer_cycles_q[i[LAYER_AW-1:0]];
        end else if (o >= 32'(CsrLayerCycles1) && o < 32'(CsrConfigs)) begin
          i = (o - 32'(CsrLayerCycles1)) / 4;
          if (i < MAX_LAYERS) csr_rdata = layer_cycles1_q[i[LAYER_AW-1:0]];
        end else if (o >= 32'(CsrConfigs) && o < 32'(CsrConfigs1)) begin
          i = (o - 32'(CsrConfigs)) / 4;
          if (i < MAX_LAYERS) csr_rdata = {20'd0, config_q[i[LAYER_AW-1:0]]};
        end else if (o >= 32'(CsrConfigs1) && o < 32'(CsrMetrics)) begin
          i = (o - 32'(CsrConfigs1)) / 4;
          if (i < MAX_LAYERS) csr_rdata = {20'd0, config1_q[i[LAYER_AW-1:0]]};
        end else if (o >= 32'(CsrMetrics) && o < 32'(CsrSlotBits)) begin
          i = (o - 32'(CsrMetrics)) / 8;  // 4 * slot + candidate
          mword = (i / 4 < MAX_LAYERS) ? slot_metrics_i[i[LAYER_AW+1:2]][i[1:0]] : 64'd0;
          csr_rdata = o[2] ? mword[63:32] : mword[31:0];
        end else if (o >= 32'(CsrSlotBits)) begin
          i = (o - 32'(CsrSlotBits)) / 4;
          if (i < MAX_LAYERS) csr_rdata = {28'd0, slot_bits_i[i[LAYER_AW-1:0]]};
        end
      end
    endcase
    return csr_rdata;
  endfunction

  region_e rsp_region;
  logic [31:0] rsp_offset, csr_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rsp_valid_o <= 1'b0;
      rsp_region <= RNone;
      rsp_offset <= '0;
      csr_q <= '0;
    end else begin
      rsp_valid_o <= rd;
      if (rd) begin
        rsp_region <= region;
        rsp_offset <= offset;
        if (region == RCsr) csr_q <= csr_read(offset[11:0]);
      end
    end
  end

  always_comb begin
    unique case (rsp_region)
      RCsr: rsp_rdata_o = csr_q;
      RAct: rsp_rdata_o = act_rdata_i[8 * (rsp_offset % ROWS & ~32'd3) +: 32];
      RWgt: rsp_rdata_o = wgt_rdata_i[8 * (rsp_offset % WgtBytes & ~32'd3) +: 32];
      default: rsp_rdata_o = '0;  // descriptors and parameters are write-only
    endcase
  end

`ifndef SYNTHESIS
  // Host protocol: a request waiting for ready holds still.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   req_valid_i && !req_ready_o |=> req_valid_i && $stable(req_addr_i) && $stable(req_write_i) &&
                                                   $stable(req_wdata_i))
    else $error("aps_host_port: request changed or was dropped while waiting for ready");
  assert property (@(posedge clk_i) disable iff (!rst_ni) req_valid_i |-> region != RNone)
    else $error("aps_host_port: address %08x is not mapped", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni) req_valid_i |-> req_addr_i[1:0] == 2'b00)
    else $error("aps_host_port: unaligned address %08x", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RAct |-> offset / ROWS < ACT_WORDS)
    else $error("aps_host_port: activation write past the end of the memory (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RWgt |-> offset / WgtBytes < WGT_WORDS)
    else $error("aps_host_port: weight write past the end of the memory (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RDesc |-> offset / (4 * DescWords) < MAX_LAYERS)
    else $error("aps_host_port: descriptor write past the table (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RParam |-> offset / 16 < PARAM_ENTRIES)
    else $error("aps_host_port: parameter write past the end of the memory (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RPcu |-> offset / 64 < MAX_LAYERS)
    else $error("aps_host_port: PCU table write past its end (%08x)", req_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   wr && region == RSae |-> offset / SAE_BYTES < SAE_ENTRIES)
    else $error("aps_host_port: SAE slice write past its end (%08x)", req_addr_i);
`endif
endmodule
