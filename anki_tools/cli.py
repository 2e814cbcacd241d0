"""Command line: thin click wrappers around the pipeline. Exit 0 ok, 1 content errors, 2 usage."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from . import __version__, progress
from . import cache as render_cache
from .errors import AnkiToolsError, printable
from .notes import CELL_MODES, ReadOptions, display_path
from .themes import DEFAULT_THEME, theme_names, unknown_theme

# The pipeline (and with it Markdown, YAML and Pygments) is imported by each command
# that runs it, not here: `anki-tools --help` needs none of it (docs/performance.md).
if TYPE_CHECKING:
    from . import pipeline, watch
    from .pipeline import BuildOptions
    from .result import BuildResult
    from .sync.run import DeckToSync, SyncOptions

SourcePaths = click.Path(exists=True, path_type=Path)
TemplatesFolder = click.Path(exists=True, file_okay=False, path_type=Path)


Command = TypeVar("Command", bound=Callable[..., None])


def templates_option(command: Command) -> Command:
    """--templates and --theme, which build and preview share."""
    command = click.option(
        "--theme",
        help=f"The look of the cards: {', '.join(theme_names())} (or one in --templates); "
        f"default: a deck config's theme, else {DEFAULT_THEME}.",
    )(command)
    return click.option(
        "--templates",
        type=TemplatesFolder,
        help="A folder of note-type templates to use instead of the built-in ones.",
    )(command)


def read_options(command: Command) -> Command:
    """--cells, --card-level and --include-readme: how sources are read. A deck config's
    setting wins over these, and a file's front matter or notebook metadata over both."""
    command = click.option(
        "--include-readme/--skip-readme",
        default=None,
        help="Build the README.md files of folders and globs, or skip them without a "
        "warning (default: skip them and say so; a deck config: include_readme).",
    )(command)
    command = click.option(
        "--card-level",
        type=click.IntRange(1, 6),
        help="The heading level that starts a card in Markdown (default 2, '## '); "
        "a file's card_level front matter wins.",
    )(command)
    return click.option(
        "--cells",
        type=click.Choice(CELL_MODES),
        help="Which markdown cells of a notebook become cards: all, only those with card "
        "markup (marked), or auto (all if any cell has markup, else none and a warning). "
        "Default auto; the notebook's metadata wins.",
    )(command)


watch_option = click.option(
    "--watch",
    is_flag=True,
    help="Keep running: build again after every save of the sources, until Ctrl-C.",
)

no_remote_option = click.option(
    "--no-remote",
    is_flag=True,
    help="Refuse remote images (each member's Anki would fetch them); "
    "a deck config can say no_remote: true.",
)


no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Render every file again and rebuild even when nothing changed "
    "(skips the render cache and the build manifest).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="anki-tools")
def main() -> None:
    """Turn Markdown notes and Jupyter notebooks into Anki decks."""


@main.command()
@click.argument("paths", nargs=-1, type=SourcePaths)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The .apkg to write."
)
@click.option("--deck", help="Deck for cards that name none (front matter still wins).")
@click.option("--keep-going", is_flag=True, help="Write the good cards even if some have errors.")
@click.option(
    "--dry-run", is_flag=True, help="Show what would change since the lock; write nothing."
)
@watch_option
@no_remote_option
@no_cache_option
@read_options
@templates_option
def build(
    paths: tuple[Path, ...],
    output: Path | None,
    deck: str | None,
    keep_going: bool,
    dry_run: bool,
    watch: bool,
    no_remote: bool,
    no_cache: bool,
    cells: str | None,
    card_level: int | None,
    include_readme: bool | None,
    templates: Path | None,
    theme: str | None,
) -> None:
    """Build PATHS (files or folders, recursively) into one .apkg and its .lock.

    With no PATHS (or with deck configs as PATHS), build every deck config in
    decks/ (decks/NAME.yaml), each into its own .apkg.
    """
    from . import pipeline
    from .pipeline import BuildOptions

    _check_theme(theme, templates)
    options = BuildOptions(
        keep_going=keep_going,
        templates=templates,
        theme=theme,
        dry_run=dry_run,
        no_remote=no_remote,
        read=ReadOptions(cells, card_level, include_readme),
        cache=not no_cache,
    )
    configs = _deck_configs(paths)
    if configs is not None:
        if output or deck:
            raise click.UsageError(
                "-o and --deck are for building notes; a deck config sets 'output' and 'name'"
            )
        if watch:
            _watch_configs(paths, configs, options)
        sys.exit(_build_configs(configs, options, check_only=False))
    _check_paths(paths)
    output = output or Path(f"{_default_name(paths)}.apkg")
    if output.suffix != ".apkg":
        raise click.BadParameter("the output must end in .apkg", param_hint="'-o'")
    paths_options = replace(options, output=output, deck=deck)
    if watch:
        _watch_paths(paths, templates, [output], lambda: pipeline.build_paths(paths, paths_options))
    with _progress() as bar:
        result = _run(lambda: pipeline.build_paths(paths, paths_options, bar))
    sys.exit(_report(result))


