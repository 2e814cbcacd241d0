"""Local images → Media with content-hash names; remote URLs are left alone, never fetched."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .. import files
from ..errors import Problems
from ..notes import EMPTY, Media, Note, Part, Source
from ..syntax import body, obsidian

REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
# What a browser fetches (the sanitizer has dropped every other scheme from `src`).
FETCHED_RE = re.compile(r"^(?:https?:|//)", re.IGNORECASE)
ATTACHMENT = "attachment:"


@dataclass(frozen=True)
class MediaRead:
    """A file an image reference was found at: what the render cache checks again."""

    located: str  # the path found, before links are followed
    resolved: str
    name: str  # the media name, from the content
    embed: str | None = None  # the target of `![[target]]`, searched for in the root


def media_name(data: bytes, suffix: str) -> str:
    """A flat, case-safe name from the content, so the same image is stored once."""
    return f"at-{hashlib.sha256(data).hexdigest()[:24]}{suffix.lower()}"


class MediaCollector:
    """Resolves the image references of one note and remembers the files."""

    def __init__(
        self,
        note: Note,
        problems: Problems,
        refuse_remote: bool = False,
        vault: obsidian.Vault | None = None,
    ) -> None:
        self.note = note
        self.vault = vault or obsidian.Vault()  # the build's: it lists files once
        self.problems = problems
        self.refuse_remote = refuse_remote
        self.files: dict[str, Media] = {}
        self.reads: list[MediaRead] = []  # the files read, for the render cache
        self.part: Part = EMPTY  # the field being rendered, for the line of a message

    def resolve(self, reference: str) -> str | None:
        """The media name for an image reference, or None when it cannot be used."""
        if reference.startswith(ATTACHMENT):
            return self._attachment(unquote(reference[len(ATTACHMENT) :]))
        if reference.startswith(obsidian.EMBED):
            return self._embed(reference, reference[len(obsidian.EMBED) :])
        if REMOTE_RE.match(reference):
            return self._remote(reference) if FETCHED_RE.match(reference) else reference
        return self._local(reference)

    def _remote(self, url: str) -> str | None:
        """A remote image is fetched by every member's Anki each time the card shows: the
        image's server learns who studies what, and when. Refused, or kept with a warning."""
        if self.refuse_remote:
            self._error(url, f"remote image '{url}' refused (--no-remote): use a local copy")
            return None
        where = self._where(url)
        self.problems.warning(
            where,
            f"remote image '{url}': each member's Anki fetches it whenever the card shows "
            "(use a local copy, or --no-remote to refuse remote images)",
        )
        return url

    def _local(self, reference: str) -> str | None:
        """A path relative to the note's file, as written (URL escapes allowed)."""
        relative = unquote(reference.split("#")[0].split("?")[0])
        return self._read(reference, relative, lambda: self.note.source.path.parent / relative)

    def _embed(self, reference: str, target: str) -> str | None:
        """`![[name]]`: the file Obsidian would show, then the rule of every image."""

        def find() -> Path | None:
            note = self.note
            return self.vault.find(target, note.source.path.parent, note.root)

        try:
            return self._read(reference, target, find, " anywhere in the build root", target)
        except obsidian.Ambiguous as error:
            self._error(reference, f"image {error}")
            return None

    def _read(
        self,
        reference: str,
        relative: str,
        locate: Callable[[], Path | None],
        where: str = "",
        embed: str | None = None,
    ) -> str | None:
        if "\x00" in relative:  # no file has such a name; the OS would raise ValueError
            self._error(reference, f"image path '{relative}' holds a NUL character")
            return None
        try:
            return self._file(reference, relative, locate(), where, embed)
        except (OSError, RuntimeError) as error:  # RuntimeError: Python 3.11's symlink loop
            reason = error.strerror if isinstance(error, OSError) else "a loop of symlinks"
            self._error(reference, f"image '{relative}' cannot be read: {reason}")
            return None

    def _file(
        self, reference: str, relative: str, found: Path | None, where: str, embed: str | None
    ) -> str | None:
        if found is None:
            self._error(reference, f"image not found: '{relative}'{where}")
            return None
        path = found.resolve()
        if not files.inside(path, self.note.root):
            root = self.note.root.resolve()
            self._error(reference, f"image '{relative}' is outside the build root {root}")
            return None
        if not path.is_file():
            self._error(reference, f"image not found: '{relative}'")
            return None
        name = self._add(path.read_bytes(), path.suffix)
        self.reads.append(MediaRead(str(found), str(path), name, embed))
        return name

    def _attachment(self, name: str) -> str | None:
        data = self.note.attachments.get(name)
        if data is None:
            self._error(name, f"attachment not found: '{name}'")
            return None
        return self._add(data, Path(name).suffix)

    def _add(self, data: bytes, suffix: str) -> str:
        name = media_name(data, suffix)
        self.files[name] = Media(name, data)
        return name

    def _error(self, reference: str, message: str) -> None:
        self.problems.error(self._where(reference), message)

    def _where(self, reference: str) -> Source:
        """The line (and cell) of the field's token that mentions the reference."""
        return body.place_of(self.part, reference, self.note.source) or self.note.source
