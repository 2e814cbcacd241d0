"""The wheel holds every module of the source tree: its packages are listed by hand in
pyproject.toml (templates/ ships as `anki_tools._templates`), so a new subpackage that is
not listed would work from the checkout and be missing once installed."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_of_the_tree_is_in_the_wheel() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "anki_tools").rglob("__init__.py")
    }
    assert folders <= listed, sorted(folders - listed)
    assert {name: setuptools["package-dir"][name] for name in folders} == {
        name: name.replace(".", "/") for name in folders
    }
