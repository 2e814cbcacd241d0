"""The lock file beside a deck: what the last build gave each note and note type.

A rebuild reads it to keep guids, note ids and modified times, and moves a modified time
only when what Anki would store changed. It is YAML with one line per note, so a commit's
diff shows exactly the notes that changed, and is meant to be committed with the sources.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import AnkiToolsError
from .files import write_atomically
from .notes import Source, display_path

VERSION = 1
SUFFIX = ".lock"
CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")
# YAML refuses these characters even inside quotes; write them as escapes.
UNWRITABLE_RE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LockError(AnkiToolsError):
    """The lock file cannot be read: broken YAML, a bad merge, a newer format."""


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


def read_lock(path: Path) -> Lock:
    """The lock at `path`; an empty one when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock()
    except (OSError, UnicodeDecodeError) as error:
        raise LockError(f"cannot read the lock file: {error}", Source(path)) from error
    _check_conflict_markers(text, path)
    try:
        data = _as_written(text)
        if data is None:  # edited or merged by hand: read it as the YAML it is
            data = yaml.load(text, Loader=Loader)
    except yaml.YAMLError as error:
        # A note cut short is noticed on the next line; its context is the note's own.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise LockError(f"invalid YAML: {error}{REBUILD_HINT}", Source(path, line)) from error
    return _lock_from(data, path, text)


def _as_written(text: str) -> Any:
    """A lock as `write_lock` writes it, read fast: the header as YAML, then each note
    line as the JSON object it is (ten times faster than YAML for big decks). None when
    the file has another shape."""
    head, found, rest = text.partition("\nnotes:\n")
    lines = [line for line in rest.split("\n") if line]
    if not found or not all(line.startswith("  - {") for line in lines):
        return None
    try:
        data = yaml.load(head, Loader=Loader)
        notes = [json.loads(line[4:]) for line in lines]
    except (yaml.YAMLError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    data["notes"] = notes
    return data


REBUILD_HINT = (
    "; restore it from git, or delete it to start over "
    "(cards whose front was reworded since they were added would become new notes)"
)


def _check_conflict_markers(text: str, path: Path) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(CONFLICT_MARKERS):
            raise LockError(
                "unresolved merge conflict: keep one side (e.g. `git checkout --theirs "
                f"{display_path(path)}`) and build again; the build brings in the other "
                "side's cards",
                Source(path, number),
            )


def _lock_from(data: Any, path: Path, text: str) -> Lock:
    if not isinstance(data, dict) or data.get("version") is None:
        raise LockError(f"not an anki-tools lock file{REBUILD_HINT}", Source(path, 1))
    if data["version"] != VERSION:
        raise LockError(
            f"lock file version {data['version']!r}: written by another version of anki-tools "
            f"(this one reads version {VERSION})",
            Source(path, _line_of(text, "version:")),
        )
    items = data.get("notes") or []
    if not isinstance(items, list):
        raise LockError(
            f"'notes' must be a list{REBUILD_HINT}", Source(path, _line_of(text, "notes"))
        )
    notes = [_note(item, index, path, text) for index, item in enumerate(items)]
    types = data.get("note_types") or {}
    if not isinstance(types, dict):
        raise LockError(
            "'note_types' must be a mapping", Source(path, _line_of(text, "note_types"))
        )
    note_types = {
        str(kind): _note_type(item, str(kind), path, text) for kind, item in types.items()
    }
    _check_unique_guids(notes, path, text)
    return Lock(notes, note_types, exists=True)


def _note(item: Any, index: int, path: Path, text: str) -> LockedNote:
    try:
        return LockedNote(
            guid=_text(item["guid"]),
            source=_text(item["source"]),
            title=_text(item.get("title", "")),
            note_id=_integer(item["nid"]),
            modified=_integer(item["modified"]),
            front=_text(item["front"]),
            content=_text(item["content"]),
            kind=_text(item["kind"]),
            explicit_id=_optional_text(item.get("id")),
            cell_id=_optional_text(item.get("cell")),
        )
    except (KeyError, TypeError, ValueError) as error:
        line = _note_line(text, index)
        raise LockError(
            f"bad note entry ({_why(error)}){REBUILD_HINT}", Source(path, line)
        ) from error


def _note_type(item: Any, kind: str, path: Path, text: str) -> LockedNoteType:
    try:
        return LockedNoteType(
            id=_integer(item["id"]), hash=_text(item["hash"]), modified=_integer(item["modified"])
        )
    except (KeyError, TypeError, ValueError) as error:
        line = _line_of(text, f"  {kind}:")
        raise LockError(
            f"bad note type entry '{kind}' ({_why(error)})", Source(path, line)
        ) from error


def _check_unique_guids(notes: list[LockedNote], path: Path, text: str) -> None:
    seen: set[str] = set()
    for index, note in enumerate(notes):
        if note.guid in seen:
            raise LockError(
                f"guid {note.guid} appears twice (a merge gone wrong?){REBUILD_HINT}",
                Source(path, _note_line(text, index)),
            )
        seen.add(note.guid)


def _why(error: Exception) -> str:
    return f"missing '{error.args[0]}'" if isinstance(error, KeyError) else str(error)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _line_of(text: str, start: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(start):
            return number
    return None


def _note_line(text: str, index: int) -> int | None:
    """Notes are written one per line, each starting with `  - `."""
    count = -1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("  - "):
            count += 1
            if count == index:
                return number
    return None


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
    if note.explicit_id is not None:
        fields["id"] = note.explicit_id
    if note.cell_id is not None:
        fields["cell"] = note.cell_id
    return fields


def _flow(values: dict[str, str | int]) -> str:
    """One JSON object: also a YAML flow mapping, and quick to read back line by line."""
    text = json.dumps(values, ensure_ascii=False, separators=(", ", ": "))
    return UNWRITABLE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode())


def _write_atomically(text: str, path: Path) -> None:
    try:
        write_atomically(path, lambda temporary: _write_text(temporary, text))
    except OSError as error:
        raise LockError(f"cannot write the lock file: {error.strerror}", Source(path)) from error
