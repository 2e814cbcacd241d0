"""What the benchmarks share: the synthetic corpus, timing, peak memory, the report.

bench_build.py, bench_notebooks.py and bench_scale.py (and, for the corpus, bench_render.py
and bench_preview.py) import from here. This module imports only the standard library at
its top (anki_tools comes in where a build runs), so a child process that imports it for the
corpus or the timing does not pay for anki-tools' imports.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import itertools
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from anki_tools.result import BuildResult

SEED = 20_240_601
TIMESTAMP = 1_700_000_000.0
CARDS_PER_FILE = 50
CODE_SHARE = 0.40
CLOZE_SHARE = 0.03
MEMORY_TARGET_MB = 300.0
FOLDERS = ("python", "python/async", "web/javascript", "databases", "systems/rust", "shell")
LANGUAGES = ("python", "javascript", "rust", "sql", "bash")
REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- corpus

T = TypeVar("T")
R = TypeVar("R")

# ---------------------------------------------------------------- corpus


def split_words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WORDS = split_words(
    "cache index thread buffer socket parser token lexer queue stack heap pointer closure "
    "iterator generator coroutine future promise lock mutex channel schema table column "
    "transaction cursor query join module package import scope binding frame process signal "
    "pipe stream encoder decoder array slice vector tuple record field key value hash set "
    "graph tree node edge path route handler request response header payload session"
)
VERBS = split_words("reverse sort merge split parse cache flatten filter invert copy serialize")
ADJECTIVES = split_words("immutable lazy stable atomic idempotent thread-safe ordered hashable")
QUESTIONS = (
    "What does `{ident}` return?",
    "How do you {verb} a {noun} in {language}?",
    "Why is a {noun} {adjective}?",
    "When should you use a {noun} instead of a {other}?",
    "What is the difference between a {noun} and a {other}?",
    "Which {noun} does `{ident}` use?",
)
CODE_LINES: dict[str, tuple[str, ...]] = {
    "python": (
        "def {ident}({arg}: int) -> list[int]:",
        "    return [{arg} * {n} for _ in range({m})]",
        "{arg} = {{'{noun}': {n}, '{other}': {m}}}",
        "for {arg} in sorted({ident}.values()):",
        "    print(f'{noun}: {{{arg}}}')",
        "# {noun} before {other}",
        "import {noun}",
        "class {Ident}:",
        '    """A {adjective} {noun}."""',
        "    {arg}: str = '{other}'",
    ),
    "javascript": (
        "const {ident} = ({arg}) => {arg} * {n};",
        "function {ident}({arg}) {{",
        "  return {arg}.filter((x) => x > {n}).map(String);",
        "}}",
        "// {adjective} {noun}",
        "let {arg} = [{n}, {m}, {n}];",
        "export default {{ {ident}, {arg} }};",
        "console.log(`{noun}`, {ident}({m}));",
        "await fetch('/{noun}/{n}');",
    ),
    "rust": (
        "fn {ident}({arg}: &[i32]) -> i32 {{",
        "    {arg}.iter().map(|x| x * {n}).sum()",
        "}}",
        "let {arg}: Vec<u32> = vec![{n}, {m}];",
        "// {adjective} {noun}",
        "impl {Ident} {{",
        "    pub fn new() -> Self {{ Self {{ {arg}: {n} }} }}",
        "#[derive(Debug, Clone)]",
        "struct {Ident} {{ {arg}: u64 }}",
        'println!("{noun}: {{:?}}", {arg});',
    ),
    "sql": (
        "SELECT {arg}, COUNT(*) AS n",
        "FROM {noun}",
        "JOIN {other} ON {other}.{arg}_id = {noun}.id",
        "WHERE {arg} > {n} AND {ident} IS NOT NULL",
        "GROUP BY {arg}",
        "ORDER BY n DESC LIMIT {m};",
        "-- {adjective} {noun}",
        "CREATE INDEX {ident} ON {noun} ({arg});",
        "INSERT INTO {noun} ({arg}) VALUES ({n});",
    ),
    "bash": (
        "for f in *.{arg}; do",
        '  echo "$f"',
        "done",
        "# {adjective} {noun}",
        "grep -rn '{noun}' src/ | wc -l",
        "export {IDENT}={n}",
        'if [ -f "{arg}.txt" ]; then cat "{arg}.txt"; fi',
        "find . -name '*.{arg}' -mtime -{n} -print",
        "{ident}() {{ local x={m}; echo $((x * {n})); }}",
    ),
}


@dataclass(frozen=True)
class Card:
    """One note's texts, as written into the `.md` file and fed to the floors."""

    front: str  # the heading text (Markdown)
    back: str  # the body under the heading (Markdown)
    cards: int  # Anki cards it makes: cloze numbers, or 1


