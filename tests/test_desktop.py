"""Cards in the real Anki desktop reviewer (aqt 26.9.3 under Xvfb): what a learner sees there.

Anki starts once for this module: the `shown` fixture builds a small deck, runs one driver
session over every step the tests need, and the tests read its results. Screenshots land in
the session folder (`shots/`) for a person to look at; a failing test prints where.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from anki_desktop import desktop_available, show_notes

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(desktop_available() is not None, reason=str(desktop_available())),
]

NOTES = {
    "desk/code.md": """\
        # Desk

        ## Numbered code

        ```python linenums="1"
        def add(a, b):
            return a + b
        ```

        ## Spoiler card

        The answer is (S)forty-two(S).

        -

        Yes.

        ## Type card

            >>> 2 + 2
            {{{4}}}

        ## Plain card

        Plain answer.
        """,
}

SPOILER = '"Source:*Spoiler card*"'
NUMBERED = '"Source:*Numbered code*"'
PLAIN = '"Source:*Plain card*"'
TYPEIN = '"Source:*Type card*"'
ANSWER_DRAWN = (
    "!!document.querySelector('.at-back') && "
    "getComputedStyle(document.getElementById('qa')).opacity === '1'"
)

LINENOS = "style('span.linenos', 'background-color', 'color')"
SPOILER_STYLE = (
    "Object.assign(style('.at-spoiler', 'background-color', 'color'),"
    " {revealed: document.querySelector('.at-spoiler').classList.contains('at-revealed')})"
)
ANSWER_RULE = (
    "Object.assign(style('hr#answer', 'background-color', 'border-top-color', 'border-top-width',"
    " 'border-bottom-width'), {height: rect('hr#answer').height})"
)

STEPS: list[dict[str, Any]] = [
    {
        "name": "linenos light",
        "theme": "light",
        "find": NUMBERED,
        "side": "answer",
        "probe": LINENOS,
        "shot": "linenos-light.png",
    },
    {
        "name": "linenos dark",
        "theme": "dark",
        "find": NUMBERED,
        "side": "answer",
        "probe": LINENOS,
        "shot": "linenos-dark.png",
    },
    {
        "name": "spoiler dark hidden",
        "theme": "dark",
        "find": SPOILER,
        "side": "question",
        "probe": SPOILER_STYLE,
    },
    {
        "name": "spoiler dark revealed",
        "click": ".at-spoiler",
        "probe": SPOILER_STYLE,
        "shot": "spoiler-dark-revealed.png",
    },
    {"name": "spoiler light revealed", "switch": "light", "probe": SPOILER_STYLE},
    {
        "name": "rule light",
        "theme": "light",
        "find": PLAIN,
        "side": "answer",
        "probe": ANSWER_RULE,
        "shot": "answer-light.png",
    },
    {"name": "rule dark", "switch": "dark", "probe": ANSWER_RULE, "shot": "answer-dark.png"},
    # Real key presses on a type-in card: no click first, as a learner with a keyboard.
    {
        "name": "typein front",
        "theme": "light",
        "find": TYPEIN,
        "side": "question",
        "probe": "document.activeElement.className",
    },
    {
        "name": "typein typed",
        "keys": "4",
        # The renderer takes key events on its own channel: wait for them to land.
        "until": "document.querySelector('.at-typein-input').value !== ''",
        "within": 10,
        "probe": "document.querySelector('.at-typein-input').value",
    },
    {
        "name": "typein enter",
        "key": "Return",
        "until": ANSWER_DRAWN,
        "shot": "typein-answer.png",
        "probe": "{back: !!document.querySelector('.at-back'),"
        " right: !!document.querySelector('.at-back .at-typein.at-right')}",
    },
]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files = {name: textwrap.dedent(text) for name, text in NOTES.items()}
    return show_notes(
        tmp_path_factory.mktemp("desk"), tmp_path_factory.mktemp("desktop-session"), files, STEPS
    )


def rgb(value: str) -> tuple[int, ...]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0)' → (1, 2, 3[, alpha as 0-255])."""
    inside = value[value.index("(") + 1 : value.index(")")]
    parts = [float(p) for p in inside.split(",")]
    if len(parts) == 4:
        parts[3] *= 255
    return tuple(round(p) for p in parts)


def luminance(colour: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def transparent(value: str) -> bool:
    colour = rgb(value)
    return len(colour) == 4 and colour[3] == 0


def test_line_numbers_are_light_in_light_mode(shown: dict[str, Any]) -> None:
    light = shown["linenos light"]
    # The dark theme's #0d1117 behind the numbers was the defect; light shows no dark band.
    assert transparent(light["background-color"]) or luminance(rgb(light["background-color"])) > 0.5
    assert luminance(rgb(light["color"])) < 0.5  # dark numbers on the light block


def test_line_numbers_follow_dark_mode(shown: dict[str, Any]) -> None:
    dark = shown["linenos dark"]
    assert luminance(rgb(dark["color"])) > 0.1  # light numbers on the dark block
    assert transparent(dark["background-color"]) or luminance(rgb(dark["background-color"])) < 0.1


def test_spoiler_hides_then_reveals_readably_in_dark_mode(shown: dict[str, Any]) -> None:
    hidden = shown["spoiler dark hidden"]
    assert transparent(hidden["color"]) and not hidden["revealed"]  # the bar hides the text
    revealed = shown["spoiler dark revealed"]
    assert revealed["revealed"]  # the real click reached card.js
    # Revealed: the bar is gone, the light night-mode text is on the dark page again.
    assert transparent(revealed["background-color"]), revealed
    assert luminance(rgb(revealed["color"])) > 0.5


def test_revealed_spoiler_after_a_live_switch_to_light(shown: dict[str, Any]) -> None:
    revealed = shown["spoiler light revealed"]
    assert revealed["revealed"]
    assert transparent(revealed["background-color"]), revealed
    assert luminance(rgb(revealed["color"])) < 0.2


@pytest.mark.parametrize(("mode", "colour"), [("light", "#d0d0d7"), ("dark", "#44464d")])
def test_answer_rule_is_one_designed_pixel(shown: dict[str, Any], mode: str, colour: str) -> None:
    rule = shown[f"rule {mode}"]
    # Anki's reviewer.css gives every hr a 1 px #737373 background; ours is the border alone.
    assert rule["height"] == 1, rule
    assert transparent(rule["background-color"]), rule
    assert rule["border-top-width"] == "1px"
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert rgb(rule["border-top-color"]) == wanted


def test_typein_box_has_the_keyboard_when_the_front_shows(shown: dict[str, Any]) -> None:
    assert shown["typein front"] == "at-typein-input"
    assert shown["typein typed"] == "4"  # typed into the box, not taken as reviewer shortcuts


def test_enter_in_a_typein_box_shows_the_answer(shown: dict[str, Any]) -> None:
    # As Enter in Anki's own {{type:}} box does; the typed answer is marked right.
    assert shown["typein enter"] == {"back": True, "right": True}


def test_screenshots_are_saved_for_a_person(shown: dict[str, Any]) -> None:
    wanted = {step["shot"] for step in STEPS if "shot" in step}
    saved = {path.name for path in shown["shots"].iterdir()}
    assert saved == wanted
    for name in wanted:
        png = (shown["shots"] / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 2000, name  # text drawn: a blank is ~1 KB
