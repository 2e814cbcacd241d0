"""The card body, shared by Markdown notes and notebook cells, judged on tokens.

A body's block tokens are split at separator tokens (`-`, `-h`, `-i`) into front,
back and hint `Part`s; `scan` reads a part's tokens for cloze and type-in markers
and for markers left unbalanced. Markers inside code, math and raw HTML are judged
by what holds them: code keeps its clozes and boxes, math its braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it.token import Token
from markdown_it.utils import EnvType

from .. import limits
from ..errors import Problems
from ..notes import EMPTY, NO_MARKERS, Kind, Markers, Note, Part, Source
from ..sanitize import HtmlNesting, sanitize
from . import engine, grammar, options
from .budget import TokenBudget

# Markers left in text after the inline rules took what was balanced.
TEXT_MARKER_RE = re.compile(
    r"(?P<typein>\{\{\{|\}\}\})|(?P<open>\{\{c(?P<number>\d+)::)|(?P<close>(?:::[^:{}\n]*)?\}\})"
)
MATH_TOKENS = {"math_inline", "math_inline_double", "math_block", "amsmath"}
TOO_DEEP = (
    f"lists and quotes nest too deep here: a block may sit inside at most "
    f"{limits.MARKDOWN_MAX_NESTING} others (each list, list item and quote counts one), "
    "and deeper ones would be lost"
)
CELL = "at_cell"  # token.meta key: the notebook cell a block token came from (`in_cell`)
HTML_TOO_DEEP = (
    f"raw HTML nests too deep here: more than {limits.HTML_MAX_NESTING} elements open "
    "at once (tags never closed count as open)"
)


@dataclass(frozen=True)
class Body:
    """A body split at its separator lines."""

    front: Part
    back: Part
    hint: Part
    image: bool  # a `-i` line: the back replaces the front when flipped
    split: bool  # a `-` or `-i` line was present
    separated: bool = False  # any separator line (`-`, `-h`, `-i`) was present

    @property
    def has_card_markup(self) -> bool:
        """Is this text written as a card? A separator line, or cloze or type-in markers
        on its front. Notebooks' `marked` and `auto` cell modes ask this (with the
        card/front/back cell tags); plain prose has none of it."""
        return self.separated or has_markers(self.front)


def split_body(
    tokens: list[Token],
    lines: list[str],
    span: tuple[int, int],
    env: EnvType,
    source: Source,
    problems: Problems,
    finished: bool = False,
) -> Body:
    """Split a body (block tokens of `lines[span[0]:span[1]]`) at its separators; the
    parts' inline parse runs here unless the source's was `finished` at once."""
    parts: dict[str, list[tuple[int, int, list[Token]]]] = {"front": [], "back": [], "hint": []}
    seen: dict[str, int] = {}
    current, start, chunk = "front", span[0], []
    image = False
    for token in tokens:
        if token.type != "card_separator" or token.level != 0:
            chunk.append(token)
            continue
        line = token.map[0] if token.map else start
        parts[current].append((start, line, chunk))
        target = grammar.SEPARATORS[token.markup]
        if target in seen:
            problems.error(
                source.at_line(line + 1),
                f"second '{token.markup}' line in one card (the first is on line {seen[target]})",
            )
        seen[target] = line + 1
        image = image or token.markup == "-i"
        current, start, chunk = target, line + 1, []
    parts[current].append((start, span[1], chunk))
    made = {name: _part(pieces, lines, None if finished else env) for name, pieces in parts.items()}
    return Body(made["front"], made["back"], made["hint"], image, "back" in seen, bool(seen))


def _part(
    pieces: list[tuple[int, int, list[Token]]], lines: list[str], env: EnvType | None
) -> Part:
    """The lines and tokens of one part (a second separator of a kind appends to it)."""
    texts, tokens, first = [], [], None
    for start, end, chunk in pieces:
        text = "\n".join(lines[start:end])
        stripped = text.strip("\n")
        if stripped:
            first = first or start + 1 + len(text) - len(text.lstrip("\n"))
            texts.append(stripped)
        tokens += chunk
    if not texts:
        return EMPTY
    return scanned("\n".join(texts), first, tokens if env is None else engine.finish(tokens, env))


def text_part(text: str, line: int | None = None, limit: TokenBudget | None = None) -> Part:
    """A part from Markdown that comes with no parse of its own (generated code fences);
    `limit` is its source's token budget."""
    if not text.strip():
        return EMPTY
    return scanned(text, line, engine.parse(text, limit))


