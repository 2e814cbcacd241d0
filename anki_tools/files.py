"""The rules for the files a build touches, one home each.

Sources come from other people: what is read must lie inside the build root (through
any symlinks) and be a regular file of bounded size; what is written is written
atomically (temp file + rename), so a failed build never leaves a half-written file and
nothing is ever written through a symlink that leaves the output's folder.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError, SourceError
from .notes import Source, display_path

MB = 1024 * 1024


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink followed, is `root` or lies under it: a shared
    notes folder must not pull `~/.ssh/id_rsa` into a deck through a link."""
    # realpath, not Path.resolve: on Python 3.11 resolve raises on a symlink loop.
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def outside_root_message(path: Path, root: Path) -> str:
    """Why a source outside its build root is not read."""
    return (
        f"links to {os.path.realpath(path)}, outside the build root "
        f"{os.path.realpath(root)}: only files inside the root are read (to build the file "
        "it links to, name that file itself)"
    )


def read_regular(path: Path, limit: int, kind: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; `kind` ("Markdown notes")
    names the limit in the message. Never reads more than limit + 1 bytes, and a FIFO, a
    device or a socket is refused before it is read: /dev/zero would never end."""
    data, size = read_at_most(path, limit + 1)
    if len(data) > limit:
        size_text, most = file_size(max(size, len(data))), file_size(limit)
        size_text = f"over {most}" if size_text == most else size_text  # 2 MB and a byte
        message = f"file too large ({size_text}; the limit for {kind} is {most})"
        raise SourceError(message, Source(path))
    return data


def read_at_most(path: Path, count: int) -> tuple[bytes, int]:
    """At most `count` bytes of a regular file, and its size; anything else (a FIFO, a
    device, a socket, a folder) is refused before it is read. The one rule for every
    file anki-tools reads from others: sources, deck configs, locks."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise SourceError(_open_problem(path, error), Source(path)) from error
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)  # (a folder's descriptor cannot even become a file object)
        raise SourceError(_not_regular(status.st_mode), Source(path))
    with os.fdopen(descriptor, "rb") as file:
        return file.read(count), status.st_size


def file_size(size: int) -> str:
    """`2 MB`, `2.5 MB`, `256 kB` (of 1024 bytes each), `1000 bytes`, for messages."""
    if size < 1024:
        return f"{size} bytes"
    value, unit = (size / MB, "MB") if size >= MB else (size / 1024, "kB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def _open_problem(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a symlink loop: the link leads back to itself, there is no file to read"
    try:
        mode = path.stat().st_mode  # a socket cannot be opened: say what it is
    except OSError:
        return f"cannot read: {error.strerror}"
    return _not_regular(mode) if not stat.S_ISREG(mode) else f"cannot read: {error.strerror}"


def _not_regular(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
    }
    kind = next((name for test, name in kinds.items() if test(mode)), "not a file")
    return f"not a regular file but {kind}: only regular files are read"


def write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Let `write` fill a temporary file beside `target`, then rename it over `target`.

    The rename replaces a symlink at `target` rather than writing through it; a symlink
    that leads outside the target's folder is refused (see `refuse_link_out`)."""
    refuse_link_out(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # deferred: ~5 ms of imports; a check that only reads needs none

    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        # mkstemp makes the file private (0600); decks and locks are meant to be shared.
        temporary.chmod(0o666 & ~_umask())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def refuse_link_out(target: Path) -> None:
    """An OutputError when `target` is a symlink leading outside its own folder: a
    committed `preview/index.html -> ~/.bashrc` says someone meant harm, or the user
    meant to write there (then name that file itself)."""
    if target.is_symlink() and not inside(target, target.parent):
        raise OutputError(
            f"is a symlink to {os.path.realpath(target)}, outside "
            f"{display_path(target.parent)}: not writing through it (remove the link, or "
            "name the file it leads to)",
            Source(target),
        )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
