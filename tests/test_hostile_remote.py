"""Issue 11, item 11: remote images are announced, and refused with --no-remote.

A remote `<img>` is fetched by every member's Anki each time the card shows: its server
learns who studies which card, and when. A build warns at the image's line; with
`--no-remote` (or `no_remote: true` in a deck config) it is an error and nothing is written.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cli_run import run

TRACKER = "https://tracker.test/pixel.png"


def notebook(*cells: dict) -> str:
    return json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}, indent=1
    )


@pytest.mark.parametrize(
    "image",
    [
        f"![pixel]({TRACKER})",
        f'<img src="{TRACKER}" alt="pixel">',
        '<IMG SRC="HTTP://tracker.test/pixel.png">',
        '<img src="//tracker.test/pixel.png">',
    ],
)
def test_a_remote_image_is_a_warning_at_its_line(write_notes, in_tmp: Path, image: str) -> None:
    write_notes({"a.md": f"## Q\n\nText\n\n{image}\n"})
    result = run("build", "notes", "-o", "a.apkg")
    assert result.exit_code == 0, result.output
    assert "notes/a.md:5: warning: remote image '" in result.stderr
    assert "--no-remote" in result.stderr


@pytest.mark.parametrize("image", [f"![pixel]({TRACKER})", '<img src="//tracker.test/p.png">'])
def test_no_remote_refuses_it_and_writes_nothing(write_notes, in_tmp: Path, image: str) -> None:
    write_notes({"a.md": f"## Q\n\n{image}\n\n## Fine\n\nA\n"})
    result = run("build", "notes", "-o", "a.apkg", "--no-remote")
    assert result.exit_code == 1
    assert "notes/a.md:3: remote image '" in result.stderr
    assert "refused (--no-remote)" in result.stderr
    assert not (in_tmp / "a.apkg").exists()


def test_check_no_remote_reports_it(write_notes, in_tmp: Path) -> None:
    write_notes({"a.md": f"## Q\n\n![x]({TRACKER})\n"})
    result = run("check", "notes", "--no-remote")
    assert result.exit_code == 1
    assert "notes/a.md:3: remote image 'https://tracker.test/pixel.png' refused" in result.stderr


def test_links_and_local_images_are_not_remote_resources(write_notes, in_tmp: Path) -> None:
    """A link is only followed when clicked; nothing to warn about."""
    write_notes({"a.md": f"## Q\n\n[the docs]({TRACKER}) and <https://example.test>\n"})
    result = run("build", "notes", "-o", "a.apkg", "--no-remote")
    assert result.exit_code == 0, result.output
    assert "remote" not in result.stderr


def test_a_remote_image_in_a_notebook_output_is_found(in_tmp: Path) -> None:
    notes = in_tmp / "notes"
    notes.mkdir()
    html_output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/html": [f'<p>plot</p><img src="{TRACKER}">'], "text/plain": ["plot"]},
    }
    cells = [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "What does it show?"},
        {
            "cell_type": "code",
            "id": "b",
            "metadata": {"tags": ["card"]},
            "execution_count": 1,
            "source": "show()",
            "outputs": [html_output],
        },
    ]
    (notes / "n.ipynb").write_text(notebook(*cells))
    # Found while rendering the card (which starts at its question's cell), named by
    # the cell whose output holds it.
    warned = run("build", "notes", "-o", "n.apkg")
    assert warned.exit_code == 0, warned.output
    assert "notes/n.ipynb:cell 2: warning: remote image 'https://tracker.test/pixel.png'" in (
        warned.stderr
    )
    refused = run("build", "notes", "-o", "m.apkg", "--no-remote")
    assert refused.exit_code == 1
    assert "notes/n.ipynb:cell 2: remote image 'https://tracker.test/pixel.png' refused" in (
        refused.stderr
    )


def project(root: Path, config: str) -> None:
    (root / "notes").mkdir()
    (root / "notes" / "a.md").write_text(f"## Q\n\n![x]({TRACKER})\n")
    (root / "decks").mkdir()
    (root / "decks" / "group.yaml").write_text(config)


def test_a_deck_config_can_refuse_remote_images(in_tmp: Path) -> None:
    project(in_tmp, "name: Group\nsources: [notes/*.md]\nno_remote: true\n")
    result = run("build")
    assert result.exit_code == 1
    assert "notes/a.md:3: remote image 'https://tracker.test/pixel.png' refused" in result.stderr
    assert not (in_tmp / "decks" / "group.apkg").exists()


def test_no_remote_in_a_deck_config_must_be_true_or_false(in_tmp: Path) -> None:
    project(in_tmp, "name: Group\nsources: [notes/*.md]\nno_remote: sometimes\n")
    result = run("build")
    assert result.exit_code == 1
    assert "decks/group.yaml:3: 'no_remote' must be true or false" in result.output


def test_the_warned_image_is_what_anki_shows(write_notes, in_tmp: Path, anki) -> None:
    """Without --no-remote the card keeps the image as written: the warning tells the truth."""
    write_notes({"a.md": f"## Q\n\nLook\n-\n![pixel]({TRACKER})\n"})
    assert run("build", "notes", "-o", "a.apkg").exit_code == 0
    with zipfile.ZipFile(in_tmp / "a.apkg") as package:
        assert json.loads(package.read("media")) == {}  # nothing was fetched into the deck
    anki.import_deck(in_tmp / "a.apkg")
    (card,) = anki.cards()
    assert f'<img src="{TRACKER}" alt="pixel">' in card.answer
    assert TRACKER not in card.question
