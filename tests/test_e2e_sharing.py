"""End to end: a study group shares a deck, and rebuilt decks update the notes in Anki.

Each test builds, imports into a real Anki collection, changes the sources as a group
member would (edit, reword, move, rename, remove, break and fix), builds again beside
the same lock file and imports again with the options of Anki's import dialog.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
import yaml
from click.testing import CliRunner, Result
from nbformat.v4 import new_markdown_cell, new_notebook

from anki_tools import build
from anki_tools.cli import main
from anki_tools.themes import default_templates_dir

from anki_collection import AnkiProfile, visible
from conftest import FIXED_TIME, PNG_BYTES, WriteNotes

if TYPE_CHECKING:  # anki.cards cannot be imported before anki.collection
    from anki.cards import Card
    from anki.dbproxy import DBProxy
    from anki.notes import Note

pytestmark = pytest.mark.e2e

GEOGRAPHY = """\
## Capital of France?

Paris

## Capital of Italy?

Rome

## Capital of Spain?

Madrid
"""

DECK = Path("out/geo.apkg")  # relative to the working directory (see `in_tmp`)
LOCK = Path("out/geo.lock")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path, as a user runs anki-tools in their project folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_build(*args: str) -> Result:
    """`anki-tools build ARGS` as a user types it: on the real clock."""
    return CliRunner().invoke(main, ["build", *args])


def build_ok(*args: str) -> Result:
    result = run_build(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def write_files(project: Path, files: dict[str, str]) -> None:
    """Write `{relative path: text}` under `project`."""
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")


def changes_line(result: Result) -> str:
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("changes: ")]
    return line


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_notes(lock: Path) -> dict[str, dict[str, Any]]:
    """The lock's note entries by title."""
    data = yaml.safe_load(lock.read_text(encoding="utf-8"))
    return {entry["title"]: entry for entry in data["notes"]}


def lock_note_types(lock: Path) -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(lock.read_text(encoding="utf-8"))["note_types"])


def package_notes(apkg: Path) -> dict[str, tuple[int, int]]:
    """guid → (note id, modified time) as the .apkg's collection stores them."""
    with tempfile.TemporaryDirectory() as folder:
        collection = Path(folder) / "collection.anki2"
        with zipfile.ZipFile(apkg) as package:
            collection.write_bytes(package.read("collection.anki2"))
        connection = sqlite3.connect(collection)
        try:
            rows = connection.execute("SELECT guid, id, mod FROM notes").fetchall()
        finally:
            connection.close()
    return {guid: (note_id, modified) for guid, note_id, modified in rows}


def card_showing(anki: AnkiProfile, front: str) -> Card:
    """The one card whose question shows `front`."""
    found = [
        card
        for card in (anki.col.get_card(card_id) for card_id in anki.col.find_cards(""))
        if front in visible(card.question())
    ]
    assert len(found) == 1, f"{len(found)} cards show {front!r}"
    return found[0]


def database(anki: AnkiProfile) -> DBProxy:
    assert anki.col.db is not None
    return anki.col.db


def note_by_guid(anki: AnkiProfile, guid: str) -> Note:
    note_id = database(anki).scalar("SELECT id FROM notes WHERE guid = ?", guid)
    assert note_id, f"no note with guid {guid} in the collection"
    return anki.col.get_note(note_id)


def guids_by_title(anki: AnkiProfile) -> dict[str, str]:
    """Each note's guid by its card title (the last part of the Source field)."""
    found = {}
    for note_id in anki.col.find_notes(""):
        note = anki.col.get_note(note_id)
        title = re.sub(r"<[^>]+>", "", note["Source"]).split("›")[-1].strip()
        found[title] = note.guid
    return found


def review(anki: AnkiProfile, card: Card) -> Card:
    """Answer the card Good until it leaves learning, so it has an interval and a history."""
    while True:
        card.start_timer()
        anki.col.sched.answerCard(card, 3)
        card.load()
        if card.ivl > 0:
            return card


def review_count(anki: AnkiProfile, card_id: int) -> int:
    return int(database(anki).scalar("SELECT count() FROM revlog WHERE cid = ?", card_id))


