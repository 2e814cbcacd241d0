"""Notebooks as they are found in the wild, built into a real Anki collection.

Real courses ship nbformat 4.2 notebooks whose markdown cells carry `execution_count`
and `outputs`, 4.4 notebooks whose cells have an `id`, 4.5 notebooks without ids and
cells without `metadata`. Jupyter opens them all; so do we: one warning per notebook
(its first schema problem, and that it was read anyway), and the cards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from cli_run import run
from nbformat import v4

import anki_tools

from anki_collection import AnkiProfile

TAG_RE = re.compile(r"<[^>]+>")
READ_ANYWAY = "; read anyway, as Jupyter does"


def raw_notebook(minor: int, cells: list[dict[str, Any]], **top: Any) -> str:
    content = {"nbformat": 4, "nbformat_minor": minor, "metadata": {}, "cells": cells, **top}
    return json.dumps(content, indent=1)


def md_42(source: list[str]) -> dict[str, Any]:
    """A markdown cell as old Jupyter versions saved it: with a code cell's keys."""
    return {
        "cell_type": "markdown",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def build(in_tmp: Path, files: dict[str, str]) -> Any:
    for name, text in files.items():
        path = in_tmp / "notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return run("build", "notes", "-o", "out.apkg")


def warnings_of(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": warning: " in line]


def shown(anki: AnkiProfile, in_tmp: Path) -> dict[str, str]:
    """Each card's question → its answer, as text, from the real collection."""
    anki.import_deck(in_tmp / "out.apkg")
    return {
        TAG_RE.sub(" ", card.question).split()[0]: " ".join(TAG_RE.sub(" ", card.answer).split())
        for card in anki.cards()
    }


def test_nbformat_42_markdown_cells_with_outputs_build_with_one_warning(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    cells = [md_42(["Alpha?\n", "-\n", "Alpha answer"]), md_42(["Beta?\n", "-\n", "Beta answer"])]
    result = build(in_tmp, {"old.ipynb": raw_notebook(2, cells)})

    assert result.exit_code == 0, result.output
    assert warnings_of(result) == [
        "notes/old.ipynb:cell 1: warning: not a valid notebook (nbformat 4.2): Additional "
        "properties are not allowed ('execution_count', 'outputs' were unexpected)" + READ_ANYWAY
    ]
    cards = shown(anki, in_tmp)
    assert sorted(cards) == ["Alpha?", "Beta?"]
    assert "Alpha answer" in cards["Alpha?"]
    assert "Beta answer" in cards["Beta?"]


def test_nbformat_44_cells_with_ids_build_and_keep_their_ids(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    cells = [
        {"cell_type": "markdown", "id": "gamma", "metadata": {}, "source": "Gamma?\n-\nG"},
        {"cell_type": "markdown", "id": "delta", "metadata": {}, "source": "Delta?\n-\nD"},
    ]
    result = build(in_tmp, {"ids.ipynb": raw_notebook(4, cells)})

    assert result.exit_code == 0, result.output
    assert warnings_of(result) == [
        "notes/ids.ipynb:cell 1: warning: not a valid notebook (nbformat 4.4): Additional "
        "properties are not allowed ('id' was unexpected)" + READ_ANYWAY
    ]
    assert sorted(shown(anki, in_tmp)) == ["Delta?", "Gamma?"]
    # The saved ids identify the cards: renaming nothing, rewording the front keeps them.
    guids = {card.fields["Front"]: card.guid for card in anki.cards()}
    reworded = [dict(cells[0], source="Gamma, reworded?\n-\nG"), cells[1]]
    build(in_tmp, {"ids.ipynb": raw_notebook(4, reworded)})
    assert anki.import_deck(in_tmp / "out.apkg")[1] == 1  # updated in place, not new
    assert sorted(card.guid for card in anki.cards()) == sorted(guids.values())


def test_nbformat_45_without_ids_and_without_metadata_builds(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    """No cell ids (nbformat invents them; the cards are known by their fronts) and cells
    without `metadata`: read as if it were empty."""
    no_ids = v4.new_notebook(cells=[v4.new_markdown_cell("Epsilon?\n-\nE")])
    del no_ids.cells[0]["id"]
    bare = [{"cell_type": "markdown", "source": "Zeta?\n-\nZ"}]
    result = build(
        in_tmp,
        {"no-ids.ipynb": json.dumps(no_ids), "bare.ipynb": raw_notebook(5, bare)},
    )

    assert result.exit_code == 0, result.output
    assert warnings_of(result) == [
        "notes/bare.ipynb:cell 1: warning: not a valid notebook (nbformat 4.5): "
        "'metadata' is a required property" + READ_ANYWAY
    ]
    cards = shown(anki, in_tmp)
    assert sorted(cards) == ["Epsilon?", "Zeta?"]
    assert "Z" in cards["Zeta?"].split()


def test_a_notebook_without_metadata_builds(in_tmp: Path, anki: AnkiProfile) -> None:
    nb = json.loads(nbformat.writes(v4.new_notebook(cells=[v4.new_markdown_cell("Eta?\n-\nH")])))
    del nb["metadata"]
    result = build(in_tmp, {"nometa.ipynb": json.dumps(nb)})

    assert result.exit_code == 0, result.output
    assert warnings_of(result) == [
        "notes/nometa.ipynb: warning: not a valid notebook (nbformat 4.5): "
        "'metadata' is a required property" + READ_ANYWAY
    ]
    assert sorted(shown(anki, in_tmp)) == ["Eta?"]


def test_many_schema_problems_are_one_warning_naming_the_first(in_tmp: Path) -> None:
    cells = [md_42([f"Card {n}?\n-\nA"]) for n in range(5)]
    cells[2]["extra"] = True
    result = build(in_tmp, {"old.ipynb": raw_notebook(2, cells)})

    assert result.exit_code == 0, result.output
    (warning,) = warnings_of(result)
    assert warning.startswith("notes/old.ipynb:cell 1: warning: not a valid notebook")
    assert "5 notes, 5 cards" in result.stdout


def test_a_long_schema_message_is_shortened_without_the_value(in_tmp: Path) -> None:
    """jsonschema quotes the whole value it rejects (a cell, an output): not on one line."""
    cells = [
        {"cell_type": "markdown", "id": 12345, "metadata": {}, "source": "Theta?\n-\nT"},
        {"cell_type": "markdown", "id": "ok", "metadata": {"tags": "x" * 500}, "source": "Iota?"},
    ]
    result = build(in_tmp, {"odd.ipynb": raw_notebook(5, cells)})

    assert result.exit_code == 0, result.output
    assert warnings_of(result)[0] == (
        "notes/odd.ipynb:cell 1: warning: not a valid notebook (nbformat 4.5): "
        "'id' is not of type 'string'" + READ_ANYWAY
    )
    assert all(len(line) < 300 for line in result.stderr.splitlines())


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        (
            {"cell_type": "markdown", "metadata": {}, "source": ["Kappa", 7]},
            "its 'source' is not text",
        ),
        ({"cell_type": "markdown", "metadata": []}, "it has no 'source'"),
        (
            {"cell_type": "markdown", "metadata": [], "source": "Kappa"},
            "its 'metadata' is not a mapping",
        ),
        (
            {"cell_type": "heading", "metadata": {}, "source": "Kappa"},
            "unknown cell type 'heading'",
        ),
        ("Kappa", "it is not a mapping of keys to values"),
        (
            {
                "cell_type": "code",
                "metadata": {},
                "source": "k = 1",
                "outputs": [{"text": "Kappa"}],
            },
            "its output 1 has no 'output_type'",
        ),
        (
            {"cell_type": "code", "metadata": {}, "source": "k", "outputs": {"text": "Kappa"}},
            "its 'outputs' are not a list",
        ),
        (
            {"cell_type": "markdown", "metadata": {}, "source": "Kappa", "attachments": ["k.png"]},
            "its 'attachments' are not a mapping of names to images",
        ),
    ],
    ids=[
        "source-list-of-int",
        "no-source",
        "metadata-list",
        "v3-cell-type",
        "not-a-cell",
        "output-without-type",
        "outputs-not-a-list",
        "attachments-list",
    ],
)
def test_a_cell_that_cannot_be_read_is_left_out_at_its_cell(
    in_tmp: Path, anki: AnkiProfile, cell: Any, why: str
) -> None:
    good = {"cell_type": "markdown", "id": "lam", "metadata": {}, "source": "Lambda?\n-\nL"}
    result = build(
        in_tmp, {"mixed.ipynb": raw_notebook(5, [good, cell, dict(good, id="mu", source="Mu?")])}
    )

    assert result.exit_code == 0, result.output
    assert f"notes/mixed.ipynb:cell 2: warning: cell left out: {why}" in warnings_of(result)
    assert sorted(shown(anki, in_tmp)) == ["Lambda?", "Mu?"]
    assert not any("Kappa" in card.question + card.answer for card in anki.cards())


def test_a_notebook_with_no_usable_cell_is_an_error(in_tmp: Path) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": 1}] * 2
    result = build(in_tmp, {"junk.ipynb": raw_notebook(5, cells)})

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors == ["notes/junk.ipynb: not a valid notebook: none of its cells can be read"]
    assert not (in_tmp / "out.apkg").exists()


def test_unusable_kernel_metadata_is_ignored(in_tmp: Path, anki: AnkiProfile) -> None:
    """`language_info` that is no mapping says nothing about the language: code is plain."""
    nb = v4.new_notebook(cells=[v4.new_code_cell("nu = 1", metadata={"tags": ["card"]})])
    nb.metadata.update(language_info="python", kernelspec=["python3"])
    result = build(in_tmp, {"kernel.ipynb": json.dumps(nb)})

    assert result.exit_code == 0, result.output
    anki.import_deck(in_tmp / "out.apkg")
    (card,) = anki.cards()
    assert "nu = 1" in card.question


# --- IPython code: highlighted as Python, without a warning --------------------------------

PYTHON_SPANS = ('<span class="kn">import</span>', '<span class="nn">os</span>')


@pytest.mark.parametrize("fence", ["ipython", "ipython3", "IPython3"])
def test_an_ipython_fence_is_highlighted_as_python(
    in_tmp: Path, anki: AnkiProfile, fence: str
) -> None:
    note = f"## Omicron?\n\n```{fence}\nimport os\n```\n"
    result = build(in_tmp, {"a.md": note})

    assert result.exit_code == 0, result.output
    assert warnings_of(result) == []
    anki.import_deck(in_tmp / "out.apkg")
    (card,) = anki.cards()
    assert all(span in card.answer for span in PYTHON_SPANS), card.answer
    assert '<div class="highlight language-python">' in card.answer  # styled as Python


@pytest.mark.parametrize(
    "metadata",
    [
        {"language_info": {"pygments_lexer": "ipython3"}},
        {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "ipython"}},
    ],
    ids=["pygments-lexer", "kernel-language"],
)
def test_a_notebook_of_an_ipython_kernel_is_highlighted_as_python(
    in_tmp: Path, anki: AnkiProfile, metadata: dict[str, Any]
) -> None:
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("Pi?"),
            v4.new_code_cell("import os", metadata={"tags": ["card"]}, outputs=[]),
        ],
    )
    nb.metadata.update(metadata)  # without the `name` the schema wants: only the lexer
    result = build(in_tmp, {"kernel.ipynb": json.dumps(nb)})

    assert result.exit_code == 0, result.output
    assert [line for line in warnings_of(result) if "language" in line] == []
    anki.import_deck(in_tmp / "out.apkg")
    (card,) = anki.cards()
    assert all(span in card.answer for span in PYTHON_SPANS), card.answer


