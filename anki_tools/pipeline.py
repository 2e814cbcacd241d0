"""The whole run: find sources → parse → render → check → build."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from . import body, builder, identity, parsers
from . import preview as preview_page
from .errors import AnkiToolsError, Problems
from .notes import Kind, Note, RenderedNote, Source
from .render import Renderer
from .result import BuildResult
from .templates import DEFAULT_THEME, load_note_types

CLOZE_NUMBER_RE = re.compile(r"\{\{c(\d+)::")
Progress = Callable[[int], None]


def find_sources(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """Every source file with its build root (the folder given, or a file's own folder)."""
    found: dict[Path, tuple[Path, Path]] = {}
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and parsers.is_source(p))
            pairs = [(f, path) for f in files if not _skipped(f.relative_to(path))]
        else:
            pairs = [(path, path.parent)]
        for file, root in pairs:
            found.setdefault(file.resolve(), (file, root))  # overlapping paths: read once
    return list(found.values())


def _skipped(relative: Path) -> bool:
    """Hidden files and folders, and a folder's README.md, which describes notes, not cards."""
    hidden = any(part.startswith(".") for part in relative.parts)
    return hidden or relative.name.lower() == "readme.md"


def parse_sources(
    sources: list[tuple[Path, Path]],
    deck: str | None,
    problems: Problems,
    progress: Progress | None = None,
) -> list[Note]:
    notes: list[Note] = []
    for path, root in sources:
        mark = problems.mark()
        try:
            found = parsers.get_parser(path)(path, root, deck, problems)
        except AnkiToolsError as error:
            problems.add(error, Source(path))
            found = []
        except OSError as error:
            problems.error(Source(path), f"cannot read: {error.strerror}")
            found = []
        else:
            if not found and not problems.errors_since(mark):
                hint = parsers.no_cards_hint(path)
                problems.warning(Source(path), f"no cards found ({hint})")
        notes += found
        if progress:
            progress(1)
    return notes


def render_notes(notes: list[Note], problems: Problems) -> list[RenderedNote]:
    """Render notes; a note with an error (a missing image, a duplicate id) is left out."""
    renderer = Renderer()
    rendered: dict[str, RenderedNote] = {}
    for note in notes:
        mark = problems.mark()
        item = renderer.render(note, problems)
        earlier = rendered.get(item.guid)
        if earlier is not None:
            hint = identity.duplicate_hint(note)
            message = f"duplicate card: same id as {earlier.note.source} ({hint})"
            problems.error(note.source, message)
        elif not problems.errors_since(mark):
            rendered[item.guid] = item
    return list(rendered.values())


def card_count(note: Note) -> int:
    if note.kind is Kind.REVERSED:
        return 2
    if note.kind is Kind.CLOZE:
        return len(set(CLOZE_NUMBER_RE.findall(body.without_literal_code(note.front)))) or 1
    return 1


def build(
    paths: Iterable[Path],
    output: Path | None,
    deck: str | None = None,
    keep_going: bool = False,
    timestamp: float | None = None,
    templates: Path | None = None,
    progress: Progress | None = None,
    theme: str = DEFAULT_THEME,
) -> BuildResult:
    """Build sources into one `.apkg`; with `output=None` only check them."""
    problems = Problems()
    notes = _parse_all(list(paths), deck, problems, progress, "build")
    return build_notes(notes, output, problems, keep_going, timestamp, templates, theme)


def build_notes(
    notes: list[Note],
    output: Path | None,
    problems: Problems,
    keep_going: bool = False,
    timestamp: float | None = None,
    templates: Path | None = None,
    theme: str = DEFAULT_THEME,
) -> BuildResult:
    """Render parsed notes and write them (unless there are errors and not `keep_going`)."""
    good = render_notes(notes, problems)
    result = _result(output, good, problems)
    can_write = output is not None and good and (keep_going or not problems.errors)
    if can_write and output is not None:
        note_types = load_note_types(templates, theme)
        builder.write_package(good, note_types, output, timestamp or time.time())
        result.written = True
    result.problems = problems.items
    return result


def preview(
    paths: Iterable[Path],
    folder: Path,
    deck: str | None = None,
    templates: Path | None = None,
    theme: str = DEFAULT_THEME,
) -> BuildResult:
    """Write the preview page of every card without errors (problems are listed on it)."""
    problems = Problems()
    notes = _parse_all(list(paths), deck, problems, None, "preview")
    good = render_notes(notes, problems)
    result = _result(folder / preview_page.PAGE_NAME, good, problems)
    result.cards = preview_page.write_preview(
        good, load_note_types(templates, theme), folder, problems.items
    )
    result.written = True
    result.problems = problems.items
    return result


def _parse_all(
    paths: list[Path], deck: str | None, problems: Problems, progress: Progress | None, verb: str
) -> list[Note]:
    """Every note of the sources; no cards at all (and no other error) is an error."""
    notes = parse_sources(find_sources(paths), deck, problems, progress)
    if not notes and not problems.errors:
        where = ", ".join(str(p) for p in paths) or "."
        problems.error(Source(Path(where)), f"nothing to {verb}: no cards found")
    return notes


def _result(output: Path | None, notes: list[RenderedNote], problems: Problems) -> BuildResult:
    media = {m.name for r in notes for m in r.media}
    return BuildResult(
        output=output,
        notes=len(notes),
        cards=sum(card_count(r.note) for r in notes),
        media=len(media),
        decks=tuple(sorted({r.note.deck for r in notes})),
        problems=problems.items,
    )
