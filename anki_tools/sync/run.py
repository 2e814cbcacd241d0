"""A sync from start to end: the built decks, sync's state and a collection → the plan,
applied (or only shown, for a dry run), and the summary."""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Problem, Severity, SyncError, printable
from ..notes import Source, StampedNote, display_path
from ..pipeline import StampedDeck
from . import ankiconnect, direct
from .backend import REMOVED_TAG, Backend, CollectionNote, ImportCounts, fields_hash
from .plan import NEWER, BuildNote, Request, SyncPlan, plan_sync
from .state import SyncedNote, SyncState, read_state, write_state


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    request: Request = field(default_factory=Request)
    collection: Path | None = None  # the direct mode's file (None: the default profile's)
    allow_upgrade: bool = False
    anki_connect: str | None = None  # AnkiConnect's address (None: try the default one)
    anki_connect_key: str | None = None


@dataclass(frozen=True)
class DeckToSync:
    """A built deck: its package (the .apkg, naming it in sync's state) and notes."""

    output: Path
    stamped: StampedDeck


@dataclass
class DeckSync:
    """What sync did (or, for a dry run, would do) to one deck."""

    output: Path
    plan: SyncPlan
    imported: ImportCounts | None = None
    not_applied: list[Problem] = field(default_factory=list)
    kept: list[Problem] = field(default_factory=list)  # warnings found only in applying


@dataclass
class SyncResult:
    collection: Path
    dry_run: bool
    backup: Path | None = None
    through: str | None = None  # AnkiConnect's address, in the AnkiConnect mode
    decks: list[DeckSync] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Skipped notes as warnings at their sources; notes not applied as errors."""
        found = [
            Problem(skip.note.source, f"skipped: {skip.reason}", Severity.WARNING)
            for deck in self.decks
            for skip in deck.plan.skipped
        ]
        found += [problem for deck in self.decks for problem in deck.kept]
        return found + [problem for deck in self.decks for problem in deck.not_applied]

    @property
    def failed(self) -> bool:
        return any(deck.not_applied for deck in self.decks)

    def lines(self) -> list[str]:
        """The summary: a line per deck with its counts, then one per card that was added
        or updated (a dry run lists those; a sync only counts them), moved or removed."""
        backup = f" (backup: {display_path(self.backup)})" if self.backup else ""
        at = f" at {self.through}" if self.through else ""
        lines = [f"{self._into()}{at}{backup}"]
        for deck in self.decks:
            lines += _deck_lines(deck, self.dry_run)
        return [printable(line) for line in lines]

    def status(self) -> str:
        """The summary in one line, for watch mode: `synced into X: a.apkg: 1 added, …`."""
        decks = "; ".join(f"{display_path(deck.output)}: {_counts(deck)}" for deck in self.decks)
        failed = f" ({len(self.problems)} not applied)" if self.failed else ""
        return printable(f"{self._into()}: {decks}{failed}")

    def _into(self) -> str:
        """`synced into profile/collection.anki2 [through AnkiConnect]`: where, and how."""
        verb = "would sync" if self.dry_run else "synced"
        through = " through AnkiConnect" if self.through else ""
        return f"{verb} into {display_path(self.collection)}{through}"


def _counts(deck: DeckSync) -> str:
    plan = deck.plan
    return (
        f"{len(plan.added)} added, {len(plan.updated)} updated, {len(plan.unchanged)} unchanged, "
        f"{len(plan.moved)} moved, {len(plan.removed)} removed, {len(plan.skipped)} skipped"
    )


def _deck_lines(deck: DeckSync, dry_run: bool) -> list[str]:
    plan = deck.plan
    lines = [f"{display_path(deck.output)}: {_counts(deck)}"]
    if dry_run:
        lines += [f"  added: {note.source}: {note.title}" for note in plan.added]
        lines += [f"  updated: {u.note.source}: {u.note.title}" for u in plan.updated]
    lines += [
        f"  moved: {m.note.source}: {m.note.title} ('{m.old_deck}' → '{m.note.deck}')"
        for m in plan.moved
    ]
    for removal in plan.removed:
        done = "deleted" if removal.delete else f"tagged {REMOVED_TAG} and suspended"
        why = f"; {removal.reason}" if removal.reason else ""
        synced = removal.synced
        lines.append(f"  removed: {synced.source}: {synced.title} ({done}{why})")
    lines += [f"  skipped: {s.note.source}: {s.note.title} ({s.reason})" for s in plan.skipped]
    return lines


def sync(decks: Sequence[DeckToSync], options: SyncOptions) -> SyncResult:
    """Sync through AnkiConnect when asked to (`anki_connect`), into the file when given
    one (`collection`); else through AnkiConnect if a running Anki answers at its default
    address, and into the default profile's file if not."""
    if options.anki_connect is not None:
        return sync_anki_connect(decks, options)
    if options.collection is None:
        probe = ankiconnect.AnkiConnect(ankiconnect.DEFAULT_URL, options.anki_connect_key)
        if probe.answers():
            return sync_anki_connect(decks, replace(options, anki_connect=probe.url))
    return sync_direct(decks, options)


