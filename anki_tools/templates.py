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
from pygments.util import ClassNotFound

from . import highlight
from .errors import TemplateError
from .notes import Kind, Source

META = "meta.yaml"
THEMES = "themes"
DEFAULT_THEME = "default"
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
    script: str = ""  # the card script at the end of every side (a preview keeps it once)


# The repo's templates/ becomes the package `anki_tools._templates` only when installed
# (pyproject.toml's package-dir): a checkout run as it is (`python -m anki_tools` in the
# repo, or PYTHONPATH pointing at it) has the same folder beside the package instead.
CHECKOUT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def default_templates_dir() -> Path:
    """The templates shipped with the package (the repo's `templates/` folder): the one
    place that knows where they are, installed or in a checkout."""
    try:
        return Path(str(resources.files("anki_tools._templates")))
    except ModuleNotFoundError:
        return CHECKOUT_TEMPLATES


def theme_names(folder: Path | None = None) -> list[str]:
    """The themes a templates folder offers (`themes/<name>.yaml`) and the built-in ones."""
    folders = {default_templates_dir(), folder or default_templates_dir()}
    return sorted({path.stem for found in folders for path in (found / THEMES).glob("*.yaml")})


def _theme_file(folder: Path, theme: str) -> Path | None:
    """A folder's own theme first; a folder made before themes existed uses the built-in ones."""
    for candidate in (folder, default_templates_dir()):
        path = candidate / THEMES / f"{theme}.yaml"
        if path.is_file():
            return path
    return None


def load_note_types(folder: Path | None = None, theme: str = DEFAULT_THEME) -> dict[Kind, NoteType]:
    """Load one note type per card kind from a templates folder, in one of its themes."""
    folder = folder or default_templates_dir()
    css = _read(folder / "style.css") + "\n" + _theme_css(folder, theme)
    script = "\n<script>\n" + _read(folder / "card.js") + "</script>\n"
    return {kind: _load(folder / name, css, script) for kind, name in KIND_FOLDERS.items()}


def _theme_css(folder: Path, theme: str) -> str:
    """The theme's own CSS (after style.css, so it wins) and its code colours."""
    path = _theme_file(folder, theme)
    if path is None:
        known = ", ".join(theme_names(folder)) or "none"
        raise TemplateError(f"no theme '{theme}' (known: {known})", Source(folder / THEMES))
    meta = _meta(path)
    extra = _read(path.parent / str(meta["css"])) if meta.get("css") else ""
    try:
        code = highlight.stylesheet(
            str(meta.get("code_light", highlight.LIGHT_STYLE)),
            str(meta.get("code_dark", highlight.DARK_STYLE)),
        )
    except ClassNotFound as error:
        raise TemplateError(f"unknown Pygments style: {error}", Source(path)) from error
    return extra + "\n" + code


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
            script=script,
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
