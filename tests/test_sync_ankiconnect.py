"""`anki-tools sync` through AnkiConnect, against the real Anki desktop running the real
add-on (tests/anki_running.py): adds, updates, moves, removals, notes edited in Anki, a
dry run, and the same collection state as the direct mode leaves."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection
from cli_run import run
from click.testing import Result

from anki_tools.notes import display_path
from anki_tools.sync import ankiconnect

from anki_collection import collection_rows
from anki_running import RunningAnki, anki_connect_available
from watch_command import WatchCommand

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(anki_connect_available() is not None, reason=str(anki_connect_available())),
]

FIRST = """\
## What is 2 + 2?

Four.

## What is 3 + 3?

Six.

## What is 4 + 4?

Eight.
"""
# The second version: one card reworded, one moved to another deck, one removed.
SECOND = (
    FIRST.replace("Four.", "Four, updated.")
    .replace("## What is 3 + 3?", "## What is 3 + 3? {deck=Sums}")
    .split("## What is 4 + 4?")[0]
)


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[RunningAnki]:
    running = RunningAnki.start(tmp_path / "anki")
    try:
        yield running
    finally:
        running.kill()


@pytest.fixture
def project(in_tmp: Path) -> Path:
    write_notes(FIRST)
    return in_tmp


def write_notes(text: str) -> None:
    Path("notes").mkdir(exist_ok=True)
    Path("notes", "a.md").write_text(textwrap.dedent(text), "utf-8")


def sync_ok(anki: RunningAnki, *args: str) -> Result:
    result = run("sync", "notes", "--anki-connect", anki.url, *args)
    assert result.exit_code == 0, result.output
    return result


def notes(anki: RunningAnki) -> dict[str, dict[str, Any]]:
    """Every note of the collection, by the start of its front: back, tags, and its card's
    deck and whether it is suspended, as AnkiConnect tells them."""
    found = {}
    for info in anki.call("notesInfo", notes=anki.call("findNotes", query="deck:*")):
        (card,) = info["cards"]
        (deck,) = anki.call("getDecks", cards=[card])
        (suspended,) = anki.call("areSuspended", cards=[card])
        front = info["fields"]["Front"]["value"]
        found[front.removeprefix("<p>")[:14]] = {
            "back": info["fields"]["Back"]["value"],
            "tags": info["tags"],
            "deck": deck,
            "suspended": suspended,
            "note": info["noteId"],
        }
    return found


def test_sync_adds_updates_moves_and_removes_through_ankiconnect(
    project: Path, anki: RunningAnki
) -> None:
    first = sync_ok(anki)
    assert (
        f"synced into {display_path(anki.collection)} through AnkiConnect at {anki.url}"
        in first.stdout
    )
    assert "notes.apkg: 3 added, 0 updated, 0 unchanged" in first.stdout
    before = notes(anki)
    assert sorted(before) == ["What is 2 + 2?", "What is 3 + 3?", "What is 4 + 4?"]
    assert {note["deck"] for note in before.values()} == {"a"}
    assert "0 added, 0 updated, 3 unchanged" in sync_ok(anki).stdout

    write_notes(SECOND)
    second = sync_ok(anki)
    assert "notes.apkg: 0 added, 2 updated, 0 unchanged, 1 moved, 1 removed" in second.stdout
    assert "moved: notes/a.md:5: What is 3 + 3? ('a' → 'Sums')" in second.stdout
    after = notes(anki)
    assert "Four, updated." in after["What is 2 + 2?"]["back"]
    assert after["What is 3 + 3?"]["deck"] == "Sums"
    assert after["What is 4 + 4?"]["tags"] == ["anki-tools::removed"]
    assert after["What is 4 + 4?"]["suspended"] is True
    assert not after["What is 2 + 2?"]["suspended"] and after["What is 2 + 2?"]["tags"] == []
    # The same notes, updated in place: their ids are the first sync's.
    assert {k: v["note"] for k, v in after.items()} == {k: v["note"] for k, v in before.items()}

    deleted = sync_ok(anki, "--delete-removed")
    assert "removed: notes/a.md:9: What is 4 + 4? (deleted)" in deleted.stdout
    assert sorted(notes(anki)) == ["What is 2 + 2?", "What is 3 + 3?"]

    write_notes(FIRST)  # back in the sources: added again, in its deck
    assert "1 added" in sync_ok(anki).stdout
    assert notes(anki)["What is 4 + 4?"]["deck"] == "a"


def test_a_removed_card_back_in_the_sources_is_restored(project: Path, anki: RunningAnki) -> None:
    sync_ok(anki)
    write_notes(FIRST.split("## What is 4 + 4?")[0])
    sync_ok(anki)
    assert notes(anki)["What is 4 + 4?"]["suspended"] is True
    write_notes(FIRST)
    assert "1 updated" in sync_ok(anki).stdout
    restored = notes(anki)["What is 4 + 4?"]
    assert restored["suspended"] is False and restored["tags"] == []


def test_a_note_edited_in_anki_is_kept_until_forced(project: Path, anki: RunningAnki) -> None:
    sync_ok(anki)
    edited = notes(anki)["What is 2 + 2?"]["note"]
    anki.call("updateNoteFields", note={"id": edited, "fields": {"Back": "Four (mine)."}})
    write_notes(FIRST.replace("Four.", "Four, from the sources.").replace("Six.", "Six!"))
    result = sync_ok(anki)
    assert (
        "notes/a.md:1: warning: skipped: edited in Anki since the last sync: kept as it is "
        "(--force overwrites it)" in result.stderr
    )
    assert "1 updated, 1 unchanged, 0 moved, 0 removed, 1 skipped" in result.stdout
    now = notes(anki)
    assert now["What is 2 + 2?"]["back"] == "Four (mine)."
    assert "Six!" in now["What is 3 + 3?"]["back"]
    forced = sync_ok(anki, "--force")
    assert "1 updated, 2 unchanged" in forced.stdout and "skipped" not in forced.stderr
    assert "Four, from the sources." in notes(anki)["What is 2 + 2?"]["back"]


def test_a_dry_run_through_ankiconnect_changes_nothing(project: Path, anki: RunningAnki) -> None:
    sync_ok(anki)
    before = notes(anki)
    write_notes(SECOND)
    dry = sync_ok(anki, "--dry-run")
    assert f"would sync into {display_path(anki.collection)} through AnkiConnect" in dry.stdout
    assert "notes.apkg: 0 added, 2 updated, 0 unchanged, 1 moved, 1 removed" in dry.stdout
    assert "  updated: notes/a.md:1: What is 2 + 2?" in dry.stdout
    assert notes(anki) == before
    assert "2 updated" in sync_ok(anki).stdout  # the dry run wrote no state either


def test_without_an_address_sync_tries_anki_connect_then_the_collection_file(
    project: Path, anki: RunningAnki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$ANKI_CONNECT_URL is --anki-connect. With neither (nor --collection) sync asks
    AnkiConnect's default address (here the running Anki's: the port of a test cannot be
    8765) and goes through it when it answers, into the default profile's file when not."""
    monkeypatch.setenv("ANKI_CONNECT_URL", anki.url)
    by_env = run("sync", "notes")
    assert f"through AnkiConnect at {anki.url}" in by_env.stdout, by_env.output
    monkeypatch.delenv("ANKI_CONNECT_URL")
    monkeypatch.setattr(ankiconnect, "DEFAULT_URL", anki.url)
    write_notes(SECOND)
    by_default = run("sync", "notes")
    assert f"through AnkiConnect at {anki.url}" in by_default.stdout, by_default.output
    assert "0 added, 2 updated" in by_default.stdout
    anki.kill()  # nothing answers at the default address now
    direct = run("sync", "notes")  # $ANKI_BASE (conftest) has no profile
    assert "through AnkiConnect" not in direct.output
    assert "cannot tell which Anki profile to sync into" in direct.output