def sync_anki_connect(decks: Sequence[DeckToSync], options: SyncOptions) -> SyncResult:
    """Sync into the collection a running Anki has open, through AnkiConnect. No backup
    of sync's own: Anki holds the file locked (its own backups are in the profile)."""
    url = options.anki_connect or ankiconnect.DEFAULT_URL
    backend = ankiconnect.AnkiConnectBackend(ankiconnect.AnkiConnect(url, options.anki_connect_key))
    result = SyncResult(backend.collection, options.dry_run, through=url)
    sync_with(backend, read_state(backend.key), decks, options, result)
    return result


def sync_direct(decks: Sequence[DeckToSync], options: SyncOptions) -> SyncResult:
    """Sync into a collection file with Anki closed: check it, back it up, apply, save."""
    path = (options.collection or direct.default_collection()).absolute()
    direct.check_schema(path, options.allow_upgrade)  # refuses a collection Anki has open
    key = direct.collection_key(path)
    state = read_state(key)
    result = SyncResult(path, options.dry_run)
    with tempfile.TemporaryDirectory(prefix="anki-tools-sync-") as scratch:
        if options.dry_run:  # a copy: opening a collection may upgrade it, and must not
            opened = direct.copy_collection(path, Path(scratch) / "collection.anki2")
        else:
            opened = path
            result.backup = direct.back_up(path, key)
        backend = direct.DirectBackend(opened, key)
        sync_with(backend, state, decks, options, result, direct.anki_errors())
    return result


def sync_with(
    backend: Backend,
    state: SyncState,
    decks: Sequence[DeckToSync],
    options: SyncOptions,
    result: SyncResult,
    failures: tuple[type[Exception], ...] = (),
) -> None:
    """Apply each deck through a backend, then close it and save the state (`state` is
    `read_state(backend.key)`, read before anything is written). `failures` are the
    backend's own errors, reported with the backup taken; the state keeps every deck
    applied before one."""
    try:
        result.decks += sync_decks(backend, state, decks, options)
    except failures as error:  # a full disk, a broken collection, Anki gone
        backup = f" (it was backed up before this sync: {result.backup})" if result.backup else ""
        where = Source(result.collection)
        raise SyncError(f"Anki could not apply the deck: {error}{backup}", where) from error
    finally:
        backend.close()
        if not options.dry_run:
            write_state(state)


def sync_decks(
    backend: Backend, state: SyncState, decks: Iterable[DeckToSync], options: SyncOptions
) -> list[DeckSync]:
    """Plan and apply each deck through any backend; `state` is updated in place, deck
    by deck."""
    decks = list(decks)
    for deck in decks:
        _hand_over(state, _deck_key(deck), {note.guid for note in deck.stamped.notes})
    return [_sync_deck(backend, state, deck, options) for deck in decks]


def _deck_key(deck: DeckToSync) -> str:
    return os.path.realpath(deck.output)  # the deck, as sync's state names it


def _hand_over(state: SyncState, key: str, guids: set[str]) -> None:
    """A card moved to another deck config keeps its guid (its front asks for it): the
    note sync wrote for the old deck is now the new deck's, not a removal of the old."""
    mine = state.decks.setdefault(key, {})
    for other, notes in state.decks.items():
        if other != key:
            for guid in guids & notes.keys() - mine.keys():
                mine[guid] = notes.pop(guid)


def _sync_deck(
    backend: Backend, state: SyncState, deck: DeckToSync, options: SyncOptions
) -> DeckSync:
    key = _deck_key(deck)
    stamped = deck.stamped
    synced = state.decks.get(key, {})
    build = [_build_note(note, stamped) for note in stamped.notes]
    wanted: dict[str, int | None] = {note.guid: note.note_id for note in build}
    wanted.update((guid, entry.note_id) for guid, entry in synced.items())
    before = backend.snapshot(wanted)
    note_type_ids = frozenset(note_type.id for note_type in stamped.note_types.values())
    plan = plan_sync(synced, build, before, note_type_ids, options.request, int(time.time()))
    done = DeckSync(deck.output, plan)
    if options.dry_run:
        return done
    done.imported = _import(backend, stamped, plan)
    _apply(backend, plan, backend.snapshot(wanted))
    after = backend.snapshot(wanted)
    state.decks[key] = _new_state(synced, plan, after, done)
    return done


