"""The lock file beside a deck: what the last build gave each note and note type.

A rebuild reads it to keep guids, note ids and modified times, and moves a modified time
only when what Anki would store changed. It is YAML with one line per note, so a commit's
diff shows exactly the notes that changed, and is meant to be committed with the sources.
It comes from other people: lock_text.py reads the text, lock_check.py checks each value.

Format version 1; `deck` was added to note entries later, and locks without it still read.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import limits
from ..errors import LockError, SourceError
from ..files import read_at_most, write_atomically
from ..notes import Source, display_path
from . import lock_check, lock_text
from .lock_check import VERSION
from .lock_text import REBUILD_HINT, LockTextError

SUFFIX = ".lock"
CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")
# YAML refuses these characters even inside quotes; write them as escapes.
UNWRITABLE_RE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class LockedNote:
    """One note as the last build wrote it."""

    guid: str
    source: str  # `path:line` or `path:cell N`, the path relative to the lock's folder
    title: str
    note_id: int
    modified: int  # seconds, as Anki stores a note's modified time
    front: str  # hash of the normalized front text
    content: str  # hash of what Anki stores: note type, fields, tags, deck
    kind: str  # the note type's card kind: `basic`, `cloze`, …
    explicit_id: str | None = None
    cell_id: str | None = None
    deck: str | None = None  # the note's deck; None in locks written before it was recorded
    line: int | None = field(default=None, compare=False)  # in the lock it was read from

    @property
    def file(self) -> str:
        return self.source.rpartition(":")[0]


@dataclass(frozen=True)
class LockedNoteType:
    """A note type as the last build wrote it; `modified` moves when its hash does."""

    id: int
    hash: str
    modified: int


@dataclass
class Lock:
    notes: list[LockedNote] = field(default_factory=list)
    note_types: dict[str, LockedNoteType] = field(default_factory=dict)
    exists: bool = False

    def latest_modified(self) -> int:
        """The newest modified time any earlier build gave a note or note type."""
        times = [n.modified for n in self.notes] + [t.modified for t in self.note_types.values()]
        return max(times, default=0)

    def latest_note_id(self) -> int:
        return max((n.note_id for n in self.notes), default=0)


def path_for(deck: Path) -> Path:
    """`decks/python.apkg` → `decks/python.lock`."""
    return deck.with_suffix(SUFFIX)


def read_lock(path: Path, now: int | None = None) -> Lock:
    """The lock at `path`; an empty one when there is none yet.

    The lock is untrusted input: every field is checked for its type and range, and no
    time may be more than a day ahead of `now` (seconds; the clock by default)."""
    data = _read_bytes(path)
    if data is None:
        return Lock()
    try:
        text = lock_text.decode(data)
        _check_conflict_markers(text, path)
        return _lock_from(lock_text.parse(text), int(time.time()) if now is None else now)
    except LockTextError as error:
        raise LockError(error.message, Source(path, error.line)) from error


def _read_bytes(path: Path) -> bytes | None:
    """The file's bytes, one past the size limit at most (`lock_text.decode` names the
    line that passes it); None when there is no file."""
    if not path.exists():
        return None
    try:
        return read_at_most(path, limits.LOCK_MAX_BYTES + 1)[0]
    except SourceError as error:
        raise LockError(f"the lock file: {error.message}", Source(path)) from error


def _check_conflict_markers(text: str, path: Path) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(CONFLICT_MARKERS):
            raise LockTextError(
                "unresolved merge conflict: keep one side (e.g. `git checkout --theirs "
                f"{display_path(path)}`) and build again; the build brings in the other "
                "side's cards",
                number,
            )


def _lock_from(top: lock_text.Top | None, now: int) -> Lock:
    checked, bounds = lock_check.check_version(top), lock_check.Bounds.at(now)
    notes = [
        LockedNote(**lock_check.note_fields(entry, bounds), line=entry.line)
        for entry in lock_check.section(checked, "notes", list)
    ]
    types = lock_check.section(checked, "note_types", dict)
    note_types = {
        name: LockedNoteType(**lock_check.note_type_fields(name, entry, bounds))
        for name, entry in types.items()
    }
    _check_unique_guids(notes)
    return Lock(notes, note_types, exists=True)


def _check_unique_guids(notes: list[LockedNote]) -> None:
    seen: set[str] = set()
    for note in notes:
        if note.guid in seen:
            raise LockTextError(
                f"guid {note.guid} appears twice (a merge gone wrong?){REBUILD_HINT}",
                note.line or 1,
            )
        seen.add(note.guid)


def write_lock(lock: Lock, path: Path, deck: Path) -> None:
    """Write the lock atomically, one line per note in build order."""
    lines = [
        f"# anki-tools lock file for {deck.name}: commit it with the sources.",
        "# It keeps each note's guid, note id and modified time from build to build, so",
        "# re-importing the deck updates notes in place. Build again rather than edit it.",
        f"version: {VERSION}",
        "note_types:" + ("" if lock.note_types else " {}"),
    ]
    for kind, note_type in lock.note_types.items():
        values: dict[str, str | int] = {"id": note_type.id, "hash": note_type.hash}
        values["modified"] = note_type.modified
        lines.append(f"  {kind}: {_flow(values)}")
    lines.append("notes:" + ("" if lock.notes else " []"))
    lines += [f"  - {_flow(_note_fields(note))}" for note in lock.notes]
    _write_atomically("\n".join(lines) + "\n", path)


def _note_fields(note: LockedNote) -> dict[str, str | int]:
    fields: dict[str, str | int] = {
        "guid": note.guid,
        "source": note.source,
        "title": note.title,
        "nid": note.note_id,
        "modified": note.modified,
        "front": note.front,
        "content": note.content,
        "kind": note.kind,
    }
    if note.deck is not None:
        fields["deck"] = note.deck
    if note.explicit_id is not None:
        fields["id"] = note.explicit_id
    if note.cell_id is not None:
        fields["cell"] = note.cell_id
    return fields


def _flow(values: dict[str, str | int]) -> str:
    """One JSON object: also a YAML flow mapping, and quick to read back line by line."""
    text = _FLOW.encode(values)
    return UNWRITABLE_RE.sub(_escaped, text)


# json.dumps with arguments makes its encoder anew for each call: one per note.
_FLOW = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _escaped(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode())


def _write_atomically(text: str, path: Path) -> None:
    try:
        write_atomically(path, lambda temporary: _write_text(temporary, text))
    except OSError as error:
        raise LockError(f"cannot write the lock file: {error.strerror}", Source(path)) from error
