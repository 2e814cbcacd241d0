"""The one Markdown engine: markdown-it-py with CommonMark + GFM and the card grammar.

A source is parsed in two steps so that it is parsed once: `parse_blocks` reads a
whole file (or notebook cell) into block tokens, which the parsers split into cards
and fields; `finish` then runs the inline rules over one field's tokens. `render`
turns finished tokens into HTML (not yet sanitized: render.py does that).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.gfm import gfm_plugin

from .. import limits
from . import budget, grammar, obsidian
from .budget import TokenBudget
from .options import MATH_FENCE, RAW_HTML, FenceInfo, fence_info

# (code, fence info, its token: for the place of a message) → HTML of the highlighted
# block; render.py provides it
CodeRenderer = Callable[[str, FenceInfo, Token], str]
CODE_RENDERER = "at_render_code"  # env keys
CODE_LANGUAGE = "at_code_language"  # language of indented code (a notebook's kernel)
DOUBLED_RE = re.compile(r"([}:])(?=\1)")  # each `}` or `:` followed by another
# markdown-it drops what lies inside a block opened at level maxNesting - 1: that is the
# first level body.scan refuses (MARKDOWN_MAX_NESTING + 1), so nothing is lost unseen.
MAX_NESTING = limits.MARKDOWN_MAX_NESTING + 2
IN_CLOZE = "in_cloze"  # token.meta key: math inside a cloze (set by body.scan)
MATH = {
    "math_inline": ('<span class="arithmatex">\\(', "\\)</span>"),
    "math_inline_double": ('<span class="arithmatex">\\[', "\\]</span>"),
    "math_block": ('<div class="arithmatex">\\[', "\\]</div>\n"),
    "amsmath": ('<div class="arithmatex">\\[', "\\]</div>\n"),
}


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """CommonMark + GFM (tables, strikethrough, autolinks, task lists, alerts, footnotes),
    definition lists, dollar math, and the card grammar; raw HTML on (sanitized later)."""
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})
    # A `javascript:` link keeps its text: the sanitizer drops the target, as for raw HTML.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.use(gfm_plugin)
    # `$5 and $10` stay prices: no digit or space may sit inside the dollars.
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.use(amsmath_plugin)
    md.use(deflist_plugin)
    md.use(obsidian.obsidian_plugin)
    md.use(grammar.card_grammar_plugin)
    md.use(budget.token_budget_plugin)
    for name in MATH:
        md.add_render_rule(name, _math)
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_block", _code_block)
    md.add_render_rule("code_inline", _code_inline)
    md.add_render_rule("typein", _typein)
    md.add_render_rule("list_item_open", _list_item_open)
    # Fields are split at separators; one left in a field (a notebook cell that joins
    # another card) is only a boundary.
    md.add_render_rule("card_separator", lambda self, tokens, idx, options, env: "")
    for name, opening in CONTAINERS.items():
        md.add_render_rule(f"{name}_open", _opener(opening))
        md.add_render_rule(f"{name}_close", _closer(name))
    return md


def parse_blocks(text: str, limit: TokenBudget | None = None) -> tuple[list[Token], EnvType]:
    """Block tokens of a whole source; inline content is parsed later, field by field.
    With a `limit` (the source's), parsing raises budget.TooLarge when it is spent."""
    md = markdown()
    state = StateCore(text, md, {budget.BUDGET: limit} if limit is not None else {})
    for rule in _core_rules(before_inline=True):
        rule(state)
    budget.spend_blocks(state.tokens, state.env)
    return state.tokens, state.env


def finish(tokens: list[Token], env: EnvType) -> list[Token]:
    """Run the inline rules (and footnotes) over one field's block tokens."""
    md = markdown()
    footnotes = {
        ":" + token.meta["label"]: -1 for token in tokens if token.type == "footnote_reference_open"
    }
    # Links may use any reference of the source, as on GitHub; footnotes stay in the field.
    field_env: EnvType = {"references": env.get("references", {})}
    if budget.BUDGET in env:
        field_env[budget.BUDGET] = env[budget.BUDGET]
    if footnotes:
        field_env["footnotes"] = {"refs": footnotes, "list": {}}
    state = StateCore("", md, field_env, list(tokens))
    for rule in _core_rules(before_inline=False):
        rule(state)
    return state.tokens


def finish_source(tokens: list[Token], env: EnvType) -> bool:
    """Run the inline rules over a whole source at once (in place) and say so; not when
    it has footnotes, which each field lists on its own (then `finish` each field)."""
    if "footnotes" in env:
        return False
    finish(tokens, env)
    return True


def parse(text: str, limit: TokenBudget | None = None) -> list[Token]:
    """A text with no source around it (a notebook's generated code fence)."""
    tokens, env = parse_blocks(text, limit)
    return finish(tokens, env)


def render(
    tokens: Sequence[Token],
    render_code: CodeRenderer,
    code_language: str | None,
    field_id: str | None = None,
    notice: Callable[[str, str], None] | None = None,
) -> str:
    """HTML of finished tokens; `field_id` keeps footnote ids of two fields apart
    (the back of a card shows the front too); `notice(markup, message)` hears of
    Markdown shown other than written (an Obsidian note embed)."""
    md = markdown()
    env: EnvType = {CODE_RENDERER: render_code, CODE_LANGUAGE: code_language}
    if notice is not None:
        env[obsidian.NOTICE] = notice
    if field_id:
        env["docId"] = field_id  # the footnote plugin's prefix for its ids
    return str(md.renderer.render(tokens, md.options, env))


def render_inline(text: str) -> str:
    """One line of inline Markdown (a heading shown above a card's front)."""
    return str(markdown().renderInline(text))


@lru_cache(maxsize=2)
def _core_rules(before_inline: bool) -> tuple[Callable[[StateCore], None], ...]:
    rules = markdown().core.ruler.__rules__
    names = [rule.name for rule in rules if rule.enabled]
    split = names.index("block") + 1
    chosen = names[:split] if before_inline else names[split:]
    return tuple(rule.fn for rule in rules if rule.name in chosen)


# --- rendering our tokens ----------------------------------------------------------------

CONTAINERS = {
    "quote_box": '<div class="at-quote">\n',
    "quote_source": '<div class="at-quote-source">\n',
    "spoiler": '<span class="at-spoiler">',
}
Rule = Callable[[Any, Sequence[Token], int, OptionsDict, EnvType], str]


def _opener(markup: str) -> Rule:
    return lambda self, tokens, idx, options, env: markup


def _closer(name: str) -> Rule:
    closing = "</span>" if name == "spoiler" else "</div>\n"
    return lambda self, tokens, idx, options, env: closing


def _math(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    content = token.content.strip("\n") if token.type == "math_block" else token.content
    if token.meta.get(IN_CLOZE):
        # Anki ends a cloze at the first `}}` and takes `::` for its hint: in math mode
        # spaces are not shown, so `} }` and `: :` typeset the same and keep the cloze whole.
        content = DOUBLED_RE.sub(r"\1 ", content)
    if token.type == "math_block":
        return _display_math(content)
    opening, closing = MATH[token.type]
    return f"{opening}{html.escape(content, quote=False)}{closing}"


def _display_math(content: str) -> str:
    """`$$` on lines of their own, or a ```math fence: `\\[` and `\\]` on lines of theirs."""
    opening, closing = MATH["math_block"]
    return f"{opening}\n{html.escape(content, quote=False)}\n{closing}"


def _fence(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    info = fence_info(token.info)
    if info.language == RAW_HTML:  # an output's HTML: its own box, no newline added
        return str(env[CODE_RENDERER](token.content, info, token))
    if info.language == MATH_FENCE:
        return _display_math(token.content.strip("\n"))
    return str(env[CODE_RENDERER](token.content, info, token)) + "\n"


def _code_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    info = FenceInfo(env.get(CODE_LANGUAGE))
    return str(env[CODE_RENDERER](token.content, info, token)) + "\n"


def _code_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Inline code; a type-in box inside it still becomes a box."""
    escaped = html.escape(tokens[idx].content, quote=False)
    boxed = grammar.TYPE_IN_RE.sub(r'<span class="at-typein">\1</span>', escaped)
    return f"<code>{boxed}</code>"


def _typein(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return f'<span class="at-typein">{html.escape(tokens[idx].content, quote=False)}</span>'


def _list_item_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A task list item shows a checkbox glyph: the sanitizer keeps no <input>."""
    token = tokens[idx]
    result = str(self.renderToken(tokens, idx, options, env))
    if token.meta and "checked" in token.meta:
        done = token.meta["checked"]
        glyph = '<span class="at-task at-task-done">☑</span> ' if done else None
        result += glyph or '<span class="at-task">☐</span> '
    return result
