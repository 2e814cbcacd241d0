"""Start-up: `--help` and a Markdown check import no notebook, packaging or preview
machinery; each comes in when it is used. Each run is a fresh interpreter, as a user's is,
and reports the modules it ended with; import times are in docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOK = (
    "nbformat",
    "jsonschema",
    "anki_tools.parsers.notebook",
    "anki_tools.parsers.notebook_schema",
    "anki_tools.parsers.outputs",
)
PACKAGING = ("genanki", "anki_tools.builder", "anki_tools.exporter")
PREVIEW = ("anki_tools.preview",)
# sync's machinery and Anki's own backend (~0.3 s): only a sync loads them.
SYNC = ("anki", "anki.collection", "anki_tools.sync", "anki_tools.sync.direct")
WATCH = ("watchfiles", "anki_tools.watch", "anki_tools.serve")
# What reading and rendering notes takes (~90 ms): help, of any command, needs none of it.
PIPELINE = (
    "anki_tools.pipeline",
    "anki_tools.parsers",
    "markdown_it",
    "yaml",
    "pygments",
    "multiprocessing",
    "concurrent.futures",
)

# The command line in standalone mode, as the `anki-tools` script runs it; then the
# modules it left loaded, as the last line of stdout.
RUN_CLI = """
import json, sys
from anki_tools.cli import main
try:
    main(sys.argv[1:], prog_name="anki-tools")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

NOTEBOOK_JSON = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": "## What is 2 + 2?\n\nFour."}],
    "metadata": {"anki": {"cells": "all"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def run_cli(cwd: Path, *args: str) -> tuple[str, set[str]]:
    """What `anki-tools ARGS` printed (stdout and stderr) and the modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args], cwd=cwd, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    *printed, modules = done.stdout.splitlines()
    return "\n".join([*printed, done.stderr]), set(json.loads(modules))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


@pytest.fixture
def markdown_notes(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text(
        "## What does `len` do?\n\nCounts:\n\n```python\nlen([1, 2])\n```\n", "utf-8"
    )
    return notes


@pytest.mark.parametrize("command", [["--help"], ["build", "--help"], ["check", "--help"]])
def test_help_imports_not_even_the_pipeline(tmp_path: Path, command: list[str]) -> None:
    printed, modules = run_cli(tmp_path, *command)
    assert "Usage: anki-tools" in printed
    build_help = " ".join(run_cli(tmp_path, "build", "-h")[0].split())
    assert "--theme TEXT The look of the cards: " in build_help  # the themes, named
    assert "default: a deck config's theme, else default." in build_help
    assert loaded(modules, NOTEBOOK + PACKAGING + PREVIEW + SYNC + WATCH + PIPELINE) == []


def test_a_markdown_check_imports_no_notebook_packaging_or_preview_machinery(
    markdown_notes: Path,
) -> None:
    printed, modules = run_cli(markdown_notes.parent, "check", str(markdown_notes))
    assert "1 note, 1 card" in printed
    assert "pygments.lexers.python" in modules  # the code was highlighted
    assert loaded(modules, NOTEBOOK + PACKAGING + PREVIEW + SYNC + WATCH) == []
    assert loaded(modules, ("multiprocessing", "concurrent.futures")) == []  # no pool


def test_a_notebook_brings_the_notebook_machinery(markdown_notes: Path) -> None:
    (markdown_notes / "n.ipynb").write_text(json.dumps(NOTEBOOK_JSON), "utf-8")
    printed, modules = run_cli(markdown_notes.parent, "check", str(markdown_notes))
    assert "2 notes, 2 cards" in printed
    assert loaded(modules, NOTEBOOK) == list(NOTEBOOK)
    assert loaded(modules, PACKAGING + PREVIEW) == []


def test_a_build_brings_the_packaging_but_no_notebook_machinery(markdown_notes: Path) -> None:
    deck = markdown_notes.parent / "notes.apkg"
    printed, modules = run_cli(markdown_notes.parent, "build", str(markdown_notes), "-o", str(deck))
    assert "1 note, 1 card" in printed
    assert deck.stat().st_size > 0
    assert loaded(modules, ("genanki", "anki_tools.builder")) == ["genanki", "anki_tools.builder"]
    assert loaded(modules, NOTEBOOK + PREVIEW + WATCH) == []


def test_only_preview_brings_the_preview(markdown_notes: Path) -> None:
    page = markdown_notes.parent / "page"
    printed, modules = run_cli(
        markdown_notes.parent, "preview", str(markdown_notes), "-o", str(page)
    )
    assert "1 note, 1 card" in printed
    assert (page / "index.html").is_file()
    assert loaded(modules, PREVIEW) == list(PREVIEW)
    assert loaded(modules, NOTEBOOK + PACKAGING) == []


def test_sync_help_imports_no_anki(tmp_path: Path) -> None:
    printed, modules = run_cli(tmp_path, "sync", "--help")
    assert "--delete-removed" in printed
    assert loaded(modules, SYNC) == []
