"""A card's title (Source field, lock, change reports): plain text, cut at 80, never empty.

Through the parsers, as cards get their titles: Markdown notes by their heading,
notebook cells (built with nbformat.v4.new_*) by their first line of text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from anki_tools import build, parsers
from anki_tools.errors import Problems
from anki_tools.notes import Note
from anki_tools.syntax import engine, titles

from conftest import FIXED_TIME


def cell_titles(tmp_path: Path, *sources: str) -> list[str]:
    """The titles of the cards of a notebook of these markdown cells."""
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell(s) for s in sources]), path)
    return [note.title for note in parse(path)]


def heading_titles(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "a.md"
    path.write_text(text)
    return [note.title for note in parse(path)]


def parse(path: Path) -> list[Note]:
    problems = Problems()
    notes = parsers.parse_file(path, path.parent, None, problems)
    assert not problems.errors, [str(p) for p in problems.items]
    return notes


LINK_LINE = (
    "For the details see [Understanding the Python data model and its special methods]"
    "(https://docs.python.org/3/reference/datamodel.html) in the docs."
)


def test_a_long_first_line_with_a_link_is_cut_as_text_at_a_word(tmp_path: Path) -> None:
    (title,) = cell_titles(tmp_path, LINK_LINE + "\n-\nAnswer")
    assert "[" not in title and "](" not in title  # no Markdown left half cut
    assert title == (
        "For the details see Understanding the Python data model and its special methods…"
    )
    assert len(title) <= titles.LENGTH
    # The same rule for a heading.
    assert heading_titles(tmp_path, f"## {LINK_LINE}\n\nAnswer\n") == [title]


def test_a_comment_only_first_line_is_no_title(tmp_path: Path) -> None:
    assert cell_titles(tmp_path, "<!--BOOK_INFORMATION-->\nWhat is a view?\n-\nA window") == [
        "What is a view?"
    ]
    assert cell_titles(tmp_path, "<!-- a note to self -->\n\n## Broadcasting\n\nRules\n-\nA") == [
        "Broadcasting"
    ]


def test_an_image_only_cell_is_titled_by_its_alt_text_or_its_place(tmp_path: Path) -> None:
    assert cell_titles(tmp_path, "Q\n-\nA", "![a scatter plot](plot.png)") == [
        "Q",
        "a scatter plot",
    ]
    assert cell_titles(tmp_path, "Q\n-\nA", "![](plot.png)", '<img src="plot.png">') == [
        "Q",
        "nb.ipynb, cell 2",
        "nb.ipynb, cell 3",
    ]


def test_a_heading_of_no_text_is_titled_by_its_body_then_its_place(tmp_path: Path) -> None:
    text = "## ![](a.png)\n\nWhich plot is it?\n\n## <span></span>\n\n![](b.png)\n"
    (tmp_path / "a.png").write_bytes(b"")
    assert heading_titles(tmp_path, text) == ["Which plot is it?", "a.md, line 5"]


def test_code_spans_keep_backticks_emphasis_and_html_are_dropped(tmp_path: Path) -> None:
    assert heading_titles(
        tmp_path, "## What does `a < b` do in **Python** <kbd>3</kbd>?\n\nX\n"
    ) == ["What does `a < b` do in Python 3?"]
    assert cell_titles(tmp_path, "What is `{{c1::len}}` of *[1, 2]*?") == [
        "What is `len` of [1, 2]?"
    ]


def test_code_card_titles_stay_by_their_cell(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    cell = new_code_cell("x = 1", metadata={"tags": ["card"]})
    nbformat.write(new_notebook(cells=[cell]), path)
    assert [note.title for note in parse(path)] == ["code cell 1"]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("plain words", "plain words"),
        ("[*a* link](https://x.test) and ![alt](i.png)", "a link and alt"),
        ("an <!-- aside --> entity &amp; an escape \\*", "an  entity & an escape *"),
        ("math $x^2$ and {{{typed}}}", "math $x^2$ and typed"),
        ("first\nsecond", "first"),
        ("", "fallback"),
        ("<!-- only a comment -->", "fallback"),
        ("```\ncode first\n```", "code first"),
    ],
)
def test_the_rule_on_tokens(text: str, title: str) -> None:
    assert titles.title(engine.parse(text), "fallback") == title


def test_cut_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    assert titles.cut("x" * 80) == "x" * 80
    assert titles.cut("word " * 30) == ("word " * 16).rstrip() + "…"
    assert titles.cut("y" * 200) == "y" * 79 + "…"  # no word boundary: cut in the word


@pytest.mark.e2e
def test_anki_shows_the_plain_title_on_the_back(tmp_path: Path, anki) -> None:
    """In a real collection: the Source line under the answer shows the title as text."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text(
        "## What does `a < b` do in [*Python*](https://python.org)?\n\nCompares.\n"
    )
    cells = [new_markdown_cell("<!--BOOK_INFORMATION-->\n" + LINK_LINE + "\n-\nAnswer")]
    nbformat.write(new_notebook(cells=cells), notes / "nb.ipynb")
    result = build([notes], tmp_path / "out.apkg", timestamp=FIXED_TIME)
    assert not result.errors, result.problems
    anki.import_deck(tmp_path / "out.apkg")

    shown = {}
    for card in anki.cards():
        titled = re.search(r'<span class="at-source-title">(.*?)</span>', card.answer)
        assert titled, card.answer
        shown["nb.ipynb" if "nb.ipynb" in card.fields["Source"] else "a.md"] = titled[1]
    assert shown == {
        "a.md": "What does `a &lt; b` do in Python?",
        "nb.ipynb": "For the details see Understanding the Python data model and its special "
        "methods…",
    }
