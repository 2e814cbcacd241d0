"""A card's title: one line of plain text, shown in its Source field, kept in the lock
and named in change reports.

Read from the Markdown's tokens, never from the raw text: links are their text, code
spans keep their backticks, math its source, emphasis and HTML are dropped, images are
their alt text, cloze and type-in markers their answer. A title is never empty.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence

import nh3
from markdown_it.token import Token

from . import grammar

LENGTH = 80  # at most, the "…" of a cut title included
CLOZE_MARKER_RE = re.compile(r"\{\{c\d+::(.*?)(?:::[^{}]*)?\}\}")
CODE_TOKENS = {"fence", "code_block", "math_block", "amsmath"}
MATH_DELIMITERS = {"math_inline": "$", "math_inline_double": "$$"}


def title(tokens: Iterable[Token], fallback: str) -> str:
    """The first line of text of finished tokens, cut to LENGTH; `fallback` if none."""
    for line in lines(tokens):
        text = without_markers(line).strip()
        if text:
            return cut(text)
    return fallback


def lines(tokens: Iterable[Token]) -> Iterator[str]:
    """The lines of text of block tokens, in order: prose, then code as written."""
    for token in tokens:
        if token.type == "inline":
            yield from inline_text(token.children or ()).split("\n")
        elif token.type in CODE_TOKENS:
            yield from token.content.split("\n")
        elif token.type == "html_block":
            # Text between the tags; comments, scripts and styles are no text.
            yield from html.unescape(nh3.clean(token.content, tags=set())).split("\n")


def inline_text(children: Sequence[Token]) -> str:
    """What a reader sees of inline tokens, as plain text; a line break is a newline."""
    pieces = []
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            pieces.append("\n")
        elif child.type in ("text", "typein"):
            pieces.append(child.content)
        elif child.type == "code_inline":  # `is` reads as code, not as a word
            pieces.append(f"{child.markup}{child.content}{child.markup}")
        elif child.type in MATH_DELIMITERS:
            delimiter = MATH_DELIMITERS[child.type]
            pieces.append(f"{delimiter}{child.content}{delimiter}")
        elif child.type == "image":
            pieces.append(inline_text(child.children or ()))  # its alt text
        elif child.type in ("wikilink", "note_embed"):  # Obsidian's: the text they show
            pieces.append(str(child.meta["text"]))
        # Anything else (raw HTML, the opening and closing of links and emphasis,
        # footnote references) shows no text of its own.
    return "".join(pieces)


def without_markers(text: str) -> str:
    """Cloze and type-in markers left in text (or code) show their answer."""
    return grammar.TYPE_IN_RE.sub(r"\1", CLOZE_MARKER_RE.sub(r"\1", text))


def cut(text: str) -> str:
    """At most LENGTH characters: a longer text is cut at a word boundary, with "…"."""
    if len(text) <= LENGTH:
        return text
    head = text[: LENGTH - 1]
    if not text[LENGTH - 1].isspace():
        space = head.rfind(" ")
        if space > LENGTH // 2:  # a word boundary not too far back
            head = head[:space]
    return head.rstrip(" ,;:") + "…"
