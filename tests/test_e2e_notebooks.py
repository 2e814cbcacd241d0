"""End to end: notebooks built into decks, imported into a real Anki collection."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import anki_tools
from anki_tools import build
from anki_tools.cli import main
from anki_tools.render.media import media_name

from anki_collection import AnkiProfile, ShownCard
from conftest import FIXED_TIME, PNG_BYTES

pytestmark = pytest.mark.e2e

ANCHOR_NOTEBOOK = Path(__file__).parent / "fixtures" / "anchor" / "jupyter_to_anki_template.ipynb"
# The workplace corpus the fixture was copied from, when it is next to the checkout.
CORPUS_NOTEBOOK = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "anchor" / ANCHOR_NOTEBOOK.name
)
ANCHOR_TAGS = ["content::sub_tag::subsub", "src::second_sub_tag::subsub"]
KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10"/></svg>'
JPEG_BYTES = b"\xff\xd8\xff\xe0fake-jpeg-for-the-test\xff\xd9"


def by_first_line(cards: list[ShownCard]) -> dict[str, ShownCard]:
    return {card.fields[next(iter(card.fields))].split("\n")[0]: card for card in cards}


def anchor_cards(anki: AnkiProfile, tmp_path: Path) -> list[ShownCard]:
    result = build([ANCHOR_NOTEBOOK], tmp_path / "anchor.apkg", timestamp=FIXED_TIME)
    assert result.written and not result.problems, result
    assert anki.import_deck(tmp_path / "anchor.apkg") == (4, 0, 0)
    return sorted(anki.cards(), key=lambda card: card.question)


def anchor_attachments() -> list[bytes]:
    """The images attached to the anchor's cells, in cell order."""
    notebook = json.loads(ANCHOR_NOTEBOOK.read_text(encoding="utf-8"))
    return [
        base64.b64decode(bundle["image/png"])
        for cell in notebook["cells"]
        for bundle in cell.get("attachments", {}).values()
    ]


# --- the demo notebook of jupyter-to-anki -----------------------------------------------


@pytest.mark.skipif(not CORPUS_NOTEBOOK.exists(), reason="the shared corpus is not checked out")
def test_anchor_fixture_is_the_corpus_notebook_unchanged():
    assert ANCHOR_NOTEBOOK.read_bytes() == CORPUS_NOTEBOOK.read_bytes()


def test_anchor_builds_four_cards_in_its_deck_with_its_tags(anki: AnkiProfile, tmp_path: Path):
    cards = anchor_cards(anki, tmp_path)
    assert len(cards) == 4
    assert {card.deck for card in cards} == {"MyDeck"}
    assert all(sorted(card.tags) == ANCHOR_TAGS for card in cards)
    assert sorted(card.note_type for card in cards) == [
        "anki-tools Basic",
        "anki-tools Basic",
        "anki-tools Image",
        "anki-tools Type-in",
    ]
    # The code that calls the old tool is not a card, nor are the meta cell's lines.
    assert not any("write_cards_to_anki_package" in card.question for card in cards)
    assert not any("DECK =" in card.question for card in cards)


def test_anchor_attachment_images_travel_inside_the_deck(anki: AnkiProfile, tmp_path: Path):
    cards = anchor_cards(anki, tmp_path)
    expected = {media_name(data, ".png"): data for data in anchor_attachments()}
    assert len(expected) == 2  # two cells attach different images, both named image.png
    assert anki.media_files() == expected
    shown = " ".join(card.question + card.answer for card in cards)
    for name in expected:
        assert f'src="{name}"' in shown


def test_anchor_two_sided_card_has_spoiler_quote_boxes_and_hint(anki: AnkiProfile, tmp_path: Path):
    card = by_first_line(anchor_cards(anki, tmp_path))[
        "<p>This is the front of a two-sided card.</p>"
    ]
    assert '<span class="at-spoiler">spoiler text</span>' in card.question
    assert "This is the back of the card." not in card.question
    assert "This is the back of the card." in card.answer
    assert '<details class="at-hint">' in card.question
    assert "This is a hint." in card.question
    quote, plain_quote = card.answer.split('<div class="at-quote">')[1:3]
    assert "This is a quote." in quote
    assert '<div class="at-quote-source">' in quote
    assert "The source can also go onto more than one line" in quote
    assert "Here is a quote without a source." in plain_quote
    assert "at-quote-source" not in plain_quote


