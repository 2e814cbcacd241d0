"""Parsing and rendering on several processes gives exactly what one process gives."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from anki_tools import pipeline, workers

from conftest import FIXED_TIME

EXAMPLES = Path(__file__).parent.parent / "examples"
# Run in a fresh interpreter: a pool forks, and this test process may hold other threads.
BUILD = """
import json, sys
from pathlib import Path
from anki_tools import pipeline, workers
root, output = Path(sys.argv[1]), Path(sys.argv[2])
jobs = workers.job_count(pipeline.find_sources([root]))
result = pipeline.build([root], output, timestamp={time})
print(json.dumps({{"jobs": jobs, "problems": [str(p) for p in result.problems]}}))
"""


def build(root: Path, output: Path, jobs: int) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", BUILD.format(time=FIXED_TIME), str(root), str(output)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", workers.JOBS_ENV: str(jobs)},
        check=True,
    )
    return dict(json.loads(done.stdout))


def test_two_processes_build_the_same_bytes_as_one(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root)
    one = build(root, tmp_path / "one" / "deck.apkg", jobs=1)
    two = build(root, tmp_path / "two" / "deck.apkg", jobs=2)
    assert (one["jobs"], two["jobs"]) == (1, 2)  # the second build really used a pool
    assert one["problems"] == two["problems"]
    for name in ("deck.apkg", "deck.lock"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def big_corpus(root: Path) -> None:
    """More source text than POOL_MIN_BYTES, in more files than a pool has in flight,
    with code to highlight, clozes, shared fronts and a warning per file."""
    card = (
        "## What does `step_{n}()` return? ({n})\n\nIt returns the {{{{c1::count}}}} of "
        "*items*.\n\n```python\ndef step_{n}(items):\n    return len(items) * {n}\n```\n\n"
        "```nolang\nplain {n}\n```\n\n"
    )
    files = workers.FILES_IN_FLIGHT_PER_JOB * 2 * 3
    per_file = workers.POOL_MIN_BYTES // (len(card) * files) + 1
    for number in range(files):
        cards = "".join(card.format(n=number * per_file + i) for i in range(per_file))
        folder = root / f"part{number % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"notes{number:02d}.md").write_text(f"# File {number}\n\n## Same\n\nx\n\n{cards}")


def test_a_big_build_on_a_pool_gives_the_bytes_of_one_process(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    big_corpus(root)
    assert workers._size(pipeline.find_sources([root])) >= workers.POOL_MIN_BYTES
    one = build(root, tmp_path / "one" / "deck.apkg", jobs=1)
    two = build(root, tmp_path / "two" / "deck.apkg", jobs=2)
    assert (one["jobs"], two["jobs"]) == (1, 2)
    assert one["problems"] == two["problems"] and one["problems"]  # in the same order
    for name in ("deck.apkg", "deck.lock"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.parametrize(
    ("wanted", "cores", "files", "size", "may_fork", "jobs"),
    [
        ("", 2, 200, 10_000_000, True, 2),  # a big build: every core
        ("", 8, 3, 10_000_000, True, 3),  # no more processes than files
        ("", 2, 200, 1_000, True, 1),  # a small one: starting processes costs more
        ("", 2, 1, 10_000_000, True, 1),  # one file: nothing to share
        ("3", 2, 200, 1_000, True, 3),  # ANKI_TOOLS_JOBS decides
        ("1", 2, 200, 10_000_000, True, 1),
        ("x", 2, 200, 1_000, True, 1),  # not a number: as if unset
        ("4", 2, 200, 10_000_000, False, 1),  # other threads or not Linux: never forks
    ],
)
def test_how_many_processes(
    wanted: str, cores: int, files: int, size: int, may_fork: bool, jobs: int
) -> None:
    assert workers.jobs_for(wanted, cores, files, size, may_fork) == jobs


@pytest.mark.parametrize("collecting", [True, False])
def test_the_cycle_collector_is_held_back_during_a_build_and_left_as_found(
    write_notes, tmp_path: Path, collecting: bool
) -> None:
    root = write_notes({"a.md": "## A\n\nx\n", "b.md": "## B\n\ny\n"})
    during: list[bool] = []
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        result = pipeline.build(
            [root],
            tmp_path / "deck.apkg",
            timestamp=FIXED_TIME,
            progress=lambda step: during.append(gc.isenabled()),
        )
        after = gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert result.written and len(during) == 2 + 1 + 2  # files read, the check, notes written
    assert not any(during)
    assert after is collecting


def test_one_process_still_frees_what_a_file_leaves_in_cycles(monkeypatch) -> None:
    """With the collector held back, the notes' process collects each file's own
    cycles (reading a notebook leaves some) as it goes, so none pile up."""
    monkeypatch.setenv(workers.JOBS_ENV, "1")
    sources = pipeline.find_sources([EXAMPLES])
    assert any(path.suffix == ".ipynb" for path, _ in sources)
    # Once first: importing the notebook parser and its libraries makes classes, which
    # are always in cycles, and which depend on what ran before, not on the files.
    list(workers.render_files(sources, None))
    gc.collect()
    with workers.no_cycle_collection():
        works = list(workers.render_files(sources, None))
        left = gc.collect()
    assert sum(len(work.rendered) for work in works) > 0
    assert left == 0


EDIT_BUILD = """
import json, os, sys
from pathlib import Path
from anki_tools import pipeline, workers
root, output, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
render_file = workers.render_file
def logged(source, *settings):  # a forked worker inherits it
    with log.open("a") as file:
        file.write(f"{{os.getpid()}} {{source[0].name}}\\n")
    return render_file(source, *settings)
