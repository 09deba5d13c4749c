#include "cli/command_line.hpp"

#include "golden/file_output.hpp"
#include "golden/onnx/external_data.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <cctype>
#include <string_view>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

namespace aps::cli {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  for (size_t pos = 0; pos < text.size();) {
    const size_t comma = text.find(',', pos);
    items.push_back(text.substr(pos, comma - pos));
    pos = comma == std::string::npos ? text.size() : comma + 1;
  }
  return items;
}

bool parse_args(const Args& args, const po::options_description& options, po::variables_map& vm,
                const po::positional_options_description* positional, const std::set<std::string>& may_be_empty) {
  try {
    auto parser = po::command_line_parser(args).options(options);
    if (positional) parser.positional(*positional);
    const po::parsed_options parsed = parser.run();
    // Without a positional description Boost drops bare words; one is a
    // mistyped option value or a forgotten option name, not nothing.
    const std::vector<std::string> stray = po::collect_unrecognized(parsed.options, po::include_positional);
    if (!positional && !stray.empty())
      throw InputError(fmt::format("unexpected argument '{}' (see --help)", stray.front()));
    po::store(parsed, vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return false;
    }
    // An empty value (--report '', a variable that was never set) is a
    // mistake, not "leave the option out": taken as unset, it would drop the
    // file the user asked for without a word.
    for (const po::option& o : parsed.options)
      for (const std::string& v : o.value)
        if (v.empty() && !o.unregistered && !may_be_empty.contains(o.string_key))
          throw InputError(o.position_key >= 0 ? fmt::format("argument {} is empty", o.position_key + 1)
                                               : fmt::format("--{} is given an empty value", o.string_key));
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(fmt::format("{} (see --help)", e.what()));
  }
  return true;
}

void start_tool() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
}

int finish_tool(int code, const std::string& who) {
  std::cout.flush();
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  if (flushed && !std::ferror(stdout) && std::cout.good()) return code;
  // The error may have come at any write; only a failed final flush still has its errno.
  const std::string why = !flushed && errno != 0 ? std::strerror(errno) : "a write failed";
  std::cerr << fmt::format("{}: error: stdout: cannot write ({}): what the run printed there is lost\n", who, why);
  return code == 0 ? static_cast<int>(ExitCode::BadInput) : code;
}

int dispatch(int argc, char** argv, const std::string& tool, const std::string& about,
             const std::vector<Subcommand>& subcommands, const std::string& default_subcommand,
             const std::string& more_exit_codes) {
  auto usage = [&](std::ostream& os) {
    os << fmt::format("usage: {} <command> [options]\n{}\n\ncommands:\n", tool, about);
    for (const auto& s : subcommands) os << fmt::format("  {:<12} {}\n", s.name, s.summary);
    os << fmt::format("\n'{} <command> --help' lists a command's options.\n"
                      "exit codes: 0 ok, 1 mismatch or failed check, 2 bad usage or bad input{}\n",
                      tool, more_exit_codes);
  };
  start_tool();
  if (argc < 2) {
    usage(std::cerr);
    return static_cast<int>(ExitCode::BadInput);
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(std::cout);
    return finish_tool(0, tool);
  }
  int first_arg = 2;
  if (!default_subcommand.empty() && name.starts_with("-")) {
    name = default_subcommand;
    first_arg = 1;
  }
  for (const auto& s : subcommands) {
    if (s.name != name) continue;
    try {
      return finish_tool(static_cast<int>(s.run(Args(argv + first_arg, argv + argc))), tool + " " + name);
    } catch (const InputError& e) {
      std::cerr << fmt::format("{} {}: error: {}\n", tool, name, e.what());
      return static_cast<int>(ExitCode::BadInput);
    } catch (const std::bad_alloc&) {
      std::cerr << fmt::format("{} {}: error: out of memory (is an input absurdly large?)\n", tool, name);
      return static_cast<int>(ExitCode::BadInput);
    } catch (const std::exception& e) {
      std::cerr << fmt::format("{} {}: internal error: {}\n", tool, name, e.what());
      return static_cast<int>(ExitCode::BadInput);
    }
  }
  std::cerr << fmt::format("{}: unknown command '{}'\n", tool, name);
  usage(std::cerr);
  return static_cast<int>(ExitCode::BadInput);
}

