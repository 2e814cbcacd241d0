"""Helpers both parsers need: reading text, deck names from folders, YAML messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from .. import files, limits
from ..errors import SourceError
from ..notes import Source


def read_text(path: Path, limit: int, kind: str) -> str:
    """Read a UTF-8 source, naming the line of the first byte that is not UTF-8; a source
    of more than `limit` bytes, or that is not a regular file, is refused (`kind`, as
    "Markdown notes", names the limit)."""
    data = files.read_regular(path, limit, kind)
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


def yaml_problem(error: yaml.YAMLError, first_line: int = 1) -> tuple[int | None, str]:
    """The line (counting the YAML's first line as `first_line`) and the short reason."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + first_line if mark is not None else None
    return line, getattr(error, "problem", None) or "not valid YAML"


def read_yaml(text: str) -> tuple[Node | None, Any]:
    """One YAML document as its node tree (each key's line) and its data, in one parse;
    a yaml.MarkedYAMLError (with the line) for what YAML refuses."""
    loader = DepthLimitedLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


class DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing YAML nested deeper than YAML_MAX_DEPTH as it reads:
    building the nodes recurses per level, and 500 `[` raised RecursionError."""

    def __init__(self, text: str) -> None:
        try:
            super().__init__(text)
        except yaml.reader.ReaderError as error:  # the reader checks every character first
            line = text.count("\n", 0, error.position)
            mark = yaml.Mark("<yaml>", error.position, line, 0, None, 0)
            problem = f"the character {chr(error.character)!r} is not allowed"
            raise yaml.MarkedYAMLError(None, None, problem, mark) from None
        self.depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.depth >= limits.YAML_MAX_DEPTH:
            problem = f"nested more than {limits.YAML_MAX_DEPTH} deep"
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, problem, mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
