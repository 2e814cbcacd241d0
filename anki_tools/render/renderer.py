"""Note (parsed fields) → RenderedNote (HTML fields): one Markdown → HTML path."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from markdown_it.token import Token

from ..errors import Problems
from ..notes import DeckSpec, FieldNames, Kind, Note, Part, RenderedNote, Source, after_rendering
from ..sanitize import IMAGE_TAG_RE, sanitize
from ..syntax import body, engine, obsidian, options, titles
from . import bounds, highlight, mathjax
from .media import ATTACHMENT, MediaCollector, MediaRead

# Highlighted code waits in a slot while the sanitizer runs. A slot holds a number
# drawn for this renderer, so text that a note writes to look like one stays text; the
# number never reaches the output.
CODE_SLOT = '<div class="at-code-slot">{}:{}</div>'
SAFE_URL_RE = re.compile(r"^(?:https?|mailto):", re.IGNORECASE)


class Renderer:
    """Renders the parsed fields of notes to sanitized HTML, under the field names of the
    note types (`templates.field_names` reads them from the templates' metadata): the
    fields are filled in the order of templates.FIELD_ROLES."""

    def __init__(self, fields: FieldNames, refuse_remote: bool = False) -> None:
        self._fields = fields
        self._refuse_remote = refuse_remote  # --no-remote: a remote image is an error
        self._note: Note | None = None
        self._problems = Problems()
        self._code_blocks: list[str] = []
        self._slot_key = os.urandom(8).hex()  # what secrets.token_hex does, without its imports
        self._slot_re = re.compile(CODE_SLOT.format(self._slot_key, "(\\d+)"))
        self._vault = obsidian.Vault()
        self._media: MediaCollector | None = None  # the images of the field being rendered
        self._headings: dict[str, str] = {}  # a heading's text → its HTML (_heading_html)
        self.reads: list[MediaRead] = []  # the image files every note read, in order

    def render(self, note: Note, problems: Problems) -> RenderedNote:
        """Render every field of a note to sanitized HTML and collect its images."""
        self._note, self._problems = note, problems
        media = MediaCollector(note, problems, self._refuse_remote, self._vault)
        names = self._fields[note.kind]
        parts = body.parts_of(note)
        fields = {
            name: self.part_html(part, media, name.lower().replace(" ", "-"))
            for name, part in zip(names, parts, strict=False)
        }
        _check_markers_survived(note, fields[names[0]], problems)
        fields[names[3]] = source_field(note)
        context = self._context_html(note, media)
        self.reads += media.reads
        fields[names[0]] = context[0] + fields[names[0]]
        _check_fields(note, dict(zip(names, parts, strict=False)), fields, names[0], problems)
        files = tuple(media.files.values())
        kept = after_rendering(note)
        return RenderedNote(kept, fields, files, context, cards=body.card_count(note, parts[0]))

    def render_all(self, notes: Iterable[Note], problems: Problems) -> list[RenderedNote]:
        """Render notes in order; a note with an error (a missing image) is left out."""
        rendered = []
        for note in notes:
            mark = problems.mark()
            item = self.render(note, problems)
            if not problems.errors_since(mark):
                rendered.append(item)
        return rendered

    def to_html(self, text: str, media: MediaCollector) -> str:
        """Markdown → sanitized HTML, with images resolved to media names."""
        return self.part_html(body.text_part(text, 1), media)

    def _context_html(self, note: Note, media: MediaCollector) -> tuple[str, str]:
        """The headings above the card, to show above its front so that cards with the
        same front ("Next steps") can be told apart: those below the file's `#` level,
        and all of them (for a card whose front another card has). Each is rendered once."""
        pieces = [(level, self._heading_html(text, media)) for level, text in note.parents]

        def breadcrumb(from_level: int) -> str:
            shown = [html for level, html in pieces if level >= from_level]
            return f'<div class="at-context">{" › ".join(shown)}</div>' if shown else ""

        return breadcrumb(2), breadcrumb(1)

    def _heading_html(self, text: str, media: MediaCollector) -> str:
        """A heading above cards, rendered once for all the cards under it: unless it
        shows an image, which each card must collect for itself."""
        known = self._headings.get(text)
        if known is not None:
            return known
        markup = engine.render_inline(titles.without_markers(text))
        heading = self._clean(markup, media, Part(text))
        if not IMAGE_TAG_RE.search(markup):
            self._headings[text] = heading
        return heading

    def part_html(self, part: Part, media: MediaCollector, field_id: str | None = None) -> str:
        """A parsed field → sanitized HTML."""
        if not part.tokens:
            return ""
        self._code_blocks = []
        self._media = media
        media.part = part  # where an image's messages point (an HTML output's too)
        language = self._note.code_language if self._note else None
        markup = engine.render(
            part.tokens, self._render_code, language, field_id, lambda *n: self._notice(part, *n)
        )
        return self._clean(markup.rstrip("\n"), media, part)

    def _clean(self, markup: str, media: MediaCollector, part: Part) -> str:
        media.part = part  # where an image's messages point
        return self._slot_re.sub(self._code_block, self._sanitize(markup, media))

    def _sanitize(self, markup: str, media: MediaCollector) -> str:
        return sanitize(markup, lambda tag, attr, value: _image(tag, attr, value, media))

    def _code_block(self, match: re.Match[str]) -> str:
        index = int(match.group(1))
        return self._code_blocks[index] if index < len(self._code_blocks) else ""

    def _notice(self, part: Part, markup: str, message: str) -> None:
        """A warning about Markdown the card shows other than written (a note embed)."""
        if self._note is not None:
            source = self._note.source
            where = body.place_in_text(part, markup, source) or body.start_of(part, source)
            self._problems.warning(where, message)

    def _render_code(self, code: str, info: options.FenceInfo, token: Token) -> str:
        if info.language == options.RAW_HTML:
            return self._output_html(code)
        result = highlight.highlight(
            code, info.language, list(info.hl_lines), info.linenums, info.literal
        )
        if not result.known_language and self._note is not None:
            self._problems.warning(
                body.at(self._note.source, token),  # the block's own line (and cell)
                f"unknown code language '{info.language}', shown as plain text",
            )
        # Our highlighted HTML is built from escaped tokens: it skips the sanitizer (a
        # quarter of the build time otherwise) and goes back in after it, in a slot.
        self._code_blocks.append(result.html.rstrip("\n"))
        return CODE_SLOT.format(self._slot_key, len(self._code_blocks) - 1)

    def _output_html(self, markup: str) -> str:
        """A notebook's HTML output, sanitized once and on its own (so its box is
        well-formed) with its markers defused, then kept out of the field's sanitizing
        in a slot, like highlighted code."""
        box = markup.rstrip("\n")
        clean = self._sanitize(box, self._media) if self._media else sanitize(box)
        self._code_blocks.append(options.defused(clean))
        # The line ends after the box stay in the field, where the fence had them.
        return CODE_SLOT.format(self._slot_key, len(self._code_blocks) - 1) + markup[len(box) :]


def _check_markers_survived(note: Note, question: str, problems: Problems) -> None:
    """A Cloze or Type-in note whose markers the sanitizer took away would be a card
    without a gap: an unclosed <script>, <style> or <iframe> removes the rest of a field."""
    lost = (note.kind is Kind.CLOZE and "{{c" not in question) or (
        note.kind is Kind.TYPE_IN and "at-typein" not in question
    )
    if lost:
        problems.error(
            note.source,
            "the cloze or type-in markers were removed with raw HTML around them "
            "(an unclosed <script>, <style> or <iframe> removes the rest of the field)",
        )


def _check_fields(
    note: Note, parts: dict[str, Part], fields: dict[str, str], front: str, problems: Problems
) -> None:
    """The fields as they reach a card: what Anki's MathJax would run, what Anki cannot
    import. Each message points at the line of the field (of the text, where found)."""

    def place(name: str, needle: str) -> Source:
        part = parts.get(name)
        if part is None:
            return note.source
        found = body.place_in_text(part, needle, note.source) if needle else None
        return found or body.start_of(part, note.source)

    mathjax.check_fields(fields, place, problems)
    bounds.check_note(note, fields, front, place, problems)


def _image(tag: str, attribute: str, value: str, media: MediaCollector) -> str | None:
    """nh3's attribute filter. What it raises, nh3 only prints ("Exception ignored") and
    drops the attribute: so it never raises, and a failure is an error of the note."""
    if tag == "img" and attribute == "src":
        try:
            return media.resolve(value)
        except Exception as error:  # a bug of ours: reported rather than lost
            message = f"image '{value}' could not be resolved (a bug in anki-tools: {error!r})"
            media.problems.error(media.note.source, message)
            return None
    if value.startswith((ATTACHMENT, obsidian.EMBED)):
        return None  # only an image can show a notebook attachment or an embed
    return value


def source_field(note: Note) -> str:
    """Where the card came from: the file (linked to `url` if given) and its title (HTML).

    The title is plain text (see titles.py), shown as written: escaped, never Markdown.
    Built from escaped parts only, so it needs no sanitizing.
    """
    # The working folder is part of the key: the cache must not mix up relative paths
    # from two of them (Path.absolute for each note was a tenth of the rendering).
    place = html.escape(_relative_path(note.source.path, note.root, os.getcwd()))
    if note.url and SAFE_URL_RE.match(note.url):
        place = f'<a href="{html.escape(note.url)}">{place}</a>'
    file_part = f'<span class="at-source-file">{place}</span>'
    # Markers again: a note made in code brings its own title.
    title = html.escape(titles.without_markers(note.title), quote=False)
    return f'{file_part} › <span class="at-source-title">{title}</span>'


@lru_cache(maxsize=4096)
def _relative_path(path: Path, root: Path, working_folder: str) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def deck_description(spec: DeckSpec) -> str:
    """The deck's description in Anki: the config's Markdown, then where the deck comes from."""
    text = _description_html(spec.description) if spec.description else ""
    # Not the project folder's name: the deck must not change with the clone's folder.
    place = ""
    if spec.url and SAFE_URL_RE.match(spec.url):
        place = f' in <a href="{html.escape(spec.url)}">{html.escape(spec.url)}</a>'
    sources = ", ".join(f"<code>{html.escape(glob)}</code>" for glob in spec.sources)
    config = html.escape(spec.config.resolve().relative_to(spec.project).as_posix())
    origin = (
        f'<p class="at-origin">Built with anki-tools from {sources} '
        f"(deck config <code>{config}</code>){place}.</p>"
    )
    return text + "\n" + origin if text else origin


def _description_html(text: str) -> str:
    """A deck config's description: Markdown without cards, images or highlighting."""

    def plain_code(code: str, info: options.FenceInfo, token: Token) -> str:
        return f"<pre><code>{html.escape(code)}</code></pre>"

    return sanitize(engine.render(engine.parse(text), plain_code, None).rstrip("\n"))
