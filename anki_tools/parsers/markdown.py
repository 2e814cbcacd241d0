"""`.md` notes → Notes: front matter, cards split at headings, heading attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown.extensions.attr_list import get_attrs_and_remainder

from .. import body
from ..errors import Problems, SourceError
from ..notes import Kind, Note, Source
from .common import deck_from_path, read_text, split_tags, yaml_problem

HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
# Only `{#id .class key="value" …}` is an attribute list: `## Set literal {1, 2}` keeps its braces.
ATTR = r"""(?:[#.][^\s{}="']+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s{}"']+))"""
ATTRS_RE = re.compile(rf"\{{:?\s*({ATTR}(?:\s+{ATTR})*)\s*\}}\s*$")
NO_CARDS_HINT = "cards start at headings of the card level, '## ' by default"
FRONT_MATTER_KEYS = {"deck", "tags", "card_level", "reverse", "url"}


@dataclass
class FrontMatter:
    deck: str | None = None
    tags: tuple[str, ...] = ()
    card_level: int = 2
    reverse: bool = False
    url: str | None = None


@dataclass
class Heading:
    text: str
    line: int
    explicit_id: str | None = None
    classes: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)


def parse(path: Path, root: Path, deck: str | None, problems: Problems) -> list[Note]:
    """Parse one Markdown notes file into cards."""
    lines = read_text(path).split("\n")
    meta, first = _front_matter(lines, path, problems)
    cards = _cards(lines, first, meta.card_level)
    default_deck = meta.deck or deck or deck_from_path(path, root)
    notes = []
    for heading, card_lines in cards:
        note = _note(path, root, heading, card_lines, meta, default_deck, problems)
        if note is not None:
            notes.append(note)
    return notes


def _front_matter(lines: list[str], path: Path, problems: Problems) -> tuple[FrontMatter, int]:
    """Read the YAML block between `---` lines; return it and the index after it."""
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(), 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise SourceError("front matter starts with '---' but never ends", Source(path, 1))
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        line, problem = yaml_problem(error, first_line=2)  # the line after the `---`
        raise SourceError(
            f"invalid YAML front matter: {problem}", Source(path, line or 1)
        ) from error
    if not isinstance(data, dict):
        raise SourceError("front matter must be a mapping of keys to values", Source(path, 2))
    return _front_matter_values(data, Source(path, 1), problems), end + 1


def _front_matter_values(data: dict[str, Any], source: Source, problems: Problems) -> FrontMatter:
    for key in sorted(set(data) - FRONT_MATTER_KEYS):
        problems.warning(source, f"unknown front matter key '{key}' (known: deck, tags, ...)")
    level = data.get("card_level", 2)
    # YAML `true` is an int to Python; it is no heading level.
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 6:
        raise SourceError("'card_level' must be a heading level from 1 to 6", source)
    reverse = data.get("reverse", False)
    if not isinstance(reverse, bool):
        raise SourceError("'reverse' must be true or false", source)
    deck, url = data.get("deck"), data.get("url")
    if deck is not None and not isinstance(deck, str):
        raise SourceError("'deck' must be a text", source)
    return FrontMatter(
        deck=deck or None,
        tags=split_tags(data.get("tags"), source),
        card_level=level,
        reverse=reverse,
        url=str(url) if url else None,
    )


def _cards(lines: list[str], first: int, level: int) -> list[tuple[Heading, list[str]]]:
    """Split at headings of the card level; a higher heading ends a card."""
    cards: list[tuple[Heading, list[str]]] = []
    current: list[str] | None = None
    in_code = body.fenced_lines(lines)
    for index in range(first, len(lines)):
        match = None if in_code[index] else HEADING_RE.match(lines[index])
        if match and len(match.group(1)) <= level:
            current = None
            if len(match.group(1)) == level:
                current = []
                cards.append((_heading(match.group(2), index + 1), current))
            continue
        if current is not None:
            current.append(lines[index])
    return cards


def _heading(text: str, line: int) -> Heading:
    """Take `{#id .class key="value"}` off the end of a heading."""
    heading = Heading(text=text.strip(), line=line)
    match = ATTRS_RE.search(text)
    if not match:
        return heading
    attrs, _ = get_attrs_and_remainder(match.group(1))
    heading.text = text[: match.start()].strip()
    for key, value in attrs:
        if key == "id":
            heading.explicit_id = value
        elif key == ".":
            heading.classes.add(value or "")
        elif value is not None:
            heading.options[key] = value
    return heading


def _note(
    path: Path,
    root: Path,
    heading: Heading,
    lines: list[str],
    meta: FrontMatter,
    deck: str,
    problems: Problems,
) -> Note | None:
    source = Source(path, heading.line)
    mark = problems.mark()
    if not heading.text:
        problems.error(source, "a card heading needs text: it is the front of the card")
        return None
    parts = body.split_body(lines, source.at_line(heading.line + 1), problems)
    front = heading.text + ("\n\n" + parts.front if parts.front else "")
    body.check_markers("\n".join([heading.text, *lines]), source, problems)
    kind = _kind(heading, meta, parts, front)
    if body.has_markers(parts.back + parts.hint):
        problems.error(source, "cloze and type-in markers belong before the '-' line")
    if kind in (Kind.CLOZE, Kind.TYPE_IN):
        back = parts.back
    else:
        back = parts.back if parts.split else parts.front
        front = front if parts.split else heading.text
        if not back.strip():
            problems.warning(source, f"card '{heading.text}' has no answer")
    _check_unknown_options(heading, source, problems)
    if problems.errors_since(mark):
        return None  # with --keep-going, only cards without errors are built
    return Note(
        kind=kind,
        front=front,
        back=back,
        hint=parts.hint,
        deck=heading.options.get("deck") or deck,
        tags=meta.tags + split_tags(heading.options.get("tags"), source),
        source=source,
        title=heading.text,
        root=root,
        explicit_id=heading.explicit_id,
        url=meta.url,
    )


def _kind(heading: Heading, meta: FrontMatter, parts: body.Body, front: str) -> Kind:
    # Without a `-` line the whole body may be the text to fill in.
    question = front if parts.split else heading.text + "\n\n" + parts.front
    return body.kind_of(question, parts.image, "reverse" in heading.classes or meta.reverse)


def _check_unknown_options(heading: Heading, source: Source, problems: Problems) -> None:
    for key in sorted(set(heading.options) - {"tags", "deck"}):
        problems.warning(source, f"unknown heading attribute '{key}' (known: tags, deck)")
    for name in sorted(heading.classes - {"reverse"}):
        problems.warning(source, f"unknown heading class '.{name}' (known: .reverse)")
