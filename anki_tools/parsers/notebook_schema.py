"""What of a notebook file is usable, read as Jupyter reads it.

Real notebooks break their schema all the time (4.2 markdown cells with `outputs`, 4.4
cells with an `id`) and Jupyter opens them anyway: a schema problem is one warning per
notebook. Only a cell that cannot be read at all (its source is no text, its outputs
no list of outputs) is left out, with a warning at its cell; everything else in it is
read, unknown keys ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Problems, SourceError
from ..notes import Source

CELL_TYPES = ("markdown", "code", "raw")
# Stands in for a cell that cannot be read, so the cells keep their numbers: the walk
# ignores raw cells.
PLACEHOLDER: dict[str, Any] = {"cell_type": "raw", "metadata": {}, "source": ""}
MESSAGE_LENGTH = 160
# Validators whose messages name keys rather than quote the value (which may be the
# whole notebook: no need to print it to compare).
NAMES_KEYS = ("required", "additionalProperties")


Repair = tuple[int | None, str]  # a schema problem found here: the cell, what is wrong


def usable(
    raw: dict[str, Any], path: Path, problems: Problems
) -> tuple[dict[str, Any], Repair | None]:
    """A copy of a v4 notebook that nbformat can read and the walk can use, and the first
    schema problem repaired on the way (a missing `metadata`). Older versions are
    nbformat's to upgrade."""
    if raw.get("nbformat") != 4:
        return raw, None
    repaired: Repair | None = None
    if "metadata" not in raw:
        raw, repaired = {**raw, "metadata": {}}, (None, "'metadata' is a required property")
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise SourceError("not a valid notebook: it has no list of 'cells'", Source(path))
    kept: list[Any] = []
    for number, cell in enumerate(cells, 1):
        problem = _unusable(cell)
        if problem is not None:
            problems.warning(Source(path, cell=number), f"cell left out: {problem}")
            kept.append(PLACEHOLDER)
            continue
        if "metadata" not in cell:
            cell = {**cell, "metadata": {}}
            repaired = repaired or (number, "'metadata' is a required property")
        kept.append(cell)
    if cells and all(cell is PLACEHOLDER for cell in kept):
        raise SourceError("not a valid notebook: none of its cells can be read", Source(path))
    return {**raw, "cells": kept}, repaired


def _unusable(cell: Any) -> str | None:
    """Why a cell cannot be read (a field the cell needs has the wrong type), or None."""
    if not isinstance(cell, dict):
        return "it is not a mapping of keys to values"
    kind = cell.get("cell_type")
    if kind not in CELL_TYPES:
        return f"unknown cell type {_shown(kind)}" if "cell_type" in cell else "no 'cell_type'"
    if "source" not in cell:
        return "it has no 'source'"
    if not _is_text(cell["source"]):
        return "its 'source' is not text"
    if not isinstance(cell.get("metadata", {}), dict):
        return "its 'metadata' is not a mapping"
    attachments = cell.get("attachments", {})
    if not isinstance(attachments, dict) or not all(
        isinstance(a, dict) for a in attachments.values()
    ):
        return "its 'attachments' are not a mapping of names to images"
    if kind == "code":
        return _unusable_outputs(cell.get("outputs", []))
    return None


def _unusable_outputs(outputs: Any) -> str | None:
    if not isinstance(outputs, list):
        return "its 'outputs' are not a list"
    for number, output in enumerate(outputs, 1):
        if not isinstance(output, dict) or not isinstance(output.get("output_type"), str):
            return f"its output {number} has no 'output_type'"
        if not all(_is_text(output[key]) for key in ("text", "traceback") if key in output):
            return f"its output {number} holds something other than text"
        if not all(isinstance(output.get(key, {}), dict) for key in ("data", "metadata")):
            return f"its output {number} has 'data' or 'metadata' that is not a mapping"
    return None


def _is_text(value: Any) -> bool:
    """A string, or a list of strings (nbformat's multi-line text on disk)."""
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def first_problem(invalid: Any) -> Repair:
    """nbformat's validation error as a cell number and a short message."""
    where = list(getattr(invalid, "absolute_path", []))
    cell = where[1] + 1 if len(where) > 1 and where[0] == "cells" else None
    return cell, _short(invalid, cell)


def warn(problem: Repair, version: str, path: Path, problems: Problems) -> None:
    """One warning per notebook: its first schema problem, and that it is read."""
    cell, message = problem
    problems.warning(
        Source(path, cell=cell),
        f"not a valid notebook (nbformat {version}): {message}; read anyway, as Jupyter does",
    )


def _short(invalid: Any, cell: int | None) -> str:
    """jsonschema's message without the value it quotes first (a whole cell, at times)."""
    message = str(getattr(invalid, "message", invalid)).split("\n")[0]
    if getattr(invalid, "validator", None) in NAMES_KEYS:
        return _cut(message)
    instance = repr(getattr(invalid, "instance", None))
    if message.startswith(instance):
        keys = [key for key in getattr(invalid, "path", []) if isinstance(key, str)]
        named = f"'{keys[-1]}'" if keys else "the cell" if cell else "the notebook"
        message = named + message[len(instance) :]
    return _cut(message)


def _cut(message: str) -> str:
    return message if len(message) <= MESSAGE_LENGTH else message[:MESSAGE_LENGTH] + " …"
