"""The near-duplicate check of a first build, in a process of its own, beside the lock plan
and the packaging.

After the last file is rendered, a build runs on one core: claims, the lock plan, the
near-duplicate check (a tenth of a 10k-card first build, a sixth at 100k) and packaging.
The check only adds warnings, and in a first build (no lock yet: every card is new) its
input is known before the plan, so a new Python process does it on the idle core while
this one plans and writes the deck. A new process, not a fork: a forked child shares
every page of the parent's notes until either touches them, and reference counts touch
them all, so a fork would copy most of a big build's memory; and not multiprocessing's
spawn, which runs the caller's main module again (a user's script without a main guard
would run twice). The child gets plain rows (`similar.FrontRow`) as JSON in a temporary
file, which it removes, and writes `similar.AlikeCards` as JSON. Whatever goes wrong with
it (no interpreter, a crash, a garbled answer), the check runs here instead: the
warnings are the same either way.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from ..notes import Note
from . import similar

if TYPE_CHECKING:
    import subprocess

# Below this many cards the check takes less than starting a process (about 0.1 s).
MIN_CARDS = 2000
# The child imports this module from where this process does (an editable install, a
# PYTHONPATH, a checkout run with -m), whatever its working folder holds.
CHILD = (
    "import sys; sys.path[:] = {path!r}; "
    "from anki_tools.sharing import alike_process; alike_process.main()"
)


class Pending:
    """A check running in its own process; `alike` waits for it."""

    def __init__(self, process: subprocess.Popen[bytes], notes: list[Note]) -> None:
        self.process, self.notes = process, notes

    def alike(self, new: list[bool]) -> similar.AlikeCards:
        """The child's answer, or the check made here if it has none (or if not every
        card turned out new, which the child took them to be)."""
        if not all(new):
            self.process.kill()
        out, _ = self.process.communicate()
        if self.process.returncode == 0 and all(new):
            with contextlib.suppress(ValueError, TypeError):
                return _alike_from(json.loads(out), len(self.notes))
        return similar.alike_cards(similar.front_rows(self.notes), new)


def start(notes: list[Note]) -> Pending | None:
    """The check of these notes, every one new, started in its own process; None when
    it is not worth one (a small deck) or cannot have one."""
    if len(notes) < MIN_CARDS or not sys.executable:
        return None
    # Here, not at the top: `check` and small builds need neither (~10 ms of imports).
    import subprocess
    import tempfile

    rows = similar.front_rows(notes)
    handle, path = tempfile.mkstemp(prefix="anki-tools-alike-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(rows, file)  # ASCII: a lone surrogate (from a notebook) is \\udxxx
        where = [folder for folder in sys.path if isinstance(folder, str)]
        command = [sys.executable, "-c", CHILD.format(path=where), path]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return Pending(process, notes)


def main() -> None:
    """The child: rows from the file named on the command line (then removed), its
    answer on standard output."""
    path = sys.argv[1]
    with open(path, encoding="utf-8") as file:
        rows = [(int(d), str(f), int(n), bool(g)) for d, f, n, g in json.load(file)]
    os.unlink(path)
    alike = similar.alike_cards(rows, [True] * len(rows))
    answer = [[later, score, earlier] for later, (score, earlier) in alike.items()]
    sys.stdout.write(json.dumps(answer))


def _alike_from(answer: Any, cards: int) -> similar.AlikeCards:
    alike: similar.AlikeCards = {}
    for later, score, earlier in answer:
        numbers = isinstance(later, int) and isinstance(earlier, int)
        if not (numbers and isinstance(score, float) and 0 <= -earlier < later < cards):
            raise TypeError("not the answer of alike_process.main")
        alike[later] = (score, earlier)
    return alike
