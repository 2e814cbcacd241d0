"""`anki-tools preview`: one static HTML page with every card, front and back.

Each side is shown in an iframe of its own, as Anki shows a side as a page of its
own: the note type's CSS and the card script work as they do in Anki, and the back
can be checked without the front. The frames are sandboxed (scripts, no same origin),
so a card's script cannot reach the page or the other cards. The page carries the cards
as JSON and builds the frames itself, so each note type's CSS is stored once; it carries
the images too, as data: URLs, since a sandboxed frame may not load files from disk.
Media files sit beside it. Nothing is fetched from anywhere.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from bisect import bisect_right
from collections import defaultdict
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

from .card_render import cards_of
from .errors import OutputError, Problem, Severity
from .files import write_atomically
from .notes import Kind, RenderedNote, Source
from .result import plural
from .templates import NoteType
from .themes import default_templates_dir

PAGE_NAME = "index.html"
# Python's own table, not the system's: the same page on every machine.
MIME_TYPES = mimetypes.MimeTypes()
Json = dict[str, object]


@dataclass(frozen=True)
class PreviewCard:
    """What the page needs to know about one card."""

    source: str
    deck: str
    note_type: str
    card: str
    tags: str
    search: str  # the card's text as shown, lowercased, for the search box
    css: str  # a key into the page's CSS table
    front: str
    back: str


def write_preview(
    notes: list[RenderedNote],
    note_types: dict[Kind, NoteType],
    folder: Path,
    problems: list[Problem],
) -> int:
    """Write index.html and the media files into `folder`; return the number of cards."""
    cards: list[PreviewCard] = []
    places: list[Source] = []  # each card's note's source, for the problems' links
    for note in notes:
        made = _cards(note, note_types[note.note.kind])
        cards += made
        places += [note.note.source] * len(made)
    styles = {str(nt.id): nt.css for nt in note_types.values()}
    scripts = {str(nt.id): nt.script for nt in note_types.values()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for media in {m.name: m for note in notes for m in note.media}.values():
            _write_file(folder / media.name, media.data)
        links = problem_links(problems, places)
        listed: list[Json] = [
            {"text": str(p), "card": card} for p, card in zip(problems, links, strict=True)
        ]
        page = _page(cards, styles, scripts, _data_urls(notes), listed)
        _write_file(folder / PAGE_NAME, page.encode("utf-8"))
    except OSError as error:
        where = Source(Path(error.filename)) if error.filename else Source(folder)
        raise OutputError(f"cannot write the preview: {error.strerror}", where) from error
    return len(cards)


def _write_file(path: Path, data: bytes) -> None:
    """Atomically, by rename, so a symlink where the file goes (a committed
    `index.html -> ~/.bashrc`) is never written through."""
    try:
        write_atomically(path, lambda temporary: temporary.write_bytes(data))
    except OSError as error:  # named after the file, not its temporary twin
        raise OutputError(f"cannot write the preview: {error.strerror}", Source(path)) from error


def _cards(note: RenderedNote, note_type: NoteType) -> list[PreviewCard]:
    text = " ".join(shown_text(value) for value in note.fields.values())
    source = str(note.note.source)
    search = " ".join([source, note.note.deck, *note.note.tags, text]).lower()
    return [
        PreviewCard(
            source=source,
            deck=note.note.deck,
            note_type=note_type.name,
            card=sides.name,
            tags=" ".join(note.note.tags),
            search=" ".join(search.split()),
            css=str(note_type.id),
            front=_without_script(sides.question, note_type.script),
            back=_without_script(sides.answer, note_type.script),
        )
        for sides in cards_of(note_type, note.fields, note.note.tags)
    ]


# Where a side's card script goes back in (page.js). Sanitized fields hold no comments,
# so a card cannot write it; the script is the page's own anyway.
SCRIPT_MARK = "<!--at-card-script-->"


def _without_script(side: str, script: str) -> str:
    """The card script, the same 2.7 kB at the end of every side (and of the front a back
    repeats), is kept once per note type: it was most of a 2,000-card page's 18 MB."""
    return side.replace(script, SCRIPT_MARK) if script else side


