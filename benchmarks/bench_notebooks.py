"""Notebook build-speed benchmark: anki-tools against a floor on the same notebooks.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_notebooks.py                  # 1k and 5k cards
    .venv/bin/python benchmarks/bench_notebooks.py --size 1k        # only 1k
    .venv/bin/python benchmarks/bench_notebooks.py --cards 300 --repeat 1   # a quick run
    .venv/bin/python benchmarks/bench_notebooks.py --json results.json --check

The cards are harness.py's synthetic cards (same generator, same seed), written as
Jupyter notebooks (nbformat 4.5, with cell ids; about 50 cards a notebook, spread over a
few folders). A card is a markdown cell (`front`, a `-` line, `back`), except about a third:
those are a one-sided question cell followed by a `card`-tagged Python code cell with
outputs (a stream, an execute_result, and for some a PNG plot or a pandas-like HTML table).

What is measured, each on the same notebooks:

* anki-tools: `anki_tools.pipeline.build([root], output)` on the notebook folder.
* floor: `nbformat.read` of every notebook, then floors.py's reused markdown-it-py
  instance (`MarkdownIt("commonmark").enable("table")`, fences highlighted by Pygments)
  converts each markdown cell's front and back and each code cell's code and text outputs
  (as fenced blocks; HTML outputs are appended as they are, PNG outputs are decoded and
  written as media files), and genanki writes the notes as floors.py's floor B does.

Each measurement is the best of several rounds that run both contenders in turn. Peak memory
(RSS) of the anki-tools build is taken in a child process of its own (harness.py's).
The report prints PASS/FAIL next to the targets and exits 0, unless `--check` is given: then
a missed target exits 1. `--profile PATH` also writes a cProfile of one anki-tools build of
the largest size and prints its top functions. Linux and macOS only (`resource`).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nbformat
from floors import convert, floor_markdown, write_with_genanki
from harness import (
    CARDS_PER_FILE,
    CODE_LINES,
    FOLDERS,
    SEED,
    WORDS,
    Card,
    Corpus,
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
    fill,
    make_cards,
    measure_memory,
    profile_build,
    repeats,
    write_json,
)
from markdown_it import MarkdownIt

SIZES = {"1k": 1_000, "5k": 5_000}
TARGET = SpeedTarget("floor", 1.3, 5_000)  # anki-tools / floor at 5k cards
CODE_CELL_SHARE = 0.34  # of the cards without cloze: about a third of all cards
IMAGE_SHARE = 0.25  # of the code cells: a PNG plot (display_data)
TABLE_SHARE = 0.25  # of the code cells: the execute_result is a pandas-like HTML table
NOTEBOOK_SEED_OFFSET = 7  # the notebook layout draws from its own random stream
KERNEL = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    },
}
FRAME_STYLE = """<style scoped>
    .dataframe tbody tr th:only-of-type {
        vertical-align: middle;
    }

    .dataframe tbody tr th {
        vertical-align: top;
    }

    .dataframe thead th {
        text-align: right;
    }
