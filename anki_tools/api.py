"""Exporting a notebook from Python, typically from a cell of the notebook itself."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import pipeline
from .errors import AnkiToolsError
from .notes import CELL_MODES
from .result import BuildResult

# Set by VS Code in the kernel's namespace; Jupyter Server sets the environment variable
# (a path relative to the server's root; the kernel runs in the notebook's folder).
VSCODE_NOTEBOOK_VARIABLE = "__vsc_ipynb_file__"
SESSION_VARIABLE = "JPY_SESSION_NAME"


def export_notebook(
    notebook: str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    deck: str | None = None,
    *,
    keep_going: bool = False,
    cells: str | None = None,
) -> BuildResult:
    """Build a notebook into an `.apkg` and return what happened.

    `notebook` defaults to the notebook this code runs in, when that can be known
    (JupyterLab, Notebook 7, VS Code). `output` defaults to the notebook's path with
    `.apkg`; the deck's lock file goes beside it (`lesson.lock`), so that a rebuilt
    deck updates the notes already imported. `deck` is used where the notebook names
    no deck in a `DECK =` cell; it wins over the notebook metadata's `anki.deck`. The
    notebook is read from disk: save it first. Content errors are in the result, not
    raised; nothing is written when there are errors unless `keep_going`. `cells`
    (auto, all, marked) says which markdown cells are cards where the notebook's
    metadata does not: see docs/notebooks.md.
    """
    path = Path(notebook) if notebook is not None else this_notebook()
    if not path.is_file():
        raise AnkiToolsError(f"no such notebook: {path}")
    if cells is not None and cells not in CELL_MODES:
        raise AnkiToolsError(f"cells must be one of {', '.join(CELL_MODES)}, not {cells!r}")
    target = Path(output) if output is not None else path.with_suffix(".apkg")
    if target.suffix != ".apkg":
        raise AnkiToolsError(f"the output must end in .apkg: {target}")
    return pipeline.build([path], target, deck=deck, keep_going=keep_going, cells=cells)


def this_notebook() -> Path:
    """The path of the notebook whose kernel runs this code."""
    main = sys.modules.get("__main__")
    candidates = [getattr(main, VSCODE_NOTEBOOK_VARIABLE, None), os.environ.get(SESSION_VARIABLE)]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            found = _existing_notebook(Path(candidate))
            if found is not None:
                return found
    raise AnkiToolsError(
        "cannot tell which notebook this is (not running in JupyterLab, Notebook 7 or "
        'VS Code): pass its path, e.g. export_notebook("lesson.ipynb")'
    )


def _existing_notebook(path: Path) -> Path | None:
    """The session path is relative to the server's root, not to the kernel's folder."""
    for candidate in (path, Path.cwd() / path, Path.cwd() / path.name):
        if candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate
    return None
