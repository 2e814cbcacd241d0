"""Issue 15's benchmark: the five speed goals, each a ratio measured in one run.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_scale.py                  # every goal, 1k/10k/100k
    .venv/bin/python benchmarks/bench_scale.py --quick          # 1k and 10k, one round
    .venv/bin/python benchmarks/bench_scale.py --goals cold,startup --sizes 10k
    .venv/bin/python benchmarks/bench_scale.py --json benchmarks/results/scale.json --check

Every contender is a whole process, as a user runs it (interpreter start-up included):

* anki-tools: the CLI (`anki-tools build ROOT -o OUT.apkg`). A cold build writes to a new
  folder (no lock, no manifest) with `ANKI_TOOLS_CACHE_DIR` set to a new empty folder, and
  `--no-cache` when `anki-tools build --help` lists it. The unchanged rebuild and the
  one-file edit rebuild one primed output with the same cache folder.
* ankdown, the fastest peer, from PyPI into a virtualenv of its own under the system's
  temporary folder (kept between runs, keyed by its version), on the same cards in its
  own syntax. When it can't be installed, its goal is skipped with the reason.
* the packaging floor: genanki alone writes the same notes from HTML rendered before the
  timer starts (floors.py, as a process of its own).

Goals (docs/performance.md says what each means): cold build ≤ 0.8 × ankdown at 10k;
unchanged rebuild ≤ 0.5 × the floor; one file edited ≤ 1.5 × the floor; 100k cards
≤ 11 × the 10k cold build and ≤ 300 MB for the whole process tree; the near-duplicate
corpus ≤ 1.5 × an ordinary corpus of the same size, printing ≤ 100 lines; start-up
(`-X importtime` of `--help` and of `check` of a small folder) ≤ 0.15 s of imports.
The report prints PASS/FAIL/SKIP per goal and exits 0, unless `--check`: then a miss
exits 1. Linux only (peak memory is read from /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from floors import write_fields
from harness import (
    FOLDERS,
    SEED,
    Card,
    Corpus,
    ProcessRun,
    Verdict,
    alternate,
    at_most,
    chunks,
    environment,
    exit_code,
    heading,
    make_cards,
    near_duplicate_cards,
    parse_import_times,
    run_process,
    verdict_lines,
    write_corpus,
    write_json,
)

HERE = Path(__file__).resolve().parent
GOALS = ("cold", "unchanged", "edit", "scale", "near-duplicates", "startup")
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
CARDS_PER_FILE = 25  # issue 15's corpus (bench_build.py's files hold 50)
GOAL_NOTES = 10_000  # the size the ratios are judged at; 100k is judged against it
LARGE_NOTES = 100_000
COLD_VS_ANKDOWN = 0.8
UNCHANGED_VS_FLOOR = 0.5
EDIT_VS_FLOOR = 1.5
SCALE_VS_10K = 11.0
TREE_MEMORY_MB = 300.0
NEAR_DUPLICATES_VS_ORDINARY = 1.5
NEAR_DUPLICATES_MAX_LINES = 100
NEAR_DUPLICATE_DECK = "alike"  # both near-duplicate corpora's one folder
STARTUP_IMPORTS_S = 0.15
ANKDOWN_VERSION = "0.7.1"
TAGS = "bench, generated"  # every third file's tags, as harness.note_file's front matter
TIMED_OUT = "timed out after"
SUMMARY = re.compile(r"(\d[\d,]*) notes, (\d[\d,]*) cards")

# ---------------------------------------------------------------- contenders


@dataclass(frozen=True)
class Timed:
    """A contender's best run of a measurement, or why it has none."""

    seconds: float | None
    peak_mb: float = 0.0  # the tree's processes' peaks (VmHWM) added up: an upper bound
    pss_peak_mb: float = 0.0  # the most the tree held at one moment (Pss, sampled)
    processes: int = 0
    note: str = ""  # "up to date", "timed out after 600 s", "not installed: …"

    @staticmethod
    def best(runs: Sequence[ProcessRun | str]) -> Timed:
        done = [run for run in runs if isinstance(run, ProcessRun)]
        if not done:
            reasons = [run for run in runs if isinstance(run, str)]
            return Timed(None, note=reasons[0] if reasons else "not run")
        fastest = min(done, key=lambda run: run.seconds)
        peak = max(run.peak_mb for run in done)
        pss = max(run.pss_peak_mb for run in done)
        up_to_date = "up to date" if "up to date" in fastest.stdout + fastest.stderr else ""
        return Timed(fastest.seconds, peak, pss, fastest.processes, up_to_date)