</style>
"""

Json = dict[str, Any]

# ---------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Shape:
    """What the notebooks hold besides markdown cards."""

    notebooks: int
    code_cells: int
    images: int
    tables: int


class NotebookWriter:
    """Cells in Jupyter's own JSON layout: sources as lists of lines, 8-hex-digit ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.count = 0  # execution_count
        self.code_cells = self.images = self.tables = 0

    def cell_id(self) -> str:
        while True:
            cell_id = f"{self.rng.getrandbits(32):08x}"
            if cell_id not in self.ids:
                self.ids.add(cell_id)
                return cell_id

    def markdown_cell(self, text: str) -> Json:
        return {
            "cell_type": "markdown",
            "id": self.cell_id(),
            "metadata": {},
            "source": lines(text),
        }

    def code_cell(self, code: str, outputs: list[Json], tags: Sequence[str] = ()) -> Json:
        self.count += 1
        return {
            "cell_type": "code",
            "execution_count": self.count,
            "id": self.cell_id(),
            "metadata": {"tags": list(tags)} if tags else {},
            "outputs": outputs,
            "source": lines(code),
        }

    def card_cells(self, card: Card) -> list[Json]:
        """A markdown card, or a one-sided question answered by a `card` code cell."""
        has_cloze = card.cards > 1 or "{{c" in card.front
        if not has_cloze and self.rng.random() < CODE_CELL_SHARE:
            self.code_cells += 1
            code = self.code_cell(python_code(self.rng), self.outputs(), ["card"])
            return [self.markdown_cell(card.front), code]
        if card.cards > 1:  # clozes in the body: they must stay above any '-' line
            return [self.markdown_cell(f"{card.front}\n\n{card.back}")]
        return [self.markdown_cell(f"{card.front}\n\n-\n\n{card.back}")]

    def outputs(self) -> list[Json]:
        """What a cell shows after a run: prints, maybe a plot, the last expression."""
        found = [stream_output(self.rng)]
        if self.rng.random() < IMAGE_SHARE:
            self.images += 1
            found.append(plot_output(self.rng))
        if self.rng.random() < TABLE_SHARE:
            self.tables += 1
            data = frame_data(self.rng)
        else:
            data = {"text/plain": lines(plain_value(self.rng))}
        result = {"output_type": "execute_result", "execution_count": self.count}
        found.append({**result, "data": data, "metadata": {}})
        return found

    def notebook(self, cards: Sequence[Card], number: int) -> Json:
        """One notebook: a title, untagged setup code (ignored), then the cards;
        every third one sets tags in its metadata (as every third notes file has front matter)."""
        self.ids.clear()
        self.count = 0
        cells = [
            self.markdown_cell(f"# Notes {number}"),
            self.code_cell("import json\nimport math\nimport random", []),
        ]
        for card in cards:
            cells += self.card_cells(card)
        metadata: Json = dict(KERNEL)
        if number % 3 == 0:
            metadata["anki"] = {"tags": ["bench", "generated"]}
        return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def python_code(rng: random.Random) -> str:
    templates = CODE_LINES["python"]
    start = rng.randrange(len(templates))
    count = rng.randint(3, 10)
    return "\n".join(fill(templates[(start + i) % len(templates)], rng) for i in range(count))


def stream_output(rng: random.Random) -> Json:
    text = "".join(
        f"{rng.choice(WORDS)}: {rng.randint(0, 9_999)}\n" for _ in range(rng.randint(1, 4))
    )
    return {"name": "stdout", "output_type": "stream", "text": lines(text)}


def plain_value(rng: random.Random) -> str:
    """A repr as the last expression of a cell shows it."""
    roll = rng.random()
    if roll < 0.4:
        return repr([rng.randint(0, 999) for _ in range(rng.randint(3, 12))])
    if roll < 0.7:
        return repr({rng.choice(WORDS): rng.randint(0, 99) for _ in range(rng.randint(2, 5))})
    rows = [", ".join(f"{rng.random():.3f}" for _ in range(4)) for _ in range(rng.randint(2, 4))]
    return "array([" + ",\n       ".join(f"[{row}]" for row in rows) + "])"


def frame_data(rng: random.Random) -> Json:
    """A small DataFrame as pandas shows it: an HTML table and its text form."""
    columns = rng.sample(WORDS, 3)
    rows = [
        (chr(ord("a") + i), rng.choice(WORDS), f"{rng.uniform(0, 99):.1f}", str(rng.randint(0, 99)))
        for i in range(rng.randint(3, 8))
    ]
    head = "".join(f"      <th>{name}</th>\n" for name in columns)
    body = "".join(
        f"    <tr>\n      <th>{index}</th>\n{data_cells(values)}    </tr>\n"
        for index, *values in rows
    )
    html = (
        f"<div>\n{FRAME_STYLE}"
        '<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: right;">\n'
        f"      <th></th>\n{head}    </tr>\n  </thead>\n"
        f"  <tbody>\n{body}  </tbody>\n</table>\n</div>"
    )
    widths = [max(len(name), *(len(row[i + 1]) for row in rows)) for i, name in enumerate(columns)]
    plain = ["  " + "  ".join(n.rjust(w) for n, w in zip(columns, widths, strict=True))]
    plain += [
        row[0] + "  " + "  ".join(v.rjust(w) for v, w in zip(row[1:], widths, strict=True))
        for row in rows
    ]
    return {"text/html": lines(html), "text/plain": lines("\n".join(plain))}


