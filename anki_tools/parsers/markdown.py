"""`.md` notes → Notes: front matter, cards split at headings, heading attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it.token import Token
from markdown_it.utils import EnvType

from .. import limits
from ..errors import Problems, SourceError
from ..notes import DEFAULT_READ, Kind, Note, Part, ReadOptions, Source
from ..syntax import body, engine, options, titles
from ..syntax.budget import TokenBudget, TooLarge
from ..tags import checked_tags, split_tags
from .common import deck_from_path, read_text, read_yaml, yaml_problem

NO_CARDS_HINT = "cards start at headings of the card level, '## ' by default"
FRONT_MATTER_KEYS = {"deck", "tags", "card_level", "reverse", "url"}


@dataclass
class FrontMatter:
    deck: str | None = None
    tags: tuple[str, ...] = ()
    card_level: int | None = None  # None: the build's (--card-level, deck config) or 2
    reverse: bool = False
    url: str | None = None


@dataclass
class Heading:
    text: str
    line: int
    inline: Token  # its inline token, holding the text without the attribute list
    explicit_id: str | None = None
    classes: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Card:
    """A card heading and its body: block tokens and the line range they came from."""

    heading: Heading
    tokens: list[Token]
    span: tuple[int, int]  # line indexes: first body line, end (exclusive)
    parents: tuple[tuple[int, str], ...] = ()  # the headings above it: (level, Markdown)


DEFAULT_CARD_LEVEL = 2


def parse(
    path: Path, root: Path, deck: str | None, problems: Problems, read: ReadOptions = DEFAULT_READ
) -> list[Note]:
    """Parse one Markdown notes file into cards: one markdown-it parse of the whole file."""
    try:
        return _parse(path, root, deck, problems, read)
    except TooLarge as error:  # the file's token budget is spent: nothing of it is built
        raise SourceError(error.message, Source(path, error.line)) from None


def _parse(
    path: Path, root: Path, deck: str | None, problems: Problems, read: ReadOptions
) -> list[Note]:
    lines = read_text(path, limits.MARKDOWN_MAX_BYTES, "Markdown notes").split("\n")
    meta, first = _front_matter(lines, path, problems)
    # The front matter becomes blank lines, so token lines are the file's lines.
    text = "\n" * first + "\n".join(lines[first:])
    tokens, env = engine.parse_blocks(text, TokenBudget())
    _warn_unclosed_blocks(tokens, lines, path, problems)
    default_deck = meta.deck or deck or deck_from_path(path, root)
    level = meta.card_level or read.card_level or DEFAULT_CARD_LEVEL
    cards = _cards(tokens, len(lines), level)
    # One inline pass over the file, unless footnotes need one per field.
    field_env = None if engine.finish_source(tokens, env) else env
    notes = []
    for card in cards:
        note = _note(path, root, card, lines, field_env, meta, default_deck, problems)
        if note is not None:
            notes.append(note)
    return notes


def _warn_unclosed_blocks(
    tokens: list[Token], lines: list[str], path: Path, problems: Problems
) -> None:
    """A fence or an HTML comment left open runs to the end of the file: the cards below
    it become code, or are hidden."""
    last_text = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), -1)
    for token in tokens:
        if token.level != 0 or not token.map or token.map[1] <= last_text:
            continue
        start, end = token.map
        if token.type == "fence":
            last = lines[end - 1].strip() if end - 1 > start else ""
            if not (last.startswith(token.markup) and not last.strip(last[:1])):
                problems.warning(
                    Source(path, start + 1),
                    f"this code fence is never closed, so the rest of the file is code "
                    f"(close it with a {token.markup} line)",
                )
        elif token.type == "html_block" and _opens_comment(token.content):
            problems.warning(
                Source(path, start + 1),
                "this HTML comment is never closed, so the rest of the file is hidden "
                "(close it with -->)",
            )


def _opens_comment(html: str) -> bool:
    """An HTML comment that starts the block and never ends."""
    return html.lstrip().startswith("<!--") and "-->" not in html


def _front_matter(lines: list[str], path: Path, problems: Problems) -> tuple[FrontMatter, int]:
    """Read the YAML block between `---` lines; return it and the index after it."""
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(), 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise SourceError("front matter starts with '---' but never ends", Source(path, 1))
    text = "\n".join(lines[1:end])
    if len(text) > limits.FRONT_MATTER_MAX_BYTES:  # characters: never fewer than bytes
        limit = f"{limits.FRONT_MATTER_MAX_BYTES // 1024} kB"
        raise SourceError(f"front matter is larger than {limit}", Source(path, 1))
    try:
        node, data = read_yaml(text)
    except yaml.YAMLError as error:
        line, problem = yaml_problem(error, first_line=2)  # the line after the `---`
        raise SourceError(
            f"invalid YAML front matter: {problem}", Source(path, line or 1)
        ) from error
    data = data or {}
    mapping = node is None or isinstance(node, yaml.MappingNode)  # `0` is no front matter
    if not isinstance(data, dict) or not mapping:
        raise SourceError("front matter must be a mapping of keys to values", Source(path, 2))
    _check_key_count(node, path)
    # Key lines count from the `---` line: the YAML's first line is the file's second.
    keys = {str(key.value): key.start_mark.line + 2 for key, _ in getattr(node, "value", ())}
    return _front_matter_values(data, Source(path, 1), problems, keys), end + 1


def _check_key_count(node: yaml.Node | None, path: Path) -> None:
    """Front matter has a few keys; thousands are no notes (each unknown one warns)."""
    if isinstance(node, yaml.MappingNode) and len(node.value) > limits.FRONT_MATTER_MAX_KEYS:
        line = node.value[limits.FRONT_MATTER_MAX_KEYS][0].start_mark.line + 2
        message = f"front matter has more than {limits.FRONT_MATTER_MAX_KEYS} keys"
        raise SourceError(message, Source(path, line))


def _front_matter_values(
    data: dict[str, Any], source: Source, problems: Problems, keys: dict[str, int]
) -> FrontMatter:
    # Keys may be numbers or dates, which do not sort with texts.
    for key in sorted(map(str, set(data) - FRONT_MATTER_KEYS)):
        problems.warning(source, f"unknown front matter key '{key}' (known: deck, tags, ...)")
    level = data.get("card_level")
    if level is not None and not is_card_level(level):
        raise SourceError("'card_level' must be a heading level from 1 to 6", source)
    reverse = data.get("reverse", False)
    if not isinstance(reverse, bool):
        raise SourceError("'reverse' must be true or false", source)
    deck, url = data.get("deck"), data.get("url")
    if deck is not None and not isinstance(deck, str):
        raise SourceError("'deck' must be a text", source)
    return FrontMatter(
        deck=deck or None,
        tags=_tags(data.get("tags"), source.at_line(keys.get("tags", 1)), problems),
        card_level=level,
        reverse=reverse,
        url=str(url) if url else None,
    )


def is_card_level(value: object) -> bool:
    """A heading level from 1 to 6 (YAML's `true` is an int to Python, not a level)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6


def _tags(value: object, source: Source, problems: Problems) -> tuple[str, ...]:
    return checked_tags(split_tags(value, source), source, problems)


def _cards(tokens: list[Token], line_count: int, level: int) -> list[Card]:
    """Split at `#` headings of the card level; a higher one ends a card. Headings inside
    code, lists or quotes are not tokens at the top level, and setext ones never split."""
    cards: list[Card] = []
    current: Card | None = None
    parents: list[tuple[int, str]] = []  # the open headings above the card level
    index = 0
    while index < len(tokens):
        token = tokens[index]
        depth = _atx_level(token)
        if depth is None or depth > level:
            if current is not None:
                current.tokens.append(token)
            index += 1
            continue
        start = token.map[0] if token.map else 0
        if current is not None:
            current.span = (current.span[0], start)
        current = None
        if depth == level:
            heading = _heading(tokens[index + 1], start + 1)
            current = Card(heading, [], (start + 1, line_count), tuple(parents))
            cards.append(current)
        else:  # a higher heading: it closes those of its level and below
            parents = [above for above in parents if above[0] < depth]
            text, _ = options.heading_attributes(tokens[index + 1].content)
            if text:
                parents.append((depth, text))
        index += 3  # heading_open, inline, heading_close
    return cards


def _atx_level(token: Token) -> int | None:
    """The level of a top-level `#` heading (None for anything else)."""
    if token.type != "heading_open" or token.level != 0 or not token.markup.startswith("#"):
        return None
    return int(token.tag[1])


def _heading(inline: Token, line: int) -> Heading:
    """Take `{#id .class key="value"}` off the end of a heading, before its inline parse."""
    inline.content, attributes = options.heading_attributes(inline.content)
    return Heading(
        inline.content, line, inline, attributes.explicit_id, attributes.classes, attributes.options
    )


def _note(
    path: Path,
    root: Path,
    card: Card,
    lines: list[str],
    env: EnvType | None,  # None: the file's inline parse already ran
    meta: FrontMatter,
    deck: str,
    problems: Problems,
) -> Note | None:
    heading = card.heading
    source = Source(path, heading.line)
    mark = problems.mark()
    if not heading.text:
        problems.error(source, "a card heading needs text: it is the front of the card")
        return None
    finished = env is None
    parts = body.split_body(card.tokens, lines, card.span, env or {}, source, problems, finished)
    title = body.heading_part(heading.inline, heading.line, env)
    question = body.join(title, parts.front)
    body.check((question, parts.back, parts.hint), source, problems)
    kind = body.kind_of(question, parts.image, "reverse" in heading.classes or meta.reverse)
    if body.has_markers(parts.back, parts.hint):
        place = body.markers_place((parts.back, parts.hint), source)
        problems.error(place, "cloze and type-in markers belong before the '-' line")
    front, back = _sides(kind, parts, title, question)
    if kind not in (Kind.CLOZE, Kind.TYPE_IN) and not back.text.strip():
        problems.warning(source, f"card '{heading.text}' has no answer")
    _check_unknown_options(heading, source, problems)
    heading_tags = _tags(heading.options.get("tags"), source, problems)
    if problems.errors_since(mark):
        return None  # with --keep-going, only cards without errors are built
    return Note(
        kind=kind,
        front=front.text,
        back=back.text,
        hint=parts.hint.text,
        deck=heading.options.get("deck") or deck,
        tags=meta.tags + heading_tags,
        source=source,
        title=_title(path, heading, (title, parts.front, parts.back)),
        root=root,
        explicit_id=heading.explicit_id,
        url=meta.url,
        parents=card.parents,
        parts=(front, back, parts.hint),
    )


def _title(path: Path, heading: Heading, parts: tuple[Part, ...]) -> str:
    """The heading as plain text; a heading of no text (an image without alt text) gives
    the body's first line, then the file and line."""
    tokens = (token for part in parts for token in part.tokens)
    return titles.title(tokens, f"{path.name}, line {heading.line}")


def _sides(kind: Kind, parts: body.Body, title: Part, question: Part) -> tuple[Part, Part]:
    """Front and back. Without a `-` line a cloze or type-in card is all question, and
    any other card has the heading as its front and the body as its back."""
    if kind in (Kind.CLOZE, Kind.TYPE_IN) or parts.split:
        return question, parts.back
    return title, parts.front


def _check_unknown_options(heading: Heading, source: Source, problems: Problems) -> None:
    for key in sorted(set(heading.options) - {"tags", "deck"}):
        problems.warning(source, f"unknown heading attribute '{key}' (known: tags, deck)")
    for name in sorted(heading.classes - {"reverse"}):
        problems.warning(source, f"unknown heading class '.{name}' (known: .reverse)")
