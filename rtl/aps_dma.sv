// DMA engine: moves one transfer at a time between the external memory (the
// memory port) and an on-chip buffer, splitting it into bursts of at most
// MaxBurst beats with one burst outstanding. A beat is ROWS bytes: one
// activation word, a ROWS-byte slice of a weight tile word, or part of a
// channel parameter entry.
//
//   OpLoadAct   external -> activation scratchpad, one word per beat
//   OpStoreAct  activation scratchpad -> external, one word per beat
//   OpLoadWgt   external -> weight buffer: a tile's header word (COLS beats),
//               then `planes` bit-planes, most significant first, of each
//               of its `tile_words` words (plane 7 of every word, then plane
//               6, ...; WgtPlaneBeats beats per word-plane). The first plane
//               of a word clears its lower bits, so the planes not loaded
//               read as 0, which the layer's reduction never looks at
//               (aps_pkg weight_planes).
//   OpLoadPrm   external -> parameter buffer, 16 / ROWS beats per entry
//
// Memory port: a request (address, beats, write) is taken when valid &&
// ready; a read burst answers with `beats` response beats; a write burst
// sends `beats` beats on the write-data channel, then takes one response (the
// write is done). The engine accepts every response beat (rsp_ready is 1)
// and reads the scratchpad one beat ahead of the write-data channel.
//
// start_i is taken while idle; done_o is high in the transfer's last cycle
// (its last read beat, or the write response of its last burst).
module aps_dma
  import aps_pkg::*;
  import aps_host_if_pkg::*;
