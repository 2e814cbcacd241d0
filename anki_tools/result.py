"""What a build did: counts, changes since the lock, problems and the output, as lines
or as HTML for Jupyter."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, Severity, grouped, printable
from .notes import display_path
from .sharing.report import ChangeReport
from .sharing.similar import shown_alike


@dataclass
class BuildResult:
    """What a build did, for the CLI's summary line or a notebook's display."""

    output: Path | None
    notes: int = 0
    cards: int = 0
    media: int = 0
    decks: tuple[str, ...] = ()
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    changes: ChangeReport | None = None  # against the lock; None for a check
    dry_run: bool = False
    up_to_date: bool = False  # nothing it was built from changed: not built again

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def shown_problems(self) -> list[Problem]:
        """The problems as they are printed: a repeated warning once, with a count; alike
        fronts by cluster, a bounded number of clusters unless this is a check."""
        return grouped(shown_alike(self.problems, every_group=self.output is None))

    def counts(self) -> str:
        """`3 notes, 4 cards, 1 media (1 error, 0 warnings)`."""
        line = f"{plural(self.notes, 'note')}, {plural(self.cards, 'card')}, {self.media} media"
        if self.errors or self.warnings:
            errors = plural(len(self.errors), "error")
            warnings = plural(len(self.warnings), "warning")
            line += f" ({errors}, {warnings})"
        return line

    def summary(self) -> str:
        """`decks/x.apkg: 3 notes, 4 cards, 1 media` (without a path for a check)."""
        if self.output is None:
            return self.counts()
        output = display_path(self.output)
        if self.up_to_date:
            return f"{output}: up to date"
        if self.dry_run:
            return f"{output} (dry run, nothing written): {self.counts()}"
        return f"{output if self.written else 'nothing written'}: {self.counts()}"

    def change_lines(self) -> list[str]:
        """What changed since the lock: every note for a dry run, else the removed ones."""
        if self.changes is None or not (self.written or self.dry_run):
            return []
        return self.changes.lines(every_note=self.dry_run)

    def __str__(self) -> str:
        lines = [self.summary(), *self.change_lines()]  # titles and paths from sources
        return "\n".join([*(str(p) for p in self.shown_problems()), *map(printable, lines)])

    def _repr_html_(self) -> str:
        """How Jupyter shows the result of `export_notebook()` in a cell's output."""
        if self.written:
            headline = f"Wrote <code>{html.escape(str(self.output))}</code>"
        elif self.up_to_date:
            headline = f"<code>{html.escape(str(self.output))}</code> is up to date"
        elif self.output is None:
            headline = "Checked"
        else:
            headline = "<strong>Nothing written</strong>"
        decks = ", ".join(html.escape(deck) for deck in self.decks) or "none"
        rows = "".join(
            f'<li style="color:{_COLOURS[p.severity]}">{html.escape(str(p))}</li>'
            for p in self.shown_problems()
        )
        problems = f"<ul>{rows}</ul>" if rows else ""
        changes = "".join(f"<br>{html.escape(line)}" for line in self.change_lines())
        return (
            f"<div><p>{headline}: {html.escape(self.counts())}<br>"
            f"Decks: {decks}{changes}</p>{problems}</div>"
        )


_COLOURS = {Severity.ERROR: "#c62828", Severity.WARNING: "#b26a00"}


def plural(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
