"""Code colours made readable at build time (colours.py, highlight.stylesheet).

The browser tests check what cards really show (test_browser_contrast.py); these check the
arithmetic, and that any Pygments style a theme may name gives readable code.
"""

from __future__ import annotations

import colorsys
import re

import pytest
from pygments.styles import get_all_styles, get_style_by_name

from anki_tools.render import colours
from anki_tools.render.highlight import BAND_CONTRAST, stylesheet


def test_contrast_is_the_wcag_ratio() -> None:
    black, white = colours.parse("#000"), colours.parse("#ffffff")
    assert colours.contrast(black, white) == pytest.approx(21)
    assert colours.contrast(white, white) == pytest.approx(1)
    assert colours.contrast(colours.parse("#767676"), white) == pytest.approx(4.54, abs=0.01)


def test_a_readable_colour_is_kept() -> None:
    green = colours.parse("#008000")
    assert colours.readable(green, [colours.parse("#f8f8f8")]) == green


@pytest.mark.parametrize(
    ("colour", "backgrounds"),
    [
        ("#ff7b72", ["#0d1117", "#6e7681"]),  # github-dark's keyword on its old band: lighter
        ("#2aa198", ["#fdf6e3", "#eee8d5"]),  # Solarized cyan on base3 and base2: darker
        ("#859900", ["#002b36"]),
    ],
)
def test_an_unreadable_colour_moves_in_its_own_hue_until_it_reads(
    colour: str, backgrounds: list[str]
) -> None:
    behind = [colours.parse(b) for b in backgrounds]
    before = colours.parse(colour)
    after = colours.parse(colours.to_hex(colours.readable(before, behind)))
    assert all(colours.contrast(after, b) >= 4.5 for b in behind)
    hue_before = colorsys.rgb_to_hls(*before)[0]
    hue_after = colorsys.rgb_to_hls(*after)[0]
    assert hue_after == pytest.approx(hue_before, abs=0.02)
    # The nearest such colour: one step less would not read.
    assert min(colours.contrast(after, b) for b in behind) < 4.8


def rules(css: str) -> dict[str, str]:
    return {line.partition(" {")[0]: line.partition(" {")[2] for line in css.splitlines()}


@pytest.mark.parametrize("style", sorted(get_all_styles()))
def test_every_pygments_style_gives_readable_code(style: str) -> None:
    """Each token colour reaches 4.5:1 on the code's background and the highlighted-line band
    (or on its rule's own background), in light and dark position."""
    css = stylesheet(style, style)
    light, dark = css.split("\n.nightMode", 1)
    background = colours.parse(get_style_by_name(style).background_color)
    for part in (rules(light), rules(".nightMode" + dark)):
        band_rule = next(body for selector, body in part.items() if selector.endswith(".hll"))
        band = colours.parse(colours.HEX_RE.findall(band_rule)[0])
        assert colours.contrast(band, background) <= BAND_CONTRAST + 0.01
        for selector, body in part.items():
            found = re.search(r"(?<![-\w])color: (#[0-9a-fA-F]+)", body)
            if not found:
                continue
            own = re.search(r"background-color: (#[0-9a-fA-F]+)", body)
            behind = [colours.parse(own.group(1))] if own else [background, band]
            text = colours.parse(found.group(1))
            worst = min(colours.contrast(text, b) for b in behind)
            assert worst >= 4.5, f"{style}: {selector} {body}"


def test_line_numbers_get_a_muted_readable_colour() -> None:
    css = stylesheet("default", "github-dark")
    numbers = rules(css)[".highlight span.linenos"]
    assert "inherit" not in numbers  # their own colour: no opacity that halves the contrast
    found = re.search(r"color: (#\w+)", numbers)
    assert found is not None
    assert colours.contrast(colours.parse(found.group(1)), colours.parse("#f8f8f8")) >= 4.5


def test_the_dark_band_is_subdued_so_keywords_read_on_it() -> None:
    dark = rules(stylesheet("default", "github-dark"))
    band = dark[".nightMode .highlight .hll, .night_mode .highlight .hll"]
    assert "#6e7681" not in band  # github-dark's own band left red keywords at 1.8:1
    keyword = dark[".nightMode .highlight .k, .night_mode .highlight .k"]
    band_colour = colours.parse(colours.HEX_RE.findall(band)[0])
    found = re.search(r"color: (#\w+)", keyword)
    assert found is not None
    assert colours.contrast(colours.parse(found.group(1)), band_colour) >= 4.5
