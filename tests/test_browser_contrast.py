"""The contrast rule over real computed styles: every text on every side is readable.

Every side of a deck holding every construct (the examples/ folder and the notes below)
is shown as Anki shows it, in each built-in theme, light and then switched live to night
mode as Anki does (it only toggles body classes). contrast.js lists each text whose
colour is below WCAG AA (4.5:1, 3:1 for large text) on what is really behind it. Fronts
are checked again with their spoilers revealed and hints open, backs after typing a right
answer, a wrong one and none. Quote boxes are checked at each of the 360 hues the card
script may pick.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from anki_tools import build

from anki_collection import AnkiProfile
from card_browser import CardSide, screenshot, write_side
from conftest import FIXED_TIME
from contrast import CONTRAST_JS, describe, hue_sweep_js

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).parent.parent / "examples"
THEMES = ["default", "paper"]

# What examples/ lacks: links in the text, every alert, a gap and a box on a highlighted
# line with line numbers, revealed spoilers holding code, a quote holding links, a
# notebook's stderr.
NOTES = """\
---
url: https://example.org/contrast
tags: [contrast]
---
# Contrast

## A cloze on a highlighted line

```python hl_lines="2" linenums="1"
def f(xs):
    return {{c1::sorted(xs, key=len)}}  # longest last
```

## Type the call on a highlighted line

```python hl_lines="1"
print({{{len}}}(xs), {{{max}}}(xs), {{{min}}}(xs))
```

## Everything else in prose

