"""The checks a lock's values pass before a build trusts them.

A lock is committed with the notes, so anyone who can push can edit it: a guid taken from
another deck, a note id that overflows SQLite, a modified time in 2100 that would let the
deck win over every member's own edits. Each field is checked for its type and its range;
a problem names the line of its entry.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import limits
from ..notes import Kind
from .lock_text import REBUILD_HINT, At, LockTextError, Top

VERSION = 1
# Ours are URL-safe base64 and Anki's base91: printable ASCII without spaces covers both.
GUID_RE = re.compile(f"[!-~]{{1,{limits.LOCK_MAX_GUID_CHARS}}}")
PLACE_RE = re.compile(r".+:(?:cell )?[0-9]{1,9}", re.DOTALL)
KINDS = tuple(kind.value for kind in Kind)


@dataclass(frozen=True)
class Bounds:
    """The latest time and the largest note id a lock read at `now` may hold."""

    now: int  # seconds
    latest: int  # seconds
    note_id: int  # milliseconds

    @classmethod
    def at(cls, now: int) -> Bounds:
        note_id = (now + limits.LOCK_MAX_NOTE_ID_SECONDS_AHEAD) * 1000
        latest = now + limits.LOCK_MAX_SECONDS_AHEAD
        return cls(now, latest, max(1, min(note_id, limits.SQLITE_MAX_INTEGER)))


def check_version(top: Top | None) -> Top:
    """The lock's keys, once they are known to be a lock of this format version."""
    version = top.get("version") if top is not None else None
    if top is None or version is None or version.value is None:
        raise LockTextError(f"not an anki-tools lock file{REBUILD_HINT}", 1)
    if type(version.value) is not int or version.value != VERSION:
        raise LockTextError(
            f"lock file version {shown(version.value)}: written by another version of "
            f"anki-tools (this one reads version {VERSION})",
            version.line,
        )
    return top


def section(top: Top, key: str, kind: type) -> Any:
    """The entries under `notes` or `note_types`; none when the key is missing or empty."""
    found = top.get(key)
    if found is None or found.value is None:
        return kind()
    if not isinstance(found.value, kind):
        shape, hint = ("a list", REBUILD_HINT) if kind is list else ("a mapping", "")
        raise LockTextError(f"'{key}' must be {shape}{hint}", found.line)
    return found.value


def note_fields(entry: At, bounds: Bounds) -> dict[str, Any]:
    """A note entry's fields, checked, under the names of `LockedNote`'s attributes."""
    item = entry.value
    try:
        return {
            "guid": _guid(_field(item, "guid")),
            "source": _place(_field(item, "source")),
            "title": _text(item.get("title", "")),
            "note_id": _note_id(_field(item, "nid"), bounds),
            "modified": _time(_field(item, "modified"), bounds),
            "front": _text(_field(item, "front")),
            "content": _text(_field(item, "content")),
            "kind": _kind(_field(item, "kind")),
            "explicit_id": _optional_text(item.get("id")),
            "cell_id": _optional_text(item.get("cell")),
            "deck": _optional_text(item.get("deck")),
        }
    except (KeyError, TypeError, ValueError) as error:
        raise LockTextError(f"bad note entry ({_why(error)}){REBUILD_HINT}", entry.line) from error


def note_type_fields(name: str, entry: At, bounds: Bounds) -> dict[str, Any]:
    """A note type entry's fields, checked."""
    item = entry.value
    try:
        _kind(name)
        return {
            "id": _id(_field(item, "id"), limits.SQLITE_MAX_INTEGER, "note type id"),
            "hash": _text(_field(item, "hash")),
            "modified": _time(_field(item, "modified"), bounds),
        }
    except (KeyError, TypeError, ValueError) as error:
        raise LockTextError(
            f"bad note type entry {shown(name)} ({_why(error)})", entry.line
        ) from error


def _why(error: Exception) -> str:
    return f"missing '{error.args[0]}'" if isinstance(error, KeyError) else str(error)


def _field(item: Any, key: str) -> Any:
    if not isinstance(item, dict):
        raise TypeError(f"expected a mapping of fields, got {shown(item)}")
    return item[key]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {shown(value)}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _guid(value: Any) -> str:
    if not GUID_RE.fullmatch(_text(value)):
        raise ValueError(
            f"a guid is 1 to {limits.LOCK_MAX_GUID_CHARS} letters, digits or ASCII "
            f"punctuation, got {shown(value)}"
        )
    return str(value)


def _place(value: Any) -> str:
    if not PLACE_RE.fullmatch(_text(value)):
        raise ValueError(f"a source is `path:line` or `path:cell N`, got {shown(value)}")
    return str(value)


def _kind(value: Any) -> str:
    if _text(value) not in KINDS:
        raise ValueError(f"unknown note type {shown(value)} (known: {', '.join(KINDS)})")
    return str(value)


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a whole number, got {shown(value)}")
    return value


def _id(value: Any, highest: int, what: str, why: str = "") -> int:
    if not 1 <= _number(value) <= highest:
        raise ValueError(f"{what} {shown(value)} is out of range: 1 to {highest}{why}")
    return int(value)


def _note_id(value: Any, bounds: Bounds) -> int:
    why = " (the milliseconds when the note was added: at most a year from now)"
    return _id(value, bounds.note_id, "note id", why)


def _time(value: Any, bounds: Bounds) -> int:
    """A modified time in seconds, no later than a day after now."""
    seconds = _number(value)
    if seconds > bounds.latest:
        raise ValueError(
            f"modified time {shown(seconds)} ({_date(seconds)}) is more than a day ahead of "
            f"the clock ({_date(bounds.now)}): Anki would let this note win over members' own "
            "edits until then. The lock was edited, or the clock of the computer that built "
            "it was wrong"
        )
    return seconds


def _date(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError, OSError):
        return "after the year 9999"


class _Clipped(reprlib.Repr):
    """Short reprs for messages: a value from a hostile lock can be megabytes long."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = 80
        self.maxlong = 40
        self.maxlevel = 2

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # str() of a huge int is slow, or refused outright
            return f"a number of {x.bit_length()} bits"
        return super().repr_int(x, level)


shown = _Clipped().repr
