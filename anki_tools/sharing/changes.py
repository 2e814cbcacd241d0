"""A build against the lock: each note's guid, note id and modified time, and what changed.

Anki's import updates a note it already has only when the note's modified time is newer,
so an unchanged note keeps its time (and the deck its bytes) and a changed one gets a
time later than anything the lock has seen.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from ..errors import Problems
from ..notes import Kind, RenderedNote, Source, StampedNote
from ..templates import NoteType
from . import content, identity
from .claims import Claim
from .lock import Lock, LockedNote, LockedNoteType
from .report import Change, ChangeReport, NoteChange

# A note's cards get the ids note_id + 0, 1, 2, …; new notes are this far apart.
NOTE_ID_SPACING = 1000


@dataclass
class Plan:
    """What to write: the stamped notes, note-type times, the new lock and the report."""

    notes: list[StampedNote]
    note_type_modified: dict[Kind, int]
    lock: Lock
    report: ChangeReport
    new_guids: set[str]  # added or reworded: the notes a double contribution can be
    lock_lines: dict[str, int] = field(default_factory=dict)  # guid → its entry's line

    def guid_places(self, deck: str) -> dict[str, identity.GuidPlace]:
        """Where each guid of this deck goes, and the lock line that gave it."""
        lock_path = self.report.lock_path
        return {
            note.guid: identity.GuidPlace(
                note.rendered.note.source,
                deck,
                Source(lock_path, self.lock_lines[note.guid])
                if note.guid in self.lock_lines
                else None,
            )
            for note in self.notes
        }


def plan(
    claimed: list[Claim],
    note_types: dict[Kind, NoteType],
    old: Lock,
    lock_path: Path,
    now: int,
    problems: Problems,
    for_sync: bool = False,
) -> Plan:
    """Give each note its guid, note id and modified time from the lock, or new ones.
    `for_sync`: the build is for `sync`, which moves and retires cards itself."""
    folder = lock_path.parent
    rendered = [claim.rendered for claim in claimed]
    keys = [_keys(r, note_types[r.note.kind], folder) for r in rendered]
    # A card left out for an error is not gone: its entry waits for the next build.
    broken = frozenset(_relative(p.source.path, folder) for p in problems.errors)
    entries = _same_note_type(rendered, identity.match(keys, old.notes, protected=broken), problems)
    _warn_moved_decks(rendered, entries, lock_path, problems, for_sync)
    stamp = max(now, old.latest_modified() + 1)  # later than any earlier build
    first_id = _first_new_id(max(now * 1000, old.latest_note_id() + NOTE_ID_SPACING), lock_path)
    stamper = _Stamper(stamp, first_id, old)
    plan = Plan(
        [],
        {},
        Lock(exists=True),
        ChangeReport(lock_path, first_build=not old.exists, for_sync=for_sync),
        set(),
    )
    for claim, key, entry in zip(claimed, keys, entries, strict=True):
        note = claim.rendered
        stamped, change = stamper.stamp(claim, key, entry)
        if change in (Change.ADDED, Change.REWORDED):
            plan.new_guids.add(stamped.guid)
        plan.notes.append(stamped)
        plan.lock.notes.append(_entry(stamped, key))
        moved = entry.source if entry and entry.file != key.file else None
        plan.report.notes.append(NoteChange(change, note.note.source, note.note.title, moved))
    stamper.spread_note_ids(plan)
    matched = {entry.guid for entry in entries if entry}
    unclaimed = [entry for entry in old.notes if entry.guid not in matched]
    plan.report.removed = [entry for entry in unclaimed if entry.file not in broken]
    kept = [entry for entry in unclaimed if entry.file in broken]
    plan.lock.notes = _in_old_places(plan.lock.notes, kept, old.notes)
    plan.note_type_modified, plan.lock.note_types = _note_types(note_types, old, stamp)
    plan.lock_lines = {entry.guid: entry.line for entry in entries if entry and entry.line}
    return plan


def _first_new_id(lowest: int, lock_path: Path) -> int:
    """New note ids are milliseconds (Anki shows them as the creation time). Each deck
    keeps its own remainder modulo the spacing, so two decks built in the same second
    don't hand out the same ids: Anki would renumber one deck's notes on import, and the
    `nid:` search for removed notes would then find the other deck's note."""
    digest = hashlib.sha256(lock_path.name.encode()).digest()
    remainder = int.from_bytes(digest[:4], "big") % NOTE_ID_SPACING
    candidate = lowest - lowest % NOTE_ID_SPACING + remainder
    return candidate if candidate >= lowest else candidate + NOTE_ID_SPACING


