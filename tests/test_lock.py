"""Unit tests of the lock file: round trips, its one-line-per-note shape and every error."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from anki_tools.errors import LockError
from anki_tools.notes import Source
from anki_tools.sharing import lock, lock_text
from anki_tools.sharing.lock import (
    Lock,
    LockedNote,
    LockedNoteType,
    read_lock,
    write_lock,
)

DECK = Path("out.apkg")

# Titles (and ids) that plain YAML would misread, refuse or mangle.
AWKWARD = [
    'say "hi"',
    "back\\slash \\n \\u0041",
    "key: value",
    "# not a comment",
    "- not a list",
    "no",
    "yes",
    "null",
    "~",
    "1e3",
    "0x1F",
    "true",
    "",
    " padded ",
    "'single'",
    "&anchor *alias !tag %directive @at `tick",
    "{flow: map}, [flow, seq]",
    "tab\there",
    "new\nline",
    "cr\rlf\r\n",
    "line\u2028separator\u2029paragraph",
    "\ufeffbom first",
    "nel\x85 and del\x7f and c1\x9b",
    "nul\x00 and bell\x07 and esc\x1b",
    "naïve café Ünïcödé Ελληνικά 日本語",
    "emoji 😀🐍 and a flag 🇩🇪",
    "private use \ue010\ue011 and \U000f0000",
    "\ufffe\uffff noncharacters",
    "<<<<<<< HEAD",
    "=======",
]


def entry(number: int, **changes: object) -> LockedNote:
    values: dict[str, object] = {
        "guid": f"guid{number}",
        "source": f"notes/file.md:{number}",
        "title": f"Question {number}?",
        "note_id": 1_700_000_000_000 + 1000 * number,
        "modified": 1_700_000_000 + number,
        "front": f"front{number}",
        "content": f"content{number}",
        "kind": "basic",
    }
    values.update(changes)
    return LockedNote(**values)  # type: ignore[arg-type]


def sample_lock(notes: list[LockedNote]) -> Lock:
    types = {
        "basic": LockedNoteType(1_600_000_001, "hash-basic", 1_700_000_000),
        "cloze": LockedNoteType(1_600_000_002, "hash-cloze", 1_700_000_005),
    }
    return Lock(notes, types, exists=True)


def write_text(tmp_path: Path, text: str, name: str = "out.lock") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def read_error(path: Path) -> LockError:
    with pytest.raises(LockError) as caught:
        read_lock(path)
    return caught.value


@pytest.fixture(params=["C", "Python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read with libyaml's loader and with PyYAML's own: either may be the one installed."""
    if request.param == "C":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML without libyaml")
        monkeypatch.setattr(lock_text, "Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(lock_text, "Loader", yaml.SafeLoader)


# --- round trip -----------------------------------------------------------------------


@pytest.mark.usefixtures("loader")
def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    notes = [
        entry(1),
        entry(2, explicit_id="my-id", kind="reversed"),
        entry(3, source="nb/lesson.ipynb:cell 4", cell_id="a1b2-c3", kind="cloze"),
        entry(4, note_id=1, modified=0, title=""),  # the smallest note id and time
    ]
    original = sample_lock(notes)
    path = tmp_path / "out.lock"
    write_lock(original, path, DECK)
    assert read_lock(path) == original


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize("text", AWKWARD)
def test_round_trip_of_awkward_text(tmp_path: Path, text: str) -> None:
    note = entry(
        1,
        title=text,
        source=f"dir/{text}.md:3",
        explicit_id=text,
        cell_id=text,
        guid="guid-awkward",  # guids are printable ASCII: test_hostile_lock.py
    )
    original = sample_lock([entry(0), note, entry(2)])
    path = tmp_path / "out.lock"
    write_lock(original, path, DECK)
    again = read_lock(path)
    assert again.notes[1] == note
    assert again == original


@pytest.mark.usefixtures("loader")
def test_round_trip_of_all_awkward_titles_in_one_lock(tmp_path: Path) -> None:
    original = sample_lock([entry(n, title=t) for n, t in enumerate(AWKWARD)])
    path = tmp_path / "out.lock"
    write_lock(original, path, DECK)
    assert read_lock(path) == original


def test_empty_lock_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.lock"
    write_lock(Lock(), path, DECK)
    text = path.read_text(encoding="utf-8")
    assert "note_types: {}\n" in text
    assert text.endswith("notes: []\n")
    assert read_lock(path) == Lock(exists=True)


# --- shape of the file ------------------------------------------------------------------


def test_one_line_per_note_in_order(tmp_path: Path) -> None:
    notes = [entry(n, title=t) for n, t in enumerate(AWKWARD)]
    path = tmp_path / "out.lock"
    write_lock(sample_lock(notes), path, DECK)
    lines = path.read_text(encoding="utf-8").split("\n")
    note_lines = [line for line in lines if line.startswith("  - ")]
    assert len(note_lines) == len(notes)
    for line, note in zip(note_lines, notes, strict=True):
        assert line.startswith(f'  - {{"guid": "{note.guid}", "source": "{note.source}", ')
        assert line.endswith("}")
        (parsed,) = yaml.safe_load(line.strip())
        assert parsed["title"] == note.title
    # Header (3 comments, version, note_types + 2 types, notes) plus the notes, then "".
    assert len(lines) == 3 + 1 + 3 + 1 + len(notes) + 1
    assert lines[-1] == ""


def test_every_string_is_double_quoted_and_numbers_are_bare(tmp_path: Path) -> None:
    note = entry(7, explicit_id="no", cell_id="1e3")
    path = tmp_path / "out.lock"
    write_lock(sample_lock([note]), path, DECK)
    (line,) = [x for x in path.read_text(encoding="utf-8").split("\n") if x.startswith("  - ")]
    assert line == (
        '  - {"guid": "guid7", "source": "notes/file.md:7", "title": "Question 7?", '
        '"nid": 1700000007000, "modified": 1700000007, "front": "front7", '
        '"content": "content7", "kind": "basic", "id": "no", "cell": "1e3"}'
    )
    assert json.loads(line[4:])["id"] == "no", "each note line is a JSON object too"


def test_optional_keys_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "out.lock"
    write_lock(sample_lock([entry(1)]), path, DECK)
    text = path.read_text(encoding="utf-8")
    (line,) = [x for x in text.split("\n") if x.startswith("  - ")]
    assert '"id": ' not in line
    assert '"cell": ' not in line


def test_header_comments_name_the_deck(tmp_path: Path) -> None:
    path = tmp_path / "python.lock"
    write_lock(sample_lock([entry(1)]), path, Path("decks/python.apkg"))
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "# anki-tools lock file for python.apkg: commit it with the sources."
    assert all(line.startswith("# ") for line in lines[:3])
    assert "Build again rather than edit it." in lines[2]
    assert lines[3] == "version: 1"
    assert lines[4] == "note_types:"
    assert lines[5] == '  basic: {"id": 1600000001, "hash": "hash-basic", "modified": 1700000000}'


def test_written_text_is_printable_utf8_without_raw_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "out.lock"
    write_lock(sample_lock([entry(n, title=t) for n, t in enumerate(AWKWARD)]), path, DECK)
    text = path.read_bytes().decode("utf-8")  # strict: no lone surrogates
    for char in "\r\x85\u2028\u2029\ufeff\x00\x7f\ufffe\uffff":
        assert char not in text
    assert "😀" in text and "日本語" in text  # readable, not escaped


def test_same_lock_same_bytes(tmp_path: Path) -> None:
    original = sample_lock([entry(n, title=t) for n, t in enumerate(AWKWARD)])
    first, second = tmp_path / "one.lock", tmp_path / "two.lock"
    write_lock(original, first, DECK)
    write_lock(sample_lock(list(original.notes)), second, DECK)
    assert first.read_bytes() == second.read_bytes()
    # Reading and writing again changes nothing either.
    write_lock(read_lock(first), second, DECK)
    assert first.read_bytes() == second.read_bytes()


def test_path_for_replaces_the_suffix() -> None:
    assert lock.path_for(Path("decks/python.apkg")) == Path("decks/python.lock")


def test_latest_modified_and_note_id() -> None:
    assert Lock().latest_modified() == 0
    assert Lock().latest_note_id() == 0
    notes = [entry(1, modified=50, note_id=9000), entry(2, modified=70, note_id=3000)]
    assert Lock(notes).latest_modified() == 70
    assert Lock(notes).latest_note_id() == 9000
    types = {"basic": LockedNoteType(1, "h", 99)}
    assert Lock(notes, types).latest_modified() == 99  # a note type's time counts too
    assert Lock([], types).latest_note_id() == 0


# --- reading: missing file and errors -----------------------------------------------------

HEADER = "# a comment\nversion: 1\nnote_types: {}\nnotes:\n"  # notes start on line 5


def note_line(name: str, **changes: str) -> str:
    fields = {
        "guid": f'"{name}"',
        "source": '"a.md:1"',
        "title": '"T"',
        "nid": "1",
        "modified": "2",
        "front": '"f"',
        "content": '"c"',
        "kind": '"basic"',
    }
    fields.update(changes)
    fields = {key: value for key, value in fields.items() if value != "DROP"}
    return "  - {" + ", ".join(f"{key}: {value}" for key, value in fields.items()) + "}\n"


def test_missing_file_is_an_empty_lock(tmp_path: Path) -> None:
    found = read_lock(tmp_path / "nothing.lock")
    assert found == Lock()
    assert not found.exists
    assert found.notes == [] and found.note_types == {}


def test_hand_written_lock_reads(tmp_path: Path) -> None:
    text = (
        "version: 1\n"
        "note_types:\n"
        "  basic: {id: 5, hash: abc, modified: 10}\n"
        "notes:\n"
        "  - {guid: g1, source: a.md:3, title: T, nid: 1, modified: 2, front: f, content: c,"
        " kind: basic}\n"
    )
    found = read_lock(write_text(tmp_path, text))
    assert found.exists
    assert found.note_types == {"basic": LockedNoteType(5, "abc", 10)}
    (note,) = found.notes
    assert (note.guid, note.file, note.title, note.explicit_id) == ("g1", "a.md", "T", None)


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    ("broken", "line"),
    [
        ('  - {guid: "g2" source: "a.md:1"}\n', 7),  # missing comma
        ('  - {guid: "g2\\q"}\n', 7),  # unknown escape
        ("\t- {guid: g2}\n", 7),  # a tab indent
    ],
)
def test_invalid_yaml_names_its_line(tmp_path: Path, broken: str, line: int) -> None:
    text = HEADER + note_line("g0") + note_line("g1") + broken + note_line("g3")
    error = read_error(write_text(tmp_path, text))
    assert error.message.startswith("invalid YAML: ")
    assert "restore it from git, or delete it to start over" in error.message
    assert error.source is not None
    assert error.source.path == tmp_path / "out.lock"
    assert error.source.line == line