def data_cells(values: Sequence[str]) -> str:
    return "".join(f"      <td>{value}</td>\n" for value in values)


def plot_output(rng: random.Random) -> Json:
    png = base64.b64encode(line_plot(rng)).decode("ascii") + "\n"
    data = {"image/png": png, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def line_plot(rng: random.Random, width: int = 160, height: int = 100) -> bytes:
    """A small real PNG (RGB, 160 × 100): axes and a random line, under 1 kB."""
    white, axis, line = b"\xff\xff\xff", b"\x40\x40\x40", b"\x1f\x77\xb4"
    rows = [bytearray(white * width) for _ in range(height)]
    for y in range(height):
        rows[y][6:9] = axis  # the y axis, at x = 2
    rows[height - 3][: width * 3] = axis * width  # the x axis
    points = [rng.random() for _ in range(rng.randint(5, 12))]
    for x in range(4, width):
        position = (x - 4) / (width - 5) * (len(points) - 1)
        i = min(int(position), len(points) - 2)
        value = points[i] + (points[i + 1] - points[i]) * (position - i)
        y = 2 + int((1 - value) * (height - 8))
        for row in (y, y + 1):
            rows[row][x * 3 : x * 3 + 3] = line
    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(raw, 9)),
            chunk(b"IEND", b""),
        ]
    )