class _Stamper:
    """Hands out guids, note ids and modified times, new or from the lock."""

    def __init__(self, stamp: int, next_id: int, old: Lock) -> None:
        self.modified, self.next_id = stamp, next_id
        self.taken = {entry.guid for entry in old.notes}

    def new_note_id(self) -> int:
        note_id, self.next_id = self.next_id, self.next_id + NOTE_ID_SPACING
        return note_id

    def stamp(
        self, claim: Claim, key: identity.NoteKeys, entry: LockedNote | None
    ) -> tuple[StampedNote, Change]:
        """The claimed guid for a new note (or a fresh one if the lock gave it out
        before); a known note keeps the lock's."""
        note = claim.rendered
        if entry is None:
            guid = identity.fresh_guid(claim.guid, self.taken)
            self.taken.add(guid)
            return StampedNote(note, guid, self.new_note_id(), self.modified), Change.ADDED
        change = _change(key, entry)
        modified = entry.modified if change is Change.UNCHANGED else self.modified
        return StampedNote(note, entry.guid, entry.note_id, modified), change

    def spread_note_ids(self, plan: Plan) -> None:
        """A card's id is its note's id + its number, so note ids must be far apart.

        Two people who add cards at about the same time get the same new ids; once
        their locks are merged, the later of two close ids moves to a new one. (A note
        Anki already has is found by its guid, so its id in the deck doesn't matter.)
        """
        self.next_id = max(self.next_id, max((n.note_id for n in plan.notes), default=0))
        self.next_id += NOTE_ID_SPACING
        last: int | None = None
        for position in sorted(range(len(plan.notes)), key=lambda p: plan.notes[p].note_id):
            note_id = plan.notes[position].note_id
            if last is not None and note_id - last < NOTE_ID_SPACING:
                new_id = self.new_note_id()
                plan.notes[position] = replace(plan.notes[position], note_id=new_id)
                plan.lock.notes[position] = replace(plan.lock.notes[position], note_id=new_id)
            else:
                last = note_id


def _in_old_places(
    entries: list[LockedNote], kept: list[LockedNote], old: list[LockedNote]
) -> list[LockedNote]:
    """Put kept entries back after the entry that came before them in the old lock, so
    the "same place" rule still sees their neighbours next time."""
    result = list(entries)
    previous: str | None = None  # guid of the last old entry of the same file
    previous_file: str | None = None
    kept_guids = {entry.guid for entry in kept}
    for entry in old:
        if entry.file != previous_file:
            previous, previous_file = None, entry.file
        if entry.guid in kept_guids:
            at = next((i for i, e in enumerate(result) if e.guid == previous), None)
            if at is None:  # the first of its file: before the file's first entry
                at = next((i - 1 for i, e in enumerate(result) if e.file == entry.file), None)
            result.insert(len(result) if at is None else at + 1, entry)
        previous = entry.guid
    return result


def _change(key: identity.NoteKeys, entry: LockedNote) -> Change:
    if key.content == entry.content:
        return Change.UNCHANGED
    return Change.REWORDED if key.front != entry.front else Change.CHANGED


def _same_note_type(
    notes: list[RenderedNote], entries: list[LockedNote | None], problems: Problems
) -> list[LockedNote | None]:
    """Drop matches whose note type changed: Anki's import cannot change the type of a
    note it has (it skips the note as "conflicting", on every import after), so such a
    card becomes a new note, and the old one is reported as removed."""
    kept: list[LockedNote | None] = []
    for note, entry in zip(notes, entries, strict=True):
        if entry is not None and note.note.kind.value != entry.kind:
            problems.warning(
                note.note.source,
                f"the card's note type changed ({entry.kind} → {note.note.kind.value}): "
                "Anki cannot change the type of a note it has, so this is a new note; the "
                "old one (and its reviews) is listed as removed",
            )
            entry = None
        kept.append(entry)
    return kept


