"""Source parsers: one module per kind of file, chosen by suffix.

Each kind of source is one `SourceKind` in `SOURCE_KINDS` (as a Pygments lexer carries
its `filenames`): its suffixes, its parse function and where its cards come from.
Adding a kind of source is adding its module and one entry there; finding sources,
parsing them, the "no cards" hint and README handling all read that list.

The notebook parser is imported when the first notebook is read, not with this package:
nbformat and its jsonschema cost ~100 ms at start-up that `--help` and a Markdown build
never need (tests/test_startup.py holds that).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import files
from ..errors import NO_CARDS, AnkiToolsError, Problems, SourceError
from ..notes import DEFAULT_READ, Note, ReadOptions, Source, display_path
from . import markdown

Parser = Callable[[Path, Path, "str | None", Problems, ReadOptions], list[Note]]


@dataclass(frozen=True)
class SourceKind:
    """One kind of source file and how it is read."""

    name: str
    suffixes: tuple[str, ...]  # lowercase, with the dot; a file's suffix matches in any case
    parse: Parser
    no_cards_hint: str  # where cards come from, for a "no cards found" warning
    # File names (lowercase) that usually describe a folder rather than hold cards.
    readmes: tuple[str, ...] = ()


def _parse_notebook(
    path: Path, root: Path, deck: str | None, problems: Problems, read: ReadOptions = DEFAULT_READ
) -> list[Note]:
    # Deferred: the notebook parser (nbformat, jsonschema) costs ~100 ms to import.
    from . import notebook

    return notebook.parse(path, root, deck, problems, read)


SOURCE_KINDS = (
    SourceKind(
        "Markdown", (".md", ".markdown"), markdown.parse, markdown.NO_CARDS_HINT, ("readme.md",)
    ),
    SourceKind(
        "Jupyter notebook",
        (".ipynb",),
        _parse_notebook,
        "every markdown cell is a card unless it holds only headings or DECK/TAGS lines",
    ),
)


def kind_of(path: Path) -> SourceKind | None:
    """The kind of source a file is, by its suffix; None for other files."""
    suffix = path.suffix.lower()
    return next((kind for kind in SOURCE_KINDS if suffix in kind.suffixes), None)


def known_suffixes() -> list[str]:
    """Every suffix a source may have, sorted, for messages."""
    return sorted(suffix for kind in SOURCE_KINDS for suffix in kind.suffixes)


def get_parser(path: Path) -> Parser:
    """The parser for a file, or an error listing the suffixes we know."""
    kind = kind_of(path)
    if kind is None:
        known = ", ".join(known_suffixes())
        raise SourceError(f"unknown kind of source '{path.suffix}' (known: {known})")
    return kind.parse


def parse_file(
    path: Path,
    root: Path,
    deck: str | None,
    problems: Problems,
    read: ReadOptions = DEFAULT_READ,
) -> list[Note]:
    """The notes of one source; what is wrong with it goes to `problems`, never raised.

    Every source passes here, however it was found (a folder walk, a deck config's glob,
    a file named on the command line, whose root is its own folder): one whose links lead
    outside its build root is refused before it is opened."""
    mark = problems.mark()
    try:
        if not files.inside(path, root):
            raise SourceError(files.outside_root_message(path, root))
        notes = get_parser(path)(path, root, deck, problems, read)
    except AnkiToolsError as error:
        problems.add(error, Source(path))
        return []
    except OSError as error:
        problems.error(Source(path), f"cannot read: {error.strerror}")
        return []
    if not notes and not problems.errors_since(mark) and not _said_empty(problems, mark, path):
        problems.warning(Source(path), f"{NO_CARDS} ({no_cards_hint(path)})")
    return notes


def _said_empty(problems: Problems, mark: int, path: Path) -> bool:
    """Did the parser say itself why the file gave no cards (a notebook's cell mode does)?"""
    said = problems.items[mark:]
    return any(p.source == Source(path) and p.message.startswith(NO_CARDS) for p in said)


def is_source(path: Path) -> bool:
    return kind_of(path) is not None


def no_cards_hint(path: Path) -> str:
    """Where cards come from in this kind of file, for a 'no cards found' warning."""
    kind = kind_of(path)
    return kind.no_cards_hint if kind else markdown.NO_CARDS_HINT


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
    return sorted(p for p in found if not is_hidden(p.relative_to(folder)))


def is_hidden(relative: Path) -> bool:
    """Hidden files and folders (`.git`, `.obsidian`, `.ipynb_checkpoints`) hold no notes."""
    return any(part.startswith(".") for part in relative.parts)


def is_readme(path: Path) -> bool:
    """A README.md usually describes a notes folder rather than holding cards: folder
    builds and globs leave it out unless asked to build it, and say so."""
    kind = kind_of(path)
    return kind is not None and path.name.lower() in kind.readmes


def skips_readme(path: Path, include_readme: bool | None, named: bool) -> bool:
    """The README rule of folder builds and globs, one home: a README a folder or glob
    brings is left out unless asked for; one named by its own path is built."""
    return not named and not include_readme and is_readme(path)


def readme_hint(skipped: list[Path]) -> str:
    """The warning for READMEs a folder build or a glob left out, and how to build them."""
    names = ", ".join(display_path(path) for path in skipped[:3])
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    which = "it" if len(skipped) == 1 else "them"
    return (
        f"skipped {names}{more}: a README usually describes the notes, so folders and globs "
        f"leave it out. To build {which}, give --include-readme (a deck config: "
        "include_readme: true); to skip without this warning, --skip-readme "
        "(include_readme: false)"
    )
