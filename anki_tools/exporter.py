"""`jupyter nbconvert --to anki lesson.ipynb` → `lesson.apkg` (needs the nbconvert extra).

Registered as the `anki` entry point of `nbconvert.exporters`, which also puts
"Anki deck" in JupyterLab's File → Save and Export Notebook As menu.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, NoReturn

from nbconvert.exporters import Exporter
from nbconvert.utils.exceptions import ConversionException
from traitlets import Bool, Enum, Unicode

from . import pipeline
from .errors import NO_CARDS, AnkiToolsError, ExportError, Problem, Problems, Severity
from .notes import CELL_MODES, ReadOptions, Source
from .parsers import notebook
from .result import BuildResult
from .sharing import lock


class AnkiExportError(ConversionException, ExportError):
    """errors.ExportError as nbconvert's own kind of error, so `jupyter nbconvert` prints
    it as a failed conversion. It lives here, not in errors.py: only the exporter needs
    nbconvert, and errors.py is imported by every run."""


class AnkiExporter(Exporter):
    """Export a notebook as an Anki deck (.apkg)."""

    export_from_notebook = "Anki deck"
    _filename: Path | None = None
    _read: tuple[notebook.Notebook, Problems] | None = None  # the named file, as read
    output_mimetype = "application/octet-stream"

    deck = Unicode(None, allow_none=True, help="Deck for cards the notebook names none for.").tag(
        config=True
    )
    cells = Enum(
        CELL_MODES,
        None,
        allow_none=True,
        help="Which markdown cells are cards (auto, all, marked) if the notebook's "
        "metadata does not say; auto when unset.",
    ).tag(config=True)
    keep_going = Bool(False, help="Write the good cards even if some have errors.").tag(config=True)

    def _file_extension_default(self) -> str:
        return ".apkg"

    def from_filename(
        self, filename: str, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Any, dict[str, Any]]:  # nbconvert types it as a notebook; it is bytes
        # Remember the file: its folder holds the local images, and from_file reads it.
        self._filename = Path(filename)
        try:
            result: tuple[Any, dict[str, Any]] = super().from_filename(filename, resources, **kw)
        finally:
            self._filename, self._read = None, None
        return result

    def from_file(
        self, file_stream: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Any, dict[str, Any]]:
        """A named file is read as a build reads it, once: nbconvert's nbformat.read would
        invent ids for cells saved without one, and the file would be read again for them."""
        if self._filename is None:
            return super().from_file(file_stream, resources, **kw)
        problems = Problems()
        try:
            read = notebook.read_notebook(self._filename, problems)
        except AnkiToolsError as error:
            problems.add(error, Source(self._filename))
            self._log_problems(BuildResult(output=None, problems=problems.items))
            self._fail(problems.errors)
        self._read = (read, problems)
        return self.from_notebook_node(read.node, resources, **kw)

    def from_notebook_node(
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Any, dict[str, Any]]:
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        path = self._notebook_path(resources)
        read, problems = self._read or (None, Problems())
        # The ids as saved, when nbconvert's preprocessors kept the cells as they were read;
        # a node from elsewhere, or one with cells added or removed, keeps its own.
        ids = [cell.get("id") for cell in nb_copy.cells]
        if read is not None and len(read.saved_ids) == len(ids):
            ids = read.saved_ids
        parsed = notebook.with_saved_ids(path, nb_copy, ids)
        try:
            notes = notebook.notes_from(
                parsed, path.parent, self.deck, problems, ReadOptions(cells=self.cells)
            )
        except AnkiToolsError as error:
            problems.add(error, Source(path))
            notes = []
        # The lock goes beside the notebook, where nbconvert writes the deck by default;
        # the deck itself is made in memory, for nbconvert to write where it is told.
        output = path.with_suffix(".apkg")
        options = pipeline.BuildOptions(
            output, lock=lock.path_for(output), keep_going=self.keep_going
        )
        good = pipeline.render_notes(notes, problems)
        planned = pipeline.plan_rendered(good, problems, options)
        planned.into = package = io.BytesIO()
        result = planned.finish()
        self._log_problems(result)  # with keep_going, errors of the cards left out
        if not result.written:
            self._fail(result.errors)
        self.log.info("%s", result.counts())
        for line in result.change_lines():
            self.log.info("%s", line)
        return package.getvalue(), resources

    def _notebook_path(self, resources: dict[str, Any]) -> Path:
        if self._filename is not None:
            return self._filename
        metadata = resources.get("metadata", {})
        name = metadata.get("name") or "notebook"
        return Path(metadata.get("path") or ".") / f"{name}.ipynb"

    def _log_problems(self, result: BuildResult) -> None:
        for problem in result.shown_problems():
            log = self.log.warning if problem.severity is Severity.WARNING else self.log.error
            log("%s", problem)

    def _fail(self, errors: list[Problem]) -> NoReturn:
        # Imported here: nbconvertapp loads the exporters (this module) while it starts.
        from nbconvert.nbconvertapp import NbConvertApp

        message = "\n".join(str(error) for error in errors) or NO_CARDS
        if NbConvertApp.initialized():
            # On the command line: the messages, not a traceback, then exit 1 as
            # nbconvert itself does after a failed conversion.
            self.log.error("nothing written")
            NbConvertApp.instance().exit(1)
        raise AnkiExportError(message)
