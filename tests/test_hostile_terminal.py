"""Issue 11, item 10: control characters from sources never reach the terminal raw.

An ESC in a note can clear the screen, retitle the window or hide the lines above it
(`ESC[2J`, `ESC]0;…BEL`, `ESC[1A`): whatever comes from a source or a lock is printed with
its control characters escaped (`\\x1b`), on stdout and stderr alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from anki_tools import pipeline
from anki_tools.cli import main

CLEAR_SCREEN = "\x1b[2J"
SET_TITLE = "\x1b]0;owned\x07"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_escaped(result: Result, *expected: str) -> None:
    """No raw control character anywhere; each expected text shown escaped."""
    for stream in (result.stdout, result.stderr):
        assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in stream), stream
    for text in expected:
        assert text in result.output, result.output


def retitle(lock: Path, title: str, new_title: str) -> None:
    """Edit a note's title in a lock as a teammate could (one JSON object per note line)."""
    old = f'"title": {json.dumps(title)}'
    text = lock.read_text()
    assert old in text
    lock.write_text(text.replace(old, f'"title": {json.dumps(new_title)}'))


def test_a_title_in_the_dry_run_list_is_escaped(write_notes, in_tmp: Path) -> None:
    write_notes({"a.md": f"## Clear {CLEAR_SCREEN}me\n\nA\n"})
    result = run("build", "notes", "-o", "a.apkg", "--dry-run")
    assert result.exit_code == 0, result.output
    assert_escaped(result, "added     notes/a.md:1  Clear \\x1b[2Jme")


def test_a_lock_title_in_the_dry_run_list_is_escaped(write_notes, in_tmp: Path) -> None:
    """The lock comes from other people: a removed note's title is theirs."""
    write_notes({"a.md": "## Kept\n\nA\n\n## Dropped\n\nB\n"})
    assert run("build", "notes", "-o", "a.apkg").exit_code == 0
    retitle(in_tmp / "a.lock", "Dropped", f"Dropped{SET_TITLE}")
    write_notes({"a.md": "## Kept\n\nA\n"})
    result = run("build", "notes", "-o", "a.apkg", "--dry-run")
    assert_escaped(result, "\\x1b]0;owned\\x07")


def test_an_image_path_in_a_message_is_escaped(write_notes, in_tmp: Path) -> None:
    write_notes({"a.md": f'## Q\n\n<img src="pic{CLEAR_SCREEN}.png">\n'})
    result = run("build", "notes", "-o", "a.apkg")
    assert result.exit_code == 1
    assert_escaped(result, "notes/a.md:3: image not found: 'pic\\x1b[2J.png'")


def test_a_front_matter_key_in_a_warning_is_escaped(write_notes, in_tmp: Path) -> None:
    write_notes({"a.md": '---\n"x\\e[2J": 1\n---\n## Q\n\nA\n'})
    result = run("build", "notes", "-o", "a.apkg")
    assert result.exit_code == 0, result.output
    assert_escaped(result, "unknown front matter key 'x\\x1b[2J'")


def test_the_api_result_prints_escaped(write_notes, in_tmp: Path) -> None:
    """`print(build(...))` in a script or a notebook goes to a terminal too."""
    write_notes({"a.md": f"## Clear {CLEAR_SCREEN}me\n\nA\n\n## Gone\n\nB\n"})
    pipeline.build([Path("notes")], Path("a.apkg"))
    retitle(in_tmp / "a.lock", "Gone", f"Gone{CLEAR_SCREEN}")
    write_notes({"a.md": f"## Clear {CLEAR_SCREEN}me\n\nA\n"})
    text = str(pipeline.build([Path("notes")], Path("a.apkg")))
    assert "\x1b" not in text
    assert "Gone\\x1b[2J" in text
