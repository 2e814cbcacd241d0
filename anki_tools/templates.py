"""Note types from template folders: `templates/<name>/{meta.yaml, *.html}`.

The shared `style.css` (plus the Pygments stylesheet) becomes every note type's CSS;
`card.js` is appended to every card side, so the templates stay plain Anki syntax.
A note type's `fields:` are its data: the renderer fills them by position (FIELD_ROLES),
under the names the meta.yaml gives them.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pygments.util import ClassNotFound

from .errors import TemplateError
from .notes import FieldNames, Kind, Source
from .parsers.common import read_yaml, yaml_problem
from .render import highlight
from .themes import DEFAULT_THEME, THEMES, default_templates_dir, unknown_theme

META = "meta.yaml"
KIND_FOLDERS = {
    Kind.BASIC: "basic",
    Kind.REVERSED: "reversed",
    Kind.CLOZE: "cloze",
    Kind.TYPE_IN: "typein",
    Kind.IMAGE: "image",
}
# What Anki takes out of a field name (its `NoteField::fix_name`).
ANKI_NOT_IN_NAMES_RE = re.compile('[:{}"]')
ANKI_START_RE = re.compile(r"^[#/^\s]+")
# What the renderer puts in a note type's fields, in their order in `fields:`; the names
# are the note type's own (Front, or a cloze's Text; Back, or Back Extra; …).
FIELD_ROLES = ("the question (a cloze's text)", "the answer", "the hint", "the source")


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


def _theme_file(folder: Path, theme: str) -> Path | None:
    """A folder's own theme first; a folder made before themes existed uses the built-in ones."""
    for candidate in (folder, default_templates_dir()):
        path = candidate / THEMES / f"{theme}.yaml"
        if path.is_file():
            return path
    return None


def field_names(folder: Path | None = None) -> FieldNames:
    """Each card kind's field names, from its note type's meta.yaml (checked as a build
    checks them), for the renderer: the card script and CSS are not needed for that."""
    return _read_field_names(folder) if folder else _built_in_field_names()


@lru_cache(maxsize=1)
def _built_in_field_names() -> FieldNames:
    # Read once: reading five YAML files is slower than rendering a small source file.
    return _read_field_names(default_templates_dir())


def _read_field_names(folder: Path) -> FieldNames:
    paths = [(kind, folder / name / META) for kind, name in KIND_FOLDERS.items()]
    return {kind: _fields(path, *_meta(path)) for kind, path in paths}


def note_type_ids(folder: Path | None = None) -> dict[Kind, int]:
    """Each card kind's note type id, from its meta.yaml, for the workers to hash notes
    with (sharing/content.py); a kind whose id is not a number is left out (loading the
    note types reports it)."""
    return _read_note_type_ids(folder) if folder else _built_in_note_type_ids()


@lru_cache(maxsize=1)
def _built_in_note_type_ids() -> dict[Kind, int]:
    return _read_note_type_ids(default_templates_dir())


def _read_note_type_ids(folder: Path) -> dict[Kind, int]:
    ids: dict[Kind, int] = {}
    for kind, name in KIND_FOLDERS.items():
        with contextlib.suppress(KeyError, TypeError, ValueError):
            ids[kind] = int(_meta(folder / name / META)[0]["id"])
    return ids


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
        raise TemplateError(unknown_theme(theme, folder) or theme, Source(folder / THEMES))
    meta, _ = _meta(path)
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
    meta, node = _meta(folder / META)
    fields = _fields(folder / META, meta, node)
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
            fields=fields,
            cards=cards,
            css=css,
            script=script,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TemplateError(f"bad note type metadata: {error!r}", Source(folder / META)) from error


def _fields(path: Path, meta: dict[str, Any], node: yaml.MappingNode) -> tuple[str, ...]:
    """A note type's `fields:`, one name for each of FIELD_ROLES, in their order: a list
    that does not fit is an error at its line, never a field left silently empty."""
    value = [(k, v) for k, v in node.value if k.value == "fields"]
    need = f"a note type has {len(FIELD_ROLES)} fields, in this order: {', '.join(FIELD_ROLES)}"
    if not value:
        raise TemplateError(f"no 'fields:' list ({need})", Source(path, 1))
    key, items = value[-1]  # YAML keeps the last of a key written twice
    here = Source(path, key.start_mark.line + 1)
    names = meta["fields"]
    if not isinstance(names, list) or not isinstance(items, yaml.SequenceNode):
        raise TemplateError(f"'fields:' must be a list of names ({need})", here)
    seen: set[str] = set()
    for name, item in zip(names, items.value, strict=True):
        _check_field_name(name, seen, Source(path, item.start_mark.line + 1))
    if len(names) != len(FIELD_ROLES):
        raise TemplateError(f"'fields:' lists {len(names)} fields, but {need}", here)
    return tuple(names)


def _check_field_name(name: object, seen: set[str], where: Source) -> None:
    """A name Anki keeps as written: on import Anki renames a field whose name it does not
    allow, or that repeats another ignoring case, and the templates' `{{Name}}` breaks."""
    if not isinstance(name, str) or not name.strip():
        raise TemplateError(f"a field name must be text, not {name!r}", where)
    fixed = ANKI_START_RE.sub("", ANKI_NOT_IN_NAMES_RE.sub("", name).strip())
    if fixed != name:
        raise TemplateError(
            f"Anki would rename the field {name!r} to {fixed!r}: a field name may not hold "
            "':', '{', '}' or '\"', start with '#', '/' or '^', or start or end with a space",
            where,
        )
    if name.casefold() in seen:
        raise TemplateError(f"the field {name!r} is listed twice (Anki ignores case)", where)
    seen.add(name.casefold())


def _meta(path: Path) -> tuple[dict[str, Any], yaml.MappingNode]:
    """A metadata file's data, and its node tree for the lines of its keys."""
    try:
        node, data = read_yaml(_read(path))
    except yaml.YAMLError as error:
        line, problem = yaml_problem(error)
        raise TemplateError(f"invalid YAML: {problem}", Source(path, line)) from error
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise TemplateError("metadata must be a mapping", Source(path, 1))
    return data, node


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"cannot read template file: {error.strerror}", Source(path)) from error
