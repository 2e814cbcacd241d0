"""Issue 11, item 7: one card must not make a deck unimportable.

`{{c65537::x}}` built with exit 0, then Anki refused the whole deck. Every value Anki
bounds is checked at build time, with its place: cloze numbers (the largest legal one
builds and imports into a real collection), deck depth; and our own bounds on field
size and tags. A note of more than 500 cards is a warning.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from anki.errors import DBError, InvalidInput
from click.testing import CliRunner, Result

from anki_tools.cli import main
from anki_tools.limits import (
    CARDS_PER_NOTE_WARNING,
    CLOZE_NUMBER_MAX,
    DECK_MAX_DEPTH,
    FIELD_MAX_BYTES,
    TAGS_PER_NOTE_MAX,
)

from anki_collection import AnkiProfile


def build(root: Path, files: dict[str, str], *options: str) -> Result:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "notes", "-o", "out.apkg", *options])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def errors(result: Result) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if ": " in line]
    return [line for line in lines if ": warning: " not in line and not line[0].isdigit()]


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": warning: " in line]


def test_anki_bounds_are_the_measured_ones() -> None:
    """Pinned: the numbers below were measured by importing into anki 26.9."""
    assert (CLOZE_NUMBER_MAX, DECK_MAX_DEPTH) == (65_535, 11)


def test_the_largest_cloze_number_builds_and_anki_shows_its_card(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    note = f"## Far\n\n{{{{c1::one}}}} and {{{{c{CLOZE_NUMBER_MAX}::last}}}}\n"
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 0, result.output
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    cards = {card.ord: card for card in anki.cards()}
    assert sorted(cards) == [0, CLOZE_NUMBER_MAX - 1]
    last = cards[CLOZE_NUMBER_MAX - 1]
    assert f'data-ordinal="{CLOZE_NUMBER_MAX}">[...]</span>' in last.question
    assert f'<span class="cloze" data-ordinal="{CLOZE_NUMBER_MAX}">last</span>' in last.answer


@pytest.mark.parametrize(
    ("number", "effect"),
    [
        (str(CLOZE_NUMBER_MAX + 1), "a higher one breaks the whole deck"),
        (str(CLOZE_NUMBER_MAX + 2), "a higher one breaks the whole deck"),
        ("0", "c0 makes no card"),
        ("9" * 5000, "a higher one breaks the whole deck"),  # Python won't even convert it
    ],
)
def test_a_cloze_number_anki_cannot_take_is_an_error_at_its_line(
    in_tmp: Path, number: str, effect: str
) -> None:
    note = f"## Fine\n\n{{{{c1::a}}}}\n\n## Far\n\nText\n{{{{c1::b}}}} {{{{c{number}::x}}}}\n"
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 1, result.output
    (error,) = errors(result)
    assert error.startswith("notes/a.md:8: cloze {{c"), error
    assert f"Anki numbers clozes from 1 to {CLOZE_NUMBER_MAX} ({effect})" in error
    assert not (in_tmp / "out.apkg").exists()


def test_a_cloze_in_code_or_a_notebook_is_checked_too(in_tmp: Path) -> None:
    far = f"{{{{c{CLOZE_NUMBER_MAX + 1}::x}}}}"
    cell = {"cell_type": "markdown", "id": "m", "metadata": {}, "source": f"Q {far}"}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    files = {
        "notes/a.md": f"## Code\n\n```python\nx = 1\ny = {far}\n```\n",
        "notes/b.ipynb": json.dumps(notebook),
    }
    result = build(in_tmp, files)
    assert result.exit_code == 1, result.output
    where = sorted(error.split(": ")[0] for error in errors(result))
    assert where == ["notes/a.md:5", "notes/b.ipynb:cell 1"], result.stderr


def test_keep_going_leaves_out_the_note_so_anki_imports_the_rest(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    note = f"## Fine\n\n{{{{c1::a}}}}\n\n## Far\n\n{{{{c{CLOZE_NUMBER_MAX + 2}::x}}}}\n"
    result = build(in_tmp, {"notes/a.md": note}, "--keep-going")
    assert result.exit_code == 1
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    assert [card.ord for card in anki.cards()] == [0]


def test_a_note_of_very_many_cards_is_a_warning(in_tmp: Path) -> None:
    def note(count: int) -> str:
        return "## Many\n\n" + " ".join(f"{{{{c{n}::w{n}}}}}" for n in range(1, count + 1)) + "\n"

    at_limit = build(in_tmp, {"notes/a.md": note(CARDS_PER_NOTE_WARNING)})
    assert at_limit.exit_code == 0 and not warnings(at_limit), at_limit.output
    over = build(in_tmp, {"notes/a.md": note(CARDS_PER_NOTE_WARNING + 1)})
    assert over.exit_code == 0, over.output
    assert warnings(over) == [
        f"notes/a.md:1: warning: this note makes {CARDS_PER_NOTE_WARNING + 1} cards (one per "
        f"cloze number); more than {CARDS_PER_NOTE_WARNING} is surely a mistake"
    ]


def test_a_field_too_big_is_an_error_at_its_line(in_tmp: Path) -> None:
    """Code shows each `&` as five bytes of HTML (`&amp;`): a small source, a big field."""
    code = "&" * (FIELD_MAX_BYTES // 5 + 1)
    note = f"## Small\n\nA\n\n## Big\n\nQuestion\n\n-\n\n```\n{code}\n```\n"
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 1, result.output
    (error,) = errors(result)
    assert error.startswith("notes/a.md:11: the Back field is "), error
    assert f"bytes of HTML; the most is {FIELD_MAX_BYTES:,}: split the card" in error
    fits = "&" * (FIELD_MAX_BYTES // 5 - 100)
    assert build(in_tmp, {"notes/a.md": f"## Big\n\nQ\n\n-\n\n```\n{fits}\n```\n"}).exit_code == 0


def test_too_many_tags_on_a_note_is_an_error(in_tmp: Path) -> None:
    """The front matter's, the heading's and the deck config's tags together."""
    front = " ".join(f"t{n}" for n in range(TAGS_PER_NOTE_MAX - 1))
    note = f'---\ntags: {front}\n---\n## Fits {{tags="last"}}\n\nA\n\n## Over {{tags="x y"}}\n\nB\n'
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 1, result.output
    assert errors(result) == [
        f"notes/a.md:8: the card has {TAGS_PER_NOTE_MAX + 1} tags; the most is {TAGS_PER_NOTE_MAX}"
    ]


