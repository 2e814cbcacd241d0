"""Code languages: the name a fence or a notebook's kernel gives, as Pygments knows it.
Parsing asks which language a notebook's code is in; the renderer highlights with it."""

from __future__ import annotations

from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

# Other names for a language that Pygments knows. IPython's own lexers (`ipython3`, the
# `pygments_lexer` of every Python notebook) exist only where IPython is installed:
# its code is Python, and the same deck builds the same bytes with or without IPython.
LANGUAGE_ALIASES = {"ipython": "python", "ipython3": "python", "ipython2": "python2"}


def canonical(language: str) -> str:
    """The language an alias stands for (`ipython3` → `python`), shown in the CSS class."""
    return LANGUAGE_ALIASES.get(language.lower(), language)


def is_known_language(language: str) -> bool:
    return lexer(language)[1]


@lru_cache(maxsize=64)
def lexer(language: str) -> tuple[Lexer, bool]:
    """The language's lexer, and whether Pygments knows it (if not: plain text)."""
    if not language:
        return TextLexer(stripnl=False), True
    try:
        return get_lexer_by_name(canonical(language), stripnl=False, ensurenl=True), True
    except ClassNotFound:
        return TextLexer(stripnl=False), False
