"""End to end: build a notes folder, import it into a real Anki collection, look at the cards."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from anki_tools import build
from anki_tools.progress import CHECKING, READING, Step
from anki_tools.render.media import media_name
from anki_tools.themes import default_templates_dir

from anki_collection import AnkiProfile, ShownCard
from conftest import FIXED_TIME, PNG_BYTES

pytestmark = pytest.mark.e2e

BASICS = """\
---
tags: [python, lang::basics]
url: https://docs.python.org/3/
---
# Python basics

Text before the first card is not a card.

## What does `len(xs)` return? {#len-def tags="builtins"}

The number of items in `xs`.

### Example

```python
len([1, 2, 3])  # 3
```

## Capital of France? {.reverse}

Paris

## Fill in the function

```python hl_lines="2"
def add(a, b):
    return {{c1::a + b}}
```

Shell variables: `$HOME` and ${{c2::USER}}.

-

Costs in code stay literal: `echo "$5"`.

-h

Think of **addition**.

## Type the result

    >>> 2 + 2
    {{{4}}}

## Spoilers and quotes

The answer hides: (S)forty-two(S).

-

(Q)
Simple is better than complex.
(Q)
The Zen of Python
(Q)

Math: $e^{i\\pi} + 1 = 0$ and $$\\int_0^1 x\\,dx$$

![a dot](../images/dot.png)

## Show the picture

Which diagram?

-i

![a dot](../images/dot.png)
"""

RUST = """\
---
deck: Languages::Rust
---
## Ownership in one word? {deck="Languages::Rust::Memory"}

Moves.

## Borrow checker

```rust linenums="1"
let s = String::from("hi");
let r = &s;
```

-h

