"""`anki-tools sync` in the direct mode, against real collections made with the `anki`
package: adds, updates, moves, removals, notes edited in Anki, strangers' notes, a
collection Anki holds open, backups, dry runs and a broken state file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from anki.collection import Collection
from cli_run import run
from click.testing import Result

from anki_tools.sync import direct
from anki_tools.sync.state import state_path

from anki_collection import collection_rows
from watch_command import WatchCommand

if TYPE_CHECKING:  # anki.cards must not be imported before anki.collection
    from anki.cards import Card

COLLECTION = Path("profile/collection.anki2")
FIRST = """\
## What is 2 + 2?

Four.

## What is 3 + 3?

Six.

## What is 4 + 4?

Eight.
"""


@pytest.fixture
def project(in_tmp: Path) -> Path:
    """Notes in notes/a.md (deck `a`) and an empty collection, closed."""
    (in_tmp / "notes").mkdir()
    (in_tmp / "notes" / "a.md").write_text(FIRST, "utf-8")
    COLLECTION.parent.mkdir()
    Collection(str(COLLECTION)).close()
    return in_tmp


def sync(*args: str) -> Result:
    return run("sync", "notes", "--collection", str(COLLECTION), *args)


def sync_ok(*args: str) -> Result:
    result = sync(*args)
    assert result.exit_code == 0, result.output
    return result


@contextmanager
def opened() -> Iterator[Collection]:
    col = Collection(str(COLLECTION))
    try:
        yield col
    finally:
        col.close()


def card(col: Collection, front: str) -> Card:
    (card_id,) = col.find_cards(f'"Front:*{front}*"')
    return col.get_card(card_id)


def write_notes(text: str, name: str = "a.md") -> None:
    Path("notes", name).write_text(textwrap.dedent(text), "utf-8")


def review(col: Collection, front: str) -> int:
    shown = card(col, front)
    shown.start_timer()
    col.sched.answerCard(shown, 3)
    return shown.id


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_first_sync_adds_the_deck_and_writes_what_build_writes(project: Path) -> None:
    result = sync_ok()
    assert "notes.apkg: 3 notes, 3 cards" in result.stdout  # the build, as `build` says it
    assert Path("notes.apkg").is_file() and Path("notes.lock").is_file()
    assert "notes.apkg: 3 added, 0 updated, 0 unchanged, 0 moved, 0 removed, 0 skipped" in (
        result.stdout
    )
    with opened() as col:
        assert col.note_count() == 3
        assert col.decks.name(card(col, "2 + 2").did) == "a"
    again = sync_ok()
    assert "0 added, 0 updated, 3 unchanged" in again.stdout


def test_a_deck_up_to_date_for_build_is_still_synced(project: Path) -> None:
    """The build manifest makes an unchanged deck "up to date"; sync still plans the
    notes and applies them, each time."""
    Path("decks").mkdir()
    Path("decks/a.yaml").write_text("name: A\nsources: [notes/a.md]\n", "utf-8")
    assert run("build").exit_code == 0
    assert "decks/a.apkg: up to date" in run("build").stdout
    first = run("sync", "--collection", str(COLLECTION))
    assert "decks/a.apkg: 3 added, 0 updated" in first.stdout, first.output
    again = run("sync", "--collection", str(COLLECTION))
    assert "decks/a.apkg: 0 added, 0 updated, 3 unchanged" in again.stdout, again.output
    with opened() as col:
        assert col.note_count() == 3


def test_an_edit_in_the_sources_updates_the_note_and_keeps_its_reviews(project: Path) -> None:
    sync_ok()
    with opened() as col:
        reviewed = review(col, "2 + 2")
    write_notes(FIRST.replace("Four.", "Four, of course."))
    result = sync_ok()
    assert "1 updated, 2 unchanged" in result.stdout
    with opened() as col:
        shown = card(col, "2 + 2")
        assert "Four, of course." in shown.answer()
        assert (shown.id, shown.reps) == (reviewed, 1)


def test_a_card_moved_to_another_deck_moves_with_its_reviews(project: Path) -> None:
    sync_ok()
    with opened() as col:
        reviewed = review(col, "3 + 3")
    write_notes(FIRST.replace("## What is 3 + 3?", "## What is 3 + 3? {deck=Sums}"))
    result = sync_ok()
    assert "1 moved" in result.stdout
    assert "moved: notes/a.md:5: What is 3 + 3? ('a' → 'Sums')" in result.stdout
    # The build's warning is about members' imports, and says sync moves the cards.
    assert "'Sums': sync moves its cards; members who import the deck keep them in 'a'" in (
        result.stderr
    )
    with opened() as col:
        shown = card(col, "3 + 3")
        assert col.decks.name(shown.did) == "Sums"
        assert (shown.id, shown.reps) == (reviewed, 1)
        assert col.decks.name(card(col, "2 + 2").did) == "a"


def test_a_removed_card_is_tagged_and_suspended_then_deleted_only_when_asked(
    project: Path,
) -> None:
    sync_ok()
    with opened() as col:
        review(col, "4 + 4")
    write_notes(FIRST.split("## What is 4 + 4?")[0])
    result = sync_ok()
    assert "1 removed" in result.stdout
    assert "removed: notes/a.md:9: What is 4 + 4? (tagged anki-tools::removed and suspended)" in (
        result.stdout
    )
    assert "  sync retires them in your collection (below); members who import" in result.stdout
    with opened() as col:
        shown = card(col, "4 + 4")
        assert shown.queue == -1 and shown.reps == 1  # suspended, reviews kept
        assert "anki-tools::removed" in shown.note().tags
        assert col.note_count() == 3
    assert "0 removed" in sync_ok().stdout  # removed once, not again
    deleted = sync_ok("--delete-removed")
    assert "removed: notes/a.md:9: What is 4 + 4? (deleted)" in deleted.stdout
    with opened() as col:
        assert col.note_count() == 2
        assert not col.find_cards('"Front:*4 + 4*"')
        assert card(col, "2 + 2").queue == 0  # the others are untouched


def test_a_removed_card_back_in_the_sources_is_restored(project: Path) -> None:
    sync_ok()
    write_notes(FIRST.split("## What is 4 + 4?")[0])
    sync_ok()
    write_notes(FIRST)
    assert "1 updated" in sync_ok().stdout
    with opened() as col:
        shown = card(col, "4 + 4")
        assert shown.queue == 0 and "anki-tools::removed" not in shown.note().tags


def test_a_note_edited_in_anki_is_skipped_and_reported_until_forced(project: Path) -> None:
    sync_ok()
    with opened() as col:
        note = card(col, "2 + 2").note()
        note["Back"] = "Four (my own words)."
        col.update_note(note)
    write_notes(FIRST.replace("Four.", "Four, from the sources.").replace("Six.", "Six!"))
    result = sync_ok()
    assert (
        "notes/a.md:1: warning: skipped: edited in Anki since the last sync: kept as it is "
        "(--force overwrites it)" in result.stderr
    )
    assert "1 updated, 1 unchanged, 0 moved, 0 removed, 1 skipped" in result.stdout
    with opened() as col:
        assert "my own words" in card(col, "2 + 2").answer()
        assert "Six!" in card(col, "3 + 3").answer()
    forced = sync_ok("--force")
    assert "1 updated, 2 unchanged" in forced.stdout and "skipped" not in forced.stderr
    with opened() as col:
        assert "Four, from the sources." in card(col, "2 + 2").answer()


def test_notes_this_deck_did_not_make_are_never_touched(project: Path) -> None:
    with opened() as col:
        basic = col.models.by_name("Basic")
        assert basic is not None
        mine = col.new_note(basic)
        mine["Front"], mine["Back"] = "What is 2 + 2?", "my own card"
        col.add_note(mine, col.decks.id("a") or 1)
        before = col.db.all("SELECT id, guid, mod, flds, tags FROM notes")
        cards_before = col.db.all("SELECT id, did, queue, mod FROM cards")
    sync_ok()
    write_notes("## Something else\n\nentirely\n")
    sync_ok("--delete-removed", "--force")
    with opened() as col:
        assert col.db.all(f"SELECT id, guid, mod, flds, tags FROM notes WHERE id = {mine.id}") == [
            list(row) for row in before
        ]
        (card_row,) = cards_before
        assert col.db.all(f"SELECT id, did, queue, mod FROM cards WHERE nid = {mine.id}") == [
            list(card_row)
        ]
        assert col.note_count() == 2  # theirs and the new card


def test_a_collection_held_open_is_refused(project: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from anki.collection import Collection; "
            "col = Collection(sys.argv[1]); print('open', flush=True); sys.stdin.readline(); "
            "col.close()",
            str(COLLECTION),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        result = sync()
    finally:
        holder.communicate("\n", timeout=30)
    assert result.exit_code == 1
    assert (
        "Error: profile/collection.anki2: the collection is open in Anki (it is locked): "
        "close Anki, or sync through AnkiConnect while Anki runs" in result.stderr
    )
    assert "synced" not in result.stdout


def count_notes(backup: Path) -> int:
    with closing(sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)) as connection:
        (count,) = connection.execute("SELECT count() FROM notes").fetchone()
    return int(count)


def test_each_sync_backs_up_the_collection_and_keeps_the_last_five(project: Path) -> None:
    sync_ok()
    key = os.path.realpath(COLLECTION)
    folder = state_path(key).parent / "backups"
    (first,) = folder.iterdir()
    assert count_notes(first) == 0  # the collection as it was: empty
    for _ in range(6):
        sync_ok()
    kept = sorted(folder.iterdir())
    assert len(kept) == direct.KEEP_BACKUPS == 5
    assert first not in kept
    assert count_notes(kept[-1]) == 3


def test_a_dry_run_changes_nothing_and_prints_the_plan(project: Path) -> None:
    sync_ok()
    with opened() as col:
        note = card(col, "3 + 3").note()
        note["Back"] = "Six, I say."
        col.update_note(note)
    write_notes("## What is 2 + 2?\n\nFour!\n\n## What is 3 + 3?\n\nSix.\n")
    write_notes("## What is 5 + 5?\n\nTen.\n", "b.md")
    before = digest(COLLECTION), COLLECTION.stat().st_mtime_ns
    state_before = digest(state_path(os.path.realpath(COLLECTION)))
    lock_before = digest(Path("notes.lock"))
    result = sync_ok("--dry-run")
    assert (digest(COLLECTION), COLLECTION.stat().st_mtime_ns) == before
    assert digest(state_path(os.path.realpath(COLLECTION))) == state_before
    assert digest(Path("notes.lock")) == lock_before
    lines = result.stdout.splitlines()
    start = lines.index("would sync into profile/collection.anki2")
    assert lines[start:] == [
        "would sync into profile/collection.anki2",
        "notes.apkg: 1 added, 1 updated, 0 unchanged, 0 moved, 1 removed, 1 skipped",
        "  added: notes/b.md:1: What is 5 + 5?",
        "  updated: notes/a.md:1: What is 2 + 2?",
        "  removed: notes/a.md:9: What is 4 + 4? (tagged anki-tools::removed and suspended)",
        "  skipped: notes/a.md:5: What is 3 + 3? (edited in Anki since the last sync: kept as "
        "it is (--force overwrites it))",
    ]


def test_a_corrupt_state_file_stops_sync_with_its_path(project: Path) -> None:
    sync_ok()
    path = state_path(os.path.realpath(COLLECTION))
    before = digest(COLLECTION)
    for broken in (b"{not json", b'{"format": "anki-tools sync state", "version": 1}', b"\xff"):
        path.write_bytes(broken)
        result = sync()
        assert result.exit_code == 1
        assert f"Error: {path}: " in result.stderr
        assert "move it away to start afresh" in result.stderr
        assert digest(COLLECTION) == before
    path.unlink()  # as the message says: afresh, every note is the collection's already
    assert "0 added, 0 updated, 3 unchanged" in sync_ok().stdout


def test_an_older_schema_is_upgraded_only_when_allowed(project: Path) -> None:
    col = Collection(str(COLLECTION))
    col.close(downgrade=True)
    assert direct.schema_version(COLLECTION) < direct.written_schema()
    before = digest(COLLECTION)
    refused = sync()
    assert refused.exit_code == 1
    assert "would upgrade this collection's schema from 11" in refused.stderr
    assert digest(COLLECTION) == before
    planned = sync_ok("--allow-upgrade", "--dry-run")  # a dry run reads a copy
    assert "3 added" in planned.stdout
    assert digest(COLLECTION) == before
    assert "3 added" in sync_ok("--allow-upgrade").stdout
    assert direct.schema_version(COLLECTION) == direct.written_schema()


def test_not_a_collection_is_a_clear_error(project: Path) -> None:
    COLLECTION.write_bytes(b"hello")
    result = sync()
    assert result.exit_code == 1
    assert "Error: profile/collection.anki2: not an Anki collection" in result.stderr


def test_the_default_collection_is_the_one_profile_anki_opens(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = project / "Anki2"
    (base / "Me").mkdir(parents=True)
    Collection(str(base / "Me" / "collection.anki2")).close()
    with sqlite3.connect(base / "prefs21.db") as prefs:
        prefs.execute("CREATE TABLE profiles (name TEXT PRIMARY KEY, data BLOB NOT NULL)")
        prefs.execute("INSERT INTO profiles VALUES ('_global', x''), ('Me', x'')")
    monkeypatch.setenv("ANKI_BASE", str(base))
    result = run("sync", "notes")
    assert result.exit_code == 0, result.output
    assert "synced into Anki2/Me/collection.anki2" in result.stdout
    with sqlite3.connect(base / "prefs21.db") as prefs:
        prefs.execute("INSERT INTO profiles VALUES ('Other', x'')")
    several = run("sync", "notes")
    assert several.exit_code == 1
    assert "cannot tell which Anki profile to sync into" in several.stderr


def test_without_the_anki_package_sync_says_how_to_install_it(project: Path) -> None:
    code = (
        "import sys; sys.modules['anki'] = None\n"
        "from anki_tools.cli import main\n"
        "main(['sync', 'notes', '--collection', sys.argv[1]], prog_name='anki-tools')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(COLLECTION)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert 'pip install "anki-tools[sync]"' in done.stderr
    assert "Traceback" not in done.stderr


@contextmanager
def opened_at(path: Path) -> Iterator[Collection]:
    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close()


def test_the_direct_import_matches_the_importer_ankiconnect_runs(project: Path) -> None:
    """AnkiConnect's importPackage runs `anki.importing.AnkiPackageImporter` (Anki's
    modern importer with its options): the direct mode's import leaves a collection in the
    same state, a first time and for an update."""
    from anki.importing import AnkiPackageImporter

    other = Path("other/collection.anki2")
    other.parent.mkdir()
    Collection(str(other)).close()
    for text in (FIRST, FIRST.replace("Four.", "Four, updated.")):
        write_notes(text)
        sync_ok()
        with opened_at(other) as col:
            AnkiPackageImporter(col, str(Path("notes.apkg").absolute())).run()
        assert collection_rows(other) == collection_rows(COLLECTION)
    assert "Four, updated." in str(collection_rows(COLLECTION)["notes"])


def test_every_deck_config_is_synced_and_a_deck_with_errors_is_not(project: Path) -> None:
    decks = Path("decks")
    decks.mkdir()
    (decks / "good.yaml").write_text("name: Good\nsources: [notes/a.md]\n", "utf-8")
    (decks / "bad.yaml").write_text("name: Bad\nsources: [broken/*.md]\n", "utf-8")
    Path("broken").mkdir()
    Path("broken/b.md").write_text("## A card\n\n![missing](nowhere.png)\n", "utf-8")
    result = run("sync", "--collection", str(COLLECTION))
    assert result.exit_code == 1, result.output
    assert "decks/good.apkg: 3 added" in result.stdout
    assert "decks/bad.apkg:" not in result.stdout.split("synced into")[1]
    with opened() as col:
        assert col.note_count() == 3
        assert {col.decks.name(col.get_card(c).did) for c in col.find_cards("")} == {"Good"}


def test_a_card_moved_to_another_deck_config_moves_and_is_not_removed(project: Path) -> None:
    decks = Path("decks")
    decks.mkdir()
    (decks / "one.yaml").write_text("name: One\nsources: [notes/a.md]\n", "utf-8")
    (decks / "two.yaml").write_text("name: Two\nsources: [notes/b.md]\n", "utf-8")
    write_notes("## What is 9 + 9?\n\nEighteen.\n", "b.md")
    first = run("sync", "--collection", str(COLLECTION))
    assert first.exit_code == 0, first.output
    with opened() as col:
        reviewed = review(col, "2 + 2")
    # Cut from a.md (deck One), pasted into b.md (deck Two): its front keeps its guid.
    write_notes(FIRST.replace("## What is 2 + 2?\n\nFour.\n\n", ""))
    write_notes("## What is 2 + 2?\n\nFour.\n\n## What is 9 + 9?\n\nEighteen.\n", "b.md")
    moved = run("sync", "--collection", str(COLLECTION))
    assert moved.exit_code == 0, moved.output
    assert "decks/one.apkg: 0 added, 0 updated, 2 unchanged, 0 moved, 0 removed" in moved.stdout
    # Updated: its Source field names b.md now.
    assert "decks/two.apkg: 0 added, 1 updated, 1 unchanged, 1 moved, 0 removed" in moved.stdout
    with opened() as col:
        shown = card(col, "2 + 2")
        assert (shown.id, shown.reps) == (reviewed, 1)
        assert shown.queue != -1  # not suspended
        assert col.decks.name(shown.did) == "Two"
        assert "anki-tools::removed" not in shown.note().tags


def test_text_anki_normalizes_on_import_syncs_cleanly(project: Path) -> None:
    """Anki stores `e` + combining accent as one `é` (NFC): that is the card's text
    taken, not an edit and not a failure."""
    write_notes("## Caf\u0065\u0301 question?\n\nAnswer with e\u0301.\n")
    assert "1 added" in sync_ok().stdout
    again = sync_ok()
    assert "0 added, 0 updated, 1 unchanged, 0 moved, 0 removed, 0 skipped" in again.stdout


def test_sync_watch_syncs_every_save_and_goes_on_through_a_locked_collection(
    project: Path,
) -> None:
    running = WatchCommand(project, "sync", "--watch", "notes", "--collection", str(COLLECTION))
    try:
        running.out.wait_for_status(
            "notes.apkg: 3 notes, 3 cards, 0 media; "
            f"synced into {COLLECTION}: notes.apkg: 3 added, 0 updated"
        )
        write_notes(FIRST.replace("Four.", "Four, on save."))
        running.out.wait_for_status("after notes/a.md: ")
        assert "notes.apkg: 0 added, 1 updated, 2 unchanged" in running.out.statuses()[-1]
        with closing(sqlite3.connect(COLLECTION)) as holder:  # as Anki holds it open
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
            write_notes(FIRST.replace("Four.", "Four, while Anki is open."))
            running.out.wait_for_status("; not synced")
            running.err.wait_for(
                lambda lines: any("the collection is open in Anki" in line for line in lines),
                "the locked collection's error",
            )
            holder.rollback()
        write_notes(FIRST.replace("Four.", "Four, Anki closed again."))
        running.out.wait_for_status("notes.apkg: 0 added, 1 updated, 2 unchanged")
        assert running.interrupt() == 0
        assert "Traceback" not in "\n".join(running.err.lines)
    finally:
        running.close()
    with opened() as col:
        assert "Four, Anki closed again." in card(col, "2 + 2").answer()
