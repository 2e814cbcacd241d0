"""The small key/value syntaxes of the card grammar: fence options
(```` ```python hl_lines="2 3" linenums literal ````) and heading attribute lists
(`## Question {#id .reverse tags="a b"}`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A notebook's HTML output travels as a fence of this language: raw HTML, never cut into
# Markdown at its blank lines as an HTML block would be. The renderer sanitizes it on its
# own (so its box is well-formed), defuses its markers and keeps it out of the field's
# sanitizing, as it keeps highlighted code.
RAW_HTML = "at-html"
# `{{c1::` or `{{{` in an output is a result, not card syntax: a zero-width space between
# the braces keeps Anki and our type-in boxes away from it.
MARKER_START_RE = re.compile(r"\{(?=\{(?:\{|c\d+::))")
ZERO_WIDTH_SPACE = "\u200b"
MATH_FENCE = "math"  # GitHub's display math: ```math
FENCE_OPTION_RE = re.compile(r"""([\w-]+)(?:=(?:"([^"]*)"|'([^']*)'|(\S+)))?""")
FENCE_OPTIONS = {"hl_lines", "linenums", "literal"}


@dataclass(frozen=True)
class FenceInfo:
    """```` ```python hl_lines="2 3" linenums literal ````."""

    language: str | None
    hl_lines: tuple[int, ...] = ()
    linenums: int | None = None  # the first line number, when numbered
    literal: bool = False  # markers are code: no cloze or type-in inside


def fence_info(info: str) -> FenceInfo:
    """Split a fence's info string into its language and our options."""
    name, _, rest = info.strip().partition(" ")
    if name.partition("=")[0] in FENCE_OPTIONS:  # ```literal: options, no language
        name, rest = "", info
    language = name.strip("{}.") or None
    options: dict[str, str] = {}
    for match in FENCE_OPTION_RE.finditer(rest):
        value = next((group for group in match.groups()[1:] if group is not None), "")
        options[match.group(1)] = value
    linenums = options.get("linenums")
    return FenceInfo(
        language=language,
        hl_lines=tuple(line_numbers(options.get("hl_lines", ""))),
        linenums=None if linenums is None else int(linenums) if linenums.isdigit() else 1,
        literal="literal" in options,
    )


def line_numbers(spec: str) -> list[int]:
    """`hl_lines="1 3-5"` → [1, 3, 4, 5]."""
    numbers: list[int] = []
    for part in spec.split():
        first, _, last = part.partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            numbers += range(int(first), int(last or first) + 1)
    return numbers


# Only `{#id .class key="value" …}` is an attribute list: `## Set literal {1, 2}` keeps its braces.
ATTR = r"""(?:[#.][^\s{}="']+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s{}"']+))"""
ATTRS_RE = re.compile(rf"\{{:?\s*({ATTR}(?:\s+{ATTR})*)\s*\}}\s*$")
ATTR_ITEM_RE = re.compile(r"""([#.])([^\s{}="']+)|([\w-]+)=(?:"([^"]*)"|'([^']*)'|([^\s{}"']+))""")


@dataclass
class Attributes:
    """A heading's `{#id .class key="value"}`."""

    explicit_id: str | None = None
    classes: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)


def heading_attributes(text: str) -> tuple[str, Attributes]:
    """Take `{#id .class key="value"}` off the end of a heading."""
    attributes = Attributes()
    match = ATTRS_RE.search(text)
    if not match:
        return text.strip(), attributes
    for item in ATTR_ITEM_RE.finditer(match.group(1)):
        sign, name, key = item.group(1), item.group(2), item.group(3)
        if sign == "#":
            attributes.explicit_id = name
        elif sign == ".":
            attributes.classes.add(name)
        elif key is not None:
            value = next(group for group in item.groups()[3:] if group is not None)
            attributes.options[key] = value
    return text[: match.start()].strip(), attributes


def defused(text: str) -> str:
    """An output's text or HTML with its cloze and type-in markers made inert. HTML is
    defused after sanitizing: the sanitizer writes `&#123;` out as `{`."""
    return MARKER_START_RE.sub("{" + ZERO_WIDTH_SPACE, text)
