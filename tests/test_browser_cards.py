"""Browser tests: real card HTML from a real Anki collection, in headless Chromium.

Each test opens a side of a card the way Anki's apps do (see card_browser.py) and
checks what the learner sees: the hint, spoilers, type-in boxes across a flip that
loads the back as a new page, the dark theme, and that nothing is fetched.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from anki_tools import build

from anki_collection import AnkiProfile
from card_browser import PHONE_WIDTH, CardSide, screenshot, watch, write_side
from conftest import FIXED_TIME, PNG_BYTES

pytestmark = pytest.mark.browser

NOTES = """\
---
tags: [python, browser::test]
---
## What does the walrus operator do?

An example, if you need one: (S)`if (n := len(xs)) > 3:`(S).

-

It assigns inside an expression.

-h

It looks like `:=` on its side.

## Complete the code

```python
xs = [1, 2, 3]
print({{{len}}}(xs))  # prints {{{3}}}
```

## How does a rebase look?

```python
def rebase(branch: str) -> None:
    \"\"\"Replay the commits of `branch` on top of main.\"\"\"
    for commit in commits(branch):
        apply(commit)
```

-

![before and after](rebase.png)

(Q)
Move fast and rebase things.
(Q)
Anonymous
(Q)
"""


@dataclass
class Card:
    """Front and back pages of one card, light and dark."""

    front: CardSide
    back: CardSide
    front_dark: CardSide
    back_dark: CardSide


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Card]]:
    """The notes above, built, imported into Anki, and written out as pages."""
    folder = tmp_path_factory.mktemp("browser")
    notes = folder / "notes" / "python"
    notes.mkdir(parents=True)
    (notes / "cards.md").write_text(textwrap.dedent(NOTES), encoding="utf-8")
    (notes / "rebase.png").write_bytes(PNG_BYTES)
    result = build([folder / "notes"], folder / "deck.apkg", timestamp=FIXED_TIME)
    assert result.written and not result.problems, result
    profile = AnkiProfile(folder / "profile")
    profile.import_deck(folder / "deck.apkg")
    media = Path(profile.col.media.dir())
    pages: dict[str, Card] = {}
    for card_id in profile.col.find_cards(""):
        card = profile.col.get_card(card_id)
        name = card.note()["Source"].split("›")[-1].split(">", 1)[1].split(" ")[0].lower()
        question, answer = card.question(), card.answer()
        pages[name] = Card(
            write_side(media, f"{name}-front", question),
            write_side(media, f"{name}-back", answer),
            write_side(media, f"{name}-front", question, dark=True),
            write_side(media, f"{name}-back", answer, dark=True),
        )
    yield pages
    profile.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 420, "height": 800})
    context.set_default_timeout(5000)  # local files: anything slower is a failure
    yield context.new_page()
    context.close()


def test_hint_is_closed_on_the_front_and_opens_on_click(cards: dict[str, Card], page: Page):
    seen = watch(page)
    page.goto(cards["what"].front.url)
    hint = page.locator("details.at-hint")
    assert hint.get_attribute("open") is None
    assert not page.locator(".at-hint-body").is_visible()
    page.click("details.at-hint summary")
    assert hint.get_attribute("open") is not None
    assert page.locator(".at-hint-body").inner_text() == "It looks like := on its side."
    page.goto(cards["what"].back.url)
    assert page.locator(".at-hint-body").is_visible()  # open on the back
    assert seen.errors == []


def test_spoiler_is_hidden_until_clicked_and_shown_on_the_back(cards: dict[str, Card], page: Page):
    seen = watch(page)
    page.goto(cards["what"].front.url)
    spoiler = page.locator(".at-spoiler")
    code = spoiler.locator("code")
    assert code.evaluate("e => getComputedStyle(e).visibility") == "hidden"
    spoiler.click()
    assert "at-revealed" in (spoiler.get_attribute("class") or "")
    assert code.evaluate("e => getComputedStyle(e).visibility") == "visible"
    spoiler.click()  # a second tap hides it again
    assert code.evaluate("e => getComputedStyle(e).visibility") == "hidden"
    page.goto(cards["what"].back.url)
    assert (
        page.locator(".at-spoiler code").evaluate("e => getComputedStyle(e).visibility")
        == "visible"
    )
    assert seen.errors == []


def typein_boxes(page: Page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        ".at-typein",
        "boxes => boxes.map(b => ({cls: b.className, text: b.textContent,"
        " typed: (b.querySelector('.at-typed') || {}).textContent || ''}))",
    )


def test_type_in_answers_survive_the_back_loaded_as_a_new_page(cards: dict[str, Card], page: Page):
    seen = watch(page)
    page.goto(cards["complete"].front.url)
    inputs = page.locator("input.at-typein-input")
    assert inputs.count() == 2
    assert [inputs.nth(i).get_attribute("size") for i in range(2)] == ["3", "2"]
    inputs.nth(0).fill("len")
    inputs.nth(1).fill("4")
    screenshot(page, "typein-front-typed")
    page.goto(cards["complete"].back.url)  # a fresh document, as on AnkiDroid
    first, second = typein_boxes(page)
    assert "at-right" in first["cls"] and first["text"] == "len"
    assert "at-wrong" in second["cls"]
    assert second["typed"] == "4"  # what was typed, struck through
    assert second["text"] == "43"  # ... followed by the expected answer
    screenshot(page, "typein-back-marked")
    assert seen.errors == []


def test_type_in_without_storage_degrades_gracefully(browser: Browser, cards: dict[str, Card]):
    context = browser.new_context()
    context.add_init_script(
        "Object.defineProperty(window, 'sessionStorage', {get() { throw new Error('off'); }});"
    )
    page = context.new_page()
    seen = watch(page)
    page.goto(cards["complete"].front.url)
    page.locator("input.at-typein-input").nth(0).fill("len")
    page.goto(cards["complete"].back.url)
    boxes = typein_boxes(page)
    # Nothing carried over: every box shows its answer, marked as not typed right.
    assert [box["text"] for box in boxes] == ["len", "3"]
    assert all("at-wrong" in box["cls"] for box in boxes)
    assert seen.errors == []
    context.close()


def code_colours(page: Page) -> tuple[str, str]:
    keyword = page.locator(".highlight .k").first
    return (
        keyword.evaluate("e => getComputedStyle(e).color"),
        page.locator(".highlight").first.evaluate("e => getComputedStyle(e).backgroundColor"),
    )


def test_dark_mode_changes_the_code_colours(cards: dict[str, Card], page: Page):
    page.goto(cards["how"].front.url)
    light_keyword, light_background = code_colours(page)
    page.goto(cards["how"].front_dark.url)
    dark_keyword, dark_background = code_colours(page)
    assert light_keyword != dark_keyword
    assert light_background != dark_background
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert body == "rgb(30, 31, 34)"


def test_no_request_leaves_any_card(cards: dict[str, Card], page: Page):
    seen = watch(page)
    for card in cards.values():
        for side in (card.front, card.back, card.front_dark, card.back_dark):
            page.goto(side.url)
            page.wait_for_load_state("networkidle")
    assert seen.outside == []
    assert seen.errors == []
    page.goto(cards["how"].back.url)
    # The image is the deck's own media file, and it loaded.
    assert page.locator(".at-answer img").evaluate("img => img.naturalWidth") == 1


@pytest.mark.parametrize("width", [420, PHONE_WIDTH])
def test_code_scrolls_sideways_on_a_phone(cards: dict[str, Card], browser: Browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for name, card in cards.items():
        for side, label in ((card.back, "light"), (card.back_dark, "dark")):
            page.goto(side.url)
            screenshot(page, f"{name}-back-{label}-{width}px")
    page.goto(cards["how"].front.url)
    pre = page.locator(".highlight pre").first
    assert pre.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"
    assert pre.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    # The page itself never scrolls sideways: only the code block does.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def theme_page(folder: Path, theme: str, dark: bool) -> CardSide:
    """The code card of NOTES built in a theme, as a fresh Anki profile shows it."""
    notes = folder / theme / "notes"
    notes.mkdir(parents=True)
    (notes / "cards.md").write_text(textwrap.dedent(NOTES), encoding="utf-8")
    (notes / "rebase.png").write_bytes(PNG_BYTES)
    deck = folder / theme / "deck.apkg"
    assert build([notes], deck, timestamp=FIXED_TIME, theme=theme).written
    profile = AnkiProfile(folder / theme / "profile")
    profile.import_deck(deck)
    card = next(
        profile.col.get_card(card_id)
        for card_id in profile.col.find_cards("")
        if "rebase" in profile.col.get_card(card_id).question()
    )
    side = write_side(Path(profile.col.media.dir()), f"{theme}-back", card.answer(), dark)
    profile.close()
    return side


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_paper_theme_looks_different(browser: Browser, tmp_path: Path, dark: bool):
    page = browser.new_page(viewport={"width": 420, "height": 800})
    looks = {}
    for theme in ("default", "paper"):
        page.goto(theme_page(tmp_path / str(dark), theme, dark).url)
        looks[theme] = page.evaluate(
            "() => { const b = getComputedStyle(document.body);"
            " const k = getComputedStyle(document.querySelector('.highlight .k'));"
            " return [b.fontFamily, b.backgroundColor, k.color]; }"
        )
        screenshot(page, f"theme-{theme}-{'dark' if dark else 'light'}")
    assert "Charter" in looks["paper"][0] and "Charter" not in looks["default"][0]
    assert looks["paper"][1] != looks["default"][1]  # the page
    assert looks["paper"][2] != looks["default"][2]  # the code
    page.close()
