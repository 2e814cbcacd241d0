"""A lock file is untrusted input: forged, broken, huge or deep locks, and guids per deck.

A study group commits each deck's lock beside the notes, so anyone who can push can edit
it. Each rule is checked through the command line or the API, and the forged lock of
issue 11 (another deck's guid and a modified time in 2100) in a real Anki collection
holding a member's own note with that guid.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_run import run
from click.testing import Result

from anki_tools import build, limits
from anki_tools.errors import LockError
from anki_tools.sharing import lock_text
from anki_tools.sharing.lock import read_lock

from anki_collection import AnkiProfile
from conftest import FIXED_TIME, WriteNotes

NOW = 1_800_000_000  # "now" for the reader (2027-01-15)
DAY = 86_400
YEAR_2100 = 4_102_444_800
HINT = "restore it from git, or delete it to start over"

PYTHON = "## What is a list?\n\nA sequence.\n\n## What is a dict?\n\nA mapping.\n"
BIOLOGY = "## What is a cell?\n\nThe unit of life.\n"
FILES = {
    "decks/python.yaml": "name: Python\nsources: notes/python\n",
    "decks/biology.yaml": "name: Biology\nsources: notes/biology\n",
    "notes/python/lists.md": PYTHON,
    "notes/biology/cells.md": BIOLOGY,
}


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A study group's project with two decks, Python and Biology; the working folder."""
    folder = tmp_path / "project"
    write_files(folder, FILES)
    monkeypatch.chdir(folder)
    return folder


def write_files(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def built(*args: str) -> Result:
    result = run("build", *args)
    assert result.exit_code == 0, result.output
    return result


def entries(lock: Path) -> dict[str, dict[str, Any]]:
    """The lock's note entries by title."""
    data = yaml.safe_load(lock.read_text(encoding="utf-8"))
    return {entry["title"]: entry for entry in data["notes"]}


def edit_entry(lock: Path, title: str, **changes: Any) -> int:
    """Change fields of the note line with `title`, as an attacker's editor would; its line."""
    lines = lock.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines) if f'"title": "{title}"' in line)
    fields = json.loads(lines[number][4:])
    fields.update(changes)
    lines[number] = "  - " + json.dumps(fields, ensure_ascii=False, separators=(", ", ": "))
    lock.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def bytes_of(*paths: Path) -> list[bytes]:
    return [path.read_bytes() for path in paths]


def stored(anki: AnkiProfile, guid: str) -> tuple[str, int, str]:
    """The Back field, modified time and deck of the collection's note with `guid`."""
    assert anki.col.db is not None
    note_id = anki.col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid)
    assert note_id, f"no note with guid {guid}"
    note = anki.col.get_note(note_id)
    deck = anki.col.decks.name(anki.col.get_card(note.card_ids()[0]).did)
    return note["Back"], note.mod, deck


def latest_time_in(anki: AnkiProfile) -> int:
    """The newest modified time of any note, card or note type in the collection."""
    assert anki.col.db is not None
    queries = ["SELECT max(mod) FROM notes", "SELECT max(mod) FROM cards"]
    times = [int(anki.col.db.scalar(query) or 0) for query in queries]
    times += [int(model["mod"]) for model in anki.col.models.all()]
    return max(times)


