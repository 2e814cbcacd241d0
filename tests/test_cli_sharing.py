"""Deck configs on the command line: build / check with no PATHS, changes, dry runs."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from anki_tools.cli import main
from anki_tools.sharing.lock import read_lock
from anki_tools.themes import default_templates_dir

ALPHA = {
    "decks/alpha.yaml": "sources: notes/a\n",
    "notes/a/one.md": "## Q1\n\nA1\n\n## Q2\n\nA2\n",
}
BETA = {
    "decks/beta.yaml": "name: Beta deck\nsources: [notes/b/*.md]\ntags: shared beta\n",
    "notes/b/two.md": "## Q3\n\nA3\n",
}

BASICS = textwrap.dedent("""
    ## What does len() return?

    The number of items.

    ## What is a list?

    An ordered, mutable sequence.

    ## What is a tuple?

    An immutable sequence.
""").lstrip("\n")
MORE = textwrap.dedent("""
    ## What is a set?

    Unordered unique items.
""").lstrip("\n")
PYTHON = {
    "decks/python.yaml": "sources: notes/python\n",
    "notes/python/basics.md": BASICS,
    "notes/python/more.md": MORE,
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, the working folder of the test."""
    folder = tmp_path / "proj"
    (folder / "decks").mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def write(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def no_traceback(result: Result) -> None:
    """The command ended through click (an exit code), not an uncaught exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder with its bytes and modified time."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def collection(apkg: Path, query: str) -> list[Any]:
    """Rows of a query on the collection inside a built deck."""
    database = apkg.parent / f"{apkg.stem}-collection.anki2"
    with zipfile.ZipFile(apkg) as archive:
        database.write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(database)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()
        database.unlink()


def note_type_css(apkg: Path) -> list[str]:
    (models,) = collection(apkg, "SELECT models FROM col")[0]
    return [model["css"] for model in json.loads(models).values()]


def decks_in(apkg: Path) -> dict[str, str]:
    """Deck name → description."""
    (decks,) = collection(apkg, "SELECT decks FROM col")[0]
    return {deck["name"]: deck["desc"] for deck in json.loads(decks).values()}


def first_build_lines(name: str, notes: int, cards: int) -> list[str]:
    return [
        f"decks/{name}.apkg: {notes} note{'s' * (notes != 1)}, "
        f"{cards} card{'s' * (cards != 1)}, 0 media",
        f"changes: {notes} added, 0 changed, 0 reworded, 0 removed, 0 unchanged"
        f" (no lock file yet: {name}.lock records them)",
    ]


# --- which decks: no PATHS, config PATHS, usage errors --------------------------------------


def test_build_without_paths_builds_every_config(project: Path) -> None:
    """Two configs in decks/ → two decks and two locks; README and other files are no configs."""
    write(project, {**ALPHA, **BETA, "decks/README.md": "Built decks land here.\n"})
    result = run("build")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        *first_build_lines("alpha", 2, 2),
        *first_build_lines("beta", 1, 1),
    ]
    for name in ("alpha", "beta"):
        assert (project / "decks" / f"{name}.apkg").stat().st_size > 0
        assert len(read_lock(project / "decks" / f"{name}.lock").notes) == (
            2 if name == "alpha" else 1
        )


def test_a_deck_gets_its_name_description_and_tags(project: Path) -> None:
    """Cards naming no deck go to `name`, which carries the description; tags add up."""
    write(
        project,
        {
            **BETA,
            "decks/beta.yaml": BETA["decks/beta.yaml"] + "description: Shared **cards**.\n",
            "notes/b/own.md": "---\ndeck: Own deck\ntags: [mine]\n---\n\n## Q4\n\nA4\n",
        },
    )
    result = run("build")
    assert result.exit_code == 0, result.output
    apkg = project / "decks" / "beta.apkg"
    decks = decks_in(apkg)
    assert "Own deck" in decks
    assert decks["Beta deck"].startswith("<p>Shared <strong>cards</strong>.</p>\n")
    assert "deck config <code>decks/beta.yaml</code>" in decks["Beta deck"]
    tags = sorted(row[0].split() for row in collection(apkg, "SELECT tags FROM notes"))
    assert tags == [["beta", "mine", "shared"], ["beta", "shared"]]


def test_a_config_path_builds_only_that_deck(project: Path) -> None:
    """`build decks/beta.yaml` builds beta alone."""
    write(project, {**ALPHA, **BETA})
    result = run("build", "decks/beta.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == first_build_lines("beta", 1, 1)
    assert sorted(p.name for p in (project / "decks").iterdir()) == [
        "alpha.yaml",
        "beta.apkg",
        "beta.lock",
        "beta.yaml",
    ]


@pytest.mark.parametrize("command", ["build", "check"])
def test_no_paths_and_no_configs_is_a_usage_error(project: Path, command: str) -> None:
    """Nothing to build: exit 2, and the message points at decks/."""
    write(project, {"notes/a.md": "## Q\n\nA\n"})
    result = run(command)
    assert result.exit_code == 2
    assert "no deck configs in decks/" in result.stderr
    assert not list(project.rglob("*.apkg"))


@pytest.mark.parametrize("command", ["build", "check"])
def test_configs_and_notes_together_are_a_usage_error(project: Path, command: str) -> None:
    """Deck configs and notes in one PATHS list: exit 2, nothing written."""
    write(project, ALPHA)
    result = run(command, "decks/alpha.yaml", "notes/a")
    assert result.exit_code == 2
    assert "give deck configs or notes, not both" in result.stderr
    assert not list(project.rglob("*.apkg"))


@pytest.mark.parametrize(
    "args",
    [
        ["build", "-o", "x.apkg"],
        ["build", "--deck", "D"],
        ["build", "-o", "x.apkg", "decks/alpha.yaml"],
        ["build", "--deck", "D", "decks/alpha.yaml"],
        ["check", "--deck", "D"],
    ],
)
def test_output_or_deck_with_configs_is_a_usage_error(project: Path, args: list[str]) -> None:
    """A config sets its output and deck name: -o / --deck with configs exit 2."""
    write(project, ALPHA)
    result = run(*args)
    assert result.exit_code == 2
    assert "a deck config sets" in result.stderr
    assert not list(project.rglob("*.apkg"))


# --- themes --------------------------------------------------------------------------------

PAPER_MARK = "Charter"  # in paper.css only


def test_a_config_theme_is_used(project: Path) -> None:
    """`theme: paper` in the config gives every note type the paper CSS."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: notes/a\ntheme: paper\n"})
    assert run("build").exit_code == 0
    css = note_type_css(project / "decks" / "alpha.apkg")
    assert css
    assert all(PAPER_MARK in text for text in css)


