"""What a build changes for someone who imported the previous one: each note's change
against the lock, and the notes the lock had that the build no longer makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..notes import Source, display_path
from .lock import LockedNote


class Change(Enum):
    ADDED = "added"
    CHANGED = "changed"
    REWORDED = "reworded"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class NoteChange:
    change: Change
    source: Source
    title: str
    moved_from: str | None = None  # the lock's `path:line`, when the card changed file


@dataclass
class ChangeReport:
    """What a build changes for someone who imported the previous one."""

    lock_path: Path
    first_build: bool  # no lock yet: everything is new
    for_sync: bool = False  # sync retires removed notes in the learner's own collection
    notes: list[NoteChange] = field(default_factory=list)
    removed: list[LockedNote] = field(default_factory=list)

    def count(self, change: Change) -> int:
        return sum(1 for note in self.notes if note.change is change)

    def counts(self) -> str:
        """`2 added, 1 changed, 0 reworded, 1 removed, 40 unchanged`."""
        parts = [f"{self.count(change)} {change.value}" for change in Change]
        parts.insert(3, f"{len(self.removed)} removed")
        return ", ".join(parts)

    def lines(self, every_note: bool) -> list[str]:
        """The counts, then each removed note (and with `every_note` each change)."""
        lines = [f"changes: {self.counts()}"]
        if self.first_build:
            lines[0] += f" (no lock file yet: {self.lock_path.name} records them)"
        if every_note:
            changed = [note for note in self.notes if note.change is not Change.UNCHANGED]
            lines += [self._change_line(note) for note in changed]
        if self.removed:
            lines += [f"  removed   {self._shown(e.source)}  {e.title}" for e in self.removed]
            ids = ",".join(str(entry.note_id) for entry in self.removed)
            keeps = (
                "sync retires them in your collection (below); members who import the deck "
                "keep them, with their reviews, until they delete them"
                if self.for_sync
                else "Anki keeps removed notes, with their reviews, until you delete them there"
            )
            lines.append(f"  {keeps}; find them in the Browse window with: nid:{ids}")
        return lines

    def _change_line(self, note: NoteChange) -> str:
        moved = f"  (moved from {self._shown(note.moved_from)})" if note.moved_from else ""
        return f"  {note.change.value:<9} {note.source}  {note.title}{moved}"

    def _shown(self, locked_source: str) -> str:
        """A lock's `path:line` (relative to the lock) as messages show places (to the cwd)."""
        file, _, place = locked_source.rpartition(":")
        return f"{display_path(self.lock_path.parent / file)}:{place}"
