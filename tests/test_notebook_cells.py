"""Which markdown cells of a notebook become cards: the cell modes all, marked and auto.

Notebooks are built in memory with `nbformat.v4.new_*`; the mode comes from the notebook
metadata (`anki: {cells: ...}`), a deck config (`cells:`) or `--cells`, the more
specific winning. Issue 12: a notebook of prose must not become a deck of junk cards.
"""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from anki_tools import export_notebook, pipeline
from anki_tools.cli import main
from anki_tools.errors import AnkiToolsError, Problems
from anki_tools.notes import DEFAULT_READ, Note, ReadOptions
from anki_tools.parsers import parse_file

from anki_collection import AnkiProfile
from conftest import FIXED_TIME

PROSE = "To index from the end of the array, you can use negative indices:"
NO_MARKUP = "lesson.ipynb: warning: no cards found: no cell has card markup"


def md(source: str, *tags: str) -> Any:
    return new_markdown_cell(source, metadata={"tags": list(tags)} if tags else {})


def card_code(source: str, output: str, tag: str = "card") -> Any:
    out = new_output("stream", name="stdout", text=output)
    return new_code_cell(source, metadata={"tags": [tag]}, outputs=[out])


def write(path: Path, cells: list[Any], cells_mode: str | None = None) -> Path:
    metadata = {"anki": {"cells": cells_mode}} if cells_mode else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells, metadata=metadata), path)
    return path


def parsed(path: Path, read: ReadOptions = DEFAULT_READ) -> tuple[list[Note], list[str]]:
    """The notes of a notebook through parse_file (as every build reads it), and messages."""
    problems = Problems()
    notes = parse_file(path, path.parent, None, problems, read)
    return notes, [str(problem) for problem in problems.items]


def fronts(notes: list[Note]) -> list[str]:
    return [note.front for note in notes]


# A notebook of the handbook's kind, with cards marked among its prose.
MIXED = [
    md("# Arrays"),
    md(PROSE),
    md("What does `a[-1]` give?\n\n-\n\nThe last element."),
    md("Some more explanation, not a card."),
    md("The back, continued.", "back"),
    md("Paris is the {{c1::capital}} of France."),
    md("DECK = geo"),
    md("2 + 2 = {{{4}}}"),
    md("Just prose again."),
    md("What is a hint for?\n\n-h\n\nA nudge."),
    md("A tagged card with no markup of its own", "card"),
]
MARKED_FRONTS = [
    "What does `a[-1]` give?",
    "Paris is the {{c1::capital}} of France.",
    "2 + 2 = {{{4}}}",
    "What is a hint for?",
    "A tagged card with no markup of its own",
]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the three modes -------------------------------------------------------------------


def test_marked_keeps_only_cells_with_card_markup(here: Path) -> None:
    notes, problems = parsed(write(here / "lesson.ipynb", MIXED, "marked"))
    assert fronts(notes) == MARKED_FRONTS
    assert problems == []


def test_marked_joins_a_back_cell_to_the_marked_card_above_the_skipped_prose(here: Path) -> None:
    notes, _ = parsed(write(here / "lesson.ipynb", MIXED, "marked"))
    assert notes[0].back == "The last element.\n\nThe back, continued."


def test_marked_keeps_meta_cells_working(here: Path) -> None:
    notes, _ = parsed(write(here / "lesson.ipynb", MIXED, "marked"))
    assert [note.deck for note in notes] == ["lesson", "lesson", "geo", "geo", "geo"]


def test_marked_says_nothing_about_prose_it_skips(here: Path) -> None:
    """An unbalanced marker in prose is no error: the cell is not a card."""
    cells = [md("Prose that mentions }} in passing."), md("Q\n\n-\n\nA")]
    notes, problems = parsed(write(here / "lesson.ipynb", cells, "marked"))
    assert fronts(notes) == ["Q"]
    assert problems == []


def test_marked_code_cells_tagged_card_are_cards(here: Path) -> None:
    cells = [md("Prose before the code."), card_code("print(1)", "1\n")]
    notes, _ = parsed(write(here / "lesson.ipynb", cells, "marked"))
    assert len(notes) == 1 and "print(1)" in notes[0].front


