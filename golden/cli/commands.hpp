#pragma once
// The subcommands of aps-golden.

#include "cli/command_line.hpp"

namespace aps::cli {

ExitCode onnx_test_command(const Args& args);
ExitCode run_command(const Args& args);
ExitCode eval_command(const Args& args);

}  // namespace aps::cli