def heading_part(heading: Token, line: int, env: EnvType | None) -> Part:
    """A heading's inline token as a paragraph: the front of a card. With `env`, its
    inline parse runs here; without, the source's already ran."""
    opening = Token("paragraph_open", "p", 1, map=[line - 1, line], block=True)
    closing = Token("paragraph_close", "p", -1, block=True)
    tokens = [opening, heading, closing]
    return scanned(heading.content, line, tokens if env is None else engine.finish(tokens, env))


def join(*parts: Part) -> Part:
    """Parts one after the other, as one field."""
    filled = [part for part in parts if part.text.strip()]
    if not filled:
        return EMPTY
    if len(filled) == 1:
        return filled[0]
    text = "\n\n".join(part.text for part in filled)
    tokens = tuple(token for part in filled for token in part.tokens)
    markers = Markers(
        frozenset().union(*(part.markers.clozes for part in filled)),
        any(part.markers.typein for part in filled),
        tuple(problem for part in filled for problem in part.markers.problems),
    )
    return Part(text, filled[0].line, tokens, markers)


def scanned(text: str, line: int | None, tokens: list[Token]) -> Part:
    """A part with its markers read once, as it is made."""
    return Part(text, line, tuple(tokens), scan(tokens, line))


def parts_of(note: Note) -> tuple[Part, Part, Part]:
    """A note's parsed fields; a note made in code is parsed here."""
    if note.parts is not None:
        return note.parts
    return (text_part(note.front), text_part(note.back), text_part(note.hint))


# --- markers --------------------------------------------------------------------------


@dataclass
class Walk:
    """What `scan` has found so far in a part's tokens."""

    clozes: set[int] = field(default_factory=set)
    typein: bool = False
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    depth: int = 0  # clozes open at this point of the walk
    opened: tuple[int | None, str] | None = None  # where the outermost open cloze began
    too_deep: bool = False  # blocks nested past what markdown-it parses
    html: HtmlNesting = field(default_factory=lambda: HtmlNesting(limits.HTML_MAX_NESTING))


def scan(tokens: list[Token], first_line: int | None) -> Markers:
    """Walk a part's tokens in order; marks math inside a cloze for the renderer."""
    markers = Walk()
    for token in tokens:
        line = token.map[0] + 1 if token.map else first_line
        if token.nesting == 1 and token.level > limits.MARKDOWN_MAX_NESTING:
            _nested_too_deep(line, markers)
        if token.type == "inline":
            _scan_inline(token, line, markers)
        elif token.type == "fence":
            if not options.fence_info(token.info).literal:
                _scan_code(token.content, line + 1 if line else None, markers)  # under the ```
        elif token.type == "code_block":
            _scan_code(token.content, line, markers)
        elif token.type == "html_block":
            _scan_html(token.content, line, markers)
        elif token.type in MATH_TOKENS:
            _scan_math(token, line, markers)
    if markers.depth and markers.opened:
        where, opening = markers.opened
        markers.problems.append((where, f"unbalanced cloze '{opening}': no '}}}}'"))
    if not (markers.clozes or markers.typein or markers.problems):
        return NO_MARKERS
    return Markers(frozenset(markers.clozes), markers.typein, tuple(markers.problems))


def _scan_inline(inline: Token, line: int | None, markers: Walk) -> None:
    """The children in order; a line break child moves to the next source line."""
    spoiler_at: int | None = None
    for child in inline.children or ():
        if child.type in ("softbreak", "hardbreak"):
            line = line + 1 if line else None
        elif child.type == "text":
            _scan_text(child.content, line, markers)
            if grammar.SPOILER in child.content and spoiler_at is None:
                spoiler_at = line or 0
        elif child.type == "code_inline":
            _scan_code(child.content, line, markers)
        elif child.type == "html_inline":
            _html_nesting(child.content, line, markers)
        elif child.type == "typein":
            markers.typein = True
        elif child.type in MATH_TOKENS:
            _scan_math(child, line, markers)
    first = inline.map[0] + 1 if inline.map else None
    if grammar.QUOTE_LINE in inline.content:
        for offset, text in enumerate(inline.content.split("\n")):
            if text.strip() == grammar.QUOTE_LINE:
                at = first + offset if first else None
                markers.problems.append((at, "unbalanced quote box '(Q)': no closing '(Q)'"))
                break
    if spoiler_at is not None:
        at = spoiler_at or None
        markers.problems.append((at, "unbalanced spoiler '(S)': no closing '(S)'"))


