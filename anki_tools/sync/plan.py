"""What a sync will do, decided from three things and nothing else: sync's state (what it
wrote last time), the new build and a snapshot of the collection. Pure: no Anki here.

A note sync wrote and someone changed in Anki since (its modified time or fields differ
from the state) is skipped, not overwritten, unless forced; a note gone from the build is
tagged and suspended (deleted only when asked); a note whose deck changed in the sources
has its cards moved. Only this deck's note types and guids are ever looked at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..notes import Source
from .backend import CollectionNote
from .state import SyncedNote


@dataclass(frozen=True)
class BuildNote:
    """One note of the new build, as sync sees it."""

    guid: str
    note_id: int  # the lock's (Anki keeps it for a new note when it is free)
    content: str  # the lock's content hash
    deck: str
    modified: int  # the lock's modified time, which the package carries
    fields_hash: str  # backend.fields_hash of its fields and tags
    source: Source
    title: str


@dataclass(frozen=True)
class Update:
    note: BuildNote
    write_modified: int  # newer than the collection's: Anki's import updates only newer notes
    restore: bool = False  # it was removed, and is back in the sources
    # The collection's time of a note sync never wrote is unknown (AnkiConnect): the
    # import's own "only if newer" decides, and a note it keeps is skipped as NEWER.
    import_decides: bool = False


@dataclass(frozen=True)
class Move:
    note: BuildNote
    card_ids: tuple[int, ...]
    old_deck: str


@dataclass(frozen=True)
class Removal:
    guid: str
    note_id: int
    synced: SyncedNote
    delete: bool
    reason: str = ""  # why a removal asked to delete only suspends


@dataclass(frozen=True)
class Skip:
    note: BuildNote
    reason: str


@dataclass(frozen=True)
class SyncPlan:
    added: tuple[BuildNote, ...] = ()
    updated: tuple[Update, ...] = ()
    unchanged: tuple[BuildNote, ...] = ()
    moved: tuple[Move, ...] = ()
    removed: tuple[Removal, ...] = ()
    skipped: tuple[Skip, ...] = ()
    gone: tuple[str, ...] = ()  # synced guids no longer in the collection nor the build

    def package(self) -> dict[str, int]:
        """The notes the imported package holds, with the modified time each carries:
        the added and updated ones (skipped and unchanged notes are left out)."""
        notes = {note.guid: note.modified for note in self.added}
        notes.update((update.note.guid, update.write_modified) for update in self.updated)
        return notes


@dataclass(frozen=True)
class Request:
    """What a sync is asked to do."""

    force: bool = False  # overwrite notes edited in Anki; add again notes deleted there
    delete_removed: bool = False


EDITED = "edited in Anki since the last sync: kept as it is (--force overwrites it)"
DELETED = "deleted in Anki since the last sync: not added again (--force adds it)"
NEWER = "changed in Anki after this build, and never synced: kept (--force overwrites it)"
OTHER_TYPE = "the collection has this guid as a note of another note type: left alone"
EDITED_REMOVED = "edited in Anki since the last sync: suspended, not deleted (--force deletes it)"


def plan_sync(
    synced: Mapping[str, SyncedNote],
    build: Sequence[BuildNote],
    collection: Mapping[str, CollectionNote],
    note_type_ids: frozenset[int],
    request: Request = Request(),
    now: int = 0,
) -> SyncPlan:
    """The plan for one deck: every build note lands in exactly one of added, updated,
    unchanged and skipped (and maybe moved too); every synced note gone from the build
    in removed or gone (or nowhere, when it was already removed). `now` is the clock, for
    the notes whose modified time the backend cannot tell."""
    out: dict[str, list[object]] = {name: [] for name in _LISTS}
    for note in build:
        found = collection.get(note.guid)
        _plan_note(note, synced.get(note.guid), found, note_type_ids, request, now, out)
    in_build = {note.guid for note in build}
    for guid, entry in synced.items():
        if guid not in in_build:
            _plan_removal(guid, entry, collection.get(guid), note_type_ids, request, out)
    return SyncPlan(**{name: tuple(items) for name, items in out.items()})  # type: ignore[arg-type]


_LISTS = ("added", "updated", "unchanged", "moved", "removed", "skipped", "gone")


def _plan_note(
    note: BuildNote,
    entry: SyncedNote | None,
    found: CollectionNote | None,
    note_type_ids: frozenset[int],
    request: Request,
    now: int,
    out: dict[str, list[object]],
) -> None:
    if found is None:
        if entry is not None and not request.force:
            out["skipped"].append(Skip(note, DELETED))
        else:
            out["added"].append(note)
        return
    if found.note_type_id not in note_type_ids:
        out["skipped"].append(Skip(note, OTHER_TYPE))
        return
    newer = _newer(note, found, now)
    if entry is None:  # in the collection, but not by sync: a build imported by hand
        if found.fields_hash == note.fields_hash:
            out["unchanged"].append(note)
        elif request.force:
            out["updated"].append(Update(note, newer))
        elif found.modified is None:
            out["updated"].append(Update(note, note.modified, import_decides=True))
        elif found.modified >= note.modified:
            out["skipped"].append(Skip(note, NEWER))
        else:
            out["updated"].append(Update(note, newer))
        return
    _plan_move(note, entry, found, out)
    if _edited(entry, found) and not request.force:
        out["skipped"].append(Skip(note, EDITED))
    elif entry.content != note.content or entry.removed or _edited(entry, found):
        out["updated"].append(Update(note, newer, restore=entry.removed))
    else:
        out["unchanged"].append(note)


def _plan_move(
    note: BuildNote, entry: SyncedNote, found: CollectionNote, out: dict[str, list[object]]
) -> None:
    """Cards still in the deck sync put them in follow the sources to the new deck; a
    card the learner moved elsewhere stays where they put it."""
    if entry.deck == note.deck:
        return
    cards = tuple(card.card_id for card in found.cards if card.deck == entry.deck)
    if cards:
        out["moved"].append(Move(note, cards, entry.deck))


def _plan_removal(
    guid: str,
    entry: SyncedNote,
    found: CollectionNote | None,
    note_type_ids: frozenset[int],
    request: Request,
    out: dict[str, list[object]],
) -> None:
    if found is None or found.note_type_id not in note_type_ids:
        out["gone"].append(guid)
        return
    if entry.removed and not request.delete_removed:
        return  # tagged and suspended by an earlier sync
    if request.delete_removed and _edited(entry, found) and not request.force:
        out["removed"].append(Removal(guid, found.note_id, entry, False, EDITED_REMOVED))
    else:
        out["removed"].append(Removal(guid, found.note_id, entry, request.delete_removed))


def _edited(entry: SyncedNote, found: CollectionNote) -> bool:
    moved_on = found.modified is not None and found.modified != entry.modified
    return moved_on or found.fields_hash != entry.fields_hash


def _newer(note: BuildNote, found: CollectionNote, now: int) -> int:
    """A modified time Anki's import takes as newer than the collection's note (it
    updates only a strictly newer one): one past its time, or, when the backend cannot
    tell it, one past the clock (no edit is from the future; one may be from this second)."""
    known = found.modified if found.modified is not None else now
    return max(note.modified, known + 1)
