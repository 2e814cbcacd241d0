"""Note identity: guids that survive edits, and fixed ids for decks.

genanki's default guid hashes every field, so any edit makes a new note in Anki.
A new note's guid comes from an explicit id, a notebook cell's id, or the normalized
front text; after that the lock file carries it, and `match` finds a note's entry there
even when the note was reworded, moved or its notebook renamed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from ..notes import Note, Source
from .lock import LockedNote

WHITESPACE_RE = re.compile(r"\s+")
NAMESPACE = "anki-tools"


def guid(note: Note) -> str:
    """Explicit `{#id}` first, then the cell id, then the front text, normalized so spacing
    and case don't count."""
    if note.explicit_id:
        return _hash("id", note.explicit_id)
    if note.cell_id:
        # Cell ids are unique within a notebook only, and a copied notebook keeps them:
        # the notebook's file name keeps a copy's cards apart from the original's.
        return _hash("cell", f"{note.source.path.name}:{note.cell_id}")
    return _hash("front", normalize(note.front))


def has_front_guid(note: Note) -> bool:
    """A card known by its front text alone (no explicit id, no cell id)."""
    return not note.explicit_id and not note.cell_id


def guids_in_context(note: Note, root_relative_path: str) -> list[str]:
    """The guids, strongest first, for a card whose front another card of the build has
    (ten files with "## Step 1: Outline use cases"): the front with the headings above
    it, then also with its file. Used only when fronts collide; the lock keeps them."""
    front = normalize(note.front)
    headings = " › ".join(normalize(text) for _, text in note.parents)
    return [
        _hash("front-in", f"{front}\n{headings}"),
        _hash("front-in-file", f"{front}\n{headings}\n{root_relative_path}"),
    ]


def duplicate_hint(note: Note) -> str:
    """How to give one of two cards with the same guid an identity of its own."""
    if note.cell_id:
        return "notebooks with the same file name share cell ids (is one a copy?): rename one"
    if note.source.cell is not None:
        return (
            "the notebook predates cell ids, so a card is known by its front: reword one, "
            "or open and save the notebook in Jupyter to give its cells ids"
        )
    return "give one of them its own id, e.g. '## Question {#my-id}'"


@dataclass(frozen=True)
class GuidPlace:
    """Where one deck of a run puts a guid: the card, the deck, and the lock entry that
    gave the guid (None for a new card)."""

    source: Source
    deck: str  # the deck's file as messages show it, e.g. `decks/python.apkg`
    lock_entry: Source | None = None

    def __str__(self) -> str:
        given = f", its guid from {self.lock_entry}" if self.lock_entry else ""
        return f"{self.source} (in {self.deck}{given})"


def shared_guids(decks: Sequence[dict[str, GuidPlace]]) -> list[tuple[GuidPlace, GuidPlace]]:
    """Guids that two decks of one run give out, as (earlier, later) places.

    A guid is one note in a member's collection, whatever deck brought it: two decks with
    the same guid would overwrite each other's card on every import."""
    first: dict[str, GuidPlace] = {}
    found: list[tuple[GuidPlace, GuidPlace]] = []
    for deck in decks:
        for guid, place in deck.items():
            earlier = first.setdefault(guid, place)
            if earlier is not place:
                found.append((earlier, place))
    return found


def normalize(text: str) -> str:
    return WHITESPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def deck_id(name: str) -> int:
    """A fixed id from the deck's name, so re-imports land in the same deck."""
    digest = hashlib.sha256(f"{NAMESPACE}:deck:{name}".encode()).digest()
    # Anki ids are positive 63-bit integers; stay well inside that range.
    return int.from_bytes(digest[:6], "big") + (1 << 40)


