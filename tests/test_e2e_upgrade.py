"""End to end: a deck and lock written by the previous version (Python-Markdown, commit
0a57afc), rebuilt by this version and imported again, update the notes in place.

The engine change may change every note's HTML, so its content hash, once: the lock must
still give each note its guid and note id, and a later modified time where the fields
changed, or Anki would add copies (new guid) or skip the update (not newer).
See tests/fixtures/upgrade/README.md for how the old files were made.
"""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from anki_tools import build
from anki_tools.result import BuildResult
from anki_tools.sharing.lock import LockedNote, read_lock
from anki_tools.sharing.report import Change

from anki_collection import AnkiProfile
from conftest import FIXED_TIME

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade"
OLD_APKG = FIXTURE / "old" / "deck.apkg"
OLD_LOCK = FIXTURE / "old" / "deck.lock"
NOTES, CARDS, MEDIA = 13, 16, 1
# The old deck was built at FIXED_TIME; the upgrade's rebuild comes a day later.
LATER = FIXED_TIME + 86_400
EASY = 4  # graduates a new card at once, so it gets an interval and a due day


@dataclass(frozen=True)
class StoredNote:
    """A note as an .apkg or the collection holds it."""

    note_id: int
    modified: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Upgrade:
    """The old lock, the old and new packages' notes (by guid) and the rebuild's result."""

    old_lock: list[LockedNote]
    old_notes: dict[str, StoredNote]
    new_notes: dict[str, StoredNote]
    new_lock: list[LockedNote]
    result: BuildResult
    output: Path

    def changed(self) -> set[str]:
        """Guids of the notes whose fields the new engine renders differently."""
        old = self.old_notes
        return {
            g for g, note in self.new_notes.items() if g not in old or note.fields != old[g].fields
        }

    def report_lines(self) -> list[str]:
        """What the build says it did to each note: the first thing to read on a failure."""
        return self.result.changes.lines(every_note=True) if self.result.changes else []


def package_notes(apkg: Path, folder: Path) -> dict[str, StoredNote]:
    """The notes of a package, read straight from its SQLite file, by guid."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(apkg) as package:
        database = Path(package.extract("collection.anki2", folder))
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("select guid, id, mod, flds from notes").fetchall()
    return {guid: StoredNote(nid, mod, tuple(flds.split("\x1f"))) for guid, nid, mod, flds in rows}


def collection_notes(anki: AnkiProfile) -> dict[str, StoredNote]:
    notes = [anki.col.get_note(note_id) for note_id in anki.col.find_notes("")]
    return {note.guid: StoredNote(note.id, note.mod, tuple(note.fields)) for note in notes}


def upgrade(tmp_path: Path) -> Upgrade:
    """Rebuild the fixture's notes with this version, against the old version's lock.

    The copies keep the fixture's layout (`notes/` beside the deck's folder), so the
    lock's `../notes/…` paths still name the same files and no card looks moved."""
    shutil.copytree(FIXTURE / "notes", tmp_path / "notes")
    output = tmp_path / "decks" / "deck.apkg"
    output.parent.mkdir()
    shutil.copy(OLD_LOCK, output.with_suffix(".lock"))
    result = build([tmp_path / "notes"], output, timestamp=LATER)
    assert result.written and not result.errors, result
    return Upgrade(
        old_lock=read_lock(OLD_LOCK).notes,
        old_notes=package_notes(OLD_APKG, tmp_path / "old-package"),
        new_notes=package_notes(output, tmp_path / "new-package"),
        new_lock=read_lock(output.with_suffix(".lock")).notes,
        result=result,
        output=output,
    )


def review_every_note(anki: AnkiProfile) -> None:
    """Answer one card of each note, as a learner would, so every note has history."""
    for note_id in anki.col.find_notes(""):
        card = anki.col.get_card(anki.col.card_ids_of_note(note_id)[0])
        card.start_timer()
        anki.col.sched.answerCard(card, EASY)