@main.command()
@click.argument("paths", nargs=-1, type=SourcePaths)
@click.option("--deck", help="Deck for cards that name none.")
@no_remote_option
@no_cache_option
@read_options
def check(
    paths: tuple[Path, ...],
    deck: str | None,
    no_remote: bool,
    no_cache: bool,
    cells: str | None,
    card_level: int | None,
    include_readme: bool | None,
) -> None:
    """Parse and lint PATHS (or every deck config in decks/); write nothing."""
    from . import pipeline
    from .pipeline import BuildOptions

    read = ReadOptions(cells, card_level, include_readme)
    options = BuildOptions(no_remote=no_remote, read=read, cache=not no_cache)
    configs = _deck_configs(paths)
    if configs is not None:
        if deck:
            raise click.UsageError("--deck is for checking notes; a deck config sets 'name'")
        sys.exit(_build_configs(configs, options, check_only=True))
    _check_paths(paths)
    checked = replace(options, deck=deck)
    sys.exit(_report(_run(lambda: pipeline.build_paths(paths, checked))))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=SourcePaths)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write index.html and the media files into.",
)
@click.option("--deck", help="Deck for cards that name none.")
@no_cache_option
@click.option(
    "--watch",
    is_flag=True,
    help="Serve the page on 127.0.0.1 and write it again after every save; "
    "the open page reloads itself. Ctrl-C stops.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), help="The port for --watch (default: a free one)."
)
@read_options
@templates_option
def preview(
    paths: tuple[Path, ...],
    output: Path,
    deck: str | None,
    no_cache: bool,
    watch: bool,
    port: int | None,
    cells: str | None,
    card_level: int | None,
    include_readme: bool | None,
    templates: Path | None,
    theme: str | None,
) -> None:
    """Write a page showing every card of PATHS, front and back, as Anki shows them."""
    from . import pipeline
    from .pipeline import BuildOptions

    _check_paths(paths)
    _check_theme(theme, templates)
    read = ReadOptions(cells, card_level, include_readme)
    options = BuildOptions(
        deck=deck, templates=templates, theme=theme, read=read, cache=not no_cache
    )
    if port is not None and not watch:
        raise click.UsageError("--port is for --watch: the page is served only while watching")
    if watch:
        _watch_preview(
            paths, output, templates, port, lambda: pipeline.preview(paths, output, options)
        )
    sys.exit(_report(_run(lambda: pipeline.preview(paths, output, options))))


@main.group(invoke_without_command=True)
@click.pass_context
def cache(context: click.Context) -> None:
    """Show where the render cache is and its size; `cache clear` empties it.

    ANKI_TOOLS_CACHE_DIR chooses the folder and ANKI_TOOLS_CACHE_MAX_MB its size cap."""
    if context.invoked_subcommand is None:
        folder = render_cache.cache_folder()
        entries, size = render_cache.size(folder)
        cap = render_cache.max_bytes() // (1024 * 1024)
        click.echo(printable(f"{folder}: {entries} entries, {size / 1e6:.1f} MB (cap {cap} MB)"))


@cache.command()
def clear() -> None:
    """Remove every entry of the render cache and every build manifest."""
    folder = render_cache.cache_folder()
    click.echo(printable(f"{folder}: removed {render_cache.clear(folder)} files"))