# Opening one of these starts a new line of text; other tags (a highlighted token's
# <span>, <code>, <b>) sit inside a line, so `pd.DataFrame` stays one word.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
HIDDEN_TAGS = frozenset({"script", "style", "template"})  # text never shown


class _ShownText(HTMLParser):
    """The text of an HTML fragment as a browser shows it, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def shown_text(fragment: str) -> str:
    """What a reader sees of `fragment`: code as written, blocks apart, no markup."""
    parser = _ShownText()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


def _order(source: Source) -> tuple[int, int]:
    """Where a place lies in its file: by cell (a notebook), then line."""
    return (-1 if source.cell is None else source.cell, source.line or 0)


def problem_links(problems: list[Problem], places: list[Source]) -> list[int | None]:
    """For each problem, the index of the card it is about: the last card of its file
    starting at or before it (the file's first card for a problem about the whole file).
    None for an error, whose card is left out of the page, and for a warning after such an
    error. Each file's cards and errors are sorted once, so a big deck's many warnings
    cost a search each, not a walk over every card."""
    cards: dict[Path, list[tuple[tuple[int, int], int]]] = defaultdict(list)
    for index, place in enumerate(places):
        # (place, -index): the last of a file's cards at one place is its note's first.
        cards[place.path].append((_order(place), -index))
    for entries in cards.values():
        entries.sort()
    errors: dict[Path, list[tuple[int, int]]] = defaultdict(list)
    for problem in problems:
        if problem.severity is Severity.ERROR:
            errors[problem.source.path].append(_order(problem.source))
    for orders in errors.values():
        orders.sort()
    return [_card_of(problem, cards, errors) for problem in problems]


def _card_of(
    problem: Problem,
    cards: dict[Path, list[tuple[tuple[int, int], int]]],
    errors: dict[Path, list[tuple[int, int]]],
) -> int | None:
    if problem.severity is Severity.ERROR:
        return None
    mine = cards.get(problem.source.path, [])
    if not mine:
        return None
    at = _order(problem.source)
    before = bisect_right(mine, (at, 0))  # the cards at or before it
    if not before:
        return min(-index for _, index in mine)  # the file's first card
    start, index = mine[before - 1]
    after_start = errors.get(problem.source.path, [])
    nearest = bisect_right(after_start, start)
    if nearest < len(after_start) and after_start[nearest] <= at:
        return None  # the problem is in a note left out, after the card found
    return -index


def _data_urls(notes: list[RenderedNote]) -> dict[str, str]:
    """Each media file as a data: URL, by name: a sandboxed frame cannot load files."""
    urls = {}
    for media in (m for note in notes for m in note.media):
        mime = MIME_TYPES.guess_type(media.name)[0] or "application/octet-stream"
        urls[media.name] = f"data:{mime};base64,{base64.b64encode(media.data).decode('ascii')}"
    return urls


def _page(
    cards: list[PreviewCard],
    styles: dict[str, str],
    scripts: dict[str, str],
    media: dict[str, str],
    problems: list[Json],
) -> str:
    data = {
        "styles": styles,
        "scripts": scripts,
        "scriptMark": SCRIPT_MARK,
        "media": media,
        "cards": [asdict(card) for card in cards],
        "problems": problems,
    }
    # In a <script> element only "</" could end it early.
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    assets = default_templates_dir() / "preview"
    return (
        (assets / "page.html")
        .read_text(encoding="utf-8")
        .replace("<!--COUNT--> cards", plural(len(cards), "card"))
        .replace("/*PAGE_CSS*/", (assets / "page.css").read_text(encoding="utf-8"))
        .replace("/*PAGE_JS*/", (assets / "page.js").read_text(encoding="utf-8"))
        .replace("/*FRAME_JS*/", (assets / "frame.js").read_text(encoding="utf-8"))
        .replace("/*CARDS_JSON*/", payload)  # last: card text is never searched for markers
    )
