#!/usr/bin/python3
"""cli/output_paths.py, the Python tools' output rules, on the paths the C++
rules handle (cli/command_line.cpp, golden/file_output.cpp): a pipe is
written where it is, not replaced by a file; a replaced file keeps its
permissions; a dangling link into a missing folder, a loop of links, a name
too long and an empty name are refused before anything is written; a write
that fails leaves the old file and no temporary one.

    check_output_paths.py CLI_FOLDER WORK
"""

import os
import stat
import sys
import threading

problems = []


def expect_refusal(what, check, words):
    try:
        check()
    except OutputPathError as e:
        if words not in str(e):
            problems.append(f"{what}: refused with {e!r}, without {words!r}")
        return
    except Exception as e:  # noqa: BLE001 - anything but a one-line refusal is the defect
        problems.append(f"{what}: {type(e).__name__} ({e}), not a refusal")
        return
    problems.append(f"{what}: not refused")


def main():
    work = sys.argv[2]
    os.makedirs(work, exist_ok=True)
    for name in os.listdir(work):
        path = os.path.join(work, name)
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)

    # A pipe: the reader gets the text, and the pipe stays a pipe.
    fifo = os.path.join(work, "pipe")
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo).read()), daemon=True)
    reader.start()
    check_outputs_apart([], [("-o", fifo)])
    write_whole(fifo, "through the pipe\n")
    reader.join(timeout=10)
    if received != ["through the pipe\n"] or not stat.S_ISFIFO(os.lstat(fifo).st_mode):
        problems.append(f"a pipe: read {received!r}, and it is a pipe: {stat.S_ISFIFO(os.lstat(fifo).st_mode)}")

    # A private file stays private.
    private = os.path.join(work, "private.html")
    with open(private, "w") as f:
        f.write("old\n")
    os.chmod(private, 0o600)
    write_whole(private, "new\n")
    mode = stat.S_IMODE(os.stat(private).st_mode)
    if mode != 0o600 or open(private).read() != "new\n":
        problems.append(f"a 0600 file: mode {mode:o} after the write, text {open(private).read()!r}")

    # Refused before anything is written.
    dangling = os.path.join(work, "dangling")
    os.symlink(os.path.join(work, "no_such_folder", "x.html"), dangling)
    expect_refusal("a dangling link into a missing folder", lambda: check_outputs_apart([], [("-o", dangling)]),
                   "there is no folder")
    for under in ("x.html", "a/b/x.html"):
        expect_refusal(f"a path {under} under a file",
                       lambda under=under: check_outputs_apart([], [("-o", os.path.join(private, under))]),
                       "private.html is a file, not a folder")
    loop = os.path.join(work, "loop")
    os.symlink(loop, loop)
    expect_refusal("a loop of links", lambda: check_outputs_apart([], [("-o", loop)]), "cannot write")
    expect_refusal("a name too long", lambda: check_outputs_apart([], [("-o", os.path.join(work, "x" * 300))]),
                   "cannot write")
    expect_refusal("an empty name", lambda: check_outputs_apart([], [("-o", "")]), "empty name")

    # A write that fails: the old file stays, no temporary file is left.
    kept = os.path.join(work, "kept.json")
    with open(kept, "w") as f:
        f.write("old\n")

    def failing(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise OSError(28, "No space left on device")

    expect_refusal("a write that fails", lambda: replace_whole(kept, failing), "No space left on device")
    left = sorted(n for n in os.listdir(work) if n.endswith(".tmp"))
    if open(kept).read() != "old\n" or left:
        problems.append(f"a failed write: the file holds {open(kept).read()!r}, temporary files {left}")

    for p in problems:
        print(f"FAILED: {p}")
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    from output_paths import OutputPathError, check_outputs_apart, replace_whole, write_whole  # noqa: E402
    sys.exit(main())
