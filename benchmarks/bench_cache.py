"""Rebuild benchmark: an unchanged rebuild and a one-file edit against the genanki floor.

Run it from the repository root (a 10k-card corpus by default):

    .venv/bin/python benchmarks/bench_cache.py
    .venv/bin/python benchmarks/bench_cache.py --cards 1000 --repeat 5

The corpus and floor A (genanki alone writing the same notes, rendered beforehand) are
`bench_build.py`'s. After one cold build fills the cache and the manifest, it times, best
of `--repeat`, in process (`pipeline.build`) and as a command (`anki-tools build`, with
Python's start-up): a rebuild with nothing changed ("up to date"), and a rebuild after
one card was appended to one file. The cache lives in a temporary folder
(ANKI_TOOLS_CACHE_DIR). Targets (issue 15): unchanged ≤ 0.5 × floor, one file ≤ 1.5 ×.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bench_build as corpus_kit

from anki_tools import pipeline


def best_of(repeat: int, action: Callable[[], object], before: Callable[[], None]) -> float:
    """The fastest run, each after `before` (not timed), with garbage collection off."""
    best = float("inf")
    for _ in range(repeat):
        before()
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return best


def nothing() -> None:
    """Nothing to do before a run."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    os.environ["ANKI_TOOLS_CACHE_DIR"] = str(folder / "cache")
    cards = corpus_kit.make_cards(args.cards, corpus_kit.SEED)
    root = corpus_kit.write_corpus(cards, folder / "notes").root
    fields = list(corpus_kit.render_floor(cards))
    files = sorted(root.rglob("*.md"))
    edits = iter(range(1, 10**6))

    def edit() -> None:
        number = next(edits)
        path = files[number * 7 % len(files)]
        path.write_text(path.read_text("utf-8") + f"\n## Edited {number}\n\nNew.\n", "utf-8")

    def in_process(output: Path) -> Callable[[], object]:
        return lambda: pipeline.build([root], output, timestamp=corpus_kit.TIMESTAMP)

    def command(output: Path) -> Callable[[], object]:
        script = Path(sys.executable).parent / "anki-tools"
        run = [str(script), "build", str(root), "-o", str(output)]
        return lambda: subprocess.run(run, check=True, capture_output=True)

    floor = best_of(args.repeat, lambda: corpus_kit.floor_a(fields, folder / "floor.apkg"), nothing)
    rows = []
    # Two decks, each with its own lock: the command stamps new cards with the clock.
    for name, action in (("in process", in_process), ("anki-tools build", command)):
        build = action(folder / f"{name.replace(' ', '-')}.apkg")
        build()  # cold: fills the cache and records the manifest
        rows.append((f"unchanged, {name}", best_of(args.repeat, build, nothing)))
        rows.append((f"one file edited, {name}", best_of(args.repeat, build, edit)))
    print(f"{args.cards} notes, {len(files)} files; floor A {floor:.3f} s")
    for label, seconds in rows:
        print(f"  {label:34} {seconds:7.3f} s  {seconds / floor:5.2f} × floor")


if __name__ == "__main__":
    main()
