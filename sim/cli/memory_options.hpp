#pragma once
// The external memory and scratchpad options every command that runs the
// RTL takes: --mem-latency, --mem-bandwidth, --mem-request-wait, --mem-size,
// --spm-words.

#include <string>

#include "cli/command_line.hpp"
#include "sim/accelerator_session.hpp"

namespace aps::sim::cli {

struct MemoryArgs {
  int64_t latency = MemoryTiming{}.latency;
  int64_t bandwidth = MemoryTiming{}.bytes_per_cycle;
  int64_t request_wait = MemoryTiming{}.request_wait;
  std::string size;  // bytes, or with a K, M or G suffix; empty: MemoryTiming's default
  int64_t spm_words = 0;
};

void add_memory_options(aps::cli::po::options_description& options, MemoryArgs& args);
// The session's memory and scratchpad limit; InputError naming the option.
void apply_memory_options(const MemoryArgs& args, SessionOptions& session);
// InputError if --mem-bandwidth asks for more than the port's one beat
// (ROWS bytes) per cycle, which is what a higher figure would run as (the
// default is let through on a build of fewer rows).
void check_bandwidth(const MemoryArgs& args, int rows);
// The options as a command line would give them (" --mem-latency 40 ..."),
// only those that differ from the defaults; for reproduce lines.
std::string memory_args_text(const MemoryArgs& args);
// "64M" -> 67108864; InputError naming `option` otherwise.
int64_t parse_size(const std::string& text, const char* option);

}  // namespace aps::sim::cli