def cli() -> list[str]:
    """The command a user runs: the console script beside this Python, else `-m`."""
    script = Path(sys.executable).with_name("anki-tools")
    return [str(script)] if script.exists() else [sys.executable, "-m", "anki_tools"]


def lists_no_cache() -> bool:
    """Whether this version's `build` has `--no-cache` (it came with the render cache)."""
    done = subprocess.run([*cli(), "build", "--help"], capture_output=True, text=True)
    return "--no-cache" in done.stdout


class AnkiTools:
    """anki-tools builds as processes; each checked before its time counts."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.no_cache = lists_no_cache()

    def build(
        self, corpus: Corpus, output: Path, cache: Path, cold: bool = False
    ) -> ProcessRun | str:
        command = [*cli(), "build", str(corpus.root), "-o", str(output)]
        if cold and self.no_cache:
            command.append("--no-cache")
        env = {**os.environ, "ANKI_TOOLS_CACHE_DIR": str(cache)}
        run = run_process(command, env=env, timeout=self.timeout)
        if run.timed_out:
            return f"{TIMED_OUT} {self.timeout:.0f} s"
        check_summary(run, corpus)
        return run

    def cold(self, corpus: Corpus, scratch: Path) -> ProcessRun | str:
        """A build with nothing from before: a new output folder and an empty cache."""
        shutil.rmtree(scratch, ignore_errors=True)
        (scratch / "cache").mkdir(parents=True)
        return self.build(corpus, scratch / "out" / "deck.apkg", scratch / "cache", cold=True)


def check_summary(run: ProcessRun, corpus: Corpus) -> None:
    """A build's time counts only when it succeeded with every note and card; a build that
    says it is up to date may print no counts."""
    if run.returncode != 0:
        tail = "\n  ".join((run.stdout + run.stderr).strip().splitlines()[-10:])
        raise SystemExit(f"anki-tools build exited {run.returncode}:\n  {tail}")
    found = SUMMARY.search(run.stdout)
    if found:
        notes, cards = (int(group.replace(",", "")) for group in found.groups())
        if (notes, cards) != (corpus.notes, corpus.anki_cards):
            raise SystemExit(
                f"anki-tools built {notes} notes / {cards} cards,"
                f" expected {corpus.notes} / {corpus.anki_cards}"
            )


def edit_one_card(path: Path, original: str, number: int) -> None:
    """Change the first card of one file: a sentence added at the end of its back."""
    second = original.index("\n## ", original.index("\n## ") + 1)
    path.write_text(f"{original[:second]}\nEdited {number}.\n{original[second:]}", "utf-8")


# ---------------------------------------------------------------- ankdown


def ankdown_command(version: str) -> list[str] | str:
    """ankdown installed into a virtualenv of its own (kept for the next run), or why it
    could not be: its Markdown is misaka, a C extension that may need a compiler."""
    home = Path(tempfile.gettempdir()) / f"anki-tools-bench-ankdown-{version}"
    script, marker = home / "bin" / "ankdown", home / "installed"
    if marker.exists() and script.exists():
        return [str(script)]
    shutil.rmtree(home, ignore_errors=True)
    print(f"installing ankdown {version} into {home}", file=sys.stderr)
    try:
        venv.create(home, with_pip=True)
        done = subprocess.run(
            [str(home / "bin" / "python"), "-m", "pip", "install", "-q", f"ankdown=={version}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"ankdown could not be installed: {error}"
    if done.returncode != 0 or not script.exists():
        lines = [line for line in done.stderr.splitlines() if "error" in line.lower()]
        return f"ankdown could not be installed: {(lines or ['pip failed'])[-1].strip()}"
    marker.write_text(version, "utf-8")
    return [str(script)]


def ankdown_file(cards: Sequence[Card], number: int) -> str:
    """ankdown's syntax: fields split by `%` lines (front, back, tags), cards by `---`."""
    tags = f"\n%\n\n{TAGS}\n" if number % 3 == 0 else ""
    return "\n---\n\n".join(f"{card.front}\n\n%\n\n{card.back}\n{tags}" for card in cards)