def write_notebooks(cards: list[Card], root: Path, seed: int) -> tuple[Corpus, Shape]:
    """Every card becomes exactly one note, so the Markdown corpus' counts still hold."""
    writer = NotebookWriter(random.Random(seed + NOTEBOOK_SEED_OFFSET))
    groups = chunks(cards, CARDS_PER_FILE)
    for number, group in enumerate(groups):
        folder = root / FOLDERS[number % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(writer.notebook(group, number), indent=1, ensure_ascii=False)
        (folder / f"notes_{number:04d}.ipynb").write_text(text + "\n", "utf-8")
    shape = Shape(len(groups), writer.code_cells, writer.images, writer.tables)
    return Corpus(root, cards), shape


# ---------------------------------------------------------------- the floor


def floor(root: Path, output: Path) -> int:
    """nbformat + Markdown + Pygments + genanki: the least a notebook-to-deck tool does.
    Returns the number of notes written."""
    converter = floor_markdown()
    fields: list[tuple[str, str]] = []
    images: dict[bytes, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-floor-media-") as media:
        for path in sorted(root.rglob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
            for cell in notebook.cells:
                if cell.cell_type == "markdown" and not cell.source.startswith("#"):
                    front, _, back = cell.source.partition("\n-\n")
                    fields.append((convert(converter, front), convert(converter, back)))
                elif cell.cell_type == "code" and "card" in cell.metadata.get("tags", ()):
                    front, back = fields[-1]
                    answer = floor_code(converter, cell, images, Path(media))
                    fields[-1] = (front, back + answer)
        write_with_genanki(fields, output, [str(Path(media) / name) for name in images.values()])
    return len(fields)


def floor_code(converter: MarkdownIt, cell: Any, images: dict[bytes, str], media: Path) -> str:
    """A code cell's code and outputs as one Markdown text, converted once; HTML outputs
    are appended as they are (CommonMark would end their HTML block at a blank line)."""
    parts = [fence(cell.source, "python")]
    html: list[str] = []
    for output in cell.outputs:
        data = output.get("data", {})
        if output.output_type == "stream":
            parts.append(fence(output.text, "text"))
        elif "image/png" in data:
            image = base64.b64decode(data["image/png"])
            if image not in images:
                images[image] = f"floor-{len(images)}.png"
                (media / images[image]).write_bytes(image)
            parts.append(f'<img src="{images[image]}" alt="output">')
        elif "text/html" in data:
            html.append(data["text/html"])  # the execute_result: the last output
        elif "text/plain" in data:
            parts.append(fence(data["text/plain"], "text"))
    return convert(converter, "\n\n".join(parts)) + "".join(html)


def fence(text: str, language: str) -> str:
    return f"```{language}\n{text.rstrip()}\n```"


def check_floor(notes: int, corpus: Corpus) -> None:
    if notes != corpus.notes:
        raise SystemExit(f"the floor wrote {notes} notes, expected {corpus.notes}")


# ---------------------------------------------------------------- measuring


def warm_up(folder: Path) -> None:
    """Import lazily loaded modules (lexers, extensions, nbformat's schema) before any timer."""
    corpus, _ = write_notebooks(make_cards(60, SEED + 1), folder / "warm-up", SEED + 1)
    check_build(anki_tools_build(corpus.root, folder / "warm-up.apkg"), corpus)
    check_floor(floor(corpus.root, folder / "warm-up-floor.apkg"), corpus)


@dataclass(frozen=True)
class Result:
    notes: int
    cards: int
    notebooks: int
    code_cells: int
    images: int
    tables: int
    repeat: int
    anki_tools_s: float
    floor_s: float
    peak_rss_mb: float
    baseline_rss_mb: float

    @property
    def vs_floor(self) -> float:
        return self.anki_tools_s / self.floor_s

    def as_json(self) -> dict[str, float | int]:
        return {**asdict(self), "anki_tools_vs_floor": self.vs_floor}


def measure(count: int, repeat: int, seed: int, folder: Path) -> Result:
    corpus, shape = write_notebooks(make_cards(count, seed), folder / "notebooks", seed)
    print(
        f"measuring {count} notes ({corpus.anki_cards} cards, {shape.notebooks} notebooks,"
        f" {shape.code_cells} code cells, {shape.images} plots, {shape.tables} tables)",
        file=sys.stderr,
    )

    def run_anki_tools() -> None:
        check_build(anki_tools_build(corpus.root, folder / "anki-tools.apkg"), corpus)

    actions: dict[str, Callable[[], object]] = {
        "anki-tools": run_anki_tools,
        "floor": lambda: check_floor(floor(corpus.root, folder / "floor.apkg"), corpus),
    }
    best = best_times(actions, repeat)
    memory = measure_memory(corpus, folder / "memory.apkg")
    return Result(
        notes=count,
        cards=corpus.anki_cards,
        notebooks=shape.notebooks,
        code_cells=shape.code_cells,
        images=shape.images,
        tables=shape.tables,
        repeat=repeat,
        anki_tools_s=best["anki-tools"],
        floor_s=best["floor"],
        peak_rss_mb=memory.peak_mb,
        baseline_rss_mb=memory.baseline_mb,
    )


# ---------------------------------------------------------------- report


def verdicts(results: list[Result]) -> list[Verdict]:
    rows = ((r.notes, r.vs_floor, r.peak_rss_mb) for r in results)
    return build_verdicts(TARGET, rows)


def table(results: list[Result]) -> str:
    header = (
        f"{'notes':>6} {'cards':>6} {'code':>5} {'at/floor':>8} {'peak RSS':>9}"
        f" {'anki-tools':>11} {'floor':>9} {'best of':>7}"
    )
    rows = [
        f"{r.notes:>6} {r.cards:>6} {r.code_cells:>5} {r.vs_floor:>7.2f}x"
        f" {r.peak_rss_mb:>6.0f} MB {r.anki_tools_s:>9.2f} s {r.floor_s:>7.2f} s {r.repeat:>7}"
        for r in results
    ]
    return "\n".join([header, *rows])


def report(results: list[Result], found: list[Verdict], about: dict[str, object]) -> str:
    legend = (
        "at/floor = anki-tools / floor (nbformat + Markdown + Pygments + genanki);"
        " code = question cells answered by a code cell"
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
    with tempfile.TemporaryDirectory(prefix="anki-tools-bench-nb-") as temporary:
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
            corpus, _ = write_notebooks(cards, folder / "profiled", args.seed)
            profile_build(corpus, folder, args.profile)
    return exit_code(args.check, found)


def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
