"""`anki-tools preview`: one static HTML page with every card, front and back.

Each side is shown in an iframe of its own, as Anki shows a side as a page of its
own: the note type's CSS and the card script work as they do in Anki, and the back
can be checked without the front. The page carries the cards as JSON and builds the
frames itself, so each note type's CSS is stored once. Media files sit beside it.
Nothing is fetched from anywhere.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from .card_render import cards_of
from .errors import OutputError, Problem
from .notes import Kind, RenderedNote, Source
from .result import plural
from .templates import NoteType

PAGE_NAME = "index.html"
TAG_RE = re.compile(r"<[^>]+>")


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
            (folder / media.name).write_bytes(media.data)
        page = _page(cards, styles, problems)
        (folder / PAGE_NAME).write_text(page, encoding="utf-8")
    except OSError as error:
        where = Source(Path(error.filename)) if error.filename else Source(folder)
        raise OutputError(f"cannot write the preview: {error.strerror}", where) from error
    return len(cards)


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


def _page(cards: list[PreviewCard], styles: dict[str, str], problems: list[Problem]) -> str:
    data = {
        "styles": styles,
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
        .replace("/*CARDS_JSON*/", payload)  # last: card text is never searched for markers
    )
