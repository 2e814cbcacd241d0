"""The card grammar on top of CommonMark + GFM, as markdown-it plugins: one home.

Block level: separator lines (`-`, `-h`, `-i`) and quote boxes (`(Q)`). Inline:
type-in boxes `{{{…}}}`, spoilers `(S)…(S)` and bracket math `\\(…\\)` / `\\[…\\]`
(dollar math is mdit-py-plugins' dollarmath). Cloze markers `{{cN::…}}` need no
rule of their own: they stay text for Anki, and `body.scan` judges them on tokens.
Also here: the marker patterns. Fence options and heading attribute lists are in
options.py.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from weakref import WeakKeyDictionary

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

SEPARATORS = {"-": "back", "-i": "back", "-h": "hint"}
SEPARATOR_LINE_RE = re.compile(r"^(-[hi]?)[ \t]*$", re.MULTILINE)
SEPARATOR_LINES = "at_separator_lines"  # env keys: line indexes of separator candidates
SEPARATOR_SET = "at_separator_set"
HEADING_LINES = "at_heading_lines"  # `#` heading lines at the start of a line
HEADING_LINE_RE = re.compile(r"^#{1,6}(?:[ \t]|$)", re.MULTILINE)
NO_LINE = 1 << 62
# CommonMark's HTML blocks of kinds 1 to 5, which end at their closing tag, not at a
# blank line.
CLOSED_HTML_RE = re.compile(
    r"<(?:(?:script|pre|style|textarea)(?:[\s>]|$)|!--|\?|![A-Za-z]|!\[CDATA\[)", re.IGNORECASE
)
QUOTE_LINE = "(Q)"
SPOILER = "(S)"
CLOZE_OPEN_RE = re.compile(r"\{\{c(\d+)::")
# One regex finds every marker in code; the groups say which kind it is.
CODE_MARKER_RE = re.compile(
    r"(?P<typein>\{\{\{(?P<answer>.+?)\}\}\})|(?P<open>\{\{c\d+::)|(?P<close>(?:::[^:{}\n]*)?\}\})"
)
TYPE_IN_RE = re.compile(r"\{\{\{(.+?)\}\}\}")
FENCE_RE = re.compile(r"^(`{3,}|~{3,})")
# Rules whose content is code or math: a `-` line inside them is theirs.
# (A quote box stops at a separator itself, skipping the fences inside it.)
# Headings and thematic breaks are one line long: nothing to clip (and no wrapper to pay
# for on every line).
# An Obsidian `%%` comment hides what it holds, separators and headings too.
UNCLIPPED_RULES = {
    *("obsidian_comment", "separator", "fence", "code", "math_block", "amsmath", "quote_box"),
    *("heading", "hr"),
}
BlockRule = Callable[[StateBlock, int, int, bool], bool]


def card_grammar_plugin(md: MarkdownIt) -> None:
    """Register the card grammar; call after every other plugin (it wraps their rules)."""
    md.core.ruler.before("block", "separator_lines", _find_separator_lines)
    md.block.ruler.before(
        "table", "quote_box", _quote_box, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.block.ruler.before("quote_box", "separator", _separator)
    for rule in list(md.block.ruler.__rules__):
        if rule.name not in UNCLIPPED_RULES:
            # An HTML block runs to a blank line: a `#` heading must still start a card.
            clipped = _clipped(rule.fn, at_headings=rule.name == "html_block")
            md.block.ruler.at(rule.name, clipped, {"alt": list(rule.alt)})
    _bound_protocol_autolinks(md)
    _math_yields_to_code(md)
    md.inline.ruler.before("escape", "bracket_math", _bracket_math)
    md.inline.ruler.after("text", "typein", _typein)
    md.inline.ruler.after("typein", "spoiler", _spoiler)
    md.inline.add_terminator_char("(")


# --- separators -------------------------------------------------------------------------


def _find_separator_lines(state: StateCore) -> None:
    """Lines that are exactly `-`, `-h` or `-i`: unless code or math holds them, they are
    separators, so every other block rule stops before them (see `_clipped`)."""
    lines = _line_numbers_of(SEPARATOR_LINE_RE, state.src)
    state.env[SEPARATOR_LINES] = lines
    state.env[SEPARATOR_SET] = set(lines)
    state.env[HEADING_LINES] = _line_numbers_of(HEADING_LINE_RE, state.src)


def _line_numbers_of(pattern: re.Pattern[str], src: str) -> list[int]:
    lines, line, position = [], 0, 0
    for match in pattern.finditer(src):
        line += src.count("\n", position, match.start())
        position = match.start()
        lines.append(line)
    return lines


def _clipped(rule: BlockRule, at_headings: bool) -> BlockRule:
    """The rule with its range ending at the next separator line (and, `at_headings`,
    at the next `#` heading line): no paragraph, setext underline, list item, HTML block
    or container runs across one."""

    def clipped(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        stop = _next_line(state.env.get(SEPARATOR_LINES), start)
        # <pre>, <script>, comments and the like run to their closing tag, headings or not.
        if at_headings and not CLOSED_HTML_RE.match(_line(state, start)):
            stop = min(stop, _next_line(state.env.get(HEADING_LINES), start))
        if stop >= state.lineMax:
            return rule(state, start, end, silent)
        # Some rules (paragraph) read state.lineMax rather than their end line.
        old_max = state.lineMax
        state.lineMax = stop
        try:
            return rule(state, start, min(end, stop), silent)
        finally:
            state.lineMax = old_max

    return clipped


def _next_line(lines: list[int] | None, start: int) -> int:
    """The first listed line after `start` (a huge number when there is none)."""
    if not lines:
        return NO_LINE
    index = bisect_right(lines, start)
    return lines[index] if index < len(lines) else NO_LINE


def _separator(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if start not in state.env.get(SEPARATOR_SET, ()) or state.sCount[start] != 0:
        return False
    if not silent:
        token = state.push("card_separator", "", 0)
        token.markup = _line(state, start).strip()
        token.map = [start, start + 1]
    state.line = start + 1
    return True


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


# --- quote boxes ------------------------------------------------------------------------


def _quote_box(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`(Q)` quote `(Q)` [source `(Q)`]: a box whose parts are Markdown."""
    if not _is_quote_line(state, start):
        return False
    markers = _quote_lines(state, start + 1, end)
    if not markers:
        return False  # unclosed: stays text, and the marker check reports it
    middle = markers[0]
    close = middle
    # A source sits right under the quote: no blank line before its closing `(Q)`.
    if len(markers) > 1 and all(not state.isEmpty(line) for line in range(middle + 1, markers[1])):
        close = markers[1] if markers[1] > middle + 1 else middle
    if silent:
        return True
    box = state.push("quote_box_open", "div", 1)
    box.markup, box.map = QUOTE_LINE, [start, close + 1]
    _blocks(state, start + 1, middle)
    if close > middle:
        state.push("quote_source_open", "div", 1).map = [middle, close + 1]
        _blocks(state, middle + 1, close)
        state.push("quote_source_close", "div", -1)
    state.push("quote_box_close", "div", -1)
    state.line = close + 1
    return True


