"""The build manifest: what an output was built from, so that an unchanged rebuild is
skipped ("up to date") without rendering or packaging.

A manifest holds machine-specific facts (paths, modified times), so it lives in the
user's cache folder (cache.py), one file per output, deck config and working folder,
never beside the sources; the committed lock stays as it is. It records every input a
build read (the sources found, the images their notes read, the deck config, the lock,
the files of a --templates folder) by size, modified time and content hash, the tool's
fingerprint (its code and its dependencies' versions), the build's options, and the
output's hash. A check stats the files and hashes only those whose stat changed, so
an unchanged rebuild costs a walk of the sources and a stat of each. A manifest that
cannot be read, or was written by another version, is no manifest: the deck is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cache, cache_codec
from .errors import Problem
from .render.media import MediaRead
from .render_cache import still_found
from .sharing.identity import GuidPlace
from .syntax import obsidian
from .workers import SourceFile

FORMAT = 1
MANIFESTS = "manifests"
Fingerprint = tuple[int, int, str]  # size, modified time (ns), sha256
# What reading a manifest of the wrong shape raises: it is ignored, never an error.
UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError)


@dataclass(frozen=True)
class Built:
    """What the last build of an output wrote: what an up-to-date build reports."""

    notes: int
    cards: int
    media: int
    decks: tuple[str, ...]
    problems: list[Problem]  # its warnings, shown again
    guids: dict[str, GuidPlace]  # for the check of guids shared between decks


class Manifest:
    """The manifest of one output, built from `sources` (with their roots) and
    `extras` (the other files the build reads: deck config, lock, templates)."""

    def __init__(
        self,
        output: Path,
        options: str,
        sources: list[SourceFile],
        extras: Iterable[Path],
        config: Path | None = None,
    ) -> None:
        self.output = output
        self.options = options
        self.sources = sources
        self.extras = sorted({str(path) for path in extras})
        place = (os.path.abspath(output), os.path.abspath(config or ""), os.getcwd())
        self.path = cache.cache_folder() / MANIFESTS / f"{cache.digest(*place)[:40]}.json"
        # The sources' stat before the build: one edited during it is not recorded as built.
        self.before = {str(path): _stat(path) for path, _ in sources}

    def up_to_date(self) -> Built | None:
        """What the last build wrote, if nothing it read or wrote has changed since."""
        with contextlib.suppress(
            OSError, ValueError, TypeError, KeyError, IndexError, AttributeError
        ):
            saved = json.loads(self.path.read_bytes())
            if saved["head"] != self._head() or not self._same_files(saved["files"]):
                return None
            if not _same_reads(saved["reads"], self.sources):
                return None
            return _built(saved["built"])
        return None

    def record(self, built: Built, reads: Iterable[tuple[SourceFile, MediaRead]]) -> None:
        """Remember a build that wrote the output without errors; `reads` are the image
        files its sources' notes read."""
        if any(_stat(Path(name)) != seen for name, seen in self.before.items()):
            return  # a source changed while it was built: the next build looks again
        reads = list(reads)
        index = {source: number for number, source in enumerate(self.sources)}
        found = [[index[source], r.located, r.resolved, r.embed] for source, r in reads]
        sources = [path for path, _ in self.sources]
        paths = {str(p) for p in [*sources, *self.extras, self.output]}
        paths |= {read.resolved for _, read in reads}
        files = {}
        for name in sorted(paths):
            fingerprint = _fingerprint(Path(name))
            if fingerprint is None:
                return
            files[name] = fingerprint
        entry = {
            "head": self._head(),
            "files": files,
            "reads": found,
            "built": _built_json(built),
        }
        cache.write_atomically(self.path, json.dumps(entry, ensure_ascii=False).encode())

    def _head(self) -> list[Any]:
        """What must match before any file is looked at."""
        found = [[str(path), str(root)] for path, root in self.sources]
        return [FORMAT, cache.tool_fingerprint(), self.options, found, self.extras]

    def _same_files(self, saved: dict[str, list[Any]]) -> bool:
        for name, (size, mtime, sha) in saved.items():
            now = _stat(Path(name))
            if now is None:
                return False
            if now != (size, mtime) and _hash(Path(name)) != sha:
                return False
        return True


def _same_reads(saved: list[list[Any]], sources: list[SourceFile]) -> bool:
    """Every image reference finds the file it found (its content is in `files`)."""
    vault = obsidian.Vault()
    for index, located, resolved, embed in saved:
        read = MediaRead(located, resolved, "", embed)
        if still_found(read, sources[index], vault) is None:
            return False
    return True


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return None
    return stat.st_size, stat.st_mtime_ns


def _hash(path: Path) -> str | None:
    """The file's SHA-256; None for what is not a regular file (a FIFO put in a source's
    place would make a plain open wait for a writer)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return hashlib.file_digest(file, "sha256").hexdigest()


def _fingerprint(path: Path) -> Fingerprint | None:
    stat, sha = _stat(path), _hash(path)
    return None if stat is None or sha is None else (*stat, sha)


def _built_json(built: Built) -> list[Any]:
    guids = [
        [guid, cache_codec.source_json(place.source), place.deck, _optional_source(place)]
        for guid, place in built.guids.items()
    ]
    problems = [cache_codec.problem_json(p) for p in built.problems]
    return [built.notes, built.cards, built.media, list(built.decks), problems, guids]


def _optional_source(place: GuidPlace) -> list[Any] | None:
    return None if place.lock_entry is None else cache_codec.source_json(place.lock_entry)


def _built(value: Any) -> Built:
    notes, cards, media, decks, problems, guids = value
    places = {
        str(guid): GuidPlace(
            cache_codec.source_from_json(source),
            str(deck),
            None if entry is None else cache_codec.source_from_json(entry),
        )
        for guid, source, deck, entry in guids
    }
    counts = [number for number in (notes, cards, media) if isinstance(number, int)]
    if len(counts) != 3:
        raise ValueError("counts")
    found = [cache_codec.problem_from_json(p) for p in problems]
    return Built(notes, cards, media, tuple(str(d) for d in decks), found, places)
