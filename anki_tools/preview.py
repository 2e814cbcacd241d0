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
import html
import json
import mimetypes
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from .card_render import cards_of
from .errors import OutputError, Problem
from .files import write_atomically
from .notes import Kind, RenderedNote, Source
from .result import plural
from .templates import NoteType

PAGE_NAME = "index.html"
TAG_RE = re.compile(r"<[^>]+>")
# Python's own table, not the system's: the same page on every machine.
MIME_TYPES = mimetypes.MimeTypes()


@dataclass(frozen=True)
class PreviewCard:
    """What the page needs to know about one card."""

    source: str
    deck: str
    note_type: str
    card: str
    tags: str
    search: str  # the card's text, lowercased, for the search box
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
    cards = [card for note in notes for card in _cards(note, note_types[note.note.kind])]
    styles = {str(nt.id): nt.css for nt in note_types.values()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for media in {m.name: m for note in notes for m in note.media}.values():
            _write_file(folder / media.name, media.data)
        page = _page(cards, styles, _data_urls(notes), problems)
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
    text = " ".join(TAG_RE.sub(" ", value) for value in note.fields.values())
    source = str(note.note.source)
    search = html.unescape(" ".join([source, note.note.deck, *note.note.tags, text])).lower()
    return [
        PreviewCard(
            source=source,
            deck=note.note.deck,
            note_type=note_type.name,
            card=sides.name,
            tags=" ".join(note.note.tags),
            search=" ".join(search.split()),
            css=str(note_type.id),
            front=sides.question,
            back=sides.answer,
        )
        for sides in cards_of(note_type, note.fields, note.note.tags)
    ]


def _data_urls(notes: list[RenderedNote]) -> dict[str, str]:
    """Each media file as a data: URL, by name: a sandboxed frame cannot load files."""
    urls = {}
    for media in (m for note in notes for m in note.media):
        mime = MIME_TYPES.guess_type(media.name)[0] or "application/octet-stream"
        urls[media.name] = f"data:{mime};base64,{base64.b64encode(media.data).decode('ascii')}"
    return urls


def _page(
    cards: list[PreviewCard], styles: dict[str, str], media: dict[str, str], problems: list[Problem]
) -> str:
    data = {
        "styles": styles,
        "media": media,
        "cards": [asdict(card) for card in cards],
        "problems": [str(problem) for problem in problems],
    }
    # In a <script> element only "</" could end it early.
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    assets = resources.files("anki_tools._templates") / "preview"
    return (
        (assets / "page.html")
        .read_text(encoding="utf-8")
        .replace("<!--COUNT--> cards", plural(len(cards), "card"))
        .replace("/*PAGE_CSS*/", (assets / "page.css").read_text(encoding="utf-8"))
        .replace("/*PAGE_JS*/", (assets / "page.js").read_text(encoding="utf-8"))
        .replace("/*FRAME_JS*/", (assets / "frame.js").read_text(encoding="utf-8"))
        .replace("/*CARDS_JSON*/", payload)  # last: card text is never searched for markers
    )
