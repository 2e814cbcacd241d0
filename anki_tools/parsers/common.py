"""Helpers both parsers need: reading text, deck names from folders, tags."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import SourceError
from ..notes import Source


def read_text(path: Path) -> str:
    """Read a UTF-8 source, naming the line of the first byte that is not UTF-8."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8",
            Source(path, line),
        ) from error
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def deck_from_path(path: Path, root: Path) -> str:
    """`python/numpy/basics.md` under the root → `python::numpy`; a file at the root → its stem."""
    try:
        folders = path.parent.resolve().relative_to(root.resolve()).parts
    except ValueError:
        folders = ()
    return "::".join(folders) if folders else path.stem


def split_tags(value: object, source: Source) -> tuple[str, ...]:
    """Tags from YAML or an attribute: a list or a space-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(tag, (str, int)) for tag in value):
        return tuple(part for tag in value for part in str(tag).split())
    raise SourceError("'tags' must be a list or a space-separated string", source)


def yaml_problem(error: yaml.YAMLError, first_line: int = 1) -> tuple[int | None, str]:
    """The line (counting the YAML's first line as `first_line`) and the short reason."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + first_line if mark is not None else None
    return line, getattr(error, "problem", None) or "not valid YAML"
