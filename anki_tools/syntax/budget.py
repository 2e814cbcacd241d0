"""How many markdown-it tokens one source may make, as a markdown-it plugin.

A token costs about 300 bytes of memory, and hostile Markdown makes two per byte (a
table of `|a` cells, a line of `*a`), so a 2 MB note could hold more than a gigabyte
while it is parsed. A source's `TokenBudget` rides in the parse's env; the checks below
run as tokens are made (each block rule attempt, each nested block parse, each table
row, each inline rule attempt), so a parse stops within a bounded overshoot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType

from .. import limits

BUDGET = "at_token_budget"  # env key
TOO_MANY = (
    f"too much Markdown in one source: more than {limits.MARKDOWN_MAX_TOKENS:,} elements "
    "(paragraphs, list items, table cells, emphasis, links, …) by this line; split it"
)
MAX_COLUMNS = limits.TABLE_MAX_COLUMNS
HTML_BYTES_PER_TOKEN = 64  # about what a token renders to, for HTML repeated from elsewhere
FOOTNOTE_REFERENCE_COST = 4  # its link, and the back link in the footnotes: ~250 bytes
TOO_WIDE = f"a table of more than {MAX_COLUMNS} columns"


@dataclass
class TokenBudget:
    """The tokens a source may still make: one per file, or one per notebook."""

    left: int = limits.MARKDOWN_MAX_TOKENS


class TooLarge(Exception):
    """Parsing stopped: the source is beyond a limit. `line` is 1-based, in the text
    parsed (None: in an inline parse, which the core rule below places)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def token_budget_plugin(md: MarkdownIt) -> None:
    """Install the checks; call after every other plugin (it wraps the table rule)."""
    # First of the block rules, and a blockquote terminator, which a table asks per row.
    first = md.block.ruler.__rules__[0].name
    md.block.ruler.before(first, "token_budget", _block_check, {"alt": ["blockquote"]})
    # List items, quotes and their like parse their insides here, rules or not.
    md.block.tokenize = _checked_tokenize(md.block.tokenize)  # type: ignore[method-assign]
    md.inline.ruler.before(md.inline.ruler.__rules__[0].name, "token_budget", _inline_check)
    md.core.ruler.at("inline", _inline_pass)
    _bound_table_columns(md)


def spend_blocks(tokens: list[Token], env: EnvType) -> None:
    """Charge a finished block parse to its budget."""
    budget = env.get(BUDGET)
    if budget is not None:
        budget.left -= len(tokens)


# The checks run at every line and every inline position: a dict lookup and a compare.


def _block_check(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    budget = state.env.get(BUDGET)
    if budget is not None and len(state.tokens) > budget.left:
        raise TooLarge(TOO_MANY, start + 1)
    return False


def _checked_tokenize(tokenize: Callable[..., None]) -> Callable[..., None]:
    def checked(state: StateBlock, start: int, end: int, *args: Any) -> None:
        _block_check(state, start, end, False)
        tokenize(state, start, end, *args)

    return checked


def _inline_check(state: StateInline, silent: bool) -> bool:
    budget = state.env.get(BUDGET)
    if budget is not None and len(state.tokens) > budget.left:
        raise TooLarge(TOO_MANY, None)
    return False


def _inline_pass(state: StateCore) -> None:
    """markdown-it's inline pass, charging each inline token's children as it goes."""
    budget = state.env.get(BUDGET)
    for token in state.tokens:
        if token.type != "inline":
            continue
        if token.children is None:
            token.children = []
        try:
            state.md.inline.parse(token.content, state.md, state.env, token.children)
        except TooLarge as error:
            line = token.map[0] + 1 if token.map else None
            raise TooLarge(error.message, line) from None
        if budget is not None:
            budget.left -= len(token.children) + _repeated(token.children, state.env)


def _repeated(children: list[Token], env: EnvType) -> int:
    """What a field's HTML repeats from elsewhere, in tokens' worth (one per 64 bytes):
    a reference link's URL, written once in the source, is in the HTML of each use
    (`[x]` 100,000 times over a 1 MB URL would be 100 GB), and each footnote reference
    brings a back link to the field's footnotes."""
    if not env.get("references") and "footnotes" not in env:
        return 0
    extra = 0
    for child in children:
        if child.type == "footnote_ref":
            extra += FOOTNOTE_REFERENCE_COST
        elif child.type in ("link_open", "image"):
            url = child.attrs.get("href") or child.attrs.get("src") or ""
            extra += len(str(url)) // HTML_BYTES_PER_TOKEN
    return extra


def _bound_table_columns(md: MarkdownIt) -> None:
    """A table row makes three tokens a column before the next check: a header of a
    million `|a` cells would be one row. Refuse a table wider than TABLE_MAX_COLUMNS."""
    index = md.block.ruler.__find__("table")
    rule = md.block.ruler.__rules__[index]
    scan = rule.fn

    def bounded(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        # Cells of the delimiter row (`|---|:-:|`), which has no other `|`, counted
        # only for a long one.
        under = start + 1
        if not silent and under < end:
            row = state.src[state.bMarks[under] : state.eMarks[under]]
            wide = len(row) > MAX_COLUMNS and len(row.strip().strip("|").split("|")) > MAX_COLUMNS
            if wide and scan(state, start, end, True):  # a table, not a paragraph of `|`s
                raise TooLarge(TOO_WIDE, start + 1)
        return scan(state, start, end, silent)

    md.block.ruler.at(rule.name, bounded, {"alt": list(rule.alt)})
