"""The contrast rule in the real Anki desktop reviewer, light, dark and after a live switch.

Anki starts once for this module (see test_desktop.py for the pattern): the `shown` fixture
builds a few representative cards, runs one driver session whose probes run contrast.js
(the walker of the browser tests) over the card in the reviewer, and the tests read the
results. Anki switches theme by toggling body classes only, so the quote box's colours
(defect 4) and a cloze in code (defect 3) are checked after such a switch too.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from anki_desktop import desktop_available, show_notes
from contrast import contrast_js, describe, hue_sweep_js

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(desktop_available() is not None, reason=str(desktop_available())),
]

NOTES = """\
    # Desk

    ## Filled gap in code

    ```python hl_lines="2" linenums="1"
    def longest(words):
        return {{c1::max(words, key=len)}}  # the first of the longest
    ```

    ## Quote card

    What did Tim Peters write about errors?

    -

    (Q)
    Errors should never pass silently, unless [explicitly](https://peps.python.org/) silenced.
    (Q)
    *The Zen of Python*
    (Q)

    ## Spoiler card

    The answer is (S)`forty-two`(S).

    -

    Yes.

    -h

    Think of a towel.

    ## Type card

        >>> len("abc")
        {{{3}}}
    """

CLOZE = '"Source:*Filled gap in code*"'
QUOTE = '"Source:*Quote card*"'
SPOILER = '"Source:*Spoiler card*"'
TYPEIN = '"Source:*Type card*"'

# Only the card: the reviewer's own page around it is Anki's business.
FAILING = contrast_js("#qa")
CLOZE_STYLE = (
    "(function () { var gap = document.querySelector('.highlight .cloze');"
    " var colour = getComputedStyle(gap).color;"
    " return {text: gap.textContent, colour: colour, weight: getComputedStyle(gap).fontWeight,"
    " chip: getComputedStyle(gap).backgroundColor,"
    " block: getComputedStyle(gap.closest('.highlight')).backgroundColor,"
    " others: Array.prototype.filter.call(gap.querySelectorAll('*'), function (e) {"
    " return getComputedStyle(e).color !== colour; }).length}; })()"
)
QUOTE_STYLE = (
    "(function () { var q = document.querySelector('.at-quote'), s = getComputedStyle(q);"
    " return {hue: q.style.getPropertyValue('--at-quote-hue'), inline: q.style.background,"
    " background: s.backgroundColor, color: s.color}; })()"
)


def both(**probes: str) -> str:
    """One probe returning several values."""
    return "({" + ", ".join(f"{name}: {js}" for name, js in probes.items()) + "})"


STEPS: list[dict[str, Any]] = [
    {
        "name": "cloze light back",
        "theme": "light",
        "find": CLOZE,
        "side": "answer",
        "probe": both(failing=FAILING, cloze=CLOZE_STYLE),
        "shot": "contrast-cloze-light.png",
    },
    {
        "name": "cloze dark back switched",
        "switch": "dark",
        "probe": both(failing=FAILING, cloze=CLOZE_STYLE),
        "shot": "contrast-cloze-dark.png",
    },
    {
        "name": "cloze dark front",
        "theme": "dark",
        "find": CLOZE,
        "side": "question",
        "probe": both(failing=FAILING, cloze=CLOZE_STYLE),
        "shot": "contrast-cloze-dark-front.png",
    },
    {
        "name": "quote light",
        "theme": "light",
        "find": QUOTE,
        "side": "answer",
        "probe": both(failing=FAILING, quote=QUOTE_STYLE),
        "shot": "contrast-quote-light.png",
    },
    {
        "name": "quote dark switched",
        "switch": "dark",
        "probe": both(failing=FAILING, quote=QUOTE_STYLE),
        "shot": "contrast-quote-dark-switched.png",
    },
    {"name": "quote dark hues", "probe": hue_sweep_js()},
    {"name": "quote light switched back", "switch": "light", "probe": FAILING},
    {"name": "quote light hues", "probe": hue_sweep_js()},
    {
        "name": "spoiler dark front",
        "theme": "dark",
        "find": SPOILER,
        "side": "question",
        "probe": FAILING,
    },
    {"name": "spoiler dark revealed", "click": ".at-spoiler", "probe": FAILING},
    {
        "name": "hint dark open",
        "click": "details.at-hint summary",
        "until": "document.querySelector('details.at-hint').open",
        "probe": FAILING,
        "shot": "contrast-spoiler-hint-dark.png",
    },
    {"name": "spoiler light switched", "switch": "light", "probe": FAILING},
    {"name": "spoiler light back", "find": SPOILER, "side": "answer", "probe": FAILING},
    {"name": "spoiler dark back switched", "switch": "dark", "probe": FAILING},
    {"name": "typein front", "theme": "light", "find": TYPEIN, "side": "question"},
    {
        "name": "typein typed wrong",
        "keys": "4",
        "until": "document.querySelector('.at-typein-input').value !== ''",
        "within": 10,
        "probe": FAILING,
    },
    {
        "name": "typein wrong back",
        "key": "Return",
        "until": "!!document.querySelector('.at-back .at-typein.at-wrong')",
        "probe": FAILING,
        "shot": "contrast-typein-wrong-light.png",
    },
    {"name": "typein wrong back dark", "switch": "dark", "probe": FAILING},
]

# The steps whose probe is the list of failing pairs, or holds it as "failing".
CHECKED = [
    "cloze light back",
    "cloze dark back switched",
    "cloze dark front",
    "quote light",
    "quote dark switched",
    "quote light switched back",
    "spoiler dark front",
    "spoiler dark revealed",
    "hint dark open",
    "spoiler light switched",
    "spoiler light back",
    "spoiler dark back switched",
    "typein typed wrong",
    "typein wrong back",
    "typein wrong back dark",
]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return show_notes(
        tmp_path_factory.mktemp("desk-contrast"),
        tmp_path_factory.mktemp("desktop-contrast-session"),
        {"desk/cards.md": textwrap.dedent(NOTES)},
        STEPS,
    )


def failing_of(value: Any) -> list[dict[str, Any]]:
    return value["failing"] if isinstance(value, dict) else value


def test_every_checked_side_reaches_aa_contrast_in_the_reviewer(shown: dict[str, Any]) -> None:
    failing = [line for name in CHECKED for line in describe(name, failing_of(shown[name]))]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("mode", ["dark", "light"])
def test_quote_box_is_readable_at_every_hue_after_a_live_switch(
    shown: dict[str, Any], mode: str
) -> None:
    sweep = shown[f"quote {mode} hues"]
    assert sweep["quotes"] == 1
    failing = [
        line for hue, pairs in sweep["failing"].items() for line in describe(f"hue {hue}", pairs)
    ]
    assert not failing, "\n".join(failing[:40])


def _lightness(rgb: str) -> float:
    channels = [float(c) for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    return sum(channels) / 3 / 255


def test_quote_box_turns_dark_with_a_live_switch(shown: dict[str, Any]) -> None:
    """Defect 4: light text on cream after light → dark; now the CSS follows the switch."""
    light, dark = shown["quote light"]["quote"], shown["quote dark switched"]["quote"]
    assert light["inline"] == "" and 0 <= int(light["hue"]) < 360  # the script set a hue only
    assert dark["hue"] == light["hue"]  # the same box: Anki did not draw the card again
    assert _lightness(light["background"]) > 0.8 and _lightness(light["color"]) < 0.25
    assert _lightness(dark["background"]) < 0.3 and _lightness(dark["color"]) > 0.8


@pytest.mark.parametrize("name", ["cloze light back", "cloze dark back switched"])
def test_filled_cloze_in_code_shows_in_its_own_colour(shown: dict[str, Any], name: str) -> None:
    """Defect 3: the tokens inside the gap take its colour, on a chip unlike the code's."""
    cloze = shown[name]["cloze"]
    assert "max" in cloze["text"] and "[...]" not in cloze["text"], cloze
    assert cloze["others"] == 0, cloze  # no token keeps its own colour
    assert int(cloze["weight"]) >= 700, cloze
    assert cloze["chip"] != cloze["block"], cloze


def test_hidden_cloze_in_code_is_shown_as_a_gap_in_dark_mode(shown: dict[str, Any]) -> None:
    cloze = shown["cloze dark front"]["cloze"]
    assert cloze["text"] == "[...]", cloze
    assert cloze["chip"] != cloze["block"], cloze
