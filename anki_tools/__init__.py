"""anki-tools: Markdown notes and Jupyter notebooks → Anki decks."""

from __future__ import annotations

from .pipeline import BuildResult, build

__version__ = "0.1.0"

__all__ = ["BuildResult", "__version__", "build"]
