"""What sync needs from a collection, whichever way it is reached: the `Backend` protocol
(direct.py opens the collection file; ankiconnect.py talks to a running Anki)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

REMOVED_TAG = "anki-tools::removed"

# The options AnkiConnect's importPackage uses in Anki 26 (its AnkiPackageImporter runs
# the modern importer with these): the direct mode passes the same, so both modes leave
# a collection in the same state. Notes are updated only when the package's modified
# time is newer (update_notes keeps its default, "if newer"): the plan makes it newer
# for the notes it means to update (plan.py, `Update.write_modified`).
IMPORT_OPTIONS = {"merge_notetypes": True, "with_scheduling": True, "with_deck_configs": True}


@dataclass(frozen=True)
class CollectionCard:
    card_id: int
    deck: str


@dataclass(frozen=True)
class CollectionNote:
    """One note as the collection has it: enough to tell whether someone changed it."""

    note_id: int
    note_type_id: int
    # Seconds, as Anki's `notes.mod`; None when the backend cannot tell (AnkiConnect's
    # notesInfo has no modified time): edits are then seen by fields and tags alone.
    modified: int | None
    fields_hash: str  # `fields_hash` of its fields and tags
    cards: tuple[CollectionCard, ...]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportCounts:
    new: int
    updated: int
    duplicate: int


def fields_hash(fields: Sequence[str], tags: Sequence[str]) -> str:
    """A note's fields (in the note type's order) and tags, as one short hash: what an edit
    in Anki changes. Both backends hash what the collection holds, the same way. NFC:
    Anki's import normalizes text so (`é` typed as e + accent is stored as one `é`)."""
    data = [list(fields), sorted(tags)]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = unicodedata.normalize("NFC", text)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Backend(Protocol):
    """A collection sync can read and change. Every method touches only the notes and
    cards it is given: the plan picks them among this deck's note types and guids."""

    @property
    def key(self) -> str:
        """Which collection this is, for sync's state: the direct mode's absolute path;
        an AnkiConnect backend gives a key it can get from the running Anki again."""
        ...

    def snapshot(self, wanted: Mapping[str, int | None]) -> dict[str, CollectionNote]:
        """The notes of these guids that the collection has, by guid. Each guid comes
        with the note id sync last saw for it, or the one the lock gives it (an
        AnkiConnect backend can only look notes up by id; direct mode reads guids)."""
        ...

    def close(self) -> None:
        """Done: the direct mode closes the collection file."""
        ...

    def import_package(self, package: Path) -> ImportCounts | None:
        """Import an .apkg with `IMPORT_OPTIONS`; `package` is an absolute path. The
        counts, when the backend can tell them (AnkiConnect cannot)."""
        ...

    def tag_and_suspend(self, note_ids: Sequence[int]) -> None:
        """Tag the notes `REMOVED_TAG` and suspend their cards (reviews are kept)."""
        ...

    def restore(self, note_ids: Sequence[int]) -> None:
        """Undo `tag_and_suspend`: a removed card is back in the sources."""
        ...

    def delete(self, note_ids: Sequence[int]) -> None: ...

    def move(self, card_ids: Sequence[int], deck: str) -> None:
        """Move cards to the deck of that name (made if it does not exist)."""
        ...