def _scan_text(text: str, line: int | None, markers: Walk) -> None:
    if "{" not in text and "}" not in text:
        return  # most text
    position = 0
    while match := TEXT_MARKER_RE.search(text, position):
        position = match.end()
        if match.group("open"):
            _open(markers, cloze_number(match.group("number")), line, match.group("open"))
        elif match.group("close") and markers.depth:
            markers.depth -= 1
        elif match.group(0) == "}}}" and markers.depth:
            # `{{c1::a {{c2::b}}}}`: the `}}` of a cloze, then whatever follows it.
            markers.depth -= 1
            position = match.start() + 2
        elif match.group("typein"):
            message = f"unbalanced type-in '{match.group(0)}': close it on the same line"
            markers.problems.append((line, message))


def _scan_code(code: str, line: int | None, markers: Walk) -> None:
    """In code a `}}` only closes an open cloze; `{{{…}}}` is a box."""
    counted, newlines = 0, 0  # lines counted once, up to the last cloze opened
    for match in grammar.CODE_MARKER_RE.finditer(code):
        if match.group("typein"):
            markers.typein = True
        elif match.group("open"):
            number = grammar.CLOZE_OPEN_RE.match(match.group("open"))
            newlines += code.count("\n", counted, match.start())
            counted = match.start()
            at = line + newlines if line else None
            _open(markers, cloze_number(number.group(1)) if number else 1, at, match.group("open"))
        elif markers.depth:
            markers.depth -= 1


def _scan_html(html: str, line: int | None, markers: Walk) -> None:
    """Raw HTML is no Markdown: a `{{{…}}}` in it shows as it is, no box; and a cloze
    counts only where the sanitizer leaves it (not in a comment or a script)."""
    _html_nesting(html, line, markers)
    if "{{c" in html and not markers.html.passed:  # too deep to sanitize in good time
        _scan_code(grammar.TYPE_IN_RE.sub("", sanitize(html)), line, markers)


def _html_nesting(html: str, line: int | None, markers: Walk) -> None:
    offset = markers.html.passes_limit(html)
    if offset is not None:
        at = line + html.count("\n", 0, offset) if line else None
        markers.problems.append((at, HTML_TOO_DEEP))


def _nested_too_deep(line: int | None, markers: Walk) -> None:
    if not markers.too_deep:
        markers.too_deep = True
        markers.problems.append((line, TOO_DEEP))


def _scan_math(token: Token, line: int | None, markers: Walk) -> None:
    """Braces in math are math; a cloze Anki reads inside MathJax still counts."""
    if markers.depth and not grammar.CLOZE_OPEN_RE.search(token.content):
        token.meta[engine.IN_CLOZE] = True
        return
    _scan_code(grammar.TYPE_IN_RE.sub("", token.content), line, markers)


def cloze_number(digits: str) -> int:
    """A cloze's number as Anki reads it; any number too long for Anki is one past its
    last (Python refuses to convert more than 4,300 digits)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(limits.CLOZE_NUMBER_MAX)):
        return limits.CLOZE_NUMBER_MAX + 1
    return int(digits)


def _open(markers: Walk, number: int, line: int | None, opening: str) -> None:
    if not markers.depth:
        markers.opened = (line, opening)
    markers.depth += 1
    markers.clozes.add(number)


def in_cell(part: Part, cell: int) -> Part:
    """Mark a part's tokens as a notebook cell's: a card may join several cells, and a
    message about a token names the cell it came from, not the card's first."""
    for token in part.tokens:
        token.meta[CELL] = cell
    return part


