#pragma once
// Coverage counters slow the simulation, so they live in a build of their
// own (aps-sim-coverage, the same RTL). A user asks aps-sim for --coverage;
// aps-sim hands the command to that build.

namespace aps::sim::cli {

// True when the arguments ask for --coverage and this executable's RTL
// build counts none. Then run_coverage_build() replaces the process.
bool needs_coverage_build(int argc, char** argv);
// Executes aps-sim-coverage beside this executable with the same arguments;
// returns (with a one-line message printed) only if it cannot: exit code 2.
int run_coverage_build(char** argv);

}  // namespace aps::sim::cli
