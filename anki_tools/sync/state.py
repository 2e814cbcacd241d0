"""Sync's own memory of a collection: for each note it wrote, the guid, content hash,
deck, note id and the note's modified time and fields hash right after writing.

It lives outside the repo, in the user's data directory (`data_dir()`), one JSON file per
collection. It is read as hostile input: anything but the exact format is a `SyncError`
naming the file (sync stops rather than guess: a forgotten note would be overwritten or
never removed); moving the file away starts afresh, as a first sync."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SyncError
from ..files import write_atomically
from ..notes import Source

FORMAT = "anki-tools sync state"
VERSION = 1
MAX_STATE_BYTES = 64 * 1024 * 1024  # far beyond any deck; a bigger file is not ours


@dataclass(frozen=True)
class SyncedNote:
    note_id: int
    content: str  # the lock's content hash of what sync last wrote
    deck: str
    modified: int  # the note's `mod` in the collection after sync wrote it
    fields_hash: str  # backend.fields_hash of the note after sync wrote it
    source: str  # where the card was when sync last wrote it: `notes/a.md:12`
    title: str
    removed: bool = False  # tagged and suspended: gone from the sources


@dataclass
class SyncState:
    """Per deck (the deck's .apkg, absolute), the notes sync wrote, by guid."""

    collection: str
    decks: dict[str, dict[str, SyncedNote]] = field(default_factory=dict)


def data_dir() -> Path:
    """anki-tools' data directory: $ANKI_TOOLS_DATA_DIR, else the system's usual place."""
    override = os.environ.get("ANKI_TOOLS_DATA_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "anki-tools"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "anki-tools"
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg or Path.home() / ".local" / "share") / "anki-tools"


def collection_folder(key: str) -> Path:
    """Where a collection's state and backups go: named by a hash of its key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return data_dir() / "sync" / digest


def state_path(key: str) -> Path:
    return collection_folder(key) / "state.json"


def read_state(key: str) -> SyncState:
    """The state of the collection `key`; an empty one before its first sync."""
    path = state_path(key)
    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            raise _bad(path, "is too big to be sync's state")
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return SyncState(key)
    except OSError as error:
        raise SyncError(f"cannot read sync's state: {error.strerror}", Source(path)) from error
    except (ValueError, RecursionError) as error:  # not JSON, or not UTF-8
        raise _bad(path, "is not JSON") from error
    return _parse(data, key, path)


def write_state(state: SyncState) -> None:
    """Write the state atomically (a crash leaves the old one whole)."""
    path = state_path(state.collection)
    decks = {
        deck: {guid: asdict(note) for guid, note in sorted(notes.items())}
        for deck, notes in sorted(state.decks.items())
    }
    data = {"format": FORMAT, "version": VERSION, "collection": state.collection, "decks": decks}
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        write_atomically(path, lambda target: target.write_text(text, encoding="utf-8"))
    except OSError as error:
        raise SyncError(f"cannot write sync's state: {error.strerror}", Source(path)) from error


_FIELDS: dict[str, type] = {
    "note_id": int,
    "content": str,
    "deck": str,
    "modified": int,
    "fields_hash": str,
    "source": str,
    "title": str,
    "removed": bool,
}


def _parse(data: Any, key: str, path: Path) -> SyncState:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _bad(path, "is not sync's state")
    if data.get("version") != VERSION:
        raise _bad(path, f"has version {data.get('version')!r}; this anki-tools reads {VERSION}")
    if data.get("collection") != key:
        raise _bad(path, "belongs to another collection")
    decks = data.get("decks")
    if not isinstance(decks, dict):
        raise _bad(path, "has no 'decks'")
    state = SyncState(key)
    for deck, notes in decks.items():
        if not isinstance(notes, dict):
            raise _bad(path, f"deck {deck!r} is not a mapping of notes")
        state.decks[deck] = {guid: _note(entry, guid, path) for guid, entry in notes.items()}
    return state


def _note(entry: Any, guid: str, path: Path) -> SyncedNote:
    if not isinstance(entry, dict) or set(entry) != set(_FIELDS):
        raise _bad(path, f"note {guid!r} does not have exactly {', '.join(_FIELDS)}")
    for name, kind in _FIELDS.items():
        value = entry[name]
        # bool is an int in Python: an int field must not be true/false, nor the reverse.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _bad(path, f"note {guid!r}: {name} is not {kind.__name__}")
    return SyncedNote(**entry)


def _bad(path: Path, message: str) -> SyncError:
    return SyncError(
        f"{message}: move it away to start afresh (sync then treats the collection as "
        "never synced, and will not find cards removed since)",
        Source(path),
    )
