"""Every import points down the stages (docs/architecture.md): parse → render → sharing →
build, with the data of notes.py at the bottom and the fronts (CLI, API, exporter) at the
top. An import that points up (render importing templates, a parser importing the
renderer) is the start of a loop; this test names it. Deferred imports inside functions
count too: they are imports all the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "anki_tools"

# Each module's stage, low to high: a module may import its own stage and lower ones.
# Parsing and rendering are one stage apart from each other: neither imports the other.
STAGES: dict[str, int] = {
    "notes": 0,
    "limits": 0,
    "errors": 1,
    "sanitize": 1,
    "tags": 2,
    "files": 2,
    "themes": 2,  # where the templates are and their themes' names, for --help too
    "syntax": 3,
    "parsers": 4,
    "render": 4,
    "templates": 5,
    "config": 5,
    "sharing": 6,
    "workers": 6,
    "card_render": 6,
    "cache": 6,
    "cache_codec": 6,
    "render_cache": 6,
    "progress": 6,
    "builder": 7,
    "result": 7,
    "manifest": 7,
    "preview": 8,
    "pipeline": 9,
    "sync": 10,  # builds through the pipeline, then applies the deck to a collection
    "watch": 10,  # runs builds (and syncs) again on every save
    "serve": 10,
    "api": 11,
    "exporter": 11,
    "cli": 11,
    "__main__": 12,
}
APART = {frozenset({"parsers", "render"})}  # same stage, no imports between them


def stage_of(module: str) -> str:
    """`render.highlight` → `render`; `anki_tools` itself is the package's face."""
    return module.split(".")[0]


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The anki_tools modules a file imports (relative to the package), wherever it does."""
    module = module_of(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.startswith("anki_tools"):
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                # `from . import limits` imports a module; `from .notes import Note` a name.
                candidate = [*target, alias.name]
                is_module = (PACKAGE.joinpath(*candidate).with_suffix(".py")).is_file() or (
                    PACKAGE.joinpath(*candidate) / "__init__.py"
                ).is_file()
                found.add(".".join(candidate if is_module else target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("anki_tools."):
                    found.add(alias.name.removeprefix("anki_tools."))
    return {name for name in found if name}


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_stage() -> None:
    missing = {stage_of(module_of(path)) for path in MODULES} - set(STAGES) - {""}
    assert not missing, f"give these a stage in STAGES: {sorted(missing)}"


def upward_imports(module: str, names: set[str]) -> list[str]:
    """The imports of `module` that point up the stages, or across to a stage apart."""
    own = stage_of(module)
    return sorted(
        name
        for name in names
        if STAGES.get(stage_of(name), -1) > STAGES[own] or frozenset({own, stage_of(name)}) in APART
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_of(path) or "__init__")
def test_imports_point_down_the_stages(path: Path) -> None:
    module = module_of(path)
    if not module:
        return  # the package's face hands the public API on: it may import anything
    upward = upward_imports(module, imported(path))
    assert not upward, f"{module} imports {upward}: above it, or beside it but apart"


def test_the_rule_names_upward_and_sideways_imports() -> None:
    assert upward_imports("render.renderer", {"templates", "notes", "render.media"}) == [
        "templates"
    ]
    assert upward_imports("parsers.outputs", {"render.renderer", "sanitize"}) == ["render.renderer"]
    assert upward_imports("pipeline", {"render.renderer", "sharing", "builder"}) == []


def test_imports_are_read_as_modules_or_the_modules_holding_the_names() -> None:
    names = imported(PACKAGE / "render" / "renderer.py")
    assert {"notes", "sanitize", "render.media", "syntax.engine"} <= names
    assert "templates" not in names
