"""Property-based fuzzing of the lock reader (hypothesis).

A lock is committed beside a deck by other people, so the reader gets anything: random
text and bytes, any JSON or YAML value, locks of the right shape with any value in any
field, and written locks cut, doubled or spliced. Each property checks that the reader
returns a lock whose every field is in range, or raises a `LockError` naming the lock and
a line of it (the offending entry's, where one entry was broken), and nothing else.

The examples are derandomized, so CI never flakes. To hunt for new bugs with fresh
random examples (and more of them):

    ANKI_TOOLS_FUZZ=hunt ANKI_TOOLS_FUZZ_SCALE=20 .venv/bin/python -m pytest \
        tests/test_fuzz_lock.py
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anki_tools import limits
from anki_tools.errors import LockError
from anki_tools.sharing.lock import (
    Lock,
    LockedNote,
    LockedNoteType,
    read_lock,
    write_lock,
)
from anki_tools.sharing.lock_check import GUID_RE, KINDS, PLACE_RE

HUNT = os.environ.get("ANKI_TOOLS_FUZZ") == "hunt"
SCALE = float(os.environ.get("ANKI_TOOLS_FUZZ_SCALE", "1"))
NOW = 1_800_000_000


def fuzz(examples: int) -> settings:
    """Settings of one property: derandomized for CI, random when hunting."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=not HUNT,
        database=None,
        print_blob=HUNT,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- reading and what a result may be --------------------------------------------------------


@contextmanager
def lock_path() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "deck.lock"


def read(data: bytes) -> Lock | LockError:
    """The lock of these bytes, or the LockError it raises: any other exception fails."""
    with lock_path() as path:
        path.write_bytes(data)
        try:
            found = read_lock(path, NOW)
        except LockError as error:
            assert error.source is not None and error.source.path == path, error
            return error
    assert_valid(found)
    return found


def line_count(data: bytes) -> int:
    """Lines as the reader counts them: at each `\\n`."""
    return max(1, data.count(b"\n") + (not data.endswith(b"\n")))


def assert_located(result: Lock | LockError, data: bytes) -> None:
    """A valid lock, or an error at a line of the file, told on one line."""
    if isinstance(result, Lock):
        return
    assert result.source is not None and result.source.line is not None, result
    assert 1 <= result.source.line <= line_count(data), (result, line_count(data))
    assert str(result).startswith(f"{result.source.path}:{result.source.line}: ")
    assert "\n" not in str(result) and len(result.message) < 1000, result


def assert_valid(found: Lock) -> None:
    """Every field as the builder needs it: types, ranges, no time far ahead."""
    guids = [note.guid for note in found.notes]
    assert len(set(guids)) == len(guids)
    for note in found.notes:
        assert GUID_RE.fullmatch(note.guid) and PLACE_RE.fullmatch(note.source)
        assert 1 <= note.note_id <= (NOW + limits.LOCK_MAX_NOTE_ID_SECONDS_AHEAD) * 1000
        assert 0 <= note.modified <= NOW + limits.LOCK_MAX_SECONDS_AHEAD
        assert type(note.note_id) is int and type(note.modified) is int
        assert note.kind in KINDS and note.line is not None and note.line >= 1
        texts = [note.title, note.front, note.content]
        optional = [note.explicit_id, note.cell_id, note.deck]
        assert all(isinstance(text, str) for text in texts)
        assert all(value is None or isinstance(value, str) for value in optional)
    for name, note_type in found.note_types.items():
        assert name in KINDS and isinstance(note_type.hash, str)
        assert 1 <= note_type.id <= limits.SQLITE_MAX_INTEGER
        assert 0 <= note_type.modified <= NOW + limits.LOCK_MAX_SECONDS_AHEAD