def test_all_makes_every_prose_cell_a_card(here: Path) -> None:
    notes, problems = parsed(write(here / "lesson.ipynb", MIXED, "all"))
    assert len(notes) == 8  # MIXED minus the heading, the back cell and the DECK cell
    assert PROSE in fronts(notes)
    assert problems == []


def test_auto_follows_all_when_any_cell_has_markup(here: Path) -> None:
    cells = [md(PROSE), md("Q\n\n-\n\nA")]
    notes, problems = parsed(write(here / "lesson.ipynb", cells))
    assert fronts(notes) == [PROSE, "Q"]
    assert problems == []


@pytest.mark.parametrize(
    "marked_cell",
    [
        pytest.param(md("Q\n\n-h\n\nhint"), id="hint-line"),
        pytest.param(md("Q\n\n-i\n\nA"), id="image-line"),
        pytest.param(md("The {{c1::answer}}"), id="cloze"),
        pytest.param(md("Type {{{this}}}"), id="type-in"),
        pytest.param(md("Plain text", "card"), id="card-tag"),
        pytest.param(md("Plain back", "back"), id="back-tag"),
        pytest.param(card_code("x = 1", "", tag="front"), id="code-front-tag"),
    ],
)
def test_auto_counts_every_kind_of_card_markup(here: Path, marked_cell: Any) -> None:
    notes, problems = parsed(write(here / "lesson.ipynb", [md(PROSE), marked_cell]))
    assert notes and fronts(notes)[0].startswith(PROSE)
    assert not any("no cell has card markup" in problem for problem in problems)


def test_auto_without_markup_gives_no_cards_and_one_warning_saying_what_to_do(
    here: Path,
) -> None:
    cells = [md("# Arrays"), md(PROSE), md("More prose with a stray }} in it.")]
    notes, problems = parsed(write(here / "lesson.ipynb", cells))
    assert notes == []
    assert len(problems) == 1, problems  # not also the generic "no cards found"
    assert problems[0].startswith(NO_MARKUP)
    for advice in ("'-' line", "card/front/back cell tag", "--cells all", "cells: all"):
        assert advice in problems[0]


def test_a_separator_in_a_code_block_is_not_card_markup(here: Path) -> None:
    notes, problems = parsed(write(here / "lesson.ipynb", [md("Example:\n\n```\n-\n```")]))
    assert notes == [] and problems[0].startswith(NO_MARKUP)


def test_marked_without_marked_cells_warns_once_with_the_marked_hint(here: Path) -> None:
    notes, problems = parsed(write(here / "lesson.ipynb", [md(PROSE)], "marked"))
    assert notes == []
    assert problems == [
        "lesson.ipynb: warning: no cards found (with cells: marked, only cells with card "
        "markup are cards: a '-', '-h' or '-i' line, cloze or type-in markers, or a "
        "card/front/back cell tag)"
    ]


# --- where the mode is set -------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "read", "count"),
    [
        pytest.param(None, ReadOptions(), 8, id="default-auto-with-markup-is-all"),
        pytest.param(None, ReadOptions(cells="all"), 8, id="read-all"),
        pytest.param(None, ReadOptions(cells="marked"), 5, id="read-marked"),
        pytest.param("marked", ReadOptions(cells="all"), 5, id="metadata-wins"),
        pytest.param("all", ReadOptions(cells="marked"), 8, id="metadata-wins-too"),
        pytest.param("auto", ReadOptions(cells="marked"), 8, id="metadata-auto-wins"),
    ],
)
def test_notebook_metadata_wins_over_what_the_build_says(
    here: Path, metadata: str | None, read: ReadOptions, count: int
) -> None:
    notes, _ = parsed(write(here / "lesson.ipynb", MIXED, metadata), read)
    assert len(notes) == count


@pytest.mark.parametrize(
    ("value", "shown"), [("some", "'some'"), (True, "true"), (["all"], '["all"]')]
)
def test_a_bad_metadata_value_is_an_error_of_the_notebook(
    here: Path, value: Any, shown: str
) -> None:
    path = here / "lesson.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[md("Q\n\n-\n\nA")])), encoding="utf-8")
    node = nbformat.read(path, as_version=4)
    node.metadata["anki"] = {"cells": value}
    nbformat.write(node, path)
    notes, problems = parsed(path)
    assert notes == []
    assert problems == [
        f"lesson.ipynb: notebook metadata 'anki.cells' must be one of auto, all, marked, "
        f"not {shown}"
    ]


