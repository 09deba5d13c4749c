#include "sim/cli/trace_name.hpp"

#include <filesystem>
#include <fmt/format.h>

#include "golden/errors.hpp"
#include "sim/tracer.hpp"

namespace aps::sim {

std::string trace_name_apart(const std::string& wanted, const std::vector<aps::cli::NamedPath>& inputs,
                             const std::vector<aps::cli::NamedPath>& outputs) {
  const std::filesystem::path p(wanted);
  for (int k = 1;; ++k) {
    const std::string name =
        k == 1 ? wanted : (p.parent_path() / fmt::format("{}-{}{}", p.stem().string(), k, p.extension().string())).string();
    std::vector<aps::cli::NamedPath> all = outputs;
    for (const std::string& file : trace_files(name)) all.push_back({"--trace-on-fail", file});
    try {
      aps::cli::check_outputs_apart(inputs, all);
      return name;
    } catch (const InputError&) {
      if (k == 100) throw;  // a name the run's own files cannot all take
    }
  }
}

}  // namespace aps::sim