# --- strategies ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["guid", "source", "title", "nid", "modified", "front", "content", "kind", "deck", "id"]
field_values = json_values | st.sampled_from(
    [
        0,
        1,
        -1,
        NOW,
        NOW + 86_400,
        NOW + 86_401,
        4_102_444_800,
        10**20,
        2**63,
        "basic",
        "evil",
        "a.md:1",
        "g",
    ]
)
# Pieces that lock text is made of, so random text reaches the deeper checks too.
LOCK_PIECES = [
    "version: 1\n", "version: 2\n", "notes:\n", "notes: []\n", "note_types:\n", "note_types: {}\n",
    '  basic: {"id": 1, "hash": "h", "modified": 1}\n', "  - ", '{"guid": "g", ', '"nid": 1, ',
    '"kind": "basic"}\n', "<<<<<<< HEAD\n", "=======\n", "# comment\n", "- ", "  ", ": ", "{", "}",
    "[", "]", ",", '"', "'", "&a ", "*a ", "!!binary ", "? ", "\t", "\r\n", "\r", "\x85", "\u2028",
    "\x00", "\ufeff", "\n", "0x" + "f" * 40, "2024-13-45",
]  # fmt: skip
lock_like_text = st.lists(st.sampled_from(LOCK_PIECES) | st.text(max_size=6), max_size=40).map(
    "".join
)


@st.composite
def good_notes(draw: st.DrawFn) -> list[LockedNote]:
    """Valid entries, with unique guids, awkward text and the extremes of each range."""
    count = draw(st.integers(min_value=0, max_value=6))
    guids = draw(
        st.lists(
            st.from_regex(GUID_RE, fullmatch=True), min_size=count, max_size=count, unique=True
        )
    )
    notes = []
    for guid in guids:
        notes.append(
            LockedNote(
                guid=guid,
                source=draw(st.text(min_size=1, max_size=10))
                + draw(st.sampled_from([":1", ":cell 3", ":999999999"])),
                title=draw(st.text(max_size=20)),
                note_id=draw(
                    st.integers(
                        min_value=1, max_value=(NOW + limits.LOCK_MAX_NOTE_ID_SECONDS_AHEAD) * 1000
                    )
                ),
                modified=draw(
                    st.integers(min_value=0, max_value=NOW + limits.LOCK_MAX_SECONDS_AHEAD)
                ),
                front=draw(st.text(max_size=8)),
                content=draw(st.text(max_size=8)),
                kind=draw(st.sampled_from(KINDS)),
                explicit_id=draw(st.none() | st.text(max_size=8)),
                cell_id=draw(st.none() | st.text(max_size=8)),
                deck=draw(st.none() | st.text(max_size=8)),
            )
        )
    return notes


NOTE_TYPES = {"basic": LockedNoteType(1731000001, "92557779a89fa949", NOW)}


def written(notes: list[LockedNote]) -> bytes:
    with lock_path() as path:
        write_lock(Lock(notes, dict(NOTE_TYPES), exists=True), path, Path("deck.apkg"))
        return path.read_bytes()


NOTES_START = 8  # the first note line of a written lock with one note type


# --- properties ------------------------------------------------------------------------------