def _hash(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{NAMESPACE}:{kind}:{value}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def front_key(note: Note) -> str:
    """The normalized front text as a short hash: what "the same front" means."""
    return _digest(normalize(note.front))


def fresh_guid(natural: str, taken: set[str]) -> str:
    """A new note whose natural guid an earlier note already holds gets one of its own."""
    candidate, number = natural, 0
    while candidate in taken:
        number += 1
        candidate = _hash("again", f"{natural}:{number}")
    return candidate


@dataclass(frozen=True)
class NoteKeys:
    """What a note of this build can be recognised by in the lock."""

    file: str  # as the lock writes it: relative to the lock's folder
    explicit_id: str | None
    cell_id: str | None
    front: str
    content: str


Key = Callable[[NoteKeys], Hashable | None]
EntryKey = Callable[[LockedNote], Hashable | None]


def match(
    notes: Sequence[NoteKeys],
    entries: Sequence[LockedNote],
    protected: frozenset[str] = frozenset(),
) -> list[LockedNote | None]:
    """Each note's entry in the lock (or None for a new note), strongest evidence first:

    1. the same explicit id;
    2. the same cell id in the same notebook;
    3. the same content (fields, tags, deck, note type): tells apart cards with the same
       front (which have ids of their own) and a card that only gained an explicit id;
    4. the same front text: the back was edited, or the card moved to another file or
       deck (which changes its Source field or deck, so not its content);
    5. the same cell id in a notebook that is gone from the build: a renamed notebook;
    6. the same place: the only new card between the same two neighbours in the same
       file as the only vanished one there, neither with an explicit or cell id (a
       card with a new id of its own is a new card): a reworded front.

    An entry goes to one note at most; among several candidates the same file wins,
    then the earlier entry. Entries of `protected` files (files with errors in this build,
    whose cards may only be missing for now) go only to notes of their own file.
    """
    built_files = {note.file for note in notes}
    passes: list[tuple[Key, EntryKey]] = [
        (lambda n: n.explicit_id, lambda e: e.explicit_id),
        (_cell_in_file, lambda e: (e.file, e.cell_id) if e.cell_id else None),
        (lambda n: n.content, lambda e: e.content),
        (lambda n: n.front, lambda e: e.front),
        (lambda n: n.cell_id, lambda e: e.cell_id if e.file not in built_files else None),
    ]
    protected_files = set(protected)
    found: list[LockedNote | None] = [None] * len(notes)
    claimed: set[str] = set()
    for note_key, entry_key in passes:
        _match_by_key(notes, entries, found, claimed, note_key, entry_key, protected_files)
    _match_by_place(notes, entries, found, claimed, protected_files)
    return found


def _cell_in_file(note: NoteKeys) -> Hashable | None:
    return (note.file, note.cell_id) if note.cell_id else None


def _match_by_key(
    notes: Sequence[NoteKeys],
    entries: Sequence[LockedNote],
    found: list[LockedNote | None],
    claimed: set[str],
    note_key: Key,
    entry_key: EntryKey,
    protected: set[str],
) -> None:
    # Only notes still without an entry, and only entries a note may get: after the
    # content pass a rebuild has nearly every note matched, and a first build has no
    # entries at all, so the later passes have nothing to do.
    waiting = [position for position, entry in enumerate(found) if entry is None]
    if not waiting:
        return
    index: dict[Hashable, list[LockedNote]] = defaultdict(list)
    for entry in entries:
        key = entry_key(entry)
        if key is not None and entry.guid not in claimed:
            index[key].append(entry)
    if not index:
        return
    # Notes whose entry is in their own file go first, so a copy elsewhere that happens
    # to come earlier in the build cannot take the original's entry.
    for same_file in (True, False):
        for position in waiting:
            note = notes[position]
            key = note_key(note)
            candidates = [
                entry
                for entry in (index.get(key, ()) if key is not None else ())
                if entry.guid not in claimed
                and (entry.file == note.file if same_file else entry.file not in protected)
            ]
            if candidates:
                found[position] = candidates[0]
                claimed.add(candidates[0].guid)
        waiting = [position for position in waiting if found[position] is None]


def _match_by_place(
    notes: Sequence[NoteKeys],
    entries: Sequence[LockedNote],
    found: list[LockedNote | None],
    claimed: set[str],
    protected: set[str],
) -> None:
    """Pair a new note with a vanished entry when each is alone in the same gap of a file.

    Not in a protected file: there the vanished card may only be broken for now, and a
    new card beside it must not take its place."""
    positions_by_file: dict[str, list[int]] = defaultdict(list)
    for position, note in enumerate(notes):
        positions_by_file[note.file].append(position)
    entries_by_file: dict[str, list[LockedNote]] = defaultdict(list)
    for entry in entries:
        entries_by_file[entry.file].append(entry)
    for file, positions in positions_by_file.items():
        if file in protected:
            continue
        anchors = [hit.guid if (hit := found[p]) else None for p in positions]
        new_in_gap = _gaps(anchors)
        old = entries_by_file.get(file, [])
        vanished_in_gap = _gaps([e.guid if e.guid in claimed else None for e in old])
        for gap, new in new_in_gap.items():
            vanished = vanished_in_gap.get(gap, [])
            if len(new) != 1 or len(vanished) != 1:
                continue
            note, entry = notes[positions[new[0]]], old[vanished[0]]
            if not (note.explicit_id or note.cell_id or entry.explicit_id or entry.cell_id):
                found[positions[new[0]]] = entry
                claimed.add(entry.guid)


def _gaps(anchors: list[str | None]) -> dict[tuple[str | None, str | None], list[int]]:
    """The places without an anchor, grouped by the anchors before and after them."""
    before: list[str | None] = []
    last: str | None = None
    for anchor in anchors:
        before.append(last)
        last = anchor if anchor is not None else last
    gaps: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
    following: str | None = None
    for place in range(len(anchors) - 1, -1, -1):
        if anchors[place] is None:
            gaps[(before[place], following)].append(place)
        else:
            following = anchors[place]
    return gaps


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