def write_ankdown_corpus(cards: list[Card], root: Path) -> Path:
    """The same cards, files and folders as `write_corpus`, in ankdown's syntax."""
    for number, group in enumerate(chunks(cards, CARDS_PER_FILE)):
        folder = root / FOLDERS[number % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"notes_{number:04d}.md").write_text(ankdown_file(group, number), "utf-8")
    return root


def notes_in(package: Path) -> int:
    """How many notes an .apkg holds (to check that a peer built every card)."""
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(package) as archive:
        archive.extract("collection.anki2", folder)
        with sqlite3.connect(Path(folder) / "collection.anki2") as database:
            (count,) = database.execute("select count(*) from notes").fetchone()
    return int(count)


class Peers:
    """ankdown and the packaging floor, each as a process, checked on their first run."""

    def __init__(self, ankdown: list[str] | str, timeout: float) -> None:
        self.ankdown, self.timeout = ankdown, timeout
        self.checked: set[Path] = set()

    def run_ankdown(self, root: Path, output: Path, notes: int) -> ProcessRun | str:
        if isinstance(self.ankdown, str):
            return self.ankdown
        command = [*self.ankdown, "-r", str(root), "-p", str(output), "--highlight"]
        run = run_process(command, timeout=self.timeout, cwd=output.parent)
        if run.timed_out:
            return f"{TIMED_OUT} {self.timeout:.0f} s"
        self.check(run, output, notes, "ankdown")
        return run

    def run_floor(self, fields: Path, output: Path, notes: int) -> ProcessRun | str:
        command = [sys.executable, str(HERE / "floors.py"), str(fields), str(output)]
        run = run_process(command, timeout=self.timeout)
        self.check(run, output, notes, "the floor")
        return run

    def check(self, run: ProcessRun, output: Path, notes: int, name: str) -> None:
        if run.returncode != 0:
            raise SystemExit(f"{name} exited {run.returncode}: {run.stderr.strip()[-500:]}")
        if output not in self.checked:
            self.checked.add(output)
            if (built := notes_in(output)) != notes:
                raise SystemExit(f"{name} built {built} notes, expected {notes}")


# ---------------------------------------------------------------- measurements


@dataclass(frozen=True)
class SizeResult:
    notes: int
    cards: int
    files: int
    repeat: int
    cold: Timed
    ankdown: Timed
    floor: Timed
    unchanged: Timed
    edit: Timed
    floor_package_s: float | None  # the floor's packaging alone, timed inside its process


@dataclass(frozen=True)
class StartupResult:
    command: str
    imports_s: float
    wall_s: float
    modules: int
    slowest: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Results:
    sizes: list[SizeResult] = field(default_factory=list)
    large: LargeResult | None = None
    near_duplicates: tuple[Timed, Timed, int] | None = None  # ordinary, adversarial, lines
    startup: list[StartupResult] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    goals: frozenset[str]
    sizes: list[int]  # the ordinary sizes below 100k
    large: bool  # the 100k build
    repeat: int
    seed: int
    timeout: float
    near_duplicate_notes: int


