"""A card's script cannot reach the preview page (issue 11, item 5), and the page still works.

Each side of `anki-tools preview` sits in a frame sandboxed without allow-same-origin.
Notes cannot carry script (the sanitizer removes it), but templates do: the preview here
is built with a `--templates` folder whose front side runs an attacker's script, standing
for any script that reaches a side. Tested in headless Chromium.
"""

from __future__ import annotations

import math
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, ElementHandle, Frame, Page

from anki_tools.cli import main
from anki_tools.themes import default_templates_dir

from card_browser import PREVIEW_TIMEOUT_MS, open_preview, side_frames, wait_for_sides, watch
from conftest import PNG_BYTES

pytestmark = pytest.mark.browser

# Tries every way out of its frame into the page, then tells the page what happened, so
# a test sees that it ran. "reached" means the page was touched.
ATTACK = """
<script>
(function () {
  var attempts = {
    "mark the page": function () { parent.document.body.dataset.pwned = "1"; },
    "retitle the page": function () { parent.document.title = "pwned"; },
    "read the deck": function () { return top.document.getElementById("pv-data").textContent; },
    "read another side": function () {
      var other = parent.frames[0] === window ? parent.frames[1] : parent.frames[0];
      return other.document.body.innerHTML;
    },
    "read the page's storage": function () { return localStorage.length; },
    "read the page's cookies": function () { return document.cookie; },
    // The page's own address with a fragment: if this navigation went through, the
    // page would stay loaded, and the test would see the fragment.
    "navigate the page": function () { top.location.replace("#pwned"); }
  };
  var results = {};
  Object.keys(attempts).forEach(function (name) {
    try { attempts[name](); results[name] = "reached"; } catch (e) { results[name] = e.name; }
  });
  parent.postMessage({ attack: results }, "*");
})();
</script>
"""

NOTES = """\
## Which bird dives for fish?

A small blue one.

-

The kingfisher.

## What is hidden here?

(S)A secret(S)

-

It was revealed.

-h

Look closely.

## What does a long answer look like?

It has many lines.

-

{items}

## What does the picture show?

![one pixel](pixel.png)

-

One pixel.
""".format(items="\n".join(f"{n}. line {n}" for n in range(1, 31)))
CARDS = 4
TITLE = f"Card preview ({CARDS} cards)"
LIGHT_CARD, DARK_CARD = "rgb(253, 253, 253)", "rgb(30, 31, 34)"
# Collects the messages the page receives, so the test can wait for the attack's report.
RECORD_MESSAGES = (
    "window.__messages = [];"
    " window.addEventListener('message', function (e) { window.__messages.push(e.data); });"
)