@main.command(name="sync")
@click.argument("paths", nargs=-1, type=SourcePaths)
@click.option(
    "--dry-run", is_flag=True, help="Show what sync would do to the collection; change nothing."
)
@click.option(
    "--delete-removed",
    is_flag=True,
    help="Delete the notes of cards gone from the sources (listed first) instead of "
    "tagging them anki-tools::removed and suspending them.",
)
@click.option("--force", is_flag=True, help="Overwrite notes edited in Anki since the last sync.")
@click.option(
    "--collection",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The collection.anki2 to sync into (default: the Anki profile Anki opens).",
)
@click.option(
    "--allow-upgrade",
    is_flag=True,
    help="Let the anki package upgrade an older collection's schema.",
)
@click.option(
    "--anki-connect",
    "anki_connect",
    metavar="URL",
    help="Sync into the running Anki through AnkiConnect at URL (or $ANKI_CONNECT_URL; "
    "default: tried at http://127.0.0.1:8765 unless --collection is given).",
)
@click.option(
    "--anki-connect-key",
    envvar="ANKI_CONNECT_KEY",
    metavar="KEY",
    help="The apiKey set in AnkiConnect's config (or $ANKI_CONNECT_KEY).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Sync again after every save, with a line per sync; Ctrl-C stops.",
)
def sync_command(
    paths: tuple[Path, ...],
    dry_run: bool,
    delete_removed: bool,
    force: bool,
    collection: Path | None,
    allow_upgrade: bool,
    anki_connect: str | None,
    anki_connect_key: str | None,
    watch: bool,
) -> None:
    """Build PATHS (or every deck config) as build does, then apply the decks to your
    Anki collection: adds, updates, moves and removes cards (see docs/sync.md).

    With Anki running, through its AnkiConnect add-on; with Anki closed, into the
    collection file (the `anki` package: pip install "anki-tools[sync]")."""
    from .sync import plan as sync_plan  # deferred: the anki package only for a sync
    from .sync import run as sync_run
    from .sync.ankiconnect import url_problem

    if collection is not None and anki_connect is not None:
        raise click.UsageError(
            "--collection is for Anki closed, --anki-connect for Anki running: give one"
        )
    hint = "'--anki-connect'"
    if collection is None and anki_connect is None:
        anki_connect, hint = os.environ.get("ANKI_CONNECT_URL") or None, "$ANKI_CONNECT_URL"
    wrong = anki_connect is not None and url_problem(anki_connect)
    if wrong:  # before anything is built
        raise click.BadParameter(f"{anki_connect!r}: {wrong}", param_hint=hint)
    request = sync_plan.Request(force=force, delete_removed=delete_removed)
    options = sync_run.SyncOptions(
        dry_run, request, collection, allow_upgrade, anki_connect, anki_connect_key
    )
    if watch:
        _watch_sync(paths, options)
    status, decks = _build_for_sync(paths, dry_run)
    if not decks:  # nothing built: the collection is not opened
        sys.exit(status or 1)
    try:
        result = sync_run.sync(decks, options)
    except AnkiToolsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(error.exit_code)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    for line in result.lines():
        click.echo(line)
    sys.exit(max(status, 1 if result.failed else 0))


def _build_for_sync(paths: tuple[Path, ...], dry_run: bool) -> tuple[int, list[DeckToSync]]:
    """Build as `build` does, reporting each deck as it does; the decks built without
    errors (planned, for a dry run) and the exit status so far."""
    results, decks = _built_for_sync(paths, _deck_configs(paths), dry_run)
    status = 0
    for finished in results:
        if isinstance(finished, AnkiToolsError):
            click.echo(str(finished), err=True)
            status = max(status, finished.exit_code)
        else:
            status = max(status, _report(finished))
    return status, decks