def lock_file(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "decks" / "x.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def read_error(path: Path, now: int = NOW) -> LockError:
    with pytest.raises(LockError) as caught:
        read_lock(path, now)
    return caught.value


def note_line(**changes: Any) -> str:
    """One note entry as `write_lock` writes it, with `changes`."""
    fields: dict[str, Any] = {
        "guid": "kFiXbhg8z-KJ",
        "source": "../notes/a.md:1",
        "title": "Q",
        "nid": (NOW - 60) * 1000,
        "modified": NOW - 60,
        "front": "74baabfa8056ec69",
        "content": "7b8e3b300492eef0",
        "kind": "basic",
        "deck": "Python",
    }
    fields.update(changes)
    fields = {key: value for key, value in fields.items() if value is not DROP}
    return "  - " + json.dumps(fields, ensure_ascii=False) + "\n"


DROP = object()
TYPES = '  basic: {"id": 1731000001, "hash": "92557779a89fa949", "modified": 1700000000}\n'
HEADER = "# comment\nversion: 1\nnote_types:\n" + TYPES + "notes:\n"  # notes from line 6


# --- 1. the forged lock of issue 11, in a real collection -----------------------------------


def forge(project: Path, modified: int) -> tuple[str, int]:
    """Give the Python card "What is a list?" the guid (and deck) of the member's Biology
    note, with `modified`: the attack of issue 11. The guid and the lock line."""
    guid = entries(project / "decks" / "biology.lock")["What is a cell?"]["guid"]
    line = edit_entry(
        project / "decks" / "python.lock",
        "What is a list?",
        guid=guid,
        deck="Biology",
        modified=modified,
    )
    return guid, line


def member_with_own_note(project: Path, anki: AnkiProfile) -> str:
    """A member imported both decks and wrote their own answer into the Biology note."""
    built()
    assert anki.import_deck(project / "decks" / "biology.apkg") == (1, 0, 0)
    assert anki.import_deck(project / "decks" / "python.apkg") == (2, 0, 0)
    guid = entries(project / "decks" / "biology.lock")["What is a cell?"]["guid"]
    assert anki.col.db is not None
    note = anki.col.get_note(anki.col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid))
    note["Back"] = "My own mnemonic"
    anki.col.update_note(note)
    return guid


def test_a_lock_with_a_time_in_2100_is_refused_and_the_members_note_stays(
    project: Path, anki: AnkiProfile
) -> None:
    """Issue 11: the forged entry (another deck's guid, modified 4102444800) is an error at
    its line, with or without --keep-going, alone or with the other deck: nothing is
    written, so the member's collection has no time in 2100 and keeps their own note."""
    guid = member_with_own_note(project, anki)
    _, line = forge(project, YEAR_2100)
    decks = project / "decks"
    before = bytes_of(decks / "python.apkg", decks / "python.lock")

    for args in (["decks/python.yaml"], ["decks/python.yaml", "--keep-going"], []):
        result = run("build", *args)
        assert result.exit_code == 1, result.output
        assert (
            f"decks/python.lock:{line}: bad note entry (modified time 4102444800 "
            "(2100-01-01 00:00 UTC) is more than a day ahead of the clock"
        ) in result.stderr
        assert "nothing written: 2 notes, 2 cards, 0 media (1 error" in result.stdout
        assert bytes_of(decks / "python.apkg", decks / "python.lock") == before

    assert anki.import_deck(decks / "python.apkg") == (0, 0, 2)
    assert latest_time_in(anki) < time.time() + DAY
    back, _, deck = stored(anki, guid)
    assert (back, deck) == ("My own mnemonic", "Biology")


def test_another_decks_guid_in_the_same_run_stops_both_decks(
    project: Path, anki: AnkiProfile
) -> None:
    """The same forged guid with a believable time: the run gives one guid to two decks,
    an error in each naming both places (and the lock line that gave it); neither deck
    is written, not even with --keep-going, and the member's note is untouched."""
    guid = member_with_own_note(project, anki)
    _, line = forge(project, int(time.time()) + 3600)
    decks = project / "decks"
    outputs = [decks / "python.apkg", decks / "biology.apkg"]
    before = bytes_of(*outputs)

    for args in ([], ["--keep-going"]):
        result = run("build", *args)
        assert result.exit_code == 1
        problems = result.stderr.splitlines()
        shared = [p for p in problems if "this card's guid is also given to" in p]
        python = [p for p in shared if p.startswith("notes/python/lists.md:1: ")]
        biology = [p for p in shared if p.startswith("notes/biology/cells.md:1: ")]
        assert len(python) == 1 and len(biology) == 1, result.stderr
        assert "this card's guid is also given to notes/biology/cells.md:1 (in " in python[0]
        assert "decks/biology.apkg" in python[0]
        assert "this card's guid is also given to notes/python/lists.md:1 (in " in biology[0]
        assert f"its guid from decks/python.lock:{line})" in biology[0]
        assert "a guid is one note in a member's collection" in biology[0]
        assert result.stdout.count("nothing written") == 2
        assert bytes_of(*outputs) == before

    for apkg in outputs:
        anki.import_deck(apkg)
    back, _, deck = stored(anki, guid)
    assert (back, deck) == ("My own mnemonic", "Biology")