def test_command_line_theme_overrides_the_config(project: Path) -> None:
    """`--theme default` wins over `theme: paper`, and also over a theme no one knows."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: notes/a\ntheme: paper\n"})
    write(project, {**BETA, "decks/beta.yaml": "sources: notes/b\ntheme: neon\n"})
    result = run("build", "--theme", "default")
    assert result.exit_code == 0, result.output
    for name in ("alpha", "beta"):
        css = note_type_css(project / "decks" / f"{name}.apkg")
        assert not any(PAPER_MARK in text for text in css), name
    write(project, {"decks/alpha.yaml": "sources: notes/a\n"})
    assert run("build", "--theme", "paper", "decks/alpha.yaml").exit_code == 0
    assert all(PAPER_MARK in text for text in note_type_css(project / "decks" / "alpha.apkg"))


def test_a_config_theme_may_come_from_the_templates_folder(project: Path) -> None:
    """A theme that only `--templates` has is a known theme for a config."""
    templates = project / "tpl"
    shutil.copytree(default_templates_dir(), templates)
    (templates / "themes" / "neon.yaml").write_text("css: neon.css\n", encoding="utf-8")
    (templates / "themes" / "neon.css").write_text(".card { color: #0f0; } /* neon */\n")
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: notes/a\ntheme: neon\n"})
    result = run("build", "--templates", "tpl")
    assert result.exit_code == 0, result.output
    assert all("/* neon */" in text for text in note_type_css(project / "decks" / "alpha.apkg"))


def test_an_unknown_config_theme_is_reported_at_its_line_when_building(project: Path) -> None:
    """`theme: neon` → `decks/alpha.yaml:2: no theme 'neon' …`, exit 1, no deck written."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: notes/a\ntheme: neon\n"})
    result = run("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert "decks/alpha.yaml:2: no theme 'neon' (known: default, paper)" in result.stderr
    assert not (project / "decks" / "alpha.apkg").exists()


def test_an_unknown_config_theme_does_not_stop_the_other_decks(project: Path) -> None:
    """A bad theme in one config: the others are still built, the exit status is 1."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: notes/a\ntheme: neon\n", **BETA})
    result = run("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert (project / "decks" / "beta.apkg").exists()
    assert (project / "decks" / "beta.lock").exists()


def test_the_theme_error_line_is_the_theme_key(project: Path) -> None:
    """The word "theme" in the description does not move the error off the `theme:` line."""
    write(
        project,
        {
            **ALPHA,
            "decks/alpha.yaml": "description: Pick a theme you like.\nsources: notes/a\n"
            "theme: neon\n",
        },
    )
    result = run("check")
    assert result.exit_code == 1
    assert "decks/alpha.yaml:3: no theme 'neon' (known: default, paper)" in result.stderr


# --- check ---------------------------------------------------------------------------------


def test_check_without_paths_checks_every_config_and_writes_nothing(project: Path) -> None:
    """`check` prints `decks/NAME.yaml: counts` per config and leaves the folder as it was."""
    write(project, {**ALPHA, **BETA})
    before = snapshot(project)
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "decks/alpha.yaml: 2 notes, 2 cards, 0 media\ndecks/beta.yaml: 1 note, 1 card, 0 media\n"
    )
    assert result.stderr == ""
    assert snapshot(project) == before


def test_check_reports_problems_on_stderr_and_the_worst_status(project: Path) -> None:
    """A config with a bad card: its problem on stderr, its counts on stdout, exit 1."""
    write(project, {**ALPHA, **BETA, "notes/b/bad.md": "## Broken\n\nThe capital is {{c1::Paris\n"})
    result = run("check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "decks/alpha.yaml: 2 notes, 2 cards, 0 media",
        "decks/beta.yaml: 1 note, 1 card, 0 media (1 error, 0 warnings)",
    ]
    assert result.stderr.startswith("notes/b/bad.md:3: ")


# --- the changes since the lock ------------------------------------------------------------


def test_first_build_prints_the_summary_and_the_changes(project: Path) -> None:
    """A first build's exact stdout: summary, then every note added, and the lock to be."""
    write(project, PYTHON)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "decks/python.apkg: 4 notes, 4 cards, 0 media\n"
        "changes: 4 added, 0 changed, 0 reworded, 0 removed, 0 unchanged"
        " (no lock file yet: python.lock records them)\n"
    )
    assert result.stderr == ""