def test_anchor_type_in_box_sits_in_the_highlighted_indented_code(
    anki: AnkiProfile, tmp_path: Path
):
    card = next(c for c in anchor_cards(anki, tmp_path) if c.note_type == "anki-tools Type-in")
    assert '<div class="highlight language-python">' in card.question
    assert '<span class="k">def</span>' in card.question
    assert '<span class="at-typein">100</span>' in card.question
    assert "{{{" not in card.question
    assert "<li>First point</li>" in card.question
    assert '<details class="at-hint">' in card.question


def test_anchor_image_card_and_plain_cell(anki: AnkiProfile, tmp_path: Path):
    cards = anchor_cards(anki, tmp_path)
    image = next(c for c in cards if c.note_type == "anki-tools Image")
    assert "This is an image card." in image.question
    assert "This is the other side of the card." in image.answer
    plain = next(c for c in cards if "because it's further than 2 lines down" in c.question)
    assert plain.fields["Back"] == ""
    assert plain.fields["Source"].startswith(
        '<span class="at-source-file">jupyter_to_anki_template.ipynb</span> › '
    )


def test_anchor_guids_come_from_cell_ids_and_are_stable(anki: AnkiProfile, tmp_path: Path):
    first = build([ANCHOR_NOTEBOOK], tmp_path / "one.apkg", timestamp=FIXED_TIME)
    second = build([ANCHOR_NOTEBOOK], tmp_path / "two.apkg", timestamp=FIXED_TIME + 60)
    assert first.written and second.written
    assert anki.import_deck(tmp_path / "one.apkg") == (4, 0, 0)
    guids = {card.guid for card in anki.cards()}
    # The same notebook again: the same four notes, updated (newer), none added.
    assert anki.import_deck(tmp_path / "two.apkg") == (0, 4, 0)
    assert {card.guid for card in anki.cards()} == guids


# --- notebooks built in memory -------------------------------------------------------------


def lesson() -> Any:
    """A notebook using every cell convention, with outputs as Jupyter saves them."""
    png = base64.b64encode(PNG_BYTES).decode()
    notebook = new_notebook(metadata={**KERNEL, "anki": {"deck": "Lessons", "tags": "np"}})
    notebook.cells = [
        new_markdown_cell("# NumPy lesson"),
        new_code_cell("import numpy as np"),  # untagged: ignored
        new_markdown_cell("What does `np.arange(3)` give?"),
        new_code_cell(
            "np.arange(3)",
            metadata={"tags": ["card"]},
            outputs=[
                new_output("execute_result", {"text/plain": "array([0, 1, 2])"}, execution_count=1)
            ],
        ),
        new_markdown_cell("TAGS = np::plots visual\nDECK = Lessons::Plots"),
        new_code_cell(
            "plt.plot([1, 2])\nprint('\\x1b[32mdone\\x1b[0m')",
            metadata={"tags": ["card"]},
            outputs=[
                new_output("stream", name="stdout", text="\x1b[32mdone\x1b[0m\n"),
                new_output(
                    "display_data",
                    {"image/png": png, "text/plain": "<Figure size 640x480>"},
                    metadata={"image/png": {"width": 320}},
                ),
            ],
        ),
        new_markdown_cell("Which table does `df.head(1)` show?\n\n-\n\nThe first row:"),
        new_code_cell(
            "df.head(1)",
            metadata={"tags": ["back"]},
            outputs=[
                new_output(
                    "execute_result",
                    {
                        "text/html": "<style>td{}</style><table><tr><td>42</td></tr></table>"
                        "<script>alert(1)</script>",
                        "text/plain": "   a\n0  42",
                    },
                    execution_count=2,
                )
            ],
        ),
        new_code_cell(
            "1 / 0",
            metadata={"tags": ["Back"]},
            outputs=[
                new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
                )
            ],
        ),
        new_markdown_cell("The vector logo:\n\n-\n\nIt is drawn in SVG."),
        new_code_cell(
            "logo()",
            metadata={"tags": ["front", "remove-input"]},
            outputs=[
                new_output("display_data", {"image/svg+xml": SVG}),
                new_output("display_data", {"image/jpeg": base64.b64encode(JPEG_BYTES).decode()}),
            ],
        ),
        new_markdown_cell("A skipped note", metadata={"tags": ["skip"]}),
        new_code_cell('print(f"{{{x}}}")', metadata={"tags": ["card"]}, outputs=[]),
    ]
    return notebook