def project_with_config(root: Path, config_cells: str | None, notebook_cells: str | None) -> None:
    write(root / "notes" / "lesson.ipynb", MIXED, notebook_cells)
    (root / "decks").mkdir()
    line = f"cells: {config_cells}\n" if config_cells else ""
    (root / "decks" / "lesson.yaml").write_text(
        f"name: Lesson\nsources: [notes/*.ipynb]\n{line}", encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("config", "metadata", "cli", "notes"),
    [
        pytest.param(None, None, ["--cells", "all"], 8, id="cli-only"),
        pytest.param("marked", None, ["--cells", "all"], 5, id="config-over-cli"),
        pytest.param("all", None, ["--cells", "marked"], 8, id="config-over-cli-2"),
        pytest.param("all", "marked", ["--cells", "all"], 5, id="metadata-over-config"),
        pytest.param(None, None, [], 8, id="auto"),
        pytest.param("marked", None, [], 5, id="config-only"),
    ],
)
def test_metadata_over_deck_config_over_command_line(
    here: Path, config: str | None, metadata: str | None, cli: list[str], notes: int
) -> None:
    project_with_config(here, config, metadata)
    result = CliRunner().invoke(main, ["build", "decks/lesson.yaml", *cli])
    assert result.exit_code == 0, result.output
    assert f"decks/lesson.apkg: {notes} notes" in result.output


def test_the_pipeline_passes_cells_to_a_folder_build(here: Path) -> None:
    write(here / "notes" / "lesson.ipynb", MIXED)
    output = here / "out.apkg"
    result = pipeline.build([here / "notes"], output, cells="all", dry_run=True)
    assert result.counts().startswith("8 notes")
    result = pipeline.build([here / "notes"], output, cells="marked", dry_run=True)
    assert result.counts().startswith("5 notes")


def test_export_notebook_takes_the_cell_mode(here: Path) -> None:
    path = write(here / "lesson.ipynb", MIXED)
    assert export_notebook(path, cells="all", keep_going=False).counts().startswith("8 notes")
    with pytest.raises(AnkiToolsError, match="cells must be one of auto, all, marked"):
        export_notebook(path, cells="some")


def notes_in(apkg: bytes, folder: Path) -> int:
    (folder / "deck.apkg").write_bytes(apkg)
    with zipfile.ZipFile(folder / "deck.apkg") as package:
        package.extract("collection.anki2", folder)
    with closing(sqlite3.connect(folder / "collection.anki2")) as db:
        count: int = db.execute("select count(*) from notes").fetchone()[0]
    return count


@pytest.mark.parametrize(("mode", "count"), [("marked", 5), ("all", 8), (None, 8)])
def test_the_nbconvert_exporter_takes_the_cell_mode(
    here: Path, mode: str | None, count: int
) -> None:
    from traitlets.config import Config

    from anki_tools.exporter import AnkiExporter

    path = write(here / "lesson.ipynb", MIXED)
    exporter = AnkiExporter(config=Config({"AnkiExporter": {"cells": mode}}))
    apkg, _ = exporter.from_filename(str(path))
    assert notes_in(apkg, here) == count


# --- in a real Anki collection ---------------------------------------------------------


@pytest.mark.e2e
def test_a_marked_notebooks_deck_holds_exactly_its_marked_cards(
    anki: AnkiProfile, here: Path
) -> None:
    path = write(here / "lesson.ipynb", MIXED, "marked")
    result = pipeline.build([path], here / "lesson.apkg", timestamp=FIXED_TIME)
    assert result.written and not result.problems, result
    assert anki.import_deck(here / "lesson.apkg") == (5, 0, 0)
    questions = sorted(card.question for card in anki.cards())
    assert len(questions) == 5  # one card each: cloze c1, type-in, basic ones
    shown = " ".join(questions)
    for front in ("a[-1]", "Paris is the", "2 + 2 =", "What is a hint for?", "A tagged card"):
        assert front in shown
    for prose in (PROSE, "Some more explanation", "Just prose again"):
        assert prose not in shown
