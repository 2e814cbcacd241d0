"""Hostile sources of issue 11 (item 9): time, peak memory and outcome of each.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_hostile.py            # every case (about 3 minutes)
    .venv/bin/python benchmarks/bench_hostile.py --quick    # the issue's six inputs only
    .venv/bin/python benchmarks/bench_hostile.py --json benchmarks/results/hostile.json

Each case is one source checked on its own (`anki-tools check FILE`) in a child process,
so its peak memory (VmHWM) is its own and a case that runs away is stopped (`--timeout`,
default 300 s). The first six are the inputs the issue measured before the fix; the rest
are the worst shapes found while fixing them, most at the largest size a notes file may
have (limits.MARKDOWN_MAX_BYTES). The outcome is the first problem reported, or the
number of cards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anki_tools import limits

MB = limits.MARKDOWN_MAX_BYTES - 1000  # the largest notes file, less room for a heading
MARKERS = ["[", "{{{", "{{c1::", "(S)", "\\(", "`", "*", "_", "<", "$", "http:", "![", "]("]
MARKERS += ["<div>", "&#", "~~", "}}", "|", "(Q)", "[^", "<!--", "\\[", "$$", "::"]
CHILD = r"""
import json, sys, time
from anki_tools.cli import main
start = time.perf_counter()
code = 0
try:
    main(["check", sys.argv[1]])
except SystemExit as done:
    code = done.code
