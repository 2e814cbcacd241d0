"""One exception root for user-facing errors, and the problem list a run collects."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from .notes import Source


class AnkiToolsError(Exception):
    """A mistake in the user's input or surroundings; the CLI prints it without a
    traceback and exits with its `exit_code` (as click's exceptions carry theirs).

    Every error a user can meet is one of the classes below; the CLI turns them into a
    message and an exit status (cli.py: `_run`, and `_build_configs` for deck configs).
    Exit codes: 1 for content and output errors; click's own usage errors exit with 2."""

    exit_code = 1

    def __init__(self, message: str, source: Source | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source

    def __str__(self) -> str:
        return printable(f"{self.source}: {self.message}" if self.source else self.message)


class SourceError(AnkiToolsError):
    """A source file cannot be read or parsed."""


class ConfigError(AnkiToolsError):
    """A deck config is not valid YAML or has a bad or unknown key."""


class LockError(AnkiToolsError):
    """The lock file cannot be read: broken YAML, a bad merge, a newer format."""


class TemplateError(AnkiToolsError):
    """A note-type folder is missing files or has bad metadata."""


class OutputError(AnkiToolsError):
    """The deck cannot be written (disk full, no permission)."""


class SyncError(AnkiToolsError):
    """Sync cannot read its state, or cannot find, open or write the collection."""


class ExportError(AnkiToolsError):
    """A notebook exported from Jupyter has content errors; the message lists them
    (exporter.py's `AnkiExportError` is this as nbconvert's ConversionException too)."""


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Alike:
    """What a near-duplicate warning is about, so that the warnings of one cluster of
    alike fronts are shown together (sharing/similar.py: `shown_alike`)."""

    earlier: Source  # the card this one's front is alike
    deck: str
    cluster: int  # the build position of the cluster's first card: one key a cluster


@dataclass(frozen=True)
class Problem:
    """One message about one place in the sources."""

    source: Source
    message: str
    severity: Severity = Severity.ERROR
    alike: Alike | None = None

    def __str__(self) -> str:
        label = "warning: " if self.severity is Severity.WARNING else ""
        return printable(f"{self.source}: {label}{self.message}")


# A file name or a quoted bit of a source must not break the one-line message or drive
# the terminal (ESC sequences erase lines, set titles): control characters are shown
# as escapes.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    return CONTROL_RE.sub(lambda match: repr(match.group())[1:-1], text)


class Problems:
    """Collects every problem of a run so they can be reported together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, source: Source, message: str) -> None:
        self.items.append(Problem(source, message, Severity.ERROR))

    def warning(self, source: Source, message: str, alike: Alike | None = None) -> None:
        self.items.append(Problem(source, message, Severity.WARNING, alike))

    def extend(self, items: list[Problem]) -> None:
        """Problems found elsewhere (a worker process), in their order."""
        self.items += items

    def add(self, error: AnkiToolsError, fallback: Source) -> None:
        self.error(error.source or fallback, error.message)

    def mark(self) -> int:
        """A point to ask `errors_since` about: did this card or file add errors?"""
        return len(self.items)

    def errors_since(self, mark: int) -> bool:
        return any(p.severity is Severity.ERROR for p in self.items[mark:])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.WARNING]


PLACES_SHOWN = 5
# How every "this gave no cards" message begins: a parser that says why itself (a
# notebook's cell mode) is known by it, and no second warning is added.
NO_CARDS = "no cards found"


def grouped(problems: list[Problem]) -> list[Problem]:
    """The problems as they are shown: a warning repeated in one file (the same message)
    once, at its first place, with how many more times and where. A learner fixing a
    notebook needs each warning once, not 40 lines of it; every error stays its own line,
    and the order is that of the first places."""
    repeats: dict[tuple[Path, str], list[Source]] = {}
    for problem in problems:
        if problem.severity is Severity.WARNING:
            repeats.setdefault((problem.source.path, problem.message), []).append(problem.source)
    shown = []
    for problem in problems:
        if problem.severity is Severity.WARNING:
            places = repeats.pop((problem.source.path, problem.message), None)
            if places is None:
                continue  # shown with its first place
            if len(places) > 1:
                problem = replace(problem, message=problem.message + _more(places[1:]))
        shown.append(problem)
    return shown


def _more(places: list[Source]) -> str:
    """` (and 4 more times in this file: lines 9, 20, …)`."""
    times = "1 more time" if len(places) == 1 else f"{len(places)} more times"
    if all(place.cell is not None for place in places):
        noun, numbers = "cell", [place.cell for place in places]
    elif all(place.line is not None for place in places):
        noun, numbers = "line", [place.line for place in places]
    else:
        return f" (and {times} in this file)"
    unique = list(dict.fromkeys(numbers))  # two warnings of one cell name it once
    listed = ", ".join(str(number) for number in unique[:PLACES_SHOWN])
    listed += ", …" if len(unique) > PLACES_SHOWN else ""
    return f" (and {times} in this file: {noun}{'s' if len(unique) > 1 else ''} {listed})"
