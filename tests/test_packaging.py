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


def test_every_error_a_user_can_meet_is_in_errors_py() -> None:
    """One error family (issue 14): the CLI maps AnkiToolsError and its exit code in one
    place, so an error class defined elsewhere is one the family does not list. The
    nbconvert adapter is the one exception (it needs nbconvert, errors.py must not)."""
    import ast

    from anki_tools import errors

    family = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.AnkiToolsError)
    }
    elsewhere = []
    for path in (ROOT / "anki_tools").rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
                if bases & family:
                    elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert elsewhere == ["anki_tools/exporter.py:25: AnkiExportError"]
    assert {getattr(errors, name).exit_code for name in family} == {1}
