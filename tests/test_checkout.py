"""`python -m anki_tools` runs from a source checkout that was never installed: the repo's
templates/ is `anki_tools._templates` only in an install, so the checkout finds its
templates beside the package (themes.default_templates_dir)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from cli_run import run

ROOT = Path(__file__).resolve().parent.parent
TREE = ("anki_tools", "templates", "examples", "decks")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the source tree, away from the one the test environment installed."""
    copy = tmp_path / "checkout"
    for name in TREE:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def python_s(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This Python without `site` (so no installed or editable anki_tools), seeing the
    copy first and the installed dependencies after it, in a clean environment."""
    paths = dict.fromkeys(
        [str(checkout), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(checkout),
        "PYTHONPATH": os.pathsep.join(paths),
    }
    return subprocess.run(
        [sys.executable, "-S", *args], cwd=checkout, env=env, capture_output=True, text=True
    )


def test_the_checkout_is_what_runs_and_has_no_installed_templates(checkout: Path) -> None:
    code = (
        "import importlib.util, anki_tools, anki_tools.themes as t; "
        "print(anki_tools.__file__); print(importlib.util.find_spec('anki_tools._templates')); "
        "print(t.default_templates_dir())"
    )
    done = python_s(checkout, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        str(checkout / "anki_tools" / "__init__.py"),
        "None",
        str(checkout / "templates"),
    ]


def test_python_m_anki_tools_builds_the_example_deck_from_a_checkout(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = checkout / "decks" / "examples.apkg"
    deck.unlink(missing_ok=True)  # a clean clone has no built deck yet (it is gitignored)
    done = python_s(checkout, "-m", "anki_tools", "build")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "decks/examples.apkg: " in done.stdout and " notes, " in done.stdout, done.stdout
    built = deck.read_bytes()
    # The installed package builds the same deck from the same sources and lock.
    monkeypatch.chdir(checkout)
    again = run("build")
    assert again.exit_code == 0, again.output
    assert deck.read_bytes() == built
