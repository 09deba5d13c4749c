#include "sim/cli/memory_options.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <limits>
#include <utility>

#include "golden/errors.hpp"

namespace aps::sim::cli {

void add_memory_options(aps::cli::po::options_description& options, MemoryArgs& args) {
  namespace po = aps::cli::po;
  options.add_options()
      ("mem-latency", po::value(&args.latency)->default_value(args.latency),
       "external memory: cycles from a request to its first read beat (and from the last write beat to its response)")
      ("mem-bandwidth", po::value(&args.bandwidth)->default_value(args.bandwidth),
       "external memory: bytes per cycle (a power of two, at most a beat of ROWS bytes: 8 on the default build)")
      ("mem-request-wait", po::value(&args.request_wait)->default_value(args.request_wait),
       "external memory: cycles each request waits before the memory takes it (back-pressure, 0..1000)")
      ("mem-size", po::value(&args.size), "external memory size in bytes, or with K, M or G (default 64M)")
      ("spm-words", po::value(&args.spm_words)->default_value(0),
       "scratchpad words the memory plan may use (0: all of it; fewer makes it spill tensors)");
}

std::string memory_args_text(const MemoryArgs& args) {
  const MemoryArgs defaults;
  std::string text;
  if (args.latency != defaults.latency) text += fmt::format(" --mem-latency {}", args.latency);
  if (args.bandwidth != defaults.bandwidth) text += fmt::format(" --mem-bandwidth {}", args.bandwidth);
  if (args.request_wait != defaults.request_wait) text += fmt::format(" --mem-request-wait {}", args.request_wait);
  if (!args.size.empty()) text += " --mem-size " + args.size;
  if (args.spm_words != defaults.spm_words) text += fmt::format(" --spm-words {}", args.spm_words);
  return text;
}

int64_t parse_size(const std::string& text, const char* option) {
  try {
    size_t used = 0;
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) throw std::invalid_argument(text);
    const long long value = std::stoll(text, &used);
    int64_t scale = 1;
    if (used + 1 == text.size()) {
      const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
      scale = unit == 'K' ? 1 << 10 : unit == 'M' ? 1 << 20 : unit == 'G' ? 1 << 30 : 0;
    } else if (used != text.size()) {
      scale = 0;
    }
    if (scale == 0 || value <= 0) throw std::invalid_argument(text);
    if (value > std::numeric_limits<int64_t>::max() / scale) throw std::out_of_range(text);
    return value * scale;
  } catch (const std::out_of_range&) {
    throw InputError(fmt::format("{} {}: more bytes than a 64-bit address reaches", option, text));
  } catch (const std::exception&) {
    throw InputError(fmt::format("{} must be a size in bytes (e.g. 65536, 64K, 64M), not '{}'", option, text));
  }
}

void check_bandwidth(const MemoryArgs& args, int rows) {
  // The default stays usable on a build of fewer rows, where it means a beat per cycle.
  if (args.bandwidth > rows && args.bandwidth != MemoryArgs{}.bandwidth)
    throw InputError(fmt::format("--mem-bandwidth {}: the memory port moves at most one beat of {} bytes (the build's "
                                 "ROWS) per cycle; give {} or less",
                                 args.bandwidth, rows, rows));
}

void apply_memory_options(const MemoryArgs& args, SessionOptions& session) {
  session.memory.latency = args.latency;
  session.memory.bytes_per_cycle = args.bandwidth;
  session.memory.request_wait = args.request_wait;
  if (!args.size.empty()) session.memory.size_bytes = parse_size(args.size, "--mem-size");
  // Each option on its own, so that the message names the one that is wrong.
  const std::pair<const char*, int64_t MemoryTiming::*> fields[] = {{"--mem-latency", &MemoryTiming::latency},
                                                                   {"--mem-bandwidth", &MemoryTiming::bytes_per_cycle},
                                                                   {"--mem-request-wait", &MemoryTiming::request_wait},
                                                                   {"--mem-size", &MemoryTiming::size_bytes}};
  for (const auto& [option, field] : fields) {
    MemoryTiming alone;
    alone.*field = session.memory.*field;
    if (const std::string why = check_memory_timing(alone); !why.empty())
      throw InputError(fmt::format("{} {}: {}", option, session.memory.*field, why));
  }
  if (args.spm_words < 0) throw InputError("--spm-words must be 0 or more");
  session.spm_words = args.spm_words;
}

}  // namespace aps::sim::cli