def test_both_modes_leave_the_collection_in_the_same_state(
    project: Path, anki: RunningAnki
) -> None:
    """The same syncs, once through AnkiConnect into the running Anki and once into a
    closed collection file: what the learner's collection holds of the deck is the same."""
    closed = Path("closed/collection.anki2")
    closed.parent.mkdir()
    Collection(str(closed)).close()
    for text, extra in ((FIRST, ()), (SECOND, ()), (SECOND, ("--delete-removed",))):
        write_notes(text)
        sync_ok(anki, *extra)
        direct = run("sync", "notes", "--collection", str(closed), *extra)
        assert direct.exit_code == 0, direct.output
    anki.stop()  # closes the collection, so that its file can be read
    through_anki_connect = collection_rows(anki.collection, with_times=False)
    assert through_anki_connect == collection_rows(closed, with_times=False)
    with closing(Collection(str(anki.collection))) as col:  # what the learner sees
        (card_id,) = col.find_cards('"Front:*2 + 2*"')
        shown = col.get_card(card_id)
        assert "What is 2 + 2?" in shown.question()
        assert "Four, updated." in shown.answer() and "What is 2 + 2?" in shown.answer()
    assert len(through_anki_connect["notes"]) == 2
    assert sorted(row[2] for row in through_anki_connect["cards"]) == ["Sums", "a"]


def test_sync_watch_through_ankiconnect_syncs_every_save(project: Path, anki: RunningAnki) -> None:
    running = WatchCommand(project, "sync", "--watch", "notes", "--anki-connect", anki.url)
    try:
        running.out.wait_for_status("through AnkiConnect: notes.apkg: 3 added, 0 updated")
        write_notes(SECOND)
        running.out.wait_for_status("after notes/a.md: ")
        status = running.out.statuses()[-1]
        assert "notes.apkg: 0 added, 2 updated, 0 unchanged, 1 moved, 1 removed" in status
        assert notes(anki)["What is 3 + 3?"]["deck"] == "Sums"
        anki.kill()  # Anki quits while the watch goes on: the next save says so
        write_notes(FIRST)
        running.out.wait_for_status("; not synced")
        running.err.wait_for(
            lambda lines: any(f"{anki.url}: nothing answers here" in line for line in lines),
            "the error of no AnkiConnect",
        )
        assert running.interrupt() == 0
        assert "Traceback" not in "\n".join(running.err.lines)
    finally:
        running.close()