See [the docs](https://example.org/docs), press <kbd>Ctrl</kbd>, ==marked==,
(S)a spoiler with `code`(S), ~~gone~~ and `inline code`.

> A plain quotation with a [link](https://example.org/q).

| name | value |
|---|---|
| `x` | 1 |

- [x] done
- [ ] to do

> [!NOTE]
> A note.

> [!TIP]
> A tip.

> [!IMPORTANT]
> Important.

> [!WARNING]
> A warning.

> [!CAUTION]
> Caution.

-

The answer, with a $x^2$ and a footnote-like line.

(Q)
A quote with a [link](https://example.org/quote), `code` and **bold**.
(Q)
[Someone](https://example.org/someone), *somewhere*
(Q)

-h

A hint with a [link](https://example.org/hint).
"""

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "What does this print?"},
        {
            "cell_type": "code",
            "metadata": {"tags": ["card"]},
            "execution_count": 1,
            "source": "import sys\nprint('out')\nprint('err', file=sys.stderr)",
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": "out\n"},
                {"output_type": "stream", "name": "stderr", "text": "err\n"},
            ],
        },
    ],
    "metadata": {"language_info": {"name": "python", "pygments_lexer": "ipython3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@dataclass
class Side:
    name: str
    page: CardSide

    def holds(self, css_class: str) -> bool:
        """Whether the side's HTML has an element of the class (not only the CSS's rules)."""
        return (
            re.search(f'class="(?:[^"]* )?{css_class}[ "]', self.page.path.read_text("utf-8"))
            is not None
        )


@dataclass
class Deck:
    fronts: list[Side]
    backs: list[Side]


def _built(folder: Path, theme: str) -> Deck:
    notes = folder / "notes"
    shutil.copytree(EXAMPLES, notes / "examples")
    (notes / "contrast.md").write_text(textwrap.dedent(NOTES), encoding="utf-8")
    (notes / "outputs.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    result = build([notes], folder / "deck.apkg", timestamp=FIXED_TIME, theme=theme)
    assert result.written and not result.errors, result.problems
    profile = AnkiProfile(folder / "profile")
    try:
        profile.import_deck(folder / "deck.apkg")
        media = Path(profile.col.media.dir())
        fronts, backs = [], []
        for index, card_id in enumerate(profile.col.find_cards("")):
            card = profile.col.get_card(card_id)
            title = re.sub(r"<[^>]+>", "", card.note()["Source"])
            name = f"{theme} {title[:70]} #{index}"
            fronts.append(Side(name, write_side(media, f"c{index}-front", card.question())))
            backs.append(Side(name, write_side(media, f"c{index}-back", card.answer())))
    finally:
        profile.close()
    return Deck(fronts, backs)


@pytest.fixture(scope="module", params=THEMES)
def deck(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Deck:
    return _built(tmp_path_factory.mktemp(f"contrast-{request.param}"), request.param)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 420, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


NIGHT = "document.body.classList.add('nightMode')"
DAY = "document.body.classList.remove('nightMode')"
REVEAL = (
    "document.querySelectorAll('.at-spoiler').forEach(function (s) { s.click(); });"
    " document.querySelectorAll('details').forEach(function (d) { d.open = true; })"
)


def light_then_dark(page: Page, where: str) -> list[str]:
    """The failing pairs in light mode, then after a live switch to night mode."""
    failing = describe(f"{where} light", page.evaluate(CONTRAST_JS))
    page.evaluate(NIGHT)
    failing += describe(f"{where} dark", page.evaluate(CONTRAST_JS))
    page.evaluate(DAY)
    return failing


def test_the_check_finds_unreadable_text_and_skips_what_is_not_shown(page: Page) -> None:
    """The walker itself: a grey on grey pair is reported with its place; opacity and a
    semi-transparent background count; hidden and transparent text is not checked."""
    page.set_content(
        "<body style='background:#fff'>"
        "<p class='grey' style='color:#999'>grey on white</p>"
        "<p style='color:#000;opacity:0.3'>faded black</p>"
        "<div style='background:rgba(0,0,0,0.8)'><span class='deep' style='color:#555'>dark"
        "</span></div>"
        "<h1 style='font-size:30px;color:#888'>large grey passes at 3:1</h1>"
        "<p style='color:transparent'>a hidden spoiler</p>"
        "<p style='visibility:hidden;color:#eee'>hidden</p>"
        "<p style='color:#111'>readable</p></body>"
    )
    failing = page.evaluate(CONTRAST_JS)
    assert [f["text"] for f in failing] == ["grey on white", "faded black", "dark"]
    assert failing[0]["path"] == "p.grey" and failing[0]["needed"] == 4.5
    assert failing[0]["color"] == "#999999" and failing[0]["background"] == "#ffffff"
    assert failing[1]["color"] == "#b3b3b3"  # 30% black over white
    assert failing[2]["path"] == "div > span.deep" and failing[2]["background"] == "#333333"


def test_every_side_reaches_aa_contrast_light_and_dark(deck: Deck, page: Page) -> None:
    failing: list[str] = []
    for side in deck.fronts:
        page.goto(side.page.url)
        failing += light_then_dark(page, f"{side.name} front")
        page.evaluate(REVEAL)
        failing += light_then_dark(page, f"{side.name} front revealed")
    for side in deck.backs:
        page.goto(side.page.url)
        failing += light_then_dark(page, f"{side.name} back")
    assert not failing, "\n".join(failing)


def test_typed_answers_are_readable_right_wrong_and_missing(deck: Deck, page: Page) -> None:
    """Type-in backs after typing the right answer, a wrong one and nothing, in turn."""
    failing: list[str] = []
    marks = set()
    for front, back in zip(deck.fronts, deck.backs, strict=True):
        if not back.holds("at-typein"):
            continue
        page.goto(back.page.url)  # nothing typed: every box shows its expected answer
        answers = page.eval_on_selector_all(".at-typein", "boxes => boxes.map(b => b.textContent)")
        page.goto(front.page.url)
        inputs = page.locator(".at-typein-input")
        for index in range(inputs.count()):
            if index % 3 < 2:  # right, wrong, (empty)
                inputs.nth(index).fill(answers[index] if index % 3 == 0 else "wrong")
        failing += light_then_dark(page, f"{front.name} front typed")
        page.goto(back.page.url)
        marks.update(page.eval_on_selector_all(".at-typein", "bs => bs.map(b => b.className)"))
        marks.update(page.eval_on_selector_all(".at-typed", "ts => ts.map(t => 'typed')"))
        failing += light_then_dark(page, f"{back.name} back typed")
    assert {"at-typein at-right", "at-typein at-wrong", "typed"} <= marks  # all were seen
    assert not failing, "\n".join(failing)


def test_quote_boxes_are_readable_at_every_hue(deck: Deck, page: Page) -> None:
    failing: list[str] = []
    quoted = 0
    for side in (side for side in deck.backs if side.holds("at-quote")):
        page.goto(side.page.url)
        quoted += 1
        for mode in ("light", "dark"):
            if mode == "dark":
                page.evaluate(NIGHT)
            sweep = page.evaluate(hue_sweep_js())
            assert sweep["quotes"] >= 1
            for hue, pairs in sweep["failing"].items():
                failing += describe(f"{side.name} {mode} hue {hue}", pairs)
    assert quoted >= 3  # the examples' quote boxes and the notebook's
    assert not failing, "\n".join(failing[:40])


QUOTE = (
    "(function () { var q = document.querySelector('.at-quote'), s = getComputedStyle(q);"
    " return {hue: q.style.getPropertyValue('--at-quote-hue'), inline: q.style.background,"
    " background: s.backgroundColor, color: s.color}; })()"
)


def _lightness(rgb: str) -> float:
    channels = [int(c) for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    return sum(channels) / 3 / 255


def test_a_quote_box_follows_a_live_theme_switch(deck: Deck, page: Page) -> None:
    """Defect 4: the script sets only a hue; the box and its text follow the body classes."""
    side = next(side for side in deck.backs if side.holds("at-quote"))
    page.goto(side.page.url)
    light = page.evaluate(QUOTE)
    assert light["inline"] == "" and 0 <= int(light["hue"]) < 360
    assert _lightness(light["background"]) > 0.8 and _lightness(light["color"]) < 0.25
    page.evaluate(NIGHT)
    dark = page.evaluate(QUOTE)
    assert dark["hue"] == light["hue"]  # the same box, not drawn again
    assert _lightness(dark["background"]) < 0.3 and _lightness(dark["color"]) > 0.8
    screenshot(page, f"contrast-quote-switched-{side.name.split()[0]}")


CLOZE_IN_CODE = (
    "(function () { var gap = document.querySelector('.highlight .cloze');"
    " var block = gap.closest('.highlight'), colour = getComputedStyle(gap).color;"
    " return {text: gap.textContent, colour: colour, weight: getComputedStyle(gap).fontWeight,"
    " gap: getComputedStyle(gap).backgroundColor,"
    " block: getComputedStyle(block).backgroundColor,"
    " others: Array.prototype.filter.call(gap.querySelectorAll('*'), function (e) {"
    " return getComputedStyle(e).color !== colour; }).map(function (e) { return e.className; })"
    " }; })()"
)


def test_a_cloze_in_code_shows_in_its_own_colour_on_a_tint(deck: Deck, page: Page) -> None:
    """Defect 3: inside code the gap's colour wins over the token colours in it, and its
    tint stands out from the code block in both modes, hidden and filled."""
    index = next(
        i for i, side in enumerate(deck.backs) if "cloze on a highlighted line" in side.name.lower()
    )
    for which, side in (("front", deck.fronts[index]), ("back", deck.backs[index])):
        page.goto(side.page.url)
        for mode in ("light", "dark"):
            if mode == "dark":
                page.evaluate(NIGHT)
            seen = page.evaluate(CLOZE_IN_CODE)
            where = f"{side.name} {which} {mode}: {seen}"
            assert ("[...]" in seen["text"]) == (which == "front"), where
            assert seen["others"] == [], where  # no token keeps its own colour
            assert int(seen["weight"]) >= 700, where
            assert seen["gap"] not in (seen["block"], "rgba(0, 0, 0, 0)"), where
            screenshot(page, f"contrast-cloze-{side.name.split()[0]}-{which}-{mode}")
        assert not light_then_dark(page, side.name)