def _build_note(stamped: StampedNote, deck: StampedDeck) -> BuildNote:
    note = stamped.rendered
    note_type = deck.note_types[note.note.kind]
    fields = [note.fields[name] for name in note_type.fields]
    return BuildNote(
        guid=stamped.guid,
        note_id=stamped.note_id,
        content=deck.contents[stamped.guid],
        deck=note.note.deck,
        modified=stamped.modified,
        fields_hash=fields_hash(fields, sorted(set(note.note.tags))),
        source=note.note.source,
        title=note.note.title.strip(),
    )


def _import(backend: Backend, deck: StampedDeck, plan: SyncPlan) -> ImportCounts | None:
    """Import the added and updated notes, each with the modified time the plan gives it,
    from a package of their own (the release .apkg and the lock stay as built)."""
    from .. import builder  # deferred, as for a build: genanki is slow to import

    times = plan.package()
    notes = [replace(n, modified=times[n.guid]) for n in deck.notes if n.guid in times]
    if not notes:
        return None
    with tempfile.TemporaryDirectory(prefix="anki-tools-sync-") as folder:
        package = Path(folder) / "sync.apkg"
        builder.write_package(
            notes, deck.note_types, deck.note_type_modified, package, deck.descriptions
        )
        return backend.import_package(package)


def _apply(backend: Backend, plan: SyncPlan, found: dict[str, CollectionNote]) -> None:
    """What an import cannot do: restore, move, remove (tag and suspend, or delete)."""
    restored = [
        found[u.note.guid].note_id for u in plan.updated if u.restore and u.note.guid in found
    ]
    if restored:
        backend.restore(restored)
    by_deck: dict[str, list[int]] = defaultdict(list)
    for move in plan.moved:
        by_deck[move.note.deck] += move.card_ids
    for deck, cards in sorted(by_deck.items()):
        backend.move(cards, deck)
    suspend = [r.note_id for r in plan.removed if not r.delete]
    if suspend:
        backend.tag_and_suspend(suspend)
    delete = [r.note_id for r in plan.removed if r.delete]
    if delete:
        backend.delete(delete)


def _new_state(
    synced: dict[str, SyncedNote],
    plan: SyncPlan,
    after: dict[str, CollectionNote],
    done: DeckSync,
) -> dict[str, SyncedNote]:
    """What sync wrote, as the collection has it now. A note that should be there and
    is not, or did not take the new fields, is an error: something was not applied."""
    new = dict(synced)
    times = plan.package()  # what the package carried, when the backend cannot tell
    written = [*plan.added, *(u.note for u in plan.updated), *plan.unchanged]
    left_to_import = {u.note.guid for u in plan.updated if u.import_decides}
    for note in written:
        found = after.get(note.guid)
        taken = found is not None and found.fields_hash == note.fields_hash
        if found is not None and not taken and note.guid in left_to_import:
            done.kept.append(Problem(note.source, f"skipped: {NEWER}", Severity.WARNING))
            continue
        if found is None or (note not in plan.unchanged and not taken):
            done.not_applied.append(
                Problem(note.source, "Anki did not take this card's new text: it was not synced")
            )
            continue
        new[note.guid] = SyncedNote(
            found.note_id,
            note.content,
            note.deck,
            _modified(found, times.get(note.guid, _synced_time(synced, note))),
            found.fields_hash,
            str(note.source),
            note.title,
        )
    for move in plan.moved:  # a skipped note's cards moved all the same
        if move.note.guid in new:
            new[move.note.guid] = replace(new[move.note.guid], deck=move.note.deck)
    for removal in plan.removed:
        found = after.get(removal.guid)
        if removal.delete and found is None:
            del new[removal.guid]
        elif found is not None and not removal.delete:
            modified = _modified(found, removal.synced.modified)
            new[removal.guid] = replace(
                removal.synced, removed=True, modified=modified, fields_hash=found.fields_hash
            )
        else:
            what = "still in the collection" if found else "no longer in the collection"
            place = Source(Path(removal.synced.source))  # `notes/a.md:12` as it was
            done.not_applied.append(Problem(place, f"this removed card is {what}"))
    for guid in plan.gone:
        new.pop(guid, None)
    return new


def _modified(found: CollectionNote, otherwise: int) -> int:
    return found.modified if found.modified is not None else otherwise


def _synced_time(synced: dict[str, SyncedNote], note: BuildNote) -> int:
    entry = synced.get(note.guid)
    return entry.modified if entry is not None else note.modified
