"""What Anki refuses or breaks on, checked on a rendered note before any deck is written.

One note beyond Anki's bounds made the import of the whole deck fail in every member's
Anki, with nothing said at build time. Each bound (limits.py) is an error at its
place; a note of very many cards is only a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import Problems
from ..limits import (
    CARD_REVIEW_WARNING_CHARS,
    CARDS_PER_NOTE_WARNING,
    CLOZE_NUMBER_MAX,
    DECK_MAX_DEPTH,
    FIELD_MAX_BYTES,
    TAGS_PER_NOTE_MAX,
)
from ..notes import Kind, Note, Source
from ..syntax.body import cloze_number

Place = Callable[[str, str], Source]  # (field name, text to find) → where to report
# As genanki and Anki find a cloze: `{{c`, digits, `::`.
CLOZE_NUMBER_RE = re.compile(r"\{\{c(\d+)::")


def check_note(
    note: Note, fields: dict[str, str], question: str, place: Place, problems: Problems
) -> None:
    """Errors for what Anki cannot take in a note whose HTML `fields` are final;
    `question` names the field a cloze note's cards come from."""
    if note.kind is Kind.CLOZE:
        _check_clozes(note, fields[question], lambda needle: place(question, needle), problems)
    for name, markup in fields.items():
        size = len(markup.encode())
        if size > FIELD_MAX_BYTES:
            message = f"the {name} field is {size:,} bytes of HTML; the most is {FIELD_MAX_BYTES:,}"
            problems.error(place(name, ""), message + ": split the card")
    length = len(note.front) + len(note.back) + len(note.hint)
    if length > CARD_REVIEW_WARNING_CHARS:
        problems.warning(
            note.source,
            f"the card is {length:,} characters long, too long to review (the warning is "
            f"from {CARD_REVIEW_WARNING_CHARS:,}): split it into cards, e.g. with a deeper "
            "--card-level or card_level",
        )
    count = len(set(note.tags))
    if count > TAGS_PER_NOTE_MAX:
        problems.error(note.source, f"the card has {count} tags; the most is {TAGS_PER_NOTE_MAX}")
    _check_deck(note, problems)


def _check_deck(note: Note, problems: Problems) -> None:
    if "<" in note.deck or ">" in note.deck:
        problems.error(
            note.source,
            f"deck '{note.deck}' cannot hold '<' or '>': Anki shows a deck's name above "
            "its cards as HTML, unescaped",
        )
    depth = note.deck.count("::") + 1
    if depth > DECK_MAX_DEPTH:
        problems.error(
            note.source,
            f"deck '{note.deck}' nests {depth} deep; Anki imports at most {DECK_MAX_DEPTH} "
            "levels (a deeper deck makes the import of the whole deck fail)",
        )


def _check_clozes(
    note: Note, question: str, place: Callable[[str], Source], problems: Problems
) -> None:
    """Each number once: out of Anki's range is an error; too many cards a warning."""
    numbers: set[int] = set()
    for digits in dict.fromkeys(CLOZE_NUMBER_RE.findall(question)):
        number = cloze_number(digits)
        if 1 <= number <= CLOZE_NUMBER_MAX:
            numbers.add(number)
            continue
        shown = digits if len(digits) <= 12 else digits[:12] + "…"
        effect = "c0 makes no card" if number == 0 else "a higher one breaks the whole deck"
        problems.error(
            place(f"{{{{c{digits}::"),
            f"cloze {{{{c{shown}::…}}}}: Anki numbers clozes from 1 to {CLOZE_NUMBER_MAX} "
            f"({effect})",
        )
    if len(numbers) > CARDS_PER_NOTE_WARNING:
        problems.warning(
            note.source,
            f"this note makes {len(numbers)} cards (one per cloze number); more than "
            f"{CARDS_PER_NOTE_WARNING} is surely a mistake",
        )
