"""Pygments highlighting with CSS classes, keeping cloze and type-in markers intact.

Markers are taken out of the code before lexing, so the lexer sees real code, and
put back between tokens afterwards, so `{{c1::…}}` never lands inside a token's
<span> and Anki's cloze spans wrap whole highlighted tokens.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from io import StringIO
from itertools import chain

from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.styles import get_style_by_name
from pygments.token import Token, _TokenType

from ..syntax import languages
from ..syntax.grammar import CODE_MARKER_RE
from . import colours

CSS_CLASS = "highlight"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
DARK_SELECTORS = (".nightMode", ".night_mode")
# The highlighted-line band (`hl_lines`) stays this close to the code's background, so
# that every token colour can reach 4.5:1 on both (github-dark's #6e7681 band was 4.2:1
# from its background and left its red keywords at 1.8:1).
BAND_CONTRAST = 1.6

# Two private-use characters stand around a marker's number while Pygments formats:
# they are emitted as plain text (no <span>) and never escaped. The first two that the
# code does not hold are taken (icon fonts use this range too), so they never meet the
# code's own text; then the private planes, then any character past the BMP: a block
# would need a million different characters to hold them all.
PLACEHOLDER_CHARACTERS = (
    range(0xE000, 0xF900),
    range(0xF0000, 0x110000),
    range(0x10000, 0xF0000),
)

TokenStream = list[tuple[_TokenType, str]]


@dataclass
class Highlighted:
    html: str
    known_language: bool


@dataclass
class _Markers:
    """Code with its markers removed, and what goes back at which offset."""

    code: str = ""
    inserts: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, html


def highlight(
    code: str,
    language: str | None,
    hl_lines: list[int] | None = None,
    linenums: int | None = None,
    literal: bool = False,
) -> Highlighted:
    """Highlight code as HTML with CSS classes; unknown languages become plain text.

    `literal` code (a notebook's code cells, outputs) has no markers: its braces are
    shown as they are and escaped so Anki's cloze syntax cannot see them either.
    """
    language = languages.canonical(language or "")
    lexer, known = languages.lexer(language)
    markers = _Markers(code) if literal else _take_markers(code)
    tokens = _tokens(lexer, markers.code)
    formatter = _formatter(tuple(hl_lines or ()), linenums or 0, language if known else "text")
    if markers.inserts:
        placeholder = Placeholder.for_code(code)
        tokens = _with_markers(tokens, markers.inserts, placeholder)
        formatted = placeholder.restore(_format(formatter, tokens), markers.inserts)
    else:
        formatted = _format(formatter, tokens)
    return Highlighted(formatted.replace("{", "&#123;") if literal else formatted, known)


def stylesheet(light_style: str = LIGHT_STYLE, dark_style: str = DARK_STYLE) -> str:
    """Light rules for `.highlight`, dark rules under Anki's night-mode classes."""
    light: HtmlFormatter[str] = HtmlFormatter(style=light_style, cssclass=CSS_CLASS)
    dark: HtmlFormatter[str] = HtmlFormatter(style=dark_style, cssclass=CSS_CLASS)
    dark_prefixes = [f"{mode} .{CSS_CLASS}" for mode in DARK_SELECTORS]
    rules = [
        _readable(
            _scoped(str(light.get_style_defs(f".{CSS_CLASS}")), [f".{CSS_CLASS}"]),  # type: ignore[no-untyped-call]
            light_style,
        ),
        _readable(
            _scoped(str(dark.get_style_defs(dark_prefixes)), dark_prefixes),  # type: ignore[no-untyped-call]
            dark_style,
        ),
    ]
    return "\n".join(rules)


COLOUR_RE = re.compile(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})\b")
OWN_BACKGROUND_RE = re.compile(r"background-color: (#[0-9a-fA-F]{3,6})\b")


def _readable(css: str, style_name: str) -> str:
    """The style's rules with every text colour made to reach 4.5:1 where it is shown.

    A colour is kept when it does; else it is made lighter or darker in its own hue (see
    colours.readable). Text is shown on the code's background and on the band of the
    highlighted lines (made subtler when it is too far from the background), or on its
    rule's own background. Line numbers get a colour of their own, half way between the
    text and the background, instead of inheriting the text's.
    """
    style = get_style_by_name(style_name)
    background = colours.parse(style.background_color)
    band = colours.subdued(colours.parse(style.highlight_color), background, BAND_CONTRAST)
    found = re.search(r"^\S.*\.highlight \{[^}]*(?<![-\w])color: (#\w+)", css, re.MULTILINE)
    text = (
        colours.parse(found.group(1))
        if found
        else ((1.0, 1.0, 1.0) if colours.is_dark(background) else (0.0, 0.0, 0.0))
    )
    lines = []
    for line in css.splitlines():
        selector, brace, body = line.partition(" {")
        if brace:
            if selector.endswith(".hll"):
                body = colours.HEX_RE.sub(colours.to_hex(band), body)
            if selector.endswith(".err"):  # style.css shows lexing errors as plain code
                body = OWN_BACKGROUND_RE.sub("background-color: transparent", body)
            if ".linenos" in selector and "special" not in selector:
                muted = colours.to_hex(colours.mix(background, text, 0.5))
                body = body.replace("color: inherit", f"color: {muted}")
            own = OWN_BACKGROUND_RE.search(body)
            behind = [colours.parse(own.group(1))] if own else [background, band]
            body = COLOUR_RE.sub(partial(_readable_colour, behind=behind), body)
            line = selector + brace + body
        lines.append(line)
    return "\n".join(lines)


