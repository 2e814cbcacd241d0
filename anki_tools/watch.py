"""Watch mode: run a build (or a preview, or a sync) now and again after every save.

The loop (`watch_loop`) knows nothing of what it runs: it takes the action to run on a
change and the watcher's batches of changed paths as an iterator, so a command adds
`--watch` by handing it its own action, and a test drives it with real edits. What to
watch (`Sources`) is the sources of a build, without what the build itself writes, so a
build never sets off the next one.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from . import config, parsers
from .errors import AnkiToolsError, printable
from .notes import display_path
from .result import BuildResult
from .sharing import lock

# A burst of saves (an editor writing a temporary file, renaming it, a formatter
# rewriting it) lands within a few hundred ms: wait for a quiet STEP_MS, up to DEBOUNCE_MS.
DEBOUNCE_MS = 1600
STEP_MS = 100
# How often the watcher hands back an empty batch without a change: the first one says it
# is watching, so the first build runs only once no save can be missed.
QUIET_MS = 300
# What editors write beside a file they save: vim's `4913` (to test the folder), its
# `.x.swp`, emacs' `.#x` and `#x#`, backups `x~`; a build's own temporary files are hidden.
EDITOR_FILES = re.compile(r"^(4913|#.*#|.*~|\.#.*|.*\.sw[a-p]|.*\.tmp)$")
BUILD_SUFFIXES = (".apkg", lock.SUFFIX)  # a deck and its lock: written by builds, not read
WATCHED_FOLDERS_SHOWN = 3

Echo = Callable[[str, bool], None]  # a line, and whether it is a problem (stderr)


@dataclass(frozen=True)
class Cycle:
    """What one run of the action did: its problems as `path:line: message` lines and a
    status (`decks/x.apkg: 3 notes, 4 cards, 0 media; 1 added, …`)."""

    problems: tuple[str, ...]
    status: str


Action = Callable[[], Cycle]


@dataclass(frozen=True)
class Sources:
    """What to watch: folders, recursively, and in them what a build reads.

    `folders` are read whole (a folder given, a deck config's project, --templates);
    `files` are notes given by name, whose folder is watched for them and for what they
    link to (images), not for the other notes in it. `outputs` (the preview folder, an
    `-o` path) and the files of `EDITOR_FILES`, `BUILD_SUFFIXES` and hidden ones never
    start a build."""

    folders: tuple[Path, ...]
    files: tuple[Path, ...] = ()
    outputs: tuple[Path, ...] = ()

    def roots(self) -> list[Path]:
        """The folders handed to the watcher, none inside another."""
        folders = {Path(os.path.abspath(p)) for p in self.folders}
        folders |= {Path(os.path.abspath(f)).parent for f in self.files}
        return sorted(f for f in folders if not any(o in f.parents for o in folders))

    def wants(self, path: Path) -> bool:
        """Whether a change to `path` (absolute, as the watcher gives it) starts a build."""
        if EDITOR_FILES.match(path.name) or path.suffix in BUILD_SUFFIXES:
            return False
        if any(path == out or out in path.parents for out in _absolute(self.outputs)):
            return False
        for folder in _absolute(self.folders):
            if path.is_relative_to(folder):
                return not parsers.is_hidden(path.relative_to(folder))
        for file in _absolute(self.files):
            if path == file:
                return True
            if path.is_relative_to(file.parent) and not parsers.is_source(path):
                return not parsers.is_hidden(path.relative_to(file.parent))  # an image
        return False

    def describe(self) -> str:
        shown = [display_path(root) or "." for root in self.roots()]
        more = len(shown) - WATCHED_FOLDERS_SHOWN
        listed = ", ".join(shown[:WATCHED_FOLDERS_SHOWN]) + (
            f" and {more} more" if more > 0 else ""
        )
        return f"watching {listed} (Ctrl-C stops)"


def _absolute(paths: Iterable[Path]) -> list[Path]:
    return [Path(os.path.abspath(path)) for path in paths]


def paths_sources(
    paths: Sequence[Path], templates: Path | None, outputs: Sequence[Path] = ()
) -> Sources:
    """What a build of PATHS reads: the folders and files given, and --templates."""
    folders = [path for path in paths if path.is_dir()]
    files = [path for path in paths if not path.is_dir()]
    return Sources(
        tuple([*folders, *([templates] if templates else [])]), tuple(files), tuple(outputs)
    )


def config_sources(configs: Sequence[Path], templates: Path | None) -> Sources:
    """What a build of deck configs reads: each one's project, whole (its globs can name
    a folder that does not exist yet, and a config can change its globs), and --templates."""
    projects = {config.project_folder(path) for path in configs}
    return Sources(tuple([*sorted(projects), *([templates] if templates else [])]))


class _Filter(DefaultFilter):
    """watchfiles' own list (`.git`, `__pycache__`, `node_modules`…) and `Sources.wants`."""

    def __init__(self, sources: Sources) -> None:
        super().__init__()
        self.sources = sources

    def __call__(self, change: Change, path: str) -> bool:
        return super().__call__(change, path) and self.sources.wants(Path(path))