def test_another_decks_guid_alone_is_warned_with_both_places(
    project: Path, anki: AnkiProfile
) -> None:
    """Built alone, the Python deck cannot know what else members have: a guid whose entry
    names another deck is a warning at the card naming the lock's line. What Anki then
    does is what any card moved between decks does: the note is updated where it is."""
    guid = member_with_own_note(project, anki)
    soon = int(time.time()) + 3600  # within a day: accepted
    _, line = forge(project, soon)

    result = built("decks/python.yaml")
    assert (
        f"notes/python/lists.md:1: warning: the card moved from deck 'Biology' "
        f"(decks/python.lock:{line}) to deck 'Python': Anki updates its note but leaves "
        "the cards in 'Biology'"
    ) in result.stderr
    assert "the lock was edited to give it another deck's note: restore it from git" in (
        result.stderr
    )
    assert entries(project / "decks" / "python.lock")["What is a list?"]["deck"] == "Python"

    anki.import_deck(project / "decks" / "python.apkg")
    back, modified, deck = stored(anki, guid)
    assert "A sequence." in back and deck == "Biology"  # replaced, with the warning above
    assert modified == soon
    assert latest_time_in(anki) <= time.time() + DAY


# --- 2. types and ranges -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["nid", "modified"])
def test_a_number_too_big_for_sqlite_is_an_error_not_a_traceback(project: Path, field: str) -> None:
    """Issue 11: `nid` or `modified` of 10^20 crashed the build with OverflowError."""
    built("decks/python.yaml")
    line = edit_entry(project / "decks" / "python.lock", "What is a dict?", **{field: 10**20})
    result = run("build", "decks/python.yaml")
    assert result.exit_code == 1
    (problem,) = result.stderr.splitlines()
    assert problem.startswith(f"decks/python.lock:{line}: bad note entry (")
    what = "note id" if field == "nid" else "modified time"
    assert f"{what} 100000000000000000000 " in problem
    assert HINT in problem


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"guid": ""}, "a guid is 1 to 64 letters, digits or ASCII punctuation, got ''"),
        ({"guid": "x" * 65}, "a guid is 1 to 64"),
        ({"guid": "with space"}, "got 'with space'"),
        ({"guid": "tab\tor\nnewline"}, "a guid is 1 to 64"),
        ({"guid": "naïve"}, "got 'naïve'"),
        ({"guid": 12}, "expected text, got 12"),
        ({"source": "no-line.md"}, "a source is `path:line` or `path:cell N`"),
        ({"source": "a.md:cell x"}, "a source is `path:line`"),
        ({"source": ["a.md", 1]}, "expected text, got ['a.md', 1]"),
        ({"title": 5}, "expected text, got 5"),
        ({"nid": 0}, "note id 0 is out of range: 1 to "),
        ({"nid": -5}, "expected a whole number, got -5"),
        ({"nid": 1.5}, "expected a whole number, got 1.5"),
        ({"nid": True}, "expected a whole number, got True"),
        ({"nid": "1700000000000"}, "expected a whole number, got '1700000000000'"),
        ({"nid": 2**63}, "note id 9223372036854775808 is out of range"),
        ({"nid": (NOW + 367 * DAY) * 1000}, "at most a year from now"),
        ({"modified": -1}, "expected a whole number, got -1"),
        ({"modified": None}, "expected a whole number, got None"),
        ({"modified": NOW + DAY + 1}, "is more than a day ahead of the clock"),
        ({"modified": 2**64}, "(after the year 9999) is more than a day ahead"),
        ({"front": {"a": 1}}, "expected text, got {'a': 1}"),
        ({"content": DROP}, "missing 'content'"),
        ({"kind": "evil"}, "unknown note type 'evil' (known: basic, reversed, cloze"),
        ({"deck": 3}, "expected text, got 3"),
        ({"id": []}, "expected text, got []"),
        ({"cell": False}, "expected text, got False"),
        ({"title": "x" * 10_000, "guid": "y" * 10_000}, "got 'yyyyyyyyyyyy"),
    ],
)
def test_each_bad_field_is_an_error_at_its_entry(
    tmp_path: Path, changes: dict[str, Any], why: str
) -> None:
    text = HEADER + note_line(guid="a1") + note_line(guid="a2") + note_line(**changes)
    path = lock_file(tmp_path, text)
    error = read_error(path)
    assert error.source is not None and (error.source.path, error.source.line) == (path, 8)
    assert error.message.startswith("bad note entry (") and why in error.message
    assert error.message.endswith("would become new notes)")
    assert len(error.message) < 600  # a 10,000-character value is not copied whole


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ('{"id": 0, "hash": "h", "modified": 1}', "note type id 0 is out of range"),
        ('{"id": 9223372036854775808, "hash": "h", "modified": 1}', "out of range"),
        ('{"id": 1, "hash": 5, "modified": 1}', "expected text, got 5"),
        (f'{{"id": 1, "hash": "h", "modified": {YEAR_2100}}}', "(2100-01-01 00:00 UTC)"),
        ('{"id": 1, "hash": "h"}', "missing 'modified'"),
        ('"just text"', "expected a mapping of fields, got 'just text'"),
    ],
)
def test_each_bad_note_type_field_is_an_error_at_its_line(
    tmp_path: Path, entry: str, why: str
) -> None:
    text = "version: 1\nnote_types:\n" + TYPES + f"  cloze: {entry}\nnotes: []\n"
    error = read_error(lock_file(tmp_path, text))
    assert error.source is not None and error.source.line == 4
    assert error.message.startswith("bad note type entry 'cloze' (")
    assert why in error.message


