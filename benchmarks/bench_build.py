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
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import os
import platform
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

import genanki
import pygments
from markdown_it import MarkdownIt
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

from anki_tools import pipeline
from anki_tools.result import BuildResult

SEED = 20_240_601
TIMESTAMP = 1_700_000_000.0
CARDS_PER_FILE = 50
CODE_SHARE = 0.40
CLOZE_SHARE = 0.03
SIZES = {"1k": 1_000, "10k": 10_000}
SPEED_TARGET = 1.5  # anki-tools / floor B at 10k cards
SPEED_TARGET_CARDS = 10_000
MEMORY_TARGET_MB = 300.0
FLOOR_CSS_CLASS = "codehilite"  # the floors' highlighted code: <pre class="codehilite">
FOLDERS = ("python", "python/async", "web/javascript", "databases", "systems/rust", "shell")
LANGUAGES = ("python", "javascript", "rust", "sql", "bash")

T = TypeVar("T")

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


def write_corpus(cards: list[Card], root: Path) -> Corpus:
    for number, group in enumerate(chunks(cards, CARDS_PER_FILE)):
        folder = root / FOLDERS[number % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"notes_{number:04d}.md").write_text(note_file(group, number), "utf-8")
    return Corpus(root, cards)


# ---------------------------------------------------------------- contenders


def floor_model() -> genanki.Model:
    formatter: HtmlFormatter[str] = HtmlFormatter(cssclass=FLOOR_CSS_CLASS)
    css = formatter.get_style_defs(f".{FLOOR_CSS_CLASS}")  # type: ignore[no-untyped-call]
    return genanki.Model(
        1_607_392_319,
        "Bench Basic",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Back}}",
            }
        ],
        css=css,
    )


FLOOR_MODEL = floor_model()


def write_with_genanki(
    fields: Iterable[tuple[str, str]], output: Path, media_files: Sequence[str] = ()
) -> None:
    """Floor A's work: genanki notes from HTML fields, one deck, one package."""
    deck = genanki.Deck(2_059_400_110, "Bench")
    for front, back in fields:
        deck.add_note(genanki.Note(model=FLOOR_MODEL, fields=[front, back]))
    package = genanki.Package(deck, media_files=list(media_files))
    package.write_to_file(str(output), timestamp=TIMESTAMP)


# The spans only: markdown-it-py keeps a highlighted block as it is when it starts with <pre.
FLOOR_FORMATTER: HtmlFormatter[str] = HtmlFormatter(cssclass=FLOOR_CSS_CLASS, nowrap=True)


@cache
def floor_lexer(language: str) -> Lexer:
    """The Pygments lexer of a fence's language; plain text when it has none or is unknown."""
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def floor_highlight(code: str, language: str, _attributes: str) -> str:
    """markdown-it-py's `highlight` option: Pygments with CSS classes, as codehilite did."""
    spans = pygments.highlight(code, floor_lexer(language), FLOOR_FORMATTER)
    return f'<pre class="{FLOOR_CSS_CLASS}"><code>{spans}</code></pre>'


def floor_markdown() -> MarkdownIt:
    """The floors' Markdown: CommonMark with tables, fences highlighted by Pygments.
    Build it once and reuse it (`convert`), as anki-tools reuses its engine."""
    return MarkdownIt("commonmark", {"highlight": floor_highlight}).enable("table")


def convert(converter: MarkdownIt, text: str) -> str:
    html: str = converter.render(text)  # typed as Any
    return html


def render_floor(cards: Iterable[Card]) -> Iterable[tuple[str, str]]:
    """Cards → HTML with one reused markdown-it-py instance (fences → Pygments, CSS classes)."""
    converter = floor_markdown()
    for card in cards:
        yield convert(converter, card.front), convert(converter, card.back)


def floor_a(fields: list[tuple[str, str]], output: Path) -> None:
    write_with_genanki(fields, output)


def floor_b(cards: list[Card], output: Path) -> None:
    write_with_genanki(render_floor(cards), output)


def anki_tools_build(root: Path, output: Path) -> BuildResult:
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


# ---------------------------------------------------------------- measuring


