"""The lock's content hash, made where a note is rendered: the same hash the lock's
planning would make, so a deck and its lock are the same bytes either way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anki_tools import pipeline
from anki_tools.errors import Problems
from anki_tools.pipeline import BuildOptions
from anki_tools.sharing import changes, content
from anki_tools.templates import load_note_types

from conftest import FIXED_TIME

EXAMPLES = Path(__file__).parent.parent / "examples"
SAME_FRONTS = {
    # One front in two files, each under its file's title: the later card's Front gets
    # every heading above it (claims.py), so its hash must be made from that Front.
    "a.md": "# Shell\n\n## What does it print?\n\n`echo a`\n",
    "b.md": "# Python\n\n## What does it print?\n\n`print('b')`\n",
}


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    shutil.copytree(EXAMPLES, root / "examples")
    for name, text in SAME_FRONTS.items():
        (root / name).write_text(text)
    return root


def build(root: Path, output: Path) -> None:
    options = BuildOptions(output=output, timestamp=FIXED_TIME, cache=False)
    result = pipeline.build_paths([root], options)
    assert result.written and not result.errors


def test_a_deck_and_its_lock_are_the_same_with_or_without_the_workers_hashes(
    sources: Path, tmp_path: Path, monkeypatch
) -> None:
    build(sources, tmp_path / "hashed" / "deck.apkg")
    monkeypatch.setattr(pipeline, "note_type_ids", lambda folder: {})  # no ids: none hashed
    build(sources, tmp_path / "unhashed" / "deck.apkg")
    for name in ("deck.apkg", "deck.lock"):
        hashed = (tmp_path / "hashed" / name).read_bytes()
        assert hashed == (tmp_path / "unhashed" / name).read_bytes()


def test_rendered_notes_come_with_the_hash_of_their_note_type(sources: Path) -> None:
    note_types = load_note_types()
    options = BuildOptions(output=sources / "deck.apkg", cache=False)
    found = pipeline.collect_sources([sources]).files
    rendered, _ = pipeline.render_sources(found, Problems(), options)
    kinds = {note.note.kind for note in rendered}
    assert len(kinds) >= 3  # basic, reversed, cloze, … of the examples
    for note in rendered:
        note_type = note_types[note.note.kind]
        made = content.content_hash(note, note_type.id, note_type.fields)
        assert note.content == (note_type.id, made)


def test_a_check_does_not_hash(sources: Path) -> None:
    found = pipeline.collect_sources([sources]).files
    rendered, _ = pipeline.render_sources(found, Problems(), BuildOptions(cache=False))
    assert rendered and all(note.content is None for note in rendered)


def test_a_hash_made_for_another_note_type_is_made_again(sources: Path) -> None:
    note_types = load_note_types()
    options = BuildOptions(output=sources / "deck.apkg", cache=False)
    found = pipeline.collect_sources([sources / "a.md"]).files
    (note,), _ = pipeline.render_sources(found, Problems(), options)
    note_type = note_types[note.note.kind]
    right = content.content_hash(note, note_type.id, note_type.fields)
    assert changes._content(note, note_type) == right
    carried = note.__class__(note.note, note.fields, note.media, note.context, (note_type.id, "x"))
    assert changes._content(carried, note_type) == "x"  # carried for this type: used
    other = note.__class__(note.note, note.fields, note.media, note.context, (1, "x"))
    assert changes._content(other, note_type) == right  # for another type: made again
