#pragma once
// The trace a failing run names for itself (--trace-on-fail): its name comes
// from the failure, after the run's outputs were checked, so it is checked
// here, against the same inputs and outputs.

#include <string>
#include <vector>

#include "cli/command_line.hpp"

namespace aps::sim {

// `wanted` if it and its companions (trace_files) are apart from `inputs`
// and `outputs`; otherwise the first of `<stem>-2<ext>`, `<stem>-3<ext>`, ...
// that is.
std::string trace_name_apart(const std::string& wanted, const std::vector<aps::cli::NamedPath>& inputs,
                             const std::vector<aps::cli::NamedPath>& outputs);

}  // namespace aps::sim