def _warn_moved_decks(
    notes: list[RenderedNote],
    entries: list[LockedNote | None],
    lock_path: Path,
    problems: Problems,
    for_sync: bool,
) -> None:
    """A guid is one note in a member's collection, whichever deck brought it: a card whose
    entry names another deck updates the note that deck gave them. A card moved to another
    deck does that; so does a lock edited to give a card another deck's guid. Both places
    are named, so the builder can tell which it is; a renamed deck is one warning, at its
    first card, not one per card."""
    moved: dict[tuple[str, str], list[tuple[RenderedNote, LockedNote]]] = defaultdict(list)
    for note, entry in zip(notes, entries, strict=True):
        if entry is not None and entry.deck is not None and entry.deck != note.note.deck:
            moved[(entry.deck, note.note.deck)].append((note, entry))
    for (old, new), cards in moved.items():
        note, entry = cards[0]
        more = f" (and {len(cards) - 1} more of its cards)" if len(cards) > 1 else ""
        imported = (
            f"sync moves its cards; members who import the deck keep them in '{old}' (they "
            "move them in the Browse window)"
            if for_sync
            else f"Anki updates its note but leaves the cards in '{old}' (members move them "
            "in the Browse window)"
        )
        problems.warning(
            note.note.source,
            f"the card moved from deck '{old}' ({Source(lock_path, entry.line)}) to deck "
            f"'{new}'{more}: {imported}. If the card did not move, the lock was edited "
            "to give it another deck's note: restore it from git",
        )


def _keys(note: RenderedNote, note_type: NoteType, folder: Path) -> identity.NoteKeys:
    return identity.NoteKeys(
        file=_relative(note.note.source.path, folder),
        explicit_id=note.note.explicit_id,
        cell_id=note.note.cell_id,
        front=identity.front_key(note.note),
        content=_content(note, note_type),
    )


def _content(note: RenderedNote, note_type: NoteType) -> str:
    """The hash the note came with, when it was made for this note type (its fields are
    named by the same metadata), else worked out here."""
    carried = note.content
    if carried is not None and carried[0] == note_type.id:
        return carried[1]
    return content.content_hash(note, note_type.id, note_type.fields)


def note_type_hash(note_type: NoteType) -> str:
    cards = [[card.name, card.front, card.back] for card in note_type.cards]
    return content.short_hash(
        [note_type.id, note_type.name, note_type.cloze, note_type.fields, cards, note_type.css]
    )


def _entry(stamped: StampedNote, key: identity.NoteKeys) -> LockedNote:
    note = stamped.rendered
    source = note.note.source
    place = f"cell {source.cell}" if source.cell is not None else str(source.line or 1)
    return LockedNote(
        guid=stamped.guid,
        source=f"{key.file}:{place}",
        title=note.note.title.strip(),
        note_id=stamped.note_id,
        modified=stamped.modified,
        front=key.front,
        content=key.content,
        kind=note.note.kind.value,
        explicit_id=note.note.explicit_id,
        cell_id=note.note.cell_id,
        deck=note.note.deck,
    )


def _note_types(
    note_types: dict[Kind, NoteType], old: Lock, stamp: int
) -> tuple[dict[Kind, int], dict[str, LockedNoteType]]:
    """A note type keeps its modified time until its templates or CSS change."""
    times: dict[Kind, int] = {}
    entries: dict[str, LockedNoteType] = {}
    for kind, note_type in note_types.items():
        digest = note_type_hash(note_type)
        before = old.note_types.get(kind.value)
        same = before is not None and before.hash == digest and before.id == note_type.id
        times[kind] = before.modified if same and before else stamp
        entries[kind.value] = LockedNoteType(note_type.id, digest, times[kind])
    return times, entries


def _relative(path: Path, folder: Path) -> str:
    """A source's path as the lock writes it: relative to the lock's folder, with `/`."""
    # The working folder is part of the key: the cache must not mix up relative paths
    # from two working folders. (Path.absolute per note cost a build 0.25 s at 10k notes.)
    return _relative_in(path, folder, os.getcwd())


@lru_cache(maxsize=4096)  # many notes share a file; resolving paths is slow
def _relative_in(path: Path, folder: Path, cwd: str) -> str:
    # realpath: Path.resolve raises on a symlink loop, a source that is reported, not read.
    real = os.path.realpath(os.path.join(cwd, path))
    return Path(os.path.relpath(real, os.path.realpath(os.path.join(cwd, folder)))).as_posix()