def _readable_colour(found: re.Match[str], behind: list[colours.RGB]) -> str:
    colour = found.group(1)
    rgb = colours.parse(colour)
    better = colours.readable(rgb, behind)
    return "color: " + (colour if better == rgb else colours.to_hex(better))


def _scoped(css: str, prefixes: list[str]) -> str:
    """Put Pygments' unprefixed rules (`pre`, line numbers) under the prefixes too.

    Pygments emits them bare; the dark ones, coming last, would paint light-mode line
    numbers on the dark theme's near-black background.
    """
    lines = []
    for line in css.splitlines():
        selector, brace, body = line.partition(" {")
        if brace and not selector.startswith(tuple(prefixes)):
            line = ", ".join(f"{prefix} {selector}" for prefix in prefixes) + brace + body
        lines.append(line)
    return "\n".join(lines)


@lru_cache(maxsize=64)
def _formatter(hl_lines: tuple[int, ...], linenums: int, language: str) -> HtmlFormatter[str]:
    return HtmlFormatter(
        cssclass=f"{CSS_CLASS} language-{language or 'text'}",
        hl_lines=list(hl_lines),
        linenos="inline" if linenums else False,
        linenostart=linenums or 1,
        wrapcode=True,
    )


def _take_markers(code: str) -> _Markers:
    """Remove cloze delimiters (content stays code) and type-in boxes (answer stays code)."""
    result = _Markers()
    pieces: list[str] = []
    position, length, depth = 0, 0, 0
    for match in CODE_MARKER_RE.finditer(code):
        if match.group("close") and depth == 0:
            continue  # a `}}` of the code itself, not a cloze end
        pieces.append(code[position : match.start()])
        length += match.start() - position
        position = match.end()
        if match.group("typein"):
            answer = match.group("answer")
            box = f'<span class="at-typein">{html.escape(answer)}</span>'
            result.inserts.append((length, length + len(answer), box))
            pieces.append(answer)
            length += len(answer)
        else:
            depth += 1 if match.group("open") else -1
            result.inserts.append((length, length, html.escape(match.group(0), quote=False)))
    pieces.append(code[position:])
    result.code = "".join(pieces)
    return result


def _tokens(lexer: Lexer, code: str) -> TokenStream:
    return list(lexer.get_tokens(code))


@dataclass(frozen=True)
class Placeholder:
    """Stands for marker number N in the token stream: `start N end`."""

    start: str
    end: str

    @classmethod
    def for_code(cls, code: str) -> Placeholder:
        held = set(code)  # `in code` for each candidate would scan the code each time
        candidates = map(chr, chain.from_iterable(PLACEHOLDER_CHARACTERS))
        free = (character for character in candidates if character not in held)
        return cls(next(free), next(free))

    def text(self, index: int) -> str:
        return f"{self.start}{index}{self.end}"

    def pattern(self) -> re.Pattern[str]:
        return _placeholder_re(self.start, self.end)

    def restore(self, formatted: str, inserts: list[tuple[int, int, str]]) -> str:
        return self.pattern().sub(lambda m: inserts[int(m.group(1))][2], formatted)


@lru_cache(maxsize=16)
def _placeholder_re(start: str, end: str) -> re.Pattern[str]:
    return re.compile(f"{re.escape(start)}(\\d+){re.escape(end)}")


def _with_markers(
    tokens: TokenStream, inserts: list[tuple[int, int, str]], placeholder: Placeholder
) -> TokenStream:
    """Split tokens at marker offsets and put placeholders there as plain text."""
    at: dict[int, list[int]] = {}
    for index, (start, _, _) in enumerate(inserts):
        at.setdefault(start, []).append(index)
    cuts = sorted({offset for start, end, _ in inserts for offset in (start, end)})
    result: TokenStream = []
    offset, next_cut = 0, 0
    for kind, value in tokens:
        while next_cut < len(cuts) and cuts[next_cut] <= offset:
            next_cut += 1
        inner = []
        while next_cut < len(cuts) and cuts[next_cut] < offset + len(value):
            inner.append(cuts[next_cut] - offset)
            next_cut += 1
        for piece_start, piece_end in zip([0, *inner], [*inner, len(value)], strict=False):
            for index in at.get(offset + piece_start, ()):
                result.append((Token.Text, placeholder.text(index)))
            result.append((kind, value[piece_start:piece_end]))
        offset += len(value)
    for index in at.get(offset, ()):
        result.append((Token.Text, placeholder.text(index)))
    return _drop_replaced(result, inserts, placeholder)


def _drop_replaced(
    tokens: TokenStream, inserts: list[tuple[int, int, str]], placeholder: Placeholder
) -> TokenStream:
    """Type-in answers are replaced by their box: drop the code the box stands for."""
    result: TokenStream = []
    skip_until, offset = -1, 0
    starts = {s: e for s, e, _ in inserts if e > s}
    pattern = placeholder.pattern()
    for kind, value in tokens:
        found = pattern.fullmatch(value)
        if found:
            result.append((kind, value))
            start = inserts[int(found.group(1))][0]
            skip_until = starts.get(start, skip_until)
            continue
        if offset >= skip_until:
            result.append((kind, value))
        offset += len(value)
    return result


def _format(formatter: HtmlFormatter[str], tokens: TokenStream) -> str:
    out = StringIO()
    formatter.format(iter(tokens), out)
    return out.getvalue()
