"""The preview of a big deck (issue 12, item 9): 2,000 cards, tested in Chromium.

The page makes a card's sides only as the card nears the window, its search reads code
as written, and a long problems list starts folded, each problem linking to its card.
How long the page takes is measured in benchmarks/bench_preview.py, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page

from anki_tools.cli import main

from card_browser import PREVIEW_TIMEOUT_MS, watch

pytestmark = pytest.mark.browser

FILES, PER_FILE = 40, 50
CARDS = FILES * PER_FILE
PANDAS_FILE, PANDAS_CARD = 17, 23  # the one card with pandas code
# Cards with a misspelt fence language: a warning each, in files of their own (one
# message repeated in a file is listed once).
WARNED_FILES = range(FILES - 7, FILES)
RENDERED = "article.pv-card[data-pv-rendered]"
# Every side in the window has loaded and fits (Chromium may lay out a frame out of view
# only when it is scrolled to, so the sides made further away are not waited for).
WINDOW_FITTED = """[...document.querySelectorAll('iframe')].filter(f => {
  const r = f.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight;
}).every(f => f.hasAttribute('data-pv-sized')) && !!document.querySelector('iframe')"""


def card_text(file: int, card: int) -> str:
    if (file, card) == (PANDAS_FILE, PANDAS_CARD):
        code = 'import pandas as pd\nframe = pd.DataFrame({"a": [1, 2]})'
        return f"## How is a frame made?\n\n```python\n{code}\n```\n"
    if file in WARNED_FILES and card == PER_FILE - 1:
        return f"## What does file {file} print?\n\n```pyhton\nprint(1)\n```\n"
    return f"## Question {file}.{card}\n\nAnswer {file}.{card}, with `code` and *words*.\n"


def line_of(card: int) -> int:
    """The line of a card's heading, when the cards before it in its file are plain:
    3 lines each and a blank one."""
    return 1 + 4 * card


@pytest.fixture(scope="module")
def big_preview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale")
    notes = folder / "notes"
    notes.mkdir()
    for file in range(FILES):
        text = "\n".join(card_text(file, card) for card in range(PER_FILE))
        (notes / f"part{file:02}.md").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["preview", str(notes), "-o", str(folder / "pv")])
    assert result.exit_code == 0, result.output
    assert f"{CARDS} cards" in result.output
    return folder / "pv" / "index.html"


@pytest.fixture
def page(browser: Browser, big_preview: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(PREVIEW_TIMEOUT_MS)
    opened = context.new_page()
    seen = watch(opened)
    opened.goto(big_preview.as_uri())
    opened.wait_for_function(f"document.querySelector({RENDERED!r})")
    opened.wait_for_function(WINDOW_FITTED)  # the first screen
    # A first screen of cards is made at once, the rest in batches right after.
    opened.wait_for_function(f"document.querySelectorAll('article.pv-card').length === {CARDS}")
    yield opened
    assert seen.errors == [] and seen.outside == []
    context.close()


def rendered(page: Page) -> int:
    return page.locator(RENDERED).count()


def test_only_the_cards_near_the_window_have_sides_at_first(page: Page) -> None:
    assert page.locator("article.pv-card").count() == CARDS
    # Read at one moment: a side that fits in less than its placeholder brings more near.
    first, frames = page.evaluate(
        f"[document.querySelectorAll({RENDERED!r}).length,"
        " document.querySelectorAll('article.pv-card iframe').length]"
    )
    assert 0 < first < 40, first  # a window and 1500 px either side: a few dozen at most
    assert frames == 2 * first
    assert page.locator("article.pv-card").first.get_attribute("data-pv-rendered") == ""
    assert page.locator("article.pv-card").last.get_attribute("data-pv-rendered") is None


def test_the_cards_below_the_window_get_their_sides_without_a_scroll(page: Page) -> None:
    # They wait until the window's sides have loaded, then come one card at a time.
    below = """() => { const near = [...document.querySelectorAll('article.pv-card')].filter(
        a => a.getBoundingClientRect().top < innerHeight + 1000);
      return near.length > 6 && near.every(a => a.hasAttribute('data-pv-rendered')); }"""
    page.wait_for_function(below)
    assert page.evaluate("scrollY") == 0


def test_scrolling_to_the_end_makes_the_sides_there(page: Page) -> None:
    first = rendered(page)
    last = page.locator("article.pv-card").last
    last.scroll_into_view_if_needed()
    page.wait_for_function(
        "document.querySelector('article.pv-card:last-of-type').hasAttribute('data-pv-rendered')"
    )
    page.wait_for_function(WINDOW_FITTED)
    back = page.frame_locator("article.pv-card:last-of-type iframe[title=Back]")
    assert back.locator("body").inner_text().startswith(f"What does file {FILES - 1} print?")
    # The cards between the start and the end were jumped over, and have no sides.
    assert rendered(page) < 2 * first + 40


def test_search_finds_code_as_written(page: Page) -> None:
    for query in ("pd.DataFrame", "PD.DATAFRAME", 'pd.dataframe({"a"'):
        page.fill("#pv-search", query)
        visible = page.locator("article.pv-card:not([hidden])")
        assert visible.count() == 1, query
        source = visible.locator(".pv-source").inner_text()
        assert source.endswith(f"part{PANDAS_FILE:02}.md:{line_of(PANDAS_CARD)}")
        assert page.inner_text("#pv-count") == f"1 of {CARDS} cards"
    # The card found moved up to the window: its sides are made, and show the code.
    page.wait_for_function(
        "document.querySelector('article.pv-card:not([hidden])[data-pv-rendered]')"
    )
    found = page.frame_locator("article.pv-card:not([hidden]) iframe[title=Back]")
    assert "pd.DataFrame" in found.locator("pre").inner_text()
    page.fill("#pv-search", "pd . dataframe")  # the old tokenized text matched no code
    assert page.locator("article.pv-card:not([hidden])").count() == 1
    page.fill("#pv-search", "pd.Series")
    assert page.locator("article.pv-card:not([hidden])").count() == 0


def test_the_problems_start_folded_and_link_to_their_cards(page: Page) -> None:
    problems = page.locator("#pv-problems")
    assert problems.evaluate("d => d.tagName") == "DETAILS"
    assert not problems.evaluate("d => d.open")  # seven lines would push the cards down
    summary = problems.locator("summary")
    assert summary.inner_text() == f"{len(WARNED_FILES)} problems"
    link = problems.locator("a").last
    assert not link.is_visible()
    summary.click()
    assert link.is_visible()
    text = link.inner_text()
    assert text.endswith("warning: unknown code language 'pyhton', shown as plain text")
    card = f"part{FILES - 1:02}.md:{line_of(PER_FILE - 1)}"
    assert text.split(": warning:")[0].endswith(
        f"part{FILES - 1:02}.md:{line_of(PER_FILE - 1) + 2}"
    )
    target = page.locator(f"article{link.get_attribute('href')}")
    assert target.locator(".pv-source").inner_text().endswith(card)  # the fence's card
    link.click()
    # The click scrolls the card into the window, and its sides are made there.
    page.wait_for_function(
        "a => { const r = a.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight"
        " && a.hasAttribute('data-pv-rendered'); }",
        arg=target.element_handle(),
    )
    summary.click()
    assert not problems.evaluate("d => d.open")
