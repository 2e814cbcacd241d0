"""Command line: thin click wrappers around the pipeline. Exit 0 ok, 1 content errors, 2 usage."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

from . import __version__, parsers, pipeline
from .errors import AnkiToolsError
from .pipeline import Progress
from .result import BuildResult
from .templates import DEFAULT_THEME, theme_names

# Below this many files a build takes about a second: no progress bar.
PROGRESS_MIN_FILES = 50

SourcePaths = click.Path(exists=True, path_type=Path)
TemplatesFolder = click.Path(exists=True, file_okay=False, path_type=Path)


Command = TypeVar("Command", bound=Callable[..., None])


def templates_option(command: Command) -> Command:
    """--templates and --theme, which build and preview share."""
    command = click.option(
        "--theme",
        default=DEFAULT_THEME,
        show_default=True,
        help=f"The look of the cards: {', '.join(theme_names())} (or one in --templates).",
    )(command)
    return click.option(
        "--templates",
        type=TemplatesFolder,
        help="A folder of note-type templates to use instead of the built-in ones.",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="anki-tools")
def main() -> None:
    """Turn Markdown notes and Jupyter notebooks into Anki decks."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=SourcePaths)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The .apkg to write."
)
@click.option("--deck", help="Deck for cards that name none (front matter still wins).")
@click.option("--keep-going", is_flag=True, help="Write the good cards even if some have errors.")
@templates_option
def build(
    paths: tuple[Path, ...],
    output: Path | None,
    deck: str | None,
    keep_going: bool,
    templates: Path | None,
    theme: str,
) -> None:
    """Build PATHS (files or folders, recursively) into one .apkg."""
    _check_paths(paths)
    _check_theme(theme, templates)
    output = output or Path(f"{_default_name(paths)}.apkg")
    if output.suffix != ".apkg":
        raise click.BadParameter("the output must end in .apkg", param_hint="'-o'")
    with _progress(paths) as progress:
        result = _run(paths, output, deck, keep_going, templates, progress, theme)
    _report(result)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=SourcePaths)
@click.option("--deck", help="Deck for cards that name none.")
def check(paths: tuple[Path, ...], deck: str | None) -> None:
    """Parse and lint PATHS; write nothing."""
    _check_paths(paths)
    result = _run(paths, None, deck, False, None, None)
    _report(result)


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
@templates_option
def preview(
    paths: tuple[Path, ...], output: Path, deck: str | None, templates: Path | None, theme: str
) -> None:
    """Write a page showing every card of PATHS, front and back, as Anki shows them."""
    _check_paths(paths)
    _check_theme(theme, templates)
    try:
        result = pipeline.preview(paths, output, deck, templates, theme)
    except AnkiToolsError as error:
        raise click.ClickException(str(error)) from error
    _report(result)


def _run(
    paths: tuple[Path, ...],
    output: Path | None,
    deck: str | None,
    keep_going: bool,
    templates: Path | None,
    progress: Progress | None,
    theme: str = DEFAULT_THEME,
) -> BuildResult:
    try:
        return pipeline.build(
            paths, output, deck, keep_going, templates=templates, progress=progress, theme=theme
        )
    except AnkiToolsError as error:
        raise click.ClickException(str(error)) from error


def _check_paths(paths: tuple[Path, ...]) -> None:
    for path in paths:
        if path.is_file() and not parsers.is_source(path):
            known = ", ".join(sorted(parsers.PARSERS))
            raise click.BadParameter(f"'{path}' is not a notes file ({known})", param_hint="PATHS")


def _check_theme(theme: str, templates: Path | None) -> None:
    known = theme_names(templates)
    if theme not in known:
        raise click.BadParameter(
            f"no theme '{theme}' (known: {', '.join(known) or 'none'})", param_hint="'--theme'"
        )


def _default_name(paths: tuple[Path, ...]) -> str:
    first = paths[0].resolve()
    return first.stem if first.is_file() else first.name or "deck"


@contextmanager
def _progress(paths: tuple[Path, ...]) -> Iterator[Progress | None]:
    count = len(pipeline.find_sources(paths))
    if not sys.stderr.isatty() or count < PROGRESS_MIN_FILES:
        yield None
        return
    with click.progressbar(length=count, label="Building", file=sys.stderr) as bar:
        yield bar.update


def _report(result: BuildResult) -> None:
    for problem in result.problems:
        click.echo(str(problem), err=True)
    click.echo(result.summary())
    sys.exit(1 if result.errors else 0)
