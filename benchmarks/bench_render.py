"""Markdown-stage benchmark: the work tree's parse + render against an earlier version's.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_render.py                 # 10k cards, best of 2
    .venv/bin/python benchmarks/bench_render.py --cards 300 --repeat 1   # a quick run
    .venv/bin/python benchmarks/bench_render.py --json benchmarks/results/render.json --check

Both contenders get the same synthetic corpus as harness.py (its generator and seed,
imported, not copied), written once as Markdown files. Each times the Markdown → HTML part
of the pipeline on it:

    notes = pipeline.parse_sources(pipeline.find_sources([root]), None, problems)
    rendered = pipeline.render_notes(notes, problems)

* new: the work tree's `anki_tools` (with templates/), copied when the run starts so that
  every round times the same code, run by the project's own virtualenv (`sys.executable`).
* old: `anki_tools` at `--baseline-rev` (by default the last commit before the move to
  markdown-it-py). `git archive` unpacks that commit into a temporary folder, and pip installs
  it into a throwaway virtualenv under benchmarks/results/ (git-ignored), keyed by the commit.
  The packages both virtualenvs have (Pygments, nh3, PyYAML, …) are pinned to the versions of
  the project's virtualenv. A rerun reuses the virtualenv.

Parsing and rendering are timed apart and together ("the Markdown stage"): the new engine does
some of its parsing work earlier than the old one, so only their sum compares like with like.
Every timed run is a child process of its contender's own interpreter (this script's
`--child` mode), so the two versions never share a process. Rounds alternate new, old, new,
old, …; each contender's time is its best of `--repeat` rounds, and each child first renders
a small warm-up corpus to load lexers and extensions. The notes, rendered notes, errors and
warnings must agree between runs and between versions; the report says so when they don't.

The report prints PASS/FAIL next to the target (old / new ≥ 2× for the Markdown stage at 10k
cards) and exits 0, unless `--check` is given: then a missed target, or counts that disagree,
exit 1. Linux and macOS only (virtualenv layout).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# This module's top level imports only the standard library: in `--child` mode it runs in
# the baseline's virtualenv too, which has neither bench_build.py's imports nor the new ones.

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
BASELINE_REV = "0a57afc0fb58370bdde0d20293bd89aa87afb6ed"  # the last commit on Python-Markdown
DEFAULT_CARDS = 10_000
SPEED_TARGET = 2.0  # old / new for the Markdown stage (parse + render)
SPEED_TARGET_CARDS = 10_000
WARM_UP_CARDS = 60
CONTENDERS = ("new", "old")
# Not pinned in the baseline: the installer's own tools and the project itself.
UNPINNED = {"anki-tools", "pip", "setuptools", "wheel"}

Json = dict[str, Any]

# ---------------------------------------------------------------- the child


def child(root: Path, warm_up: Path, import_from: Path | None) -> None:
    """Run in a contender's interpreter: warm up, time one parse + render, print JSON.
    `import_from` is a folder that holds the `anki_tools` to import (the work tree's copy)."""
    if import_from is not None:
        sys.path.insert(0, str(import_from))
    import anki_tools
    from anki_tools import pipeline
    from anki_tools.errors import Problems

    def stage(folder: Path) -> Json:
        problems = Problems()
        gc.collect()
        start = time.perf_counter()
        notes = pipeline.parse_sources(pipeline.find_sources([folder]), None, problems)
        parsed = time.perf_counter()
        rendered = pipeline.render_notes(notes, problems)
        done = time.perf_counter()
        stage_s = done - start
        # A build goes file by file through render_sources (on every core for a big one)
        # where the version has it: that is the stage a user waits for.
        if hasattr(pipeline, "render_sources"):
            gc.collect()
            begun = time.perf_counter()
            found = pipeline.find_sources([folder])
            if hasattr(pipeline.BuildOptions(), "output"):  # options in one piece (issue 14)
                pipeline.render_sources(found, Problems(), pipeline.BuildOptions())
            else:
                pipeline.render_sources(found, None, Problems())  # type: ignore[arg-type]
            stage_s = time.perf_counter() - begun
        return {
            "parse_s": parsed - start,
            "render_s": done - parsed,
            "stage_s": stage_s,
            "counts": {
                "notes": len(notes),
                "rendered": len(rendered),
                "errors": len(problems.errors),
                "warnings": len(problems.warnings),
            },
            "first_problems": [str(problem) for problem in problems.items[:5]],
        }

    stage(warm_up)
    report = stage(root)
    report["module"] = str(Path(anki_tools.__file__).resolve().parent)
    report["python"] = sys.version.split()[0]
    print(json.dumps(report))


# ---------------------------------------------------------------- the baseline


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def resolve_rev(rev: str) -> str:
    return git("rev-parse", "--verify", f"{rev}^{{commit}}")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_here() -> dict[str, str]:
    """Distribution name → version in this interpreter (the project's virtualenv)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(normalized(name), dist.version)
    return found


LIST_INSTALLED = (
    "import importlib.metadata as m, json, re\n"
    "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
    " for d in m.distributions() if d.metadata['Name']}))"
)


def installed_in(python: Path) -> dict[str, str]:
    done = subprocess.run(
        [str(python), "-I", "-c", LIST_INSTALLED], capture_output=True, text=True, check=True
    )
    return {str(name): str(version) for name, version in json.loads(done.stdout).items()}


def version_gaps(python: Path) -> dict[str, tuple[str, str]]:
    """Packages both virtualenvs have in different versions: name → (new's, old's)."""
    here, there = installed_here(), installed_in(python)
    return {
        name: (here[name], there[name])
        for name in sorted(here.keys() & there.keys())
        if name not in UNPINNED and here[name] != there[name]
    }


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def baseline_python(sha: str) -> tuple[Path, dict[str, tuple[str, str]]]:
    """The baseline's interpreter, installed on first use (or when its pins went stale),
    and any shared packages whose versions still differ from the project's virtualenv."""
    home = RESULTS / f"baseline-{sha[:12]}"
    python = venv_python(home / "venv")
    stamp = home / "installed.json"
    expected = {"commit": sha, "python": sys.version}
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == expected:
        gaps = version_gaps(python)
        if not gaps:
            return python, gaps
        print(f"baseline virtualenv is out of step ({gaps}): reinstalling", file=sys.stderr)
    install_baseline(sha, home)
    stamp.write_text(json.dumps(expected) + "\n")
    gaps = version_gaps(python)
    if gaps:
        print(f"warning: versions still differ from .venv: {gaps}", file=sys.stderr)
    return python, gaps


def install_baseline(sha: str, home: Path) -> None:
    print(f"installing anki-tools {sha[:12]} into {home / 'venv'} …", file=sys.stderr)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="anki-tools-baseline-") as temporary:
        source = Path(temporary) / "src"
        source.mkdir()
        archive = subprocess.Popen(["git", "-C", str(REPO), "archive", sha], stdout=subprocess.PIPE)
        unpacked = subprocess.run(["tar", "-x", "-C", str(source)], stdin=archive.stdout)
        if archive.stdout:
            archive.stdout.close()
        if archive.wait() != 0 or unpacked.returncode != 0:
            raise SystemExit(f"could not unpack commit {sha} with git archive | tar")
        pins = Path(temporary) / "constraints.txt"
        here = installed_here()
        pins.write_text(
            "".join(f"{n}=={v}\n" for n, v in sorted(here.items()) if n not in UNPINNED)
        )
        subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
        pip = [str(venv_python(home / "venv")), "-m", "pip", "--disable-pip-version-check"]
        done = subprocess.run(
            [*pip, "install", "--quiet", "-c", str(pins), str(source)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            shutil.rmtree(home, ignore_errors=True)
            raise SystemExit(f"pip could not install the baseline:\n{done.stderr[-3000:]}")


# ---------------------------------------------------------------- measuring


def snapshot_work_tree(folder: Path) -> Path:
    """Copy the work tree's package, so that every round times the same code even while
    someone edits anki_tools/. Laid out as installed: templates/ is anki_tools/_templates."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "anki_tools", folder / "anki_tools", ignore=ignore)
    shutil.copytree(REPO / "templates", folder / "anki_tools" / "_templates", ignore=ignore)
    return folder


@dataclass(frozen=True)
class Contender:
    name: str
    python: Path
    module: Path  # where its anki_tools must come from
    import_from: Path | None = None  # put on sys.path first (the work tree's snapshot)


@dataclass(frozen=True)
class Run:
    contender: str
    round: int
    parse_s: float
    render_s: float
    stage_s: float
    counts: dict[str, int]


def run_child(contender: Contender, root: Path, warm_up: Path, round_: int) -> Run:
    command = [str(contender.python), "-I", __file__, "--child", str(root), str(warm_up)]
    if contender.import_from is not None:
        command += ["--child-import-from", str(contender.import_from)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=root.parent)
    if done.returncode != 0:
        raise SystemExit(
            f"the {contender.name} version failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    module = Path(report["module"])
    if not module.is_relative_to(contender.module.resolve()):
        raise SystemExit(f"the {contender.name} child imported {module}, not {contender.module}")
    if report["first_problems"] and round_ == 0:
        shown = "\n  ".join(report["first_problems"])
        print(f"{contender.name}: problems reported, the first ones:\n  {shown}", file=sys.stderr)
    times = {key: float(report[key]) for key in ("parse_s", "render_s", "stage_s")}
    counts = {str(key): int(value) for key, value in report["counts"].items()}
    return Run(contender.name, round_, counts=counts, **times)


@dataclass(frozen=True)
class Best:
    parse_s: float
    render_s: float
    stage_s: float  # the best parse + render of one run (not the sum of the two bests)


def best_of(runs: Sequence[Run], name: str) -> Best:
    mine = [run for run in runs if run.contender == name]
    return Best(
        parse_s=min(run.parse_s for run in mine),
        render_s=min(run.render_s for run in mine),
        stage_s=min(run.stage_s for run in mine),
    )


def count_problems(runs: Sequence[Run], expected_notes: int) -> list[str]:
    """Disagreements: between rounds of one version, between versions, with the corpus."""
    found = []
    seen = {name: [run.counts for run in runs if run.contender == name] for name in CONTENDERS}
    for name, counts in seen.items():
        if any(c != counts[0] for c in counts):
            found.append(f"{name}: counts differ between rounds: {counts}")
    new, old = seen["new"][0], seen["old"][0]
    for key in sorted(new.keys() | old.keys()):
        if new.get(key) != old.get(key):
            found.append(f"{key}: new {new.get(key)}, old {old.get(key)}")
    for name, counts in seen.items():
        if counts[0].get("rendered") != expected_notes:
            found.append(f"{name}: rendered {counts[0].get('rendered')} of {expected_notes} notes")
    return found


def measure(
    contenders: Sequence[Contender], count: int, seed: int, repeat: int, folder: Path
) -> tuple[list[Run], int]:
    from harness import SEED, make_cards, write_corpus

    warm_up = write_corpus(make_cards(WARM_UP_CARDS, SEED + 1), folder / "warm-up").root
    corpus = write_corpus(make_cards(count, seed), folder / "notes")
    files = sum(1 for _ in corpus.root.rglob("*.md"))
    print(f"measuring {corpus.notes} notes ({files} files), best of {repeat}", file=sys.stderr)
    runs = []
    for round_ in range(repeat):
        for contender in contenders:
            run = run_child(contender, corpus.root, warm_up, round_)
            print(
                f"  round {round_ + 1} {contender.name}: parse {run.parse_s:.2f} s"
                f" + render {run.render_s:.2f} s = {run.stage_s:.2f} s",
                file=sys.stderr,
            )
            runs.append(run)
    return runs, corpus.notes


# ---------------------------------------------------------------- report


def ratios(new: Best, old: Best) -> dict[str, float]:
    return {
        "stage": old.stage_s / new.stage_s,
        "parse": old.parse_s / new.parse_s,
        "render": old.render_s / new.render_s,
    }


def report(
    about: Json, notes: int, best: dict[str, Best], mismatches: list[str], repeat: int
) -> str:
    ratio = ratios(best["new"], best["old"])
    lines = [
        "",
        "new: anki-tools {commit}; old: {baseline} (throwaway virtualenv);"
        " Python {python}, {cpus} CPUs, seed {seed}".format(**about),
        f"{notes} notes, best of {repeat}; old/new > 1 means the new version is faster",
        "",
        f"{'':<16} {'new':>9} {'old':>9} {'old/new':>8}",
    ]
    for key, label in (("stage", "Markdown stage"), ("parse", "  parse"), ("render", "  render")):
        new_s, old_s = getattr(best["new"], f"{key}_s"), getattr(best["old"], f"{key}_s")
        lines.append(f"{label:<16} {new_s:>7.2f} s {old_s:>7.2f} s {ratio[key]:>7.2f}x")
    lines += ["", "Counts (notes, rendered, errors, warnings):"]
    if mismatches:
        lines += [f"  DIFFER  {line}" for line in mismatches]
    else:
        lines.append("  agree between the versions and with the corpus")
    lines += ["", "Target:"]
    if notes >= SPEED_TARGET_CARDS:
        verdict = "PASS" if ratio["stage"] >= SPEED_TARGET else "FAIL"
        lines.append(
            f"  {verdict}  {notes} notes: Markdown stage old/new >= {SPEED_TARGET:.0f}x:"
            f" {ratio['stage']:.2f}x"
        )
    else:
        lines.append(f"  (the target is for {SPEED_TARGET_CARDS} notes: not run)")
    return "\n".join(lines)


def passed(notes: int, best: dict[str, Best], mismatches: list[str]) -> bool:
    fast = notes < SPEED_TARGET_CARDS or ratios(best["new"], best["old"])["stage"] >= SPEED_TARGET
    return fast and not mismatches


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cards", type=int, default=DEFAULT_CARDS, help="notes to generate")
    parser.add_argument("--repeat", type=int, help="rounds (default: 3 / 2 at 5k+)")
    parser.add_argument("--seed", type=int, help="corpus random seed (default: harness.py's)")
    parser.add_argument(
        "--baseline-rev", default=BASELINE_REV, help="the old version (default: %(default)s)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-import-from", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    from harness import SEED, environment, repeats

    seed = SEED if args.seed is None else args.seed
    repeat = repeats(args.cards, args.repeat)
    sha = resolve_rev(args.baseline_rev)
    old_python, gaps = baseline_python(sha)
    about = {**environment(seed), "baseline": sha[:12]}  # before the snapshot: its commit
    with tempfile.TemporaryDirectory(prefix="anki-tools-bench-render-") as temporary:
        folder = Path(temporary)
        work_tree = snapshot_work_tree(folder / "work-tree")
        contenders = [
            Contender("new", Path(sys.executable), work_tree / "anki_tools", work_tree),
            Contender("old", old_python, old_python.parent.parent.resolve()),
        ]
        runs, notes = measure(contenders, args.cards, seed, repeat, folder)
    best = {name: best_of(runs, name) for name in CONTENDERS}
    mismatches = count_problems(runs, notes)
    print(report(about, notes, best, mismatches, repeat), flush=True)
    if gaps:
        print(f"\nwarning: package versions differ (new, old): {gaps}")
    if args.json:
        data = {
            **about,
            "baseline_commit": sha,
            "notes": notes,
            "repeat": repeat,
            "best": {name: asdict(value) for name, value in best.items()},
            "old_vs_new": ratios(best["new"], best["old"]),
            "target": {"stage_old_vs_new_at_least": SPEED_TARGET, "cards": SPEED_TARGET_CARDS},
            "count_mismatches": mismatches,
            "version_gaps": gaps,
            "runs": [asdict(one) for one in runs],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return 1 if args.check and not passed(notes, best, mismatches) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        root, warm_up = args.child
        child(root, warm_up, args.child_import_from)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