def _built_for_sync(
    paths: tuple[Path, ...], configs: list[Path] | None, dry_run: bool
) -> tuple[list[BuildResult | AnkiToolsError], list[DeckToSync]]:
    """Build PATHS, or the deck configs, for sync: each deck's result, and the decks
    built without errors (planned, for a dry run)."""
    from . import pipeline
    from .pipeline import BuildOptions
    from .sync.run import DeckToSync

    options = BuildOptions(dry_run=dry_run, for_sync=True)
    if configs is None:
        _check_paths(paths)
        output = Path(f"{_default_name(paths)}.apkg")
        plans = [_run_plan(lambda: pipeline.plan_paths(paths, replace(options, output=output)))]
    else:
        plans = [_plan_config(path, options, check_only=False) for path in configs]
        pipeline.refuse_shared_guids([p for p in plans if isinstance(p, pipeline.PlannedDeck)])
    results, decks = [], []
    for plan in plans:
        finished = _finish(plan)
        results.append(finished)
        if isinstance(finished, AnkiToolsError):
            continue
        built = finished.written or (dry_run and not finished.errors)
        if isinstance(plan, pipeline.PlannedDeck) and plan.stamped and plan.output and built:
            decks.append(DeckToSync(plan.output, plan.stamped))
    return results, decks


def _run_plan(step: Callable[[], pipeline.PlannedDeck]) -> pipeline.PlannedDeck | AnkiToolsError:
    try:
        return step()
    except AnkiToolsError as error:
        return error


def _run(step: Callable[[], BuildResult]) -> BuildResult:
    """The one place an error of ours ends a command: `Error: path:line: message` on
    stderr (as click shows its own errors) and the error's exit code."""
    try:
        return step()
    except AnkiToolsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(error.exit_code)


def _watch_paths(
    paths: tuple[Path, ...],
    templates: Path | None,
    outputs: list[Path],
    step: Callable[[], BuildResult],
    after: Callable[[], None] = lambda: None,
) -> None:
    from . import watch  # deferred: watchfiles only for --watch

    sources = watch.paths_sources(paths, templates, outputs)
    _watch(sources, lambda: watch.cycle_of([step()]), after)


def _watch_configs(paths: tuple[Path, ...], configs: list[Path], options: BuildOptions) -> None:
    """With no PATHS, the deck configs of decks/ are found again on every build."""
    from . import watch

    def step() -> watch.Cycle:
        now = _configs_now(paths, configs)
        return watch.cycle_of([result for _, result in _built_configs(now, options, False)])

    _watch(watch.config_sources(configs, options.templates), step)


def _watch_sync(paths: tuple[Path, ...], options: SyncOptions) -> None:
    """Build and sync now and after every save. The mode is chosen again each time:
    Anki started or closed in between is synced the way it can be."""
    from . import watch
    from .sync import run as sync_run

    configs = _deck_configs(paths)

    def step() -> watch.Cycle:
        found = configs if configs is None else _configs_now(paths, configs)
        results, decks = _built_for_sync(paths, found, options.dry_run)
        built = watch.cycle_of(results, with_changes=False)  # sync's counts say what changed
        if not decks:
            return built
        try:
            synced = sync_run.sync(decks, options)
        except AnkiToolsError as error:  # Anki locked, gone, or not answering: next save
            return watch.Cycle((*built.problems, str(error)), f"{built.status}; not synced")
        problems = (*built.problems, *(str(problem) for problem in synced.problems))
        return watch.Cycle(problems, f"{built.status}; {synced.status()}")

    if configs is None:
        _check_paths(paths)
        sources = watch.paths_sources(paths, None, [Path(f"{_default_name(paths)}.apkg")])
    else:
        sources = watch.config_sources(configs, None)
    _watch(sources, step)


def _configs_now(paths: tuple[Path, ...], configs: list[Path]) -> list[Path]:
    """The deck configs a watch builds on this save: with no PATHS, those in decks/ now
    (one may have been added or removed since the watch began)."""
    from . import config

    return configs if paths else config.find_deck_configs(Path.cwd()) or configs


def _watch_preview(
    paths: tuple[Path, ...],
    folder: Path,
    templates: Path | None,
    port: int | None,
    step: Callable[[], BuildResult],
) -> None:
    from . import serve

    try:
        server = serve.PreviewServer(folder, port or 0)
    except OSError as error:
        message = f"cannot serve the preview on port {port or 'any'}: {error.strerror}"
        raise click.UsageError(message) from None
    with server:
        click.echo(f"Serving the preview at {server.url}")
        _watch_paths(paths, templates, [folder], step, server.rebuilt)


