"""A real Anki desktop kept running with the real AnkiConnect add-on, for sync's
AnkiConnect mode (the recipe is in ../shared/docs/real-anki-desktop.md).

`RunningAnki.start(folder)` installs the add-on into a fresh base folder, starts Anki
under Xvfb and waits until AnkiConnect answers with the profile open; `call` is a plain
AnkiConnect client of the tests' own (not anki-tools'), and `stop()` closes the collection
cleanly, so that its file can be read afterwards. Run as a script, this module is the
driver inside Anki's process.

The add-on is GPL-3 and not part of anki-tools: it is copied from the shared vendor folder
beside the checkout (or $ANKI_CONNECT_ADDON) into the throwaway profile, never into the
project."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anki_desktop import DesktopError, desktop_available, start_under_xvfb

ADDON = Path(
    os.environ.get("ANKI_CONNECT_ADDON")
    or Path(__file__).resolve().parents[2] / "shared" / "vendor" / "anki-connect"
)
ADDON_ID = "2055492159"  # AnkiConnect's number on AnkiWeb, the folder Anki loads it from
# Anki starting on a busy 2-core machine can take a minute or two.
START_TIMEOUT = 240
STOP_TIMEOUT = 60
POLL = 0.1
STOP_FILE, CLOSED_FILE = "stop", "closed"


def anki_connect_available() -> str | None:
    """Why the AnkiConnect tests cannot run here, or None when they can."""
    why = desktop_available()
    if why is None and not (ADDON / "__init__.py").is_file():
        why = f"the AnkiConnect add-on is not at {ADDON} (set ANKI_CONNECT_ADDON to it)"
    return why


@dataclass
class RunningAnki:
    folder: Path
    url: str
    process: subprocess.Popen[bytes]

    @property
    def collection(self) -> Path:
        """The profile Anki made and opened by itself on a fresh base folder."""
        return self.folder / "anki-base" / "User 1" / "collection.anki2"

    @classmethod
    def start(cls, folder: Path) -> RunningAnki:
        base = folder / "anki-base"
        addon = base / "addons21" / ADDON_ID
        shutil.copytree(ADDON, addon)
        port = free_port()
        config = {**json.loads((ADDON / "config.json").read_text()), "webBindPort": port}
        (addon / "meta.json").write_text(json.dumps({"name": "AnkiConnect", "config": config}))
        with (folder / "anki.log").open("w") as log:
            process = start_under_xvfb([__file__, str(folder)], log)
        running = cls(folder, f"http://127.0.0.1:{port}", process)
        running._wait_for_profile()
        return running

    def _wait_for_profile(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if isinstance(self.call("getMediaDirPath"), str):
                    return
            except (OSError, AssertionError):
                pass  # not listening yet, or no collection open yet
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise DesktopError(f"AnkiConnect never answered:\n{self.log()}")
            time.sleep(POLL)

    def call(self, action: str, **params: Any) -> Any:
        body = json.dumps({"action": action, "version": 6, "params": params}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            reply = json.loads(response.read())
        assert reply["error"] is None, f"{action}: {reply['error']}"
        return reply["result"]

    def stop(self) -> None:
        """Close the collection as Anki does, and end Anki."""
        if self.process.poll() is None:
            (self.folder / STOP_FILE).touch()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        if not (self.folder / CLOSED_FILE).exists():
            raise DesktopError(f"Anki did not close its collection:\n{self.log()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()

    def log(self) -> str:
        return (self.folder / "anki.log").read_text(errors="replace")[-4000:]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---- inside Anki's process -------------------------------------------------------------


def _main(folder: Path) -> None:
    from anki_desktop import start_app

    app = start_app(folder / "anki-base")

    import aqt
    from aqt.qt import QTimer

    def maybe_stop() -> None:
        if not (folder / STOP_FILE).exists():
            return
        if aqt.mw is not None and aqt.mw.col is not None:
            aqt.mw.col.close()
        (folder / CLOSED_FILE).touch()
        os._exit(0)  # Anki's own shutdown would ask to sync and back up

    timer = QTimer()
    timer.timeout.connect(maybe_stop)
    timer.start(100)
    app.exec()


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
