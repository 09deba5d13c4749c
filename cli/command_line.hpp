#pragma once
// What every APS command-line tool shares: subcommand dispatch, option
// parsing that turns usage errors into exit code 2, and the one place where
// exceptions become exit codes (so destructors run on every path).

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "golden/errors.hpp"

namespace aps::cli {

namespace po = boost::program_options;

using Args = std::vector<std::string>;

// Parses args against `options` (and positional `positional`, if any);
// prints help and returns false when --help was given. Usage errors throw
// InputError, an empty value among them unless its option is one of
// `may_be_empty` (a list that may be empty, such as aps-study's --budgets).
bool parse_args(const Args& args, const po::options_description& options, po::variables_map& vm,
                const po::positional_options_description* positional = nullptr,
                const std::set<std::string>& may_be_empty = {});

struct Subcommand {
  std::string name;
  std::string summary;
  std::function<ExitCode(const Args&)> run;
};

// What every tool does first: stdout line-buffered, so a long run's progress
// reaches a log file or a pipe as it is written; SIGPIPE and SIGXFSZ ignored,
// so a closed pipe or a file size limit is a failed write the tool reports
// (its result files still written, or the earlier ones kept), not a death
// without a word.
void start_tool();
// What every tool does last: `code`, unless what it printed to stdout was
// lost (a closed pipe or descriptor, a full disk): then says so on stderr,
// as `who`, and returns 2 in place of 0.
int finish_tool(int code, const std::string& who);

// Runs the subcommand named by argv[1]; maps exceptions to exit codes:
// InputError -> 2 with "<tool>: error: <message>", anything else -> 2 with
// "internal error" (never a crash). Returns the process exit code.
// With `default_subcommand`, arguments that start with an option run it.
// `more_exit_codes`: the tool's own, after 0, 1 and 2 in the usage text.
int dispatch(int argc, char** argv, const std::string& tool, const std::string& about,
             const std::vector<Subcommand>& subcommands, const std::string& default_subcommand = "",
             const std::string& more_exit_codes = "");

// --calibration's help, the same in every tool that takes it: which models
// read the folder, and that the others leave it unread (tools with --profile
// add that a profile's ranges stand in for it).
inline constexpr const char* kCalibrationHelp =
    "calibration data of a float or partly quantized model (default: calibration/ beside the model); a fully "
    "quantized model reads none";
inline constexpr const char* kCalibrationProfileHelp = ", nor does a run with --profile (its ranges are used)";

// The items of a comma-separated option value: "8,6,4" -> {"8", "6", "4"}.
std::vector<std::string> split_list(const std::string& text);

// A count or seed written in decimal digits alone: InputError "<option> must
// be a whole number, not '<text>'" for a sign, a fraction, an exponent or a
// value above 2^64 - 1 (an unsigned option would take "-1" as 2^64 - 1).
uint64_t parse_whole_number(const std::string& text, const std::string& option);

// Writes `text` to `path`, replaced whole (InputError if it cannot).
void write_text_file(const std::string& path, const std::string& text);
// A JSON result file, written as write_text_file does (json_file_text: a
// path that is not UTF-8 does not stop it).
void write_json_file(const std::string& path, const nlohmann::json& j, int indent = 2);

// InputError "<path>: cannot write[: why]" unless `path` can be written (an
// existing writable file, or a new name in a writable folder), without
// touching the file system. Tools check their outputs before a long run, so
// a mistyped folder does not cost the run's result.
void check_writable(const std::string& path);
// check_writable for each path given (an empty one is an output not asked for).
void check_writable_each(const std::vector<std::string>& paths);

// A file or folder a command line names, with its option ("--profile").
struct NamedPath {
  std::string option;
  std::string path;  // empty: not given
};
// InputError unless each output names its own file, and none an input (an
// input file, a model's external data file, or a data file, input_N.pb,
// output_N.pb or labels.pb, in an input folder): the run would write its
// result over the model, the profile or the data it read, or one output over
// another. Checked before the run,
// with check_writable.
void check_outputs_apart(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

// InputError "<option> <why>" for the first of `names` given on the command
// line (not defaulted): an option the chosen mode ignores is refused rather
// than silently giving another run than the one asked for.
void refuse_given(const po::variables_map& vm, const std::vector<std::string>& names, const std::string& why);

// True when option `name` was given on the command line (not left at its default).
bool given(const po::variables_map& vm, const std::string& name);

// `word` as one word of a POSIX shell command line (quoted when it holds
// anything but letters, digits and /._-+,:=@%).
std::string shell_word(const std::string& word);

// " --name value" (" --name" for a switch) for each of `names` given on the
// command line with a value, in order, values quoted for the shell: the
// options a re-run needs to run as this one did. The options must hold
// strings or be switches.
std::string given_options_text(const po::variables_map& vm, const std::vector<std::string>& names);

}  // namespace aps::cli