@pytest.mark.parametrize(
    "broken",
    ['  - {guid: "g1", source: "a.md:1"\n', '  - {guid: "g1", title: "unterminated}\n'],
    ids=["unclosed-brace", "unclosed-quote"],
)
def test_truncated_note_line_is_reported_on_its_own_line(tmp_path: Path, broken: str) -> None:
    # A note line cut short (a bad hand edit, a partial paste): the mapping or the quote
    # never closes. The lock has one note per line, so the broken note is line 6, not a
    # later one (YAML notices only on the following lines).
    text = HEADER + note_line("g0") + broken + note_line("g2") + note_line("g3")
    error = read_error(write_text(tmp_path, text))
    assert error.message.startswith("invalid YAML: ")
    assert error.source == Source(tmp_path / "out.lock", 6)


@pytest.mark.parametrize(
    ("marker", "line"),
    [("<<<<<<< HEAD", 6), ("=======", 6), (">>>>>>> theirs", 6), ("<<<<<<< Updated upstream", 6)],
)
def test_merge_conflict_marker_is_found_on_its_line(tmp_path: Path, marker: str, line: int) -> None:
    text = HEADER + note_line("g0") + marker + "\n" + note_line("g1")
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, line)
    assert "unresolved merge conflict" in error.message
    assert f"git checkout --theirs {path.as_posix()}" in error.message