def write_notebook(folder: Path, name: str, notebook: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(notebook, path)
    return path


def lesson_cards(anki: AnkiProfile, tmp_path: Path) -> dict[str, ShownCard]:
    path = write_notebook(tmp_path / "nb", "lesson.ipynb", lesson())
    result = build([path], tmp_path / "lesson.apkg", timestamp=FIXED_TIME)
    assert result.written and not result.errors, result
    anki.import_deck(tmp_path / "lesson.apkg")
    cards = anki.cards()
    assert len(cards) == 5
    return {re.sub("<[^>]+>", "", card.fields["Source"].split("› ")[1]): card for card in cards}


def test_question_answered_by_the_code_cell_below_is_one_note(anki: AnkiProfile, tmp_path: Path):
    card = lesson_cards(anki, tmp_path)["What does `np.arange(3)` give?"]
    assert card.deck == "Lessons"
    assert card.tags == ["np"]
    assert "np.arange(3)" in card.question  # the markdown question
    assert "array([0, 1, 2])" not in card.question
    answer = card.answer.split('<hr id="answer">')[1]
    assert (
        '<span class="n">np</span><span class="o">.</span><span class="n">arange</span>' in answer
    )
    assert '<div class="at-output at-output-result">' in answer
    assert "array([0, 1, 2])" in answer


def test_code_card_with_plot_and_stream_follows_the_meta_cell(anki: AnkiProfile, tmp_path: Path):
    cards = lesson_cards(anki, tmp_path)
    card = cards["code cell 6"]
    assert card.deck == "Lessons::Plots"
    assert sorted(card.tags) == ["np::plots", "visual"]
    assert '<span class="n">plt</span>' in card.question
    assert "at-output" not in card.question
    answer = card.answer.split('<hr id="answer">')[1]
    name = media_name(PNG_BYTES, ".png")
    assert (
        f'<div class="at-output at-output-image"><img src="{name}" alt="output" width="320">'
        in answer
    )
    stdout = answer.split('<div class="at-output at-output-stdout">')[1]
    assert "done" in stdout and "\x1b" not in stdout and "[32m" not in stdout
    assert "&lt;Figure" not in answer  # the image wins over its text/plain
    assert anki.media_files()[name] == PNG_BYTES


def test_back_cells_add_sanitized_table_and_traceback(anki: AnkiProfile, tmp_path: Path):
    card = lesson_cards(anki, tmp_path)["Which table does `df.head(1)` show?"]
    assert "df.head(1)" in card.question
    assert "<table>" not in card.question
    answer = card.answer.split('<hr id="answer">')[1]
    assert answer.index("The first row:") < answer.index("<table>")
    html_output = answer.split('<div class="at-output at-output-html">')[1]
    assert "<td>42</td>" in html_output
    assert "alert(1)" not in answer and "td{}" not in answer
    error = answer.split('<div class="at-output at-output-error">')[1]
    assert "ZeroDivisionError: division by zero" in error
    assert "[0;31m" not in error


def test_front_cell_adds_outputs_without_its_code(anki: AnkiProfile, tmp_path: Path):
    cards = lesson_cards(anki, tmp_path)
    card = cards["The vector logo:"]
    svg, jpeg = media_name(SVG.encode(), ".svg"), media_name(JPEG_BYTES, ".jpg")
    assert f'src="{svg}"' in card.question and f'src="{jpeg}"' in card.question
    assert "logo()" not in card.question  # remove-input
    media = anki.media_files()
    assert media[svg] == SVG.encode() and media[jpeg] == JPEG_BYTES
    assert "It is drawn in SVG." in card.answer.split('<hr id="answer">')[1]


def test_code_is_literal_and_skipped_cells_are_not_cards(anki: AnkiProfile, tmp_path: Path):
    cards = lesson_cards(anki, tmp_path)
    card = cards["code cell 13"]
    assert card.note_type == "anki-tools Basic"  # braces in code make no type-in card
    assert "at-typein" not in card.question
    # Escaped, so Anki's cloze syntax cannot see them either; a browser shows braces.
    assert "{" not in card.fields["Front"]
    assert card.fields["Front"].count("&#123;") == 3
    assert not any("A skipped note" in c.question for c in cards.values())
    assert not any("NumPy lesson" in c.question for c in cards.values())


def test_rebuilding_an_unchanged_or_edited_notebook_keeps_the_guids(
    anki: AnkiProfile, tmp_path: Path
):
    path = write_notebook(tmp_path / "nb", "lesson.ipynb", lesson())
    assert build([path], tmp_path / "one.apkg", timestamp=FIXED_TIME).written
    assert build([path], tmp_path / "two.apkg", timestamp=FIXED_TIME).written
    assert anki.import_deck(tmp_path / "one.apkg") == (5, 0, 0)
    before = {card.guid for card in anki.cards()}
    # Same sources, same time: Anki sees nothing new.
    assert anki.import_deck(tmp_path / "two.apkg") == (0, 0, 5)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[2].source = "What does `np.arange(3)` return, exactly?"  # a reworded front
    notebook.cells[6].source = notebook.cells[6].source.replace("The first row", "Row zero")
    nbformat.write(notebook, path)
    assert build([path], tmp_path / "three.apkg", timestamp=FIXED_TIME + 60).written
    new, updated, _ = anki.import_deck(tmp_path / "three.apkg")
    assert (new, updated) == (0, 5)
    after = anki.cards()
    assert {card.guid for card in after} == before
    assert any("return, exactly?" in card.question for card in after)
    assert any("Row zero" in card.answer for card in after)


def test_notebook_without_cell_ids_gets_the_same_guids_every_build(
    anki: AnkiProfile, tmp_path: Path
):
    old = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": KERNEL,
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["Old question?\n", "-\n", "Yes."]},
            {"cell_type": "markdown", "metadata": {}, "source": "Another one?\n-\nNo."},
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old), encoding="utf-8")
    assert build([path], tmp_path / "one.apkg", timestamp=FIXED_TIME).written
    assert build([path], tmp_path / "two.apkg", timestamp=FIXED_TIME + 60).written
    assert anki.import_deck(tmp_path / "one.apkg") == (2, 0, 0)
    assert anki.import_deck(tmp_path / "two.apkg") == (0, 2, 0)
    assert json.loads(path.read_text(encoding="utf-8")) == old  # never rewritten on disk


