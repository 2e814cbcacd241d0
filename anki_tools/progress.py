"""How far a build is: the steps the stages report, and the bar a terminal shows of them.

The stages report steps (`Step`: files read and rendered, notes written) through a
`Progress` callback; they know nothing of terminals. `TerminalBar` draws them on a
terminal, only once a build has run for `SHOW_AFTER` seconds, so a quick build prints
no bar at all, and it erases itself when closed, so the warnings that follow start on a
clean line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

SHOW_AFTER = 1.0  # seconds: a build shorter than this shows no bar
REDRAW_EVERY = 0.1  # seconds between two drawings of the bar
BAR_WIDTH = 30

READING = "Reading"  # files parsed and rendered
CHECKING = "Checking"  # the notes' identities against each other and the lock: no count
WRITING = "Writing"  # notes written into the package


@dataclass(frozen=True)
class Step:
    """`done` of `total` things of one stage (`READING` files, `WRITING` notes)."""

    stage: str
    done: int
    total: int


Progress = Callable[[Step], None]


def shows_bar(is_terminal: bool, elapsed: float) -> bool:
    """A bar only on a terminal (not in CI logs or pipes) and only for a build that has
    already run long enough for a user to wonder."""
    return is_terminal and elapsed >= SHOW_AFTER


class TerminalBar:
    """A one-line bar on `stream`, drawn over itself with `\\r`."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._terminal = stream.isatty()
        self._drawn_at = 0.0
        self._drawn: Step | None = None  # None: not drawn yet
        self._width = 0  # of the longest line drawn

    def __call__(self, step: Step) -> None:
        now = self._clock()
        if not shows_bar(self._terminal, now - self._started):
            return
        # A stage's first and last steps are always drawn, so a new stage shows at once.
        changed = self._drawn is None or step.stage != self._drawn.stage
        finished = step.done >= step.total
        if not (changed or finished) and now - self._drawn_at < REDRAW_EVERY:
            return
        self._drawn = step
        self._drawn_at = now
        line = line_for(step)
        # Spaces, not an escape code, wipe a longer line drawn before: every terminal
        # (an old Windows console too) shows them as they are meant.
        self._stream.write("\r" + line.ljust(self._width))
        self._width = max(self._width, len(line))
        self._stream.flush()

    def close(self) -> None:
        """Erase the bar, if it was drawn: what is printed next starts a clean line."""
        if self._drawn is not None:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()


def line_for(step: Step) -> str:
    """`Reading  [#####-----] 120/400 files  40%`; a check has no count to show."""
    if step.stage == CHECKING:
        return f"{step.stage:<8} {step.total} notes"
    share = min(step.done / step.total, 1.0) if step.total else 1.0
    filled = round(share * BAR_WIDTH)
    noun = "files" if step.stage == READING else "notes"
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    return f"{step.stage:<8} [{bar}] {step.done}/{step.total} {noun} {share:4.0%}"