def test_whole_merge_conflict_reports_the_first_marker(tmp_path: Path) -> None:
    text = (
        HEADER
        + note_line("g0")
        + "<<<<<<< HEAD\n"
        + note_line("g1")
        + "=======\n"
        + note_line("g2")
        + ">>>>>>> feature\n"
    )
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, 6)
    assert "merge conflict" in error.message
    # With Windows line endings too.
    error = read_error(write_text(tmp_path, text.replace("\n", "\r\n"), "crlf.lock"))
    assert error.source is not None and error.source.line == 6


def test_conflict_marker_text_inside_a_title_is_not_a_conflict(tmp_path: Path) -> None:
    notes = [entry(1, title="<<<<<<< HEAD"), entry(2, title="x\n=======\ny")]
    path = tmp_path / "out.lock"
    write_lock(sample_lock(notes), path, DECK)
    assert read_lock(path).notes == notes


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "- a\n- b\n", "just text\n", "notes: []\n"]
)
def test_not_a_lock_file(tmp_path: Path, text: str) -> None:
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, 1)
    assert error.message.startswith("not an anki-tools lock file")
    assert "restore it from git, or delete it to start over" in error.message


def test_newer_version_names_the_version_line(tmp_path: Path) -> None:
    path = write_text(tmp_path, "# comment\n# comment\nversion: 2\nnotes: []\n")
    error = read_error(path)
    assert error.source == Source(path, 3)
    assert "lock file version 2" in error.message
    assert "another version of anki-tools" in error.message
    assert "reads version 1" in error.message


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"content": "DROP"}, "missing 'content'"),
        ({"guid": "DROP"}, "missing 'guid'"),
        ({"nid": "DROP"}, "missing 'nid'"),
        ({"kind": "DROP"}, "missing 'kind'"),
        ({"guid": "5"}, "expected text, got 5"),
        ({"front": "null"}, "expected text, got None"),
        ({"source": "[a, b]"}, "expected text, got ['a', 'b']"),
        ({"nid": '"12"'}, "expected a whole number, got '12'"),
        ({"modified": "-2"}, "expected a whole number, got -2"),
        ({"nid": "1.5"}, "expected a whole number, got 1.5"),
        ({"nid": "true"}, "expected a whole number, got True"),
        ({"id": "7"}, "expected text, got 7"),
        ({"cell": "[1]"}, "expected text, got [1]"),
    ],
)
def test_bad_note_entry_names_the_note_line(
    tmp_path: Path, changes: dict[str, str], why: str
) -> None:
    text = HEADER + note_line("g0") + note_line("g1") + note_line("g2", **changes)
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, 7)
    assert error.message.startswith(f"bad note entry ({why})")
    assert "restore it from git, or delete it to start over" in error.message


