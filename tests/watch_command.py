"""A watch's printed lines, and a watch command running as a user runs it, for the
tests of `build --watch`, `preview --watch` and `sync --watch`. Nothing here sleeps for a
fixed time: a test waits for the line it expects."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

TIMEOUT = 60.0  # seconds: generous, for a busy machine; a pass takes well under one
STATUS = re.compile(r"^\[\d\d:\d\d:\d\d\] ")


class Lines:
    """Lines printed by a watch, from any thread, and a way to wait for one."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.seen = 0  # status lines a wait has gone past
        self.changed = threading.Condition()

    def echo(self, line: str, problem: bool = False) -> None:
        with self.changed:
            self.lines.append(line)
            self.changed.notify_all()

    def wait_for(self, wanted: Callable[[list[str]], bool], what: str) -> list[str]:
        deadline = time.monotonic() + TIMEOUT
        with self.changed:
            while not wanted(self.lines):
                left = deadline - time.monotonic()
                assert left > 0, f"no {what} in {TIMEOUT} s; printed: {self.lines}"
                self.changed.wait(left)
            return list(self.lines)

    def statuses(self) -> list[str]:
        with self.changed:
            return [line for line in self.lines if STATUS.match(line)]

    def wait_for_status(self, text: str) -> list[str]:
        """Wait for a status line holding `text` after the one the last wait found;
        return every status line so far."""
        found: list[int] = []

        def wanted(lines: list[str]) -> bool:
            statuses = [line for line in lines if STATUS.match(line)]
            found[:] = [i for i in range(self.seen, len(statuses)) if text in statuses[i]][:1]
            return bool(found)

        self.wait_for(wanted, f"status line with {text!r}")
        self.seen = found[0] + 1
        return self.statuses()[: self.seen]


class WatchCommand:
    """`anki-tools ARGS` running in its own process, its lines read as they come."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {**os.environ, "ANKI_TOOLS_JOBS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "anki_tools", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out, self.err = Lines(), Lines()
        self.readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: Lines) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.echo(line.rstrip("\n"))

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it; the exit status, once all it printed is read."""
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(TIMEOUT)
        for reader in self.readers:
            reader.join(TIMEOUT)
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)
        for reader in self.readers:
            reader.join(TIMEOUT)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