# --- a warning repeated in one file: printed once, with a count ----------------------------


def unknown_language_cards(count: int, name: str = "a") -> str:
    """`count` cards of one code block each in an unknown language: lines 3, 9, 15, …"""
    return "".join(f"## Card {name}{n}\n\n```pyhton\nx = {n}\n```\n\n" for n in range(count))


UNKNOWN = "warning: unknown code language 'pyhton', shown as plain text"


def test_a_repeated_warning_is_one_line_at_its_first_place_with_the_others(in_tmp: Path) -> None:
    result = build(
        in_tmp,
        {
            "a.md": unknown_language_cards(7, "a"),
            "b.md": unknown_language_cards(2, "b"),
            "c.md": unknown_language_cards(1, "c"),
        },
    )

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"notes/a.md:3: {UNKNOWN} (and 6 more times in this file: lines 9, 15, 21, 27, 33, …)",
        f"notes/b.md:3: {UNKNOWN} (and 1 more time in this file: line 9)",
        f"notes/c.md:3: {UNKNOWN}",
    ]
    assert "(0 errors, 10 warnings)" in result.stdout  # the count is of every warning


def test_errors_are_never_grouped_and_keep_their_order(in_tmp: Path) -> None:
    cards = (
        unknown_language_cards(2)
        + "## Broken\n\n![a](gone.png)\n\n## Broken too\n\n![a](gone.png)\n"
    )
    result = build(in_tmp, {"a.md": cards})

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"notes/a.md:3: {UNKNOWN} (and 1 more time in this file: line 9)",
        "notes/a.md:15: image not found: 'gone.png'",
        "notes/a.md:19: image not found: 'gone.png'",
    ]


