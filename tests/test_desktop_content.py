"""Card content in the real Anki desktop reviewer: math, images, hints, type-in marks, cloze,
and a 400 px wide window.

One Anki session for the module (as in test_desktop.py): the `shown` fixture builds the
notes below, runs every step, and the tests read the results. What is checked is what the
reviewer did with the card: Anki's MathJax typeset the math, the media server delivered
the images, real clicks and key presses opened the hint and marked the boxes.
"""

from __future__ import annotations

import struct
import textwrap
import zlib
from typing import Any

import pytest

from anki_desktop import desktop_available, show_notes, typing

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(desktop_available() is not None, reason=str(desktop_available())),
]

LONG_LINE = "result = combine(" + ", ".join(f"argument_{n}" for n in range(12)) + ")"
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
LONG_URL = "https://example.com/" + "/".join(f"segment{n}" for n in range(20))
WIDE_TABLE = (
    "| " + " | ".join(f"column {n}" for n in range(8)) + " |\n"
    "|" + "---|" * 8 + "\n"
    "| " + " | ".join(f"a longer value {n}" for n in range(8)) + " |"
)
WIDE_MATH = " + ".join(rf"\sum_{{k=0}}^{{n-1}} k^{{{n}}}" for n in range(1, 9))

NOTES = f"""\
# Content

## Math card

Inline $O(1)$ and \\(a^2 + b^2 = c^2\\) in a sentence.

$$
\\sum_{{k=0}}^{{n-1}} k = \\frac{{n(n-1)}}{{2}}
$$

-

The answer is $\\sqrt{{2}}$, and

\\[e^{{i\\pi}} + 1 = 0\\]

## Image card

![before](before.png)

-i

![after](after.png)

## Hint card

What is hidden here?

-

The answer.

-h

Look closely.

## Two boxes

```python
xs = [1, 2, 3]
print({{{{{{len}}}}}}(xs))  # prints {{{{{{3}}}}}}
```

## Cloze card

The capital of {{{{c1::France}}}} is Paris.

```python
print({{{{c1::len}}}}(xs))
```

## Wide code

```python
{LONG_LINE}
```

## Wide table

{WIDE_TABLE}

## Long words

{LONG_WORD}

{LONG_URL}

## Wide math

$$
{WIDE_MATH}
$$

## Wide image

![a wide picture](wide.png)
"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour: real pixels for the media server to deliver and the view to draw."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


IMAGES = {
    "before.png": png(120, 60, (200, 60, 60)),
    "after.png": png(200, 80, (60, 90, 200)),
    "wide.png": png(900, 90, (60, 160, 90)),
}

MATH = '"Source:*Math card*"'
IMAGE = '"Source:*Image card*"'
HINT = '"Source:*Hint card*"'
BOXES = '"Source:*Two boxes*"'
CLOZE = '"Source:*Cloze card*"'
# Cards wider than a 400 px window, one kind of content each, so a failure names its kind.
WIDE = {
    "code": '"Source:*Wide code*"',
    "table": '"Source:*Wide table*"',
    "words": '"Source:*Long words*"',
    "math": '"Source:*Wide math*"',
    "image": '"Source:*Wide image*"',
}

ANSWER_DRAWN = (
    "!!document.querySelector('.at-back') && "
    "getComputedStyle(document.getElementById('qa')).opacity === '1'"
)
# MathJax's output, and what of the TeX source is left in the text a learner reads.
MATH_PROBE = r"""(function () {
  var qa = document.getElementById('qa');
  var boxes = Array.from(qa.querySelectorAll('mjx-container'));
  return {
    containers: boxes.length,
    display: qa.querySelectorAll('mjx-container[display="true"]').length,
    drawn: boxes.every(function (b) {
      var r = b.getBoundingClientRect(); return r.width > 0 && r.height > 0; }),
    raw: ['\\(', '\\)', '\\[', '\\]', '$', '\\frac', '\\sum', '\\sqrt'].filter(function (t) {
      return qa.innerText.indexOf(t) >= 0; }),
    version: typeof MathJax === 'undefined' ? null : MathJax.version,
    fonts: Array.from(document.fonts).filter(function (f) {
      return f.family.indexOf('MJX') >= 0 && f.status === 'loaded'; }).length
  };
})()"""
# MathJax's fonts load after it has typeset, once the page is laid out.
FONTS_LOADED = (
    "document.fonts.status === 'loaded' && Array.from(document.fonts).some("
    "function (f) { return f.family.indexOf('MJX') >= 0 && f.status === 'loaded'; })"
)
IMAGES_LOADED = (
    "document.querySelectorAll('#qa img').length > 0 && "
    "Array.from(document.querySelectorAll('#qa img')).every("
    "function (i) { return i.complete && i.naturalWidth > 0; })"
)
IMAGES_PROBE = (
    "Array.from(document.querySelectorAll('#qa img')).map(function (i) {"
    " return {alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight,"
    " shown: i.getBoundingClientRect().width}; })"
)
# innerText is the text as rendered: empty while the hint is closed.
HINT_PROBE = (
    "{open: document.querySelector('details.at-hint').open,"
    " visible: document.querySelector('.at-hint-body').checkVisibility(),"
    " text: document.querySelector('.at-hint-body').innerText.trim()}"
)
TYPED = (
    "Array.from(document.querySelectorAll('.at-typein-input'))"
    ".map(function (i) { return i.value; })"
)
MARKS = (
    "Array.from(document.querySelectorAll('.at-back .at-typein')).map(function (b) {"
    " var typed = b.querySelector('.at-typed'); return {right: b.classList.contains('at-right'),"
    " wrong: b.classList.contains('at-wrong'), text: b.textContent,"
    " typed: typed ? typed.textContent : null,"
    " struck: typed ? getComputedStyle(typed).textDecorationLine : null,"
    " background: getComputedStyle(b).backgroundColor}; })"
)
CLOZE_PROBE = (
    "{gaps: Array.from(document.querySelectorAll('#qa .cloze')).map(function (c) {"
    " return c.textContent; }), text: document.getElementById('qa').innerText}"
)
# Whether the page scrolls sideways, and if so which elements stick out past its edge:
# the outermost ones, and none inside a box that scrolls by itself (a code block).
SCROLL_PROBE = r"""(function () {
  var page = document.scrollingElement, edge = page.clientWidth + 0.5, out = [];
  (function walk(el) {
    Array.from(el.children).forEach(function (child) {
      var right = child.getBoundingClientRect().right;
      var name = child.tagName.toLowerCase() + '.' + child.className;
      if (right > edge) out.push(name + ' ' + Math.round(right) + 'px');
      else if (getComputedStyle(child).overflowX === 'visible') walk(child);
    });
  })(document.getElementById('qa'));
  return {
    scrollWidth: page.scrollWidth, clientWidth: page.clientWidth, innerWidth: innerWidth,
    outside: out.slice(0, 8),
    images: Array.from(document.querySelectorAll('#qa img')).map(function (i) {
      return {complete: i.complete, width: i.naturalWidth,
              shown: i.getBoundingClientRect().width}; }),
    code: Array.from(document.querySelectorAll('#qa .highlight pre')).map(function (p) {
      return {scrollWidth: p.scrollWidth, clientWidth: p.clientWidth,
              overflowX: getComputedStyle(p).overflowX}; }),
    boxes: Array.from(document.querySelectorAll(
        '#qa table, #qa mjx-container[display="true"]')).map(function (p) {
      return {tag: p.tagName.toLowerCase(), scrollWidth: p.scrollWidth,
              clientWidth: p.clientWidth, overflowX: getComputedStyle(p).overflowX}; })
  };
})()"""


def typein(name: str, first: str, second: str) -> list[dict[str, Any]]:
    """Type into both boxes of the two-box card from the keyboard (Tab between), then Enter."""
    return [
        {"name": f"{name} front", "theme": "light", "find": BOXES, "side": "question"},
        *typing(name, [first, second]),
        {"name": f"{name} typed", "probe": TYPED},
        {
            "name": f"{name} marks",
            "key": "Return",
            "until": ANSWER_DRAWN,
            "probe": MARKS,
            "shot": f"{name}-back.png",
        },
    ]


NARROW = 400
STEPS: list[dict[str, Any]] = [
    {
        "name": "math front",
        "theme": "light",
        "find": MATH,
        "side": "question",
        "until": FONTS_LOADED,
        "probe": MATH_PROBE,
    },
    {
        "name": "math back",
        "find": MATH,
        "side": "answer",
        "until": FONTS_LOADED,
        "probe": MATH_PROBE,
        "shot": "math-back.png",
    },
    {
        "name": "image front",
        "find": IMAGE,
        "side": "question",
        "until": IMAGES_LOADED,
        "probe": IMAGES_PROBE,
    },
    {
        "name": "image back",
        "find": IMAGE,
        "side": "answer",
        "until": IMAGES_LOADED,
        "probe": IMAGES_PROBE,
        "shot": "image-back.png",
    },
    {"name": "hint front", "find": HINT, "side": "question", "probe": HINT_PROBE},
    {
        "name": "hint clicked",
        "click": "details.at-hint summary",
        "until": "document.querySelector('details.at-hint').open",
        "within": 10,
        "probe": HINT_PROBE,
        "shot": "hint-open.png",
    },
    {"name": "hint back", "find": HINT, "side": "answer", "probe": HINT_PROBE},
    *typein("mixed", "len", "4"),
    *typein("right", "len", "3"),
    {"name": "cloze front", "find": CLOZE, "side": "question", "probe": CLOZE_PROBE},
    {
        "name": "cloze back",
        "find": CLOZE,
        "side": "answer",
        "probe": CLOZE_PROBE,
        "shot": "cloze-back.png",
    },
    # The narrowest window Anki allows, with cards whose content is wider than it: each
    # card's back (its question and its answer).
    {"name": "narrow", "width": NARROW},
    *(
        {
            "name": f"narrow {kind}",
            "find": search,
            "side": "answer",
            "until": IMAGES_LOADED if kind == "image" else "true",
            "probe": SCROLL_PROBE,
            "shot": f"narrow-{kind}.png",
        }
        for kind, search in WIDE.items()
    ),
    {"name": "narrow math card", "find": MATH, "side": "answer", "probe": SCROLL_PROBE},
    {"name": "narrow boxes", "find": BOXES, "side": "question", "probe": SCROLL_PROBE},
    {
        "name": "narrow dark code",
        "theme": "dark",
        "find": WIDE["code"],
        "side": "answer",
        "probe": SCROLL_PROBE,
        "shot": "narrow-dark-code.png",
    },
]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files: dict[str, str | bytes] = {"content.md": textwrap.dedent(NOTES), **IMAGES}
    return show_notes(
        tmp_path_factory.mktemp("desk-content"),
        tmp_path_factory.mktemp("desktop-content-session"),
        files,
        STEPS,
    )


@pytest.mark.parametrize(("side", "inline", "display"), [("front", 2, 1), ("back", 3, 2)])
def test_math_is_typeset_by_ankis_mathjax(
    shown: dict[str, Any], side: str, inline: int, display: int
) -> None:
    math = shown[f"math {side}"]
    assert math["version"], "no MathJax in the reviewer"
    assert math["containers"] == inline + display, math
    assert math["display"] == display, math
    assert math["drawn"], math  # each formula takes room on the page
    assert math["fonts"] > 0, math  # and its glyphs came: MathJax's fonts, from Anki
    assert math["raw"] == [], math  # no TeX source left for the learner to read


def test_images_from_the_deck_load_on_the_front_and_the_back(shown: dict[str, Any]) -> None:
    # Each side shows its own picture from the deck's media, at its real size.
    front, back = shown["image front"], shown["image back"]
    assert [(i["alt"], i["complete"], i["width"], i["height"]) for i in front] == [
        ("before", True, 120, 60)
    ]
    assert [(i["alt"], i["complete"], i["width"], i["height"]) for i in back] == [
        ("after", True, 200, 80)
    ]
    assert front[0]["shown"] == 120 and back[0]["shown"] == 200


def test_hint_is_hidden_until_a_click_opens_it(shown: dict[str, Any]) -> None:
    assert shown["hint front"] == {"open": False, "visible": False, "text": ""}
    assert shown["hint clicked"] == {"open": True, "visible": True, "text": "Look closely."}
    assert shown["hint back"]["open"] and shown["hint back"]["visible"]


def test_typed_answers_are_marked_right_and_wrong_per_box(shown: dict[str, Any]) -> None:
    assert shown["mixed typed"] == ["len", "4"]  # Tab moved to the second box
    first, second = shown["mixed marks"]
    assert first["right"] and not first["wrong"] and first["text"] == "len"
    assert first["typed"] is None  # a right answer is shown once
    assert second["wrong"] and not second["right"]
    assert second["typed"] == "4" and "line-through" in second["struck"]  # what was typed
    assert second["text"] == "43"  # ... struck through, then the expected answer
    assert first["background"] != second["background"]  # the marks look different


def test_right_answers_in_every_box_are_all_marked_right(shown: dict[str, Any]) -> None:
    assert shown["right typed"] == ["len", "3"]
    marks = shown["right marks"]
    assert [(m["right"], m["wrong"], m["text"], m["typed"]) for m in marks] == [
        (True, False, "len", None),
        (True, False, "3", None),
    ]


def test_cloze_is_hidden_on_the_front_and_filled_on_the_back(shown: dict[str, Any]) -> None:
    front, back = shown["cloze front"], shown["cloze back"]
    # Both gaps of c1, in the text and inside the highlighted code.
    assert front["gaps"] == ["[...]", "[...]"], front
    assert "France" not in front["text"] and "len" not in front["text"]
    assert back["gaps"] == ["France", "len"], back


@pytest.mark.parametrize(
    "name",
    [
        "code",
        "table",
        "words",
        "math",
        "image",
        "math card",
        "boxes",
        "dark code",
    ],
)
def test_no_sideways_page_scroll_in_a_400_px_window(shown: dict[str, Any], name: str) -> None:
    page = shown[f"narrow {name}"]
    assert page["innerWidth"] == NARROW
    # Only code blocks may scroll sideways, inside themselves.
    assert page["scrollWidth"] <= page["clientWidth"], page
    assert page["outside"] == [], page


@pytest.mark.parametrize("name, tag", [("table", "table"), ("math", "mjx-container")])
def test_wide_tables_and_formulas_scroll_inside_their_box(
    shown: dict[str, Any], name: str, tag: str
) -> None:
    boxes = [box for box in shown[f"narrow {name}"]["boxes"] if box["tag"] == tag]
    assert boxes, shown[f"narrow {name}"]
    for box in boxes:
        assert box["overflowX"] == "auto"
        assert box["scrollWidth"] > box["clientWidth"]  # all of it is there, scrolled


def test_long_code_lines_scroll_inside_their_block(shown: dict[str, Any]) -> None:
    (code,) = shown["narrow code"]["code"]
    assert code["overflowX"] == "auto"
    assert code["scrollWidth"] > code["clientWidth"]  # the long line is there, scrolled


def test_a_wide_image_loads_and_is_shrunk_to_the_window(shown: dict[str, Any]) -> None:
    page = shown["narrow image"]
    (image,) = page["images"]
    assert image["complete"] and image["width"] == 900
    assert 0 < image["shown"] <= page["clientWidth"]
