"""Kinds of sources are one registry (`parsers.SOURCE_KINDS`): a kind added there is found
in folders, parsed, given its own "no cards" hint and its own README rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from anki_tools import parsers, pipeline
from anki_tools.errors import SourceError
from anki_tools.parsers import SourceKind, markdown

TEXT_HINT = "cards start at '## ' headings in text notes"
TEXT = SourceKind("Text notes", (".txt",), markdown.parse, TEXT_HINT, ("index.txt",))


@pytest.fixture
def with_text_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsers, "SOURCE_KINDS", (*parsers.SOURCE_KINDS, TEXT))


def test_a_kind_added_to_the_registry_is_found_parsed_and_hinted(
    with_text_kind: None, write_notes
) -> None:
    root = write_notes(
        {
            "a.TXT": "## Q\nA\n",
            "empty.txt": "just prose\n",
            "index.txt": "## In the index\nI\n",
            "b.md": "## M\nN\n",
        }
    )
    assert [p.name for p in parsers.sources_in(root)] == ["a.TXT", "b.md", "empty.txt", "index.txt"]
    result = pipeline.build([root], None)
    assert result.notes == 2  # a.TXT and b.md; index.txt is this kind's README
    messages = [str(p) for p in result.problems]
    assert f"{root / 'empty.txt'}: warning: no cards found ({TEXT_HINT})" in messages
    assert any("skipped" in m and "index.txt" in m for m in messages), messages


def test_the_known_suffixes_come_from_the_registry(with_text_kind: None) -> None:
    assert parsers.known_suffixes() == [".ipynb", ".markdown", ".md", ".txt"]
    with pytest.raises(SourceError, match=r"known: \.ipynb, \.markdown, \.md, \.txt"):
        parsers.get_parser(Path("notes.rst"))


def test_each_built_in_suffix_has_one_kind() -> None:
    suffixes = [suffix for kind in parsers.SOURCE_KINDS for suffix in kind.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert all(suffix == suffix.lower() and suffix.startswith(".") for suffix in suffixes)
    assert parsers.kind_of(Path("x.IPYNB")) is parsers.kind_of(Path("y.ipynb"))
    assert parsers.is_readme(Path("ReadMe.md")) and not parsers.is_readme(Path("README.ipynb"))
