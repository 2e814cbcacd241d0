"""The whole run: find sources → parse → render → check → build."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from . import body, builder, changes, config, identity, lock, parsers, render, similar, workers
from . import preview as preview_page
from .errors import Problems
from .notes import DeckSpec, Kind, Note, RenderedNote, Source
from .result import BuildResult
from .templates import DEFAULT_THEME, load_note_types, theme_names

Progress = Callable[[int], None]


def find_sources(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """Every source file with its build root (the folder given, or a file's own folder)."""
    found: dict[Path, tuple[Path, Path]] = {}
    for path in paths:
        if path.is_dir():
            pairs = [(file, path) for file in parsers.sources_in(path)]
        else:
            pairs = [(path, path.parent)]
        for file, root in pairs:
            found.setdefault(file.resolve(), (file, root))  # overlapping paths: read once
    return list(found.values())


def parse_sources(
    sources: list[tuple[Path, Path]],
    deck: str | None,
    problems: Problems,
    progress: Progress | None = None,
) -> list[Note]:
    """The notes of every source, in order (a build renders them file by file instead)."""
    notes: list[Note] = []
    for path, root in sources:
        notes += parsers.parse_file(path, root, deck, problems)
        if progress:
            progress(1)
    return notes


def render_sources(
    sources: list[tuple[Path, Path]],
    deck: str | None,
    problems: Problems,
    progress: Progress | None = None,
    tags: tuple[str, ...] = (),
    refuse_remote: bool = False,
) -> tuple[list[RenderedNote], int]:
    """Parse and render every source, file by file (on every core for a big build), in
    order; also how many notes were parsed, good or not."""
    rendered: list[RenderedNote] = []
    parsed = 0
    for work in workers.render_files(sources, deck, tags, refuse_remote):
        problems.extend(work.problems)
        rendered += work.rendered
        parsed += work.parsed
        if progress:
            progress(1)
    return _unique(rendered, problems), parsed


@dataclass(frozen=True)
class BuildOptions:
    """How to build, the same for every deck of a run."""

    keep_going: bool = False
    timestamp: float | None = None  # "now", for notes that are new or changed
    templates: Path | None = None
    theme: str = DEFAULT_THEME
    dry_run: bool = False
    theme_given: bool = False  # --theme on the command line wins over a config's theme
    no_remote: bool = False  # a remote image is an error, not a warning


def render_notes(notes: Iterable[Note], problems: Problems) -> list[RenderedNote]:
    """Render notes; a note with an error (a missing image, a duplicate id) is left out."""
    return _unique(render.Renderer().render_all(notes, problems), problems)


def _unique(rendered: Iterable[RenderedNote], problems: Problems) -> list[RenderedNote]:
    """The first note of each guid; a second one is an error naming both places."""
    by_guid: dict[str, RenderedNote] = {}
    for item in rendered:
        earlier = by_guid.get(item.guid)
        if earlier is None:
            by_guid[item.guid] = item
            continue
        hint = identity.duplicate_hint(item.note)
        message = f"duplicate card: same id as {earlier.note.source} ({hint})"
        problems.error(item.note.source, message)
    return list(by_guid.values())


def card_count(note: Note) -> int:
    if note.kind is Kind.REVERSED:
        return 2
    if note.kind is Kind.CLOZE:
        return len(body.cloze_numbers(body.parts_of(note)[0])) or 1
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
    dry_run: bool = False,
    no_remote: bool = False,
) -> BuildResult:
    """Build sources into one `.apkg` (and its lock); with `output=None` only check them."""
    options = BuildOptions(keep_going, timestamp, templates, theme, dry_run, no_remote=no_remote)
    return build_paths(paths, output, deck, options, progress)


