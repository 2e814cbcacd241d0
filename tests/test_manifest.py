"""The build manifest: an unchanged rebuild says "up to date" and writes nothing; any
change to what the deck was built from (or to the deck itself) builds it again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from anki_tools.cli import main
from anki_tools.pipeline import BuildOptions, build_paths

from conftest import PNG_BYTES, WriteNotes

CARDS = """\
# Python

## What does `len` return?

The number of items.

## What is a tuple?

An immutable sequence. ![](pic.png)
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def notes(write_notes: WriteNotes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_notes({"python.md": CARDS, "pic.png": PNG_BYTES})
    return Path("notes")


def build(*args: str) -> Result:
    result = run("build", "notes", "-o", "deck.apkg", *args)
    assert result.exit_code == 0, result.output
    return result


def test_an_unchanged_rebuild_is_up_to_date_and_writes_nothing(notes: Path) -> None:
    first = build()
    assert first.stdout.startswith("deck.apkg: 2 notes, 2 cards, 1 media\n")
    before = os.stat("deck.apkg"), os.stat("deck.lock")
    again = build()
    assert again.stdout == "deck.apkg: up to date\n"
    assert again.stderr == ""
    after = os.stat("deck.apkg"), os.stat("deck.lock")
    assert [(s.st_mtime_ns, s.st_ino) for s in after] == [(s.st_mtime_ns, s.st_ino) for s in before]


def test_a_deck_built_for_sync_is_up_to_date_for_build(notes: Path) -> None:
    """Sync builds with for_sync (it applies the notes whether or not the deck
    changed); that decides whether to build, not what is built, so it is no option the
    manifest records, and the next plain build has nothing to do."""
    options = BuildOptions(output=Path("deck.apkg"), for_sync=True)
    assert build_paths([notes], options).written
    assert build().stdout == "deck.apkg: up to date\n"


def test_no_cache_always_builds(notes: Path) -> None:
    build()
    assert build("--no-cache").stdout.startswith("deck.apkg: 2 notes")


@pytest.mark.parametrize("damage", ["delete", "alter", "truncate"])
def test_a_deleted_or_altered_output_is_built_again(notes: Path, damage: str) -> None:
    build()
    deck = Path("deck.apkg")
    good = deck.read_bytes()
    if damage == "delete":
        deck.unlink()
    elif damage == "alter":  # same size: only the hash tells
        deck.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    else:
        deck.write_bytes(good[:100])
    assert build().stdout.startswith("deck.apkg: 2 notes")
    assert deck.read_bytes() == good


def test_a_touched_but_unchanged_source_is_still_up_to_date(notes: Path) -> None:
    build()
    source = notes / "python.md"
    os.utime(source, ns=(1, 1))  # new stat, same content: hashed, found the same
    assert build().stdout == "deck.apkg: up to date\n"


@pytest.mark.parametrize(
    "change",
    ["edit", "add file", "remove file", "image", "lock", "option", "other output"],
)
def test_a_change_builds_again(notes: Path, change: str) -> None:
    build()
    args: list[str] = []
    if change == "edit":
        (notes / "python.md").write_text(CARDS.replace("items", "elements"), "utf-8")
    elif change == "add file":
        (notes / "more.md").write_text("## What is a set?\n\nUnordered.\n", "utf-8")
    elif change == "remove file":
        (notes / "python.md").write_text("## What is a set?\n\nUnordered.\n", "utf-8")
        build()
        (notes / "more.md").write_text("## What is a list?\n\nOrdered.\n", "utf-8")
        build()
        (notes / "more.md").unlink()
    elif change == "image":
        (notes / "pic.png").write_bytes(PNG_BYTES + b"\0")
    elif change == "lock":  # a teammate's lock, from git pull
        lock = Path("deck.lock")
        assert '"modified": 17' in lock.read_text("utf-8")
        lock.write_text(
            lock.read_text("utf-8").replace('"modified": 17', '"modified": 16'), "utf-8"
        )
    elif change == "option":
        args = ["--deck", "Other"]
    else:
        result = run("build", "notes", "-o", "other.apkg")
        assert result.stdout.startswith("other.apkg: 2 notes"), result.output
        return
    assert "up to date" not in build(*args).stdout


def test_a_corrupt_manifest_is_ignored(notes: Path, cache_folder: Path) -> None:
    build()
    good = Path("deck.apkg").read_bytes()
    manifests = list((cache_folder / "manifests").glob("*.json"))
    assert manifests
    for number, path in enumerate(manifests):
        path.write_bytes([b"", b"{not json", b'{"head": 3}', b"[1, 2]"][number % 4])
    assert build().stdout.startswith("deck.apkg: 2 notes")
    assert Path("deck.apkg").read_bytes() == good
    assert build().stdout == "deck.apkg: up to date\n"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("files", []),
        ("files", {"x": 3}),
        ("reads", {"a": 1}),
        ("reads", [[99, "a", "b", None]]),
        ("built", [1, 2]),
        ("built", None),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_ignored(
    notes: Path, cache_folder: Path, key: str, value: object
) -> None:
    """Its head right (as the tool wrote it), the rest not: still a build, never a crash."""
    build()
    (path,) = (cache_folder / "manifests").glob("*.json")
    saved = json.loads(path.read_bytes())
    saved[key] = value
    path.write_text(json.dumps(saved), "utf-8")
    assert build().stdout.startswith("deck.apkg: 2 notes")


def test_render_warnings_are_shown_again_when_up_to_date(notes: Path) -> None:
    (notes / "python.md").write_text(CARDS + "\n## Code\n\n```pyhton\nx = 1\n```\n", "utf-8")
    first = build()
    assert "unknown" in first.stderr
    again = build()
    assert again.stdout == "deck.apkg: up to date\n"
    assert again.stderr == first.stderr


@pytest.fixture
def two_decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """decks/a.yaml builds a/one.md, decks/b.yaml b/two.md; the current folder is theirs."""
    monkeypatch.chdir(tmp_path)
    Path("decks").mkdir()
    Path("a").mkdir()
    Path("b").mkdir()
    Path("a/one.md").write_text("## What is one? {#one}\n\nOne.\n", "utf-8")
    Path("b/two.md").write_text("## What is two?\n\nTwo.\n", "utf-8")
    Path("decks/a.yaml").write_text("sources: a\n", "utf-8")
    Path("decks/b.yaml").write_text("sources: b\n", "utf-8")


def test_two_deck_configs_each_know_their_own_state(two_decks: None) -> None:
    assert run("build").exit_code == 0
    assert run("build").stdout == "decks/a.apkg: up to date\ndecks/b.apkg: up to date\n"
    Path("b/two.md").write_text("## What is two?\n\nTwo, edited.\n", "utf-8")
    result = run("build")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "decks/a.apkg: up to date"
    assert lines[1].startswith("decks/b.apkg: 1 note")
    Path("decks/a.yaml").write_text("sources: a\ntags: [new]\n", "utf-8")
    assert run("build").stdout.splitlines()[0].startswith("decks/a.apkg: 1 note")


def test_an_up_to_date_deck_still_takes_part_in_the_shared_guid_check(two_decks: None) -> None:
    assert run("build").exit_code == 0
    Path("b/two.md").write_text("## What is one? {#one}\n\nOne.\n", "utf-8")
    result = run("build")
    assert result.exit_code == 1
    assert "also given to" in result.stderr
    assert "up to date" not in result.stdout