@pytest.fixture(scope="module")
def hostile_preview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A preview of NOTES whose basic note type runs ATTACK on the front."""
    folder = tmp_path_factory.mktemp("hostile")
    templates = folder / "templates"
    shutil.copytree(
        default_templates_dir(), templates, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    front = templates / "basic" / "front.html"
    front.write_text(front.read_text(encoding="utf-8") + ATTACK, encoding="utf-8")
    notes = folder / "notes"
    notes.mkdir()
    (notes / "cards.md").write_text(textwrap.dedent(NOTES), encoding="utf-8")
    (notes / "pixel.png").write_bytes(PNG_BYTES)
    output = folder / "preview"
    arguments = ["preview", str(notes), "-o", str(output), "--templates", str(templates)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    return output / "index.html"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(PREVIEW_TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def attack_reports(page: Page) -> list[dict[str, str]]:
    """What ATTACK found in every front, once each has reported."""
    page.wait_for_function(
        f"window.__messages.filter(m => m && m.attack).length >= {CARDS}",
        timeout=PREVIEW_TIMEOUT_MS,
    )
    return page.evaluate("window.__messages.filter(m => m && m.attack).map(m => m.attack)")


def body_classes(page: Page) -> list[str]:
    return [frame.evaluate("document.body.className") for _, frame in side_frames(page)]


def content_height(frame: Frame) -> int:
    """The height a side's frame should have: its body and the body's bottom margin."""
    bottom, margin = frame.evaluate(
        "[document.body.getBoundingClientRect().bottom,"
        " parseFloat(getComputedStyle(document.body).marginBottom)]"
    )
    return math.ceil(bottom + margin)


def frame_heights(sides: list[tuple[ElementHandle, Frame]]) -> list[tuple[int, int]]:
    """(the frame's inner height, its side's content height) for every side."""
    return [
        (element.evaluate("f => f.clientHeight"), content_height(frame)) for element, frame in sides
    ]


def test_a_cards_script_runs_in_its_frame_but_cannot_reach_the_page(
    page: Page, hostile_preview: Path
) -> None:
    seen = watch(page)
    page.add_init_script(RECORD_MESSAGES)
    open_preview(page, hostile_preview)
    reports = attack_reports(page)
    assert len(reports) == CARDS  # the script ran in every front: the test is not vacuous
    for report in reports:
        assert set(report.values()) == {"SecurityError"}, report
    assert page.evaluate("document.body.dataset.pwned") is None
    assert page.title() == TITLE
    assert page.url == hostile_preview.as_uri()
    sandboxes = page.eval_on_selector_all("iframe", "fs => fs.map(f => f.getAttribute('sandbox'))")
    assert sandboxes == ["allow-scripts"] * (2 * CARDS)
    assert seen.outside == [] and seen.errors == []


def test_the_card_script_still_runs_in_the_sandbox(page: Page, hostile_preview: Path) -> None:
    open_preview(page, hostile_preview)
    spoiler = page.frame_locator("iframe[title=Front]").nth(1).locator(".at-spoiler")
    assert spoiler.inner_text() == "A secret"
    spoiler.click()
    assert "at-revealed" in (spoiler.get_attribute("class") or "")


def test_search_filters_the_sandboxed_cards(page: Page, hostile_preview: Path) -> None:
    open_preview(page, hostile_preview)
    page.fill("#pv-search", "kingfisher")
    visible = page.locator("article.pv-card:not([hidden])")
    assert visible.count() == 1
    assert visible.locator(".pv-source").inner_text().endswith("cards.md:1")
    assert page.inner_text("#pv-count") == f"1 of {CARDS} cards"
    page.fill("#pv-search", "")
    assert page.locator("article.pv-card:not([hidden])").count() == CARDS


def test_the_theme_switch_reaches_every_sandboxed_side(page: Page, hostile_preview: Path) -> None:
    open_preview(page, hostile_preview)
    backgrounds = "getComputedStyle(document.body).backgroundColor"
    assert set(body_classes(page)) == {"card"}
    assert {frame.evaluate(backgrounds) for _, frame in side_frames(page)} == {LIGHT_CARD}
    page.check("#pv-dark")
    wait_for_sides(page)  # every side loads again, in night mode
    assert set(body_classes(page)) == {"card nightMode"}
    assert {frame.evaluate(backgrounds) for _, frame in side_frames(page)} == {DARK_CARD}
    page.uncheck("#pv-dark")
    wait_for_sides(page)
    assert set(body_classes(page)) == {"card"}


def test_sandboxed_frames_fit_their_sides(page: Page, hostile_preview: Path) -> None:
    page.set_viewport_size({"width": 1000, "height": 300})  # most frames out of view
    open_preview(page, hostile_preview)
    sides = side_frames(page)
    heights = frame_heights(sides)
    assert all(frame == content for frame, content in heights), heights
    assert max(frame for frame, _ in heights) > 500  # the 30-line answer; frames start at 6em
    # Opening the hint makes the front taller, and its frame follows.
    element, frame = sides[2]  # the front with the hint
    before = element.evaluate("f => f.clientHeight")
    frame.click("details.at-hint summary")
    grown = content_height(frame)
    assert grown > before
    page.wait_for_function("([f, h]) => f.clientHeight === h", arg=[element, grown])


def test_frames_out_of_view_fit_again_when_the_window_narrows(
    page: Page, hostile_preview: Path
) -> None:
    """Chromium does not lay out a sandboxed frame out of view until it is scrolled to."""
    page.set_viewport_size({"width": 1000, "height": 300})
    open_preview(page, hostile_preview)
    page.set_viewport_size({"width": 360, "height": 300})  # a phone: the sides stack, text wraps
    for element, frame in side_frames(page):
        width = element.evaluate("f => f.clientWidth")
        frame.wait_for_function(f"innerWidth === {width}", polling=100)  # the frame's new size
        wrapped = content_height(frame)
        page.wait_for_function("([f, h]) => f.clientHeight === h", arg=[element, wrapped])


def test_images_show_in_sandboxed_sides(page: Page, hostile_preview: Path) -> None:
    """A sandboxed frame may not load files from disk: the page gives it the image's data."""
    seen = watch(page)
    open_preview(page, hostile_preview)
    picture = page.frame_locator("iframe[title=Front]").nth(3).locator("img")
    assert picture.evaluate("img => img.naturalWidth") == 1
    assert (picture.get_attribute("src") or "").startswith("data:image/png;base64,")
    assert seen.outside == [] and seen.errors == []
