"""Linear-time benchmark: long paragraphs of unclosed markers, and four times as much.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_linear.py            # prints a ratio per marker
    .venv/bin/python benchmarks/bench_linear.py --check    # exit 1 if one looks quadratic

Each case is one card whose body is one marker or URL start repeated on one line with
nothing that closes it (`{{c1::`, `http:`, `(S)`, …), the kind of paragraph a hostile or
broken note holds. A case builds once with about 4 kB of it and once with four times as
much, each the best of three in this process; linear time gives a ratio near 4, quadratic
near 16. Ratios above 8 fail `--check`. (GFM's bare-URL rule once searched all pending
text before every `:`: `http:` over 64 kB took 12 s.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from anki_tools import pipeline
from anki_tools.errors import Problems

ATOMS = ["http:", "see http: x ", "https://", "mailto:", "{{c1::", "{{{", "(S)", "\\("]
ATOMS += ["`", "[", "<", "$", "*a **", "&#", "-\nx\n", "(Q)\nx\n", "```\n-\n"]
SMALL_BYTES = 4_000
LIMIT = 8.0  # four times the input may take this many times as long


def seconds(text: str, folder: Path) -> float:
    """The best of three builds of one notes file holding `text`."""
    path = folder / "notes.md"
    path.write_text(text, encoding="utf-8")
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        problems = Problems()
        notes = pipeline.parse_sources([(path, folder)], None, problems)
        pipeline.render_notes(notes, problems)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio passes 8")
    args = parser.parse_args(argv)
    slow = []
    with tempfile.TemporaryDirectory() as folder:
        for atom in ATOMS:
            repeat = SMALL_BYTES // len(atom)
            small = seconds(f"## Q\n{atom * repeat}\n", Path(folder))
            large = seconds(f"## Q\n{atom * (4 * repeat)}\n", Path(folder))
            ratio = large / max(small, 1e-6)
            print(f"{atom!r:16} {small:7.3f} s  ×4: {large:7.3f} s  ratio {ratio:5.1f}")
            if ratio > LIMIT and large > 0.05:
                slow.append(atom)
    print("PASS: every case is linear" if not slow else f"FAIL: quadratic-looking: {slow}")
    return 1 if slow and args.check else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