def test_v3_notebook_is_upgraded_and_builds(anki: AnkiProfile, tmp_path: Path):
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Old"},
                    {"cell_type": "markdown", "metadata": {}, "source": "Front?\n\n-\n\nBack."},
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": "1 + 1",
                        "metadata": {"tags": ["card"]},
                        "outputs": [
                            {
                                "output_type": "pyout",
                                "prompt_number": 1,
                                "text": "2",
                                "metadata": {},
                            }
                        ],
                        "collapsed": False,
                    },
                ]
            }
        ],
    }
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(v3), encoding="utf-8")
    assert build([path], tmp_path / "v3.apkg", timestamp=FIXED_TIME).written
    assert anki.import_deck(tmp_path / "v3.apkg") == (2, 0, 0)
    cards = {card.fields["Front"][:40]: card for card in anki.cards()}
    assert any("Back." in card.answer for card in cards.values())
    code = next(card for card in cards.values() if "code cell 3" in card.fields["Source"])
    assert ">2\n</code>" in code.answer


def test_folder_mixing_markdown_and_notebooks(anki: AnkiProfile, tmp_path: Path, write_notes):
    root = write_notes({"python/basics.md": "## What is a list?\n\nA mutable sequence.\n"})
    write_notebook(root / "python", "numpy.ipynb", lesson())
    write_notebook(root / "python" / ".ipynb_checkpoints", "numpy-checkpoint.ipynb", lesson())
    result = CliRunner().invoke(main, ["build", str(root), "-o", str(tmp_path / "all.apkg")])
    assert result.exit_code == 0, result.output
    assert "6 notes" in result.output
    assert anki.import_deck(tmp_path / "all.apkg") == (6, 0, 0)
    decks = {card.deck for card in anki.cards()}
    assert decks == {"python", "Lessons", "Lessons::Plots"}


def test_deck_option_wins_over_notebook_metadata_not_over_deck_cells(
    anki: AnkiProfile, tmp_path: Path
):
    path = write_notebook(tmp_path / "nb", "lesson.ipynb", lesson())
    assert build([path], tmp_path / "d.apkg", deck="Mine", timestamp=FIXED_TIME).written
    anki.import_deck(tmp_path / "d.apkg")
    assert {card.deck for card in anki.cards()} == {"Mine", "Lessons::Plots"}


# --- the Python API and nbconvert ------------------------------------------------------------