@pytest.mark.parametrize("item", ["", "null", "5", "just text", "[1, 2]"])
def test_note_entry_that_is_not_a_mapping(tmp_path: Path, item: str) -> None:
    text = HEADER + note_line("g0") + f"  - {item}\n" + note_line("g2")
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, 6)
    assert error.message.startswith("bad note entry (")


@pytest.mark.parametrize("value", ["5", "true", "{a: 1}", "some text"])
def test_notes_that_are_not_a_list(tmp_path: Path, value: str) -> None:
    # Like `note_types` that is not a mapping: a LockError on the `notes:` line.
    path = write_text(tmp_path, f"version: 1\nnote_types: {{}}\nnotes: {value}\n")
    error = read_error(path)
    assert error.source == Source(path, 3)
    assert "notes" in error.message


def test_note_types_that_are_not_a_mapping(tmp_path: Path) -> None:
    path = write_text(tmp_path, "version: 1\nnote_types: [1, 2]\nnotes: []\n")
    error = read_error(path)
    assert error.source == Source(path, 2)
    assert error.message == "'note_types' must be a mapping"


def test_bad_note_type_entry_names_its_line(tmp_path: Path) -> None:
    text = (
        "version: 1\nnote_types:\n  basic: {id: 1, hash: h, modified: 1}\n"
        "  cloze: {id: 2, hash: h}\nnotes: []\n"
    )
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, 4)
    assert error.message == "bad note type entry 'cloze' (missing 'modified')"