def test_a_deck_nested_too_deep_is_an_error_and_the_deepest_imports(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    deepest = "::".join(f"d{n}" for n in range(DECK_MAX_DEPTH))
    too_deep = deepest + "::over"
    note = f'## Deepest {{deck="{deepest}"}}\n\nA\n\n## Over {{deck="{too_deep}"}}\n\nB\n'
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 1, result.output
    assert errors(result) == [
        f"notes/a.md:5: deck '{too_deep}' nests {DECK_MAX_DEPTH + 1} deep; Anki imports at "
        f"most {DECK_MAX_DEPTH} levels (a deeper deck makes the import of the whole deck fail)"
    ]
    kept = build(in_tmp, {"notes/a.md": note}, "--keep-going")
    assert kept.exit_code == 1
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    assert [card.deck for card in anki.cards()] == [deepest]


# --- the bounds are Anki's: a package past them, edited by hand, fails in real Anki ---

Edit = Callable[[sqlite3.Connection], object]


def edited_package(in_tmp: Path, edit: Edit) -> Path:
    """A built one-cloze deck whose collection is edited past a bound our build keeps."""
    built = build(in_tmp, {"notes/a.md": "## Q\n\n{{c1::x}}\n"})
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(in_tmp / "out.apkg") as package:
        entries = {name: package.read(name) for name in package.namelist()}
    collection = in_tmp / "collection.anki2"
    collection.write_bytes(entries["collection.anki2"])
    connection = sqlite3.connect(collection)
    with connection:
        edit(connection)
    connection.close()
    entries["collection.anki2"] = collection.read_bytes()
    edited = in_tmp / "edited.apkg"
    with zipfile.ZipFile(edited, "w") as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return edited


def cloze_numbered(number: int) -> Edit:
    """The note's cloze and its card, numbered as genanki numbers them."""

    def edit(connection: sqlite3.Connection) -> None:
        connection.execute(
            "UPDATE notes SET flds = replace(flds, '{{c1::', ?)", (f"{{{{c{number}::",)
        )
        connection.execute("UPDATE cards SET ord = ?", (number - 1,))

    return edit


def deck_named(name: str) -> Edit:
    def edit(connection: sqlite3.Connection) -> None:
        (text,) = connection.execute("SELECT decks FROM col").fetchone()
        decks = json.loads(text)
        for deck in decks.values():
            if deck["name"] != "Default":
                deck["name"] = name
        connection.execute("UPDATE col SET decks = ?", (json.dumps(decks),))

    return edit


def test_anki_reads_no_cloze_past_the_largest(in_tmp: Path, anki: AnkiProfile) -> None:
    number = CLOZE_NUMBER_MAX + 1
    assert anki.import_deck(edited_package(in_tmp, cloze_numbered(number))) == (1, 0, 0)
    (card,) = anki.cards()
    assert "No cloze" in card.question and "[...]" not in card.question  # an error card


def test_anki_refuses_the_whole_deck_for_a_cloze_one_further(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    package = edited_package(in_tmp, cloze_numbered(CLOZE_NUMBER_MAX + 2))
    with pytest.raises(DBError):  # the card's number is out of range
        anki.import_deck(package)
    assert anki.cards() == []


def test_anki_refuses_the_whole_deck_for_a_deck_one_level_deeper(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    too_deep = "::".join(f"d{n}" for n in range(DECK_MAX_DEPTH + 1))
    with pytest.raises(InvalidInput, match="deck nesting level too deep"):
        anki.import_deck(edited_package(in_tmp, deck_named(too_deep)))
    assert anki.cards() == []


def test_a_deck_name_that_is_markup_is_an_error(in_tmp: Path) -> None:
    """Anki desktop's deck overview puts the name into its page as it is (`<h3>%(deck)s`)."""
    deck = "<img src=x onerror=alert(1)>::sub"
    result = build(in_tmp, {"notes/a.md": f'---\ndeck: "{deck}"\n---\n## Q\n\nA\n'})
    assert result.exit_code == 1, result.output
    assert errors(result) == [
        f"notes/a.md:4: deck '{deck}' cannot hold '<' or '>': Anki shows a deck's name "
        "above its cards as HTML, unescaped"
    ]
    assert not (in_tmp / "out.apkg").exists()
