"""Show cards as Anki renders them in headless Chromium (Debian's, driven by playwright).

Anki's desktop and mobile apps show cards in Chromium-based web views: each side is a
page whose body has the class `card` (plus `nightMode` in dark mode) and holds the
HTML of `card.question()` or `card.answer()`, with the note type's CSS in a <style>.
AnkiDroid and AnkiMobile load the back as a new page, so tests do the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ElementHandle, Frame, Page, Request, Route

CHROMIUM = Path(os.environ.get("ANKI_TOOLS_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts" / "cards"
PHONE_WIDTH = 360
# The preview's sides are sandboxed frames, which Chromium runs out of the page's process:
# a hundred of them load and report their size in seconds on a busy machine.
PREVIEW_TIMEOUT_MS = 30_000

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body class="{body_class}">{html}</body></html>
"""


@dataclass
class CardSide:
    """One side of a card written as a page beside the collection's media files."""

    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()


def write_side(media: Path, name: str, html: str, dark: bool = False) -> CardSide:
    body_class = "card nightMode" if dark else "card"
    path = media / f"{name}{'-dark' if dark else ''}.html"
    path.write_text(PAGE.format(body_class=body_class, html=html), encoding="utf-8")
    return CardSide(path)


@dataclass
class Watch:
    """What a page asked for outside its own files, and the script errors it raised."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch(page: Page) -> Watch:
    """Block and record every request that is not a local file: cards must work offline."""
    seen = Watch()

    def route(route: Route, request: Request) -> None:
        if request.url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            seen.outside.append(request.url)
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    return seen


def screenshot(page: Page, name: str, whole: bool = True) -> Path:
    """Save a picture for a person to look at (tests/artifacts is not committed).

    `whole`: as tall as the content (the window shrinks for the picture), else the window.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if whole and size:
        page.set_viewport_size({"width": size["width"], "height": 100})
    page.screenshot(path=str(path), full_page=whole)
    if whole and size:
        page.set_viewport_size(size)
    return path


def wait_for_sides(page: Page) -> None:
    """Wait until every side of the preview has loaded and its frame fits it.

    The page marks a frame `data-pv-sized` when its side reports its size, and unmarks it
    when it loads the side again (the theme switch).
    """
    page.wait_for_function(
        "document.querySelector('iframe')"
        " && !document.querySelector('iframe:not([data-pv-sized])')",
        timeout=PREVIEW_TIMEOUT_MS,
    )


def open_preview(page: Page, path: Path) -> None:
    """Open a preview page and wait until every side's frame holds its card."""
    page.goto(path.as_uri(), timeout=PREVIEW_TIMEOUT_MS)
    wait_for_sides(page)


def side_frames(page: Page) -> list[tuple[ElementHandle, Frame]]:
    """Each side's frame element and the page in it, in page order.

    The page itself cannot look into its sandboxed frames; playwright (the browser's own
    debugging protocol) can.
    """
    sides = []
    for element in page.query_selector_all("iframe"):
        frame = element.content_frame()
        assert frame is not None
        sides.append((element, frame))
    return sides