def test_an_unchanged_rebuild_changes_nothing(project: Path) -> None:
    """Building twice (the second time for real: --no-cache): every note unchanged, the
    same deck bytes."""
    write(project, PYTHON)
    assert run("build").exit_code == 0
    apkg = project / "decks" / "python.apkg"
    first = apkg.read_bytes()
    result = run("build", "--no-cache")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "decks/python.apkg: 4 notes, 4 cards, 0 media\n"
        "changes: 0 added, 0 changed, 0 reworded, 0 removed, 4 unchanged\n"
    )
    assert apkg.read_bytes() == first


@pytest.mark.parametrize(
    ("new_basics", "counts"),
    [
        pytest.param(
            BASICS.replace("The number of items.", "The number of items in it."),
            "0 added, 1 changed, 0 reworded, 0 removed, 3 unchanged",
            id="edit",
        ),
        pytest.param(
            BASICS.replace("What is a list?", "What is a Python list?"),
            "0 added, 0 changed, 1 reworded, 0 removed, 3 unchanged",
            id="reword",
        ),
        pytest.param(
            BASICS + "\n## What is a range?\n\nA lazy sequence of numbers.\n",
            "1 added, 0 changed, 0 reworded, 0 removed, 4 unchanged",
            id="add",
        ),
    ],
)
def test_a_rebuild_counts_one_change(project: Path, new_basics: str, counts: str) -> None:
    """One edit / reword / addition → that count is 1; a real build lists no notes."""
    write(project, PYTHON)
    assert run("build").exit_code == 0
    write(project, {"notes/python/basics.md": new_basics})
    result = run("build")
    assert result.exit_code == 0, result.output
    notes = 5 if "range" in new_basics else 4
    assert result.stdout == (
        f"decks/python.apkg: {notes} notes, {notes} cards, 0 media\nchanges: {counts}\n"
    )


