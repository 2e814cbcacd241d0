"""`anki-tools preview`: the cards as Anki renders them, on one page, tested in Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page

from anki_tools import build
from anki_tools.card_render import attribute_escape, cards_of
from anki_tools.cli import main
from anki_tools.errors import Problem, Problems, Severity
from anki_tools.notes import Source
from anki_tools.pipeline import find_sources, parse_sources, render_notes
from anki_tools.sharing import identity
from anki_tools.templates import load_note_types

from anki_collection import AnkiProfile
from card_browser import (
    PREVIEW_TIMEOUT_MS,
    open_preview,
    screenshot,
    side_frames,
    wait_for_sides,
    watch,
)
from conftest import FIXED_TIME

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STYLE_RE = re.compile(r"^<style>.*?</style>", re.DOTALL)


@pytest.mark.e2e
def test_cards_render_exactly_as_anki_renders_them(tmp_path: Path) -> None:
    """Every card of the examples: our front and back are Anki's, byte for byte."""
    assert build([EXAMPLES], tmp_path / "ex.apkg", timestamp=FIXED_TIME).written
    profile = AnkiProfile(tmp_path / "profile")
    profile.import_deck(tmp_path / "ex.apkg")
    anki = {}
    for card_id in profile.col.find_cards(""):
        card = profile.col.get_card(card_id)
        question, answer = (STYLE_RE.sub("", side) for side in (card.question(), card.answer()))
        anki[(card.note().guid, card.ord)] = (question, answer)
    profile.close()
    problems = Problems()
    note_types = load_note_types()
    ours = {}
    for note in render_notes(parse_sources(find_sources([EXAMPLES]), None, problems), problems):
        sides = cards_of(note_types[note.note.kind], note.fields, note.note.tags)
        for ordinal, side in enumerate(sides):
            ours[(identity.guid(note.note), ordinal)] = (side.question, side.answer)
    assert len(anki) == 62
    assert ours == anki


def test_attribute_escape_matches_anki() -> None:
    assert attribute_escape('<code>a = "b"/2;</code> é →') == (
        "&lt;code&gt;a&#x20;&#x3D;&#x20;&quot;b&quot;&#x2F;2&#x3B;&lt;&#x2F;code&gt;&#x20;&#xE9;&#x20;→"
    )


