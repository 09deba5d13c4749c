"""The output-path rules of the Python command-line tools (aps-report, aps-coverage).

They are the C++ tools' rules (cli/command_line.cpp: check_writable,
check_outputs_apart; golden/file_output.hpp: replace_file), so a user meets
the same refusals whichever tool they run: an output is checked before
anything is read or printed, it never names an input or another output, and
it is replaced whole, never left half written.
"""

import errno
import os
import tempfile


class OutputPathError(Exception):
    """A one-line reason an output cannot be written (the tool's exit 2)."""


def check_writable(path):
    """Raise OutputPathError unless a file can be written at `path`."""
    if not path:
        raise OutputPathError("an empty name cannot be written")
    try:
        os.stat(path)  # through links
        exists = True
    except (FileNotFoundError, NotADirectoryError):
        exists = False
    except OSError as e:  # a loop of links, a name too long
        raise OutputPathError(f"{path}: cannot write: {e.strerror}")
    if os.path.isdir(path):
        raise OutputPathError(f"{path}: cannot write, it is a folder")
    if exists:
        if not os.access(path, os.W_OK):
            raise OutputPathError(f"{path}: cannot write: permission denied")
        return
    # A new file is made where a dangling link points, or else at `path`.
    target = path
    if os.path.islink(path):
        target = os.path.join(os.path.dirname(path), os.readlink(path))
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent):
        # The nearest part of the path that exists says why: a file where a folder should be, or nothing.
        up = parent
        while not os.path.exists(up) and os.path.dirname(up) != up:
            up = os.path.dirname(up)
        why = f"{up} is a file, not a folder" if os.path.isfile(up) else f"there is no folder {parent}"
        raise OutputPathError(f"{path}: cannot write: {why}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"{path}: cannot write: permission denied in {parent}")


def _same_file(a, b):
    # realpath resolves links and "..", as far as the path exists; samefile
    # also catches two hard links of one file.
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs_apart(inputs, outputs):
    """inputs and outputs: [(option, path)]; a path of None is not given
    (an empty output name is given, and refused).

    Checks every output with check_writable, then raises OutputPathError when
    two outputs name one file or an output names an input (a folder input
    covers the files in it the tool reads, which the caller lists)."""
    given = [(opt, p) for opt, p in outputs if p is not None]
    for opt, p in given:
        check_writable(p)
    for i, (opt, p) in enumerate(given):
        for other_opt, other in given[i + 1:]:
            if _same_file(p, other):
                raise OutputPathError(f"{opt} and {other_opt} name the same file, {p}")
        for in_opt, in_path in inputs:
            if in_path and _same_file(p, in_path):
                raise OutputPathError(f"{opt} {p} is the {in_opt} input: the run would write over it")


def replace_whole(path, write):
    """Have write(temporary_path) make the file, in the folder of `path`,
    then rename it over `path`: a reader sees the old file or the new one,
    and a write that fails leaves the old one. Failures are OutputPathError."""
    def in_place(target):
        try:
            write(target)
        except OSError as e:
            raise OutputPathError(f"{path}: cannot write: {e.strerror}")

    # A device, a pipe, or a descriptor's name (/dev/stdout may resolve to
    # the regular file a shell redirected it to, which a rename would replace).
    if (os.path.exists(path) and not os.path.isfile(path)) or path.startswith(("/dev/", "/proc/")):
        return in_place(path)
    target = os.path.realpath(path)  # through links, as open() writes
    try:
        mode = os.stat(target).st_mode & 0o7777  # the old file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix="." + os.path.basename(target) + ".",
                                   suffix=".tmp")
    except OSError as e:
        # A writable file in a folder that is not can only be written where it is.
        if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM) and os.path.exists(target):
            return in_place(target)
        raise OutputPathError(f"{path}: cannot write: {e.strerror}")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if e.errno in (errno.EXDEV, errno.EBUSY):
            return in_place(target)
        raise OutputPathError(f"{path}: cannot write: {e.strerror}")
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_whole(path, text):
    """replace_whole with `text` as the file's content."""
    def write(tmp):
        # A path in the text may hold bytes that are not UTF-8: written as they came.
        with open(tmp, "w", errors="surrogateescape") as f:
            f.write(text)
    replace_whole(path, write)


def check_output_folder(option, path):
    """Raise OutputPathError unless `path` is a folder, or can be made as one."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputPathError(f"{option} {path}: cannot write into it, it is a file, not a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(path) and not os.path.isdir(parent):
        raise OutputPathError(f"{option} {path}: cannot write: there is no folder {parent}")
