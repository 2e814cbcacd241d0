"""The command line: summary line, default output, check, exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from anki_tools import cli
from anki_tools.cli import main

NOTES = {"python/a.md": "## Q1\n\nA1\n\n## Q2 {.reverse}\n\nA2\n", "img.md": "## Q3\n\nA3\n"}


def test_build_prints_a_one_line_summary(write_notes, in_tmp: Path) -> None:
    write_notes(NOTES)
    result = CliRunner().invoke(main, ["build", "notes", "-o", "out/deck.apkg"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "out/deck.apkg: 3 notes, 4 cards, 0 media\n"
        "changes: 3 added, 0 changed, 0 reworded, 0 removed, 0 unchanged"
        " (no lock file yet: deck.lock records them)\n"
    )
    assert (in_tmp / "out" / "deck.apkg").stat().st_size > 0


def test_default_output_is_named_after_the_folder(write_notes, in_tmp: Path) -> None:
    write_notes(NOTES)
    result = CliRunner().invoke(main, ["build", "notes"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / "notes.apkg").exists()


def test_check_writes_nothing_and_counts(write_notes, in_tmp: Path) -> None:
    write_notes(NOTES)
    result = CliRunner().invoke(main, ["check", "notes"])
    assert result.exit_code == 0
    assert result.stdout == "3 notes, 4 cards, 0 media\n"
    assert not list(in_tmp.glob("*.apkg"))


def test_warnings_keep_exit_code_zero(write_notes, in_tmp: Path) -> None:
    write_notes({"a.md": "## Q\n\n```pyhton\nx\n```\n"})
    result = CliRunner().invoke(main, ["build", "notes", "-o", "a.apkg"])
    assert result.exit_code == 0
    assert "notes/a.md:3: warning: unknown code language 'pyhton'" in result.stderr
    assert "1 note, 1 card, 0 media (0 errors, 1 warning)" in result.stdout


def test_file_without_cards_warns_and_empty_build_fails(write_notes, in_tmp: Path) -> None:
    write_notes({"a.md": "# Only a title\n\ntext\n"})
    result = CliRunner().invoke(main, ["build", "notes", "-o", "a.apkg"])
    assert result.exit_code == 1
    assert "notes/a.md: warning: no cards found" in result.stderr
    assert "nothing to build" in result.stderr
    assert not (in_tmp / "a.apkg").exists()


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "anki_tools", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("anki-tools, version ")


def test_overlapping_paths_read_each_file_once(write_notes, in_tmp: Path) -> None:
    write_notes(NOTES)
    result = CliRunner().invoke(main, ["check", "notes", "notes/python"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "3 notes, 4 cards, 0 media\n"


def test_a_folders_readme_is_not_notes(write_notes, in_tmp: Path) -> None:
    write_notes({**NOTES, "README.md": "# My notes\n\n## How to build\n\nRun it.\n"})
    result = CliRunner().invoke(main, ["check", "notes"])
    assert result.stdout == "3 notes, 4 cards, 0 media (0 errors, 1 warning)\n"
    assert "warning: skipped notes/README.md" in result.stderr


def test_deck_file_is_readable_by_others(write_notes, in_tmp: Path) -> None:
    write_notes(NOTES)
    old_mask = os.umask(0o022)
    try:
        CliRunner().invoke(main, ["build", "notes", "-o", "deck.apkg"])
    finally:
        os.umask(old_mask)
    assert (in_tmp / "deck.apkg").stat().st_mode & 0o777 == 0o644


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "shown"), [(Terminal(), True), (io.StringIO(), False)])
def test_progress_bar_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, shown: bool
) -> None:
    monkeypatch.setattr(sys, "stderr", stream)
    with cli._progress() as bar:
        assert (bar is not None) is shown


def test_unknown_theme_is_a_usage_error(write_notes, tmp_path: Path) -> None:
    root = write_notes({"a.md": "## Q\n\nA\n"})
    result = CliRunner().invoke(main, ["build", str(root), "--theme", "neon"])
    assert result.exit_code == 2
    assert "no theme 'neon' (known: default, paper)" in result.output