def test_a_repeated_notebook_warning_names_its_cells(in_tmp: Path) -> None:
    cells = [v4.new_markdown_cell(f"Rho {n}?\n-") for n in range(3)] + [
        v4.new_markdown_cell("Sigma?\n-\nS")
    ]
    cells.append(v4.new_markdown_cell("Tau?\n-"))
    result = build(in_tmp, {"n.ipynb": nbformat.writes(v4.new_notebook(cells=cells))})

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "notes/n.ipynb:cell 1: warning: the card has no answer after its '-' line "
        "(and 3 more times in this file: cells 2, 3, 5)"
    ]


def test_the_result_in_a_notebook_shows_a_repeated_warning_once(in_tmp: Path) -> None:
    """What `export_notebook()` returns prints and displays the grouped problems too."""
    cells = [v4.new_markdown_cell(f"Upsilon {n}?\n-") for n in range(2)]
    (in_tmp / "u.ipynb").write_text(nbformat.writes(v4.new_notebook(cells=cells)), encoding="utf-8")
    result = anki_tools.export_notebook("u.ipynb", "u.apkg")

    grouped = (
        "u.ipynb:cell 1: warning: the card has no answer after its '-' line "
        "(and 1 more time in this file: cell 2)"
    )
    assert str(result).splitlines()[0] == grouped
    assert result._repr_html_().count("<li") == 1
    assert len(result.warnings) == 2  # every warning is still in the result