workers.render_file = logged
result = pipeline.build([root], output, timestamp={time})
print(json.dumps({{"pid": os.getpid(), "problems": [str(p) for p in result.problems]}}))
"""


def edit_build(root: Path, output: Path, cache: Path, jobs: str) -> tuple[int, list[str]]:
    """Build in a fresh interpreter; its pid, and "pid file" for each file rendered."""
    log = output.parent / "rendered.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    environment = {"PATH": "/usr/bin:/bin", "ANKI_TOOLS_CACHE_DIR": str(cache)}
    if jobs:
        environment[workers.JOBS_ENV] = jobs
    done = subprocess.run(
        [sys.executable, "-c", EDIT_BUILD.format(time=FIXED_TIME), root, output, log],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    said = json.loads(done.stdout)
    return said["pid"], log.read_text().splitlines() if log.exists() else []


def test_an_edited_file_renders_in_a_worker_while_the_rest_comes_from_the_cache(
    tmp_path: Path,
) -> None:
    """Too little text for a pool, but enough cached files to load meanwhile: the one
    edited file goes to a worker, and the deck is the one a single process builds."""
    root = tmp_path / "notes"
    for number in range(workers.BESIDE_MIN_FILES + 1):
        folder = root / f"part{number % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        text = f"# File {number}\n\n## Card {number}\n\n```python\nx = {number}\n```\n"
        (folder / f"notes{number:02d}.md").write_text(text)
    assert workers.job_count(pipeline.find_sources([root])) == 1
    edit_build(root, tmp_path / "cold" / "deck.apkg", tmp_path / "cache", jobs="")
    shutil.copytree(tmp_path / "cache", tmp_path / "cache-alone")
    edited = root / "part1" / "notes07.md"
    edited.write_text(edited.read_text() + "\nEdited.\n")

    pid, rendered = edit_build(root, tmp_path / "beside" / "deck.apkg", tmp_path / "cache", "")
    assert [line.split()[1] for line in rendered] == ["notes07.md"]
    assert int(rendered[0].split()[0]) != pid  # in a worker
    pid, rendered = edit_build(
        root, tmp_path / "alone" / "deck.apkg", tmp_path / "cache-alone", jobs="1"
    )
    assert rendered == [f"{pid} notes07.md"]  # ANKI_TOOLS_JOBS=1: in the build's process
    for name in ("deck.apkg", "deck.lock"):
        beside = (tmp_path / "beside" / name).read_bytes()
        assert beside == (tmp_path / "alone" / name).read_bytes()


@pytest.mark.parametrize(
    ("files", "beside", "jobs", "may_fork", "worker"),
    [
        (1, workers.BESIDE_MIN_FILES, "", True, True),
        (1, workers.BESIDE_MIN_FILES - 1, "", True, False),  # too little to load meanwhile
        (0, 500, "", True, False),  # nothing to render
        (1, 500, "1", True, False),  # ANKI_TOOLS_JOBS=1: one process
        (1, 500, "01", True, False),  # read as jobs_for reads it
        (1, 500, "2", True, True),
        (1, 500, "", False, False),  # other threads, or not Linux: never forks
    ],
)
def test_when_a_worker_renders_beside_the_cache(
    monkeypatch, tmp_path: Path, files: int, beside: int, jobs: str, may_fork: bool, worker: bool
) -> None:
    monkeypatch.setenv(workers.JOBS_ENV, jobs)
    monkeypatch.setattr(workers, "_may_fork", lambda: may_fork)
    sources = [(tmp_path / f"{number}.md", tmp_path) for number in range(files)]
    assert workers._worker_beside(sources, beside) is worker