def changes(sources: Sources, stop: threading.Event | None = None) -> Iterator[list[Path]]:
    """The watcher's batches of changed paths, a burst of saves in one; an empty batch
    when nothing changed for a while (the first says the watcher is running). Ends when
    `stop` is set; Ctrl-C raises KeyboardInterrupt.

    A watched folder that is deleted cannot be watched: until it is back, its existence
    is checked every QUIET_MS; then it is watched anew and named as changed, so the
    build runs again. A folder deleted and made again before a batch is looked at is
    known by its own name in the batch, or its inode."""
    stop = stop or threading.Event()
    back: set[Path] = set()
    while not stop.is_set():
        roots = sources.roots()
        if not all(root.is_dir() for root in roots):
            stop.wait(QUIET_MS / 1000)
            back |= {root for root in roots if not root.is_dir()}
            continue
        made = {root: _identity(root) for root in roots}
        batches = watch(
            *roots,
            watch_filter=_Filter(sources),
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=QUIET_MS,
            yield_on_timeout=True,
            ignore_permission_denied=True,
        )
        changed: set[Path] = set()
        for batch in batches:
            changed = {Path(path) for _, path in batch}
            yield sorted(back | changed)
            back = {root for root in roots if root in changed or _identity(root) != made[root]}
            if back:
                break  # watch them anew (once they are back): the old watches are gone
        batches.close()  # the watcher's own thread and handles
        unseen = back - changed
        if unseen:  # gone while the last build ran, and not yet built without
            yield sorted(unseen)


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        found = folder.stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def watch_loop(
    action: Action,
    batches: Iterable[list[Path]],
    echo: Echo,
    cycles: int | None = None,
    clock: Callable[[], str] = lambda: time.strftime("%H:%M:%S"),
) -> int:
    """Run `action` at the first batch (the watcher is up), then at every batch that names
    a path, until the batches end or `cycles` runs are done; return the number of runs.
    An error of a run is shown and the watch goes on: the next save may fix it."""
    runs = 0
    for batch in batches:
        if runs and not batch:
            continue
        runs += 1
        cycle = _run(action)
        for line in cycle.problems:
            echo(line, True)
        after = f"after {_named(batch)}: " if batch else ""
        echo(f"[{clock()}] {after}{cycle.status}", False)
        if cycles is not None and runs >= cycles:
            break
    return runs


def _run(action: Action) -> Cycle:
    try:
        return action()
    except AnkiToolsError as error:
        return Cycle((str(error),), "1 error")
    except OSError as error:  # a file vanished between the walk and the read
        where = f"{error.filename}: " if error.filename else ""
        return Cycle((printable(f"{where}{error.strerror or error}"),), "1 error")
    except Exception as error:  # a bug must not end a watch the user relies on
        return Cycle((f"internal error ({type(error).__name__}): {error}",), "1 error")


def _named(batch: list[Path]) -> str:
    first = printable(display_path(batch[0]))
    return first if len(batch) == 1 else f"{first} and {len(batch) - 1} more"


def cycle_of(results: Sequence[BuildResult | AnkiToolsError], with_changes: bool = True) -> Cycle:
    """A build's (or several decks') results as one cycle: the problems, and one status
    with each deck's counts and (unless not wanted: sync says its own) changes."""
    problems: list[str] = []
    parts: list[str] = []
    for result in results:
        if isinstance(result, AnkiToolsError):
            problems.append(str(result))
            parts.append(f"{display_path(result.source.path) if result.source else '?'}: 1 error")
            continue
        problems += [str(problem) for problem in result.shown_problems()]
        part = result.summary()
        if with_changes and result.changes is not None and (result.written or result.dry_run):
            part += f"; {result.changes.counts()}"
        parts.append(printable(part))
    return Cycle(tuple(problems), "; ".join(parts) or "nothing to build")
