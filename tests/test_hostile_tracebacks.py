"""Issue 11, item 8: input that raised a traceback is a `path:line` error instead.

Each input below once crashed a build or dropped an image without a word: an indented
code block holding U+E000 and U+E001 (the highlighter's placeholders: IndexError), front
matter 500 `[` deep and a deck config 3,000 deep (RecursionError in YAML), a notebook
whose JSON nests 1,000 deep (RecursionError), an image named with a NUL or 300
characters, or a symlink loop (the sanitizer's attribute callback raised: nh3 printed
"Exception ignored" and the image vanished with exit 0). Private-use characters that we
use as placeholders, and text made to look like our code slots, render as written.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import run
from click.testing import Result

from anki_tools import limits
from anki_tools.render import highlight, media

from anki_collection import AnkiProfile, ShownCard
from conftest import FIXED_TIME

TAG_RE = re.compile(r"<[^>]+>")
PROBLEM_RE = re.compile(r"^(?P<place>[^\s:]+:(?:\d+|cell \d+)): (?P<message>.+)$")
GOOD = "## A good card\n\nIts answer.\n"
OTHER = "## Another card\n\nAnother answer.\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working folder, with `notes/good.md` (one card that builds)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "good.md").write_text(GOOD, encoding="utf-8")
    return tmp_path


def errors(result: Result) -> list[str]:
    """The error lines of stderr (warnings and the summary left out)."""
    lines = [line for line in result.stderr.splitlines() if PROBLEM_RE.match(line)]
    return [line for line in lines if ": warning: " not in line]


def visible_text(card_html: str) -> str:
    return html.unescape(TAG_RE.sub("", card_html))


def imported(project: Path, anki: AnkiProfile, *args: str) -> list[ShownCard]:
    """Build `notes` (and ARGS) into a deck, import it into a real collection."""
    result = run("build", "notes", "-o", "out.apkg", *args)
    assert result.exit_code == 0, result.output
    anki.import_deck(project / "out.apkg")
    return anki.cards()


# --- private-use characters and code slots --------------------------------------------------


@pytest.mark.e2e
def test_code_holding_the_placeholder_characters_renders_them_and_its_cloze(
    project: Path, anki: AnkiProfile
) -> None:
    """U+E000 and U+E001 are the first placeholders the highlighter would take: text in
    the code that looks like one (`\\ue0000\\ue001`, placeholder 0) stays as written."""
    code = 'x = "\ue0000\ue001"  # {{c1::answer}} and \ue001\ue000'
    (project / "notes" / "pua.md").write_text(f"## Private use\n\n    {code}\n", "utf-8")
    cards = [card for card in imported(project, anki) if card.note_type == "anki-tools Cloze"]

    (card,) = cards
    assert 'x = "\ue0000\ue001"  # [...] and \ue001\ue000' in visible_text(card.question)
    assert 'x = "\ue0000\ue001"  # answer and \ue001\ue000' in visible_text(card.answer)
    assert '<span class="cloze" data-ordinal="1">answer</span>' in card.answer


@pytest.mark.e2e
def test_code_holding_every_private_use_character_of_the_bmp_still_renders(
    project: Path, anki: AnkiProfile
) -> None:
    """All 6,400 were the highlighter's whole choice once (StopIteration): it takes the
    private planes next."""
    every = "".join(map(chr, range(0xE000, 0xF900)))
    note = f"## Every private character\n\n```python\n{every}  # {{{{c1::gap}}}}\n```\n"
    (project / "notes" / "pua.md").write_text(note, encoding="utf-8")
    cards = [card for card in imported(project, anki) if card.note_type == "anki-tools Cloze"]

    (card,) = cards
    assert f"{every}  # [...]" in visible_text(card.question)
    assert f"{every}  # gap" in visible_text(card.answer)


def test_placeholders_never_come_from_the_code() -> None:
    """Whatever private-use characters the code holds, the two placeholders are others."""
    every = "".join(map(chr, range(0xE000, 0xF900))) + "".join(map(chr, range(0xF0000, 0xF0100)))
    placeholder = highlight.Placeholder.for_code(every)
    assert placeholder.start not in every and placeholder.end not in every
    assert placeholder.start != placeholder.end


@pytest.mark.e2e
def test_text_made_to_look_like_a_code_slot_stays_text(project: Path, anki: AnkiProfile) -> None:
    """Highlighted code waits in a slot while the sanitizer runs; a slot a note writes
    itself (any key, any number) is shown as written and brings no code block along."""
    fake = '<div class="at-code-slot">0000000000000000:0</div>'
    note = f"## Slots\n\n{fake}\n\n```python\nreal = 1\n```\n\n{fake.replace(':0', ':1')}\n"
    (project / "notes" / "slots.md").write_text(note, encoding="utf-8")
    (card,) = [c for c in imported(project, anki) if "Slots" in c.question]

    shown = visible_text(card.answer)
    assert shown.count("0000000000000000:0") == 1 and shown.count("0000000000000000:1") == 1
    assert shown.count("real = 1") == 1
    assert shown.index("0000000000000000:0") < shown.index("real") < shown.index(":1")


# --- YAML and JSON nested deep --------------------------------------------------------------


def test_front_matter_500_deep_is_an_error_at_its_line(project: Path) -> None:
    """It raised RecursionError; the other notes still build with --keep-going."""
    deep = "[" * 500 + "]" * 500
    (project / "notes" / "deep.md").write_text(f"---\ndeck: x\ntags: {deep}\n---\n{GOOD}")
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1
    limit = limits.YAML_MAX_DEPTH
    assert errors(result) == [
        f"notes/deep.md:3: invalid YAML front matter: nested more than {limit} deep"
    ]
    assert "1 note, 1 card" in result.stdout


def test_front_matter_nested_to_the_limit_is_read(project: Path) -> None:
    """The mapping and 18 lists around a value are 20 levels: read (an unknown key is
    only a warning); one list more is refused."""
    inside = "[" * 18 + "1" + "]" * 18
    (project / "notes" / "deep.md").write_text(f"---\nextra: {inside}\n---\n{OTHER}")
    assert run("check", "notes").exit_code == 0

    inside = "[" * 19 + "1" + "]" * 19
    (project / "notes" / "deep.md").write_text(f"---\nextra: {inside}\n---\n{OTHER}")
    assert errors(run("check", "notes")) == [
        f"notes/deep.md:2: invalid YAML front matter: nested more than {limits.YAML_MAX_DEPTH} deep"
    ]


def test_front_matter_keys_that_are_numbers_dates_or_null_are_warned_about(
    project: Path,
) -> None:
    """Unknown keys are listed in order: a number, a date and null once raised TypeError
    (they do not sort with texts)."""
    front = "---\n1: a\n2024-01-02: b\nnull: c\nzebra: d\n---\n"
    (project / "notes" / "keys.md").write_text(front + OTHER, encoding="utf-8")
    result = run("check", "notes")

    assert result.exit_code == 0, result.output
    keys = re.findall(r"unknown front matter key '([^']*)'", result.stderr)
    assert keys == ["1", "2024-01-02", "None", "zebra"]


def test_a_deck_config_3000_deep_is_an_error_at_its_line(project: Path) -> None:
    (project / "decks").mkdir()
    deep = "[" * 3000 + "]" * 3000
    config = f"name: Deep\nsources: notes\ntags: {deep}\n"
    (project / "decks" / "deep.yaml").write_text(config, encoding="utf-8")
    result = run("build")

    assert result.exit_code == 1
    assert errors(result) == [
        f"decks/deep.yaml:3: invalid YAML: nested more than {limits.YAML_MAX_DEPTH} deep"
    ]


def notebook_json(deep: int) -> str:
    """A notebook of one card whose cell metadata holds a list `deep` levels deep, laid
    out one bracket a line, as an editor would show it."""
    cell = {"cell_type": "markdown", "id": "c1", "metadata": {"x": "HERE"}, "source": GOOD}
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    nested = "[\n" * deep + "]\n" * deep
    return json.dumps(nb, indent=1).replace('"HERE"', nested)


def test_a_notebook_nesting_1000_deep_is_an_error_at_the_line(project: Path) -> None:
    """json raised RecursionError; between about 400 and 1,000 levels, nbformat did."""
    limit = limits.NOTEBOOK_MAX_JSON_DEPTH
    for deep in (1000, 450):
        text = notebook_json(deep)
        (project / "notes" / "deep.ipynb").write_text(text, encoding="utf-8")
        result = run("build", "notes", "-o", "out.apkg", "--keep-going")

        assert result.exit_code == 1
        # The notebook, its cells, the cell and its metadata are levels 1 to 4: the list
        # opened on the `"x"` line is level 5, and each line below opens one more.
        lines = text.split("\n")
        first = next(n for n, line in enumerate(lines, 1) if line.endswith('"x": ['))
        line = first + limit + 1 - 5
        assert errors(result) == [
            f"notes/deep.ipynb:{line}: not a notebook: its JSON nests more than {limit} deep"
        ]
        assert "1 note, 1 card" in result.stdout


def test_a_notebook_nesting_to_the_limit_builds(project: Path) -> None:
    """JSON exactly NOTEBOOK_MAX_JSON_DEPTH deep is read, validated and built."""
    (project / "notes" / "deep.ipynb").write_text(notebook_json(96), encoding="utf-8")
    result = run("build", "notes", "-o", "out.apkg", "--cells", "all")
    assert result.exit_code == 0, result.output
    assert "2 notes, 2 cards" in result.stdout

    (project / "notes" / "deep.ipynb").write_text(notebook_json(97), encoding="utf-8")
    assert run("check", "notes").exit_code == 1


def test_brackets_inside_notebook_strings_do_not_count(project: Path) -> None:
    """A cell's text full of `[` is text, however many there are."""
    cell = {"cell_type": "markdown", "id": "c1", "metadata": {}, "source": GOOD + "[{" * 500}
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    (project / "notes" / "text.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    result = run("check", "notes")
    assert result.exit_code == 0, result.output


# --- images the file system cannot open -------------------------------------------------------


IMAGES = {
    "nul": ("![a NUL](dot%00.png)", "image path 'dot\\x00.png' holds a NUL character"),
    "long": (
        f"![long]({'a' * 300}.png)",
        f"image '{'a' * 300}.png' cannot be read: File name too long",
    ),
    "loop": ("![loop](loop.png)", "image 'loop.png' cannot be read: a loop of symlinks"),
}


def write_image_notes(project: Path) -> None:
    for name, (markdown, _) in IMAGES.items():
        note = f"## Image {name}\n\nBefore.\n\n{markdown}\n"
        (project / "notes" / f"{name}.md").write_text(note, encoding="utf-8")
    (project / "notes" / "loop.png").symlink_to("loop.png")


def test_images_the_file_system_refuses_are_errors_at_their_line(project: Path) -> None:
    """Each is an error of its note at the image's line; the good note still builds."""
    write_image_notes(project)
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1
    assert sorted(errors(result)) == sorted(
        f"notes/{name}.md:5: {message}" for name, (_, message) in IMAGES.items()
    )
    assert "1 note, 1 card" in result.stdout


def test_images_the_file_system_refuses_leave_no_exception_behind(project: Path) -> None:
    """In a process of its own: nh3 printed "Exception ignored" on stderr when the
    attribute callback raised, and the build wrote the deck with exit 0."""
    write_image_notes(project)
    done = subprocess.run(
        [sys.executable, "-m", "anki_tools", "build", "notes", "-o", "out.apkg"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ANKI_TOOLS_JOBS": "1"},
    )
    assert done.returncode == 1
    assert "Exception" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (project / "out.apkg").exists()
    assert sum(f"notes/{name}.md:5: " in done.stderr for name in IMAGES) == 3


def test_an_image_failing_in_our_own_code_is_an_error_not_a_missing_image(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong while an image is resolved (here a bug put in on purpose), the
    sanitizer's callback does not raise: the note gets an error naming the image."""

    def broken(self: media.MediaCollector, *args: object) -> str | None:
        raise KeyError("a bug")

    monkeypatch.setattr(media.MediaCollector, "_file", broken)
    note = "## Broken\n\n![dot](dot.png)\n"
    (project / "notes" / "broken.md").write_text(note, encoding="utf-8")
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1
    assert errors(result) == [
        "notes/broken.md:1: image 'dot.png' could not be resolved "
        "(a bug in anki-tools: KeyError('a bug'))"
    ]


def test_the_api_collects_the_image_problems(project: Path) -> None:
    """The library reports them in the result, as the command line does."""
    import anki_tools

    write_image_notes(project)
    result = anki_tools.build([Path("notes")], Path("out.apkg"), timestamp=FIXED_TIME)
    assert sorted(str(problem) for problem in result.errors) == sorted(
        f"notes/{name}.md:5: {message}" for name, (_, message) in IMAGES.items()
    )


# --- found by tests/test_fuzz_parsers.py ----------------------------------------------------


def test_front_matter_holding_a_control_character_is_an_error_at_its_line(
    project: Path,
) -> None:
    """YAML refuses most control characters before it reads anything: that raised
    ReaderError, which the front matter's handler did not expect, in notes and configs."""
    (project / "notes" / "ctl.md").write_text(f"---\ndeck: d\ntags: a\x1fb\n---\n{OTHER}")
    assert errors(run("check", "notes")) == [
        "notes/ctl.md:3: invalid YAML front matter: the character '\\x1f' is not allowed"
    ]

    (project / "decks").mkdir()
    config = "name: N\nsources: notes\ndescription: a\x7fb\n"
    (project / "decks" / "ctl.yaml").write_text(config, encoding="utf-8")
    assert errors(run("build")) == [
        "decks/ctl.yaml:3: invalid YAML: the character '\\x7f' is not allowed"
    ]


def test_front_matter_that_is_a_single_value_is_an_error(project: Path) -> None:
    """`0` (or `false`, `[]`) is no mapping of keys: it read its characters as keys."""
    for value in ("0", "[]", "text"):
        (project / "notes" / "one.md").write_text(f"---\n{value}\n---\n{OTHER}")
        assert errors(run("check", "notes")) == [
            "notes/one.md:2: front matter must be a mapping of keys to values"
        ]


def test_a_notebook_without_nbformat_minor_is_an_invalid_notebook(project: Path) -> None:
    """Its version in the message raised AttributeError. (A schema problem is a warning
    now, as Jupyter opens the notebook: it was an error.)"""
    cell = {"cell_type": "markdown", "metadata": {}, "source": OTHER}
    notebook = {"nbformat": 4, "metadata": {}, "cells": [cell]}
    (project / "notes" / "v.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    result = run("check", "notes", "--cells", "all")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "notes/v.ipynb: warning: not a valid notebook (nbformat 4.?): "
        "'nbformat_minor' is a required property; read anyway, as Jupyter does"
    ]


def test_invalid_json_at_the_end_of_a_notebook_names_its_last_line(project: Path) -> None:
    """json places an error at the end of the file on the line after the last newline,
    which no editor shows: it is the last line."""
    (project / "notes" / "cut.ipynb").write_text('{"nbformat": 4,\n', encoding="utf-8")
    (problem,) = errors(run("check", "notes"))
    assert problem.startswith("notes/cut.ipynb:1: not a notebook: invalid JSON")