@dataclass(frozen=True)
class Corpus:
    root: Path
    cards: list[Card]

    @property
    def notes(self) -> int:
        return len(self.cards)

    @property
    def anki_cards(self) -> int:
        return sum(card.cards for card in self.cards)


def sentence(rng: random.Random) -> str:
    """A sentence with now and then emphasis, strong text or inline code."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    for index in rng.sample(range(len(words)), k=min(2, len(words))):
        style = rng.random()
        if style < 0.25:
            words[index] = f"*{words[index]}*"
        elif style < 0.4:
            words[index] = f"**{words[index]}**"
        elif style < 0.6:
            words[index] = f"`{words[index]}_{rng.randint(1, 99)}()`"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))


def bullet_list(rng: random.Random) -> str:
    marker = rng.choice(("-", "*", "1."))
    return "\n".join(f"{marker} {sentence(rng)}" for _ in range(rng.randint(2, 5)))


def code_block(rng: random.Random) -> str:
    language = rng.choice(LANGUAGES)
    templates = CODE_LINES[language]
    start = rng.randrange(len(templates))  # consecutive template lines read more like code
    lines = [
        fill(templates[(start + offset) % len(templates)], rng)
        for offset in range(rng.randint(5, 20))
    ]
    return "\n".join([f"```{language}", *lines, "```"])


def fill(template: str, rng: random.Random) -> str:
    ident = f"{rng.choice(VERBS)}_{rng.choice(WORDS)}"
    return template.format(
        ident=ident,
        Ident=ident.title().replace("_", ""),
        IDENT=ident.upper(),
        arg=rng.choice(WORDS),
        noun=rng.choice(WORDS),
        other=rng.choice(WORDS),
        adjective=rng.choice(ADJECTIVES),
        n=rng.randint(1, 99),
        m=rng.randint(1, 999),
    )


def question(rng: random.Random, index: int) -> str:
    """A card front; the number keeps every front (and so every note id) unique."""
    text = rng.choice(QUESTIONS).format(
        ident=f"{rng.choice(VERBS)}_{rng.choice(WORDS)}()",
        verb=rng.choice(VERBS),
        noun=rng.choice(WORDS),
        other=rng.choice(WORDS),
        adjective=rng.choice(ADJECTIVES),
        language=rng.choice(LANGUAGES).title(),
    )
    return f"{text} ({index})"


def plain_card(rng: random.Random, index: int) -> Card:
    parts = [paragraph(rng)]
    if rng.random() < 0.4:
        parts.append(bullet_list(rng))
    if rng.random() < 0.3:
        parts.append(paragraph(rng))
    return Card(question(rng, index), "\n\n".join(parts), 1)


def code_card(rng: random.Random, index: int) -> Card:
    parts = [sentence(rng), code_block(rng)]
    if rng.random() < 0.5:
        parts.append(sentence(rng))
    return Card(question(rng, index), "\n\n".join(parts), 1)


def cloze_card(rng: random.Random, index: int) -> Card:
    """Half with the cloze in the heading, half with two clozes in the body."""
    noun, other = rng.choice(WORDS), rng.choice(WORDS)
    if rng.random() < 0.5:
        front = f"A {{{{c1::{noun}}}}} is {rng.choice(ADJECTIVES)} ({index})"
        return Card(front, paragraph(rng), 1)
    body = f"The {{{{c1::{noun}}}}} holds the {{{{c2::{other}}}}}. {sentence(rng)}"
    return Card(f"Fill in: {noun} and {other} ({index})", body, 2)


def make_cards(count: int, seed: int) -> list[Card]:
    rng = random.Random(seed)
    cards = []
    for index in range(1, count + 1):
        roll = rng.random()
        if roll < CLOZE_SHARE:
            cards.append(cloze_card(rng, index))
        elif roll < CLOZE_SHARE + CODE_SHARE:
            cards.append(code_card(rng, index))
        else:
            cards.append(plain_card(rng, index))
    return cards


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def note_file(cards: Iterable[Card], number: int) -> str:
    """One notes file; every third one starts with front matter."""
    head = "---\ntags: [bench, generated]\n---\n\n" if number % 3 == 0 else ""
    body = "".join(f"## {card.front}\n\n{card.back}\n\n" for card in cards)
    return f"{head}# Notes {number}\n\n{body}"


def write_corpus(
    cards: list[Card],
    root: Path,
    per_file: int = CARDS_PER_FILE,
    folders: Sequence[str] = FOLDERS,
) -> Corpus:
    """`per_file` cards a file, the files dealt over `folders` (each folder a subdeck)."""
    for number, group in enumerate(chunks(cards, per_file)):
        folder = root / folders[number % len(folders)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"notes_{number:04d}.md").write_text(note_file(group, number), "utf-8")
    return Corpus(root, cards)


NEAR_DUPLICATE_FRONTS = (
    "What does `x_{n}` do?",
    "What does `x_{n}` return?",
    "When is `x_{n}` called?",
    "Why does `x_{n}` raise?",
)


def near_duplicate_cards(count: int, seed: int) -> list[Card]:
    """The near-duplicate check's worst case: fronts that differ in one number only, so
    nearly all of them share most trigrams ("What does `x_17` do?", "… `x_18` do?"). The
    backs are `make_cards`' own, so beside it only the fronts differ."""
    fronts = NEAR_DUPLICATE_FRONTS
    return [
        Card(fronts[index % len(fronts)].format(n=index), card.back, card.cards)
        for index, card in enumerate(make_cards(count, seed), start=1)
    ]


