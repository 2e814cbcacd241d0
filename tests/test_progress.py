"""The progress a build reports, and the bar a terminal shows of it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from anki_tools import pipeline, progress
from anki_tools.progress import CHECKING, READING, WRITING, Step, TerminalBar

from conftest import FIXED_TIME


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("is_terminal", "elapsed", "shown"),
    [
        (True, progress.SHOW_AFTER, True),  # a long build on a terminal
        (True, 0.5, False),  # a quick one: no bar flashes by
        (False, 60.0, False),  # a pipe or a CI log: never
    ],
)
def test_a_bar_only_on_a_terminal_once_a_build_has_taken_a_second(
    is_terminal: bool, elapsed: float, shown: bool
) -> None:
    assert progress.shows_bar(is_terminal, elapsed) is shown


def test_the_bar_waits_a_second_then_draws_each_stage_and_erases_itself() -> None:
    terminal, clock = Terminal(), Clock()
    bar = TerminalBar(terminal, clock)
    bar(Step(READING, 1, 4))
    assert terminal.getvalue() == ""  # under a second: nothing yet
    clock.now += progress.SHOW_AFTER
    bar(Step(READING, 2, 4))
    assert "Reading" in terminal.getvalue() and "2/4 files" in terminal.getvalue()
    bar(Step(READING, 3, 4))  # too soon after the last drawing
    assert "3/4" not in terminal.getvalue()
    bar(Step(READING, 4, 4))  # a stage's end is always drawn
    bar(Step(WRITING, 1, 10))  # and a new stage at once
    assert "4/4 files 100%" in terminal.getvalue() and "1/10 notes" in terminal.getvalue()
    drawn = terminal.getvalue()
    bar.close()
    erased = terminal.getvalue()[len(drawn) :]  # what follows starts on a clean line
    assert erased.replace(" ", "") == "\r\r" and len(erased) == 2 + max(map(len, drawn.split("\r")))


def test_a_quick_build_leaves_nothing_on_the_terminal() -> None:
    terminal = Terminal()
    bar = TerminalBar(terminal, Clock())
    bar(Step(READING, 1, 1))
    bar.close()
    assert terminal.getvalue() == ""


def test_a_build_reports_every_file_read_and_every_note_written(
    write_notes, tmp_path: Path
) -> None:
    root = write_notes({"a.md": "## A\n\nx\n\n## B\n\ny\n", "b/c.md": "## C\n\n{{c1::z}}\n"})
    steps: list[Step] = []
    result = pipeline.build(
        [root], tmp_path / "deck.apkg", timestamp=FIXED_TIME, progress=steps.append
    )
    assert result.written
    assert steps == [
        Step(READING, 1, 2),
        Step(READING, 2, 2),
        Step(CHECKING, 0, 3),
        Step(WRITING, 1, 3),
        Step(WRITING, 2, 3),
        Step(WRITING, 3, 3),
    ]