uint64_t parse_whole_number(const std::string& text, const std::string& option) {
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  errno = 0;
  const unsigned long long value = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
  if (!digits || errno == ERANGE) throw InputError(fmt::format("{} must be a whole number, not '{}'", option, text));
  return value;
}

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  // Asked of the file system, never by opening: a probe that creates and
  // deletes a file would remove a dangling link, and opening a pipe would
  // end its reader before the real write.
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);  // through links
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw InputError(fmt::format("{}: cannot write: {}", path, ec.message()));  // a loop, a name too long
  if (fs::is_directory(status)) throw InputError(fmt::format("{}: cannot write, it is a folder", path));
  if (fs::exists(status)) {
    if (::access(path.c_str(), W_OK) != 0) throw InputError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    return;
  }
  // A new file is made where a dangling link points, or else at `path`.
  fs::path target = path;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    const fs::path link = fs::read_symlink(path, ec);
    target = link.is_absolute() ? link : fs::path(path).parent_path() / link;
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    // The nearest part of the path that exists says why: a file where a folder should be, or nothing.
    fs::path up = parent;
    while (!fs::exists(up, ec) && up.has_parent_path() && up.parent_path() != up) up = up.parent_path();
    throw InputError(fmt::format("{}: cannot write: {}", path,
                                 fs::exists(up, ec) && !fs::is_directory(up, ec)
                                     ? up.string() + " is a file, not a folder"
                                     : "there is no folder " + parent.string()));
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    throw InputError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
}

void check_writable_each(const std::vector<std::string>& paths) {
  for (const std::string& path : paths)
    if (!path.empty()) check_writable(path);
}

namespace {
// The path with every link and "..", as far as it exists, resolved: two
// names of one file compare equal.
std::filesystem::path resolved(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::absolute(path).lexically_normal();
  return p.has_filename() ? p : p.parent_path();
}
// The names the data-set loader reads in a folder (golden/onnx/data_set.hpp).
bool is_data_file_name(const std::string& name) {
  const auto numbered = [&](std::string_view stem) {
    if (!name.starts_with(stem) || !name.ends_with(".pb") || name.size() <= stem.size() + 3) return false;
    return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(stem.size()), name.end() - 3,
                       [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  return name == "labels.pb" || numbered("input_") || numbered("output_");
}
}  // namespace

void check_outputs_apart(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  namespace fs = std::filesystem;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& out = outputs[i];
    if (out.path.empty()) continue;
    const fs::path o = resolved(out.path);
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (!outputs[j].path.empty() && resolved(outputs[j].path) == o)
        throw InputError(fmt::format("{} and {} name the same file, {}", out.option, outputs[j].option, out.path));
    for (const NamedPath& in : inputs) {
      if (in.path.empty()) continue;
      const fs::path p = resolved(in.path);
      if (p == o)
        throw InputError(fmt::format("{} {} is the {} input: the run would write over it", out.option, out.path,
                                     in.option));
      std::error_code ec;
      const bool inside = fs::is_directory(p, ec) && std::mismatch(p.begin(), p.end(), o.begin(), o.end()).first == p.end();
      if (inside && is_data_file_name(o.filename().string()))
        throw InputError(fmt::format("{} {} is a data file of the {} folder {}: the run would write over it",
                                     out.option, out.path, in.option, in.path));
      // A model's weights may sit in files beside it (external data). Only
      // an existing file can be one, so only then is the model read for them.
      const bool model = in.option == "--model" || in.option == "--reference" || p.extension() == ".onnx";
      if (model && fs::is_regular_file(o, ec) && fs::is_regular_file(p, ec))
        for (const fs::path& data : external_data_files(p))
          if (resolved(data.string()) == o)
            throw InputError(fmt::format("{} {} holds the {} model's weights (its external data): the run would "
                                         "write over them",
                                         out.option, out.path, in.option));
    }
  }
}

bool given(const po::variables_map& vm, const std::string& name) { return vm.count(name) && !vm[name].defaulted(); }

void refuse_given(const po::variables_map& vm, const std::vector<std::string>& names, const std::string& why) {
  for (const std::string& name : names)
    if (given(vm, name)) throw InputError(fmt::format("--{} {}", name, why));
}

std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) || std::strchr("/._-+,:=@%", c) != nullptr;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string given_options_text(const po::variables_map& vm, const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!given(vm, name)) continue;
    const boost::any& value = vm[name].value();
    if (const bool* on = boost::any_cast<bool>(&value)) {
      text += *on ? " --" + name : "";
    } else {
      // Empty: an option whose default is "" and that was not given a value.
      const std::string& v = boost::any_cast<const std::string&>(value);
      if (!v.empty()) text += fmt::format(" --{} {}", name, shell_word(v));
    }
  }
  return text;
}

void write_text_file(const std::string& path, const std::string& text) { replace_file(path, text); }

void write_json_file(const std::string& path, const nlohmann::json& j, int indent) {
  replace_file(path, json_file_text(j, indent));
}

}  // namespace aps::cli