def test_an_unknown_note_type_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = "version: 1\nnote_types:\n" + TYPES + TYPES.replace("basic", "evil") + "notes: []\n"
    error = read_error(lock_file(tmp_path, text))
    assert error.source is not None and error.source.line == 4
    assert error.message.startswith("bad note type entry 'evil' (unknown note type 'evil'")


def test_times_up_to_a_day_ahead_are_read_and_a_second_more_is_refused(
    tmp_path: Path,
) -> None:
    """The bound of both a note's and a note type's time is now + 86400 s, and a note
    id's is a year ahead (milliseconds)."""
    latest_id = (NOW + limits.LOCK_MAX_NOTE_ID_SECONDS_AHEAD) * 1000
    at_edge = HEADER.replace("1700000000", str(NOW + DAY)) + note_line(
        modified=NOW + DAY, nid=latest_id
    )
    found = read_lock(lock_file(tmp_path, at_edge), NOW)
    assert found.latest_modified() == NOW + DAY
    assert found.latest_note_id() == latest_id

    for text, line in [
        (HEADER + note_line(modified=NOW + DAY + 1), 6),
        (HEADER.replace("1700000000", str(NOW + DAY + 1)) + note_line(), 4),
        (HEADER + note_line(nid=latest_id + 1), 6),
    ]:
        error = read_error(lock_file(tmp_path, text))
        assert error.source is not None and error.source.line == line
    # The reader's clock is the build's "now": the same lock reads a second later.
    assert read_lock(lock_file(tmp_path, HEADER + note_line(modified=NOW + DAY + 1)), NOW + 1)


def test_many_rebuilds_in_one_second_each_get_a_later_time(write_notes: WriteNotes) -> None:
    """Rebuilds faster than the clock move a changed note a second ahead each time, and
    none is refused."""
    root = write_notes({"geo.md": "## Capital of Italy?\n\nRome\n\n## Capital of Peru?\n\nLima\n"})
    deck = root.parent / "geo.apkg"
    times = []
    for number in range(40):
        (root / "geo.md").write_text(
            f"## Capital of Italy?\n\nRome {number}\n\n## Capital of Peru?\n\nLima\n",
            encoding="utf-8",
        )
        result = build([root], deck, timestamp=FIXED_TIME)
        assert result.written and not result.problems, result
        found = entries(deck.with_suffix(".lock"))
        times.append(found["Capital of Italy?"]["modified"])
        assert found["Capital of Peru?"]["modified"] == FIXED_TIME  # unchanged: kept
    assert times == [int(FIXED_TIME) + number for number in range(40)]


