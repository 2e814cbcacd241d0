"""Shared fixtures: golden-file updating, a notes-folder writer, a real Anki collection."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

# A 1×1 PNG, small enough to write from a test.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8"
    "cfc000000301010018dd8db00000000049454e44ae426082"
)

# Modified time pinned for reproducible builds in tests.
FIXED_TIME = 1_700_000_000.0


@pytest.fixture(autouse=True)
def cache_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has a cache folder of its own: none writes to the user's real cache,
    and a test's rebuilds still find what its first build stored."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("ANKI_TOOLS_CACHE_DIR", str(folder))
    return folder


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="Rewrite tests/goldens/*.html from the current renderer (review the diff!).",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session", autouse=True)
def sync_data_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """No test writes the user's own anki-tools data (sync's state and backups): each
    collection gets its own folder in there, by its path, so one folder serves the run."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("anki-tools-data")
        patch.setenv("ANKI_TOOLS_DATA_DIR", str(folder))
        patch.setenv("ANKI_BASE", str(folder / "no-anki-here"))
        patch.delenv("ANKI_CONNECT_URL", raising=False)  # sync's AnkiConnect mode
        patch.delenv("ANKI_CONNECT_KEY", raising=False)
        yield folder


WriteNotes = Callable[..., Path]


@pytest.fixture
def write_notes(tmp_path: Path) -> WriteNotes:
    """Write `{relative path: text}` under tmp_path/notes (text is dedented); return the folder."""

    def write(files: dict[str, str | bytes] | None = None, **kwargs: str) -> Path:
        root = tmp_path / "notes"
        for name, content in {**(files or {}), **kwargs}.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return root

    return write


@pytest.fixture
def anki(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh Anki collection; closed after the test."""
    from anki_collection import AnkiProfile

    profile = AnkiProfile(tmp_path / "anki-profile")
    yield profile
    profile.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium, driven by playwright, shared by the browser tests."""
    from playwright.sync_api import sync_playwright

    from card_browser import CHROMIUM

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `python3 dev.py test` installs Debian's")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working folder (paths in messages then read `notes/a.md`)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
