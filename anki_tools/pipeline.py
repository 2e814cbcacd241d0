"""The whole run: find sources → parse → render → check → build."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from . import config, parsers, render_cache, workers
from .errors import NO_CARDS, LockError, Problems, Severity
from .files import refuse_link_out
from .manifest import Built, Manifest
from .notes import (
    DEFAULT_READ,
    DeckSpec,
    Kind,
    Note,
    ReadOptions,
    RenderedNote,
    Source,
    StampedNote,
    display_path,
)
from .progress import CHECKING, READING, Progress, Step
from .render.media import MediaRead
from .render.renderer import Renderer, deck_description
from .result import BuildResult, plural
from .sharing import alike_process, changes, claims, identity, lock, similar
from .sharing.report import ChangeReport
from .templates import NoteType, field_names, load_note_types, note_type_ids
from .themes import DEFAULT_THEME, unknown_theme
from .workers import SourceFile


@dataclass(frozen=True)
class FoundSources:
    """The source files to read, each with its build root, and the READMEs left out."""

    files: list[tuple[Path, Path]]
    skipped_readmes: list[Path]


def find_sources(
    paths: Iterable[Path], include_readme: bool | None = None
) -> list[tuple[Path, Path]]:
    """Every source file with its build root (the folder given, or a file's own folder)."""
    return collect_sources(paths, include_readme).files


def collect_sources(paths: Iterable[Path], include_readme: bool | None = None) -> FoundSources:
    """`find_sources`, and the README files of folders that were left out (a README
    named as a path is built). A source whose links leave its root is listed too:
    parsing refuses it by its path."""
    found: dict[str, tuple[Path, Path]] = {}
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            pairs = [(file, path) for file in parsers.sources_in(path)]
        else:
            pairs = [(path, path.parent)]
        for file, root in pairs:
            if parsers.skips_readme(file, include_readme, named=not path.is_dir()):
                skipped.append(file)
                continue
            # Overlapping paths or two links to one file: read once. realpath, not
            # resolve: a symlink loop is reported when it is read, not raised here.
            found.setdefault(os.path.realpath(file), (file, root))
    return FoundSources(list(found.values()), skipped)


def parse_sources(
    sources: list[tuple[Path, Path]],
    deck: str | None,
    problems: Problems,
    progress: Progress | None = None,
    read: ReadOptions = DEFAULT_READ,
) -> list[Note]:
    """The notes of every source, in order (a build renders them file by file instead)."""
    notes: list[Note] = []
    for done, (path, root) in enumerate(sources, 1):
        notes += parsers.parse_file(path, root, deck, problems, read)
        if progress:
            progress(Step(READING, done, len(sources)))
    return notes


def render_sources(
    sources: list[tuple[Path, Path]],
    problems: Problems,
    options: BuildOptions,
    progress: Progress | None = None,
    tags: tuple[str, ...] = (),
    reads: list[tuple[SourceFile, MediaRead]] | None = None,
) -> tuple[list[RenderedNote], int]:
    """Parse and render every source, file by file (on every core for a big build, from
    the render cache when it has them), in order; also how many notes were parsed, good
    or not. `tags` go on every card (a deck config's); `reads` gets the image files read."""
    rendered: list[RenderedNote] = []
    parsed = 0
    fields = field_names(options.templates)  # the note types' own, by place
    # A deck's notes are hashed for its lock as they are rendered; a check has no lock.
    type_ids = note_type_ids(options.templates) if options.output else None
    with workers.no_cycle_collection():
        work_items = render_cache.render_files(
            sources,
            options.deck,
            tags,
            options.no_remote,
            options.read,
            fields,
            type_ids,
            options.cache,
        )
        for done, (source, work) in enumerate(zip(sources, work_items, strict=True), 1):
            if reads is not None:
                reads += [(source, read) for read in work.reads]
            problems.extend(work.problems)
            rendered += work.rendered
            parsed += work.parsed
            if progress:
                progress(Step(READING, done, len(sources)))
    return rendered, parsed


@dataclass(frozen=True)
class BuildOptions:
    """How to build: everything a run is told besides its sources. A deck config sets
    its own output, deck, theme and read options over these (`plan_deck`)."""

    output: Path | None = None  # the .apkg; None: only check
    deck: str | None = None  # for cards that name none
    lock: Path | None = None  # None: beside the output (a notebook's lock: beside it)
    keep_going: bool = False
    timestamp: float | None = None  # "now", for notes that are new or changed
    templates: Path | None = None
    theme: str | None = None  # None: a deck config's theme, else DEFAULT_THEME
    dry_run: bool = False
    no_remote: bool = False  # a remote image is an error, not a warning
    read: ReadOptions = DEFAULT_READ  # the command line's; a deck config's win over them
    cache: bool = True  # the render cache and the build manifest (--no-cache: neither)
    # A build for `sync`: never "up to date" (sync applies the notes it planned, whether
    # or not the deck file changed), and its notes on moved and removed cards say what
    # sync does with them beside what members who import the deck see.
    for_sync: bool = False


def render_notes(
    notes: Iterable[Note], problems: Problems, templates: Path | None = None
) -> list[RenderedNote]:
    """Render notes for the note types of `templates` (the built-in ones by default); a
    note with an error (a missing image) is left out. Which of them share a guid is for
    the build to find (`claims.claim_guids`)."""
    return Renderer(field_names(templates)).render_all(notes, problems)


def build(
    paths: Iterable[Path],
    output: Path | None,
    deck: str | None = None,
    keep_going: bool = False,
    timestamp: float | None = None,
    templates: Path | None = None,
    progress: Progress | None = None,
    theme: str | None = None,
    dry_run: bool = False,
    no_remote: bool = False,
    cells: str | None = None,
    card_level: int | None = None,
    include_readme: bool | None = None,
    cache: bool = True,
) -> BuildResult:
    """Build sources into one `.apkg` (and its lock); with `output=None` only check them.

    `cells` (auto, all, marked), `card_level` and `include_readme` are the command
    line's --cells, --card-level and --include-readme; `cache=False` is --no-cache (an
    unchanged build is then written again): see docs/cli.md."""
    options = BuildOptions(
        output=output,
        deck=deck,
        keep_going=keep_going,
        timestamp=timestamp,
        templates=templates,
        theme=theme,
        dry_run=dry_run,
        no_remote=no_remote,
        read=ReadOptions(cells, card_level, include_readme),
        cache=cache,
    )
    return build_paths(paths, options, progress)


def build_paths(
    paths: Iterable[Path], options: BuildOptions, progress: Progress | None = None
) -> BuildResult:
    """The one entry point for sources given as paths: `build`'s options in one piece,
    as the command line has them."""
    paths = list(paths)
    book = _manifest(
        options, lambda: collect_sources(paths, options.read.include_readme).files, repr(paths)
    )
    built = book.up_to_date() if book and not options.for_sync else None
    if built is not None:
        return PlannedDeck(options.output, [], Problems(), built.guids, fresh=built).finish()
    planned = plan_paths(paths, options, progress)
    planned.manifest = book
    planned.guids = {}  # one deck: no other deck's guids to check them against
    return planned.finish()


def plan_paths(
    paths: Iterable[Path], options: BuildOptions, progress: Progress | None = None
) -> PlannedDeck:
    """`build_paths` up to writing, always from the sources (sync writes the deck, then
    applies it)."""
    problems = Problems()
    reads: list[tuple[SourceFile, MediaRead]] = []
    good = _render_all(list(paths), problems, progress, "build", options, reads)
    kept = len(problems.items)
    planned = plan_rendered(good, problems, options, progress=progress)
    planned.reads, planned.kept_problems = reads, kept
    return planned


def build_deck(
    spec: DeckSpec,
    options: BuildOptions,
    progress: Progress | None = None,
    check_only: bool = False,
) -> BuildResult:
    """Build one deck config: its globs' files into its deck, with its tags and theme."""
    return plan_deck(spec, options, progress, check_only).finish()


def plan_deck(
    spec: DeckSpec,
    options: BuildOptions,
    progress: Progress | None = None,
    check_only: bool = False,
) -> PlannedDeck:
    """`build_deck` up to writing: a run of several configs checks their guids first."""
    problems = Problems()
    spec = replace(spec, read=spec.read.over(options.read))
    theme = options.theme or spec.theme or DEFAULT_THEME  # --theme wins over the config's
    options = replace(
        options,
        output=None if check_only else spec.output,
        deck=spec.name,
        theme=theme,
        no_remote=options.no_remote or spec.no_remote,
        read=spec.read,
    )
    wrong = unknown_theme(theme, options.templates)
    if wrong:
        problems.error(_key_source(spec, "theme"), wrong)
        return PlannedDeck(options.output, [], problems)
    sources = _key_source(spec, "sources")
    files = config.source_files(spec, lambda message: problems.warning(sources, message))
    pairs = [(file, spec.project) for file in files]
    book = _manifest(options, lambda: pairs, repr(spec), spec.config)
    built = book.up_to_date() if book and not options.for_sync else None
    if built is not None:
        return PlannedDeck(options.output, [], problems, built.guids, fresh=built)
    reads: list[tuple[SourceFile, MediaRead]] = []
    good, parsed = render_sources(pairs, problems, options, progress, spec.tags, reads)
    _refuse_empty(parsed, problems, sources, "build")
    descriptions = {spec.name: deck_description(spec)}
    checked_as = display_path(spec.config) if check_only else None
    kept = len(problems.items)
    planned = plan_rendered(good, problems, options, descriptions, checked_as, progress)
    planned.manifest, planned.reads, planned.kept_problems = book, reads, kept
    return planned


def _manifest(
    options: BuildOptions,
    sources: Callable[[], list[SourceFile]],
    more: str,
    deck_config: Path | None = None,
) -> Manifest | None:
    """The manifest of a build that writes its output: None for a check, a dry run or
    --no-cache (which need not find the sources first). `more` is what else decides the
    output (the paths, or the deck config)."""
    if options.output is None or options.dry_run or not options.cache:
        return None
    lock_path = options.lock or lock.path_for(options.output)
    extras = [lock_path, *_template_files(options.templates)]
    if deck_config is not None:
        extras.append(deck_config)
    # "Now" stamps only changed cards; for_sync decides whether to build, not
    # what is built, so a deck a sync wrote is up to date for the next build.
    said = repr((replace(options, timestamp=None, for_sync=False), more))
    return Manifest(options.output, said, sources(), extras, deck_config)


def _template_files(folder: Path | None) -> list[Path]:
    """Every file of a --templates folder (the built-in ones are the tool's own)."""
    if folder is None:
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file())


