#pragma once
// The exit codes every APS command shares (README, "Exit codes").
// Errors are exceptions until main(): main() maps them to these codes, so
// destructors (trace files, reports) run on every path.

#include <stdexcept>
#include <string>

namespace aps {

enum class ExitCode : int {
  Ok = 0,        // everything compared equal / all tests passed
  Mismatch = 1,  // a comparison failed, or a run compared nothing
  BadInput = 2,  // bad usage or bad input: the message names the file and the problem
  Timeout = 3,   // the watchdog fired (a hung accelerator)
  Interrupted = 130,  // SIGINT/SIGTERM/SIGHUP: stopped early, traces and reports closed
};

// Bad input or bad usage. The message is one line and names the file, node or
// layer and what is wrong with it; callers add context as the error unwinds.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raised by a layer of the model when the input itself is fine but the model
// asks for something APS does not implement (an op, an attribute value).
class UnsupportedError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace aps
