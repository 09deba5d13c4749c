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
  localparam int ACT_AW = $clog2(ACT_WORDS),
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

  typedef enum logic [2:0] {RCsr, RDesc, RParam, RWgt, RAct, RNone} region_e;
  region_e region;
  logic [31:0] offset;
  always_comb begin
    offset = req_addr_i & ~RegionMask;
    unique casez (req_addr_i)
      32'h0000_0???: region = RCsr;
      32'h0001_????: region = RDesc;
      32'h0002_????, 32'h0003_????: region = RParam;
      32'h01??_????: region = RWgt;
      32'h02??_????: region = RAct;
      default: region = RNone;
    endcase
    if (region == RDesc || region == RParam) offset = req_addr_i - ((region == RDesc) ? DescBase : ParamBase);
  end

  logic mem_region, take, wr, rd;
  assign mem_region = region == RDesc || region == RParam || region == RWgt || region == RAct;
  assign req_ready_o = !(mem_region && busy_i);
  assign take = req_valid_i && req_ready_o;
  assign wr = take && req_write_i;
  assign rd = take && !req_write_i;

  // ---- control and status registers ----
  logic done_q, irq_en_q;
  logic [7:0] num_layers_q;
  logic [31:0] layer_cycles_q [MAX_LAYERS];
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
      for (int l = 0; l < MAX_LAYERS; l++) layer_cycles_q[l] <= '0;
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
      if (layer_done_i && 32'(done_layer_i) < MAX_LAYERS) layer_cycles_q[done_layer_i[LAYER_AW-1:0]] <= layer_cycles_i;
      if (wr && region == RCsr) begin
        unique case (offset[11:0])
          CsrCtrl: irq_en_q <= req_wdata_i[1];
          CsrStatus: if (req_wdata_i[1]) done_q <= 1'b0;  // write 1 to clear done (and the irq)
          CsrNumLayers: num_layers_q <= req_wdata_i[7:0];
          default: ;
        endcase
      end
    end
  end

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

  // ---- reads: memories answer from their registered port next cycle ----
  assign act_re_o = rd && region == RAct;
  assign act_raddr_o = ACT_AW'(offset / ROWS);
  assign wgt_re_o = rd && region == RWgt;
  assign wgt_raddr_o = WGT_AW'(offset / WgtBytes);

  logic [31:0] csr_rdata;
  always_comb begin
    csr_rdata = '0;
    unique casez (offset[11:0])
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
      12'b0001_????_????, 12'b001?_????_????: begin
        logic [31:0] l;
        l = (32'(offset[11:0]) - 32'(CsrLayerCycles)) / 4;
        csr_rdata = (l < MAX_LAYERS) ? layer_cycles_q[l[LAYER_AW-1:0]] : 32'd0;
      end
      default: csr_rdata = '0;
    endcase
  end

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
        csr_q <= csr_rdata;
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
`endif
endmodule
