"""Where the built-in templates are, and the themes a templates folder offers: what the
command line needs to describe and check --theme without loading any note type (which
imports YAML and Pygments)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

THEMES = "themes"
DEFAULT_THEME = "default"

# The repo's templates/ becomes the package `anki_tools._templates` only when installed
# (pyproject.toml's package-dir): a checkout run as it is (`python -m anki_tools` in the
# repo, or PYTHONPATH pointing at it) has the same folder beside the package instead.
CHECKOUT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def default_templates_dir() -> Path:
    """The templates shipped with the package (the repo's `templates/` folder): the one
    place that knows where they are, installed or in a checkout."""
    # The package's folder as its import spec gives it: importlib.resources would say the
    # same, but it imports tempfile and zipfile (~8 ms) for every --help.
    spec = importlib.util.find_spec("anki_tools._templates")
    if spec is None or not spec.submodule_search_locations:
        return CHECKOUT_TEMPLATES
    return Path(next(iter(spec.submodule_search_locations)))


def theme_names(folder: Path | None = None) -> list[str]:
    """The themes a templates folder offers (`themes/<name>.yaml`) and the built-in ones."""
    folders = {default_templates_dir(), folder or default_templates_dir()}
    return sorted({path.stem for found in folders for path in (found / THEMES).glob("*.yaml")})


def unknown_theme(theme: str, folder: Path | None = None) -> str | None:
    """What is wrong with a theme's name, or None when the templates folder has it: the
    one rule for --theme, a deck config's `theme:` and loading note types."""
    known = theme_names(folder)
    return None if theme in known else f"no theme '{theme}' (known: {', '.join(known) or 'none'})"
