"""The card-body grammar shared by Markdown notes and notebook cells.

Separator lines (`-`, `-h`, `-i`) split a body into front, back and hint; the
inline markers (cloze, type-in, spoiler, quote box) are checked for balance here
and turned into HTML by render.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Problems
from .notes import Kind, Source

SEPARATORS = {"-": "back", "-i": "back", "-h": "hint"}

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CLOZE_RE = re.compile(r"\{\{c\d+::")
CLOZE_SPAN_RE = re.compile(r"\{\{c\d+::.*?\}\}", re.DOTALL)
TYPE_IN_RE = re.compile(r"\{\{\{(.+?)\}\}\}")
SPOILER = "(S)"
QUOTE_LINE = "(Q)"
INLINE_CODE_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
LITERAL_OPTION_RE = re.compile(r"(?:^|\s)literal(?:\s|=|$)")


@dataclass(frozen=True)
class Body:
    """A body split at its separator lines; each part is Markdown."""

    front: str
    back: str
    hint: str
    image: bool  # a `-i` line: the back replaces the front when flipped
    split: bool  # a `-` or `-i` line was present


def fenced_lines(lines: list[str]) -> list[bool]:
    """Mark the lines inside (or delimiting) fenced code, where no grammar applies."""
    mask: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = FENCE_RE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
            mask.append(fence is not None)
            continue
        mask.append(True)
        if match and _closes(match.group(1), fence, line):
            fence = None
    return mask


def _closes(marker: str, fence: str, line: str) -> bool:
    """A closing fence: same character, at least as long, nothing after it."""
    rest = line.strip()[len(marker) :].strip()
    return marker[0] == fence[0] and len(marker) >= len(fence) and not rest


def split_body(lines: list[str], source: Source, problems: Problems) -> Body:
    """Split body lines (the first at `source.line`) at `-`, `-h` and `-i` lines."""
    parts: dict[str, list[str]] = {"front": [], "back": [], "hint": []}
    seen: dict[str, int] = {}
    current = "front"
    image = False
    for number, (line, in_code) in enumerate(
        zip(lines, fenced_lines(lines), strict=False), source.line or 1
    ):
        marker = line.rstrip()
        if in_code or marker not in SEPARATORS:
            parts[current].append(line)
            continue
        target = SEPARATORS[marker]
        if target in seen:
            problems.error(
                source.at_line(number),
                f"second '{marker}' line in one card (the first is on line {seen[target]})",
            )
        seen[target] = number
        image = image or marker == "-i"
        current = target
    texts = {name: "\n".join(part).strip("\n") for name, part in parts.items()}
    return Body(texts["front"], texts["back"], texts["hint"], image, "back" in seen)


def without_literal_code(text: str) -> str:
    """Blank out fences marked `literal` (a notebook's code, or by hand): their braces are
    code, not markers. Lines stay in place, so line numbers in messages still fit."""
    if "literal" not in text:
        return text  # the common case
    lines = text.split("\n")
    fence: str | None = None
    literal = False
    for index, line in enumerate(lines):
        match = FENCE_RE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                literal = LITERAL_OPTION_RE.search(line[match.end() :]) is not None
        elif match and _closes(match.group(1), fence, line):
            fence = None
        if literal:
            lines[index] = ""
            literal = fence is not None
    return "\n".join(lines)


def has_cloze(text: str) -> bool:
    return CLOZE_RE.search(without_literal_code(text)) is not None


def has_type_in(text: str) -> bool:
    return TYPE_IN_RE.search(without_literal_code(text)) is not None


def has_markers(text: str) -> bool:
    return has_cloze(text) or has_type_in(text)


def kind_of(question: str, image: bool, reverse: bool) -> Kind:
    """The note type a card needs: markers in its question first, then `-i`, then reverse."""
    if has_cloze(question):
        return Kind.CLOZE
    if has_type_in(question):
        return Kind.TYPE_IN
    if image:
        return Kind.IMAGE
    return Kind.REVERSED if reverse else Kind.BASIC


def check_markers(text: str, source: Source, problems: Problems) -> None:
    """Report cloze, type-in, spoiler and quote markers that are not closed."""
    first = source.line or 1
    text = without_literal_code(text)
    lines = text.split("\n")
    without_type_in = TYPE_IN_RE.sub("", text)
    for what, pattern in (("type-in '{{{'", "{{{"), ("type-in '}}}'", "}}}")):
        if pattern in without_type_in:
            line = _line_of(lines, pattern, first)
            problems.error(source.at_line(line), f"unbalanced {what}: close it on the same line")
            return
    leftover = CLOZE_SPAN_RE.sub("", without_type_in)
    opening = CLOZE_RE.search(leftover)
    if opening:
        line = _line_of(lines, opening.group(0), first)
        problems.error(source.at_line(line), f"unbalanced cloze '{opening.group(0)}': no '}}}}'")
    _check_line_markers(lines, first, source, problems)


def _check_line_markers(lines: list[str], first: int, source: Source, problems: Problems) -> None:
    """Spoilers pair up within a paragraph; quote boxes need a closing `(Q)` line."""
    paragraph_start: int | None = None
    count = 0
    for number, (line, in_code) in enumerate(zip(lines, fenced_lines(lines), strict=False), first):
        if in_code or not line.strip():
            if count % 2 and paragraph_start is not None:
                break
            paragraph_start, count = None, 0
            continue
        occurrences = INLINE_CODE_RE.sub("", line).count(SPOILER)
        if occurrences and paragraph_start is None:
            paragraph_start = number
        count += occurrences
    if count % 2 and paragraph_start is not None:
        problems.error(
            source.at_line(paragraph_start), "unbalanced spoiler '(S)': no closing '(S)'"
        )
    _, unclosed = find_quote_boxes(lines)
    if unclosed is not None:
        problems.error(
            source.at_line(first + unclosed), "unbalanced quote box '(Q)': no closing '(Q)'"
        )


@dataclass(frozen=True)
class QuoteBox:
    """Line indexes of a quote box: `(Q)` quote `(Q)` [source `(Q)`]."""

    start: int
    middle: int  # the `(Q)` that ends the quote
    end: int  # the last `(Q)`; equal to middle when there is no source


def find_quote_boxes(lines: list[str]) -> tuple[list[QuoteBox], int | None]:
    """Find quote boxes; also return the index of an opening `(Q)` left unclosed."""
    if not any(line.strip() == QUOTE_LINE for line in lines):
        return [], None  # the common case, without computing the fences
    markers = [
        index
        for index, (line, in_code) in enumerate(zip(lines, fenced_lines(lines), strict=False))
        if not in_code and line.strip() == QUOTE_LINE
    ]
    boxes: list[QuoteBox] = []
    position = 0
    while position < len(markers):
        if position + 1 == len(markers):
            return boxes, markers[position]
        start, middle = markers[position], markers[position + 1]
        following = markers[position + 2] if position + 2 < len(markers) else None
        # A source sits right under the quote: no blank line before its closing `(Q)`.
        if following is not None and _is_source(lines[middle + 1 : following]):
            boxes.append(QuoteBox(start, middle, following))
            position += 3
        else:
            boxes.append(QuoteBox(start, middle, middle))
            position += 2
    return boxes, None


def _is_source(lines: list[str]) -> bool:
    return bool(lines) and all(line.strip() for line in lines)


def _line_of(lines: list[str], needle: str, first: int) -> int:
    for number, line in enumerate(lines, first):
        if needle in line:
            return number
    return first
