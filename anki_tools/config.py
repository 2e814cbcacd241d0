"""Deck configs: `decks/NAME.yaml` → DeckSpec, and their source globs → files.

Paths in a config are relative to the project folder, the one that holds `decks/`, so
a config reads like the repository it sits in: `sources: [notes/*/python/**/*.md]`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .errors import AnkiToolsError
from .notes import DeckSpec, Source
from .parsers import is_skipped, is_source
from .parsers.common import read_text, split_tags

CONFIG_FOLDER = "decks"
KEYS = ("name", "description", "sources", "output", "tags", "theme", "url")


Where = Callable[[str], Source]  # a key's line in the config


class ConfigError(AnkiToolsError):
    """A deck config is not valid YAML or has a bad or unknown key."""


def is_deck_config(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and path.is_file()


def find_deck_configs(project: Path) -> list[Path]:
    """Every `decks/*.yaml` of a project, sorted by name."""
    folder = project / CONFIG_FOLDER
    return sorted(p for p in folder.glob("*.y*ml") if is_deck_config(p))


def load_deck_config(path: Path) -> DeckSpec:
    """Read and check one config; every mistake is a ConfigError with its line."""
    text = read_text(path)
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"invalid YAML: {problem}", Source(path, line)) from error
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ConfigError("a deck config is a mapping: name, sources, …", Source(path, 1))
    lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    return _spec(data, path, lambda key: Source(path, lines.get(key, 1)))


def _spec(data: dict[str, Any], path: Path, at: Where) -> DeckSpec:
    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(KEYS)}"
            raise ConfigError(f"unknown key '{key}' ({hint})", at(key))
    project = path.resolve().parent.parent
    output = _text(data, "output", at) or f"{CONFIG_FOLDER}/{path.stem}.apkg"
    if not output.endswith(".apkg"):
        raise ConfigError("'output' must end in .apkg", at("output"))
    return DeckSpec(
        config=path,
        project=project,
        name=_text(data, "name", at) or path.stem,
        description=_text(data, "description", at) or "",
        sources=_sources(data, at),
        output=project / output,
        tags=split_tags(data.get("tags"), at("tags")),
        theme=_text(data, "theme", at),
        url=_text(data, "url", at),
    )


def _text(data: dict[str, Any], key: str, at: Where) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"'{key}' must be text", at(key))
    return value.strip() if value else None


def _sources(data: dict[str, Any], at: Where) -> tuple[str, ...]:
    value = data.get("sources")
    if isinstance(value, str):
        value = [value]
    if not value or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            "'sources' must be a glob or a list of globs, e.g. [notes/**/*.md]", at("sources")
        )
    for glob in value:
        if Path(glob).is_absolute() or ".." in Path(glob).parts:
            raise ConfigError(f"'{glob}': sources stay inside the project folder", at("sources"))
    return tuple(value)


def source_files(spec: DeckSpec, warn: Callable[[str], None]) -> list[Path]:
    """The files the globs match (a matched folder brings its notes), in a fixed order."""
    found: dict[Path, None] = {}
    for glob in spec.sources:
        matches = sorted(spec.project.glob(glob))
        files = [m for m in matches if m.is_file() and is_source(m)]
        files += [f for m in matches if m.is_dir() for f in sorted(m.rglob("*")) if is_source(f)]
        if not files:
            warn(f"'{glob}' matches no notes or notebooks")
        found.update((f, None) for f in files if not is_skipped(f.relative_to(spec.project)))
    return list(found)