References must not outlive the value.
"""


@pytest.fixture
def deck(write_notes, tmp_path: Path) -> Path:
    root = write_notes(
        {
            "python/basics.md": BASICS,
            "images/dot.png": PNG_BYTES,
            "rust/ownership.md": RUST,
            "intro.md": "## Why Anki?\n\nSpaced repetition.\n",
        }
    )
    output = tmp_path / "out" / "notes.apkg"
    result = build([root], output, timestamp=FIXED_TIME)
    assert not result.errors, result.problems
    assert (result.notes, result.cards, result.media) == (9, 11, 1)
    return output


@pytest.fixture
def cards(deck: Path, anki: AnkiProfile) -> dict[str, list[ShownCard]]:
    assert anki.import_deck(deck) == (9, 0, 0)
    by_title: dict[str, list[ShownCard]] = {}
    for card in sorted(anki.cards(), key=lambda c: c.ord):
        title = re.sub(r"<[^>]+>", "", card.fields["Source"]).split("›")[-1].strip()
        by_title.setdefault(title, []).append(card)
    return by_title


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_decks_follow_folders_front_matter_and_attributes(cards) -> None:
    assert cards["What does `len(xs)` return?"][0].deck == "python"
    assert cards["Why Anki?"][0].deck == "intro"
    assert cards["Borrow checker"][0].deck == "Languages::Rust"
    assert cards["Ownership in one word?"][0].deck == "Languages::Rust::Memory"


def test_tags_from_front_matter_and_heading(cards) -> None:
    assert sorted(cards["What does `len(xs)` return?"][0].tags) == [
        "builtins",
        "lang::basics",
        "python",
    ]
    assert sorted(cards["Capital of France?"][0].tags) == ["lang::basics", "python"]


def test_basic_card_front_back_and_deeper_headings(cards) -> None:
    (card,) = cards["What does `len(xs)` return?"]
    assert card.note_type == "anki-tools Basic"
    assert "<code>len(xs)</code>" in card.question
    assert "The number of items" not in card.question
    assert "The number of items in <code>xs</code>" in card.answer
    assert "<h3>Example</h3>" in card.answer  # a deeper heading belongs to the card
    assert '<span class="mi">3</span>' in card.answer  # highlighted with CSS classes
    assert "Text before the first card" not in card.answer


def test_reverse_makes_one_note_with_two_cards(cards) -> None:
    forward, backward = cards["Capital of France?"]
    assert forward.note_type == backward.note_type == "anki-tools Basic (and reversed card)"
    assert forward.guid == backward.guid
    assert "Capital of France?" in text(forward.question)
    assert "Paris" in text(backward.question)
    assert "Capital of France?" not in text(backward.question)


def test_cloze_inside_code_keeps_highlighting(cards) -> None:
    first, second = cards["Fill in the function"]
    assert first.note_type == "anki-tools Cloze"
    # Front of card 1: the code is highlighted and the deletion is hidden.
    assert '<span class="k">return</span>' in first.question
    assert '<span class="cloze" data-cloze=' in first.question
    assert "[...]" in first.question
    assert '<span class="n">a</span> <span class="o">+</span>' not in text_between_cloze(
        first.question
    )
    # Back of card 1: the deletion is shown, still as highlighted tokens.
    assert re.search(
        r'<span class="cloze" data-ordinal="1"><span class="n">a</span> '
        r'<span class="o">\+</span> <span class="n">b</span></span>',
        first.answer,
    )
    assert '<span class="hll">' in first.answer  # hl_lines="2"
    # Card 2 hides c2 and shows c1.
    assert "[...]" in second.question and "USER" not in text(second.question)
    assert '<span class="n">a</span> <span class="o">+</span>' in second.question


def text_between_cloze(html: str) -> str:
    match = re.search(r'<span class="cloze"[^>]*>(.*?)</span>', html)
    return match.group(1) if match else ""


def test_dollar_inside_code_stays_literal(cards) -> None:
    card = cards["Fill in the function"][0]
    assert "<code>$HOME</code>" in card.question
    assert '<code>echo "$5"</code>' in card.answer
    assert r"\(" not in card.question.split("Shell variables")[1]


def test_cloze_back_extra_and_hint(cards) -> None:
    card = cards["Fill in the function"][0]
    assert "Costs in code stay literal" in card.answer
    assert "Costs in code stay literal" not in card.question
    assert re.search(
        r'<details class="at-hint">.*Think of <strong>addition</strong>', card.question, re.S
    )
    assert re.search(r'<details class="at-hint" open>', card.answer)


def test_type_in_box_inside_indented_code(cards) -> None:
    (card,) = cards["Type the result"]
    assert card.note_type == "anki-tools Type-in"
    assert (
        '<span class="at-typein">4</span>' in card.question
    )  # the card script turns it into a box
    assert "&gt;&gt;&gt; 2 + 2" in card.question
    assert '<span class="at-typein">4</span>' in card.answer
    assert "at-typein" in card.css


def test_spoiler_quote_math_and_image(cards, anki: AnkiProfile) -> None:
    (card,) = cards["Spoilers and quotes"]
    assert '<span class="at-spoiler">forty-two</span>' in card.question
    assert ".at-front .at-spoiler" in card.css  # hidden on the front by the stylesheet
    assert '<div class="at-quote">' in card.answer
    assert '<div class="at-quote-source">' in card.answer and "The Zen of Python" in card.answer
    assert r"\(e^{i\pi} + 1 = 0\)" in card.answer
    assert r"\[\int_0^1 x\,dx\]" in card.answer
    name = media_name(PNG_BYTES, ".png")
    assert f'<img src="{name}" alt="a dot">' in card.answer
    assert anki.media_files() == {name: PNG_BYTES}


def test_image_card_back_replaces_front(cards) -> None:
    (card,) = cards["Show the picture"]
    assert card.note_type == "anki-tools Image"
    assert "Which diagram?" in card.question
    assert "Which diagram?" not in card.answer
    assert "<img" in card.answer


def test_source_field_names_file_and_heading(cards) -> None:
    card = cards["What does `len(xs)` return?"][0]
    assert 'href="https://docs.python.org/3/"' in card.fields["Source"]
    assert "python/basics.md" in card.fields["Source"]
    assert "python/basics.md" in card.answer
    assert "python/basics.md" not in card.question


def test_note_type_css_has_light_and_dark_code_themes(cards) -> None:
    css = cards["Borrow checker"][0].css
    assert ".highlight .k {" in css
    assert ".nightMode .highlight .k, .night_mode .highlight .k {" in css
    assert '<span class="linenos">1</span>' in cards["Borrow checker"][0].answer


def test_fields_are_the_documented_ones(cards) -> None:
    assert list(cards["Why Anki?"][0].fields) == ["Front", "Back", "Hint", "Source"]
    assert list(cards["Fill in the function"][0].fields) == ["Text", "Back Extra", "Hint", "Source"]


def test_reimporting_the_same_deck_changes_nothing(deck: Path, anki: AnkiProfile) -> None:
    anki.import_deck(deck)
    assert anki.import_deck(deck) == (0, 0, 9)
    assert len(anki.cards()) == 11


def test_note_type_ids_are_the_fixed_ones(deck: Path, anki: AnkiProfile) -> None:
    anki.import_deck(deck)
    ids = {model["name"]: model["id"] for model in anki.col.models.all()}
    assert ids["anki-tools Basic"] == 1731000001
    assert ids["anki-tools Cloze"] == 1731000003


def test_own_templates_folder(write_notes, tmp_path: Path, anki: AnkiProfile) -> None:
    own = tmp_path / "my-templates"
    shutil.copytree(default_templates_dir(), own)
    front = own / "basic" / "front.html"
    front.write_text(front.read_text().replace("at-question", "at-question my-look"))
    root = write_notes({"a.md": "## Q\n\nA\n"})
    result = build([root], tmp_path / "own.apkg", timestamp=FIXED_TIME, templates=own)
    assert result.written
    anki.import_deck(tmp_path / "own.apkg")
    (card,) = anki.cards()
    assert '<div class="at-question my-look">' in card.question


def test_templates_folder_without_themes_uses_the_built_in_ones(
    write_notes, tmp_path: Path, anki: AnkiProfile
) -> None:
    own = tmp_path / "older-templates"
    shutil.copytree(default_templates_dir(), own, ignore=shutil.ignore_patterns("themes"))
    root = write_notes({"a.md": "## Q\n\nA\n"})
    for theme in ("default", "paper"):
        output = tmp_path / f"{theme}.apkg"
        assert build([root], output, timestamp=FIXED_TIME, templates=own, theme=theme).written
    anki.import_deck(tmp_path / "paper.apkg")
    (card,) = anki.cards()
    assert "Charter" in card.css  # the paper theme's serif font


def test_changed_template_updates_the_note_type_on_reimport(
    write_notes, tmp_path: Path, anki: AnkiProfile
) -> None:
    own = tmp_path / "my-templates"
    shutil.copytree(default_templates_dir(), own)
    root = write_notes({"a.md": "## Q {#q}\n\nA\n"})
    assert build([root], tmp_path / "v1.apkg", timestamp=FIXED_TIME, templates=own).written
    anki.import_deck(tmp_path / "v1.apkg")
    before = anki.col.models.by_name("anki-tools Basic")
    front = own / "basic" / "front.html"
    front.write_text(front.read_text().replace("at-question", "at-question at-v2"))
    later = FIXED_TIME + 60
    assert build([root], tmp_path / "v2.apkg", timestamp=later, templates=own).written
    assert anki.import_deck(tmp_path / "v2.apkg") == (0, 1, 0)  # the note updated, not a copy
    anki.col.models._clear_cache()  # the import ran in the backend; Python caches note types
    after = anki.col.models.by_name("anki-tools Basic")
    assert after["id"] == before["id"] == 1731000001
    assert after["mod"] > before["mod"]
    assert [f["name"] for f in after["flds"]] == [f["name"] for f in before["flds"]]
    assert "at-v2" in after["tmpls"][0]["qfmt"]
    assert len(anki.col.models.all_names_and_ids()) == len(anki.col.models.all())
    assert [m.name for m in anki.col.models.all_names_and_ids()].count("anki-tools Basic") == 1
    (card,) = anki.cards()
    assert '<div class="at-question at-v2">' in card.question


def test_progress_is_reported_per_file(write_notes, tmp_path: Path) -> None:
    root = write_notes({"a.md": "## A\n\nx\n", "b/c.md": "## C\n\ny\n"})
    steps: list[Step] = []
    build([root], None, progress=steps.append)
    assert steps == [Step(READING, 1, 2), Step(READING, 2, 2), Step(CHECKING, 0, 2)]