def test_guid_twice_names_the_second_line(tmp_path: Path) -> None:
    text = HEADER + note_line("g0") + note_line("g1") + note_line("g2") + note_line("g1")
    path = write_text(tmp_path, text)
    error = read_error(path)
    assert error.source == Source(path, 8)
    assert "guid g1 appears twice" in error.message
    assert "merge" in error.message
    assert "restore it from git, or delete it to start over" in error.message


def test_undecodable_file_is_a_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "out.lock"
    path.write_bytes(b"version: 1\nnotes: []\n# \xff\xfe\n")
    error = read_error(path)
    assert error.source == Source(path, 3)
    assert error.message.startswith("not UTF-8 text (invalid start byte)")


def test_error_text_starts_with_path_and_line(tmp_path: Path) -> None:
    path = write_text(tmp_path, HEADER + note_line("g0") + note_line("g0"))
    assert str(read_error(path)).startswith(f"{path}:6: guid g0 appears twice")


# --- writing: permissions and atomicity ---------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_file_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    path = tmp_path / "out.lock"
    previous = os.umask(umask)
    try:
        write_lock(sample_lock([entry(1)]), path, DECK)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "decks"  # made on demand
    path = folder / "out.lock"
    write_lock(sample_lock([entry(1)]), path, DECK)
    write_lock(sample_lock([entry(1), entry(2)]), path, DECK)  # over an existing file
    assert [p.name for p in folder.iterdir()] == ["out.lock"]
    assert len(read_lock(path).notes) == 2


def test_failed_write_keeps_the_old_lock_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.lock"
    write_lock(sample_lock([entry(1)]), path, DECK)
    before = path.read_bytes()

    def full_disk(temporary: Path, text: str) -> None:
        temporary.write_bytes(text.encode()[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(lock, "_write_text", full_disk)
    with pytest.raises(LockError) as caught:
        write_lock(sample_lock([entry(1), entry(2)]), path, DECK)
    assert caught.value.source == Source(path)
    assert caught.value.message == f"cannot write the lock file: {os.strerror(errno.ENOSPC)}"
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.lock"]


def test_a_lock_edited_by_hand_in_plain_yaml_still_reads(tmp_path: Path) -> None:
    """The fast line-by-line reading is only a shortcut: a lock in any YAML shape (keys
    unquoted, block style, comments between notes) reads the same."""
    path = tmp_path / "out.lock"
    path.write_text(
        "version: 1\n"
        "note_types: {}\n"
        "notes:\n"
        "  # kept after a merge\n"
        "  - guid: g1\n"
        "    source: a.md:1\n"
        "    title: One\n"
        "    nid: 1000\n"
        "    modified: 5\n"
        "    front: f\n"
        "    content: c\n"
        "    kind: basic\n",
        encoding="utf-8",
    )
    (note,) = read_lock(path).notes
    assert (note.guid, note.source, note.note_id, note.modified) == ("g1", "a.md:1", 1000, 5)


def test_written_lock_reads_back_through_yaml_alone(tmp_path: Path) -> None:
    """Every written lock is plain YAML too, so any YAML tool (and the slow path) reads it."""
    path = tmp_path / "out.lock"
    notes = [entry(i) for i in range(3)]
    write_lock(sample_lock(notes), path, DECK)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [item["guid"] for item in data["notes"]] == [note.guid for note in notes]


@pytest.mark.parametrize("after", [' {"guid": "extra"}', ', {"guid": "extra"}', " x"])
def test_a_written_note_line_with_more_after_its_object_is_an_error(
    tmp_path: Path, after: str
) -> None:
    """A line of the written layout is one JSON object and nothing after it: a second
    object on the line (a bad merge) is not read as the first alone."""
    path = tmp_path / "out.lock"
    write_lock(sample_lock([entry(0), entry(1)]), path, DECK)
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(number for number, line in enumerate(lines) if line.startswith("  - {"))
    lines[at] += after
    path.write_text("\n".join(lines), encoding="utf-8")
    error = read_error(path)
    assert error.source == Source(path, at + 1)
