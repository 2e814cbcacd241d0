"""Plain data passed between the stages: parse → render → build."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # markdown-it (~30 ms) is imported by the parsers that make tokens
    from markdown_it.token import Token


@dataclass(frozen=True)
class Source:
    """Where something came from: a file and a line (or a notebook cell)."""

    path: Path
    line: int | None = None
    cell: int | None = None

    def __str__(self) -> str:
        if self.cell is not None:
            return f"{display_path(self.path)}:cell {self.cell}"
        if self.line is not None:
            return f"{display_path(self.path)}:{self.line}"
        return display_path(self.path)

    def at_line(self, line: int) -> Source:
        return Source(self.path, line, self.cell)


def display_path(path: Path) -> str:
    """Paths relative to the working directory read best in messages. Links are kept as
    written (a refused link is named as the user sees it, not by where it leads)."""
    cwd = Path.cwd()  # the real path of the working folder, links resolved
    for shown in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
        if shown.is_relative_to(cwd):
            return shown.relative_to(cwd).as_posix()
    return str(path)


class Kind(Enum):
    """Which note type a card becomes."""

    BASIC = "basic"
    REVERSED = "reversed"
    CLOZE = "cloze"
    TYPE_IN = "typein"
    IMAGE = "image"


# Each card kind's field names, in the order of templates.FIELD_ROLES: read from the
# templates' metadata (templates.field_names) and handed to the renderer as plain data.
FieldNames = Mapping[Kind, tuple[str, ...]]


@dataclass(frozen=True)
class Markers:
    """The cloze numbers and type-in boxes of a field, and markers it left unbalanced."""

    clozes: frozenset[int] = frozenset()
    typein: bool = False
    problems: tuple[tuple[int | None, str], ...] = ()  # (line, message)


# A field without markers, as nearly every field is: one object for them all (a build of
# 100k cards held 300k empty Markers, each with a frozenset of its own: 60 MB).
NO_MARKERS = Markers()


@dataclass(frozen=True)
class Part:
    """One field's Markdown, the source line it starts on, and its tokens.

    The tokens come from the source's one markdown-it parse (block tokens with their
    inline children): the renderer turns them into HTML without parsing again.
    """

    text: str
    line: int | None = None  # 1-based, in the file (a notebook: in the cell)
    tokens: tuple[Token, ...] = field(default=(), compare=False, hash=False)
    markers: Markers = field(default=NO_MARKERS, compare=False, hash=False)  # body.scan's


EMPTY = Part("")


@dataclass(frozen=True)
class Note:
    """One parsed card: Markdown fields, never HTML."""

    kind: Kind
    front: str
    back: str
    hint: str
    deck: str
    tags: tuple[str, ...]
    source: Source
    title: str  # plain text (titles.py): the Source field, the lock, change reports
    root: Path  # the build root: images may not resolve outside it
    explicit_id: str | None = None
    cell_id: str | None = None  # a notebook cell's saved `id` (nbformat 4.5 and later)
    url: str | None = None
    code_language: str | None = None  # language of indented code blocks
    # The headings above a Markdown card, (level, Markdown text): its place in the file.
    # Those below the file's `#` level are shown above the front; all tell apart cards
    # whose fronts are the same (identity.guid_in_context).
    parents: tuple[tuple[int, str], ...] = ()
    attachments: dict[str, bytes] = field(default_factory=dict, compare=False, hash=False)
    # front, back and hint as parsed; None for a note made in code (parsed when rendered)
    parts: tuple[Part, Part, Part] | None = field(default=None, compare=False, hash=False)


def after_rendering(note: Note) -> Note:
    """The note as the stages after rendering hold it. Its fields are HTML by then (the
    RenderedNote's), so its Markdown back and hint, their parsed parts and a notebook's
    attachments (its media by then) are let go: nothing reads them again, and every note
    of a build is held until the deck is written (they were a fifth of what workers send
    back). The front stays: identity and the near-duplicate check read it."""
    return replace(note, back="", hint="", parts=None, attachments={})


@dataclass(frozen=True)
class Media:
    """A file for Anki's flat media folder, named by its content hash."""

    name: str
    data: bytes


@dataclass(frozen=True)
class RenderedNote:
    """A note whose fields are HTML, ready for the builder."""

    note: Note
    fields: dict[str, str]
    media: tuple[Media, ...]
    # The headings above the card as HTML: those shown above its front, and all of them,
    # shown instead when another card has the same front.
    context: tuple[str, str] = ("", "")
    # (note type id, the lock's hash of the note for it: sharing/content.py), made where
    # the note was rendered. Whatever replaces the fields sets it to None.
    content: tuple[int, str] | None = None
    # How many cards Anki makes of it (body.card_count), counted when it was rendered:
    # the cloze numbers are in the parts, which the note lets go of then.
    cards: int = 1


@dataclass(frozen=True)
class StampedNote:
    """A rendered note with what the lock gave it: the guid, note id and modified time.
    The guid is decided in sharing/ (claims.py asks, changes.py gives), never before."""

    rendered: RenderedNote
    guid: str
    note_id: int
    modified: int


# Which markdown cells of a notebook become cards: every one (jupyter-to-anki's rule),
# only those with card markup, or `all` when any cell has markup and none otherwise.
CELL_MODES = ("auto", "all", "marked")


@dataclass(frozen=True)
class ReadOptions:
    """How sources are read into notes, as the command line or a deck config says.

    None is "not said here". The more specific setting wins: a file's front matter or a
    notebook's metadata over a deck config, a deck config over the command line.
    """

    cells: str | None = None  # notebooks: one of CELL_MODES; "auto" when none says
    card_level: int | None = None  # Markdown: the heading level that starts a card; 2
    include_readme: bool | None = None  # folders and globs: build README.md files too

    def over(self, fallback: ReadOptions) -> ReadOptions:
        """These settings, and the fallback's where these say nothing."""

        def pick(name: str) -> object:
            mine = getattr(self, name)
            return mine if mine is not None else getattr(fallback, name)

        return ReadOptions(**{f.name: pick(f.name) for f in fields(self)})  # type: ignore[arg-type]


DEFAULT_READ = ReadOptions()  # nothing said: each file's own settings, else the defaults


@dataclass(frozen=True)
class DeckSpec:
    """One deck to build, as a config describes it."""

    config: Path
    project: Path  # the folder that holds `decks/`: config paths are relative to it
    name: str  # the deck for every card that names none
    description: str  # Markdown
    sources: tuple[str, ...]  # globs
    output: Path
    tags: tuple[str, ...] = ()
    theme: str | None = None
    url: str | None = None
    no_remote: bool = False  # remote images are errors
    read: ReadOptions = DEFAULT_READ  # cells, card_level, include_readme
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # each key's line