status = open("/proc/self/status").read().split("\n")
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak / 1024, "exit": code}))
"""


def repeat(piece: str, size: int) -> str:
    return piece * max(1, size // len(piece))


def mixed(size: int) -> str:
    rng = random.Random(1)
    return "".join(rng.choice(MARKERS) for _ in range(size // 2))


def front_matter(keys: int) -> str:
    return "---\n" + "".join(f"k{i}: {i}\n" for i in range(keys)) + "---\n## Q\n\nA\n"


def notebook(cells: list[dict[str, object]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def markdown_cell(text: str) -> dict[str, object]:
    return {"cell_type": "markdown", "id": f"c{len(text)}", "metadata": {}, "source": text}


def deep_json(depth: int) -> str:
    return notebook([markdown_cell("Q?\n-\nA")]).replace(
        '"metadata": {}', '"metadata": ' + "[" * depth + "]" * depth, 1
    )


def html_output(depth: int) -> str:
    code = {
        "cell_type": "code", "id": "out", "metadata": {"tags": ["card"]}, "source": "show()",
        "execution_count": 1,
        "outputs": [{"output_type": "display_data", "metadata": {},
                     "data": {"text/html": "<div>" * depth, "text/plain": "x"}}],
    }  # fmt: skip
    return notebook([markdown_cell("What does it show?"), code])


# name: (what the issue measured before, file name, text)
Case = tuple[str, str, Callable[[], str]]
ISSUE: dict[str, Case] = {
    "16 kB line of [": ("49 s", "n.md", lambda: "## Q\n" + "[" * 16_000 + "\n"),
    "90 kB of {{{": ("130 s", "n.md", lambda: "## Q\n" + "{{{" * 30_000 + "\n"),
    "400 kB unbalanced markers": ("65 s", "n.md", lambda: "## Q\n" + mixed(400_000) + "\n"),
    "100,000 nested <div>": ("63 s", "n.md", lambda: "## Q\n\n" + "<div>\n" * 100_000),
    "8 MB of nested lists": (
        "> 300 s, 2.5 GB",
        "n.md",
        lambda: "## Q\n\n" + repeat("- " * 40 + "x\n", 8_000_000),
    ),
    "front matter, 300,000 keys": ("90 s", "n.md", lambda: front_matter(300_000)),
}
FOUND: dict[str, Case] = {
    "nested lists, 2 MB": ("", "n.md", lambda: "## Q\n\n" + repeat("- " * 40 + "x\n", MB)),
    "flat list, 2 MB": ("", "n.md", lambda: "## Q\n\n" + repeat("- item\n", MB)),
    "nested <div> on one line": ("", "n.md", lambda: "## Q\n" + "<div>" * 100_000 + "\n"),
    "balanced <div>, 2 MB": ("", "n.md", lambda: "## Q\n\n" + repeat("<div>x</div>", MB)),
    "front matter, 6,000 keys (60 kB)": ("", "n.md", lambda: front_matter(6_000)),
    "table rows, 2 MB": ("", "n.md", lambda: "## Q\n|a|b|\n|-|-|\n" + repeat("|x|y|\n", MB)),
    "table 500 columns, 2 MB": (
        "",
        "n.md",
        lambda: "## Q\n" + "|a" * 500 + "|\n" + "|-" * 500 + "|\n" + repeat("|b", MB - 3000),
    ),
    "emphasis *a, 2 MB": ("", "n.md", lambda: "## Q\n" + repeat("*a ", MB) + "\n"),
    "footnote refs, 2 MB": ("", "n.md", lambda: "## Q\n" + repeat("[^a]", MB) + "\n\n[^a]: x\n"),
    "![ on one line, 2 MB": ("", "n.md", lambda: "## Q\n" + repeat("![", MB) + "\n"),
    "[a][b on one line, 2 MB": ("", "n.md", lambda: "## Q\n" + repeat("[a][b", MB) + "\n"),
    "reference link x 20,000": (
        "",
        "n.md",
        lambda: "[x]: /" + "a" * 100_000 + "\n\n" + "## Q\n[x]\n\n" * 20_000,
    ),
    "setext headings, 2 MB": ("", "n.md", lambda: "## Q\n" + repeat("a\n=\n", MB)),
    "cards, 2 MB": ("", "n.md", lambda: "".join(f"## Card {i}\nA\n" for i in range(MB // 18))),
    "clozes in code, 400 kB": (
        "",
        "n.md",
        lambda: "## Q\n```python\n" + repeat("{{c1::a}}\n", 400_000) + "```\n",
    ),
    "notebook JSON 1,000 deep": ("", "n.ipynb", lambda: deep_json(1000)),
    "notebook HTML output 100,000 deep": ("", "n.ipynb", lambda: html_output(100_000)),
}


def run_case(name: str, file_name: str, text: str, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        path.write_text(text, encoding="utf-8")
        environment = {**os.environ, "ANKI_TOOLS_JOBS": "1"}
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, file_name],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=folder,
                env=environment,
            )
        except subprocess.TimeoutExpired:
            return {
                "case": name,
                "bytes": len(text.encode()),
                "outcome": f"stopped after {timeout:.0f} s",
            }
        *summary, last = done.stdout.strip().splitlines()
        result = json.loads(last)
        problems = [line for line in done.stderr.splitlines() if line.startswith(file_name)]
        outcome = (problems or summary or ["(nothing)"])[0]
        return {
            "case": name,
            "bytes": len(text.encode()),
            "seconds": round(result["seconds"], 2),
            "wall": round(time.perf_counter() - start, 2),
            "peak_mb": round(result["peak_mb"]),
            "exit": result["exit"],
            "outcome": outcome[:110],
        }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the issue's six inputs")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    cases = ISSUE if args.quick else {**ISSUE, **FOUND}
    results = []
    print(f"{'case':36} {'size':>9} {'before':>16} {'time':>8} {'peak':>7}  outcome")
    for name, (before, file_name, make) in cases.items():
        row = run_case(name, file_name, make(), args.timeout)
        results.append({**row, "before": before})
        size = f"{row['bytes'] / 1024:,.0f} kB"
        took = f"{row['seconds']:.2f} s" if "seconds" in row else "-"
        peak = f"{row['peak_mb']} MB" if "peak_mb" in row else "-"
        print(f"{name:36} {size:>9} {before:>16} {took:>8} {peak:>7}  {row['outcome']}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
