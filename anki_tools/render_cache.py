"""Render source files through the cache: a file whose entry is good is not parsed or
rendered again; the others go to `workers.render_files` (the pool, when worth it)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast

from . import cache, cache_codec, files, limits, workers
from .errors import Severity, SourceError
from .notes import FieldNames, ReadOptions
from .render.media import MediaRead, media_name
from .syntax import obsidian
from .workers import FileWork, SourceFile

logger = logging.getLogger(__name__)

# While a file renders in a worker, at most this many cached files' work is decoded
# ahead of it (about the time a worker takes to render a file and import its lexers).
DECODED_AHEAD = 256


class RenderCache:
    """The entries of one build's settings; `folder` is the cache folder."""

    def __init__(self, settings: Sequence[str], folder: Path | None = None) -> None:
        self.folder = folder or cache.cache_folder()
        self.store = cache.EntryStore(self.folder / cache.RENDER)
        self.settings = cache.digest(cache.tool_fingerprint(), os.getcwd(), *settings)
        self.vault = obsidian.Vault()  # for checking `![[name]]` images again

    def key(self, source: SourceFile) -> str | None:
        """The key of a file's work; None when it cannot be read (parsing says why)."""
        path, root = source
        try:  # as a parser reads it: a FIFO, a device or a huge file is the parser's to refuse
            data, _ = files.read_at_most(path, limits.NOTEBOOK_MAX_BYTES + 1)
        except (SourceError, ValueError):
            return None
        if len(data) > limits.NOTEBOOK_MAX_BYTES:
            return None
        # As given (messages), absolute (the Source field) and real (decks from folders).
        where = [str(path), str(root)]
        where += [way(place) for way in (os.path.abspath, os.path.realpath) for place in source]
        return cache.digest(self.settings, *where, data)

    def load(self, source: SourceFile, key: str, data: bytes) -> FileWork | None:
        """The work stored as `data` (the entry of `key`), if its images are as they were."""
        try:
            reads, work = cache_codec.decode(data, key)
            images = self._images(reads, source)
            return None if images is None else work(images)
        except cache_codec.BadEntry as error:
            logger.info("%s: cache entry ignored: %s", source[0], error)
            return None

    def _images(self, reads: list[MediaRead], source: SourceFile) -> dict[str, bytes] | None:
        """The contents of the images an entry's notes read, or None if one changed."""
        images: dict[str, bytes] = {}
        for read in reads:
            resolved = still_found(read, source, self.vault)
            with contextlib.suppress(OSError):
                regular = resolved is not None and resolved.is_file()  # as media.py checks
                data = resolved.read_bytes() if resolved and regular else b""
                if resolved and regular and media_name(data, resolved.suffix) == read.name:
                    images[read.name] = data
                    continue
            return None
        return images

    def save(self, key: str, work: FileWork) -> None:
        """Store a file's work, unless it has an error (which may be a missing image
        that is there next time)."""
        if any(p.severity is Severity.ERROR for p in work.problems):
            return
        try:
            entry = cache_codec.encode(work, key)
        except ValueError:  # a lone surrogate from a notebook's JSON: not kept
            return
        self.store.write(key, entry)

    def finish(self) -> None:
        """Keep the cache under its size cap, after a build that added to it."""
        if self.store.wrote:
            cache.trim_when_due(self.folder / cache.RENDER, cache.max_bytes(), self.store.written)


def still_found(read: MediaRead, source: SourceFile, vault: obsidian.Vault) -> Path | None:
    """The file an image reference found, if the reference finds it again (not another
    file searched for by name, nor through a link that now leads elsewhere)."""
    path, root = source
    with contextlib.suppress(OSError, ValueError, RuntimeError, obsidian.Ambiguous):
        if read.embed is not None:
            found = vault.find(read.embed, path.parent, root)
            if found is None or str(found) != read.located:
                return None
        resolved = Path(read.located).resolve()
        if str(resolved) == read.resolved and files.inside(resolved, root):
            return resolved
    return None


def render_files(
    sources: Sequence[SourceFile],
    deck: str | None,
    tags: tuple[str, ...],
    refuse_remote: bool,
    read: ReadOptions,
    fields: FieldNames,
    type_ids: workers.TypeIds | None = None,
    use_cache: bool = True,
) -> Iterator[FileWork]:
    """`workers.render_files`, with the cached files' work taken from the cache."""
    shape = _fields_text(fields), repr(sorted((k.value, i) for k, i in (type_ids or {}).items()))
    settings = (repr(deck), repr(tags), repr(refuse_remote), repr(read), *shape)
    render = (deck, tags, refuse_remote, read, fields, type_ids)
    if not use_cache:
        yield from workers.render_files(sources, *render)
        return
    store = RenderCache(settings)
    keys = [store.key(source) for source in sources]
    entries = [store.store.read(key) if key else None for key in keys]
    missing = [source for source, data in zip(sources, entries, strict=True) if data is None]
    # The files without an entry start rendering now, in workers when worth it, while
    # this process decodes the entries of the others.
    fresh = workers.render_files(missing, *render, beside=len(sources) - len(missing))
    ahead: dict[int, FileWork | None] = {}  # entries decoded before their turn
    next_ahead = 0  # the next file whose entry may be decoded ahead of its turn

    def load(position: int) -> FileWork | None:
        data = cast(bytes, entries[position])
        return store.load(sources[position], cast(str, keys[position]), data)

    for position, (source, key, data) in enumerate(zip(sources, keys, entries, strict=True)):
        if key is None or data is None:
            # Its work comes from a worker: meanwhile decode the entries after it, a
            # bounded number (so that progress keeps moving), instead of waiting (with
            # the first file of a folder edited, an edit rebuild waited a tenth of its time).
            next_ahead = max(next_ahead, position + 1)
            while len(ahead) < DECODED_AHEAD and next_ahead < len(sources):
                if entries[next_ahead] is not None:
                    ahead[next_ahead] = load(next_ahead)
                next_ahead += 1
            work = next(fresh)
        else:
            found = ahead.pop(position) if position in ahead else load(position)
            if found is not None:
                yield found
                continue
            # An entry that cannot be used (an image changed, a bad file) is rendered
            # here: it is rare, and the workers may be busy with files further on.
            work = workers.render_file(source, *render)
        if key is not None:
            store.save(key, work)
        yield work
    list(fresh)  # nothing is left: this ends the pool, if there is one
    store.finish()


def _fields_text(fields: FieldNames) -> str:
    return repr(sorted((kind.value, names) for kind, names in fields.items()))