def scheduling(anki: AnkiProfile) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every card's scheduling and the whole review log: what an update must not touch."""
    cards = anki.col.db.all(
        "select id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses from cards"
        " order by id"
    )
    revlog = anki.col.db.all("select id, cid, ease, ivl, type from revlog order by id")
    return [tuple(row) for row in cards], [tuple(row) for row in revlog]


def test_old_fixture_is_one_build_of_its_lock(tmp_path: Path) -> None:
    """The package and the lock must come from the same old build, or the checks below
    compare the wrong times and ids."""
    old_lock = read_lock(OLD_LOCK).notes
    old_notes = package_notes(OLD_APKG, tmp_path)
    assert len(old_lock) == NOTES
    assert {e.guid: (e.note_id, e.modified) for e in old_lock} == {
        guid: (note.note_id, note.modified) for guid, note in old_notes.items()
    }
    assert {e.modified for e in old_lock} == {int(FIXED_TIME)}


def test_rebuild_after_the_upgrade_updates_notes_in_place(
    anki: AnkiProfile, tmp_path: Path
) -> None:
    assert anki.import_deck(OLD_APKG) == (NOTES, 0, 0)
    review_every_note(anki)
    before, history, media = collection_notes(anki), scheduling(anki), anki.media_files()
    assert len(history[1]) == NOTES  # one review each: the history to keep
    assert len(media) == MEDIA

    done = upgrade(tmp_path)
    changed = done.changed()
    # Anki logs a note it already has and that is not newer as a "duplicate": left as it
    # is, not copied. A copy would be a *new* note, with a guid of its own.
    counts = anki.import_deck(done.output)
    assert counts == (0, len(changed), NOTES - len(changed)), done.report_lines()
    after = collection_notes(anki)
    assert {g: n.note_id for g, n in after.items()} == {g: n.note_id for g, n in before.items()}
    assert len(anki.col.find_cards("")) == CARDS
    assert after == done.new_notes  # every note now holds exactly what the new build wrote
    # Strictly later, or Anki would have kept the old fields.
    assert all(after[g].modified > before[g].modified for g in changed)
    assert scheduling(anki) == history
    assert anki.media_files() == media  # named by content: the same picture, the same file
    assert_lock_kept_identity(done)
    assert_report_has_no_new_or_removed_notes(done, changed)


def assert_lock_kept_identity(done: Upgrade) -> None:
    """Same notes in the same order, with the same guid, note id and place; only the
    notes whose fields changed got a later modified time."""

    def identity(entry: LockedNote) -> tuple[object, ...]:
        return (entry.guid, entry.note_id, entry.source, entry.kind, entry.explicit_id)

    assert [identity(e) for e in done.new_lock] == [identity(e) for e in done.old_lock]
    assert [e.cell_id for e in done.new_lock] == [e.cell_id for e in done.old_lock]
    old_times = {e.guid: e.modified for e in done.old_lock}
    moved = {e.guid for e in done.new_lock if e.modified != old_times[e.guid]}
    assert moved == done.changed()
    # Anki updates a note on import only when the package's copy is newer.
    for entry in done.new_lock:
        if entry.guid in moved:
            assert entry.modified > old_times[entry.guid], entry
    assert {g: n.note_id for g, n in done.new_notes.items()} == {
        e.guid: e.note_id for e in done.old_lock
    }


def assert_report_has_no_new_or_removed_notes(done: Upgrade, changed: set[str]) -> None:
    report = done.result.changes
    assert report is not None and not report.first_build
    assert report.count(Change.ADDED) == 0, done.report_lines()
    assert report.removed == [], done.report_lines()
    assert report.count(Change.UNCHANGED) == NOTES - len(changed), done.report_lines()


def test_the_fixture_exercises_the_engine_change(tmp_path: Path) -> None:
    """Without a note whose HTML changed, the test above cannot fail for the reason it
    exists: this fails until the new engine renders some field of the fixture differently."""
    done = upgrade(tmp_path)
    assert done.changed(), "no field of the fixture renders differently from the old version"
