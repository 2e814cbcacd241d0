"""Parse and render source files, on every core for a big build, in file order.

A file is parsed and its notes rendered in one go, so files can go to worker
processes; the results come back in the order of the files, so the same sources give
the same bytes however many processes did the work.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from . import parsers
from .errors import Problem, Problems
from .notes import DEFAULT_READ, FieldNames, Kind, ReadOptions, RenderedNote
from .render import renderer
from .render.media import MediaRead
from .sharing import content
from .templates import field_names

JOBS_ENV = "ANKI_TOOLS_JOBS"  # how many processes; 1 does everything in this one
# Below this much source text, starting processes costs more than they save.
POOL_MIN_BYTES = 256 * 1024
# A file or two to render while this process loads this many files' work from the
# cache go to a worker, which renders them (and imports their lexers) meanwhile.
BESIDE_MIN_FILES = 50
# Files submitted ahead of the one whose result is awaited: enough that no worker waits
# for work, few enough that finished results do not pile up in memory.
FILES_IN_FLIGHT_PER_JOB = 4

if TYPE_CHECKING:
    from concurrent.futures import Future

SourceFile = tuple[Path, Path]  # a file and its build root


@dataclass(frozen=True)
class FileWork:
    """What one source file gave: its good notes rendered, how many it had, its problems,
    and the image files its notes read (which the render cache checks again)."""

    rendered: list[RenderedNote]
    parsed: int
    problems: list[Problem]
    reads: tuple[MediaRead, ...] = ()


def render_files(
    sources: Sequence[SourceFile],
    deck: str | None,
    tags: tuple[str, ...] = (),
    refuse_remote: bool = False,
    read: ReadOptions = DEFAULT_READ,
    fields: FieldNames | None = None,
    type_ids: TypeIds | None = None,
    beside: int = 0,
) -> Iterator[FileWork]:
    """Each file's work, in the order of `sources`; `fields` are the note types' field
    names (the built-in ones unless given), `type_ids` their ids, to hash each note with
    (none: not hashed). `beside`: how many files' work the caller loads from the cache
    while these render; a pool starts before this returns, so it renders meanwhile."""
    settings = (deck, tags, refuse_remote, read, fields, type_ids)
    jobs = job_count(sources)
    if jobs == 1 and not _worker_beside(sources, beside):
        return _render_here(sources, settings)
    results = _render_in_pool(sources, jobs, settings)
    next(results)  # starts the pool and its first files
    return cast(Iterator[FileWork], results)


TypeIds = Mapping[Kind, int]
_Settings = tuple[str | None, tuple[str, ...], bool, ReadOptions, FieldNames | None, TypeIds | None]


def _render_here(sources: Sequence[SourceFile], settings: _Settings) -> Iterator[FileWork]:
    for source in sources:
        yield render_file(source, *settings)
        if _collecting:  # a file's own cycles (a notebook leaves some), not the notes'
            gc.collect(0)


def _render_in_pool(
    sources: Sequence[SourceFile], jobs: int, settings: _Settings
) -> Generator[FileWork | None, None, None]:
    """None once the pool has its first files, then each file's work in order."""
    # Here, not at the top: a small build, `check` and `--help` never start a pool, and
    # multiprocessing with concurrent.futures is ~12 ms of imports.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    collect = _collecting or gc.isenabled()  # the caller's choice, not the parent's pause
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker, initargs=(collect,)
    ) as pool:
        # A bounded window of files in flight, not pool.map: map submits every file at
        # once and holds each result until its turn, so a slow file early on would let
        # the rendered notes of all the others pile up, pickled and unpickled.
        window: deque[Future[FileWork]] = deque()
        waiting = iter(sources)
        for source in itertools.islice(waiting, jobs * FILES_IN_FLIGHT_PER_JOB):
            window.append(pool.submit(render_file, source, *settings))
        yield None
        for source in waiting:
            yield window.popleft().result()
            window.append(pool.submit(render_file, source, *settings))
        while window:
            yield window.popleft().result()


def _start_worker(collect_cycles: bool) -> None:
    if collect_cycles:  # a file's parse may leave cycles: a worker cleans up after itself
        gc.enable()


_collecting = False  # True while no_cycle_collection holds back a collector that was on


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Hold back Python's cycle collector in the process that gathers the notes.

    A build holds every note until it is written, millions of objects at 100k cards,
    none in a cycle (frozen dataclasses and strings, freed by their counts): each full
    collection walked them all, and the build became quadratic-looking (a fifth of the
    parent's time at 100k). The collector comes back on as the caller had it.
    """
    global _collecting
    was_on = gc.isenabled()
    if not was_on:
        yield
        return
    gc.disable()
    _collecting = True
    try:
        yield
    finally:
        _collecting = False
        gc.enable()


def render_file(
    source: SourceFile,
    deck: str | None,
    tags: tuple[str, ...],
    refuse_remote: bool = False,
    read: ReadOptions = DEFAULT_READ,
    fields: FieldNames | None = None,
    type_ids: TypeIds | None = None,
) -> FileWork:
    """Parse one file and render its notes (hashed, with `type_ids`); a note with an
    error is left out."""
    problems = Problems()
    notes = parsers.parse_file(*source, deck, problems, read)
    tagged = [replace(note, tags=note.tags + tags) for note in notes] if tags else notes
    names = fields or field_names()
    render = renderer.Renderer(names, refuse_remote)
    rendered = render.render_all(tagged, problems)
    if type_ids:
        rendered = [content.with_content(note, type_ids, names) for note in rendered]
    return FileWork(rendered, len(notes), problems.items, tuple(render.reads))


def job_count(sources: Sequence[SourceFile]) -> int:
    """The processes worth starting for these sources (see `jobs_for`)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return jobs_for(
        wanted=os.environ.get(JOBS_ENV, ""),
        cores=cores or 1,
        files=len(sources),
        size=_size(sources),
        may_fork=_may_fork(),
    )


def _may_fork() -> bool:
    # Forking a process that runs other threads (a Jupyter kernel) can deadlock, and
    # macOS forbids it for some libraries. Forked workers need no main-module guard in
    # a caller's script and import nothing again.
    return sys.platform == "linux" and threading.active_count() == 1


def jobs_for(wanted: str, cores: int, files: int, size: int, may_fork: bool) -> int:
    """Every core for a big build, else one process; `wanted` (ANKI_TOOLS_JOBS) decides
    the number where forking is safe."""
    if not may_fork or files < 2:
        return 1
    asked = _jobs_asked(wanted)
    if asked is not None:
        return min(asked, files)
    return min(cores, files) if size >= POOL_MIN_BYTES else 1


def _jobs_asked(wanted: str) -> int | None:
    """The processes ANKI_TOOLS_JOBS asks for; None when it asks for none (unset, or not
    a number of at least 1)."""
    return int(wanted) if wanted.isdigit() and int(wanted) >= 1 else None


def _worker_beside(sources: Sequence[SourceFile], beside: int) -> bool:
    """One worker for files that one process would render, when this one has enough
    cached work to load meanwhile (never when ANKI_TOOLS_JOBS asks for one process)."""
    alone = _jobs_asked(os.environ.get(JOBS_ENV, "")) == 1
    return bool(sources) and beside >= BESIDE_MIN_FILES and not alone and _may_fork()


def _size(sources: Sequence[SourceFile]) -> int:
    """The sources' bytes, counted until there are enough for a pool."""
    total = 0
    for path, _ in sources:
        with contextlib.suppress(OSError):  # the parser reports it
            total += path.stat().st_size
        if total >= POOL_MIN_BYTES:
            break
    return total
