"""Every message about a block of a card names that block's own place: its line in a
Markdown note, its own cell in a notebook card that joins several cells.

Through the command line, as a user reads them (grouped: a warning repeated in one file
is one line listing its other places).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner, Result
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from anki_tools import pipeline
from anki_tools.cli import main

UNKNOWN = "warning: unknown code language 'pyhton', shown as plain text"
REMOTE = "https://example.test/pixel.png"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    return tmp_path


def check(*paths: str) -> Result:
    result = CliRunner().invoke(main, ["check", *paths])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": " in line]


def places(paths: list[Path]) -> list[str]:
    """Every problem's place and message, not grouped."""
    built = pipeline.build(paths, None)
    return [str(problem) for problem in built.problems]


# --- Markdown: the line of the block ------------------------------------------------------

TWO_BLOCKS = """\
## Card

```pyhton
x = 1
```

Between.

```pyhton
y = 2
```
"""


def test_the_same_unknown_language_twice_names_both_lines(in_tmp: Path) -> None:
    (in_tmp / "notes" / "lang2.md").write_text(TWO_BLOCKS)
    assert TWO_BLOCKS.split("\n")[2] == TWO_BLOCKS.split("\n")[8] == "```pyhton"

    assert places([in_tmp / "notes" / "lang2.md"]) == [
        f"notes/lang2.md:3: {UNKNOWN}",
        f"notes/lang2.md:9: {UNKNOWN}",
    ]
    result = check("notes/lang2.md")
    assert result.exit_code == 0, result.output
    assert problem_lines(result) == [
        f"notes/lang2.md:3: {UNKNOWN} (and 1 more time in this file: line 9)"
    ]


def test_blocks_on_both_sides_of_the_dash_name_their_lines(in_tmp: Path) -> None:
    text = (
        "## Card\n"  # 1
        "\n"
        "![a](gone.png)\n"  # 3
        "\n"
        "-\n"  # 5
        "\n"
        "```pyhton\n"  # 7
        "x\n"
        "```\n"
        "\n"
        "![b](gone.png)\n"  # 11
        "\n"
        "{{c1::late}}\n"  # 13
    )
    (in_tmp / "notes" / "a.md").write_text(text)

    assert places([in_tmp / "notes" / "a.md"]) == [
        "notes/a.md:13: cloze and type-in markers belong before the '-' line",
    ]
    (in_tmp / "notes" / "a.md").write_text(text.replace("{{c1::late}}", "late"))
    assert places([in_tmp / "notes" / "a.md"]) == [
        "notes/a.md:3: image not found: 'gone.png'",
        f"notes/a.md:7: {UNKNOWN}",
        "notes/a.md:11: image not found: 'gone.png'",
    ]


# --- notebooks: the cell of the block -----------------------------------------------------


def spanning_notebook(path: Path) -> None:
    """One card over four cells: the question, a markdown `back` cell, a code `back` cell
    whose output shows a remote image, and a markdown `front` cell with forbidden math."""
    output = new_output(
        "display_data", data={"text/html": f'<img src="{REMOTE}">', "text/plain": "plot"}
    )
    notebook = new_notebook(
        cells=[
            new_markdown_cell("What is it?\n\n```pyhton\nx = 1\n```"),
            new_markdown_cell(
                "Because:\n\n```pyhton\ny = 2\n```\n\n![a](gone.png)",
                metadata={"tags": ["back"]},
            ),
            new_code_cell("show()", metadata={"tags": ["back"]}, outputs=[output]),
            new_markdown_cell("Also $\\style{color:red}{x}$", metadata={"tags": ["front"]}),
        ]
    )
    nbformat.write(notebook, path)


def test_each_problem_of_a_card_over_cells_names_its_own_cell(in_tmp: Path) -> None:
    spanning_notebook(in_tmp / "notes" / "nb.ipynb")

    found = places([in_tmp / "notes" / "nb.ipynb"])
    assert f"notes/nb.ipynb:cell 1: {UNKNOWN}" in found
    assert f"notes/nb.ipynb:cell 2: {UNKNOWN}" in found
    assert "notes/nb.ipynb:cell 2: image not found: 'gone.png'" in found
    assert any(
        line.startswith(f"notes/nb.ipynb:cell 3: warning: remote image '{REMOTE}'")
        for line in found
    ), found
    assert any(
        line.startswith("notes/nb.ipynb:cell 4: ") and "\\style" in line for line in found
    ), found
    assert len(found) == 5, found

    result = check("notes/nb.ipynb")
    assert result.exit_code == 1
    shown = problem_lines(result)
    assert f"notes/nb.ipynb:cell 1: {UNKNOWN} (and 1 more time in this file: cell 2)" in shown
    assert "notes/nb.ipynb:cell 2: image not found: 'gone.png'" in shown