def _blocks(state: StateBlock, first: int, last: int) -> None:
    """Parse lines first..last-1 as the blocks inside a box."""
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType = "quote_box"
    state.lineMax = last
    state.md.block.tokenize(state, first, last)
    state.parentType, state.lineMax = old_parent, old_max


def _is_quote_line(state: StateBlock, line: int) -> bool:
    return state.sCount[line] - state.blkIndent < 4 and _line(state, line).strip() == QUOTE_LINE


def _quote_lines(state: StateBlock, start: int, end: int) -> list[int]:
    """The next two `(Q)` lines at the nesting of the opening one, skipping fenced code.
    (An opening `(Q)` under a list item, less indented than it, belongs to the level
    above: asked whether it ends the item's paragraph, it must say yes.)"""
    found: list[int] = []
    fence: str | None = None
    indent = min(state.blkIndent, state.sCount[start - 1])
    for line in range(start, end):
        if state.sCount[line] < indent:
            break  # the container the box is in has ended
        text = _line(state, line).strip()
        match = FENCE_RE.match(text)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None if text == match.group(1) else fence
            continue
        if match:
            fence = match.group(1)
        elif line in state.env.get(SEPARATOR_SET, ()) and state.sCount[line] == 0:
            break  # a separator ends the card's part, and any box open in it
        elif _is_quote_line(state, line):
            found.append(line)
            if len(found) == 2:
                break
    return found


# --- inline rules -----------------------------------------------------------------------

# Bounds that keep a long paragraph of unclosed markers linear.
TYPE_IN_LONGEST = 1000
PROTOCOLS = ("http", "https", "mailto", "xmpp")
URL_WINDOW = 4096  # a bare URL longer than this is cut there
PENDING_KEPT = 16  # enough text before a ':' for any protocol name


