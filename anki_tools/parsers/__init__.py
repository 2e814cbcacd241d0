"""Source parsers: one module per kind of file, chosen by suffix."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..errors import AnkiToolsError, Problems, SourceError
from ..notes import Note, Source
from . import markdown, notebook

Parser = Callable[[Path, Path, "str | None", Problems], list[Note]]

PARSERS: dict[str, Parser] = {
    ".md": markdown.parse,
    ".markdown": markdown.parse,
    ".ipynb": notebook.parse,
}
NO_CARDS_HINTS = {".ipynb": notebook.NO_CARDS_HINT}


def get_parser(path: Path) -> Parser:
    """The parser for a file, or an error listing the suffixes we know."""
    try:
        return PARSERS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise SourceError(f"unknown kind of source '{path.suffix}' (known: {known})") from None


def parse_file(path: Path, root: Path, deck: str | None, problems: Problems) -> list[Note]:
    """The notes of one source; what is wrong with it goes to `problems`, never raised."""
    mark = problems.mark()
    try:
        notes = get_parser(path)(path, root, deck, problems)
    except AnkiToolsError as error:
        problems.add(error, Source(path))
        return []
    except OSError as error:
        problems.error(Source(path), f"cannot read: {error.strerror}")
        return []
    if not notes and not problems.errors_since(mark):
        problems.warning(Source(path), f"no cards found ({no_cards_hint(path)})")
    return notes


def is_source(path: Path) -> bool:
    return path.suffix.lower() in PARSERS


def no_cards_hint(path: Path) -> str:
    """Where cards come from in this kind of file, for a 'no cards found' warning."""
    return NO_CARDS_HINTS.get(path.suffix.lower(), markdown.NO_CARDS_HINT)


def sources_in(folder: Path) -> list[Path]:
    """Every source file under a folder, sorted; hidden folders are not even entered."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        here = Path(parent)
        found += [here / name for name in files if is_source(here / name)]
    return sorted(p for p in found if not is_skipped(p.relative_to(folder)))


def is_skipped(relative: Path) -> bool:
    """Hidden files and folders, and a folder's README.md, which describes notes, not cards."""
    hidden = any(part.startswith(".") for part in relative.parts)
    return hidden or relative.name.lower() == "readme.md"