def test_export_notebook_writes_beside_the_notebook_and_summarises(
    anki: AnkiProfile, tmp_path: Path
):
    path = write_notebook(tmp_path / "nb", "lesson.ipynb", lesson())
    result = anki_tools.export_notebook(path)
    assert result.written and result.output == path.with_suffix(".apkg")
    assert (result.notes, result.cards, result.media) == (5, 5, 3)
    assert result.decks == ("Lessons", "Lessons::Plots")
    assert [str(w).split(": warning: ")[1] for w in result.warnings] == [
        "the code card has no outputs: run and save the notebook"
    ]
    shown = result._repr_html_()
    assert "Wrote <code>" in shown and "5 notes, 5 cards, 3 media" in shown
    assert "no outputs" in shown
    assert anki.import_deck(path.with_suffix(".apkg")) == (5, 0, 0)


def test_export_notebook_reports_errors_without_raising(tmp_path: Path):
    notebook = new_notebook(metadata=KERNEL)
    notebook.cells = [new_markdown_cell("Unclosed (S)spoiler")]
    path = write_notebook(tmp_path, "broken.ipynb", notebook)
    result = anki_tools.export_notebook(path, tmp_path / "out" / "broken.apkg")
    assert not result.written
    assert [str(e) for e in result.errors] == [
        f"{path}:cell 1: unbalanced spoiler '(S)': no closing '(S)'"
    ]
    assert not (tmp_path / "out" / "broken.apkg").exists()
    assert "Nothing written" in result._repr_html_()


def test_export_this_notebook_from_a_jupyter_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = write_notebook(tmp_path / "lessons", "week1.ipynb", lesson())
    monkeypatch.chdir(path.parent)  # a kernel runs in its notebook's folder
    monkeypatch.setenv("JPY_SESSION_NAME", "lessons/week1.ipynb")  # relative to the server root
    assert anki_tools.this_notebook() == path
    assert anki_tools.export_notebook().output == path.with_suffix(".apkg")
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(anki_tools.errors.AnkiToolsError, match="cannot tell which notebook"):
        anki_tools.this_notebook()


