"""What every Python command-line tool (aps-report, aps-coverage, aps-farm)
shares with the C++ tools (cli/command_line.cpp: start_tool, finish_tool,
and Boost's refusal of an option given twice), so a user meets one contract:

- an option given twice is bad usage (exit 2), not "the last one wins";
- a failed write to stdout (a full disk, a closed pipe) does not stop the
  tool before its files are written: it is reported after them, and a tool
  that would have exited 0 exits 2.
"""

import argparse
import errno
import os
import sys


def _once(action_class):
    """`action_class` refusing a second use of its option."""

    class Once(action_class):
        def __call__(self, parser, namespace, values, option_string=None):
            if getattr(self, "_given", False):
                parser.error(f"{option_string} is given twice")
            self._given = True
            super().__call__(parser, namespace, values, option_string)

    return Once


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser (and its subcommands' parsers) whose options, flags
    included, may be given once ("append" ones are meant to repeat)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, action_class in ((None, argparse._StoreAction), ("store", argparse._StoreAction),
                                   ("store_true", argparse._StoreTrueAction),
                                   ("store_false", argparse._StoreFalseAction)):
            self.register("action", name, _once(action_class))


class _CheckedStdout:
    """Stands in for sys.stdout: the first failed write or flush is kept and
    later output dropped, so the tool goes on to write its files."""

    def __init__(self, stream):
        self._stream = stream
        self.error = None

    def write(self, text):
        if self.error is None and text:
            try:
                if self._stream is None:  # a closed descriptor leaves Python no sys.stdout at all
                    raise OSError(errno.EBADF, "Bad file descriptor")
                return self._stream.write(text)
            except OSError as e:
                self.error = e
        return len(text)

    def flush(self):
        if self.error is None and self._stream is not None:
            try:
                self._stream.flush()
            except OSError as e:
                self.error = e

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _release(out, prog):
    """Puts the real stdout back; True when it failed, which is then reported."""
    out.flush()
    sys.stdout = out._stream
    if out.error is None:
        return False
    reason = out.error.strerror or str(out.error)
    print(f"{prog}: error: stdout: cannot write ({reason}): what the run printed there is lost", file=sys.stderr)
    # What is still buffered goes nowhere at exit, not into a traceback.
    if sys.stdout is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return True


def run_tool(prog, main):
    """main()'s exit code; 2 for a 0 when stdout could not take the output."""
    out = _CheckedStdout(sys.stdout)
    sys.stdout = out
    try:
        code = main()
    except SystemExit as e:
        # argparse's --help ends with exit 0: not when its text was lost.
        if _release(out, prog) and not e.code:
            raise SystemExit(2)
        raise
    except BaseException:
        _release(out, prog)
        raise
    return (code or 2) if _release(out, prog) else code
