"""Preview benchmark: how soon the preview page shows its first screen, by deck size.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_preview.py                  # 100, 500 and 2000 cards
    .venv/bin/python benchmarks/bench_preview.py --cards 100 2000 --eager-max 0
    .venv/bin/python benchmarks/bench_preview.py --check          # exit 1 if a target is missed

Each size is harness.py's corpus (its generator and seed), written as a preview with
`pipeline.preview`, then opened in headless Chromium (/usr/bin/chromium, 1100 × 900).
The first screen is ready when at least one card has its sides and every side made so
far has loaded and reported its size (the page marks it `data-pv-sized`): the moment a
reader sees filled cards. Two baselines are measured in the same run:

- the 100-card page: the first screen should not grow with the deck (target: 2000 cards
  within 2× of 100 cards, and within 3 s);
- the eager page: the same page with the script of `--baseline-rev` (before lazy sides),
  which makes every side at once; timed for the sizes up to `--eager-max` (it took 85 s
  at 579 cards), until every side has loaded.

Each time is the best of `--repeat` rounds (default 2; the eager page once).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from anki_tools import pipeline
from anki_tools.themes import default_templates_dir

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import SEED, make_cards, write_corpus  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BASELINE_REV = "bd5ce18"  # the last commit whose page made every side at once
# Every side in the window has loaded and fits its card: what the reader sees is ready.
FIRST_SCREEN = """[...document.querySelectorAll('iframe')].filter(f => {
  const r = f.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight;
}).every(f => f.hasAttribute('data-pv-sized')) && !!document.querySelector('iframe')"""
# Every side made so far has (the lazy page: those within 1500 px of the window).
EVERY_SIDE = (
    "document.querySelector('iframe') && !document.querySelector('iframe:not([data-pv-sized])')"
)
TARGET_SECONDS, TARGET_RATIO, TARGET_CARDS = 3.0, 2.0, 2000
TIMEOUT_MS = 600_000


def write_pages(cards: int, folder: Path, eager_script: str | None) -> tuple[Path, Path | None]:
    """The lazy preview of `cards` notes, and its eager twin (another page script)."""
    root = write_corpus(make_cards(cards, SEED), folder / "notes").root
    result = pipeline.preview([root], folder / "pv")
    assert result.cards >= cards and not result.problems, result.problems[:3]
    lazy = folder / "pv" / "index.html"
    if eager_script is None:
        return lazy, None
    ours = (default_templates_dir() / "preview" / "page.js").read_text("utf-8")
    page = lazy.read_text(encoding="utf-8")
    assert ours in page
    eager = folder / "pv" / "eager.html"
    eager.write_text(page.replace(ours, eager_script), encoding="utf-8")
    return lazy, eager


def seconds_until(browser: Browser, page_path: Path, *conditions: str) -> tuple[float, ...]:
    """Seconds from opening the page until each condition holds, in turn; and how many
    sides the page had made by the last one."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(page_path.as_uri(), timeout=TIMEOUT_MS)
    times = []
    for condition in conditions:
        page.wait_for_function(condition, timeout=TIMEOUT_MS)
        times.append(time.perf_counter() - start)
    sides = page.locator("iframe").count()
    context.close()
    return (*times, sides)


def eager_script(rev: str) -> str:
    return subprocess.run(
        ["git", "-C", str(HERE.parent), "show", f"{rev}:templates/preview/page.js"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cards", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--eager-max", type=int, default=500, help="eager page up to this size")
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.cards) | {100})
    script = eager_script(args.baseline_rev) if args.eager_max else None
    lazy: dict[int, float] = {}
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="anki-tools-bench-preview-") as temporary,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for cards in sizes:
            eager_wanted = script if cards <= args.eager_max else None
            lazy_page, eager_page = write_pages(cards, Path(temporary) / str(cards), eager_wanted)
            runs = [
                seconds_until(browser, lazy_page, FIRST_SCREEN, EVERY_SIDE)
                for _ in range(args.repeat)
            ]
            lazy[cards] = min(run[0] for run in runs)
            settled = min(run[1] for run in runs)
            sides = int(runs[0][2])
            eager = (
                seconds_until(browser, eager_page, FIRST_SCREEN, EVERY_SIDE) if eager_page else None
            )
            rows.append((cards, lazy[cards], settled, sides, eager))
            print(f"  {cards} cards: first screen {lazy[cards]:.2f} s", file=sys.stderr)
        browser.close()
    print(
        f"{'cards':>6} {'first screen':>13} {'/ 100 cards':>12} {'sides made':>11} {'settled':>9}"
        f" {'eager: first screen':>20} {'every side':>11} {'eager / lazy':>13}"
    )
    for cards, first, settled, sides, eager in rows:
        line = (
            f"{cards:>6} {first:>11.2f} s {first / lazy[100]:>11.2f}x {sides:>11} {settled:>7.2f} s"
        )
        if eager:
            line += f" {eager[0]:>18.2f} s {eager[1]:>9.2f} s {eager[0] / first:>12.1f}x"
        print(line)
    big = max(sizes)
    ok = big < TARGET_CARDS or (
        lazy[big] <= TARGET_SECONDS and lazy[big] / lazy[100] <= TARGET_RATIO
    )
    print(
        f"{'PASS' if ok else 'FAIL'}: {big} cards within {TARGET_SECONDS:.0f} s"
        f" and {TARGET_RATIO:.0f}x the 100-card page"
        if big >= TARGET_CARDS
        else f"(the targets are for {TARGET_CARDS} cards: not run)"
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