# ---------------------------------------------------------------- an in-process build


def anki_tools_build(root: Path, output: Path) -> BuildResult:
    from anki_tools import pipeline

    # A cold build each time: through the cache, the second run would be "up to date".
    return pipeline.build([root], output, timestamp=TIMESTAMP, cache=False)


def check_build(result: BuildResult, corpus: Corpus) -> None:
    """The build must be right for its time to count: no errors, every note and card."""
    if result.errors:
        shown = "\n  ".join(str(problem) for problem in result.errors[:10])
        raise SystemExit(f"anki-tools build had {len(result.errors)} errors:\n  {shown}")
    expected = (corpus.notes, corpus.anki_cards)
    if (result.notes, result.cards) != expected or not result.written:
        raise SystemExit(
            f"anki-tools built {result.notes} notes / {result.cards} cards "
            f"(written: {result.written}), expected {expected[0]} / {expected[1]}"
        )


def profile_build(corpus: Corpus, folder: Path, output: Path) -> None:
    """Profile one anki-tools build of `corpus`: stats to `output`, the top functions printed."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(anki_tools_build, corpus.root, folder / "profiled.apkg")
    profiler.dump_stats(output)
    print(f"\nProfile of one {corpus.notes}-note build written to {output}; top functions:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"anki_tools", 25)
    stats.sort_stats("tottime").print_stats(20)


# ---------------------------------------------------------------- timing


def alternate(
    actions: Mapping[str, Callable[[], R]],
    repeat: int,
    prepare: Mapping[str, Callable[[], object]] | None = None,
) -> dict[str, list[R]]:
    """Every result of `repeat` rounds that run the actions in turn (A B A B), so a slow
    spell of the machine hits every contender alike instead of one of them.
    `prepare[name]`, when given, runs just before each run of that action (untimed)."""
    runs: dict[str, list[R]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            if prepare and name in prepare:
                prepare[name]()
            runs[name].append(action())
    return runs


def best_times(
    actions: Mapping[str, Callable[[], object]],
    repeat: int,
    prepare: Mapping[str, Callable[[], object]] | None = None,
) -> dict[str, float]:
    """The fastest of `repeat` alternating runs of each action, timed in this process."""

    def timed(action: Callable[[], object]) -> Callable[[], float]:
        def run() -> float:
            gc.collect()
            start = time.perf_counter()
            action()
            return time.perf_counter() - start

        return run

    runs = alternate({name: timed(action) for name, action in actions.items()}, repeat, prepare)
    return {name: min(times) for name, times in runs.items()}


def repeats(count: int, requested: int | None) -> int:
    """Runs per measurement: `requested`, else 3 below 5k notes and 2 from 5k up."""
    if requested is not None:
        return max(1, requested)
    return 3 if count < 5_000 else 2


# ---------------------------------------------------------------- peak memory


@dataclass(frozen=True)
class Memory:
    peak_mb: float  # peak RSS of the whole child process
    baseline_mb: float  # peak RSS after imports, before the build


def peak_rss_mb() -> float:
    """This process's peak RSS so far.

    On Linux `ru_maxrss` can't be used: exec keeps the high-water mark of the memory the
    child was forked from, so a child of this (large) process would report the parent's
    RSS (RUSAGE_CHILDREN in the parent as well). VmHWM belongs to the new address space.
    """
    status = Path("/proc/self/status")
    if status.exists():
        return status_kb(status.read_text(), "VmHWM") / 1024
    # macOS: ru_maxrss is in bytes there (KiB on Linux)
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 / 1024


def status_kb(status: str, key: str) -> int:
    """A `kB` figure of /proc/PID/status (`VmHWM:    1234 kB`); 0 when it has none."""
    for line in status.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def child_build(root: Path, output: Path) -> None:
    """Run in a child process: one build, then its own peak RSS as JSON on stdout."""
    import anki_tools.pipeline  # noqa: F401  (the baseline is the RSS after the imports)

    baseline = peak_rss_mb()
    result = anki_tools_build(root, output)
    report = {"peak_mb": peak_rss_mb(), "baseline_mb": baseline, "notes": result.notes}
    print(json.dumps({**report, "errors": len(result.errors), "cards": result.cards}))


def measure_memory(corpus: Corpus, output: Path) -> Memory:
    """The peak RSS of one in-process build of `corpus`, alone in a child process."""
    command = [sys.executable, __file__, "--child-build", str(corpus.root), str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["errors"] or report["notes"] != corpus.notes:
        raise SystemExit(f"child build went wrong: {report}")
    return Memory(float(report["peak_mb"]), float(report["baseline_mb"]))


class TreeMemory:
    """The peak memory of a process and all its descendants (a build's worker pool),
    sampled from /proc while it runs. Two figures (Linux only; elsewhere both stay 0):

    * `peak_mb`: each process' own high-water mark (VmHWM, read every `interval`) as last
      seen, added up. An upper bound: the processes need not all peak at once, and pages
      they share (a forked worker shares its parent's) count in each.
    * `pss_peak_mb`: the largest total of the processes' proportional set size (Pss, shared
      pages split between those that share them) at one moment, read every `pss_interval`
      (reading it walks the page tables: about 15 ms for 800 MB). It can miss a peak that
      lasts less than that interval.

    A process that lives less than one sampling interval can be missed."""

    def __init__(self, pid: int, interval: float = 0.02, pss_interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.pss_every = max(1, round(pss_interval / interval))
        self.peaks: dict[int, int] = {}  # pid → VmHWM in kB
        self.pss_peak_kb = 0
        self.processes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return sum(self.peaks.values()) / 1024

    @property
    def pss_peak_mb(self) -> float:
        return self.pss_peak_kb / 1024

    def _sample(self) -> None:
        for count in itertools.count():
            pids = descendants(self.pid)
            for pid in pids:
                peak = status_kb(read_proc(pid, "status"), "VmHWM")
                self.peaks[pid] = max(self.peaks.get(pid, 0), peak)
            if count % self.pss_every == 0:
                total = sum(status_kb(read_proc(pid, "smaps_rollup"), "Pss") for pid in pids)
                self.pss_peak_kb = max(self.pss_peak_kb, total)
            self.processes = len(self.peaks)
            if self._done.wait(self.interval):
                return


def read_proc(pid: int, name: str) -> str:
    """/proc/PID/NAME, or nothing when the process ended in the meantime."""
    try:
        return Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return ""


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/PID/task/TID/children."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                pending += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


@dataclass(frozen=True)
class ProcessRun:
    """One command run to its end: wall time, exit code, output, peak memory of its tree."""

    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float  # TreeMemory.peak_mb: the processes' peaks added up
    pss_peak_mb: float  # TreeMemory.pss_peak_mb: the most the tree held at one moment
    processes: int  # how many processes the tree had (the command and its workers)
    timed_out: bool = False


def run_process(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    cwd: Path | None = None,
) -> ProcessRun:
    """Run `command` and time it as a whole process, start-up included, sampling the memory
    of its process tree meanwhile. Past `timeout` seconds it is killed (`timed_out`)."""
    gc.collect()
    start = time.perf_counter()
    with (
        subprocess.Popen(
            list(command),
            env=None if env is None else dict(env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        ) as process,
        TreeMemory(process.pid) as memory,
    ):
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_tree(process.pid)
            stdout, stderr = process.communicate()
            timed_out = True
        seconds = time.perf_counter() - start
    return ProcessRun(
        seconds,
        process.returncode,
        stdout,
        stderr,
        memory.peak_mb,
        memory.pss_peak_mb,
        memory.processes,
        timed_out,
    )


def kill_tree(pid: int) -> None:
    """End a command that ran past its time, and the workers it started."""
    for each in reversed(descendants(pid)):
        with contextlib.suppress(OSError):
            os.kill(each, 9)


# ---------------------------------------------------------------- start-up

IMPORT_TIME_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S.*)$")


@dataclass(frozen=True)
class ImportTimes:
    """What `python -X importtime` printed: the total of every module's own time."""

    total_s: float
    modules: int
    slowest: tuple[tuple[str, float], ...]  # top-level packages by cumulative time


def parse_import_times(stderr: str, top: int = 3) -> ImportTimes:
    """Sum the `self [us]` column of `-X importtime` lines (each module's own time, so
    nothing counts twice), and rank the outermost imports by their cumulative time."""
    total_us, modules = 0, 0
    outermost: dict[str, int] = {}
    for line in stderr.splitlines():
        match = IMPORT_TIME_LINE.match(line)
        if not match:
            continue  # the header, or the program's own output
        own, cumulative, indent, name = match.groups()
        total_us += int(own)
        modules += 1
        if len(indent) == 1:  # one space: imported by the program itself, not by a module
            package = name.split(".")[0]
            outermost[package] = outermost.get(package, 0) + int(cumulative)
    ranked = sorted(outermost.items(), key=lambda item: -item[1])[:top]
    return ImportTimes(total_us / 1e6, modules, tuple((n, us / 1e6) for n, us in ranked))


# ---------------------------------------------------------------- verdicts and report


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    passed: bool | None  # None: not measured (the reason is in `measured`)

    @property
    def label(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]


def at_most(target: str, value: float | None, limit: float, unit: str = "x") -> Verdict:
    """PASS when `value` ≤ `limit`; a value of None was not measured (SKIP)."""
    if value is None:
        return Verdict(target, "not measured", None)
    shown = {"x": f"{value:.2f}x", "s": f"{value:.3f} s"}.get(unit, f"{value:.0f} {unit}")
    return Verdict(target, shown, value <= limit)


def verdict_lines(found: Sequence[Verdict]) -> list[str]:
    return [f"  {v.label}  {v.target}: {v.measured}" for v in found]


def exit_code(check: bool, found: Sequence[Verdict]) -> int:
    """With `--check`, 1 when a target was missed (a SKIP is not a miss)."""
    return 1 if check and any(v.passed is False for v in found) else 0


@dataclass(frozen=True)
class SpeedTarget:
    """A build benchmark's speed target: anki-tools ≤ `ratio` × `floor` from `notes` up."""

    floor: str
    ratio: float
    notes: int


def build_verdicts(
    target: SpeedTarget, measured: Iterable[tuple[int, float, float]]
) -> list[Verdict]:
    """Speed and memory verdicts of (notes, anki-tools / floor, peak RSS MB) rows."""
    found = []
    for notes, vs_floor, peak_mb in measured:
        if notes >= target.notes:
            goal = f"{notes} notes: anki-tools <= {target.ratio}x {target.floor}"
            found.append(Verdict(goal, f"{vs_floor:.2f}x", vs_floor <= target.ratio))
        goal = f"{notes} notes: peak RSS <= {MEMORY_TARGET_MB:.0f} MB"
        found.append(Verdict(goal, f"{peak_mb:.0f} MB", peak_mb <= MEMORY_TARGET_MB))
    return found


def build_report(
    about: Mapping[str, object],
    legend: str,
    table: str,
    baseline_mb: float,
    found: Sequence[Verdict],
    target: SpeedTarget,
    largest: int,
) -> str:
    lines = [
        "",
        heading(about),
        legend,
        table,
        "",
        "peak RSS: the anki-tools build alone, in a child process"
        f" (of which imports: {baseline_mb:.0f} MB)",
        "",
        "Targets:",
        *verdict_lines(found),
    ]
    if largest < target.notes:
        lines.append(f"  (the speed target is for {target.notes} notes: not run)")
    return "\n".join(lines)


def git_commit() -> str:
    """The commit measured, with `+dirty` when anki_tools/ has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "anki_tools", "templates"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if changes else "")


def environment(seed: int, cards_per_file: int = CARDS_PER_FILE) -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "seed": seed,
        "cards_per_file": cards_per_file,
    }


def heading(about: Mapping[str, object]) -> str:
    return "anki-tools {commit}, Python {python}, {cpus} CPUs, seed {seed}".format(**about)


def write_json(
    path: Path,
    about: Mapping[str, object],
    results: Iterable[Mapping[str, object]],
    found: Iterable[Verdict],
) -> None:
    data = {
        **about,
        "results": list(results),
        "targets": [{**asdict(verdict), "verdict": verdict.label} for verdict in found],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


# ---------------------------------------------------------------- command line


def add_common_arguments(parser: argparse.ArgumentParser, sizes: Mapping[str, int]) -> None:
    """bench_build.py's and bench_notebooks.py's options."""
    parser.add_argument("--size", choices=[*sizes, "both"], default="both", help="corpus size")
    parser.add_argument("--cards", type=int, action="append", help="notes to generate instead")
    parser.add_argument("--repeat", type=int, help="runs per measurement (default: 3 / 2 at 5k+)")
    parser.add_argument("--seed", type=int, default=SEED, help="corpus random seed")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", type=Path, help="cProfile one build of the largest size")


def counts(args: argparse.Namespace, sizes: Mapping[str, int]) -> list[int]:
    if args.cards:
        return [int(n) for n in args.cards]
    return list(sizes.values()) if args.size == "both" else [sizes[args.size]]


if __name__ == "__main__":
    # `measure_memory`'s child: python harness.py --child-build ROOT OUTPUT
    if sys.argv[1:2] == ["--child-build"] and len(sys.argv) == 4:
        child_build(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit("usage: harness.py --child-build ROOT OUTPUT")
