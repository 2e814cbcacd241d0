"""A first build's near-duplicate check in a process of its own: the same warnings, in
the same places, as the check made in the build's process, whatever the child does."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from anki_tools import pipeline
from anki_tools.pipeline import BuildOptions
from anki_tools.sharing import alike_process, similar

from conftest import FIXED_TIME

FRONTS = [
    "What does `step_{n}` return for an empty list?",
    "What does step_{n} return for an empty list",
    "Why does `step_{n}` raise on a closed file?",
]


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """Near-duplicate fronts across files and decks, and one front two files share."""
    root = tmp_path / "notes"
    for number in range(6):
        folder = root / f"deck{number % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        cards = "".join(
            f"## {front.format(n=number // 2)}\n\nAnswer {number}.\n\n" for front in FRONTS
        )
        (folder / f"file{number}.md").write_text(f"# File {number}\n\n## Same\n\nx\n\n{cards}")
    return root


def build(root: Path, output: Path) -> list[str]:
    options = BuildOptions(output=output, timestamp=FIXED_TIME, cache=False)
    result = pipeline.build_paths([root], options)
    assert result.written
    return [str(problem) for problem in result.problems]


@pytest.fixture
def children(monkeypatch) -> list[alike_process.Pending | None]:
    """Every check started in a process of its own (a few cards are enough here)."""
    monkeypatch.setattr(alike_process, "MIN_CARDS", 5)
    started: list[alike_process.Pending | None] = []
    start = alike_process.start

    def recorded(notes):  # type: ignore[no-untyped-def]
        started.append(start(notes))
        return started[-1]

    monkeypatch.setattr(alike_process, "start", recorded)
    return started


def test_the_child_finds_what_the_build_would(
    notes: Path, tmp_path: Path, children, monkeypatch
) -> None:
    beside = build(notes, tmp_path / "beside" / "deck.apkg")
    assert len(children) == 1 and children[0] is not None
    assert children[0].process.returncode == 0  # it answered
    assert sum("nearly the same front" in line or "fronts in deck" in line for line in beside) >= 2

    made_here: list[int] = []
    alike_cards = similar.alike_cards
    monkeypatch.setattr(alike_process, "MIN_CARDS", 10**9)
    monkeypatch.setattr(similar, "alike_cards", lambda *a: made_here.append(1) or alike_cards(*a))
    here = build(notes, tmp_path / "here" / "deck.apkg")
    assert made_here  # this time in the build's process
    assert [line.replace("/here/", "/beside/") for line in here] == beside
    for name in ("deck.apkg", "deck.lock"):
        assert (tmp_path / "beside" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


@pytest.mark.parametrize(
    "child",
    [
        "raise SystemExit(3)",  # fails
        "import sys; sys.stdout.write('not json')",
        "import sys; sys.stdout.write('[[1, 0.9, -7]]')",  # a card that is not there
        "import sys; sys.stdout.write('[[1, 0.9]]')",
    ],
)
def test_whatever_the_child_says_the_warnings_are_the_same(
    notes: Path, tmp_path: Path, children, monkeypatch, child: str
) -> None:
    expected = build(notes, tmp_path / "good" / "deck.apkg")
    monkeypatch.setattr(alike_process, "CHILD", child + " # {path!r}")
    got = build(notes, tmp_path / "bad" / "deck.apkg")
    assert children[-1] is not None and children[-1].process.returncode is not None
    assert [line.replace("/bad/", "/good/") for line in got] == expected


def test_a_rebuild_with_a_lock_checks_in_its_own_process(
    notes: Path, tmp_path: Path, children
) -> None:
    build(notes, tmp_path / "deck.apkg")
    (notes / "deck0" / "file0.md").write_text(
        "# File 0\n\n## What does `step_0` return for an empty list?!\n\nNew.\n"
    )
    build(notes, tmp_path / "deck.apkg")
    assert len(children) == 1  # the first build only: the second had a lock


def test_the_child_removes_its_file(notes: Path, tmp_path: Path, children) -> None:
    before = set(Path(tempfile.gettempdir()).glob("anki-tools-alike-*"))
    build(notes, tmp_path / "deck.apkg")
    assert children[0] is not None and children[0].process.returncode == 0
    assert set(Path(tempfile.gettempdir()).glob("anki-tools-alike-*")) == before
