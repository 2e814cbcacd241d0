"""anki-tools: Markdown notes and Jupyter notebooks → Anki decks."""

from __future__ import annotations

from .api import export_notebook, this_notebook
from .pipeline import build
from .result import BuildResult

__version__ = "0.1.0"

__all__ = ["BuildResult", "__version__", "build", "export_notebook", "this_notebook"]
