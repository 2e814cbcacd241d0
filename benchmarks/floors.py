"""The floors the benchmarks measure anki-tools against: genanki alone (floor A, the
packaging floor) and genanki after one reused markdown-it-py + Pygments (floor B).

Run as a script, it is the packaging floor as a process of its own, for benchmarks that
time every contender as a whole process (bench_scale.py):

    python benchmarks/floors.py FIELDS.json OUT.apkg

FIELDS.json holds `{"css": …, "fields": [[front, back], …]}`, rendered beforehand
(`write_fields`). The child imports genanki and the standard library only, and prints the
seconds its packaging took (reading the JSON excluded) as JSON on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import genanki
from harness import TIMESTAMP

if TYPE_CHECKING:
    from harness import Card
    from markdown_it import MarkdownIt
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

FLOOR_CSS_CLASS = "codehilite"  # the floors' highlighted code: <pre class="codehilite">


@cache
def floor_css() -> str:
    from pygments.formatters import HtmlFormatter

    formatter: HtmlFormatter[str] = HtmlFormatter(cssclass=FLOOR_CSS_CLASS)
    css: str = formatter.get_style_defs(f".{FLOOR_CSS_CLASS}")  # type: ignore[no-untyped-call]
    return css


@cache
def floor_model(css: str) -> genanki.Model:
    return genanki.Model(
        1_607_392_319,
        "Bench Basic",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Back}}",
            }
        ],
        css=css,
    )


def write_with_genanki(
    fields: Iterable[tuple[str, str]],
    output: Path,
    media_files: Sequence[str] = (),
    css: str | None = None,
) -> None:
    """Floor A's work: genanki notes from HTML fields, one deck, one package."""
    model = floor_model(floor_css() if css is None else css)
    deck = genanki.Deck(2_059_400_110, "Bench")
    for front, back in fields:
        deck.add_note(genanki.Note(model=model, fields=[front, back]))
    package = genanki.Package(deck, media_files=list(media_files))
    package.write_to_file(str(output), timestamp=TIMESTAMP)


@cache
def floor_formatter() -> HtmlFormatter[str]:
    """The spans only: markdown-it-py keeps a highlighted block as it is when it starts
    with <pre."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(cssclass=FLOOR_CSS_CLASS, nowrap=True)


@cache
def floor_lexer(language: str) -> Lexer:
    """The Pygments lexer of a fence's language; plain text when it has none or is unknown."""
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.special import TextLexer
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def floor_highlight(code: str, language: str, _attributes: str) -> str:
    """markdown-it-py's `highlight` option: Pygments with CSS classes, as codehilite did."""
    import pygments

    spans = pygments.highlight(code, floor_lexer(language), floor_formatter())
    return f'<pre class="{FLOOR_CSS_CLASS}"><code>{spans}</code></pre>'


def floor_markdown() -> MarkdownIt:
    """The floors' Markdown: CommonMark with tables, fences highlighted by Pygments.
    Build it once and reuse it (`convert`), as anki-tools reuses its engine."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"highlight": floor_highlight}).enable("table")


def convert(converter: MarkdownIt, text: str) -> str:
    html: str = converter.render(text)  # typed as Any
    return html


def render_floor(cards: Iterable[Card]) -> Iterable[tuple[str, str]]:
    """Cards → HTML with one reused markdown-it-py instance (fences → Pygments, CSS classes)."""
    converter = floor_markdown()
    for card in cards:
        yield convert(converter, card.front), convert(converter, card.back)


def floor_a(fields: list[tuple[str, str]], output: Path) -> None:
    write_with_genanki(fields, output)


def floor_b(cards: list[Card], output: Path) -> None:
    write_with_genanki(render_floor(cards), output)


def write_fields(cards: Iterable[Card], path: Path) -> None:
    """Floor B's HTML of `cards`, for the packaging floor's process (`package_child`)."""
    data = {"css": floor_css(), "fields": list(render_floor(cards))}
    path.write_text(json.dumps(data), "utf-8")


def package_child(fields_json: Path, output: Path) -> None:
    data = json.loads(fields_json.read_text("utf-8"))
    start = time.perf_counter()
    write_with_genanki([(f, b) for f, b in data["fields"]], output, css=data["css"])
    print(json.dumps({"package_s": time.perf_counter() - start, "notes": len(data["fields"])}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: floors.py FIELDS.json OUT.apkg")
    package_child(Path(sys.argv[1]), Path(sys.argv[2]))
