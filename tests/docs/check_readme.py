#!/usr/bin/python3
"""The README stays a front door: at most --max-lines lines, and every
command it shows runs as written.

    check_readme.py README.md --max-lines 200 [--build-dir DIR]

With --build-dir, each line of a ```sh block that starts with `build/` is
run from the source folder, `build/` replaced by DIR (the build tree under
test), and must exit with the status its trailing `# exit N` comment gives
(0 without one). Lines of other blocks, and the quick-start commands, are
not run here (CI runs ./quickstart itself).
"""

import argparse
import pathlib
import re
import shlex
import subprocess
import sys


def commands(text):
    """(command, expected exit) of every `build/...` line of the sh blocks."""
    out = []
    in_sh = False
    pending = ""
    for line in text.splitlines():
        if line.startswith("```"):
            in_sh = line.strip() == "```sh"
            pending = ""
            continue
        if not in_sh:
            continue
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line.startswith("build/"):
            continue
        m = re.search(r"#\s*exit\s+(\d+)\s*$", line)
        expected = int(m.group(1)) if m else 0
        out.append((line.split("#")[0].strip(), expected))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("readme")
    ap.add_argument("--max-lines", type=int, default=200)
    ap.add_argument("--build-dir")
    args = ap.parse_args()
    path = pathlib.Path(args.readme)
    text = path.read_text()
    lines = text.count("\n")
    failed = False
    if lines > args.max_lines:
        print(f"{path}: {lines} lines, at most {args.max_lines}")
        failed = True
    if args.build_dir:
        cmds = commands(text)
        if not cmds:
            print(f"{path}: no build/ commands found to run")
            failed = True
        for cmd, expected in cmds:
            argv = [args.build_dir + a[len("build"):] if a.startswith("build/") else a for a in shlex.split(cmd)]
            result = subprocess.run(argv, cwd=path.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    timeout=900)
            status = "ok" if result.returncode == expected else "FAILED"
            print(f"{status}: {cmd} (exit {result.returncode}, expected {expected})")
            if result.returncode != expected:
                print(result.stdout[-2000:])
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