def measure_size(
    notes: int, plan: Plan, tools: AnkiTools, peers: Peers, folder: Path
) -> SizeResult:
    cards = make_cards(notes, plan.seed)
    corpus = write_corpus(cards, folder / "notes", CARDS_PER_FILE)
    files = len(chunks(cards, CARDS_PER_FILE))
    print(f"measuring {notes} notes ({corpus.anki_cards} cards, {files} files)", file=sys.stderr)
    actions: dict[str, Callable[[], ProcessRun | str]] = {}
    prepare: dict[str, Callable[[], object]] = {}
    goals = plan.goals
    if goals & {"cold", "scale"}:
        actions["cold"] = lambda: tools.cold(corpus, folder / "cold")
    if "cold" in goals:
        ankdown_root = write_ankdown_corpus(cards, folder / "ankdown-notes")
        (folder / "ankdown").mkdir()
        apkg = folder / "ankdown" / "deck.apkg"
        actions["ankdown"] = lambda: peers.run_ankdown(ankdown_root, apkg, notes)
    if goals & {"unchanged", "edit"}:
        write_fields(cards, folder / "fields.json")
        floor_out = folder / "floor.apkg"
        actions["floor"] = lambda: peers.run_floor(folder / "fields.json", floor_out, notes)
        primed, cache = folder / "primed" / "deck.apkg", folder / "primed-cache"
        cache.mkdir()
        tools.build(corpus, primed, cache)  # the build the rebuilds follow (untimed)
        if "unchanged" in goals:
            actions["unchanged"] = lambda: tools.build(corpus, primed, cache)
        if "edit" in goals:
            edited = sorted(corpus.root.rglob("*.md"))[files // 2]
            original, edits = edited.read_text("utf-8"), iter(range(1, 1_000))
            prepare["edit"] = lambda: edit_one_card(edited, original, next(edits))
            actions["edit"] = lambda: tools.build(corpus, primed, cache)
    runs = alternate(actions, plan.repeat, prepare)
    best = {name: Timed.best(runs.get(name, [])) for name in ("cold", "ankdown", "floor")}
    best |= {name: Timed.best(runs.get(name, [])) for name in ("unchanged", "edit")}
    package = [
        json.loads(run.stdout)["package_s"]
        for run in runs.get("floor", [])
        if isinstance(run, ProcessRun)
    ]
    floor_package_s = min(package, default=None)
    return SizeResult(
        notes, corpus.anki_cards, files, plan.repeat, **best, floor_package_s=floor_package_s
    )


@dataclass(frozen=True)
class LargeResult:
    """The 100k build, between two 10k cold builds of the same run: the ratio is taken
    against their mean, so the load of the minutes the 100k build ran weighs on both."""

    large: Timed
    before: Timed  # the 10k cold build just before
    after: Timed  # and just after

    @property
    def small(self) -> Timed:
        runs = [t.seconds for t in (self.before, self.after) if t.seconds is not None]
        if len(runs) < 2:
            return self.before if self.before.seconds is None else self.after
        return Timed(sum(runs) / 2)


def measure_large(plan: Plan, tools: AnkiTools, folder: Path) -> LargeResult:
    large = write_corpus(make_cards(LARGE_NOTES, plan.seed), folder / "notes", CARDS_PER_FILE)
    small = write_corpus(make_cards(GOAL_NOTES, plan.seed), folder / "small", CARDS_PER_FILE)
    print(f"measuring {LARGE_NOTES} notes, one cold build between two of 10k", file=sys.stderr)
    before = Timed.best([tools.cold(small, folder / "cold-small")])
    timed = Timed.best([tools.cold(large, folder / "cold")])
    after = Timed.best([tools.cold(small, folder / "cold-small")])
    return LargeResult(timed, before, after)


def measure_near_duplicates(plan: Plan, tools: AnkiTools, folder: Path) -> tuple[Timed, Timed, int]:
    notes = plan.near_duplicate_notes
    # one deck: the check compares the fronts of one deck, so this is its worst case
    deck = (NEAR_DUPLICATE_DECK,)
    cards = make_cards(notes, plan.seed)
    ordinary = write_corpus(cards, folder / "ordinary", CARDS_PER_FILE, deck)
    alike = near_duplicate_cards(notes, plan.seed)
    adversarial = write_corpus(alike, folder / "adversarial", CARDS_PER_FILE, deck)
    print(f"measuring {notes} notes with near-duplicate fronts", file=sys.stderr)
    runs = alternate(
        {
            "ordinary": lambda: tools.cold(ordinary, folder / "cold-ordinary"),
            "adversarial": lambda: tools.cold(adversarial, folder / "cold-adversarial"),
        },
        plan.repeat,
    )
    printed = max(
        (
            len((r.stdout + r.stderr).splitlines())
            for r in runs["adversarial"]
            if isinstance(r, ProcessRun)
        ),
        default=0,
    )
    return Timed.best(runs["ordinary"]), Timed.best(runs["adversarial"]), printed


def measure_startup(plan: Plan, folder: Path) -> list[StartupResult]:
    small = write_corpus(make_cards(50, plan.seed + 2), folder / "small", CARDS_PER_FILE)
    commands = {
        "--help": ["--help"],
        "check of a small folder": ["check", str(small.root)],
    }
    repeat = max(5, plan.repeat)
    actions = {
        name: partial(run_process, [sys.executable, "-X", "importtime", "-m", "anki_tools", *args])
        for name, args in commands.items()
    }
    runs = alternate(actions, repeat)
    found = []
    for name, done in runs.items():
        times = [(parse_import_times(run.stderr), run.seconds) for run in done]
        best, _ = min(times, key=lambda pair: pair[0].total_s)
        wall = min(seconds for _, seconds in times)
        found.append(StartupResult(name, best.total_s, wall, best.modules, best.slowest))
    return found


def measure(plan: Plan, folder: Path) -> Results:
    tools = AnkiTools(plan.timeout)
    peers = Peers(
        ankdown_command(ANKDOWN_VERSION) if "cold" in plan.goals else "not needed",
        plan.timeout,
    )
    if isinstance(peers.ankdown, str) and "cold" in plan.goals:
        print(f"note: {peers.ankdown}; the cold-build goal is skipped", file=sys.stderr)
    sizes = []
    for notes in plan.sizes:
        (folder / str(notes)).mkdir()
        sizes.append(measure_size(notes, plan, tools, peers, folder / str(notes)))
    large = measure_large(plan, tools, folder / "large") if plan.large else None
    near = None
    if "near-duplicates" in plan.goals:
        near = measure_near_duplicates(plan, tools, folder / "near-duplicates")
    startup = measure_startup(plan, folder) if "startup" in plan.goals else []
    return Results(sizes, large, near, startup)


# ---------------------------------------------------------------- verdicts and report


def ratio(numerator: Timed | None, denominator: Timed | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    if numerator.seconds is None or not denominator.seconds:
        return None
    return numerator.seconds / denominator.seconds


def judged(verdict: Verdict, *timed: Timed | None) -> Verdict:
    """A verdict whose inputs did not run says why: a build that ran out of time missed
    its goal; a peer that could not be installed leaves it unjudged (SKIP)."""
    reasons = [t.note for t in timed if t is not None and t.seconds is None]
    if not reasons:
        return verdict
    missed = any(reason.startswith(TIMED_OUT) for reason in reasons)
    return Verdict(verdict.target, reasons[0], False if missed else None)


def verdicts(results: Results, goals: frozenset[str]) -> list[Verdict]:
    found = []
    at_goal = next((s for s in results.sizes if s.notes == GOAL_NOTES), None)
    label = f"{GOAL_NOTES // 1000}k"
    if at_goal is not None:
        pairs = [
            (
                "cold",
                f"1 cold build, {label}: anki-tools <= {COLD_VS_ANKDOWN}x ankdown",
                at_goal.cold,
                at_goal.ankdown,
                COLD_VS_ANKDOWN,
            ),
            (
                "unchanged",
                f"2 unchanged rebuild, {label}: <= {UNCHANGED_VS_FLOOR}x floor",
                at_goal.unchanged,
                at_goal.floor,
                UNCHANGED_VS_FLOOR,
            ),
            (
                "edit",
                f"3 one file edited, {label}: <= {EDIT_VS_FLOOR}x floor",
                at_goal.edit,
                at_goal.floor,
                EDIT_VS_FLOOR,
            ),
        ]
        for goal, target, mine, theirs, limit in pairs:
            if goal in goals:
                found.append(judged(at_most(target, ratio(mine, theirs), limit), mine, theirs))
    if results.large is not None:
        base, large = results.large.small, results.large.large
        target = f"4 100k cards: <= {SCALE_VS_10K:.0f}x the {label} cold build"
        found.append(judged(at_most(target, ratio(large, base), SCALE_VS_10K), large, base))
        peak = large.pss_peak_mb if large.seconds is not None else None
        target = f"4 100k cards: peak memory of the process tree <= {TREE_MEMORY_MB:.0f} MB"
        found.append(judged(at_most(target, peak, TREE_MEMORY_MB, "MB"), large))
    if results.near_duplicates is not None:
        ordinary, adversarial, printed = results.near_duplicates
        target = f"4 near-duplicate fronts: <= {NEAR_DUPLICATES_VS_ORDINARY}x an ordinary corpus"
        value = ratio(adversarial, ordinary)
        found.append(
            judged(at_most(target, value, NEAR_DUPLICATES_VS_ORDINARY), adversarial, ordinary)
        )
        target = f"4 near-duplicate fronts: <= {NEAR_DUPLICATES_MAX_LINES} lines printed"
        lines = float(printed) if adversarial.seconds is not None else None
        verdict = at_most(target, lines, NEAR_DUPLICATES_MAX_LINES, "lines")
        found.append(judged(verdict, adversarial))
    for startup in results.startup:
        target = f"5 start-up, {startup.command}: imports <= {STARTUP_IMPORTS_S} s"
        found.append(at_most(target, startup.imports_s, STARTUP_IMPORTS_S, "s"))
    return found


def seconds(timed: Timed | None) -> str:
    if timed is None or timed.seconds is None:
        return "–"
    return f"{timed.seconds:.2f} s" + (" (up to date)" if timed.note == "up to date" else "")


def memory(timed: Timed) -> str:
    """The tree's peak at one moment (Pss), and its processes' peaks added up (VmHWM)."""
    if timed.seconds is None:
        return "–"
    return f"{timed.pss_peak_mb:.0f} / {timed.peak_mb:.0f} MB"


def inside(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def size_table(sizes: Sequence[SizeResult]) -> list[str]:
    header = (
        f"{'notes':>7} {'cold':>9} {'ankdown':>9} {'floor':>8} {'(inside)':>8} {'unchanged':>22}"
        f" {'one edit':>9} {'memory':>15} {'procs':>5} {'best of':>7}"
    )
    rows = [
        f"{s.notes:>7} {seconds(s.cold):>9} {seconds(s.ankdown):>9} {seconds(s.floor):>8}"
        f" {inside(s.floor_package_s):>8}"
        f" {seconds(s.unchanged):>22} {seconds(s.edit):>9}"
        f" {memory(s.cold):>15} {s.cold.processes or '–':>5} {s.repeat:>7}"
        for s in sizes
    ]
    return [header, *rows]


def report(
    results: Results, found: Sequence[Verdict], about: dict[str, object], no_cache: bool
) -> str:
    lines = ["", heading(about), f"{CARDS_PER_FILE} cards a file; every time a whole process"]
    lines.append(f"cold builds: ANKI_TOOLS_CACHE_DIR empty{', --no-cache' if no_cache else ''}")
    if results.sizes:
        lines += ["", *size_table(results.sizes)]
        lines.append("floor: genanki alone as a process; (inside): its packaging alone")
        lines.append(
            "memory: the cold builds' process tree, its peak at one moment (Pss, sampled)"
            " / its processes' peaks added up (VmHWM)"
        )
    if results.large is not None:
        large, bracket = results.large.large, results.large
        lines.append(
            f"\n100k notes: {seconds(large)}, memory {memory(large)}"
            f" in {large.processes} processes {large.note if large.seconds is None else ''}"
            f"\n  between 10k cold builds of {seconds(bracket.before)} and"
            f" {seconds(bracket.after)} (mean {seconds(bracket.small)})"
        )
    if results.near_duplicates is not None:
        ordinary, adversarial, printed = results.near_duplicates
        lines.append(
            f"near-duplicate fronts: {seconds(adversarial)} against {seconds(ordinary)}"
            f" for an ordinary corpus; {printed} lines printed"
        )
    for startup in results.startup:
        slowest = ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in startup.slowest)
        lines.append(
            f"start-up, {startup.command}: imports {startup.imports_s:.3f} s"
            f" ({startup.modules} modules; {slowest}), process {startup.wall_s:.2f} s"
        )
    lines += ["", "Goals (issue 15):", *verdict_lines(found)]
    if results.sizes and all(size.notes != GOAL_NOTES for size in results.sizes):
        lines.append(f"  (goals 1-3 are judged at {GOAL_NOTES} notes: not run)")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--goals", default=",".join(GOALS), help=f"comma-separated: {GOALS}")
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: 1k,10k,100k")
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, one round")
    parser.add_argument("--repeat", type=int, default=2, help="rounds (best of N; default 2)")
    parser.add_argument("--seed", type=int, default=SEED, help="corpus random seed")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds a build may take")
    parser.add_argument(
        "--near-duplicate-cards", type=int, default=GOAL_NOTES, help="near-duplicate corpus size"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    goals = set(filter(None, args.goals.split(",")))
    sizes = set(filter(None, args.sizes.split(",")))
    if goals - set(GOALS) or sizes - set(SIZES):
        parser.error(f"unknown goal or size: {sorted((goals - set(GOALS)) | (sizes - set(SIZES)))}")
    return args


def plan_of(args: argparse.Namespace) -> Plan:
    goals = frozenset(filter(None, args.goals.split(",")))
    named = {SIZES[name] for name in filter(None, args.sizes.split(","))}
    if args.quick:
        named -= {LARGE_NOTES}
    large = LARGE_NOTES in named and "scale" in goals
    ordinary = sorted(named - {LARGE_NOTES})
    if not goals & {"cold", "unchanged", "edit", "scale"}:
        ordinary = []
    repeat = 1 if args.quick else max(1, args.repeat)
    return Plan(goals, ordinary, large, repeat, args.seed, args.timeout, args.near_duplicate_cards)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_of(args)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="anki-tools-bench-scale-") as temporary:
        results = measure(plan, Path(temporary))
    took = time.perf_counter() - start
    found = verdicts(results, plan.goals)
    about = {
        **environment(plan.seed, CARDS_PER_FILE),
        "plan": {**asdict(plan), "goals": sorted(plan.goals)},
        "took_s": round(took),
    }
    no_cache = lists_no_cache()
    print(report(results, found, about, no_cache), flush=True)
    print(f"\nthe whole run took {took:.0f} s", flush=True)
    if args.json:
        write_json(args.json, {**about, "no_cache_flag": no_cache}, [asdict(results)], found)
    return exit_code(args.check, found)


if __name__ == "__main__":
    sys.exit(main())
