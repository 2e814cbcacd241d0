"""The render cache: each source file's rendered notes and problems, by content hash.

An entry is one file's `FileWork`, keyed by a hash of everything that can change it:
the file's bytes, its path (as given, from its build root, and the working folder, since
messages and the Source field show them), the build's settings (deck, tags, --no-remote,
read options, the note types' field names) and the tool itself (`tool_fingerprint`: its
version, the stat of its own files, the dependencies' versions). The images a file's
notes read are not in the key, since they are known only after rendering: the entry
lists them and `load` checks each again (found at the same place, with the same content
hash, which is what names a media file), so an edited or moved image is a miss. A file
with an error is never stored: an error may be a missing file that appears later.

Entries are versioned JSON (cache_codec.py), written to a temporary file and renamed
into place, so concurrent builds never see half an entry; anything that cannot be read
back is a miss. The folder is the user's cache folder (`cache_folder`), never a
source folder; it is kept under a size cap by removing the least recently used entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

CACHE_ENV = "ANKI_TOOLS_CACHE_DIR"  # where the cache lives, instead of the user's default
MAX_SIZE_ENV = "ANKI_TOOLS_CACHE_MAX_MB"
DEFAULT_MAX_MB = 500
RENDER = "render"  # the folder of rendered files' entries
ENTRY_SUFFIX = ".json"
TEMPORARY = ".tmp-"  # an entry being written
STALE_TEMPORARY_SECONDS = 3600  # no write takes this long: its build was killed
SIZE_RECORD = "render-size"  # beside RENDER, not an entry: its size when last trimmed
TRIM_AT_LEAST_EVERY_SECONDS = 24 * 3600  # a record gone wrong (two builds at once) heals
# The packages whose code decides what a build writes.
DEPENDENCIES = (
    "anki-tools",
    "genanki",
    "markdown-it-py",
    "mdit-py-plugins",
    "pygments",
    "nbformat",
    "nh3",
    "pyyaml",
)
PACKAGE = Path(__file__).resolve().parent


def cache_folder() -> Path:
    """`$ANKI_TOOLS_CACHE_DIR`, else the platform's user cache folder + anki-tools."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen)
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(local) / "anki-tools" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "anki-tools"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "anki-tools"


def max_bytes() -> int:
    """The size cap: `$ANKI_TOOLS_CACHE_MAX_MB` megabytes, else DEFAULT_MAX_MB."""
    wanted = os.environ.get(MAX_SIZE_ENV, "")
    megabytes = float(wanted) if _is_number(wanted) else DEFAULT_MAX_MB
    return int(megabytes * 1024 * 1024)


def _is_number(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def digest(*parts: str | bytes) -> str:
    """One hash of several parts, each length-prefixed so no two splits collide."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


@cache
def tool_fingerprint() -> str:
    """The tool's code and its dependencies' versions: a change to either is a miss.

    The stat of the package's own files and of the built-in templates tells an edited
    checkout (whose version does not change); the versions are looked up again only when
    a folder on sys.path changed (an install or an upgrade renames dist-info folders)."""
    from .themes import default_templates_dir

    own = [
        f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
        for top in sorted({PACKAGE, default_templates_dir().resolve()})
        for path, stat in _files_under(top)
    ]
    return digest(sys.version, *own, _dependency_versions())


def _files_under(top: Path) -> Iterator[tuple[Path, os.stat_result]]:
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(names):
            path = Path(folder) / name
            yield path, path.stat()


def _dependency_versions() -> str:
    """The dependencies' versions, remembered in the cache folder against the mtimes of
    sys.path's folders (importlib.metadata scans every folder: tens of milliseconds).
    The working folder is left out: under `python -m anki_tools` it is on sys.path, and
    it is the notes' folder, which changes all the time; libraries are not installed there."""
    here = os.getcwd()
    where = [
        f"{p}:{os.stat(p).st_mtime_ns}"
        for p in sys.path
        if p and os.path.isdir(p) and os.path.abspath(p) != here
    ]
    memo = cache_folder() / "versions.json"
    said = digest(*where)
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved["where"] == said and isinstance(saved["versions"], str):
            return str(saved["versions"])
    versions = ",".join(f"{name}={_version(name)}" for name in DEPENDENCIES)
    write_atomically(memo, json.dumps({"where": said, "versions": versions}).encode())
    return versions


def _version(name: str) -> str:
    from importlib import metadata  # deferred: ~15 ms of imports, only when the memo is stale

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def write_atomically(path: Path, data: bytes) -> bool:
    """Write through a temporary file and a rename; False when the folder is not
    writable (the cache is an optimisation: a build never fails for it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # deferred: ~5 ms of imports; a check that only reads needs none

        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True


class EntryStore:
    """Files by key in one folder of the cache (two-letter subfolders keep it listable)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.wrote = False
        self.written = 0  # bytes

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def read(self, key: str) -> bytes | None:
        """An entry's bytes, marked as just used (for the size cap), or None."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return data

    def write(self, key: str, data: bytes) -> None:
        if write_atomically(self.path(key), data):
            self.wrote, self.written = True, self.written + len(data)


def entries(folder: Path) -> Iterable[tuple[Path, os.stat_result]]:
    """Every entry under the folder with its stat; vanished ones (another build's
    trimming) are left out."""
    for path in folder.rglob(f"*{ENTRY_SUFFIX}"):
        with contextlib.suppress(OSError):
            yield path, path.stat()


def trim(folder: Path, limit: int) -> int:
    """Remove the least recently used entries until the folder holds at most `limit`
    bytes, and the temporary files of builds that were killed while writing; how many
    entries were removed."""
    return _trim(folder, limit)[0]


def _trim(folder: Path, limit: int) -> tuple[int, int]:
    """`trim`: how many entries were removed, and the bytes of those kept."""
    stale = time.time() - STALE_TEMPORARY_SECONDS
    for path in folder.rglob(f"{TEMPORARY}*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < stale:
                path.unlink()
    found = sorted(entries(folder), key=lambda item: item[1].st_mtime_ns, reverse=True)
    total = kept = removed = 0
    for path, stat in found:
        total += stat.st_size
        if total <= limit:
            kept += stat.st_size
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed, kept


def trim_when_due(folder: Path, limit: int, written: int) -> None:
    """`trim`, when the folder may hold more than `limit` bytes: the size its last trim
    left plus what builds wrote since (each adds its own) passes it, or it is a day since.
    Listing every entry is what trimming costs (tenths of a second for 100k cards), and
    a build that rendered one file wrote a few kilobytes."""
    record = folder.parent / SIZE_RECORD
    now = time.time()
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        said = json.loads(record.read_text(encoding="utf-8"))
        size, trimmed = int(said["bytes"]) + written, float(said["trimmed"])
        if size <= limit and 0 <= now - trimmed < TRIM_AT_LEAST_EVERY_SECONDS:
            _record_size(record, size, trimmed)
            return
    _record_size(record, _trim(folder, limit)[1], now)


def _record_size(record: Path, size: int, trimmed: float) -> None:
    write_atomically(record, json.dumps({"bytes": size, "trimmed": trimmed}).encode())


def size(folder: Path) -> tuple[int, int]:
    """The entries and bytes under a folder of the cache."""
    sizes = [stat.st_size for _, stat in entries(folder)]
    return len(sizes), sum(sizes)


def clear(folder: Path) -> int:
    """Remove every entry (and the manifests); how many files were removed."""
    removed = 0
    for path, _ in list(entries(folder)):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    for name in ("versions.json", SIZE_RECORD):
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    return removed