def _watch(
    sources: watch.Sources,
    step: Callable[[], watch.Cycle],
    after: Callable[[], None] = lambda: None,
) -> None:
    """Run `step` now and after every change to `sources` until Ctrl-C, which exits 0.
    `after` runs after each step (the preview server's reload)."""
    from . import watch

    def run() -> watch.Cycle:
        try:
            return step()
        finally:
            after()

    click.echo(sources.describe())
    try:
        watch.watch_loop(run, watch.changes(sources), _echo)
    except KeyboardInterrupt:
        click.echo("stopped")
    sys.exit(0)


def _echo(line: str, problem: bool) -> None:
    click.echo(line, err=problem)


def _deck_configs(paths: tuple[Path, ...]) -> list[Path] | None:
    """The deck configs to build: every one in decks/ when no PATHS are given."""
    from . import config

    if not paths:
        found = config.find_deck_configs(Path.cwd())
        if not found:
            raise click.UsageError(
                "no PATHS given and no deck configs in decks/: give notes to build, "
                "or describe decks in decks/NAME.yaml (see docs/sharing.md)"
            )
        return found
    configs = [path for path in paths if config.is_deck_config(path)]
    if configs and len(configs) != len(paths):
        raise click.BadParameter("give deck configs or notes, not both", param_hint="PATHS")
    return configs or None


def _build_configs(configs: list[Path], options: BuildOptions, check_only: bool) -> int:
    """Build (or check) each deck config; the exit status is the worst of them. Every deck
    is planned before any is written: a guid that two of them give out stops both."""
    status = 0
    for path, finished in _built_configs(configs, options, check_only):
        if isinstance(finished, AnkiToolsError):
            click.echo(str(finished), err=True)  # one line per deck, among the others' lines
            status = max(status, finished.exit_code)
            continue
        label = f"{display_path(path)}: " if check_only else ""
        status = max(status, _report(finished, label))
    return status


def _built_configs(
    configs: list[Path], options: BuildOptions, check_only: bool
) -> list[tuple[Path, BuildResult | AnkiToolsError]]:
    from . import pipeline

    plans = [(path, _plan_config(path, options, check_only)) for path in configs]
    pipeline.refuse_shared_guids([p for _, p in plans if isinstance(p, pipeline.PlannedDeck)])
    return [(path, _finish(plan)) for path, plan in plans]


def _plan_config(
    path: Path, options: BuildOptions, check_only: bool
) -> pipeline.PlannedDeck | AnkiToolsError:
    from . import config, pipeline

    try:
        spec = config.load_deck_config(path)
        with _progress() as bar:
            return pipeline.plan_deck(spec, options, bar, check_only)
    except AnkiToolsError as error:  # this deck can't be built; the others still can
        return error


def _finish(plan: pipeline.PlannedDeck | AnkiToolsError) -> BuildResult | AnkiToolsError:
    """Write a planned deck; the error when it cannot be planned or written."""
    if isinstance(plan, AnkiToolsError):
        return plan
    try:
        return plan.finish()
    except AnkiToolsError as error:  # the deck or its lock cannot be written
        return error


def _check_paths(paths: tuple[Path, ...]) -> None:
    from . import parsers

    for path in paths:
        if path.is_file() and not parsers.is_source(path):
            known = ", ".join(parsers.known_suffixes())
            raise click.BadParameter(f"'{path}' is not a notes file ({known})", param_hint="PATHS")


def _check_theme(theme: str | None, templates: Path | None) -> None:
    """--theme names a theme of the templates: a usage error before anything is read."""
    wrong = unknown_theme(theme, templates) if theme else None
    if wrong:
        raise click.BadParameter(wrong, param_hint="'--theme'")


def _default_name(paths: tuple[Path, ...]) -> str:
    first = paths[0].resolve()
    return first.stem if first.is_file() else first.name or "deck"


@contextmanager
def _progress() -> Iterator[progress.Progress | None]:
    """A bar on a terminal, shown once the build has taken a second (progress.py); none
    in a pipe or CI log. It is erased before the problems and the summary are printed."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = progress.TerminalBar(sys.stderr)
    try:
        yield bar
    finally:
        bar.close()


def _report(result: BuildResult, label: str = "") -> int:
    """Problems on stderr; the summary and the changes on stdout; the exit status."""
    for problem in result.shown_problems():
        click.echo(str(problem), err=True)
    click.echo(printable(label + result.summary()))
    for line in result.change_lines():
        click.echo(printable(line))
    return 1 if result.errors else 0