def test_a_lock_built_on_a_clock_almost_a_day_ahead_still_builds(
    write_notes: WriteNotes,
) -> None:
    """A lock written on a computer whose clock was 86399 s ahead builds here; each
    change moves its time a second further; once the lock is more than a day ahead of
    this clock, the build is refused at the line (nothing written)."""
    root = write_notes({"geo.md": "## Capital of Italy?\n\nRome\n"})
    deck = root.parent / "geo.apkg"
    lock = deck.with_suffix(".lock")
    now = int(FIXED_TIME)
    assert build([root], deck, timestamp=now + DAY - 1).written
    for number, expected in enumerate([now + DAY, now + DAY + 1]):
        (root / "geo.md").write_text(f"## Capital of Italy?\n\nRoma {number}\n", encoding="utf-8")
        result = build([root], deck, timestamp=now)
        assert result.written and not result.problems, result
        assert entries(lock)["Capital of Italy?"]["modified"] == expected

    before = bytes_of(deck, lock)
    (root / "geo.md").write_text("## Capital of Italy?\n\nRoma, Italia\n", encoding="utf-8")
    result = build([root], deck, timestamp=now)
    assert not result.written
    (problem,) = result.errors
    assert str(problem.source).endswith("geo.lock:12")  # the note's entry
    assert "is more than a day ahead of the clock" in problem.message
    assert bytes_of(deck, lock) == before


# --- 3. the line of the offending entry --------------------------------------------------------


def test_the_line_of_a_bad_entry_in_a_big_lock_as_written(project: Path) -> None:
    """A deck of 300 cards; the 217th entry is broken: its own line is named."""
    cards = "".join(f"## Question {n}?\n\nAnswer {n}.\n\n" for n in range(300))
    write_files(project, {"notes/python/lists.md": cards})
    built("decks/python.yaml")
    line = edit_entry(project / "decks" / "python.lock", "Question 216?", nid="soon")
    assert line == 11 + 217
    result = run("build", "decks/python.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"decks/python.lock:{line}: bad note entry (expected a whole number, got 'soon')"
    )


HAND_EDITED = """\
# merged by hand
version: 1

note_types:
  basic:
    id: 1731000001
    hash: 92557779a89fa949
    modified: 1700000000
notes:
  # alice's
  - guid: g1
    source: ../notes/a.md:1
    title: One
    nid: 1700000000000
    modified: 1700000000
    front: f1
    content: c1
    kind: basic

  - {guid: g2, source: "../notes/a.md:5", title: Two, nid: 1700000001000,
     modified: 1700000000, front: f2, content: c2, kind: basic}
  # bob's
  -
    guid: g3
    source: ../notes/b.md:1
    title: Three
    nid: 1700000002000
    modified: 1700000000
    front: f3
    content: c3
    kind: basic
"""