def at(source: Source, token: Token | None = None, line: int | None = None) -> Source:
    """Where a token of a card stands: its cell (see `in_cell`; else the card's) and
    `line`, or the token's first line, or the card's."""
    cell = token.meta.get(CELL, source.cell) if token is not None and token.meta else source.cell
    if line is None and token is not None and token.map:
        line = token.map[0] + 1
    return Source(source.path, line or source.line, cell)


def start_of(part: Part, source: Source) -> Source:
    """Where a part starts: its first token with a line, else its own first line."""
    token = next((token for token in part.tokens if token.map), None)
    if token is not None:
        return at(source, token)
    return at(source, part.tokens[0] if part.tokens else None, part.line)


def place_of(part: Part, needle: str, source: Source) -> Source | None:
    """Where the first token of a part that mentions `needle` (an image path) stands,
    from the tokens' own lines; None when no token does."""
    for token in part.tokens:
        line = token.map[0] + 1 if token.map else None
        if _is_html(token) and needle in token.content and line is not None:
            under = 1 if token.type == "fence" else 0  # a fence's content starts under it
            before = token.content[: token.content.index(needle)]
            return at(source, token, line + under + before.count("\n"))
        for child in token.children or () if token.type == "inline" else ():
            if child.type in ("softbreak", "hardbreak"):
                line = line + 1 if line else None
            elif _mentions(child, needle):
                return at(source, token, line)
    return None


def place_in_text(part: Part, needle: str, source: Source) -> Source | None:
    """Where `needle` (a cloze marker, a TeX command) is written in a part, from the
    tokens' own lines: in a block's content or an inline child's."""
    for token in part.tokens:
        line = token.map[0] + 1 if token.map else None
        if token.type != "inline":
            if line is not None and needle in token.content:
                under = 1 if token.type == "fence" else 0  # a fence's content starts under it
                before = token.content[: token.content.index(needle)]
                return at(source, token, line + under + before.count("\n"))
            continue
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line = line + 1 if line else None
            elif line is not None and needle in child.content:
                before = child.content[: child.content.index(needle)]
                return at(source, token, line + before.count("\n"))
    return None


def _is_html(token: Token) -> bool:
    """Raw HTML: a block of it, or a notebook's HTML output (a fence of raw HTML)."""
    if token.type == "fence":
        return options.fence_info(token.info).language == options.RAW_HTML
    return token.type == "html_block"


def _mentions(child: Token, needle: str) -> bool:
    if child.type == "image":
        return child.attrGet("src") == needle
    return child.type == "html_inline" and needle in child.content


def check(parts: tuple[Part, ...], source: Source, problems: Problems) -> None:
    """Report markers left unbalanced, each kind once per card."""
    reported: set[str] = set()
    for part in parts:
        for line, message in part.markers.problems:
            kind = message.split("'")[0]
            if kind not in reported:
                reported.add(kind)
                problems.error(source.at_line(line) if line else source, message)


def has_markers(*parts: Part) -> bool:
    return any(part.markers.clozes or part.markers.typein for part in parts)


def markers_place(parts: tuple[Part, ...], source: Source) -> Source:
    """Where the first part with markers has its first cloze (or else where it starts):
    for a message about markers out of place."""
    for part in parts:
        if has_markers(part):
            return place_in_text(part, "{{c", source) or start_of(part, source)
    return source


def cloze_numbers(part: Part) -> frozenset[int]:
    return part.markers.clozes


def card_count(note: Note, question: Part | None = None) -> int:
    """How many cards Anki makes of the note: one per cloze number, two reversed.
    `question`: the note's first part, when the caller has parsed it already."""
    if note.kind is Kind.REVERSED:
        return 2
    if note.kind is Kind.CLOZE:
        return len(cloze_numbers(question if question is not None else parts_of(note)[0])) or 1
    return 1


def kind_of(question: Part, image: bool, reverse: bool) -> Kind:
    """The note type a card needs: markers in its question first, then `-i`, then reverse."""
    markers = question.markers
    if markers.clozes:
        return Kind.CLOZE
    if markers.typein:
        return Kind.TYPE_IN
    if image:
        return Kind.IMAGE
    return Kind.REVERSED if reverse else Kind.BASIC
