// Precision Control Unit (golden/accelerator/pcu.hpp is its twin): keeps the SAE
// metrics of every slot and turns them into widths.
//
//   decide (just in time)  2 cycles: read the slot's table entry; choose the
//                          smallest candidate with (metric * alpha) >> 16 <= tau
//                          (8 if none); the first slot of a group to decide
//                          sets the group's width, later ones take it.
//   decide all (up front)  one cycle per slot to read its entry and choose by
//                          threshold, then either one cycle giving every group
//                          its widest member's width, or, with a budget, a
//                          greedy loop from 8 bits everywhere: CHECK (1 cycle:
//                          sum of the slots' costs at their widths <= budget?),
//                          SCAN (1 cycle per group: estimated error added per
//                          unit of cost saved by its next narrower candidate),
//                          APPLY (1 cycle), until the budget holds or nothing
//                          can narrow; then ASSIGN. A slot's cost at each
//                          candidate width and at 8 bits comes from its table
//                          entry: the host picks the unit (bit-MACs, weight
//                          traffic, energy).
module aps_pcu
  import aps_host_if_pkg::*;
#(
  parameter int SLOTS = DefaultMaxLayers,
  localparam int SLOT_AW = $clog2(SLOTS)
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              run_start_i,     // clears decisions and groups
  // configuration (CSRs)
  input  logic [2:0]        num_cand_i,
  input  logic [3:0]        cand_i [4],
  input  step_t             num_slots_i,
  input  logic [63:0]       budget_i,
  // metrics from the SAE
  input  logic              metrics_we_i,
  /* verilator lint_off UNUSEDSIGNAL */  // slot numbers are below SLOTS (checked by the sequencer)
  input  step_t             metrics_slot_i,
  /* verilator lint_on UNUSEDSIGNAL */
  input  logic [63:0]       metrics_i [4],
  // commands
  input  logic              decide_i,
  input  logic              decide_all_i,
  input  step_t             slot_i,
  output logic              done_o,          // one-cycle pulse
  // slot table memory (registered read)
  output logic              tbl_re_o,
  output logic [SLOT_AW-1:0] tbl_raddr_o,
  /* verilator lint_off UNUSEDSIGNAL */  // the entry's last words are reserved
  input  logic [32*PcuEntryWords-1:0] tbl_rdata_i,
  /* verilator lint_on UNUSEDSIGNAL */
  // results
  output logic [SLOTS-1:0][3:0] bits_o,   // 0 = not decided
  // one stored metric, read by the host: slot metric_sel_i / 4, candidate
  // metric_sel_i % 4 (a read port, not the whole table: copying 4 x SLOTS
  // words to a port would cost a simulator that much every cycle)
  input  logic [SLOT_AW+1:0] metric_sel_i,
  output logic [63:0]       metric_o
);
  typedef enum logic [3:0] {PIdle, PDecideRead, PDecide, PAllRead, PAllGroup, PInit, PCheck, PScan, PApply, PAssign} state_e;
  state_e state;

  logic [63:0] metrics [SLOTS][4];
  // Packed, unlike the tables below: they are rewritten whole (run start,
  // grouping, budget assignment), which a simulator then copies as a few
  // words instead of tracking one pending write per element every cycle.
  logic [SLOTS-1:0][3:0] bits;
  logic [SLOTS-1:0][3:0] group_bits;   // 0 = undecided (just in time)
  step_t [SLOTS-1:0]     slot_group;
  logic [63:0] slot_est [SLOTS][4];
  logic [31:0] slot_cost [SLOTS][5];  // per candidate, then 8 bits
  logic [SLOTS-1:0][3:0] group_width;  // budget loop
  step_t       cursor;               // slot (all-read) or group (scan)
  /* verilator lint_off UNUSEDSIGNAL */  // slot and group numbers are below SLOTS
  step_t       cur_slot;             // the slot being decided (just in time)
  step_t       best_group;
  step_t       read_slot;
  /* verilator lint_on UNUSEDSIGNAL */
  logic        best_valid;
  logic [127:0] best_de, best_dc;

  assign bits_o = bits;
  assign metric_o = metrics[metric_sel_i[SLOT_AW+1:2]][metric_sel_i[1:0]];

  // The table entry on tbl_rdata_i, for the slot being read.
  logic [31:0] alpha [4];
  logic [63:0] tau;
  step_t       entry_group;
  logic [31:0] entry_cost [5];
  /* verilator lint_off UNUSEDSIGNAL */  // reserved bits
  pcu_group_t group_word;
  /* verilator lint_on UNUSEDSIGNAL */
  assign group_word = pcu_group_t'(tbl_rdata_i[32*PcuGroup +: 32]);
  always_comb begin
    for (int c = 0; c < 4; c++) alpha[c] = tbl_rdata_i[32*(PcuAlpha0 + c) +: 32];
    tau = {tbl_rdata_i[32*PcuTauHi +: 32], tbl_rdata_i[32*PcuTauLo +: 32]};
    entry_group = group_word.group;
    for (int c = 0; c < 4; c++) entry_cost[c] = tbl_rdata_i[32*(PcuCost0 + c) +: 32];
    entry_cost[4] = tbl_rdata_i[32*PcuCost8 +: 32];
  end

  function automatic logic [63:0] estimate(input logic [63:0] metric, input logic [31:0] a);
    logic [127:0] p;
    p = (128'(metric) * 128'(a)) >> 16;
    return (p > 128'({64{1'b1}})) ? {64{1'b1}} : p[63:0];
  endfunction

  // Threshold choice for the slot whose entry is on the read port.
  logic [3:0] threshold_bits;
  logic [63:0] read_est [4];
  logic [3:0] read_passes;  // candidate c meets the slot's threshold
  always_comb begin
    threshold_bits = 4'd8;
    read_passes = '0;
    for (int c = 3; c >= 0; c--) begin
      read_est[c] = '0;
      if (state == PDecide || state == PAllRead) begin
        read_est[c] = estimate(metrics[read_slot[SLOT_AW-1:0]][c], alpha[c]);
        read_passes[c] = 3'(c) < num_cand_i && read_est[c] <= tau;
        if (read_passes[c] && !`APS_PLANTED(PCU_WIDEST)) threshold_bits = cand_i[c];
      end
    end
    if (`APS_PLANTED(PCU_WIDEST))  // planted fault: the widest passing candidate wins
      for (int c = 0; c < 4; c++)
        if (read_passes[c]) threshold_bits = cand_i[c];
  end

  // Next narrower candidate than b (0: none).
  function automatic logic [3:0] narrower(input logic [3:0] b, input logic [2:0] n, input logic [3:0] c [4]);
    logic [3:0] r;
    r = 4'd0;
    for (int i = 0; i < 4; i++)
      if (3'(i) < n && c[i] < b) r = c[i];
    return r;
  endfunction

  // Width b's position in the candidate list, or 4 (past the last) if b is
  // not a candidate. The golden PCU's candidate_index() takes the first match
  // and this the last; they agree because candidates strictly increase
  // (validate_program).
  function automatic logic [2:0] cand_index(input logic [3:0] b, input logic [2:0] n, input logic [3:0] c [4]);
    logic [2:0] r;
    r = 3'd4;
    for (int i = 0; i < 4; i++)
      if (3'(i) < n && c[i] == b) r = 3'(i);
    return r;
  endfunction

  // A slot's estimated error at width b (0 at 8 bits).
  function automatic logic [63:0] est_at(input logic [63:0] est [4], input logic [3:0] b, input logic [2:0] n,
                                         input logic [3:0] c [4]);
    logic [2:0] i;
    i = cand_index(b, n, c);
    return i == 3'd4 ? 64'd0 : est[i[1:0]];
  endfunction

  // A slot's cost at width b: its candidate's entry, or the 8-bit one.
  function automatic logic [31:0] cost_at(input logic [31:0] costs [5], input logic [3:0] b, input logic [2:0] n,
                                          input logic [3:0] c [4]);
    return costs[cand_index(b, n, c)];
  endfunction

  // Budget loop: cost of the current group widths, and the step of group
  // `cursor`, computed in the states that use them.
  logic [127:0] cost;
  logic [127:0] step_de, step_dc;
  logic         step_member;
  logic [3:0]   step_lower;
  always_comb begin
    logic [63:0] e_now, e_low;
    logic [31:0] c_now, c_low;
    e_now = '0;
    e_low = '0;
    c_now = '0;
    c_low = '0;
    cost = '0;
    step_lower = '0;
    step_de = '0;
    step_dc = '0;
    step_member = 1'b0;
    if (state == PCheck)
      for (int s = 0; s < SLOTS; s++)
        if (step_t'(s) < num_slots_i)
          cost = cost + 128'(cost_at(slot_cost[s], group_width[slot_group[s][SLOT_AW-1:0]], num_cand_i, cand_i));
    if (state == PScan) begin
      step_lower = narrower(group_width[cursor[SLOT_AW-1:0]], num_cand_i, cand_i);
      for (int s = 0; s < SLOTS; s++) begin
        e_now = est_at(slot_est[s], group_width[cursor[SLOT_AW-1:0]], num_cand_i, cand_i);
        e_low = step_lower != 0 ? est_at(slot_est[s], step_lower, num_cand_i, cand_i) : 64'd0;
        c_now = cost_at(slot_cost[s], group_width[cursor[SLOT_AW-1:0]], num_cand_i, cand_i);
        c_low = step_lower != 0 ? cost_at(slot_cost[s], step_lower, num_cand_i, cand_i) : c_now;
        if (step_t'(s) < num_slots_i && slot_group[s] == cursor) begin
          step_member = 1'b1;
          step_de = step_de + ((e_low > e_now) ? 128'(e_low) - 128'(e_now) : 128'd0);
          step_dc = step_dc + ((c_now > c_low) ? 128'(c_now) - 128'(c_low) : 128'd0);
        end
      end
    end
  end

  // Every slot at its group's widest width (threshold), or at its group's
  // budget width. Functions, so that this logic runs only in its state.
  function automatic logic [3:0] widest_of_group(input logic [SLOTS-1:0][3:0] b, input step_t [SLOTS-1:0] g,
                                                 input step_t n, input logic [SLOT_AW-1:0] s);
    logic [3:0] widest;
    widest = '0;
    for (int t = 0; t < SLOTS; t++)
      if (step_t'(t) < n && g[t] == g[s] && b[t] > widest) widest = b[t];
    return widest;
  endfunction

  assign tbl_re_o = (state == PIdle && (decide_i || decide_all_i)) || (state == PAllRead && cursor + step_t'(1) < num_slots_i);
  assign tbl_raddr_o = SLOT_AW'((state == PIdle) ? (decide_all_i ? '0 : slot_i) : cursor + step_t'(1));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state <= PIdle;
      done_o <= 1'b0;
      cursor <= '0;
      cur_slot <= '0;
      read_slot <= '0;
      best_valid <= 1'b0;
      best_group <= '0;
      best_de <= '0;
      best_dc <= '0;
      bits <= '0;
      group_bits <= '0;
      slot_group <= '0;
      group_width <= '0;
      for (int s = 0; s < SLOTS; s++) begin
        for (int c = 0; c < 5; c++) slot_cost[s][c] <= '0;
        for (int c = 0; c < 4; c++) begin
          metrics[s][c] <= '0;
          slot_est[s][c] <= '0;
        end
      end
    end else begin
      done_o <= 1'b0;
      // Each run's metrics are its own scans': a slot a run does not scan
      // reads 0, not an earlier input's.
      if (run_start_i) begin
        bits <= '0;
        group_bits <= '0;
        for (int s = 0; s < SLOTS; s++)
          for (int c = 0; c < 4; c++) metrics[s][c] <= '0;
      end
      if (metrics_we_i) metrics[metrics_slot_i[SLOT_AW-1:0]] <= metrics_i;
      unique case (state)
        PIdle: begin
          if (decide_i) begin
            cur_slot <= slot_i;
            read_slot <= slot_i;
            state <= PDecideRead;
          end else if (decide_all_i) begin
            cursor <= '0;
            read_slot <= '0;
            state <= PAllRead;
          end
        end
        PDecideRead: state <= PDecide;  // the entry arrives
        PDecide: begin
          if (group_bits[entry_group[SLOT_AW-1:0]] == 4'd0) begin
            group_bits[entry_group[SLOT_AW-1:0]] <= threshold_bits;
            bits[cur_slot[SLOT_AW-1:0]] <= threshold_bits;
          end else begin
            bits[cur_slot[SLOT_AW-1:0]] <= group_bits[entry_group[SLOT_AW-1:0]];
          end
          done_o <= 1'b1;
          state <= PIdle;
        end
        PAllRead: begin
          // entry of slot `cursor` is on the read port
          bits[cursor[SLOT_AW-1:0]] <= threshold_bits;
          slot_group[cursor[SLOT_AW-1:0]] <= entry_group;
          slot_cost[cursor[SLOT_AW-1:0]] <= entry_cost;
          slot_est[cursor[SLOT_AW-1:0]] <= read_est;
          if (cursor + step_t'(1) < num_slots_i) begin
            cursor <= cursor + step_t'(1);
            read_slot <= cursor + step_t'(1);
          end else begin
            state <= (budget_i == 0) ? PAllGroup : PInit;
          end
        end
        PAllGroup: begin
          logic [SLOTS-1:0][3:0] grouped;
          for (int s = 0; s < SLOTS; s++)
            grouped[s] = (step_t'(s) < num_slots_i) ? widest_of_group(bits, slot_group, num_slots_i, SLOT_AW'(s)) : bits[s];
          bits <= grouped;
          done_o <= 1'b1;
          state <= PIdle;
        end
        PInit: begin
          group_width <= {SLOTS{4'd8}};
          state <= PCheck;
        end
        PCheck: begin
          if (cost <= 128'(budget_i)) begin
            state <= PAssign;
          end else begin
            cursor <= '0;
            best_valid <= 1'b0;
            state <= PScan;
          end
        end
        PScan: begin
          if (step_member && step_lower != 0 && step_dc != 0 &&
              (!best_valid || step_de * best_dc < best_de * step_dc)) begin
            best_valid <= 1'b1;
            best_group <= cursor;
            best_de <= step_de;
            best_dc <= step_dc;
          end
          if (cursor + step_t'(1) < num_slots_i) cursor <= cursor + step_t'(1);
          else state <= PApply;
        end
        PApply: begin
          if (best_valid) begin
            group_width[best_group[SLOT_AW-1:0]] <=
                narrower(group_width[best_group[SLOT_AW-1:0]], num_cand_i, cand_i);
            state <= PCheck;
          end else begin
            state <= PAssign;  // nothing can narrow: the budget cannot be met
          end
        end
        PAssign: begin
          logic [SLOTS-1:0][3:0] assigned;
          for (int s = 0; s < SLOTS; s++)
            assigned[s] = (step_t'(s) < num_slots_i) ? group_width[slot_group[s][SLOT_AW-1:0]] : bits[s];
          bits <= assigned;
          done_o <= 1'b1;
          state <= PIdle;
        end
        default: state <= PIdle;
      endcase
    end
  end

`ifndef SYNTHESIS
  assert property (@(posedge clk_i) disable iff (!rst_ni) (decide_i || decide_all_i) |-> state == PIdle)
    else $error("aps_pcu: a decision was requested while the PCU was busy");
  assert property (@(posedge clk_i) disable iff (!rst_ni) decide_i |-> slot_i < num_slots_i)
    else $error("aps_pcu: decision for slot %0d of %0d", slot_i, num_slots_i);
  // Functional coverage (--coverage-user builds): which candidate each kind
  // of decision picks (none: 8 bits), a group member taking its group's
  // width, and the three ways the budget loop ends.
  if (1) begin : cov_pcu_decision
    logic [2:0] pick;  // the narrowest passing candidate (candidates are listed narrowest first); 4: none
    always_comb begin
      pick = 3'd4;
      for (int c = 3; c >= 0; c--)
        if (read_passes[c]) pick = 3'(c);
    end
    logic jit, all;
    assign jit = state == PDecide && group_bits[entry_group[SLOT_AW-1:0]] == 4'd0;
    assign all = state == PAllRead;
    for (genvar c = 0; c < 4; c++) begin : just_in_time_candidate
      cover property (@(posedge clk_i) disable iff (!rst_ni) jit && pick == 3'(c));
    end
    just_in_time_none: cover property (@(posedge clk_i) disable iff (!rst_ni) jit && pick == 3'd4);
    just_in_time_group_member: cover property (@(posedge clk_i) disable iff (!rst_ni)
                                               state == PDecide && group_bits[entry_group[SLOT_AW-1:0]] != 4'd0);
    for (genvar c = 0; c < 4; c++) begin : up_front_candidate
      cover property (@(posedge clk_i) disable iff (!rst_ni) all && pick == 3'(c));
    end
    up_front_none: cover property (@(posedge clk_i) disable iff (!rst_ni) all && pick == 3'd4);
    up_front_grouped: cover property (@(posedge clk_i) disable iff (!rst_ni) state == PAllGroup);
    budget_met: cover property (@(posedge clk_i) disable iff (!rst_ni) state == PCheck && cost <= 128'(budget_i));
    budget_narrowed: cover property (@(posedge clk_i) disable iff (!rst_ni) state == PApply && best_valid);
    budget_unreachable: cover property (@(posedge clk_i) disable iff (!rst_ni) state == PApply && !best_valid);
  end
`endif
endmodule
