"""Source parsers: one module per kind of file, chosen by suffix."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .. import files
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
    """The notes of one source; what is wrong with it goes to `problems`, never raised.

    Every source passes here, however it was found (a folder walk, a deck config's glob,
    a file named on the command line, whose root is its own folder): one whose links lead
    outside its build root is refused before it is opened."""
    mark = problems.mark()
    try:
        if not files.inside(path, root):
            raise SourceError(files.outside_root_message(path, root))
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


def sources_in(folder: Path, root: Path | None = None) -> list[Path]:
    """Every source file under a folder, sorted; hidden folders are not even entered.

    Linked folders are followed while they stay inside `root` (the folder itself unless
    given), each real folder once, so a link back up is no loop. A linked folder leading
    outside `root` is not entered but listed itself, for the build to refuse by its path."""
    root = root or folder
    found: list[Path] = []
    entered = {os.path.realpath(folder)}
    for parent, folders, names in os.walk(folder, followlinks=True):
        here = Path(parent)
        kept = []
        for name in sorted(folders):  # sorted: which of two links to a folder wins is fixed
            sub = here / name
            if name.startswith(".") or os.path.realpath(sub) in entered:
                continue
            if files.inside(sub, root):
                entered.add(os.path.realpath(sub))
                kept.append(name)
            else:
                found.append(sub)
        folders[:] = kept
        found += [here / name for name in names if is_source(here / name)]
    return sorted(p for p in found if not is_skipped(p.relative_to(folder)))


def is_skipped(relative: Path) -> bool:
    """Hidden files and folders, and a folder's README.md, which describes notes, not cards."""
    hidden = any(part.startswith(".") for part in relative.parts)
    return hidden or relative.name.lower() == "readme.md"
