"""The near-duplicate check alone (`sharing.similar`), on look-alike and ordinary decks.

Run it from the repository root:

    .venv/bin/python benchmarks/near_duplicates_probe.py                 # 10k and 100k cards
    .venv/bin/python benchmarks/near_duplicates_probe.py --cards 10000   # one size

Self-contained (no corpus on disk, no other benchmark module): each deck is made in
memory as notes, 25 cards a file, all new, and the check runs once in a process of its
own, so that the peak RSS it adds is its own. The decks:

- `adversarial`: "What does `x_17` do?" for every number, all in one deck;
- `repeats`: the same fifty such fronts again and again;
- `templates`: five names, five verbs and random numbers in one sentence;
- `ordinary`: 4 to 10 words from 3,000 made-up ones, 2% of the fronts another with a
  word added.

It prints the seconds, the RSS the check added, the warnings and the lines a build shows.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from anki_tools.errors import Problems
from anki_tools.notes import Kind, Note, Source
from anki_tools.result import BuildResult
from anki_tools.sharing import similar


def adversarial(count: int) -> list[str]:
    return [f"What does `x_{i}` do?" for i in range(count)]


def repeats(count: int) -> list[str]:
    return [f"What does `x_{i % 50}` do?" for i in range(count)]


def templates(count: int) -> list[str]:
    rng = random.Random(1)
    names, verbs = ["x", "y", "foo", "bar", "obj"], ["do", "return", "raise", "print", "mean"]
    return [
        f"What does `{rng.choice(names)}_{rng.randrange(count)}` {rng.choice(verbs)} in Python?"
        for _ in range(count)
    ]


def ordinary(count: int) -> list[str]:
    rng = random.Random(2)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randrange(3, 9))) for _ in range(3000)]
    fronts: list[str] = []
    for _ in range(count):
        if fronts and rng.random() < 0.02:
            words = rng.choice(fronts).split()
            words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary))
            fronts.append(" ".join(words))
        else:
            fronts.append(" ".join(rng.choices(vocabulary, k=rng.randrange(4, 11))) + "?")
    return fronts


DECKS: dict[str, Callable[[int], list[str]]] = {
    "adversarial": adversarial,
    "repeats": repeats,
    "templates": templates,
    "ordinary": ordinary,
}


def note(front: str, at: int) -> Note:
    source = Source(Path(f"notes/f{at // 25}.md"), 1 + at % 25 * 4)
    return Note(
        kind=Kind.BASIC,
        front=front,
        back="b",
        hint="",
        deck="Deck",
        tags=(),
        source=source,
        title=front,
        root=Path("notes"),
    )


def measure(deck: str, count: int) -> str:
    notes = [note(front, at) for at, front in enumerate(DECKS[deck](count))]
    problems = Problems()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    similar.warn_double_contributions(notes, [True] * count, problems)
    seconds = time.perf_counter() - start
    added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    shown = BuildResult(Path("deck.apkg"), problems=problems.items).shown_problems()
    return (
        f"{deck:12} {count:>7} cards: {seconds:6.2f} s, +{added:6.1f} MB RSS, "
        f"{len(problems.items)} warnings, {len(shown)} lines shown"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, action="append", help="deck size (repeatable)")
    parser.add_argument("--one", nargs=2, metavar=("DECK", "CARDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(measure(args.one[0], int(args.one[1])), flush=True)
        return
    for count in args.cards or [10_000, 100_000]:
        for deck in DECKS:
            one = [sys.executable, __file__, "--one", deck, str(count)]
            subprocess.run(one, check=True)


if __name__ == "__main__":
    main()