def test_preview_command_writes_the_page_and_the_media(tmp_path: Path) -> None:
    output = str(tmp_path / "pv")
    result = CliRunner().invoke(main, ["preview", str(EXAMPLES), "-o", output, "--skip-readme"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("index.html: 49 notes, 62 cards, 5 media")
    files = sorted(path.name for path in (tmp_path / "pv").iterdir())
    assert files[-1] == "index.html" and len(files) == 6
    page = (tmp_path / "pv" / "index.html").read_text(encoding="utf-8")
    assert "<title>Card preview (62 cards)</title>" in page
    assert "http://" not in page.split('<script type="application/json"')[0]
    # The card script is kept once per note type, not once per side (a 2,000-card page was
    # 6.4 MB so, 21 MB when a `{{…}}` in the script's comments made Anki's renderer change it).
    data = json.loads(re.search(r'id="pv-data">(.*?)</script>', page, re.S)[1])  # type: ignore[index]
    header = "anki-tools card script"
    assert all(header in script for script in data["scripts"].values())
    assert page.count(header) == len(data["scripts"])


def test_preview_lists_problems_and_still_shows_the_good_cards(tmp_path: Path, write_notes):
    root = write_notes({"a.md": "## Fine\n\nYes\n\n## Broken\n\n(S)open\n"})
    result = CliRunner().invoke(main, ["preview", str(root), "-o", str(tmp_path / "pv")])
    assert result.exit_code == 1
    assert "a.md:7: unbalanced spoiler '(S)': no closing '(S)'" in result.output
    page = (tmp_path / "pv" / "index.html").read_text(encoding="utf-8")
    assert "Card preview (1 card)" in page
    assert "unbalanced spoiler" in page


@pytest.fixture(scope="module")
def preview_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("preview")
    result = CliRunner().invoke(main, ["preview", str(EXAMPLES), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    return folder / "index.html"


@pytest.fixture
def page(browser: Browser, preview_page: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(PREVIEW_TIMEOUT_MS)  # the theme switch loads every side again
    opened = context.new_page()
    yield opened
    context.close()


def render_every_side(page: Page) -> None:
    """Scroll to each card in turn (the page makes a card's sides near the window) and
    wait until its sides fit, while in view: Chromium may lay out a frame out of view
    only when it is scrolled to."""
    for article in page.query_selector_all("article.pv-card"):
        article.scroll_into_view_if_needed()
        page.wait_for_function(
            "a => a.hasAttribute('data-pv-rendered')"
            " && a.querySelectorAll('iframe[data-pv-sized]').length === 2",
            arg=article,
        )
    page.evaluate("window.scrollTo(0, 0)")
    wait_for_sides(page)


def frame_body_classes(page: Page) -> list[str]:
    return [frame.evaluate("document.body.className") for _, frame in side_frames(page)]


@pytest.mark.browser
def test_every_card_is_on_the_page_with_both_sides(page: Page, preview_page: Path):
    seen = watch(page)
    open_preview(page, preview_page)
    assert page.locator("article.pv-card").count() == 62
    render_every_side(page)
    assert page.locator("article.pv-card iframe").count() == 124
    assert page.inner_text("#pv-count") == "62 cards"
    first = page.locator("article.pv-card").first
    assert re.fullmatch(r"examples/\S+:\d+", first.locator(".pv-source").inner_text())
    # The sides are the card pages themselves, with the card script running in them.
    back = page.frame_locator("article.pv-card iframe[title=Back]").first
    assert back.locator(".at-card.at-back").count() == 1
    assert seen.outside == [] and seen.errors == []
    screenshot(page, "preview-light", whole=False)


@pytest.mark.browser
def test_search_filters_the_cards(page: Page, preview_page: Path):
    open_preview(page, preview_page)
    page.fill("#pv-search", "groupby")
    visible = page.locator("article.pv-card:not([hidden])")
    assert visible.count() == 1
    assert "numpy-pandas.ipynb:cell" in visible.locator(".pv-source").inner_text()
    assert page.inner_text("#pv-count") == "1 of 62 cards"
    page.fill("#pv-search", "rust ownership")  # every word must match
    assert 0 < page.locator("article.pv-card:not([hidden])").count() < 62
    page.fill("#pv-search", "no card says this")
    assert page.locator("article.pv-card:not([hidden])").count() == 0
    page.fill("#pv-search", "")
    assert page.locator("article.pv-card:not([hidden])").count() == 62


@pytest.mark.browser
def test_theme_switch_turns_every_side_dark(page: Page, preview_page: Path):
    open_preview(page, preview_page)
    assert set(frame_body_classes(page)) == {"card"}
    code = page.frame_locator("iframe").nth(0)  # any side with code will do
    page.check("#pv-dark")
    wait_for_sides(page)  # each side loads again
    assert set(frame_body_classes(page)) == {"card nightMode"}
    assert "pv-dark" in (page.locator("body").get_attribute("class") or "")
    background = code.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(30, 31, 34)"
    page.fill("#pv-search", "groupby")
    screenshot(page, "preview-dark-search", whole=False)
    page.uncheck("#pv-dark")
    page.fill("#pv-search", "")  # a frame hidden by the search is sized when it is shown
    wait_for_sides(page)
    assert set(frame_body_classes(page)) == {"card"}


def test_front_side_on_the_back_is_the_rendered_front() -> None:
    from anki_tools.card_render import render

    front = render("<b>{{Front}}</b>", {"Front": "Q"})
    assert render("{{FrontSide}}<hr>{{Back}}", {"Back": "A", "FrontSide": front}) == (
        "<b>Q</b><hr>A"
    )


def test_a_preview_that_cannot_be_written_names_the_place(tmp_path: Path, write_notes):
    root = write_notes({"a.md": "## Q\n\nA\n"})
    (tmp_path / "taken").write_text("a file, not a folder")
    result = CliRunner().invoke(main, ["preview", str(root), "-o", str(tmp_path / "taken" / "pv")])
    assert result.exit_code == 1
    assert "taken/pv: cannot write the preview: Not a directory" in result.output
    assert "Traceback" not in result.output


@pytest.mark.browser
def test_dark_sides_start_dark_and_frames_fit_their_cards(page: Page, preview_page: Path):
    page.emulate_media(color_scheme="dark")  # the page follows the system's preference
    open_preview(page, preview_page)
    assert page.is_checked("#pv-dark")
    assert set(frame_body_classes(page)) == {"card nightMode"}
    # The card script chose each quote box's colour knowing the side is dark.
    colours = [
        colour
        for _, frame in side_frames(page)
        for colour in frame.eval_on_selector_all(
            ".at-quote", "quotes => quotes.map(q => getComputedStyle(q).backgroundColor)"
        )
    ]
    brightness = [sum(map(int, re.findall(r"\d+", colour)[:3])) / 3 for colour in colours]
    assert brightness and max(brightness) < 100, colours  # dark boxes for light text
    gaps = [
        element.evaluate("f => f.getBoundingClientRect().height")
        - frame.evaluate("document.body.getBoundingClientRect().bottom")
        for element, frame in side_frames(page)
    ]
    assert max(gaps) < 40  # no frame much taller than its card


def page_data(folder: Path) -> dict:  # type: ignore[type-arg]
    page = (folder / "index.html").read_text(encoding="utf-8")
    start = page.index('<script type="application/json" id="pv-data">')
    payload = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(payload.replace("<\\/", "</"))


def test_each_problem_names_the_card_it_is_about(tmp_path: Path, write_notes) -> None:
    """A warning links to the card holding its line; an error's card is left out, and so
    is any link into it."""
    root = write_notes(
        {
            "a.md": """\
                ## First

                ```pyhton
                1
                ```

                ## Broken

                (S)open

                ```rustt
                2
                ```

                ## Third

                ```jawa
                3
                ```
                """,
            "b.ipynb": "not json",
        }
    )
    result = CliRunner().invoke(main, ["preview", str(root), "-o", str(tmp_path / "pv")])
    assert result.exit_code == 1
    data = page_data(tmp_path / "pv")
    assert [card["source"].rsplit("/", 1)[-1] for card in data["cards"]] == ["a.md:1", "a.md:15"]
    links = {
        problem["text"].split("notes/", 1)[1][:24]: problem["card"] for problem in data["problems"]
    }
    assert links == {
        "a.md:3: warning: unknown": 0,
        "a.md:9: unbalanced spoil": None,
        "a.md:17: warning: unknow": 1,
        "b.ipynb:1: not a noteboo": None,
    }, links


def test_a_warning_after_an_error_links_to_no_card() -> None:
    """The error's note is left out, so the warning after it is not in the card before."""
    from anki_tools.preview import problem_links

    path = Path("a.md")
    places = [Source(path, 1), Source(path, 20)]
    error = Problem(Source(path, 9), "broken", Severity.ERROR)
    late = Problem(Source(path, 11), "odd", Severity.WARNING)
    early = Problem(Source(path, 5), "odd", Severity.WARNING)
    whole = Problem(Source(path), "about the file", Severity.WARNING)
    problems = [early, error, late, whole]
    assert problem_links(problems, places) == [0, None, None, 0]


def test_search_text_is_the_text_as_shown() -> None:
    from anki_tools.preview import shown_text

    code = '<pre class="codehilite"><code><span class="n">pd</span><span class="o">.</span>'
    html = f'{code}<span class="n">DataFrame</span>()</code></pre><p>a &amp; b</p><p>c</p>'
    assert shown_text(html + "<style>p { x: y }</style><script>s()</script>").split() == [
        "pd.DataFrame()",
        "a",
        "&",
        "b",
        "c",
    ]