#(
  parameter int ROWS = DefaultRows,
  parameter int COLS = DefaultCols,
  parameter int ACT_WORDS = DefaultActWords,
  parameter int WGT_WORDS = DefaultWgtWords,
  parameter int PARAM_ENTRIES = DefaultParamEntries,
  localparam int ACT_AW = $clog2(ACT_WORDS),
  localparam int WGT_AW = $clog2(WGT_WORDS),
  localparam int PRM_AW = $clog2(PARAM_ENTRIES),
  localparam int PRM_BYTES = param_entry_bytes()
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // the transfer
  input  logic                    start_i,
  input  dma_op_e                 op_i,
  input  logic [31:0]             ext_addr_i,   // byte address, a multiple of ROWS
  input  logic [31:0]             local_i,      // word, tile word or entry address of the first beat
  input  logic [31:0]             beats_i,      // at least 1
  input  logic [31:0]             tile_words_i, // OpLoadWgt: words after the header (beats_i says how many planes)
  output logic                    busy_o,
  output logic                    done_o,
  output logic                    beat_o,       // a beat moved this cycle
  // memory port
  output logic                    mem_req_valid_o,
  input  logic                    mem_req_ready_i,
  output logic                    mem_req_write_o,
  output logic [31:0]             mem_req_addr_o,
  output logic [8:0]              mem_req_beats_o,
  output logic                    mem_wvalid_o,
  input  logic                    mem_wready_i,
  output logic [8*ROWS-1:0]       mem_wdata_o,
  input  logic                    mem_rsp_valid_i,
  output logic                    mem_rsp_ready_o,
  input  logic [8*ROWS-1:0]       mem_rsp_data_i,
  // activation scratchpad
  output logic                    act_we_o,
  output logic [ACT_AW-1:0]       act_waddr_o,
  output logic [8*ROWS-1:0]       act_wdata_o,
  output logic                    act_re_o,
  output logic [ACT_AW-1:0]       act_raddr_o,
  input  logic [8*ROWS-1:0]       act_rdata_i,
  // weight buffer
  output logic                    wgt_we_o,
  output logic [WGT_AW-1:0]       wgt_waddr_o,
  output logic [8*ROWS*COLS-1:0]  wgt_wbe_o,    // bit enables
  output logic [8*ROWS*COLS-1:0]  wgt_wdata_o,
  // parameter buffer
  output logic                    prm_we_o,
  output logic [PRM_AW-1:0]       prm_waddr_o,
  output logic [PRM_BYTES-1:0]    prm_wbe_o,
  output logic [8*PRM_BYTES-1:0]  prm_wdata_o
);
  localparam int BeatsPerEntry = PRM_BYTES / ROWS;
  localparam int WgtPlaneBeats = wgt_plane_beats(COLS);
  localparam int WgtBits = 8 * ROWS * COLS;
  localparam int SpreadBits = 64 * ROWS;                  // the bytes one plane beat covers, 8 * ROWS of them
  localparam int WideBits = SpreadBits * WgtPlaneBeats;   // a word's plane beats, at least WgtBits
  if (ROWS > PRM_BYTES) $error("aps_dma: ROWS above %0d would split a beat across parameter entries", PRM_BYTES);

  typedef enum logic [1:0] {DIdle, DReq, DData, DAck} state_e;
  state_e state;

  dma_op_e     op;
  logic [31:0] addr;        // external address of the next burst
  logic [31:0] left;        // beats not yet requested
  logic [8:0]  burst;       // beats of the burst in flight
  logic [8:0]  moved;       // beats of that burst already moved
  logic [31:0] word;        // local word / tile word / entry of the next beat
  logic [31:0] part;        // beat within the tile word or entry
  logic        have_data;   // the scratchpad's read port holds the next write beat
  // OpLoadWgt: past the header, which plane of which word the next beat holds
  logic        in_planes;   // the header has landed
  logic [3:0]  plane_q;     // planes done (the next beat is of plane 7 - plane_q)
  logic [31:0] first_word, end_word;  // the tile's words after the header: [first_word, end_word)

  logic is_store, last_of_burst, read_beat, write_beat;
  assign is_store = (op == OpStoreAct);
  assign read_beat = (state == DData) && !is_store && mem_rsp_valid_i;
  assign write_beat = (state == DData) && is_store && mem_wvalid_o && mem_wready_i;
  assign last_of_burst = (moved + 9'd1 == burst);

  assign busy_o = (state != DIdle);
  assign beat_o = read_beat || write_beat;
  logic burst_end;
  assign burst_end = (read_beat && last_of_burst) || (state == DAck && mem_rsp_valid_i);
  assign done_o = burst_end && left == 32'd0;

  assign mem_req_valid_o = (state == DReq);
  assign mem_req_write_o = is_store;
  assign mem_req_addr_o = addr;
  assign mem_req_beats_o = burst;
  assign mem_rsp_ready_o = 1'b1;
  assign mem_wvalid_o = (state == DData) && is_store && have_data;
  assign mem_wdata_o = act_rdata_i;

  // A read beat lands where `word` and `part` point.
  assign act_we_o = read_beat && op == OpLoadAct;
  assign act_waddr_o = ACT_AW'(word);
  assign act_wdata_o = mem_rsp_data_i;
  assign wgt_we_o = read_beat && op == OpLoadWgt;
  assign wgt_waddr_o = WGT_AW'(word);
  // The header beat `part` is bytes [part * ROWS, +ROWS) of its word; plane
  // beat `part` holds plane bit 7 - plane_q of bytes [part * 8 * ROWS, +8 * ROWS):
  // its bit i spread to bit 0 of byte i (wiring), then shifted into place, so
  // a beat costs shifts rather than a loop over the word's bytes.
  logic [SpreadBits-1:0] spread;
  for (genvar i = 0; i < 8 * ROWS; i++) begin : g_spread
    assign spread[8*i +: 8] = {7'b0, mem_rsp_data_i[i]};
  end
  logic [7:0] plane_mask;  // per byte: the first plane writes every bit (clearing the lower planes), later ones their own
  assign plane_mask = (plane_q == 4'd0) ? 8'hff : (8'h80 >> plane_q);
  logic [SpreadBits-1:0] spread_at_plane;
  assign spread_at_plane = spread << (4'd7 - plane_q);
  /* verilator lint_off UNUSEDSIGNAL */  // a padded last plane beat reaches past the word
  logic [WideBits-1:0] plane_data, plane_wbe;
  /* verilator lint_on UNUSEDSIGNAL */
  assign plane_data = WideBits'(spread_at_plane) << (part * SpreadBits);
  assign plane_wbe = WideBits'({8 * ROWS{plane_mask}}) << (part * SpreadBits);
  assign wgt_wdata_o = in_planes ? WgtBits'(plane_data) : {COLS{mem_rsp_data_i}};
  assign wgt_wbe_o = in_planes ? WgtBits'(plane_wbe) : WgtBits'({8 * ROWS{1'b1}}) << (part * 8 * ROWS);
  assign prm_we_o = read_beat && op == OpLoadPrm;
  assign prm_waddr_o = PRM_AW'(word);
  assign prm_wbe_o = PRM_BYTES'({ROWS{1'b1}}) << (part * ROWS);
  assign prm_wdata_o = {BeatsPerEntry{mem_rsp_data_i}};

  // A store reads the scratchpad word of its next beat when the burst is
  // requested and whenever a beat leaves, if the burst has more.
  assign act_re_o = is_store && ((state == DReq && mem_req_ready_i) || (write_beat && !last_of_burst));
  assign act_raddr_o = ACT_AW'(write_beat ? word + 32'd1 : word);

  function automatic logic [8:0] burst_of(input logic [31:0] beats);
    return (beats > 32'(MaxBurst)) ? 9'(MaxBurst) : 9'(beats);
  endfunction

  // Position of the next beat in the on-chip buffer.
  logic [31:0] per_word;
  assign per_word = (op == OpLoadWgt) ? (in_planes ? 32'(WgtPlaneBeats) : 32'(COLS)) :
                    (op == OpLoadPrm) ? 32'(BeatsPerEntry) : 32'd1;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state <= DIdle;
      op <= OpLoadAct;
      {addr, left, burst, moved, word, part, have_data, in_planes, plane_q, first_word, end_word} <= '0;
    end else begin
      if (read_beat || write_beat) begin
        moved <= moved + 9'd1;
        if (part + 32'd1 == per_word) begin
          part <= '0;
          word <= word + 32'd1;
          // A weight tile: after the header the planes; after a plane's last word the next plane.
          if (op == OpLoadWgt && !in_planes) in_planes <= 1'b1;
          if (op == OpLoadWgt && in_planes && word + 32'd1 == end_word) begin
            word <= first_word;
            plane_q <= plane_q + 4'd1;
          end
        end else begin
          part <= part + 32'd1;
        end
      end
      unique case (state)
        DIdle: if (start_i) begin
          op <= op_i;
          addr <= ext_addr_i;
          word <= local_i;
          part <= '0;
          in_planes <= 1'b0;
          plane_q <= '0;
          first_word <= local_i + 32'd1;
          end_word <= local_i + 32'd1 + tile_words_i;
          burst <= burst_of(beats_i);
          left <= beats_i - 32'(burst_of(beats_i));
          state <= DReq;
        end
        DReq: if (mem_req_ready_i || `APS_PLANTED(DMA_NO_READY)) begin  // planted fault: ready ignored
          moved <= '0;
          have_data <= is_store;
          state <= DData;
        end
        DData: begin
          if (write_beat) have_data <= !last_of_burst;
          if ((read_beat || write_beat) && last_of_burst) begin
            addr <= addr + 32'(burst) * ROWS;
            if (is_store) state <= DAck;
          end
        end
        DAck: ;
        default: state <= DIdle;
      endcase
      // A burst ends with its last read beat or its write response: the
      // next one, or idle.
      if (burst_end) begin
        if (left == 32'd0) begin
          state <= DIdle;
        end else begin
          burst <= burst_of(left);
          left <= left - 32'(burst_of(left));
          state <= DReq;
        end
      end
    end
  end

`ifndef SYNTHESIS
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |-> state == DIdle && beats_i != 0)
    else $error("aps_dma: a transfer started while busy, or with no beats");
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i && op_i == OpLoadWgt |->
                   tile_words_i != 0 && beats_i > COLS && (beats_i - COLS) % (tile_words_i * WgtPlaneBeats) == 0 &&
                   (beats_i - COLS) / (tile_words_i * WgtPlaneBeats) <= 8)
    else $error("aps_dma: a weight tile load of %0d beats is not a header and whole planes of %0d words", beats_i,
                tile_words_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_i |-> ext_addr_i % ROWS == 0)
    else $error("aps_dma: external address %08x is not beat-aligned", ext_addr_i);
  assert property (@(posedge clk_i) disable iff (!rst_ni) mem_req_valid_o && !mem_req_ready_i |=>
                   mem_req_valid_o && $stable(mem_req_addr_o) && $stable(mem_req_beats_o) && $stable(mem_req_write_o))
    else $error("aps_dma: request changed while waiting for ready");
  assert property (@(posedge clk_i) disable iff (!rst_ni) mem_wvalid_o && !mem_wready_i |=>
                   mem_wvalid_o && $stable(mem_wdata_o))
    else $error("aps_dma: write beat changed or was dropped while waiting for ready");
  assert property (@(posedge clk_i) disable iff (!rst_ni) mem_rsp_valid_i |-> state == DData || state == DAck)
    else $error("aps_dma: a response beat with no burst in flight");
  assert property (@(posedge clk_i) disable iff (!rst_ni) act_we_o |-> 32'(act_waddr_o) == word)
    else $error("aps_dma: scratchpad word %0d outside the scratchpad", word);
  // The on-chip words a transfer touches are inside their buffer (the
  // sequencer's range checks; a word past the end would wrap onto another).
  assert property (@(posedge clk_i) disable iff (!rst_ni) act_we_o || act_re_o |->
                   (act_re_o && write_beat ? word + 32'd1 : word) < 32'(ACT_WORDS))
    else $error("aps_dma: scratchpad word %0d outside the %0d-word scratchpad", word, ACT_WORDS);
  assert property (@(posedge clk_i) disable iff (!rst_ni) wgt_we_o |-> word < 32'(WGT_WORDS))
    else $error("aps_dma: weight word %0d outside the %0d-word buffer", word, WGT_WORDS);

  // Functional coverage (--coverage-user builds; see docs/verification.md):
  // every transfer kind, the memory port holding each channel back, and the
  // burst-length edges.
  if (1) begin : cov_memory_port
    load_act: cover property (@(posedge clk_i) disable iff (!rst_ni) start_i && op_i == OpLoadAct);
    store_act: cover property (@(posedge clk_i) disable iff (!rst_ni) start_i && op_i == OpStoreAct);
    load_wgt: cover property (@(posedge clk_i) disable iff (!rst_ni) start_i && op_i == OpLoadWgt);
    load_prm: cover property (@(posedge clk_i) disable iff (!rst_ni) start_i && op_i == OpLoadPrm);
    read_request_held: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                       mem_req_valid_o && !mem_req_ready_i && !mem_req_write_o);
    write_request_held: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                        mem_req_valid_o && !mem_req_ready_i && mem_req_write_o);
    write_data_held: cover property (@(posedge clk_i) disable iff (!rst_ni) mem_wvalid_o && !mem_wready_i);
    read_data_gap: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                   state == DData && !is_store && moved != 9'd0 && !mem_rsp_valid_i);
    write_response_wait: cover property (@(posedge clk_i) disable iff (!rst_ni) state == DAck && !mem_rsp_valid_i);
    single_beat_burst: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                       mem_req_valid_o && mem_req_ready_i && burst == 9'd1);
    longest_burst: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                   mem_req_valid_o && mem_req_ready_i && burst == 9'(MaxBurst));
    split_transfer: cover property (@(posedge clk_i) disable iff (!rst_ni) burst_end && left != 32'd0);
  end
`endif
endmodule
