// aps-sim: the accelerator RTL (verilated) checked bit for bit against the
// golden model, layer by layer, input by input.

#include "sim/cli/commands.hpp"
#include "sim/cli/coverage_build.hpp"

int main(int argc, char** argv) {
  using namespace aps::sim::cli;
  if (needs_coverage_build(argc, argv)) return run_coverage_build(argv);
  return aps::cli::dispatch(argc, argv, "aps-sim",
                            "Co-simulation of the APS accelerator RTL against the golden model.",
                            {
                                {"run", "co-simulate a model on a data set (the default command)", run_command},
                                {"regress", "random networks and the bundled models through the RTL", regress_command},
                            },
                            "run", ", 3 the watchdog fired, 130 interrupted (SIGINT/SIGTERM/SIGHUP)");
}
