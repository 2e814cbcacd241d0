"""Note types from template folders: `templates/<name>/{meta.yaml, *.html}`.

The shared `style.css` (plus the Pygments stylesheet) becomes every note type's CSS;
`card.js` is appended to every card side, so the templates stay plain Anki syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import highlight
from .errors import TemplateError
from .notes import Kind, Source

META = "meta.yaml"
KIND_FOLDERS = {
    Kind.BASIC: "basic",
    Kind.REVERSED: "reversed",
    Kind.CLOZE: "cloze",
    Kind.TYPE_IN: "typein",
    Kind.IMAGE: "image",
}


@dataclass(frozen=True)
class CardTemplate:
    name: str
    front: str
    back: str


@dataclass(frozen=True)
class NoteType:
    """A note type as Anki stores it: fixed id, fields, card templates, CSS."""

    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]
    cards: tuple[CardTemplate, ...]
    css: str


def default_templates_dir() -> Path:
    """The templates shipped with the package (the repo's `templates/` folder)."""
    return Path(str(resources.files("anki_tools._templates")))


def load_note_types(folder: Path | None = None) -> dict[Kind, NoteType]:
    """Load one note type per card kind from a templates folder."""
    folder = folder or default_templates_dir()
    css = _read(folder / "style.css") + "\n" + highlight.stylesheet()
    script = "\n<script>\n" + _read(folder / "card.js") + "</script>\n"
    return {kind: _load(folder / name, css, script) for kind, name in KIND_FOLDERS.items()}


def _load(folder: Path, css: str, script: str) -> NoteType:
    meta = _meta(folder / META)
    try:
        cards = tuple(
            CardTemplate(
                name=str(card["name"]),
                front=_read(folder / card["front"]) + script,
                back=_read(folder / card["back"]) + script,
            )
            for card in meta["cards"]
        )
        return NoteType(
            id=int(meta["id"]),
            name=str(meta["name"]),
            cloze=meta.get("kind") == "cloze",
            fields=tuple(str(name) for name in meta["fields"]),
            cards=cards,
            css=css,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TemplateError(f"bad note type metadata: {error!r}", Source(folder / META)) from error


def _meta(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(_read(path))
    except yaml.YAMLError as error:
        raise TemplateError(f"invalid YAML: {error}", Source(path)) from error
    if not isinstance(data, dict):
        raise TemplateError("metadata must be a mapping", Source(path))
    return data


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"cannot read template file: {error.strerror}", Source(path)) from error
