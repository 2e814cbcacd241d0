"""The direct mode: Anki is closed, and sync opens the collection file itself with the
official `anki` package (the `sync` extra). It refuses a collection Anki holds open and
one the package would upgrade (unless asked), and backs the file up before writing."""

from __future__ import annotations

import os
import pickle
import sqlite3
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SyncError
from ..notes import Source
from .backend import (
    IMPORT_OPTIONS,
    REMOVED_TAG,
    CollectionCard,
    CollectionNote,
    ImportCounts,
    fields_hash,
)
from .state import collection_folder

if TYPE_CHECKING:
    from anki.collection import Collection

KEEP_BACKUPS = 5
INSTALL_HINT = 'the direct mode needs the `anki` package: pip install "anki-tools[sync]"'
CHUNK = 500  # guids per query: SQLite's limit on parameters is far above


def anki_base() -> Path:
    """Anki's base folder, found as Anki finds it (aqt/profiles.py): $ANKI_BASE, else
    the system's usual place."""
    if os.environ.get("ANKI_BASE"):
        return Path(os.environ["ANKI_BASE"])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "Anki2"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Anki2"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "Anki2"


def default_collection(base: Path | None = None) -> Path:
    """The collection Anki opens at start: the only profile, else the last one loaded."""
    base = base or anki_base()
    names = _profile_names(base / "prefs21.db")
    if len(names) != 1:
        names = [name for name in [_last_profile(base / "prefs21.db")] if name in names]
    if len(names) != 1:
        raise SyncError(
            "cannot tell which Anki profile to sync into: give its collection with "
            "--collection PATH (a profile's folder holds collection.anki2)",
            Source(base),
        )
    return base / names[0] / "collection.anki2"


def _profile_names(prefs: Path) -> list[str]:
    try:
        with _read_only(prefs) as connection:
            rows = connection.execute("SELECT name FROM profiles WHERE name != '_global'")
            return [name for (name,) in rows if isinstance(name, str) and _plain(name)]
    except sqlite3.Error:
        return []


def _plain(name: str) -> bool:
    """A profile name is one folder inside the base, never a path out of it."""
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name


class _NoClasses(pickle.Unpickler):
    """Anki pickles its global settings (plain values); a class in them is not Anki's."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}")


def _last_profile(prefs: Path) -> str | None:
    import io

    try:
        with _read_only(prefs) as connection:
            row = connection.execute(
                "SELECT CAST(data AS BLOB) FROM profiles WHERE name = '_global'"
            ).fetchone()
        meta = _NoClasses(io.BytesIO(row[0])).load() if row else None
    except (sqlite3.Error, pickle.UnpicklingError, ValueError, TypeError, EOFError):
        return None
    name = meta.get("last_loaded_profile_name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only look at an SQLite file that waits for no lock."""
    if not path.is_file():
        raise sqlite3.OperationalError(f"no such file: {path}")
    connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=0)
    try:
        yield connection
    finally:
        connection.close()


def schema_version(path: Path) -> int:
    """The collection's schema version (`col.ver`), read without opening it in Anki.
    Anki holds the file in an exclusive lock while a profile is open: then this refuses."""
    where = Source(path)
    if not path.is_file():
        raise SyncError("no collection here: is this a profile's collection.anki2?", where)
    try:
        with _read_only(path) as connection:
            row = connection.execute("SELECT ver FROM col").fetchone()
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            raise SyncError(
                "the collection is open in Anki (it is locked): close Anki, or sync "
                "through AnkiConnect while Anki runs",
                where,
            ) from error
        raise SyncError(f"not an Anki collection ({error})", where) from error
    except sqlite3.DatabaseError as error:
        raise SyncError(f"not an Anki collection ({error})", where) from error
    if not row or not isinstance(row[0], int):
        raise SyncError("not an Anki collection (no schema version)", where)
    return row[0]


@lru_cache(maxsize=1)
def written_schema() -> int:
    """The schema version the installed `anki` package leaves a collection in."""
    collection_class = _collection_class()
    with tempfile.TemporaryDirectory(prefix="anki-tools-schema-") as folder:
        scratch = Path(folder) / "collection.anki2"
        collection_class(str(scratch)).close()
        with _read_only(scratch) as connection:
            (version,) = connection.execute("SELECT ver FROM col").fetchone()
    return int(version)


def check_schema(path: Path, allow_upgrade: bool) -> None:
    """Refuse a collection the `anki` package would change the schema of."""
    have, written = schema_version(path), written_schema()
    if have > written:
        raise SyncError(
            f"the collection's schema ({have}) is newer than the installed anki package "
            f"writes ({written}): upgrade it (pip install -U anki) to match your Anki",
            Source(path),
        )
    if have < written and not allow_upgrade:
        raise SyncError(
            f"the installed anki package would upgrade this collection's schema from {have} "
            f"to {written}, which older Anki versions cannot open: --allow-upgrade if your "
            "Anki is as new as the anki package (sync backs the collection up first)",
            Source(path),
        )