@fuzz(300)
@given(st.text() | lock_like_text)
def test_any_text_gives_a_lock_or_an_error_at_one_of_its_lines(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert_located(read(data), data)


@fuzz(150)
@given(st.binary())
def test_any_bytes_give_a_lock_or_an_error_at_one_of_its_lines(data: bytes) -> None:
    assert_located(read(data), data)


@fuzz(200)
@given(json_values, st.sampled_from(["whole", "notes", "entry", "note_types", "yaml"]))
def test_any_json_value_gives_a_lock_or_a_located_error(value: Any, where: str) -> None:
    """A value as the whole file, as the notes, as a note entry, as the note types, or
    the whole file written as YAML."""
    document = {
        "whole": value,
        "notes": {"version": 1, "notes": value},
        "entry": {"version": 1, "notes": [value]},
        "note_types": {"version": 1, "note_types": value, "notes": []},
        "yaml": value,
    }[where]
    text = yaml.safe_dump(document) if where == "yaml" else json.dumps(document)
    data = text.encode("utf-8", "surrogatepass")
    assert_located(read(data), data)


@fuzz(150)
@given(good_notes())
def test_written_locks_read_back_the_same_with_each_entrys_line(notes: list[LockedNote]) -> None:
    found = read(written(notes))
    assert isinstance(found, Lock), found
    assert found.notes == notes and found.note_types == NOTE_TYPES
    assert [note.line for note in found.notes] == list(range(NOTES_START, NOTES_START + len(notes)))


@fuzz(300)
@given(good_notes().filter(bool), st.data())
def test_one_bad_field_is_an_error_at_its_entrys_line(
    notes: list[LockedNote], data: st.DataObject
) -> None:
    """One field of one entry set to anything: a valid lock, or an error at that entry's
    line (a guid made equal to another entry's: at the later of the two)."""
    position = data.draw(st.integers(min_value=0, max_value=len(notes) - 1))
    field = data.draw(st.sampled_from(FIELDS))
    value = data.draw(field_values | st.just(DROPPED))
    lines = written(notes).decode("utf-8").split("\n")
    entry = json.loads(lines[NOTES_START - 1 + position][4:])
    if value is DROPPED:
        entry.pop(field, None)
    else:
        entry[field] = value
    lines[NOTES_START - 1 + position] = "  - " + json.dumps(entry, ensure_ascii=False)
    result = read("\n".join(lines).encode("utf-8", "surrogatepass"))
    if isinstance(result, Lock):
        return
    assert result.source is not None
    if "appears twice" in result.message:
        twin = next(n for n, note in enumerate(notes) if note.guid == value and n != position)
        assert result.source.line == NOTES_START + max(twin, position)
    else:
        assert result.source.line == NOTES_START + position, result
        assert result.message.startswith("bad note entry ("), result


DROPPED = object()


@fuzz(150)
@given(good_notes().filter(bool), st.data())
def test_one_bad_field_in_a_lock_edited_as_yaml_names_its_entry(
    notes: list[LockedNote], data: st.DataObject
) -> None:
    """The same in block-style YAML, as a person merging by hand writes it: the error is
    on the line where the broken entry starts."""
    position = data.draw(st.integers(min_value=0, max_value=len(notes) - 1))
    field = data.draw(st.sampled_from(FIELDS))
    value = data.draw(field_values)
    parts = ["version: 1\nnotes:\n"]
    starts = []
    lines = written(notes).decode("utf-8").split("\n")
    for number in range(len(notes)):
        entry = json.loads(lines[NOTES_START - 1 + number][4:])
        if number == position:
            entry[field] = value
        starts.append(sum(part.count("\n") for part in parts) + 1)
        block = yaml.safe_dump([entry], allow_unicode=True, width=10**6)
        parts.append("".join(f"  {line}\n" for line in block.removesuffix("\n").split("\n")))
    text = "".join(parts)
    result = read(text.encode("utf-8", "surrogatepass"))
    assert_located(result, text.encode("utf-8", "surrogatepass"))
    if isinstance(result, LockError) and result.message.startswith("bad note entry ("):
        assert result.source is not None and result.source.line == starts[position], (result, text)


@fuzz(200)
@given(good_notes(), st.data())
def test_a_written_lock_cut_doubled_or_spliced_gives_a_lock_or_a_located_error(
    notes: list[LockedNote], data: st.DataObject
) -> None:
    """What a bad merge, a partial copy or a hand edit does to a lock."""
    text = written(notes).decode("utf-8")
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))
    insert = data.draw(st.sampled_from(["", text[start:end], *LOCK_PIECES]) | st.text(max_size=5))
    damaged = (
        text[:start] + insert + text[end:] if data.draw(st.booleans()) else text[:start] + insert
    )
    encoded = damaged.encode("utf-8", "surrogatepass")
    assert_located(read(encoded), encoded)
