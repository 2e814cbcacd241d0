"""sync's state file: where it lives, written and read back, and hostile contents."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from anki_tools.errors import SyncError
from anki_tools.sync import state
from anki_tools.sync.state import SyncedNote, SyncState, read_state, state_path, write_state

KEY = "/home/me/.local/share/Anki2/User 1/collection.anki2"
NOTE = SyncedNote(1, "c", "Deck", 100, "f", "notes/a.md:3", "What?", False)


def test_the_data_dir_follows_the_override_then_each_system(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANKI_TOOLS_DATA_DIR", str(tmp_path / "mine"))
    assert state.data_dir() == tmp_path / "mine"
    monkeypatch.delenv("ANKI_TOOLS_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert state.data_dir() == tmp_path / "xdg" / "anki-tools"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert state.data_dir() == tmp_path / ".local" / "share" / "anki-tools"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert state.data_dir() == tmp_path / "Library" / "Application Support" / "anki-tools"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert state.data_dir() == tmp_path / "Roaming" / "anki-tools"


def test_tests_never_write_the_users_data_dir() -> None:
    """The autouse fixture of conftest.py points anki-tools at a temporary folder."""
    assert Path.home() / ".local" not in state.data_dir().parents
    assert "pytest" in str(state.data_dir())


def test_a_state_is_read_back_as_written_and_each_collection_has_its_own() -> None:
    written = SyncState(KEY, {"/project/deck.apkg": {"guid1": NOTE}})
    write_state(written)
    assert read_state(KEY) == written
    assert read_state(KEY + "2") == SyncState(KEY + "2")  # never synced: empty
    assert state_path(KEY) != state_path(KEY + "2")


def good_data() -> dict[str, object]:
    note = {
        "note_id": 1,
        "content": "c",
        "deck": "Deck",
        "modified": 100,
        "fields_hash": "f",
        "source": "notes/a.md:3",
        "title": "What?",
        "removed": False,
    }
    decks = {"/project/deck.apkg": {"guid1": note}}
    return {"format": state.FORMAT, "version": 1, "collection": KEY, "decks": decks}


def broken(change: str) -> object:
    data = good_data()
    note = data["decks"]["/project/deck.apkg"]["guid1"]  # type: ignore[index]
    if change == "bool as int":
        note["note_id"] = True
    elif change == "int as bool":
        note["removed"] = 1
    elif change == "string id":
        note["note_id"] = "1"
    elif change == "missing key":
        del note["title"]
    elif change == "extra key":
        note["extra"] = 1
    elif change == "newer version":
        data["version"] = 2
    elif change == "another collection":
        data["collection"] = "/elsewhere.anki2"
    elif change == "notes not a mapping":
        data["decks"] = {"/project/deck.apkg": []}
    elif change == "a list":
        return [data]
    return data


@pytest.mark.parametrize(
    "change",
    [
        "bool as int",
        "int as bool",
        "string id",
        "missing key",
        "extra key",
        "newer version",
        "another collection",
        "notes not a mapping",
        "a list",
    ],
)
def test_a_state_not_exactly_as_written_is_an_error_naming_the_file(change: str) -> None:
    path = state_path(KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(good_data()), "utf-8")
    assert read_state(KEY).decks  # the good one reads
    path.write_text(json.dumps(broken(change)), "utf-8")
    with pytest.raises(SyncError) as raised:
        read_state(KEY)
    assert str(raised.value).startswith(f"{path}: ")
    assert "move it away to start afresh" in str(raised.value)


def test_deep_nesting_and_bad_bytes_are_errors_not_crashes() -> None:
    path = state_path(KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    for text in (b"[" * 100_000, b"\xff\xfe", b""):
        path.write_bytes(text)
        with pytest.raises(SyncError, match="is not JSON"):
            read_state(KEY)