def nbconvert(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`jupyter nbconvert --to anki` as a user runs it (warnings off: they are not ours)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    return subprocess.run(
        [str(jupyter), "nbconvert", "--to", "anki", *options, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_nbconvert_to_anki_writes_a_deck(anki: AnkiProfile, tmp_path: Path):
    path = write_notebook(tmp_path, "lesson.ipynb", lesson())
    completed = nbconvert(path)
    assert completed.returncode == 0, completed.stderr
    assert anki.import_deck(tmp_path / "lesson.apkg") == (5, 0, 0)
    assert {card.deck for card in anki.cards()} == {"Lessons", "Lessons::Plots"}
    with zipfile.ZipFile(tmp_path / "lesson.apkg") as package:
        assert "collection.anki2" in package.namelist()


def test_nbconvert_reports_content_errors_without_a_traceback(tmp_path: Path):
    notebook = new_notebook(metadata=KERNEL)
    notebook.cells = [new_markdown_cell("Fine?\n-\nYes"), new_markdown_cell("{{c1::open")]
    path = write_notebook(tmp_path, "broken.ipynb", notebook)
    completed = nbconvert(path)
    assert completed.returncode == 1
    assert "broken.ipynb:cell 2: unbalanced cloze '{{c1::': no '}}'" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "broken.apkg").exists()


def test_nbconvert_reads_the_file_as_a_build_does(tmp_path: Path):
    """The exporter reads a named notebook itself: a broken one is the build's message at
    its line, and a schema problem the build's one warning (nbformat logged its own)."""
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [\n  {"cell_type": "markdown",\n', encoding="utf-8")
    completed = nbconvert(broken)
    assert completed.returncode == 1
    assert "broken.ipynb:2: not a notebook: invalid JSON" in completed.stderr
    assert "Traceback" not in completed.stderr
    notebook = lesson()
    raw = json.loads(nbformat.writes(notebook))
    raw["cells"][0]["outputs"] = []  # a markdown cell with outputs: read with a warning
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    completed = nbconvert(path)
    assert completed.returncode == 0, completed.stderr
    assert "old.ipynb:cell 1: warning: not a valid notebook" in completed.stderr
    assert "Notebook JSON is invalid" not in completed.stderr


def test_anchor_copy_builds_with_nbconvert_too(anki: AnkiProfile, tmp_path: Path):
    path = tmp_path / "template.ipynb"
    shutil.copyfile(ANCHOR_NOTEBOOK, path)
    completed = nbconvert(path)
    assert completed.returncode == 0, completed.stderr
    assert anki.import_deck(tmp_path / "template.apkg") == (4, 0, 0)
    assert len(anki.media_files()) == 2


def test_this_notebook_in_vs_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_notebook(tmp_path / "vscode", "scratch.ipynb", lesson())
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    # VS Code puts the notebook's absolute path into the kernel's namespace (__main__).
    monkeypatch.setattr(sys.modules["__main__"], "__vsc_ipynb_file__", str(path), raising=False)
    assert anki_tools.this_notebook() == path


def test_nbconvert_keep_going_writes_good_cards_and_logs_the_errors(
    anki: AnkiProfile, tmp_path: Path
):
    notebook = new_notebook(metadata=KERNEL)
    notebook.cells = [new_markdown_cell("Fine?\n-\nYes"), new_markdown_cell("{{c1::open")]
    path = write_notebook(tmp_path, "half.ipynb", notebook)
    completed = nbconvert(path, "--AnkiExporter.keep_going=True")
    assert completed.returncode == 0, completed.stderr
    assert "ERROR | " in completed.stderr
    assert "half.ipynb:cell 2: unbalanced cloze '{{c1::': no '}}'" in completed.stderr
    assert anki.import_deck(tmp_path / "half.apkg") == (1, 0, 0)


def test_nbconvert_keeps_the_guids_of_cells_with_a_repeated_id(tmp_path: Path):
    """nbconvert hands over a node whose repeated ids nbformat replaced with random ones:
    the exporter takes the file's, so those cards are known by their fronts every time."""
    cell = {"cell_type": "markdown", "id": "copied", "metadata": {}}
    old = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": KERNEL,
        "cells": [{**cell, "source": "One?\n-\nYes."}, {**cell, "source": "Two?\n-\nNo."}],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old), encoding="utf-8")
    guids = []
    for folder in ("one", "two"):
        completed = nbconvert(path, "--output-dir", str(tmp_path / folder))
        assert completed.returncode == 0, completed.stderr
        with zipfile.ZipFile(tmp_path / folder / "old.apkg") as package:
            package.extract("collection.anki2", tmp_path / folder)
        with sqlite3.connect(tmp_path / folder / "collection.anki2") as db:
            guids.append(db.execute("select guid from notes").fetchall())
    assert sorted(guids[0]) == sorted(guids[1]) and len(guids[0]) == 2


def test_nbconvert_keeps_a_lock_beside_the_notebook_so_edits_update_in_place(
    anki: AnkiProfile, tmp_path: Path
):
    """nbconvert hands us no output path: the lock goes beside the notebook (where the
    deck goes by default); an unchanged rerun gives the same bytes, an edit updates."""
    notebook = lesson()
    path = write_notebook(tmp_path, "lesson.ipynb", notebook)
    assert nbconvert(path).returncode == 0
    assert (tmp_path / "lesson.lock").is_file()
    first = (tmp_path / "lesson.apkg").read_bytes()
    assert anki.import_deck(tmp_path / "lesson.apkg") == (5, 0, 0)

    assert nbconvert(path).returncode == 0
    assert (tmp_path / "lesson.apkg").read_bytes() == first

    notebook.cells[6].source = notebook.cells[6].source.replace("The first row:", "Row 0:")
    write_notebook(tmp_path, "lesson.ipynb", notebook)
    completed = nbconvert(path)
    assert completed.returncode == 0, completed.stderr
    assert anki.import_deck(tmp_path / "lesson.apkg") == (0, 1, 4)
    assert any("Row 0:" in card.fields["Back"] for card in anki.cards())


def test_exporter_makes_the_deck_in_memory_with_the_bytes_a_build_writes(tmp_path: Path):
    """The exporter hands nbconvert the package's bytes, made in memory: no .apkg is
    written anywhere by it, only the lock beside the notebook. Its bytes are those that
    `anki-tools build` of the notebook writes afterwards from the same lock."""
    from anki_tools.exporter import AnkiExporter

    path = write_notebook(tmp_path, "lesson.ipynb", lesson())
    opened: list[str] = []
    watching = [True]

    def note_apkg_opens(event: str, args: tuple[Any, ...]) -> None:
        # An audit hook cannot be removed: it stops listening when the export is done.
        if watching and event == "open" and ".apkg" in str(args[0]):
            opened.append(str(args[0]))

    sys.addaudithook(note_apkg_opens)
    try:
        package, _ = AnkiExporter().from_filename(str(path))
    finally:
        watching.clear()
    assert opened == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "lesson.ipynb",
        "lesson.lock",
    ]
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert "collection.anki2" in archive.namelist()

    result = build([path], path.with_suffix(".apkg"))
    assert result.written
    assert path.with_suffix(".apkg").read_bytes() == package