def back_up(path: Path, key: str) -> Path:
    """A consistent copy of the collection file beside sync's state; the last
    `KEEP_BACKUPS` are kept. Restore one by copying it over collection.anki2 (Anki closed)."""
    folder = collection_folder(key) / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SyncError(
            f"cannot make the backup folder: {error.strerror}", Source(folder)
        ) from error
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = copy_collection(path, folder / f"collection-{stamp}.anki2")
    for old in sorted(folder.glob("collection-*.anki2"))[:-KEEP_BACKUPS]:
        old.unlink()
    return target


def copy_collection(path: Path, target: Path) -> Path:
    """Copy the collection file with SQLite's backup API (consistent, whatever its
    journal), as one file."""
    try:
        with _read_only(path) as source:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
                # One file, as Anki's own backups are: a copy in WAL mode needs its -wal.
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise SyncError(f"cannot copy the collection: {error}", Source(path)) from error
    return target


def collection_key(path: Path) -> str:
    """The collection's key for sync's state: its real absolute path (a link to it, or
    another way to write the path, is the same collection)."""
    return os.path.realpath(path)


def _collection_class() -> type[Collection]:
    """`anki.collection.Collection`, imported only when a sync needs it (~0.3 s)."""
    try:
        from anki.collection import Collection
    except ImportError as error:
        raise SyncError(INSTALL_HINT) from error
    return Collection


def anki_errors() -> tuple[type[Exception], ...]:
    """What the `anki` package raises when a collection cannot be read or written."""
    from anki.errors import BackendError

    return (BackendError, OSError)


class DirectBackend:
    """A collection file opened with the `anki` package; `close()` when done."""

    def __init__(self, path: Path, key: str | None = None) -> None:
        """`key`: the collection's, when `path` is a copy of it (a dry run's)."""
        self.path = path.absolute()
        self._key = key or collection_key(path)
        collection_class = _collection_class()
        from anki.errors import DBError

        try:
            self.col = collection_class(str(self.path))
        except DBError as error:  # Anki opened it after the check
            raise SyncError(f"cannot open the collection: {error}", Source(path)) from error

    @property
    def key(self) -> str:
        return self._key

    def close(self) -> None:
        self.col.close()

    def snapshot(self, wanted: Mapping[str, int | None]) -> dict[str, CollectionNote]:
        guids = list(wanted)
        found: dict[str, CollectionNote] = {}
        for start in range(0, len(guids), CHUNK):
            found.update(self._notes(guids[start : start + CHUNK]))
        return found

    def _notes(self, guids: list[str]) -> dict[str, CollectionNote]:
        marks = ",".join("?" * len(guids))
        db = self.col.db
        assert db is not None  # open until close()
        rows = db.all(
            f"SELECT id, guid, mid, mod, flds, tags FROM notes WHERE guid IN ({marks})", *guids
        )
        note_ids = [row[0] for row in rows]
        cards: dict[int, list[CollectionCard]] = {note_id: [] for note_id in note_ids}
        if note_ids:
            id_marks = ",".join("?" * len(note_ids))
            query = f"SELECT id, nid, did FROM cards WHERE nid IN ({id_marks}) ORDER BY ord"
            decks: dict[int, str] = {}  # a name per deck, not per card
            for card_id, note_id, deck_id in db.all(query, *note_ids):
                if deck_id not in decks:
                    decks[deck_id] = self.col.decks.name(deck_id)
                cards[note_id].append(CollectionCard(card_id, decks[deck_id]))
        found = {}
        for note_id, guid, note_type_id, modified, fields, tags in rows:
            tag_list = tuple(self.col.tags.split(tags))
            found[guid] = CollectionNote(
                note_id,
                note_type_id,
                modified,
                fields_hash(fields.split("\x1f"), tag_list),
                tuple(cards[note_id]),
                tag_list,
            )
        return found

    def import_package(self, package: Path) -> ImportCounts:
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

        request = ImportAnkiPackageRequest(
            package_path=str(package.absolute()),
            options=ImportAnkiPackageOptions(
                merge_notetypes=IMPORT_OPTIONS["merge_notetypes"],
                with_scheduling=IMPORT_OPTIONS["with_scheduling"],
                with_deck_configs=IMPORT_OPTIONS["with_deck_configs"],
            ),
        )
        log = self.col.import_anki_package(request).log
        return ImportCounts(len(log.new), len(log.updated), len(log.duplicate))

    def _cards(self, note_ids: Sequence[int]) -> list[Any]:
        return [card for note_id in note_ids for card in self.col.card_ids_of_note(note_id)]  # type: ignore[arg-type]

    def tag_and_suspend(self, note_ids: Sequence[int]) -> None:
        self.col.tags.bulk_add(note_ids, REMOVED_TAG)  # type: ignore[arg-type]
        self.col.sched.suspend_cards(self._cards(note_ids))

    def restore(self, note_ids: Sequence[int]) -> None:
        self.col.tags.bulk_remove(note_ids, REMOVED_TAG)  # type: ignore[arg-type]
        self.col.sched.unsuspend_cards(self._cards(note_ids))

    def delete(self, note_ids: Sequence[int]) -> None:
        self.col.remove_notes(note_ids)  # type: ignore[arg-type]

    def move(self, card_ids: Sequence[int], deck: str) -> None:
        deck_id = self.col.decks.id(deck)
        assert deck_id is not None  # id() makes the deck when it is missing
        self.col.set_deck(card_ids, deck_id)  # type: ignore[arg-type]