@pytest.fixture(params=["C", "Python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read with libyaml's loader and with PyYAML's own: either may be the one installed."""
    if request.param == "C":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML without libyaml")
        monkeypatch.setattr(lock_text, "Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(lock_text, "Loader", yaml.SafeLoader)


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("    nid: 1700000000000\n", "    nid: soon\n", 11),
        ("nid: 1700000001000,", "nid: -1,", 20),
        ("     modified: 1700000000, front: f2", "     modified: 4102444800, front: f2", 20),
        ('    kind: basic\n"""', '    kind: evil\n"""', 24),
        ("    hash: 92557779a89fa949\n", "    hash: [1]\n", 5),
        ("  - guid: g1\n", "  - guid: g3\n", 24),  # g3 again: the second one
    ],
)
def test_the_line_of_a_bad_entry_in_a_lock_edited_by_hand(
    tmp_path: Path, old: str, new: str, line: int
) -> None:
    """Block style, flow style over two lines, comments, blank lines and an entry that
    starts on the line after its `-`: the line named is where the entry starts."""
    text = HAND_EDITED + '"""'
    assert old in text
    text = text.replace(old, new, 1).removesuffix('"""')
    good = read_lock(lock_file(tmp_path, HAND_EDITED), NOW)
    assert [note.line for note in good.notes] == [11, 20, 24]
    assert [note.guid for note in good.notes] == ["g1", "g2", "g3"]
    error = read_error(lock_file(tmp_path, text))
    assert error.source is not None and error.source.line == line, error


# --- 4. each note's deck --------------------------------------------------------------------


def test_each_entry_records_its_deck(project: Path) -> None:
    write_files(
        project,
        {"notes/python/more.md": "---\ndeck: Python::Extra\n---\n## What is a set?\n\nA set.\n"},
    )
    built("decks/python.yaml")
    found = entries(project / "decks" / "python.lock")
    assert {title: entry["deck"] for title, entry in found.items()} == {
        "What is a list?": "Python",
        "What is a dict?": "Python",
        "What is a set?": "Python::Extra",
    }
    assert [note.deck for note in read_lock(project / "decks" / "python.lock").notes] == [
        "Python",
        "Python",
        "Python::Extra",
    ]


UPGRADE = Path(__file__).parent / "fixtures" / "upgrade"


def test_a_lock_of_the_earlier_version_without_decks_reads_and_gets_them(
    tmp_path: Path,
) -> None:
    """The upgrade fixture's lock (written before decks were recorded) reads; the next
    build records each deck, with no warning about moved decks."""
    old = read_lock(UPGRADE / "old" / "deck.lock", int(FIXED_TIME))
    assert len(old.notes) == 13 and {note.deck for note in old.notes} == {None}

    shutil.copytree(UPGRADE / "notes", tmp_path / "notes")
    output = tmp_path / "old" / "deck.apkg"
    output.parent.mkdir()
    shutil.copy(UPGRADE / "old" / "deck.lock", output.with_suffix(".lock"))
    result = build([tmp_path / "notes"], output, timestamp=FIXED_TIME + 60)
    assert result.written and not result.errors, result
    assert not [p for p in result.warnings if "moved from deck" in p.message]
    new = read_lock(output.with_suffix(".lock"), int(FIXED_TIME) + 60)
    assert {note.guid for note in new.notes} == {note.guid for note in old.notes}
    assert None not in {note.deck for note in new.notes}


def test_a_card_moved_to_another_deck_is_warned_with_both_places(project: Path) -> None:
    built("decks/python.yaml")
    line = edit_entry(project / "decks" / "python.lock", "What is a dict?")
    moved = PYTHON.replace("## What is a dict?", '## What is a dict? {deck="Python::Maps"}')
    write_files(project, {"notes/python/lists.md": moved})
    result = built("decks/python.yaml")
    (warning,) = [line for line in result.stderr.splitlines() if "moved from deck" in line]
    assert warning.startswith(
        f"notes/python/lists.md:5: warning: the card moved from deck 'Python' "
        f"(decks/python.lock:{line}) to deck 'Python::Maps': "
    )
    again = built("decks/python.yaml")  # the lock now records the new deck
    assert "moved from deck" not in again.stderr


def test_a_renamed_deck_is_one_warning_for_all_its_cards(project: Path) -> None:
    built("decks/python.yaml")
    write_files(project, {"decks/python.yaml": "name: Python 3\nsources: notes/python\n"})
    result = built("decks/python.yaml")
    (warning,) = [line for line in result.stderr.splitlines() if "moved from deck" in line]
    assert warning.startswith(
        "notes/python/lists.md:1: warning: the card moved from deck 'Python' "
        "(decks/python.lock:12) to deck 'Python 3' (and 1 more of its cards): "
    )


# --- 5. one guid, one deck, in a run ----------------------------------------------------------


def test_deck_configs_that_share_a_card_are_an_error_naming_both(project: Path) -> None:
    """Two configs whose sources overlap give the same guid to two decks: `build` (also
    with --keep-going) and `check` name both places; no deck is written."""
    write_files(project, {"decks/all.yaml": "name: Everything\nsources: notes/**/*.md\n"})
    for args in (["build"], ["build", "--keep-going"], ["check"]):
        result = run(*args)
        assert result.exit_code == 1, result.output
        problems = result.stderr.splitlines()
        assert len(problems) == 6, result.stderr  # three cards, each in two decks
        place = "decks/all.yaml" if args == ["check"] else "decks/all.apkg"
        other = "decks/biology.yaml" if args == ["check"] else "decks/biology.apkg"
        for deck in (place, other):  # an error in each deck, naming the other
            start = "notes/biology/cells.md:1: this card's guid is also given to "
            assert any(
                p.startswith(f"{start}notes/biology/cells.md:1 (in {deck})") for p in problems
            )
        assert not list((project / "decks").glob("*.apkg"))
        assert not list((project / "decks").glob("*.lock"))
    # Without the overlap, both decks build.
    (project / "decks" / "all.yaml").unlink()
    built()


# --- 6. not a lock at all ---------------------------------------------------------------------

DEEP = 100_000


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 1\nnotes: [\n", 2, "invalid YAML: "),  # the last line
        ('{"version": 1, "notes": [}', 1, "invalid YAML: "),
        ("[1, 2, 3]\n", 1, "not an anki-tools lock file"),
        ('"just a string"', 1, "not an anki-tools lock file"),
        ("version: 1\nnotes: {a: 1}\n", 2, "'notes' must be a list"),
        ("version: 1\nnote_types: 5\nnotes: []\n", 2, "'note_types' must be a mapping"),
        ("version: 1\nnotes:\n  - 5\n", 3, "bad note entry (expected a mapping of fields"),
        ("version: 1\nnote_types:\n  [a]: {}\nnotes: []\n", 3, "a note type's name must be text"),
        ("version: 1\nnotes:\n  - guid: 2024-13-45\n", 3, "invalid YAML: month must be in"),
        ("version: 1\nnotes:\n  - guid: 0x" + "f" * 5000 + "\n", 3, "a number of 20000 bits"),
        # libyaml may stop first, at 1000 levels: "exceeded maximum nesting depth"
        ("version: 1\nnotes:\n  - " + "[" * DEEP + "]" * DEEP + "\n", 3, "nest"),
        ("version: 1\nnotes:\n" + "".join("  " * n + "- \n" for n in range(3000)), 18, "nest"),
        ("version: 1\nnotes:\n  - {" + '"a": [' * DEEP + "]" * DEEP + "}\n", 3, "nest"),
        ("version: 1\nnotes: []\nx: \x00\n", 3, "invalid YAML: unacceptable character #x0000"),
        ("version: 1\nnotes: []\n\n\x1b[2J\n", 4, "invalid YAML: unacceptable character #x001b"),
        ("version: 1\nversion: true\nnotes: []\n", 2, "lock file version True"),
        ("a: &a [*a, *a]\nversion: 1\nnotes: *a\n", 1, "bad note entry"),  # where it is
    ],
)
def test_a_lock_that_is_not_one_is_an_error_at_a_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    error = read_error(lock_file(tmp_path, text))
    assert error.source is not None and error.source.line == line, error
    assert message in error.message, error.message
    assert len(error.message) < 600