def build_paths(
    paths: Iterable[Path],
    output: Path | None,
    deck: str | None,
    options: BuildOptions,
    progress: Progress | None = None,
) -> BuildResult:
    """`build` with its options in one piece, as the command line has them."""
    problems = Problems()
    good = _render_all(list(paths), deck, problems, progress, "build", options.no_remote)
    return build_rendered(good, output, problems, options)


def build_deck(
    spec: DeckSpec,
    options: BuildOptions,
    progress: Progress | None = None,
    check_only: bool = False,
) -> BuildResult:
    """Build one deck config: its globs' files into its deck, with its tags and theme."""
    problems = Problems()
    output = None if check_only else spec.output
    theme = options.theme if options.theme_given or not spec.theme else spec.theme
    if theme not in theme_names(options.templates):
        known = ", ".join(theme_names(options.templates))
        problems.error(_key_source(spec, "theme"), f"no theme '{theme}' (known: {known})")
        return _result(output, [], problems)
    sources = _key_source(spec, "sources")
    files = config.source_files(spec, lambda message: problems.warning(sources, message))
    pairs = [(file, spec.project) for file in files]
    refuse_remote = options.no_remote or spec.no_remote
    good, parsed = render_sources(pairs, spec.name, problems, progress, spec.tags, refuse_remote)
    if not parsed and not problems.errors:
        problems.error(sources, "nothing to build: the sources hold no cards")
    deck_options = replace(options, theme=theme)
    descriptions = {spec.name: render.deck_description(spec)}
    return build_rendered(good, output, problems, deck_options, descriptions)


def _key_source(spec: DeckSpec, key: str) -> Source:
    return Source(spec.config, spec.lines.get(key, 1))


def build_rendered(
    good: list[RenderedNote],
    output: Path | None,
    problems: Problems,
    options: BuildOptions | None = None,
    descriptions: dict[str, str] | None = None,
    lock_path: Path | None = None,
) -> BuildResult:
    """Stamp rendered notes from the lock beside `output` and write both (unless there
    are errors and not `keep_going`, or it is a dry run); with `output=None` only check."""
    options = options or BuildOptions()
    if output is None:  # a check: no lock, so every card is new
        similar.warn_double_contributions([r.note for r in good], [True] * len(good), problems)
        return _result(None, good, problems)
    note_types = load_note_types(options.templates, options.theme)
    lock_path = lock_path or lock.path_for(output)
    try:
        old = lock.read_lock(lock_path)
    except lock.LockError as error:
        problems.add(error, Source(lock_path))
        return _result(output, good, problems)
    now = int(options.timestamp if options.timestamp is not None else time.time())
    plan = changes.plan(good, note_types, old, lock_path, now, problems)
    new = [stamped.guid in plan.new_guids for stamped in plan.notes]
    similar.warn_double_contributions([r.note for r in good], new, problems)
    result = _result(output, good, problems)
    result.changes, result.dry_run = plan.report, options.dry_run
    if not options.dry_run and good and (options.keep_going or not problems.errors):
        builder.write_package(plan.notes, note_types, plan.note_type_modified, output, descriptions)
        lock.write_lock(plan.lock, lock_path, output)
        result.written = True
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
    good = _render_all(list(paths), deck, problems, None, "preview")
    result = _result(folder / preview_page.PAGE_NAME, good, problems)
    result.cards = preview_page.write_preview(
        good, load_note_types(templates, theme), folder, problems.items
    )
    result.written = True
    return result


def _render_all(
    paths: list[Path],
    deck: str | None,
    problems: Problems,
    progress: Progress | None,
    verb: str,
    refuse_remote: bool = False,
) -> list[RenderedNote]:
    """Every good note of the sources, rendered; no cards at all (and no other error) is
    an error."""
    sources = find_sources(paths)
    good, parsed = render_sources(sources, deck, problems, progress, (), refuse_remote)
    if not parsed and not problems.errors:
        where = ", ".join(str(p) for p in paths) or "."
        problems.error(Source(Path(where)), f"nothing to {verb}: no cards found")
    return good


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