def _bound_protocol_autolinks(md: MarkdownIt) -> None:
    """GFM's bare-URL rule runs at every `:` and back-scans and copies the whole rest of
    the paragraph, which is quadratic in a long one: try it only after a protocol name,
    and let it see a bounded window."""
    index = md.inline.ruler.__find__("gfm_autolink_protocol")
    rule = md.inline.ruler.__rules__[index]
    scan = rule.fn

    def bounded(state: StateInline, silent: bool) -> bool:
        if not state.pending.endswith(PROTOCOLS):
            return False
        if len(state.pending) > PENDING_KEPT and not silent:
            # The rule searches all pending text: hand the older part on as text now
            # (adjacent text tokens are joined again later).
            tail = state.pending[-PENDING_KEPT:]
            state.pending = state.pending[:-PENDING_KEPT]
            state.pushPending()
            state.pending = tail
        old_max = state.posMax
        state.posMax = min(old_max, state.pos + URL_WINDOW)
        try:
            return scan(state, silent)
        finally:
            state.posMax = old_max

    md.inline.ruler.at(rule.name, bounded, {"alt": list(rule.alt)})


def _typein(state: StateInline, silent: bool) -> bool:
    """`{{{answer}}}` on one line: the answer is compared letter by letter, so it stays text."""
    src, pos = state.src, state.pos
    if not src.startswith("{{{", pos):
        return False
    close = src.find("}}}", pos + 3, min(state.posMax, pos + 3 + TYPE_IN_LONGEST))
    if close <= pos + 3 or "\n" in src[pos + 3 : close]:
        return False
    if not silent:
        token = state.push("typein", "span", 0)
        token.content = src[pos + 3 : close]
        token.markup = "{{{"
    state.pos = close + 3
    return True


def _spoiler(state: StateInline, silent: bool) -> bool:
    """`(S)text(S)` within one paragraph; the text is Markdown."""
    src, pos = state.src, state.pos
    if not src.startswith(SPOILER, pos):
        return False
    close = src.find(SPOILER, pos + 3, state.posMax)
    if close <= pos + 3:
        return False
    if not silent:
        state.push("spoiler_open", "span", 1).markup = SPOILER
        old_max = state.posMax
        state.pos, state.posMax = pos + 3, close
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("spoiler_close", "span", -1).markup = SPOILER
    state.pos = close + 3
    return True


def _math_yields_to_code(md: MarkdownIt) -> None:
    """`$…$` holding a backtick would take a code span apart (``$10; see `$HOME` ``):
    LaTeX has no backticks, so that is no math, except GitHub's `` $`…`$ `` form."""
    index = md.inline.ruler.__find__("math_inline")
    rule = md.inline.ruler.__rules__[index]
    scan = rule.fn

    def yielding(state: StateInline, silent: bool) -> bool:
        start = state.pos
        found = scan(state, silent)
        if not found or silent:
            return found
        token = state.tokens[-1]
        content = token.content
        if "`" not in content:
            return True
        inner = content.strip()
        if len(inner) > 2 and inner[0] == inner[-1] == "`" and "`" not in inner[1:-1]:
            token.content = inner[1:-1]  # GitHub's $`…`$
            return True
        state.tokens.pop()
        state.pos = start
        return False

    md.inline.ruler.at(rule.name, yielding, {"alt": list(rule.alt)})


# Per inline parse: from where on a closing bracket is known to be missing, so a long
# paragraph of unclosed `\(` is searched once, not once per `\(`.
_UNCLOSED: WeakKeyDictionary[StateInline, dict[tuple[str, int], int]] = WeakKeyDictionary()
BRACKETS = {"\\(": ("\\)", "math_inline"), "\\[": ("\\]", "math_inline_double")}


def _bracket_math(state: StateInline, silent: bool) -> bool:
    """`\\(…\\)` and `\\[…\\]` as Anki's MathJax reads them (CommonMark would drop the `\\`)."""
    opening = state.src[state.pos : state.pos + 2]
    if opening not in BRACKETS:
        return False
    closing, kind = BRACKETS[opening]
    unclosed = _UNCLOSED.setdefault(state, {})
    key = (closing, state.posMax)  # a link's text is parsed with a nearer end
    if state.pos >= unclosed.get(key, state.posMax):
        return False  # no closing after an earlier opening: none after this one either
    close = state.src.find(closing, state.pos + 2, state.posMax)
    if close == -1:
        unclosed[key] = state.pos
        return False
    if not silent:
        token = state.push(kind, "math", 0)
        token.content = state.src[state.pos + 2 : close]
        token.markup = opening
    state.pos = close + 2
    return True
