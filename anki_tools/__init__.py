"""anki-tools: Markdown notes and Jupyter notebooks → Anki decks."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import export_notebook, this_notebook
    from .pipeline import build
    from .result import BuildResult

__version__ = "0.1.0"

__all__ = ["BuildResult", "__version__", "build", "export_notebook", "this_notebook"]

# The command line imports this package first: the API (the whole pipeline) is imported
# when one of its names is first used, so that `anki-tools --help` does not load it.
_HOMES = {
    "build": "pipeline",
    "BuildResult": "result",
    "export_notebook": "api",
    "this_notebook": "api",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # once: the next look-up finds it
    return value
