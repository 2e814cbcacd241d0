"""The contrast rule (WCAG AA) checked over a page's real computed styles.

contrast_js() is JavaScript whose value lists the text/background pairs below 4.5:1 (3:1
for large text) on the page it runs in: a playwright page or frame, or Anki's reviewer (a
desktop test's probe). The walker itself is contrast.js.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WALKER = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")


def contrast_js(within: str = "body") -> str:
    """The failing pairs in the elements matching `within` (a CSS selector) and inside them."""
    return f"({WALKER.strip()})({json.dumps(within)})"


CONTRAST_JS = contrast_js()

# Every hue the card script may give a quote box (card.js: a whole number 0..359).
QUOTE_HUES = range(360)


def hue_sweep_js(hues: range = QUOTE_HUES) -> str:
    """JavaScript whose value is `{quotes: how many boxes, failing: {hue: failing pairs}}`.

    Only quote boxes are checked: the rest of the page does not change with the hue.
    """
    return (
        "(function () { var quotes = document.querySelectorAll('.at-quote'), out = {};"
        f" {json.dumps(list(hues))}.forEach(function (hue) {{"
        " quotes.forEach(function (q) { q.style.setProperty('--at-quote-hue', String(hue)); });"
        f" var failing = {contrast_js('.at-quote')};"
        " if (failing.length) out[hue] = failing; });"
        " return {quotes: quotes.length, failing: out}; })()"
    )


def describe(where: str, failing: list[dict[str, Any]]) -> list[str]:
    """One readable line per failing pair."""
    return [
        f"{where}: {f['ratio']}:1 < {f['needed']}:1 {f['color']} on {f['background']}"
        f" at {f['path']}: {f['text']!r}"
        for f in failing
    ]
