"""The pure parts of the benchmarks' harness: what they parse and how they judge.

The benchmarks themselves (benchmarks/, run by hand) time real builds; these tests only
check that their reading of `-X importtime`, their verdicts and their corpora are right.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

IMPORT_TIME = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:      1500 |       2100 |   encodings
import time:       600 |        600 |     encodings.aliases
anki-tools 1.0 (not an import line)
import time:     30000 |      90000 | anki_tools
import time:     40000 |      60000 |   anki_tools.cli
import time:     20000 |      20000 |     click
"""


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """harness.py and bench_scale.py, imported as the benchmarks import each other."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_scale
    import harness

    return {"harness": harness, "bench_scale": bench_scale}


def test_import_times_add_up_each_modules_own_time(bench: dict[str, ModuleType]) -> None:
    found = bench["harness"].parse_import_times(IMPORT_TIME)
    assert found.modules == 6  # the header and the program's own line are not imports
    assert found.total_s == pytest.approx(0.09222)
    # the outermost imports, ranked by cumulative time: anki_tools (with cli and click) first
    assert found.slowest == (("anki_tools", 0.09),)
    assert bench["harness"].parse_import_times("usage: anki-tools [OPTIONS]").total_s == 0


def test_a_verdict_passes_at_its_limit_and_only_a_miss_fails_check(
    bench: dict[str, ModuleType],
) -> None:
    harness = bench["harness"]
    at_limit = harness.at_most("unchanged", 0.5, 0.5)
    above = harness.at_most("start-up", 0.151, 0.15, "s")
    not_run = harness.at_most("cold", None, 0.8)
    assert (at_limit.label, above.label, not_run.label) == ("PASS", "FAIL", "SKIP")
    assert above.measured == "0.151 s"
    assert harness.exit_code(True, [at_limit, not_run]) == 0
    assert harness.exit_code(True, [at_limit, above]) == 1
    assert harness.exit_code(False, [above]) == 0


def test_a_build_that_timed_out_fails_and_a_missing_peer_is_skipped(
    bench: dict[str, ModuleType],
) -> None:
    scale = bench["bench_scale"]
    done = scale.Timed(4.0, peak_mb=120.0, pss_peak_mb=90.0, processes=3)
    missing = scale.Timed(None, note="ankdown could not be installed: no compiler")
    at_10k = scale.SizeResult(10_000, 10_138, 400, 1, done, missing, done, done, done, 0.4)
    large = scale.LargeResult(scale.Timed(None, note="timed out after 300 s"), done, done)
    results = scale.Results(sizes=[at_10k], large=large)
    found = {v.target.split(":")[0]: v for v in scale.verdicts(results, frozenset(scale.GOALS))}
    cold = found["1 cold build, 10k"]
    assert (cold.label, cold.measured) == ("SKIP", "ankdown could not be installed: no compiler")
    assert found["2 unchanged rebuild, 10k"].label == "FAIL"  # 4 s against a 4 s floor
    assert found["3 one file edited, 10k"].label == "PASS"
    # the 100k build is judged against the mean of the 10k builds around it
    slower = scale.LargeResult(scale.Timed(50.0), scale.Timed(4.0), scale.Timed(6.0))
    judged = scale.verdicts(scale.Results(large=slower), frozenset())
    assert judged[0].measured == "10.00x" and judged[0].label == "PASS"
    scale_verdicts = [v for v in scale.verdicts(results, frozenset()) if "100k" in v.target]
    assert [(v.label, v.measured) for v in scale_verdicts] == [
        ("FAIL", "timed out after 300 s"),
        ("FAIL", "timed out after 300 s"),
    ]


def test_ankdown_gets_the_same_cards_in_its_own_syntax(bench: dict[str, ModuleType]) -> None:
    cards = bench["harness"].make_cards(30, 7)
    text = bench["bench_scale"].ankdown_file(cards, 3)  # every third file has tags
    # ankdown's reading: a line `---` ends a card, a line `%` ends a field
    parsed, fields, lines = [], [], []
    for line in (text + "\n---\n").splitlines():
        if line.strip() in {"%", "---"}:
            fields.append("\n".join(lines).strip())
            lines = []
            if line.strip() == "---":
                parsed.append(fields)
                fields = []
        else:
            lines.append(line)
    assert [(front, back) for front, back, _ in parsed] == [(c.front, c.back) for c in cards]
    assert {tags for _, _, tags in parsed} == {"bench, generated"}


def test_the_near_duplicate_corpus_differs_from_the_ordinary_one_in_its_fronts_only(
    bench: dict[str, ModuleType],
) -> None:
    harness = bench["harness"]
    ordinary, alike = harness.make_cards(200, 5), harness.near_duplicate_cards(200, 5)
    assert [(c.back, c.cards) for c in alike] == [(c.back, c.cards) for c in ordinary]
    fronts = [c.front for c in alike]
    assert len(set(fronts)) == len(fronts)  # every note still has an identity of its own
    assert fronts[16] == "What does `x_17` return?"


def test_the_corpus_is_the_same_for_the_same_seed(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    harness = bench["harness"]
    first = harness.write_corpus(harness.make_cards(60, 11), tmp_path / "a", 25)
    second = harness.write_corpus(harness.make_cards(60, 11), tmp_path / "b", 25)
    files = sorted(p.relative_to(first.root) for p in first.root.rglob("*.md"))
    assert len(files) == 3  # 25 cards a file
    assert all((first.root / f).read_bytes() == (second.root / f).read_bytes() for f in files)
