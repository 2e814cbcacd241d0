"""The card screenshots of docs/templates.md, taken in the real Anki desktop reviewer.

    python3 dev.py shots     # or: .venv/bin/python tests/desktop_shots.py [FOLDER]

Builds the browser tests' notes (test_browser_cards.NOTES) plus a math card, shows them in
Anki desktop (aqt under Xvfb, anki_desktop.py) in a 420 px wide window, light and dark,
types into the type-in boxes with real key presses, and writes each card, cropped, into
docs/images/ (or FOLDER). The paper theme needs a second Anki start: all anki-tools decks
in a collection share one look. The quote boxes' colours are random, so two runs differ
there.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from test_browser_cards import NOTES

from anki_tools import build

from anki_desktop import desktop_available, run_reviewer, typing
from conftest import FIXED_TIME, PNG_BYTES

MATH = r"""
## What does summing the first n numbers give?

The sum $\sum_{k=0}^{n-1} k$ for $n \ge 1$:

-

$$
\sum_{k=0}^{n-1} k = \frac{n(n-1)}{2}
$$
"""
WIDTH = 420
CARD = ".at-card"
LOADED = (
    "getComputedStyle(document.getElementById('qa')).opacity === '1' && "
    "Array.from(document.querySelectorAll('#qa img')).every("
    "function (i) { return i.complete && i.naturalWidth > 0; })"
)


def back(name: str, search: str, theme: str) -> dict[str, Any]:
    """A card's back in a theme, cropped to the card."""
    return {
        "name": name,
        "theme": theme,
        "find": f'"Source:*{search}*"',
        "side": "answer",
        "until": LOADED,
        "shot": f"{name}.png",
        "crop": CARD,
    }


DEFAULT_STEPS: list[dict[str, Any]] = [
    {"name": "window", "width": WIDTH},
    back("card-back-light", "walrus", "light"),
    back("card-back-dark", "walrus", "dark"),
    back("code-back-light", "rebase", "light"),
    back("code-back-dark", "rebase", "dark"),
    back("theme-default-light", "rebase", "light"),
    back("math-back-light", "summing", "light"),
    back("math-back-dark", "summing", "dark"),
    {"name": "typein", "theme": "light", "find": '"Source:*Complete the code*"'},
    *typing("typein", ["len", "4"]),
    {"name": "typein-front-typed", "shot": "typein-front-typed.png", "crop": CARD},
    {
        "name": "typein-back-marked",
        "key": "Return",
        "until": "!!document.querySelector('.at-back') && " + LOADED,
        "shot": "typein-back-marked.png",
        "crop": CARD,
    },
]
PAPER_STEPS: list[dict[str, Any]] = [
    {"name": "window", "width": WIDTH},
    back("theme-paper-light", "rebase", "light"),
    back("theme-paper-dark", "rebase", "dark"),
]


def take(work: Path, theme: str, steps: list[dict[str, Any]]) -> Path:
    """Build the notes in a theme, run the steps in Anki; return the folder of the shots."""
    notes = work / theme / "notes" / "python"
    notes.mkdir(parents=True)
    (notes / "cards.md").write_text(textwrap.dedent(NOTES) + MATH, encoding="utf-8")
    (notes / "rebase.png").write_bytes(PNG_BYTES)
    deck = work / theme / "deck.apkg"
    result = build([notes.parent], deck, timestamp=FIXED_TIME, theme=theme)
    if result.errors or not result.written:
        raise SystemExit(f"desktop_shots.py: the notes did not build: {result.problems}")
    session = work / theme / "session"
    run_reviewer(deck, session, steps)
    return session / "shots"


def main(argv: list[str]) -> int:
    why = desktop_available()
    if why:
        print(f"desktop_shots.py: {why}", file=sys.stderr)
        return 1
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="anki-tools-shots-") as work:
        for theme, steps in (("default", DEFAULT_STEPS), ("paper", PAPER_STEPS)):
            for shot in sorted(take(Path(work), theme, steps).iterdir()):
                shutil.copyfile(shot, out / shot.name)
                print(f"{out / shot.name}: {shot.stat().st_size // 1024} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