def test_a_removed_note_is_listed_with_its_note_id(project: Path) -> None:
    """A removal: 1 removed, the note's source line and title, and an `nid:` search."""
    write(project, PYTHON)
    assert run("build").exit_code == 0
    lock = read_lock(project / "decks" / "python.lock")
    (tuple_id,) = [note.note_id for note in lock.notes if note.title == "What is a tuple?"]
    write(project, {"notes/python/basics.md": BASICS.split("## What is a tuple?")[0]})
    result = run("build")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "decks/python.apkg: 3 notes, 3 cards, 0 media",
        "changes: 0 added, 0 changed, 0 reworded, 1 removed, 3 unchanged",
    ]
    assert lines[2].startswith("  removed   ")
    assert lines[2].endswith("notes/python/basics.md:9  What is a tuple?")
    assert lines[3].startswith("  Anki keeps removed notes, with their reviews")
    assert lines[3].endswith(f"find them in the Browse window with: nid:{tuple_id}")
    assert len(lines) == 4
    assert [note.title for note in read_lock(project / "decks" / "python.lock").notes] == [
        "What does len() return?",
        "What is a list?",
        "What is a set?",
    ]


def test_a_removed_note_names_its_file_from_the_working_folder(project: Path) -> None:
    """The removed listing uses the `notes/…` path every other message uses, not `../notes/…`."""
    write(project, PYTHON)
    assert run("build").exit_code == 0
    write(project, {"notes/python/basics.md": BASICS.split("## What is a tuple?")[0]})
    result = run("build", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "  removed   notes/python/basics.md:9  What is a tuple?\n" in result.stdout


def test_a_moved_note_names_its_old_file_from_the_working_folder(project: Path) -> None:
    """ "moved from" uses the same `notes/…` path base as the rest of its line."""
    write(project, PYTHON)
    assert run("build").exit_code == 0
    basics, tuple_card = BASICS.split("## What is a tuple?")
    write(project, {"notes/python/basics.md": basics})
    write(project, {"notes/python/more.md": MORE + "\n## What is a tuple?" + tuple_card})
    result = run("build", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "  changed   notes/python/more.md:5  What is a tuple?"
        "  (moved from notes/python/basics.md:9)\n"
    ) in result.stdout


def test_dry_run_lists_every_change_and_writes_nothing(project: Path) -> None:
    """--dry-run: each added/changed/reworded/removed note (a move says so); no file touched."""
    write(
        project,
        {
            **PYTHON,
            "notes/python/basics.md": BASICS + "\n## What is a dict?\n\nA mapping.\n",
            "notes/python/more.md": MORE + "\n## What is a range?\n\nA lazy sequence.\n",
        },
    )
    assert run("build").exit_code == 0
    lock = read_lock(project / "decks" / "python.lock")
    (range_id,) = [note.note_id for note in lock.notes if note.title == "What is a range?"]
    write(
        project,
        {
            "notes/python/basics.md": BASICS.replace(
                "The number of items.", "The number of items in it."
            ).replace("What is a list?", "What is a Python list?"),
            "notes/python/more.md": MORE + "\n## What is a dict?\n\nA mapping.\n"
            "\n## What is a frozenset?\n\nAn immutable set.\n",
        },
    )
    before = snapshot(project / "decks")
    result = run("build", "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(project / "decks") == before
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "decks/python.apkg (dry run, nothing written): 6 notes, 6 cards, 0 media",
        "changes: 1 added, 2 changed, 1 reworded, 1 removed, 2 unchanged",
        "  changed   notes/python/basics.md:1  What does len() return?",
        "  reworded  notes/python/basics.md:5  What is a Python list?",
        lines[4],  # the moved card: checked below
        "  added     notes/python/more.md:9  What is a frozenset?",
    ]
    assert lines[4].startswith("  changed   notes/python/more.md:5  What is a dict?  (moved from ")
    assert lines[4].endswith("notes/python/basics.md:13)")
    assert lines[6].startswith("  removed   ")
    assert lines[6].endswith("notes/python/more.md:5  What is a range?")
    assert lines[7].endswith(f"nid:{range_id}")
    assert len(lines) == 8
    assert result.stderr == ""


def test_a_first_dry_run_writes_no_deck_and_no_lock(project: Path) -> None:
    """A dry run without a lock lists every note as added and creates no file."""
    write(project, PYTHON)
    before = snapshot(project)
    result = run("build", "--dry-run", "decks/python.yaml")
    assert result.exit_code == 0, result.output
    assert snapshot(project) == before
    assert result.stdout.splitlines() == [
        "decks/python.apkg (dry run, nothing written): 4 notes, 4 cards, 0 media",
        "changes: 4 added, 0 changed, 0 reworded, 0 removed, 0 unchanged"
        " (no lock file yet: python.lock records them)",
        "  added     notes/python/basics.md:1  What does len() return?",
        "  added     notes/python/basics.md:5  What is a list?",
        "  added     notes/python/basics.md:9  What is a tuple?",
        "  added     notes/python/more.md:1  What is a set?",
    ]


# --- near-duplicate fronts -----------------------------------------------------------------

LEN_A = "## What does len() return?\n\nThe number of items.\n"
LEN_B = "## What does len() returns?\n\nThe size.\n"


def test_near_duplicate_fronts_warn_with_both_places(project: Path) -> None:
    """Two new, alike fronts in one deck from two files: a warning naming both, exit 0."""
    write(project, {"decks/d.yaml": "sources: notes\n", "notes/a.md": LEN_A, "notes/b.md": LEN_B})
    result = run("build")
    assert result.exit_code == 0, result.output
    assert "notes/b.md:1: warning: nearly the same front" in result.stderr
    assert "as notes/a.md:1: a double contribution?" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "warning" not in result.stdout.replace("1 warning)", "")
    assert result.stdout.startswith("decks/d.apkg: 2 notes, 2 cards, 0 media (0 errors, 1 warning)")
    assert (project / "decks" / "d.apkg").exists()


def test_a_near_duplicate_pair_in_the_lock_is_not_warned_again(project: Path) -> None:
    """Once both cards are in the lock, the next build (for real: --no-cache) is quiet
    about them."""
    write(project, {"decks/d.yaml": "sources: notes\n", "notes/a.md": LEN_A, "notes/b.md": LEN_B})
    assert "warning" in run("build").stderr
    result = run("build", "--no-cache")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("decks/d.apkg: 2 notes, 2 cards, 0 media\n")


def test_a_new_card_like_one_in_the_lock_is_warned(project: Path) -> None:
    """A card added later that looks like a locked one in another file gets the warning."""
    write(project, {"decks/d.yaml": "sources: notes\n", "notes/a.md": LEN_A})
    assert run("build").stderr == ""
    write(project, {"notes/b.md": LEN_B})
    result = run("build")
    assert result.exit_code == 0, result.output
    assert "notes/b.md:1: warning: nearly the same front" in result.stderr
    assert "as notes/a.md:1" in result.stderr


def test_alike_fronts_in_other_decks_or_one_file_are_not_warned(project: Path) -> None:
    """Only one deck and different files make a double contribution."""
    write(
        project,
        {
            "decks/d.yaml": "sources: notes\n",
            "notes/a.md": LEN_A + "\n" + LEN_B,
            "notes/b.md": "---\ndeck: Elsewhere\n---\n\n## What does len(x) return?\n\nIts size.\n",
        },
    )
    result = run("build")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# --- broken configs ------------------------------------------------------------------------


def test_a_config_whose_sources_hold_no_cards_says_so_once(project: Path) -> None:
    """The same "no cards" error as a build of paths, at the config's `sources:` line."""
    write(project, {**ALPHA, "decks/empty.yaml": "name: Empty\nsources: notes/empty\n"})
    (project / "notes" / "empty").mkdir()
    (project / "notes" / "empty" / "prose.md").write_text("Just prose.\n", encoding="utf-8")
    result = run("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "notes/empty/prose.md: warning: no cards found (cards start at headings of the card "
        "level, '## ' by default)",
        "decks/empty.yaml:2: nothing to build: no cards found",
    ]
    assert not (project / "decks" / "empty.apkg").exists()


def test_a_broken_config_does_not_stop_the_good_ones(project: Path) -> None:
    """A config error: reported at its line, the other decks built, exit 1."""
    write(project, {**ALPHA, **BETA, "decks/bad.yaml": "sources: notes/a\nnmae: Bad\n"})
    result = run("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr == "decks/bad.yaml:2: unknown key 'nmae' (did you mean 'name'?)\n"
    assert result.stdout.splitlines() == [
        *first_build_lines("alpha", 2, 2),
        *first_build_lines("beta", 1, 1),
    ]
    assert sorted(p.name for p in (project / "decks").glob("*.apkg")) == ["alpha.apkg", "beta.apkg"]


def test_a_deck_with_a_bad_card_is_not_written_but_the_others_are(project: Path) -> None:
    """A card error keeps its deck (and lock) unwritten; the exit status is the worst, 1."""
    write(project, {**ALPHA, **BETA, "notes/a/bad.md": "## Broken\n\nThe capital is {{c1::Paris\n"})
    result = run("build")
    assert result.exit_code == 1
    assert result.stderr.startswith("notes/a/bad.md:3: ")
    assert (
        result.stdout.splitlines()[0]
        == "nothing written: 2 notes, 2 cards, 0 media (1 error, 0 warnings)"
    )
    assert not (project / "decks" / "alpha.apkg").exists()
    assert not (project / "decks" / "alpha.lock").exists()
    assert (project / "decks" / "beta.apkg").exists()


def test_a_deck_that_cannot_be_written_does_not_stop_the_others(project: Path) -> None:
    """An output that is a folder: that deck fails at its path, the next one is still built."""
    write(project, {**ALPHA, **BETA})
    (project / "decks" / "alpha.apkg").mkdir()
    result = run("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert "decks/alpha.apkg" in result.stderr
    assert (project / "decks" / "beta.apkg").is_file()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: X\nsources: notes/a\n\tbad: tab\n", 3),
        ("name: X\nsources: notes/a\ntags: {a: b}\n", 3),
        ("name: X\nsources: notes/a\noutput: x.zip\n", 3),
        ("- notes/a\n", 1),
    ],
)
def test_a_config_error_has_no_traceback(project: Path, text: str, line: int) -> None:
    """Config mistakes are one `path:line: message` on stderr and exit 1."""
    write(project, {**ALPHA, "decks/alpha.yaml": text})
    for command in ("build", "check"):
        result = run(command)
        no_traceback(result)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"decks/alpha.yaml:{line}: ")
        assert len(result.stderr.splitlines()) == 1
        assert result.stdout == ""


@pytest.mark.parametrize("glob", ["notes/**.md", ""])
def test_a_bad_glob_is_a_config_error(project: Path, glob: str) -> None:
    """A glob pathlib refuses is reported at the `sources` line, not as a traceback."""
    write(project, {**ALPHA, **BETA, "decks/alpha.yaml": f"name: X\nsources: ['{glob}']\n"})
    for command in ("check", "build"):
        result = run(command)
        no_traceback(result)
        assert result.exit_code == 1
        assert result.stderr.startswith("decks/alpha.yaml:2: ")
    assert (project / "decks" / "beta.apkg").exists()


def test_the_whole_project_as_a_source_does_not_crash(project: Path) -> None:
    """`sources: .` is either the whole project or a config error; never a traceback."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: .\n"})
    result = run("check")
    no_traceback(result)
    if result.exit_code != 0:
        assert result.stderr.startswith("decks/alpha.yaml:1: ")


def test_a_config_error_from_the_real_command_has_no_traceback(project: Path) -> None:
    """`python -m anki_tools build` with a bad config: one line on stderr, exit 1."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: notes/a\n\nsourcse: notes\n"})
    done = subprocess.run(
        [sys.executable, "-m", "anki_tools", "build"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr == "decks/alpha.yaml:3: unknown key 'sourcse' (did you mean 'sources'?)\n"


def test_problems_go_to_stderr_and_the_rest_to_stdout(project: Path) -> None:
    """An empty glob's warning is on stderr with the config's path; stdout has the summary."""
    write(project, {**ALPHA, "decks/alpha.yaml": "sources: [notes/a, missing/*.md]\n"})
    result = run("build")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("decks/alpha.yaml:")
    assert result.stderr.endswith(": warning: 'missing/*.md' matches no notes or notebooks\n")
    assert result.stdout.splitlines() == [
        "decks/alpha.apkg: 2 notes, 2 cards, 0 media (0 errors, 1 warning)",
        "changes: 2 added, 0 changed, 0 reworded, 0 removed, 0 unchanged"
        " (no lock file yet: alpha.lock records them)",
    ]