def best_times(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The fastest of `repeat` runs of each action. Rounds run the actions in turn, so a
    slow spell of the machine hits every contender alike instead of one of them."""
    best = dict.fromkeys(actions, float("inf"))
    for _ in range(repeat):
        for name, action in actions.items():
            gc.collect()
            start = time.perf_counter()
            action()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def warm_up(folder: Path) -> None:
    """Import lazily loaded modules (lexers, extensions) before any timer starts."""
    sample = make_cards(60, SEED + 1)
    corpus = write_corpus(sample, folder / "warm-up")
    check_build(anki_tools_build(corpus.root, folder / "warm-up.apkg"), corpus)
    floor_b(sample, folder / "warm-up-b.apkg")
    floor_a(list(render_floor(sample)), folder / "warm-up-a.apkg")


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
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    # macOS: ru_maxrss is in bytes there (KiB on Linux)
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 / 1024


def child_build(root: Path, output: Path) -> None:
    """Run in a child process: one build, then its own peak RSS as JSON on stdout."""
    baseline = peak_rss_mb()
    result = anki_tools_build(root, output)
    report = {"peak_mb": peak_rss_mb(), "baseline_mb": baseline, "notes": result.notes}
    print(json.dumps({**report, "errors": len(result.errors), "cards": result.cards}))


def measure_memory(corpus: Corpus, output: Path) -> Memory:
    command = [sys.executable, __file__, "--child-build", str(corpus.root), str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["errors"] or report["notes"] != corpus.notes:
        raise SystemExit(f"child build went wrong: {report}")
    return Memory(float(report["peak_mb"]), float(report["baseline_mb"]))


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


def profile(count: int, seed: int, folder: Path, output: Path) -> None:
    """One anki-tools build under cProfile: stats to `output`, the top functions printed."""
    profile_build(write_corpus(make_cards(count, seed), folder / "profiled"), folder, output)


def profile_build(corpus: Corpus, folder: Path, output: Path) -> None:
    """Profile one anki-tools build of `corpus` (also used by bench_notebooks.py)."""
    profiler = cProfile.Profile()
    profiler.runcall(anki_tools_build, corpus.root, folder / "profiled.apkg")
    profiler.dump_stats(output)
    print(f"\nProfile of one {corpus.notes}-note build written to {output}; top functions:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"anki_tools", 25)
    stats.sort_stats("tottime").print_stats(20)


# ---------------------------------------------------------------- report


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    passed: bool


def verdicts(results: list[Result]) -> list[Verdict]:
    found = []
    for result in results:
        if result.notes >= SPEED_TARGET_CARDS:
            target = f"{result.notes} notes: anki-tools <= {SPEED_TARGET}x floor B"
            passed = result.vs_floor_b <= SPEED_TARGET
            found.append(Verdict(target, f"{result.vs_floor_b:.2f}x", passed))
        target = f"{result.notes} notes: peak RSS <= {MEMORY_TARGET_MB:.0f} MB"
        passed = result.peak_rss_mb <= MEMORY_TARGET_MB
        found.append(Verdict(target, f"{result.peak_rss_mb:.0f} MB", passed))
    return found


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
    lines = [
        "",
        "anki-tools {commit}, Python {python}, {cpus} CPUs, seed {seed}".format(**about),
        "at/B = anki-tools / floor B (genanki + Markdown + Pygments);"
        " at/A = anki-tools / floor A (genanki only)",
        table(results),
        "",
        "peak RSS: the anki-tools build alone, in a child process"
        f" (of which imports: {min(r.baseline_rss_mb for r in results):.0f} MB)",
        "",
        "Targets:",
    ]
    lines += [f"  {'PASS' if v.passed else 'FAIL'}  {v.target}: {v.measured}" for v in found]
    if not any(r.notes >= SPEED_TARGET_CARDS for r in results):
        lines.append(f"  (the speed target is for {SPEED_TARGET_CARDS} notes: not run)")
    return "\n".join(lines)


def git_commit() -> str:
    """The commit measured, with `+dirty` when anki_tools/ has uncommitted changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "anki_tools", "templates"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if changes else "")


def environment(seed: int) -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "seed": seed,
        "cards_per_file": CARDS_PER_FILE,
    }


def write_json(
    path: Path, about: dict[str, object], results: list[Result], found: list[Verdict]
) -> None:
    data = {
        **about,
        "results": [result.as_json() for result in results],
        "targets": [asdict(verdict) for verdict in found],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--size", choices=[*SIZES, "both"], default="both", help="corpus size")
    parser.add_argument("--cards", type=int, action="append", help="notes to generate instead")
    parser.add_argument("--repeat", type=int, help="runs per measurement (default: 3 / 2 at 5k+)")
    parser.add_argument("--seed", type=int, default=SEED, help="corpus random seed")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", type=Path, help="cProfile one build of the largest size")
    parser.add_argument("--child-build", nargs=2, type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def counts(args: argparse.Namespace) -> list[int]:
    if args.cards:
        return [int(n) for n in args.cards]
    return list(SIZES.values()) if args.size == "both" else [SIZES[args.size]]


def repeats(count: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    return 3 if count < 5_000 else 2


def run(args: argparse.Namespace) -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="anki-tools-bench-") as temporary:
        folder = Path(temporary)
        warm_up(folder)
        for count in counts(args):
            (folder / str(count)).mkdir()
            results.append(
                measure(count, repeats(count, args.repeat), args.seed, folder / str(count))
            )
        found, about = verdicts(results), environment(args.seed)
        print(report(results, found, about), flush=True)
        if args.json:
            write_json(args.json, about, results, found)
        if args.profile:
            profile(max(counts(args)), args.seed, folder, args.profile)
    return 1 if args.check and not all(v.passed for v in found) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_build:
        child_build(*args.child_build)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
