"""Note (Markdown fields) → RenderedNote (HTML fields): one Markdown → HTML path."""

from __future__ import annotations

import html
import re

from markdown import Markdown

from . import highlight, identity
from .errors import Problems, locate
from .markup import CardExtension
from .media import MediaCollector
from .notes import Kind, Note, RenderedNote
from .sanitize import sanitize

CLOZE_MARKER_RE = re.compile(r"\{\{c\d+::(.*?)(?:::[^{}]*)?\}\}")
TYPE_IN_MARKER_RE = re.compile(r"\{\{\{(.+?)\}\}\}")

FIELD_NAMES = {
    Kind.CLOZE: ("Text", "Back Extra", "Hint", "Source"),
}
DEFAULT_FIELD_NAMES = ("Front", "Back", "Hint", "Source")


def field_names(kind: Kind) -> tuple[str, ...]:
    return FIELD_NAMES.get(kind, DEFAULT_FIELD_NAMES)


class Renderer:
    """Renders notes with one reusable Markdown instance (building one is slow)."""

    def __init__(self) -> None:
        self._card = CardExtension(self._render_code)
        self._markdown = Markdown(
            extensions=[
                "tables",
                "footnotes",
                "attr_list",
                "def_list",
                "abbr",
                "md_in_html",
                "sane_lists",
                "pymdownx.tilde",
                "pymdownx.superfences",
                "pymdownx.arithmatex",
                self._card,
            ],
            extension_configs={
                "pymdownx.superfences": {
                    "custom_fences": [
                        {
                            "name": "*",
                            "class": "highlight",
                            "format": self._fence,
                            "validator": _fence_options,
                        }
                    ]
                },
                "pymdownx.arithmatex": {"generic": True},
            },
        )
        self._note: Note | None = None
        self._problems = Problems()

    def render(self, note: Note, problems: Problems) -> RenderedNote:
        """Render every field of a note to sanitized HTML and collect its images."""
        self._note, self._problems = note, problems
        media = MediaCollector(note, problems)
        names = field_names(note.kind)
        texts = (note.front, note.back, note.hint)
        fields = {name: self.to_html(text, media) for name, text in zip(names, texts, strict=False)}
        title = (
            self.to_html(plain_title(note.title), media).removeprefix("<p>").removesuffix("</p>")
        )
        fields[names[3]] = source_field(note, title)
        guid = identity.guid(note)
        return RenderedNote(note, guid, fields, tuple(media.files.values()))

    def to_html(self, text: str, media: MediaCollector) -> str:
        if not text.strip():
            return ""
        assert self._card.indented is not None
        self._card.indented.language = self._note.code_language if self._note else None
        self._markdown.reset()
        markup = self._markdown.convert(text)
        return sanitize(markup, lambda tag, attr, value: _image(tag, attr, value, media))

    def _render_code(self, code: str, language: str | None, options: dict[str, str]) -> str:
        lines = _line_numbers(options.get("hl_lines", ""))
        linenums = options.get("linenums")
        start = int(linenums) if linenums and linenums.isdigit() else (1 if linenums else None)
        # Indented blocks keep the blank lines before the next block: not part of the code.
        result = highlight.highlight(code.rstrip("\n"), language, lines, start)
        if not result.known_language and self._note is not None:
            self._problems.warning(
                locate(self._note.source, f"{language}"),
                f"unknown code language '{language}', shown as plain text",
            )
        return result.html

    def _fence(
        self,
        src: str,
        language: str,
        class_name: str,
        options: dict[str, str],
        md: Markdown,
        **kwargs: object,
    ) -> str:
        return self._render_code(src, language or None, options)


def _fence_options(
    language: str,
    inputs: dict[str, str],
    options: dict[str, str],
    attrs: dict[str, str],
    md: Markdown,
) -> bool:
    """Accept `hl_lines="2 3"` and `linenums` (bare or with a start number) on a fence."""
    for key, value in inputs.items():
        if key in ("hl_lines", "linenums"):
            options[key] = "1" if key == "linenums" and value == key else value
        else:
            attrs[key] = value
    return True


def _line_numbers(spec: str) -> list[int]:
    """`hl_lines="1 3-5"` → [1, 3, 4, 5]."""
    numbers: list[int] = []
    for part in spec.split():
        first, _, last = part.partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            numbers += range(int(first), int(last or first) + 1)
    return numbers


def _image(tag: str, attribute: str, value: str, media: MediaCollector) -> str | None:
    if tag == "img" and attribute == "src":
        return media.resolve(value)
    return value


def source_field(note: Note, title: str) -> str:
    """Where the card came from: the file (linked to `url` if given) and its heading (HTML)."""
    try:
        where = note.source.path.resolve().relative_to(note.root.resolve()).as_posix()
    except ValueError:
        where = note.source.path.name
    place = html.escape(where)
    if note.url:
        place = f'<a href="{html.escape(note.url)}">{place}</a>'
    file_part = f'<span class="at-source-file">{place}</span>'
    return sanitize(f'{file_part} &rsaquo; <span class="at-source-title">{title}</span>')


def plain_title(title: str) -> str:
    """A heading without cloze or type-in markers, for fields Anki shows as they are."""
    return TYPE_IN_MARKER_RE.sub(r"\1", CLOZE_MARKER_RE.sub(r"\1", title))
