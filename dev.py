#!/usr/bin/env python3
"""Set up and run anki-tools from a fresh clone with nothing but Python 3.

    python3 dev.py decks   # build the example decks from examples/ into decks/
    python3 dev.py test    # lint, type-check and run the whole test suite
    python3 dev.py shots   # the card screenshots of docs/images/, taken in Anki desktop

Both create `.venv/` on first use and (re)install the project with its test
dependencies whenever pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / "anki-tools-installed"
PYTEST_NO_TESTS = 5
# Browser tests drive Debian's Chromium (playwright's own download needs its CDN).
CHROMIUM = Path(os.environ.get("ANKI_TOOLS_CHROMIUM", "/usr/bin/chromium"))
# Desktop tests run aqt under Xvfb; Qt WebEngine needs these libraries (Debian names).
DESKTOP_PACKAGES = [
    *("xvfb", "xauth", "libegl1", "libgl1", "libxkbcommon-x11-0", "libnss3", "libxcomposite1"),
    *("libxdamage1", "libxrandr2", "libxtst6", "libasound2", "libxkbfile1", "libxcb-cursor0"),
    *("libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0", "libxshmfence1"),
    *("libxcb-render-util0", "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1", "libdbus-1-3"),
    *("libfontconfig1", "fonts-dejavu"),
]


def main(argv: list[str]) -> int:
    commands = {"decks": build_decks, "test": run_tests, "shots": take_shots}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_environment()
    return commands[argv[1]](argv[2:])


def ensure_environment() -> None:
    """Create the virtualenv and install the project when pyproject.toml is new or changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    print("dev.py: installing anki-tools and its test dependencies into .venv", file=sys.stderr)
    run([tool("python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([tool("python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test,desktop]"])
    STAMP.write_text(wanted)


def build_decks(extra: list[str]) -> int:
    """Every deck config in decks/ (decks/examples.yaml: examples/ → decks/examples.apkg)."""
    return call([tool("anki-tools"), "build", *extra])


def ensure_system_packages() -> None:
    """Install Debian's Chromium (browser tests) and Xvfb with Qt's libraries (desktop tests)."""
    missing = [] if CHROMIUM.exists() else ["chromium"]
    if shutil.which("xvfb-run") is None or not desktop_libraries_present():
        missing += DESKTOP_PACKAGES
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(
            f"dev.py: the browser and desktop tests need these Debian packages: "
            f"{' '.join(missing)} (apt-get install them; ANKI_TOOLS_CHROMIUM may point at a "
            "Chromium elsewhere)"
        )
    print(f"dev.py: installing {' '.join(missing)} for the tests (apt-get)", file=sys.stderr)
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=apt)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=apt)


def desktop_libraries_present() -> bool:
    """Whether the Qt libraries are installed (dpkg knows; one missing means install all)."""
    if shutil.which("dpkg-query") is None:
        return True  # not Debian: the user installs them, the desktop tests say what fails
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status} ", *DESKTOP_PACKAGES],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and done.stdout.split() == ["installed"] * len(DESKTOP_PACKAGES)


def run_tests(extra: list[str]) -> int:
    ensure_system_packages()
    checks = [
        [tool("ruff"), "check", "."],
        [tool("ruff"), "format", "--check", "."],
        [tool("mypy")],
    ]
    for command in checks:
        if call(command) != 0:
            return 1
    status = call([tool("python"), "-m", "pytest", *extra])
    if status == PYTEST_NO_TESTS:
        print("dev.py: pytest collected no tests; that is a failure here", file=sys.stderr)
        return 1
    return status


def take_shots(extra: list[str]) -> int:
    """Screenshots of cards in the real Anki desktop for docs/ (tests/desktop_shots.py)."""
    ensure_system_packages()
    return call([tool("python"), str(ROOT / "tests" / "desktop_shots.py"), *extra])


def tool(name: str) -> str:
    return str(BIN / (f"{name}.exe" if os.name == "nt" else name))


def call(command: list[str]) -> int:
    print("$", " ".join(Path(part).name if i == 0 else part for i, part in enumerate(command)))
    return subprocess.call(command, cwd=ROOT)


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    """Run an install step quietly; show its output only if it fails."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"dev.py: failed: {' '.join(command)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
