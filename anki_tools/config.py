"""Deck configs: `decks/NAME.yaml` → DeckSpec, and their source globs → files.

Paths in a config are relative to the project folder, the one that holds `decks/`, so
a config reads like the repository it sits in: `sources: [notes/*/python/**/*.md]`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from . import files, limits
from .errors import ConfigError
from .notes import CELL_MODES, DeckSpec, ReadOptions, Source
from .parsers import is_hidden, is_source, readme_hint, skips_readme, sources_in
from .parsers.common import read_text, read_yaml, yaml_problem
from .parsers.markdown import is_card_level
from .tags import problem as tag_problem
from .tags import split_tags

CONFIG_FOLDER = "decks"
KEYS = (
    "name",
    "description",
    "sources",
    "output",
    "tags",
    "theme",
    "url",
    "no_remote",
    "cells",
    "card_level",
    "include_readme",
)


def is_deck_config(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and path.is_file()


def find_deck_configs(project: Path) -> list[Path]:
    """Every `decks/*.yaml` of a project, sorted by name."""
    folder = project / CONFIG_FOLDER
    return sorted(p for p in folder.glob("*.y*ml") if is_deck_config(p))


def load_deck_config(path: Path) -> DeckSpec:
    """Read and check one config; every mistake is a ConfigError with its line."""
    # One parse gives both the node tree (each key's line) and the data.
    text = read_text(path, limits.DECK_CONFIG_MAX_BYTES, "deck configs")
    try:
        node, data = read_yaml(text)
    except yaml.YAMLError as error:
        line, problem = yaml_problem(error)
        raise ConfigError(f"invalid YAML: {problem}", Source(path, line)) from error
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ConfigError("a deck config is a mapping: name, sources, …", Source(path, 1))
    lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value}
    return _spec(data, path, lines)


def _spec(data: dict[str, Any], path: Path, lines: dict[str, int]) -> DeckSpec:
    def at(key: str) -> Source:
        return Source(path, lines.get(key, 1))

    for key in map(str, data):
        if key not in KEYS:
            import difflib  # deferred: only a misspelt key needs it

            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(KEYS)}"
            raise ConfigError(f"unknown key '{key}' ({hint})", at(key))
    project = project_folder(path)
    output = _output(data, path, project, at)
    return DeckSpec(
        config=path,
        project=project,
        name=_text(data, "name", at) or path.stem,
        description=_text(data, "description", at) or "",
        sources=_sources(data, at),
        output=output,
        tags=_tags(data, at),
        theme=_text(data, "theme", at),
        url=_text(data, "url", at),
        no_remote=_flag(data, "no_remote", at),
        read=_read_options(data, at),
        lines=lines,
    )


def _output(data: dict[str, Any], path: Path, project: Path, at: Callable[[str], Source]) -> Path:
    """The `.apkg` to write, inside the project: a config comes with others' notes, and
    must not overwrite a file elsewhere (nor write a lock beside it). `-o` may go anywhere."""
    text = _text(data, "output", at) or f"{CONFIG_FOLDER}/{path.stem}.apkg"
    if not text.endswith(".apkg"):
        raise ConfigError("'output' must end in .apkg", at("output"))
    output = project / text
    if Path(text).is_absolute() or not files.inside(output, project):
        raise ConfigError(
            f"'output' must stay inside the project folder {project}: '{text}' leads to "
            f"{os.path.realpath(output)}",
            at("output"),
        )
    return output


def project_folder(config: Path) -> Path:
    """The folder that holds `decks/`; a config kept elsewhere is read from its own folder."""
    folder = config.resolve().parent
    return folder.parent if folder.name == CONFIG_FOLDER else folder


def _text(data: dict[str, Any], key: str, at: Callable[[str], Source]) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"'{key}' must be text", at(key))
    return value.strip() if value else None


def _flag(data: dict[str, Any], key: str, at: Callable[[str], Source]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false", at(key))
    return value


def _read_options(data: dict[str, Any], at: Callable[[str], Source]) -> ReadOptions:
    """cells, card_level and include_readme: they win over the command line's."""
    cells = _text(data, "cells", at)
    if cells is not None and cells not in CELL_MODES:
        raise ConfigError(f"'cells' must be one of {', '.join(CELL_MODES)}", at("cells"))
    level = data.get("card_level")
    if level is not None and not is_card_level(level):
        raise ConfigError("'card_level' must be a heading level from 1 to 6", at("card_level"))
    include_readme = _flag(data, "include_readme", at) if "include_readme" in data else None
    return ReadOptions(cells, level, include_readme)


def _tags(data: dict[str, Any], at: Callable[[str], Source]) -> tuple[str, ...]:
    """The tags of every card of the deck: each must be one a card can show."""
    tags = split_tags(data.get("tags"), at("tags"))
    for tag in tags:
        why = tag_problem(tag)
        if why:
            raise ConfigError(why, at("tags"))
    return tags


def _sources(data: dict[str, Any], at: Callable[[str], Source]) -> tuple[str, ...]:
    value = data.get("sources")
    if isinstance(value, str):
        value = [value]
    if not value or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            "'sources' must be a glob or a list of globs, e.g. [notes/**/*.md]", at("sources")
        )
    for glob in value:
        if not glob.strip():
            raise ConfigError("an empty glob in 'sources'", at("sources"))
        if Path(glob).is_absolute() or ".." in Path(glob).parts:
            raise ConfigError(f"'{glob}': sources stay inside the project folder", at("sources"))
    return tuple(value)


def source_files(spec: DeckSpec, warn: Callable[[str], None]) -> list[Path]:
    """The files the globs match (a matched folder brings its notes), in a fixed order,
    each file once however many globs or links reach it. A README.md a glob or folder
    brings is left out (and said so) unless `include_readme`; one named by its path is
    built. A match whose links leave the project is listed too: the build refuses it."""
    found: dict[str, Path] = {}
    skipped: list[Path] = []
    for glob in spec.sources:
        matched = [
            file
            for match in _matches(spec, glob)
            for file in _sources_of(match, spec.project)
            if not is_hidden(file.relative_to(spec.project))
        ]
        if not matched:
            warn(f"'{glob}' matches no notes or notebooks")
        for file in matched:
            named = file == spec.project / glob
            if skips_readme(file, spec.read.include_readme, named):
                skipped.append(file)
            else:
                found.setdefault(os.path.realpath(file), file)
    skipped = [file for file in skipped if os.path.realpath(file) not in found]
    if skipped and spec.read.include_readme is None:
        warn(readme_hint(list(dict.fromkeys(skipped))))
    return list(found.values())


def _sources_of(match: Path, project: Path) -> list[Path]:
    """A matched folder's notes; a matched source file (or FIFO, device, broken link:
    the build says what is wrong) itself; a folder leading outside the project itself."""
    if match.is_dir() and files.inside(match, project):
        return sources_in(match, project)
    return [match] if match.is_dir() or is_source(match) else []


def _matches(spec: DeckSpec, glob: str) -> list[Path]:
    """A plain path is itself (`.` is the whole project); anything else is a glob."""
    if not any(character in glob for character in "*?["):
        path = spec.project / glob
        return [path] if os.path.lexists(path) else []  # a broken link: say so
    try:
        return sorted(spec.project.glob(glob))
    except (ValueError, IndexError) as error:
        where = Source(spec.config, spec.lines.get("sources", 1))
        raise ConfigError(f"'{glob}' is not a valid glob: {error}", where) from error