def note_type(anki: AnkiProfile, name: str) -> dict[str, Any]:
    """The note type as the collection has it now (the import runs in the backend, and the
    Python layer caches note types)."""
    anki.col.models._clear_cache()
    found = anki.col.models.by_name(name)
    assert found is not None
    return dict(found)


# --- 1. edits update notes in place ----------------------------------------------------------


def test_edited_back_updates_the_note_and_keeps_its_reviews(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """An edited back, rebuilt on the real clock right after the first build, updates the
    note in Anki: same note id and guid, the card's reviews kept, the new back shown."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (3, 0, 0)
    card = review(anki, card_showing(anki, "Capital of Italy?"))
    note = card.note()
    reps, ivl, reviews = card.reps, card.ivl, review_count(anki, card.id)
    assert reps >= 1 and reviews == reps

    write_notes({"geo/a.md": GEOGRAPHY.replace("Rome", "Rome, on the Tiber")})
    rebuilt = build_ok("notes", "-o", str(DECK))
    assert changes_line(rebuilt) == (
        "changes: 0 added, 1 changed, 0 reworded, 0 removed, 2 unchanged"
    )
    assert anki.import_deck(DECK) == (0, 1, 2)

    after = anki.col.get_card(card.id)
    assert (after.note().id, after.note().guid) == (note.id, note.guid)
    assert (after.reps, after.ivl, review_count(anki, card.id)) == (reps, ivl, reviews)
    assert "Rome, on the Tiber" in visible(after.answer())
    assert anki.col.note_count() == 3


def test_reworded_front_in_place_updates_the_same_note(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """A front reworded where it stands (the only new card between the same neighbours as
    the only vanished one) keeps its guid, is counted as reworded and updates in Anki."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (3, 0, 0)
    old = card_showing(anki, "Capital of Italy?").note()

    reworded = GEOGRAPHY.replace("Capital of Italy?", "Which city is the capital of Italy?")
    write_notes({"geo/a.md": reworded})
    result = build_ok("notes", "-o", str(DECK))
    assert changes_line(result) == (
        "changes: 0 added, 0 changed, 1 reworded, 0 removed, 2 unchanged"
    )
    assert lock_notes(LOCK)["Which city is the capital of Italy?"]["guid"] == old.guid
    assert anki.import_deck(DECK) == (0, 1, 2)

    note = card_showing(anki, "Which city is the capital of Italy?").note()
    assert (note.id, note.guid) == (old.id, old.guid)
    assert anki.col.note_count() == 3


def test_cards_moved_to_another_file_or_deck_stay_the_same_notes(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """A card cut from one file and pasted into another, and one moved to a file with
    another deck in its front matter, keep their notes: nothing added, nothing removed."""
    write_notes({"geo/a.md": GEOGRAPHY, "geo/b.md": "## Capital of Germany?\n\nBerlin\n"})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (4, 0, 0)
    before = guids_by_title(anki)
    note_ids = {anki.col.get_note(n).guid: n for n in anki.col.find_notes("")}

    write_notes(
        {
            "geo/a.md": "## Capital of Italy?\n\nRome\n",
            "geo/b.md": "## Capital of Germany?\n\nBerlin\n\n## Capital of Spain?\n\nMadrid\n",
            "europe.md": "---\ndeck: Europe\n---\n## Capital of France?\n\nParis\n",
        }
    )
    planned = build_ok("notes", "-o", str(DECK), "--dry-run")
    assert "0 added" in changes_line(planned) and "0 removed" in changes_line(planned)
    assert re.search(r"Capital of Spain\?  \(moved from \S*geo/a\.md:9\)", planned.stdout)
    assert re.search(r"Capital of France\?  \(moved from \S*geo/a\.md:1\)", planned.stdout)
    moved = build_ok("notes", "-o", str(DECK))
    assert changes_line(moved) == changes_line(planned)

    new, updated, _ = anki.import_deck(DECK)
    assert new == 0 and updated >= 2  # the Source field names the new file
    assert guids_by_title(anki) == before
    assert {anki.col.get_note(n).guid: n for n in anki.col.find_notes("")} == note_ids
    assert lock_notes(LOCK)["Capital of France?"]["source"].endswith("europe.md:4")


# --- 2. rebuilds are reproducible ---------------------------------------------------------


def test_unchanged_rebuild_is_byte_identical_and_imports_as_duplicates(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """Same sources and same lock give the same .apkg bytes and the same lock, whatever
    the clock says (here: a real-clock build, then one a day later); Anki sees only
    duplicates."""
    write_notes(
        {
            "geo/a.md": GEOGRAPHY + "\n## The flag of Japan\n\n![flag](../dot.png)\n",
            "dot.png": PNG_BYTES,
            "geo/more.md": "## Capital of Peru? {.reverse}\n\nLima\n\n"
            "## {{c1::Oslo}} is in Norway\n",
        }
    )
    build_ok("notes", "-o", str(DECK))
    first = in_tmp / "first.apkg"
    shutil.copyfile(DECK, first)
    lock_text = LOCK.read_text(encoding="utf-8")

    time.sleep(2.1)  # a later time on the wall clock too (zip entry dates count in 2 s steps)
    result = build([in_tmp / "notes"], DECK, timestamp=time.time() + 86_400)
    assert result.written and not result.problems, result
    assert result.changes is not None
    assert result.changes.counts() == "0 added, 0 changed, 0 reworded, 0 removed, 6 unchanged"
    assert sha256(DECK) == sha256(first)
    assert LOCK.read_text(encoding="utf-8") == lock_text

    assert anki.import_deck(first) == (6, 0, 0)
    assert anki.import_deck(DECK) == (0, 0, 6)


def test_a_change_in_the_same_second_is_still_newer(
    write_notes: WriteNotes, tmp_path: Path, anki: AnkiProfile
) -> None:
    """Two builds with the same "now" (and a third on a clock that is behind): the changed
    note's modified time is strictly larger each time, so Anki updates it."""
    root = write_notes({"geo/a.md": GEOGRAPHY})
    deck, lock = tmp_path / "geo.apkg", tmp_path / "geo.lock"
    assert build([root], deck, timestamp=FIXED_TIME).written
    assert anki.import_deck(deck) == (3, 0, 0)
    guid = lock_notes(lock)["Capital of Italy?"]["guid"]
    assert package_notes(deck)[guid][1] == FIXED_TIME

    write_notes({"geo/a.md": GEOGRAPHY.replace("Rome", "Roma")})
    assert build([root], deck, timestamp=FIXED_TIME).written
    entries = lock_notes(lock)
    assert entries["Capital of Italy?"]["modified"] == FIXED_TIME + 1
    assert entries["Capital of France?"]["modified"] == FIXED_TIME  # unchanged: not moved
    assert package_notes(deck)[guid][1] == FIXED_TIME + 1
    assert anki.import_deck(deck) == (0, 1, 2)
    assert "Roma" in visible(card_showing(anki, "Capital of Italy?").answer())

    write_notes({"geo/a.md": GEOGRAPHY.replace("Rome", "Roma, Italia")})
    assert build([root], deck, timestamp=FIXED_TIME - 3600).written  # a clock behind
    assert package_notes(deck)[guid][1] == FIXED_TIME + 2
    assert anki.import_deck(deck) == (0, 1, 2)
    assert "Roma, Italia" in visible(card_showing(anki, "Capital of Italy?").answer())


# --- 3. note types ---------------------------------------------------------------------------


def test_template_change_updates_the_note_type_and_only_then(
    write_notes: WriteNotes, tmp_path: Path, anki: AnkiProfile
) -> None:
    """An unchanged template keeps the note type's modified time (in the lock and in
    Anki); a changed one moves it, so Anki updates the note type in place: same id, the
    new template shown, no second note type and no duplicated notes."""
    own = tmp_path / "my-templates"
    shutil.copytree(default_templates_dir(), own)
    root = write_notes({"geo/a.md": GEOGRAPHY})
    deck, lock = tmp_path / "geo.apkg", tmp_path / "geo.lock"
    assert build([root], deck, timestamp=FIXED_TIME, templates=own).written
    assert anki.import_deck(deck) == (3, 0, 0)
    first = note_type(anki, "anki-tools Basic")

    # A content edit with the same templates: the note type stays as it was.
    write_notes({"geo/a.md": GEOGRAPHY.replace("Rome", "Roma")})
    assert build([root], deck, timestamp=FIXED_TIME + 60, templates=own).written
    assert lock_note_types(lock)["basic"]["modified"] == FIXED_TIME
    assert anki.import_deck(deck) == (0, 1, 2)
    assert note_type(anki, "anki-tools Basic")["mod"] == first["mod"]

    front = own / "basic" / "front.html"
    front.write_text(front.read_text().replace("at-question", "at-question at-v2"))
    assert build([root], deck, timestamp=FIXED_TIME + 120, templates=own).written
    assert lock_note_types(lock)["basic"]["modified"] == FIXED_TIME + 120
    assert lock_note_types(lock)["cloze"]["modified"] == FIXED_TIME  # its templates unchanged
    new, _, _ = anki.import_deck(deck)
    assert new == 0

    after = note_type(anki, "anki-tools Basic")
    assert after["id"] == first["id"] == 1731000001
    assert after["mod"] > first["mod"]
    assert "at-v2" in after["tmpls"][0]["qfmt"]
    assert [m.name for m in anki.col.models.all_names_and_ids()].count("anki-tools Basic") == 1
    assert anki.col.note_count() == 3
    assert '<div class="at-question at-v2">' in card_showing(anki, "Capital of Italy?").question()


# --- 4. removed cards ------------------------------------------------------------------------


def test_removed_card_is_reported_with_a_search_that_finds_it_in_anki(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """A card deleted from the sources is listed after the summary with its source and
    title and an `nid:` search; that search finds exactly its note in Anki."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    anki.import_deck(DECK)
    spain = card_showing(anki, "Capital of Spain?").note()

    write_notes({"geo/a.md": GEOGRAPHY.split("## Capital of Spain?")[0]})
    result = build_ok("notes", "-o", str(DECK))
    assert changes_line(result) == (
        "changes: 0 added, 0 changed, 0 reworded, 1 removed, 2 unchanged"
    )
    (removed,) = [line for line in result.stdout.splitlines() if line.startswith("  removed ")]
    assert re.fullmatch(r"  removed +\S*geo/a\.md:9  Capital of Spain\?", removed), removed
    search = re.search(r"find them in the Browse window with: (nid:[\d,]+)$", result.stdout, re.M)
    assert search, result.stdout
    assert list(anki.col.find_notes(search.group(1))) == [spain.id]
    assert "Capital of Spain?" not in lock_notes(LOCK)


def test_removed_card_location_opens_from_the_working_directory(
    write_notes: WriteNotes, in_tmp: Path
) -> None:
    """The removed card's `path:line` is shown like every other location in the output:
    relative to the working directory, so it names the file the card was in."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    write_notes({"geo/a.md": GEOGRAPHY.split("## Capital of Spain?")[0]})
    result = build_ok("notes", "-o", str(DECK))
    (removed,) = [line for line in result.stdout.splitlines() if line.startswith("  removed ")]
    location = removed.split()[1]
    path, _, line = location.rpartition(":")
    assert (in_tmp / path).resolve() == (in_tmp / "notes/geo/a.md").resolve(), removed
    assert line == "9"


# --- 5. notebooks ----------------------------------------------------------------------------


def lesson(questions: dict[str, str]) -> Any:
    """A notebook with one markdown card per `{cell id: text}`, in the deck `Lessons`."""
    notebook = new_notebook(metadata={"anki": {"deck": "Lessons"}})
    notebook.cells = [new_markdown_cell("# Week one", id="title")] + [
        new_markdown_cell(text, id=cell_id) for cell_id, text in questions.items()
    ]
    return notebook


def test_renamed_notebook_keeps_its_guids_even_for_a_reworded_cell(
    tmp_path: Path, anki: AnkiProfile
) -> None:
    """A notebook renamed (and one of its cells reworded at the same time) keeps every
    card's guid: the cell ids recognise them in the lock; Anki adds no note."""
    folder = tmp_path / "nb"
    folder.mkdir()
    cards = {
        "q-list": "What is a list?\n-\nA mutable sequence.",
        "q-tuple": "What is a tuple?\n-\nAn immutable sequence.",
        "q-dict": "What is a dict?\n-\nA mapping.",
    }
    nbformat.write(lesson(cards), folder / "week1.ipynb")
    deck, lock = tmp_path / "nb.apkg", tmp_path / "nb.lock"
    assert build([folder], deck, timestamp=FIXED_TIME).written
    assert anki.import_deck(deck) == (3, 0, 0)
    before = {entry["cell"]: entry["guid"] for entry in lock_notes(lock).values()}

    (folder / "week1.ipynb").unlink()
    cards["q-tuple"] = "Which sequence type cannot be changed?\n-\nThe tuple."
    nbformat.write(lesson(cards), folder / "week-01-sequences.ipynb")
    result = build([folder], deck, timestamp=FIXED_TIME + 60)
    assert result.written and not result.problems, result
    assert result.changes is not None and not result.changes.removed
    after = {entry["cell"]: entry["guid"] for entry in lock_notes(lock).values()}
    assert after == before

    new, updated, _ = anki.import_deck(deck)
    assert (new, updated) == (0, 3)  # each Source field names the new file
    assert note_by_guid(anki, before["q-tuple"])["Front"].startswith(
        "<p>Which sequence type cannot be changed?"
    )
    assert anki.col.note_count() == 3


# --- 6. deck configs -------------------------------------------------------------------------

GROUP_CONFIG = """\
name: Study group::Python
description: Our shared **Python** cards for the spring exam.
sources:
  - alice/**/*.md
  - bob/*.md
tags: [study-group, spring]
theme: paper
"""


def test_deck_config_builds_the_group_deck_from_two_contributors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anki: AnkiProfile
) -> None:
    """`anki-tools build` without PATHS in a project builds decks/group.yaml: its name,
    description (with where the deck comes from), tags and theme reach Anki; the lock lands
    beside the deck; alike fronts from two contributors are a warning naming both places.
    Building again changes nothing."""
    project = tmp_path / "project"
    files = {
        "decks/group.yaml": GROUP_CONFIG,
        "alice/basics/lists.md": "## What does len() return?\n\nThe number of items.\n",
        "alice/basics/dicts.md": "## What is a dict?\n\nA mapping.\n",
        "bob/builtins.md": "## What does len() returns?\n\nIts length.\n\n"
        "## What is zip?\n\nPairs.\n",
        "carol/drafts.md": "## Not in the deck\n\nNot matched by the globs.\n",
    }
    write_files(project, files)
    monkeypatch.chdir(project)

    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    warning = [line for line in result.stderr.splitlines() if "double contribution" in line]
    assert len(warning) == 1, result.stderr
    assert warning[0].startswith("bob/builtins.md:1: warning: nearly the same front")
    assert "alice/basics/lists.md:1" in warning[0]
    assert (project / "decks" / "group.apkg").is_file()
    assert (project / "decks" / "group.lock").is_file()
    assert len(lock_notes(project / "decks" / "group.lock")) == 4

    assert anki.import_deck(project / "decks" / "group.apkg") == (4, 0, 0)
    cards = anki.cards()
    assert {card.deck for card in cards} == {"Study group::Python"}
    assert all({"study-group", "spring"} <= set(card.tags) for card in cards)
    assert all("Charter" in card.css for card in cards)  # the paper theme
    deck = anki.col.decks.by_name("Study group::Python")
    assert deck is not None
    description = deck["desc"]
    assert "Our shared <strong>Python</strong> cards for the spring exam." in description
    assert "alice/**/*.md" in description and "bob/*.md" in description
    assert "decks/group.yaml" in description

    deck_bytes = (project / "decks" / "group.apkg").read_bytes()
    again = CliRunner().invoke(main, ["build"])
    assert again.exit_code == 0, again.output
    assert "double contribution" not in again.stderr  # reported when the card came in
    assert (project / "decks" / "group.apkg").read_bytes() == deck_bytes


# --- 7. dry run, keep going, broken lock -------------------------------------------------------


def test_dry_run_lists_the_changes_and_writes_nothing(
    write_notes: WriteNotes, in_tmp: Path
) -> None:
    """`--dry-run` after edits prints every planned change and leaves the deck and the
    lock as they were (no temporary files either)."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    deck_bytes, lock_bytes = DECK.read_bytes(), LOCK.read_bytes()

    edited = GEOGRAPHY.replace("Rome", "Roma") + "\n## Capital of Peru?\n\nLima\n"
    write_notes({"geo/a.md": edited})
    result = build_ok("notes", "-o", str(DECK), "--dry-run")
    assert result.stdout.startswith("out/geo.apkg (dry run, nothing written): 4 notes")
    assert changes_line(result) == "changes: 1 added, 1 changed, 0 reworded, 0 removed, 2 unchanged"
    assert "  changed   notes/geo/a.md:5  Capital of Italy?" in result.stdout.splitlines()
    assert "  added     notes/geo/a.md:13  Capital of Peru?" in result.stdout.splitlines()
    assert DECK.read_bytes() == deck_bytes
    assert LOCK.read_bytes() == lock_bytes
    assert sorted(p.name for p in (in_tmp / "out").iterdir()) == ["geo.apkg", "geo.lock"]


def test_keep_going_keeps_the_broken_cards_entry_and_its_reworded_guid(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """A card reworded earlier (so its guid is not the one its front would give) and then
    broken is left out by `--keep-going` but keeps its lock entry; once fixed it comes back
    as the same note in Anki."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (3, 0, 0)
    guid = card_showing(anki, "Capital of Italy?").note().guid

    reworded = GEOGRAPHY.replace("Capital of Italy?", "Italy's capital city?")
    write_notes({"geo/a.md": reworded})
    assert "1 reworded" in changes_line(build_ok("notes", "-o", str(DECK)))
    assert lock_notes(LOCK)["Italy's capital city?"]["guid"] == guid

    write_notes({"geo/a.md": reworded.replace("Rome", "Rome ![map](missing.png)")})
    broken = run_build("notes", "-o", str(DECK), "--keep-going")
    assert broken.exit_code == 1, broken.output
    assert "notes/geo/a.md:7: image not found: 'missing.png'" in broken.stderr
    assert changes_line(broken) == "changes: 0 added, 0 changed, 0 reworded, 0 removed, 2 unchanged"
    kept = lock_notes(LOCK)
    assert set(kept) == {"Capital of France?", "Italy's capital city?", "Capital of Spain?"}
    assert kept["Italy's capital city?"]["guid"] == guid

    write_notes({"geo/a.md": reworded.replace("Rome", "Rome, on the Tiber")})
    fixed = build_ok("notes", "-o", str(DECK))
    assert "0 added" in changes_line(fixed) and "0 removed" in changes_line(fixed)
    assert lock_notes(LOCK)["Italy's capital city?"]["guid"] == guid
    assert anki.import_deck(DECK) == (0, 1, 2)
    card = card_showing(anki, "Italy's capital city?")
    assert card.note().guid == guid
    assert "Rome, on the Tiber" in visible(card.answer())
    assert anki.col.note_count() == 3


def test_keep_going_does_not_give_the_broken_cards_note_to_a_new_neighbour(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """A card left out by an error is not a vanished card: a new card added beside it in
    the same edit is a new note, and the broken card's note (with its reviews) is not
    overwritten with the new card's text."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (3, 0, 0)
    italy = review(anki, card_showing(anki, "Capital of Italy?"))

    broken_and_added = GEOGRAPHY.replace(
        "Rome\n", "Rome ![map](missing.png)\n\n## Capital of Peru?\n\nLima\n"
    )
    write_notes({"geo/a.md": broken_and_added})
    result = run_build("notes", "-o", str(DECK), "--keep-going")
    assert result.exit_code == 1, result.output
    assert "image not found: 'missing.png'" in result.stderr
    assert changes_line(result) == "changes: 1 added, 0 changed, 0 reworded, 0 removed, 2 unchanged"
    entries = lock_notes(LOCK)
    assert entries["Capital of Italy?"]["guid"] == italy.note().guid
    assert entries["Capital of Peru?"]["guid"] != italy.note().guid

    assert anki.import_deck(DECK) == (1, 0, 2)
    note = anki.col.get_card(italy.id).note()
    assert "Rome" in note["Back"] and "Lima" not in note["Back"]


def test_keep_going_then_a_fix_that_rewords_the_front_keeps_the_guid(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """The entry `--keep-going` keeps for a broken card keeps its place among its
    neighbours, so a fix that also rewords the front is recognised as a reworded card,
    just as the same reword without the broken build in between would be."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (3, 0, 0)
    guid = card_showing(anki, "Capital of Italy?").note().guid

    write_notes({"geo/a.md": GEOGRAPHY.replace("Capital of Italy?", "Capital of ![it](it.png)?")})
    broken = run_build("notes", "-o", str(DECK), "--keep-going")
    assert broken.exit_code == 1, broken.output
    assert "0 removed" in changes_line(broken)

    write_notes({"geo/a.md": GEOGRAPHY.replace("Capital of Italy?", "Capital city of Italy?")})
    fixed = build_ok("notes", "-o", str(DECK))
    assert changes_line(fixed) == "changes: 0 added, 0 changed, 1 reworded, 0 removed, 2 unchanged"
    assert lock_notes(LOCK)["Capital city of Italy?"]["guid"] == guid
    assert anki.import_deck(DECK) == (0, 1, 2)
    assert card_showing(anki, "Capital city of Italy?").note().guid == guid


def test_lock_with_a_merge_conflict_stops_the_build_with_its_line(
    write_notes: WriteNotes, in_tmp: Path
) -> None:
    """A lock left with git conflict markers is an error at the marker's `path:line`
    naming the merge conflict: exit 1, no traceback, neither deck nor lock written."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    lines = LOCK.read_text(encoding="utf-8").splitlines(keepends=True)
    italy = next(n for n, line in enumerate(lines) if '"Capital of Italy?"' in line)
    theirs = lines[italy].replace('"Capital of Italy?"', '"Capital of Italy, theirs?"')
    lines[italy : italy + 1] = [
        "<<<<<<< HEAD\n",
        lines[italy],
        "=======\n",
        theirs,
        ">>>>>>> bob/main\n",
    ]
    LOCK.write_text("".join(lines), encoding="utf-8")
    conflicted, deck_bytes = LOCK.read_bytes(), DECK.read_bytes()

    write_notes({"geo/a.md": GEOGRAPHY.replace("Rome", "Roma")})
    result = run_build("notes", "-o", str(DECK))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"out/geo.lock:{italy + 1}: unresolved merge conflict" in result.stderr
    assert result.stdout.startswith("nothing written")
    assert LOCK.read_bytes() == conflicted
    assert DECK.read_bytes() == deck_bytes


# --- 8. two contributors, one lock ------------------------------------------------------------

BASE = {
    "notes/a.md": "## Capital of France?\n\nParis\n\n## Capital of Italy?\n\nRome\n",
    "notes/m.md": "## Capital of Spain?\n\nMadrid\n",
    "notes/z.md": "## Capital of Chile?\n\nSantiago\n\n## Capital of Peru?\n\nLima\n",
}


def clone(source: Path, target: Path) -> Path:
    """A contributor's working copy of the project (sources, deck and lock)."""
    shutil.copytree(source, target)
    return target


def contributor_imports(project: Path, merged: Path, other_card: str) -> int:
    """A contributor imports their own build, then the merged one: the new notes it adds
    (the other contributor's card must be among the 7 notes, each shown once)."""
    profile = AnkiProfile(project.parent / f"{project.name}-anki")
    try:
        assert profile.import_deck(project / "deck.apkg") == (6, 0, 0)
        new, _, _ = profile.import_deck(merged / "deck.apkg")
        assert profile.col.note_count() == 7, project.name
        card_showing(profile, other_card)
        return new
    finally:
        profile.close()


def merge_file(ours: Path, base: Path, theirs: Path) -> tuple[int, str]:
    """`git merge-file -p`: git's three-way merge of one file (the number of conflicts)."""
    done = subprocess.run(
        ["git", "merge-file", "-p", str(ours), str(base), str(theirs)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout


def test_cleanly_merged_locks_of_two_contributors_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice and Bob each add a card to a different file shortly after the shared build
    (within as many seconds as the deck has notes); git merges their locks without a
    conflict, and the merged project builds and imports into both collections."""
    base = tmp_path / "base"
    write_files(base, BASE)
    assert build([base / "notes"], base / "deck.apkg", timestamp=FIXED_TIME).written
    alice, bob = clone(base, tmp_path / "alice"), clone(base, tmp_path / "bob")
    write_files(alice, {"notes/a.md": "## Capital of Norway?\n\nOslo\n\n" + BASE["notes/a.md"]})
    write_files(bob, {"notes/z.md": BASE["notes/z.md"] + "\n## Capital of Japan?\n\nTokyo\n"})
    for project in (alice, bob):
        assert build([project / "notes"], project / "deck.apkg", timestamp=FIXED_TIME + 2).written

    merged = clone(alice, tmp_path / "merged")
    write_files(merged, {"notes/z.md": (bob / "notes/z.md").read_text(encoding="utf-8")})
    conflicts, lock_text = merge_file(alice / "deck.lock", base / "deck.lock", bob / "deck.lock")
    assert conflicts == 0, lock_text
    (merged / "deck.lock").write_text(lock_text, encoding="utf-8")
    # Both new cards were numbered "the lock's newest note id + 1000": the same note id.
    monkeypatch.chdir(merged)
    result = run_build("notes", "-o", "deck.apkg")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 0, result.output
    assert "0 added" in changes_line(result) and "0 removed" in changes_line(result)

    assert contributor_imports(alice, merged, "Capital of Japan?") == 1
    assert contributor_imports(bob, merged, "Capital of Norway?") == 1


def test_lock_conflict_resolved_by_taking_one_side_brings_in_the_other_sides_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice and Bob each append a card to the same file: their locks conflict. Taking
    Bob's lock (as the error message suggests) and building again brings in Alice's card
    under the guid her own build gave it, so neither collection gets a duplicate."""
    base = tmp_path / "base"
    write_files(base, BASE)
    assert build([base / "notes"], base / "deck.apkg", timestamp=FIXED_TIME).written
    alice, bob = clone(base, tmp_path / "alice"), clone(base, tmp_path / "bob")
    norway, japan = "\n## Capital of Norway?\n\nOslo\n", "\n## Capital of Japan?\n\nTokyo\n"
    write_files(alice, {"notes/z.md": BASE["notes/z.md"] + norway})
    write_files(bob, {"notes/z.md": BASE["notes/z.md"] + japan})
    for project in (alice, bob):
        assert build([project / "notes"], project / "deck.apkg").written  # the real clock

    merged = clone(alice, tmp_path / "merged")
    write_files(merged, {"notes/z.md": BASE["notes/z.md"] + norway + japan})
    conflicts, lock_text = merge_file(alice / "deck.lock", base / "deck.lock", bob / "deck.lock")
    assert conflicts > 0
    (merged / "deck.lock").write_text(lock_text, encoding="utf-8")
    monkeypatch.chdir(merged)
    refused = run_build("notes", "-o", "deck.apkg")
    assert refused.exit_code == 1 and "unresolved merge conflict" in refused.stderr
    shutil.copyfile(bob / "deck.lock", merged / "deck.lock")  # git checkout --theirs
    result = build_ok("notes", "-o", "deck.apkg")
    assert changes_line(result).startswith("changes: 1 added, 0 changed, 0 reworded, 0 removed")

    assert contributor_imports(alice, merged, "Capital of Japan?") == 1
    assert contributor_imports(bob, merged, "Capital of Norway?") == 1


def test_a_card_whose_note_type_changed_arrives_as_a_new_note(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """Anki skips a known note whose type changed (basic → reversed) as "conflicting" on
    every import, so the build makes it a new note, warns, and lists the old one as
    removed; the learner gets the reversed cards instead of a card that never updates."""
    write_notes({"geo/a.md": GEOGRAPHY})
    build_ok("notes", "-o", str(DECK))
    assert anki.import_deck(DECK) == (3, 0, 0)
    old = card_showing(anki, "Capital of Italy?").note()

    reverse = GEOGRAPHY.replace("## Capital of Italy?", "## Capital of Italy? {.reverse}")
    write_notes({"geo/a.md": reverse})
    result = build_ok("notes", "-o", str(DECK))
    assert "note type changed (basic → reversed)" in result.stderr
    assert changes_line(result) == (
        "changes: 1 added, 0 changed, 0 reworded, 1 removed, 2 unchanged"
    )
    assert f"nid:{old.id}" in result.stdout
    assert anki.import_deck(DECK) == (1, 0, 2)
    reversed_notes = [anki.col.get_note(nid) for nid in anki.col.find_notes("Capital of Italy")]
    types = sorted(note.note_type()["name"] for note in reversed_notes)  # type: ignore[index]
    assert len(types) == 2 and "reversed" in types[1].lower(), types
    assert anki.col.card_count() == 5  # 2 unchanged + the old one + 2 reversed cards
