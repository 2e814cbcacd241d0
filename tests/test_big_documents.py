"""Issue 12, item 5: big documents split well. Cards show the section headings above
them; the same front in different files builds (with a warning naming both places),
each card with a stable identity of its own; a card too long to review is warned about.
Checked through the command line and in a real Anki collection."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from cli_run import run

from anki_collection import AnkiProfile

SOLUTION = """\
# Design {name}

## Step 1: Outline use cases and constraints

Gather requirements for {name}.

## Step 2: Create a high level design

Sketch the components of {name}.
"""

PRIMER = """\
# System design primer

## Index of system design topics

### Next steps

Read the index.

## Appendix

### Next steps

Read the appendix.

### Source(s) and further reading

* [`CAP` theorem](https://example.com/cap)
"""


def write_solutions(root: Path, names: list[str]) -> None:
    for name in names:
        folder = root / "solutions" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "README.md").write_text(SOLUTION.format(name=name))


def lock_guids(lock: Path) -> dict[str, str]:
    """The lock's guids by source file (without the line)."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r'"guid": "([^"]+)", "source": "([^":]+):(\d+)"', lock.read_text()):
        found.setdefault(match.group(2), []).append(match.group(1))
    return {file: " ".join(guids) for file, guids in found.items()}


NAMES = [f"service{number}" for number in range(10)]


def test_ten_files_with_the_same_headings_all_build(in_tmp: Path) -> None:
    """The system-design repo: 10 files × "## Step 1 …" gave 5 cards and 35 errors."""
    write_solutions(in_tmp, NAMES)
    result = run("build", "solutions", "--include-readme", "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("deck.apkg: 20 notes, 20 cards, 0 media (0 errors, 18 warn")
    warnings = result.stderr.splitlines()
    assert len(warnings) == 18
    assert warnings[0] == (
        "solutions/service1/README.md:3: warning: the same front as "
        "solutions/service0/README.md:3: both are built, this one with an identity of its own. "
        "Learners tell them apart only by their decks and the headings shown above them: "
        "reword one, or merge them if they are one card"
    )
    guids = re.findall(r'"guid": "([^"]+)"', (in_tmp / "deck.lock").read_text())
    assert len(set(guids)) == 20


def test_their_identities_stay_across_rebuilds_moves_and_deletions(in_tmp: Path) -> None:
    write_solutions(in_tmp, NAMES[:3])
    assert run("build", "solutions", "--include-readme", "-o", "deck.apkg").exit_code == 0
    before = lock_guids(in_tmp / "deck.lock")
    assert len(set(before.values())) == 3

    again = run("build", "solutions", "--include-readme", "-o", "deck.apkg", "--no-cache")
    assert "6 unchanged" in again.stdout
    assert "warning" not in again.stderr  # said when the card came in, not on every build
    assert lock_guids(in_tmp / "deck.lock") == before

    # The first file moves behind the others: its cards keep their guids.
    shutil.move(in_tmp / "solutions/service0", in_tmp / "solutions/zz-service0")
    moved = run("build", "solutions", "--include-readme", "-o", "deck.apkg")
    assert moved.exit_code == 0, moved.stderr
    after = lock_guids(in_tmp / "deck.lock")
    assert after["solutions/zz-service0/README.md"] == before["solutions/service0/README.md"]
    assert after["solutions/service1/README.md"] == before["solutions/service1/README.md"]

    # The file whose card had the plain guid goes: the others keep theirs.
    shutil.rmtree(in_tmp / "solutions/service1")
    deleted = run("build", "solutions", "--include-readme", "-o", "deck.apkg")
    assert "2 removed" in deleted.stdout
    left = lock_guids(in_tmp / "deck.lock")
    assert left["solutions/service2/README.md"] == before["solutions/service2/README.md"]


def test_without_a_lock_the_same_sources_give_the_same_guids(in_tmp: Path) -> None:
    write_solutions(in_tmp, NAMES[:4])
    run("build", "solutions", "--include-readme", "-o", "one.apkg")
    run("build", "solutions", "--include-readme", "-o", "two.apkg")
    assert lock_guids(in_tmp / "one.lock") == lock_guids(in_tmp / "two.lock")


def test_the_same_front_in_one_file_is_still_an_error(in_tmp: Path) -> None:
    """In one file, the author can give one an id: told apart silently it would be a trap."""
    (in_tmp / "n.md").write_text("## Same\n\nA\n\n## Same\n\nB\n")
    result = run("build", "n.md")
    assert result.exit_code == 1
    assert "n.md:5: duplicate card: same id as n.md:1" in result.stderr


def test_cards_show_the_headings_above_them(in_tmp: Path, anki: AnkiProfile) -> None:
    """At --card-level 3 the fronts carry their `##` section (the `#` title is not repeated
    on every card); "Next steps" twice in one file, under different sections, builds."""
    (in_tmp / "primer.md").write_text(PRIMER)
    result = run("build", "primer.md", "--card-level", "3", "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    anki.import_deck(in_tmp / "deck.apkg")
    questions = [card.question for card in anki.cards()]
    contexts = [re.search(r'<div class="at-context">(.*?)</div>', q) for q in questions]
    # The two "Next steps" have the same front: they show their whole heading path.
    assert sorted(c.group(1) if c else "" for c in contexts) == [
        "Appendix",
        "System design primer › Appendix",
        "System design primer › Index of system design topics",
    ]
    # The front keeps its text; the Source field and the fields list are unchanged.
    fields = [card.fields for card in anki.cards()]
    assert all(set(f) == {"Front", "Back", "Hint", "Source"} for f in fields)
    assert sorted(re.sub("<[^>]+>", "", f["Source"]) for f in fields) == [
        "primer.md › Next steps",
        "primer.md › Next steps",
        "primer.md › Source(s) and further reading",
    ]


def test_cards_with_the_same_front_show_their_whole_heading_path(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    """At the default level a file's `#` title is not shown; when another card has the
    same front, both show it, so a learner can tell them apart."""
    write_solutions(in_tmp, ["pastebin", "twitter"])
    (in_tmp / "solutions/other.md").write_text("# Other\n\n## Unique question\n\nA\n")
    result = run("build", "solutions", "--include-readme", "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    anki.import_deck(in_tmp / "deck.apkg")
    shown = {re.sub("<[^>]+>", "", card.fields["Source"]): card.question for card in anki.cards()}
    step1 = "<p>Step 1: Outline use cases and constraints</p>"
    assert (
        f'<div class="at-context">Design pastebin</div>{step1}'
        in shown["pastebin/README.md › Step 1: Outline use cases and constraints"]
    )
    assert (
        f'<div class="at-context">Design twitter</div>{step1}'
        in shown["twitter/README.md › Step 1: Outline use cases and constraints"]
    )
    assert "at-context" not in shown["other.md › Unique question"]


def test_a_card_too_long_to_review_is_a_warning_with_its_size(in_tmp: Path) -> None:
    long_back = "word " * 2_100  # 10,500 characters
    (in_tmp / "n.md").write_text(f"## Short\n\nfine\n\n## Chapter\n\n{long_back}\n")
    result = run("check", "n.md")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "n.md:5: warning: the card is 10,507 characters long, too long to review (the "
        "warning is from 10,000): split it into cards, e.g. with a deeper --card-level or "
        "card_level"
    ]
    (in_tmp / "n.md").write_text(f"## Chapter\n\n{'word ' * 1_990}\n")
    assert run("check", "n.md").stderr == ""
