"""Note (Markdown fields) → RenderedNote (HTML fields): one Markdown → HTML path."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from markdown import Markdown, markdown

from . import highlight, identity
from .errors import Problems, locate
from .markup import CardExtension
from .media import ATTACHMENT, MediaCollector
from .notes import DeckSpec, Kind, Note, RenderedNote
from .sanitize import sanitize

CLOZE_MARKER_RE = re.compile(r"\{\{c\d+::(.*?)(?:::[^{}]*)?\}\}")
TYPE_IN_MARKER_RE = re.compile(r"\{\{\{(.+?)\}\}\}")

CODE_SLOT = '<div class="at-code-slot">\ue010{}\ue011</div>'
CODE_SLOT_RE = re.compile('<div class="at-code-slot">\ue010(\\d+)\ue011</div>')
SAFE_URL_RE = re.compile(r"^(?:https?|mailto):", re.IGNORECASE)
# A title is one line of inline text: a leading `>`, `#`, bullet or `1.` would make it a
# quote, heading or list, so that first character is escaped.
BLOCK_START_RE = re.compile(r"^([>#]|[-*+](?=\s)|\d+(?=[.)]\s))")

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
        self._code_blocks: list[str] = []

    def render(self, note: Note, problems: Problems) -> RenderedNote:
        """Render every field of a note to sanitized HTML and collect its images."""
        self._note, self._problems = note, problems
        media = MediaCollector(note, problems)
        names = field_names(note.kind)
        texts = (note.front, note.back, note.hint)
        fields = {name: self.to_html(text, media) for name, text in zip(names, texts, strict=False)}
        title = inline_title(plain_title(note.title))
        # Most fronts are the heading itself: no need to convert it twice.
        title_html = fields[names[0]] if title == note.front else self.to_html(title, media)
        fields[names[3]] = source_field(note, title_html.removeprefix("<p>").removesuffix("</p>"))
        guid = identity.guid(note)
        return RenderedNote(note, guid, fields, tuple(media.files.values()))

    def to_html(self, text: str, media: MediaCollector) -> str:
        """Markdown → sanitized HTML, with images resolved to media names."""
        if not text.strip():
            return ""
        assert self._card.indented is not None
        self._card.indented.language = self._note.code_language if self._note else None
        self._code_blocks = []
        self._markdown.reset()
        markup = self._markdown.convert(text)
        clean = sanitize(markup, lambda tag, attr, value: _image(tag, attr, value, media))
        return CODE_SLOT_RE.sub(self._code_block, clean)

    def _code_block(self, match: re.Match[str]) -> str:
        index = int(match.group(1))
        return self._code_blocks[index] if index < len(self._code_blocks) else ""

    def _render_code(self, code: str, language: str | None, options: dict[str, str]) -> str:
        lines = _line_numbers(options.get("hl_lines", ""))
        linenums = options.get("linenums")
        start = int(linenums) if linenums and linenums.isdigit() else (1 if linenums else None)
        # Indented blocks keep the blank lines before the next block: not part of the code.
        literal = "literal" in options
        result = highlight.highlight(code.rstrip("\n"), language, lines, start, literal)
        if not result.known_language and self._note is not None:
            self._problems.warning(
                locate(self._note.source, language or ""),
                f"unknown code language '{language}', shown as plain text",
            )
        # Our highlighted HTML is built from escaped tokens: it skips the sanitizer (a
        # quarter of the build time otherwise) and goes back in after it, in a slot.
        self._code_blocks.append(result.html.rstrip("\n"))
        return CODE_SLOT.format(len(self._code_blocks) - 1)

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
    """Accept `hl_lines="2 3"`, `linenums` (bare or with a start number) and `literal`."""
    for key, value in inputs.items():
        if key in ("hl_lines", "linenums", "literal"):
            options[key] = "1" if key in ("linenums", "literal") and value == key else value
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
    if value.startswith(ATTACHMENT):
        return None  # only an image can show a notebook attachment
    return value


def source_field(note: Note, title: str) -> str:
    """Where the card came from: the file (linked to `url` if given) and its heading (HTML).

    Built from escaped parts and the already sanitized title, so it needs no sanitizing.
    """
    # Absolute paths: the cache must not mix up relative ones from two working folders.
    place = html.escape(_relative_path(note.source.path.absolute(), note.root.absolute()))
    if note.url and SAFE_URL_RE.match(note.url):
        place = f'<a href="{html.escape(note.url)}">{place}</a>'
    file_part = f'<span class="at-source-file">{place}</span>'
    return f'{file_part} › <span class="at-source-title">{title}</span>'


@lru_cache(maxsize=4096)
def _relative_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def inline_title(title: str) -> str:
    """Escape what would start a block, so the title stays one line of text."""
    return BLOCK_START_RE.sub(_escape_block_start, title.strip())


def _escape_block_start(match: re.Match[str]) -> str:
    start = match.group(1)
    return start + "\\" if start[0].isdigit() else "\\" + start


def plain_title(title: str) -> str:
    """A heading without cloze or type-in markers, for fields Anki shows as they are."""
    return TYPE_IN_MARKER_RE.sub(r"\1", CLOZE_MARKER_RE.sub(r"\1", title))


def deck_description(spec: DeckSpec) -> str:
    """The deck's description in Anki: the config's Markdown, then where the deck comes from."""
    text = (
        sanitize(markdown(spec.description, extensions=["sane_lists"])) if spec.description else ""
    )
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
