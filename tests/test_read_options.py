"""Issue 12, items 4 and 5: nothing is skipped silently (README.md), and `--card-level` /
`card_level` split big documents without editing them. Each setting has one precedence:
a file's own front matter, then the deck config, then the command line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cli_run import run

from anki_tools import build

from anki_collection import AnkiProfile

BIG_README = """\
# System design primer

Intro text.

## Index of topics

### Step 1: Outline use cases

Gather requirements.

### Step 2: Create a high level design

Sketch the components.
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


# --- README.md --------------------------------------------------------------------------


def test_a_folder_holding_only_a_readme_says_it_was_skipped(in_tmp: Path) -> None:
    """The system-design repo: everything is in README.md; the build must say so."""
    write(in_tmp, {"repo/README.md": BIG_README})
    result = run("check", "repo")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "repo/README.md: warning: skipped repo/README.md: a README usually describes the "
        "notes, so folders and globs leave it out. To build it, give --include-readme "
        "(a deck config: include_readme: true); to skip without this warning, "
        "--skip-readme (include_readme: false)",
        "repo: nothing to build: no cards found (1 README skipped: --include-readme builds them)",
    ]


def test_skipped_readmes_are_named_in_one_warning(in_tmp: Path) -> None:
    write(
        in_tmp,
        {
            "notes/a.md": "## Q\n\nA\n",
            **{f"notes/{name}/README.md": "## R\n\nS\n" for name in "bcdef"},
        },
    )
    result = run("check", "notes")
    assert result.exit_code == 0
    assert result.stdout == "1 note, 1 card, 0 media (0 errors, 1 warning)\n"
    assert "skipped notes/b/README.md, notes/c/README.md, notes/d/README.md and 2 more" in (
        result.stderr
    )


def test_include_readme_builds_it_and_skip_readme_is_silent(in_tmp: Path) -> None:
    write(in_tmp, {"repo/README.md": BIG_README, "repo/more.md": "## Q\n\nA\n"})
    included = run("check", "repo", "--include-readme")
    assert (included.exit_code, included.stderr) == (0, "")
    assert included.stdout == "2 notes, 2 cards, 0 media\n"  # "Index of topics" + more.md's Q
    skipped = run("check", "repo", "--skip-readme")
    assert (skipped.exit_code, skipped.stderr) == (0, "")
    assert skipped.stdout == "1 note, 1 card, 0 media\n"


def test_a_readme_named_as_a_path_is_built(in_tmp: Path) -> None:
    write(in_tmp, {"repo/README.md": BIG_README})
    result = run("check", "repo/README.md")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "1 note, 1 card, 0 media\n"


DECK_NOTES = {
    "notes/a.md": "## Q\n\nA\n",
    "notes/README.md": BIG_README,
}


@pytest.mark.parametrize(
    ("setting", "cards", "warned"),
    [("", 1, True), ("include_readme: true\n", 2, False), ("include_readme: false\n", 1, False)],
)
def test_a_deck_config_says_whether_readmes_are_built(
    in_tmp: Path, setting: str, cards: int, warned: bool
) -> None:
    write(in_tmp, {**DECK_NOTES, "decks/d.yaml": f"sources: [notes/**/*.md]\n{setting}"})
    result = run("check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"decks/d.yaml: {cards} note")
    assert ("decks/d.yaml:1: warning: skipped notes/README.md:" in result.stderr) is warned


def test_a_deck_configs_readme_setting_wins_over_the_command_line(in_tmp: Path) -> None:
    write(in_tmp, {**DECK_NOTES, "decks/d.yaml": "sources: notes\ninclude_readme: false\n"})
    result = run("check", "--include-readme")
    assert result.stdout.startswith("decks/d.yaml: 1 note, 1 card"), result.output
    write(in_tmp, {"decks/d.yaml": "sources: notes\n"})
    result = run("check", "--include-readme")
    assert result.stdout.startswith("decks/d.yaml: 2 notes, 2 cards"), result.output


def test_a_bad_include_readme_is_a_config_error(in_tmp: Path) -> None:
    write(in_tmp, {**DECK_NOTES, "decks/d.yaml": "sources: notes\ninclude_readme: yes please\n"})
    result = run("check")
    assert result.exit_code == 1
    assert "decks/d.yaml:2: 'include_readme' must be true or false" in result.stderr


# --- card level -------------------------------------------------------------------------


def fronts(profile: AnkiProfile) -> list[str]:
    return sorted(card.fields["Front"] for card in profile.cards())


def test_card_level_splits_a_big_readme_without_editing_it(in_tmp: Path, anki) -> None:
    """`--card-level 3`: each `###` is a card; checked in a real collection."""
    write(in_tmp, {"repo/README.md": BIG_README})
    result = run("build", "repo/README.md", "--card-level", "3", "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("deck.apkg: 2 notes, 2 cards")
    anki.import_deck(in_tmp / "deck.apkg")
    shown = fronts(anki)
    assert len(shown) == 2
    assert "Step 1: Outline use cases" in shown[0]
    assert "Step 2: Create a high level design" in shown[1]


def test_front_matter_card_level_wins_over_the_option(in_tmp: Path) -> None:
    write(in_tmp, {"n.md": f"---\ncard_level: 2\n---\n{BIG_README}"})
    assert run("check", "n.md", "--card-level", "3").stdout.startswith("1 note, 1 card")
    assert build([in_tmp / "n.md"], None, card_level=3).notes == 1


@pytest.mark.parametrize(("setting", "notes"), [("card_level: 3\n", 2), ("", 1)])
def test_a_deck_configs_card_level_wins_over_the_command_line(
    in_tmp: Path, setting: str, notes: int
) -> None:
    write(in_tmp, {"notes/n.md": BIG_README, "decks/d.yaml": f"sources: notes\n{setting}"})
    result = run("check", "--card-level", "2")
    assert result.stdout.startswith(f"decks/d.yaml: {notes} note"), result.output
    result = run("check", "--card-level", "3")
    assert result.stdout.startswith("decks/d.yaml: 2 notes"), result.output


@pytest.mark.parametrize("value", ["0", "7", "x"])
def test_a_bad_card_level_option_is_a_usage_error(in_tmp: Path, value: str) -> None:
    write(in_tmp, {"n.md": BIG_README})
    result = run("check", "n.md", "--card-level", value)
    assert result.exit_code == 2
    assert "Invalid value for '--card-level'" in result.stderr


@pytest.mark.parametrize("value", ["0", "true", "'3'", "[3]"])
def test_a_bad_card_level_in_a_deck_config_names_its_line(in_tmp: Path, value: str) -> None:
    write(
        in_tmp, {"notes/n.md": BIG_README, "decks/d.yaml": f"sources: notes\ncard_level: {value}\n"}
    )
    result = run("check")
    assert result.exit_code == 1
    assert "decks/d.yaml:2: 'card_level' must be a heading level from 1 to 6" in result.stderr
