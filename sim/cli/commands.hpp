#pragma once
// The subcommands of aps-sim.

#include "cli/command_line.hpp"

namespace aps::sim::cli {

using aps::cli::Args;

ExitCode run_command(const Args& args);     // co-simulate a model on a data set
ExitCode regress_command(const Args& args); // random networks plus the bundled models

}  // namespace aps::sim::cli