def test_a_lock_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    error = read_error(lock_file(tmp_path, b"version: 1\nnotes: []\n\n# caf\xe9\n"))
    assert error.source is not None and error.source.line == 4
    assert error.message.startswith("not UTF-8 text (invalid continuation byte)")


def test_a_huge_lock_is_refused_at_the_line_where_it_passes_the_limit(tmp_path: Path) -> None:
    lines = limits.LOCK_MAX_BYTES // 1000 + 5
    path = lock_file(tmp_path, "version: 1\n" + ("#" + "x" * 998 + "\n") * lines)
    error = read_error(path)
    assert error.source is not None
    assert error.source.line == (limits.LOCK_MAX_BYTES - 11) // 1000 + 2
    assert error.message.startswith("larger than 64 MB, the most a lock file may be")


def test_a_lock_that_is_a_fifo_or_a_folder_is_refused_without_reading_it(
    tmp_path: Path,
) -> None:
    """A FIFO would block the build for ever, /dev/zero would fill the memory."""
    fifo = tmp_path / "fifo.lock"
    os.mkfifo(fifo)
    (tmp_path / "folder.lock").mkdir()
    (tmp_path / "zero.lock").symlink_to("/dev/zero")
    for name in ("fifo.lock", "folder.lock", "zero.lock"):
        error = read_error(tmp_path / name)
        assert error.source is not None and error.source.path == tmp_path / name
        assert error.message.startswith("the lock file: not a regular file but ")


def test_a_broken_lock_through_the_command_line_is_one_line_and_exit_1(project: Path) -> None:
    built("decks/python.yaml")
    lock = project / "decks" / "python.lock"
    lock.write_text("version: 1\nnotes:\n  - " + "[" * DEEP + "\n", encoding="utf-8")
    result = run("build", "decks/python.yaml")
    assert result.exit_code == 1
    (problem,) = result.stderr.splitlines()
    assert problem.startswith("decks/python.lock:3: ")
    assert "nest" in problem and HINT in problem
