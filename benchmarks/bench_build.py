"""Build-speed benchmark: anki-tools against two floors on the same synthetic corpus.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_build.py                  # 1k and 10k cards
    .venv/bin/python benchmarks/bench_build.py --size 1k        # only 1k
    .venv/bin/python benchmarks/bench_build.py --cards 300 --repeat 1   # a quick run
    .venv/bin/python benchmarks/bench_build.py --json results.json --check

What is measured, each on the same cards (a fixed seed makes runs comparable):

* anki-tools: `anki_tools.pipeline.build([root], output)` on Markdown files written to a
  temporary folder (about 50 cards a file, spread over a few folders).
* floor B: one reused markdown-it-py `MarkdownIt("commonmark").enable("table")`, whose
  `highlight` option runs Pygments on fenced code (CSS classes), converts the same front/back
  texts (straight from memory, no parsing of ours), then genanki writes them as in floor A.
* floor A: genanki alone writes the same number of notes whose HTML fields were rendered
  before the timer started (one Model with Front/Back, one Deck, `Package.write_to_file`).

Each measurement is the best of several runs (see `--repeat`). Peak memory (RSS) of the
anki-tools build is taken in a child process of its own, so the floors don't count.
The report prints PASS/FAIL next to the targets and exits 0, unless `--check` is given:
then a missed target exits 1. `--profile PATH` also writes a cProfile of one anki-tools
build of the largest size and prints its top functions. Linux and macOS only (`resource`).
The corpus, timing and report come from harness.py, the floors from floors.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from floors import floor_a, floor_b, render_floor
from harness import (
    CARDS_PER_FILE,
    SEED,
    SpeedTarget,
    Verdict,
    add_common_arguments,
    anki_tools_build,
    best_times,
    build_report,
    build_verdicts,
    check_build,
    chunks,
    counts,
    environment,
    exit_code,
    make_cards,
    measure_memory,
    profile_build,
    repeats,
    write_corpus,
    write_json,
)

SIZES = {"1k": 1_000, "10k": 10_000}
TARGET = SpeedTarget("floor B", 1.5, 10_000)  # anki-tools / floor B at 10k cards

# ---------------------------------------------------------------- measuring


def warm_up(folder: Path) -> None:
    """Import lazily loaded modules (lexers, extensions) before any timer starts."""
    sample = make_cards(60, SEED + 1)
    corpus = write_corpus(sample, folder / "warm-up")
    check_build(anki_tools_build(corpus.root, folder / "warm-up.apkg"), corpus)
    floor_b(sample, folder / "warm-up-b.apkg")
    floor_a(list(render_floor(sample)), folder / "warm-up-a.apkg")


@dataclass(frozen=True)
class Result:
    notes: int
    cards: int
    files: int
    repeat: int
    anki_tools_s: float
    floor_b_s: float
    floor_a_s: float
    peak_rss_mb: float
    baseline_rss_mb: float

    @property
    def vs_floor_b(self) -> float:
        return self.anki_tools_s / self.floor_b_s

    @property
    def vs_floor_a(self) -> float:
        return self.anki_tools_s / self.floor_a_s

    def as_json(self) -> dict[str, float | int]:
        ratios = {
            "anki_tools_vs_floor_b": self.vs_floor_b,
            "anki_tools_vs_floor_a": self.vs_floor_a,
        }
        return {**asdict(self), **ratios}


def measure(count: int, repeat: int, seed: int, folder: Path) -> Result:
    cards = make_cards(count, seed)
    corpus = write_corpus(cards, folder / "notes")
    files = len(chunks(cards, CARDS_PER_FILE))
    print(f"measuring {count} notes ({corpus.anki_cards} cards, {files} files)", file=sys.stderr)

    def run_anki_tools() -> None:
        check_build(anki_tools_build(corpus.root, folder / "anki-tools.apkg"), corpus)

    fields = list(render_floor(cards))  # floor A gets its HTML before the timer starts
    actions: dict[str, Callable[[], object]] = {
        "anki-tools": run_anki_tools,
        "floor B": lambda: floor_b(cards, folder / "floor-b.apkg"),
        "floor A": lambda: floor_a(fields, folder / "floor-a.apkg"),
    }
    best = best_times(actions, repeat)
    memory = measure_memory(corpus, folder / "memory.apkg")
    return Result(
        notes=count,
        cards=corpus.anki_cards,
        files=files,
        repeat=repeat,
        anki_tools_s=best["anki-tools"],
        floor_b_s=best["floor B"],
        floor_a_s=best["floor A"],
        peak_rss_mb=memory.peak_mb,
        baseline_rss_mb=memory.baseline_mb,
    )


# ---------------------------------------------------------------- report


def verdicts(results: list[Result]) -> list[Verdict]:
    rows = ((r.notes, r.vs_floor_b, r.peak_rss_mb) for r in results)
    return build_verdicts(TARGET, rows)


def table(results: list[Result]) -> str:
    header = (
        f"{'notes':>6} {'cards':>6} {'at/B':>6} {'at/A':>6} {'peak RSS':>9}"
        f" {'anki-tools':>11} {'floor B':>9} {'floor A':>9} {'best of':>7}"
    )
    rows = [
        f"{r.notes:>6} {r.cards:>6} {r.vs_floor_b:>5.2f}x {r.vs_floor_a:>5.1f}x"
        f" {r.peak_rss_mb:>6.0f} MB {r.anki_tools_s:>9.2f} s {r.floor_b_s:>7.2f} s"
        f" {r.floor_a_s:>7.2f} s {r.repeat:>7}"
        for r in results
    ]
    return "\n".join([header, *rows])


def report(results: list[Result], found: list[Verdict], about: dict[str, object]) -> str:
    legend = (
        "at/B = anki-tools / floor B (genanki + Markdown + Pygments);"
        " at/A = anki-tools / floor A (genanki only)"
    )
    baseline = min(r.baseline_rss_mb for r in results)
    largest = max(r.notes for r in results)
    return build_report(about, legend, table(results), baseline, found, TARGET, largest)


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    add_common_arguments(parser, SIZES)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="anki-tools-bench-") as temporary:
        folder = Path(temporary)
        warm_up(folder)
        for count in counts(args, SIZES):
            (folder / str(count)).mkdir()
            results.append(
                measure(count, repeats(count, args.repeat), args.seed, folder / str(count))
            )
        found, about = verdicts(results), environment(args.seed)
        print(report(results, found, about), flush=True)
        if args.json:
            write_json(args.json, about, (r.as_json() for r in results), found)
        if args.profile:
            cards = make_cards(max(counts(args, SIZES)), args.seed)
            profile_build(write_corpus(cards, folder / "profiled"), folder, args.profile)
    return exit_code(args.check, found)


def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
