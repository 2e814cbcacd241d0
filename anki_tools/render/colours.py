"""Colour arithmetic for the contrast rule (WCAG 2: 4.5:1 for text on its background).

Colours are `#rgb` or `#rrggbb` strings in, `(r, g, b)` floats 0..1 inside.
"""

from __future__ import annotations

import colorsys
import re

RGB = tuple[float, float, float]

# What every code colour must reach on its background (WCAG AA), checked on the colour
# rounded to whole hex digits, as the stylesheet writes it.
TEXT_CONTRAST = 4.5

HEX_RE = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def parse(colour: str) -> RGB:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def to_hex(rgb: RGB) -> str:
    return "#" + "".join(f"{round(min(max(c, 0.0), 1.0) * 255):02x}" for c in rgb)


def luminance(rgb: RGB) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    x, y = sorted((luminance(a), luminance(b)))
    return (y + 0.05) / (x + 0.05)


def mix(a: RGB, b: RGB, share_of_b: float) -> RGB:
    r, g, b_ = (x + (y - x) * share_of_b for x, y in zip(a, b, strict=True))
    return r, g, b_


def is_dark(rgb: RGB) -> bool:
    # Where black and white text have the same contrast: below it, white reads better.
    return luminance(rgb) < 0.179


def readable(colour: RGB, backgrounds: list[RGB], target: float = TEXT_CONTRAST) -> RGB:
    """The colour, or the nearest one of its hue and saturation (lighter on dark
    backgrounds, darker on light ones) that reaches `target` on every background."""

    def enough(rgb: RGB) -> bool:
        return all(contrast(parse(to_hex(rgb)), bg) >= target for bg in backgrounds)

    if enough(colour):
        return colour
    lighter = is_dark(backgrounds[0])
    hue, light, saturation = colorsys.rgb_to_hls(*colour)
    step = 0.005 if lighter else -0.005
    while 0.0 <= light + step <= 1.0:
        light += step
        candidate = colorsys.hls_to_rgb(hue, light, saturation)
        if enough(candidate):
            return candidate
    return (1.0, 1.0, 1.0) if lighter else (0.0, 0.0, 0.0)


def subdued(band: RGB, background: RGB, most: float) -> RGB:
    """The band, mixed into the background until it differs from it at most `most`:1."""
    share = 1.0
    while share > 0 and contrast(mix(background, band, share), background) > most:
        share -= 0.01
    return parse(to_hex(mix(background, band, max(share, 0.0))))  # as the stylesheet has it