def refuse_shared_guids(decks: list[PlannedDeck]) -> None:
    """A guid two decks of the run give out is an error in both, naming both places; such
    decks are not written, even with --keep-going (which deck the card is in is for the
    user to decide)."""
    owner = {id(place): deck for deck in decks for place in deck.guids.values()}
    for earlier, later in identity.shared_guids([deck.guids for deck in decks]):
        for here, there in ((earlier, later), (later, earlier)):
            deck = owner[id(here)]
            deck.problems.error(
                here.source,
                f"this card's guid is also given to {there}: a guid is one note in a "
                "member's collection, so the two decks would overwrite each other's card. "
                "Give each card to one deck (deck configs whose sources overlap share cards); "
                "if the card is not in both, a lock was edited: restore it from git",
            )
            deck.shared = True


def _key_source(spec: DeckSpec, key: str) -> Source:
    return Source(spec.config, spec.lines.get(key, 1))


def build_rendered(
    good: list[RenderedNote],
    problems: Problems,
    options: BuildOptions,
    descriptions: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Stamp rendered notes from the lock and write the deck and the lock (unless there
    are errors and not `keep_going`, or it is a dry run); with no output only check."""
    return plan_rendered(good, problems, options, descriptions, progress=progress).finish()


@dataclass(frozen=True)
class StampedDeck:
    """What the deck's package is made of, for sync to write a package of some of it."""

    notes: list[StampedNote]
    note_types: dict[Kind, NoteType]
    note_type_modified: dict[Kind, int]
    descriptions: dict[str, str] | None
    contents: dict[str, str]  # guid → the lock's content hash


@dataclass
class PlannedDeck:
    """A deck stamped from its lock and ready to write, with the guids it gives out."""

    output: Path | None
    notes: list[RenderedNote]
    problems: Problems
    guids: dict[str, identity.GuidPlace] = field(default_factory=dict)
    write: Callable[[], None] | None = None  # None: a check, a dry run or nothing to write
    changes: ChangeReport | None = None  # against the lock; None for a check
    dry_run: bool = False
    keep_going: bool = False
    shared: bool = False  # a guid another deck of the run gives out too
    fresh: Built | None = None  # the output is up to date: what its manifest says of it
    manifest: Manifest | None = None  # to record what a build read and wrote
    reads: list[tuple[SourceFile, MediaRead]] = field(default_factory=list)
    # The problems of reading and rendering come first: those an up-to-date build shows
    # again (the sharing stage warns of a card once, when it is new to the lock).
    kept_problems: int = 0
    stamped: StampedDeck | None = None  # None: a check, or the lock could not be read
    # The package goes here instead of to `output`, which then only names the deck and
    # places its lock (the nbconvert exporter hands nbconvert the bytes).
    into: BinaryIO | None = None
    # Adds the near-duplicate warnings of a check run beside the writing (a first build).
    alike: Callable[[], None] | None = None

    def finish(self) -> BuildResult:
        """Write the deck and its lock, unless there are errors and not keep_going."""
        if self.fresh is not None:
            return self._up_to_date(self.fresh)
        allowed = (self.keep_going and not self.shared) or not self.problems.errors
        written = False
        if self.write is not None and allowed:
            with workers.no_cycle_collection():
                self.write()
            written = True
        if self.alike is not None:
            self.alike()  # only warnings: whether the deck is written does not wait for them
            self.alike = None
        result = _result(
            self.output,
            self.notes,
            self.problems,
            written=written,
            changes=self.changes,
            dry_run=self.dry_run,
        )
        if self.manifest is not None and written and not result.errors:
            kept = result.problems[: self.kept_problems]
            built = Built(result.notes, result.cards, result.media, result.decks, kept, self.guids)
            self.manifest.record(built, self.reads)
        return result

    def _up_to_date(self, built: Built) -> BuildResult:
        """The last build's counts and warnings; errors found since (a guid another deck
        gives out) say it is not up to date."""
        problems = [*built.problems, *(p for p in self.problems.items if p not in built.problems)]
        errors = any(p.severity is Severity.ERROR for p in problems)
        return BuildResult(
            output=self.output,
            notes=built.notes,
            cards=built.cards,
            media=built.media,
            decks=built.decks,
            problems=problems,
            up_to_date=not errors,
        )


def plan_rendered(
    good: list[RenderedNote],
    problems: Problems,
    options: BuildOptions,
    descriptions: dict[str, str] | None = None,
    checked_as: str | None = None,
    progress: Progress | None = None,
) -> PlannedDeck:
    """`build_rendered` up to writing. A check of a deck config (`checked_as`, the
    config's name) gives out the cards' own guids, for `refuse_shared_guids`."""
    with workers.no_cycle_collection():
        return _plan_rendered(good, problems, options, descriptions, checked_as, progress)


def _plan_rendered(
    good: list[RenderedNote],
    problems: Problems,
    options: BuildOptions,
    descriptions: dict[str, str] | None,
    checked_as: str | None,
    progress: Progress | None,
) -> PlannedDeck:
    output = options.output
    if progress:
        progress(Step(CHECKING, 0, len(good)))
    claimed = claims.claim_guids(good, problems)
    good = [claim.rendered for claim in claimed]
    if output is None:  # a check: no lock, so every card is new
        _warn_same_fronts(claimed, [True] * len(claimed), problems)
        planned = PlannedDeck(None, good, problems)
        if checked_as is not None:
            planned.guids = {
                c.guid: identity.GuidPlace(c.rendered.note.source, checked_as) for c in claimed
            }
        return planned
    note_types = load_note_types(options.templates, options.theme or DEFAULT_THEME)
    lock_path = options.lock or lock.path_for(output)
    now = int(options.timestamp if options.timestamp is not None else time.time())
    try:
        old = lock.read_lock(lock_path, now)
    except LockError as error:
        problems.add(error, Source(lock_path))
        return PlannedDeck(output, good, problems)
    # A first build: every card is new, so the near-duplicate check starts now, in a
    # process of its own, while this one plans and writes the deck.
    alike = None if old.exists else alike_process.start([c.rendered.note for c in claimed])
    plan = changes.plan(claimed, note_types, old, lock_path, now, problems, options.for_sync)
    new = [stamped.guid in plan.new_guids for stamped in plan.notes]
    planned = PlannedDeck(
        output,
        good,
        problems,
        changes=plan.report,
        dry_run=options.dry_run,
        keep_going=options.keep_going,
    )
    planned.alike = _warn_same_fronts(claimed, new, problems, alike)
    planned.guids = plan.guid_places(display_path(output))
    contents = {entry.guid: entry.content for entry in plan.lock.notes}
    planned.stamped = StampedDeck(
        plan.notes, note_types, plan.note_type_modified, descriptions, contents
    )
    if not options.dry_run and good:

        def write() -> None:
            # Deferred: genanki costs ~25 ms at start-up; only a written deck needs it.
            from . import builder

            refuse_link_out(lock_path)  # before the deck: never a deck without its lock
            target = output if planned.into is None else planned.into
            builder.write_package(
                plan.notes, note_types, plan.note_type_modified, target, descriptions, progress
            )
            lock.write_lock(plan.lock, lock_path, output)

        planned.write = write
    return planned


def _warn_same_fronts(
    claimed: list[claims.Claim],
    new: list[bool],
    problems: Problems,
    pending: alike_process.Pending | None = None,
) -> Callable[[], None] | None:
    """Cards with the same or nearly the same front in different files, each pair once:
    when the later card is new to the lock (every card in a check). With the check
    `pending` in its own process, what adds its warnings (where they would have been)
    once it is done."""
    for claim, is_new in zip(claimed, new, strict=True):
        if is_new and claim.same_front_as is not None:
            problems.warning(
                claim.rendered.note.source,
                f"the same front as {claim.same_front_as}: both are built, this one with an "
                "identity of its own. Learners tell them apart only by their decks and the "
                "headings shown above them: reword one, or merge them if they are one card",
            )
    notes = [c.rendered.note for c in claimed]
    if pending is None:
        similar.warn_double_contributions(notes, new, problems)
        return None
    at = len(problems.items)

    def add_warnings() -> None:
        found = Problems()
        similar.warn_alike(notes, pending.alike(new), found)
        problems.items[at:at] = found.items

    return add_warnings


def preview(
    paths: Iterable[Path], folder: Path, options: BuildOptions = BuildOptions()
) -> BuildResult:
    """Write the preview page of every card without errors into `folder` (problems are
    listed on it), with the options' deck, templates, theme and read options."""
    from . import preview as preview_page  # deferred: only `preview` needs it (~4 ms)

    problems = Problems()
    rendered = _render_all(list(paths), problems, None, "preview", options)
    good = [claim.rendered for claim in claims.claim_guids(rendered, problems)]
    note_types = load_note_types(options.templates, options.theme or DEFAULT_THEME)
    cards = preview_page.write_preview(good, note_types, folder, problems.items)
    return _result(folder / preview_page.PAGE_NAME, good, problems, cards=cards, written=True)


def _render_all(
    paths: list[Path],
    problems: Problems,
    progress: Progress | None,
    verb: str,
    options: BuildOptions,
    reads: list[tuple[SourceFile, MediaRead]] | None = None,
) -> list[RenderedNote]:
    """Every good note of the sources, rendered; no cards at all (and no other error) is
    an error."""
    read = options.read
    found = collect_sources(paths, read.include_readme)
    if found.skipped_readmes and read.include_readme is None:
        problems.warning(
            Source(found.skipped_readmes[0]), parsers.readme_hint(found.skipped_readmes)
        )
    good, parsed = render_sources(found.files, problems, options, progress, reads=reads)
    where = Source(Path(", ".join(str(p) for p in paths) or "."))
    _refuse_empty(parsed, problems, where, verb, len(found.skipped_readmes))
    return good


def _refuse_empty(
    parsed: int, problems: Problems, where: Source, verb: str, skipped_readmes: int = 0
) -> None:
    """No cards at all is an error, unless another error already says why."""
    if parsed or problems.errors:
        return
    hint = f" ({plural(skipped_readmes, 'README')} skipped: --include-readme builds them)"
    problems.error(where, f"nothing to {verb}: {NO_CARDS}{hint if skipped_readmes else ''}")


def _result(
    output: Path | None,
    notes: list[RenderedNote],
    problems: Problems,
    *,
    cards: int | None = None,  # a preview counts the cards it shows
    written: bool = False,
    changes: ChangeReport | None = None,
    dry_run: bool = False,
) -> BuildResult:
    """What the run did, made once at its end."""
    media = {m.name for r in notes for m in r.media}
    return BuildResult(
        output=output,
        notes=len(notes),
        cards=sum(r.cards for r in notes) if cards is None else cards,
        media=len(media),
        decks=tuple(sorted({r.note.deck for r in notes})),
        written=written,
        problems=list(problems.items),
        changes=changes,
        dry_run=dry_run,
    )
