"""Tags: how a source writes them, and which ones may reach a card.

Anki puts `{{Tags}}` into the card as it is, unescaped: a tag is HTML on every
member's card. So a tag is an allow-list of characters, not a deny-list of markup:
letters, marks and digits of any script, `_ - . / + #`, and `::` between the levels of
a hierarchy (`python::numpy`). Everything else (`<`, `&`, quotes, a backtick, `\\`,
spaces, control characters, a single `:`, emoji) is an error where the tag is written.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from .errors import Problems, SourceError
from .limits import TAG_MAX_CHARS
from .notes import Source

LEVEL_SEPARATOR = "::"
PUNCTUATION = frozenset("_-./+#")
# Unicode categories of letters (L…), combining marks (M…: the vowel signs of Devanagari,
# an accent written apart) and digits (N…).
WORD_CATEGORIES = frozenset("LMN")
RULE = "a tag is letters, digits and _ - . / + #, with :: between levels"


def split_tags(value: object, source: Source) -> tuple[str, ...]:
    """Tags from YAML or an attribute: a list or a space-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(tag, (str, int)) for tag in value):
        return tuple(part for tag in value for part in str(tag).split())
    raise SourceError("'tags' must be a list or a space-separated string", source)


def checked_tags(tags: Iterable[str], source: Source, problems: Problems) -> tuple[str, ...]:
    """The tags that may reach a card; each other one is an error at `source` (and is
    left off, so that with --keep-going no card carries it)."""
    good = []
    for tag in tags:
        why = problem(tag)
        if why is None:
            good.append(tag)
        else:
            problems.error(source, why)
    return tuple(good)


def problem(tag: str) -> str | None:
    """Why a tag cannot be used, or None when it can."""
    shown = tag if len(tag) <= 40 else tag[:40] + "…"
    levels = tag.split(LEVEL_SEPARATOR)
    bad = next((char for level in levels for char in level if not _allowed(char)), None)
    if bad is not None:
        return f"tag '{shown}' cannot hold {_named(bad)} ({RULE})"
    if not all(levels):
        return f"tag '{shown}' has an empty level: write '::' only between two names"
    if len(tag) > TAG_MAX_CHARS:
        return f"tag '{shown}' is {len(tag)} characters long; the most is {TAG_MAX_CHARS}"
    return None


def _allowed(char: str) -> bool:
    return char in PUNCTUATION or unicodedata.category(char)[0] in WORD_CATEGORIES


def _named(char: str) -> str:
    """A character as a message can show it: invisible ones by name or code point."""
    if char.isprintable() and not char.isspace():
        return f'"{char}"' if char == "'" else f"'{char}'"
    name = unicodedata.name(char, "")
    return f"a {name.lower()}" if name else f"the control character U+{ord(char):04X}"
