"""Property-based tests of the two source parsers (hypothesis): a Markdown notes file and a
Jupyter notebook, whole, through `parsers.parse_file` and the renderer.

House rule (issue 11): whatever a source holds, a build gives cards and problems, each
problem at its place (`path:line: message`, a notebook's `path:cell N: message`, or
`path: message` for what is wrong with a whole notebook), never a traceback. The
inputs are hostile on purpose: front matter of odd YAML (wrong types, keys that are
numbers or dates, anchors, tags, deep nesting), bodies that nest lists, quotes and HTML
past the limits, wide tables, images the file system refuses, private-use and control
characters; notebooks of arbitrary JSON in every place nbformat reads (cells, sources,
outputs, attachments, metadata), nested deep or not JSON at all. tests/test_fuzz_grammar.py
fuzzes the card grammar inside a body.

The examples are derandomized, so CI never flakes. To hunt for new bugs with fresh
random examples (and more of them):

    ANKI_TOOLS_FUZZ=hunt ANKI_TOOLS_FUZZ_SCALE=20 .venv/bin/python -m pytest \
        tests/test_fuzz_parsers.py
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anki_tools import limits, parsers, pipeline
from anki_tools.errors import Problem, Problems, Severity
from anki_tools.notes import display_path

# Hypothesis warns when an example it describes is large (a notebook of deep lists).
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
HUNT = os.environ.get("ANKI_TOOLS_FUZZ") == "hunt"
SCALE = float(os.environ.get("ANKI_TOOLS_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Settings of one property: derandomized for CI, random when hunting."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=not HUNT,
        database=None,
        print_blob=HUNT,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- one source through the parser and the renderer -----------------------------------------


@dataclass(frozen=True)
class Built:
    text: str
    display: str  # the file as problems name it
    problems: list[Problem]
    notes: int
    rendered: int
    cells: int | None  # a notebook's cells, when it has a list of them

    @property
    def shown(self) -> list[str]:
        return [str(problem) for problem in self.problems]

    def messages(self) -> list[str]:
        """The problems without the folder the file was built in."""
        return [shown.replace(self.display, "notes.md") for shown in self.shown]


def build(data: str | bytes, name: str, cells: int | None = None) -> Built:
    """Write one source into a fresh folder, parse it with parse_file and render its notes;
    both must return, whatever the source holds."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        (root / "loop.png").symlink_to("loop.png")
        problems = Problems()
        notes = parsers.parse_file(path, root, None, problems)
        rendered = pipeline.render_notes(notes, problems)
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        return Built(text, display_path(path), problems.items, len(notes), len(rendered), cells)


def line_count(text: str) -> int:
    """Lines as an editor numbers them (a last newline starts no line)."""
    normal = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return max(1, normal.count("\n") + (not normal.endswith("\n")))


PLACE_RE = re.compile(r"(?:(?P<line>\d+)|cell (?P<cell>\d+)): (?P<message>\S.*)")
WHOLE_FILE = ("no cards found", "not a notebook", "not a valid notebook")


def assert_every_problem_has_its_place(built: Built, notebook: bool = False) -> None:
    """`path:line: message` with a line of the file; a notebook's `path:cell N: message`
    with one of its cells, or `path: message` about the whole notebook. One line each."""
    lines = line_count(built.text)
    for problem, shown in zip(built.problems, built.shown, strict=True):
        assert "\n" not in shown and "Traceback" not in shown, shown
        assert shown.startswith(built.display + ":"), shown
        tail = shown[len(built.display) + 1 :]
        if problem.source.line is None and problem.source.cell is None:
            whole = notebook or any(reason in problem.message for reason in WHOLE_FILE)
            assert whole, f"a problem of a notes file without its line: {shown!r}"
            continue
        match = PLACE_RE.fullmatch(tail.removeprefix(" "))
        assert match, f"not `path:line: message`: {shown!r}"
        if match.group("line"):
            assert 1 <= int(match.group("line")) <= lines, f"line out of 1..{lines}: {shown!r}"
        else:
            assert notebook and built.cells is not None, shown
            assert 1 <= int(match.group("cell")) <= built.cells, f"no such cell: {shown!r}"


def assert_built_or_refused(built: Built) -> None:
    """Without an error every note is rendered; a note is never rendered twice."""
    errors = [p for p in built.problems if p.severity is Severity.ERROR]
    assert built.rendered <= built.notes
    if not errors:
        assert built.rendered == built.notes


# --- Markdown: front matter ----------------------------------------------------------------

YAML_SCALARS = ["1", "-7", "1e400", "0x1F", "true", "no", "null", "~", "2024-01-02", "12:30"]
YAML_SCALARS += ["'x'", '"\\u0000"', '"\\x1b[2J"', "x", "π", "<script>", "{{c1::x}}", "''"]
YAML_HOSTILE = [
    "&a [*a]",
    "*nowhere",
    "!!python/object:os.system ls",
    "!!binary aGk=",
    "? [a]\n: b",
]
YAML_HOSTILE += ["%YAML 1.1", "...", "---", ":", "- - -", "\t", "{a: 1, a: 2}", "[", "{", "|\n x"]
KEYS = ["deck", "tags", "card_level", "reverse", "url", "1", "2024-01-02", "null", "true"]
KEYS += ["x", "[a, b]", "'quoted key'", '"\\x00"', "k" * 300, "dek", "Tags"]


def nested_yaml(depth: int, inner: str) -> str:
    return "[" * depth + inner + "]" * depth


yaml_value = st.one_of(
    st.sampled_from(YAML_SCALARS),
    st.sampled_from(YAML_HOSTILE),
    st.lists(st.sampled_from(YAML_SCALARS), max_size=4).map(lambda items: f"[{', '.join(items)}]"),
    st.builds(
        nested_yaml, st.integers(0, 2 * limits.YAML_MAX_DEPTH), st.sampled_from(YAML_SCALARS)
    ),
    st.text(max_size=20).map(json.dumps),  # any characters, quoted
)
yaml_line = st.one_of(
    st.tuples(st.sampled_from(KEYS), yaml_value).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.sampled_from(YAML_HOSTILE),
    st.text(max_size=30).filter(lambda line: "\n" not in line),
)
front_matter = st.one_of(
    st.just(""),
    st.lists(yaml_line, max_size=8).map(lambda lines: "---\n" + "\n".join(lines) + "\n---\n"),
    st.lists(yaml_line, max_size=4).map(lambda lines: "---\n" + "\n".join(lines) + "\n"),  # open
    st.integers(limits.FRONT_MATTER_MAX_KEYS - 2, limits.FRONT_MATTER_MAX_KEYS + 2).map(
        lambda count: "---\n" + "".join(f"k{i}: {i}\n" for i in range(count)) + "---\n"
    ),
)

# --- Markdown: bodies that nest, widen and point at odd files -------------------------------


def nested_list(depth: int) -> str:
    return "".join("  " * level + f"- item {level}\n" for level in range(depth))


def nested_html(depth: int, tag: str) -> str:
    return f"<{tag}>" * depth + "x" + f"</{tag}>" * (depth // 2)


def table(columns: int, rows: int) -> str:
    header = "|" + "|".join(f"h{i}" for i in range(columns)) + "|\n"
    rule = "|" + "|".join("-" for _ in range(columns)) + "|\n"
    return header + rule + ("|" + "|".join("c" for _ in range(columns)) + "|\n") * rows


IMAGES = ["dot.png", "loop.png", "a%00b.png", "a" * 300 + ".png", "../outside.png", "/etc/hosts"]
IMAGES += ["attachment:x.png", "https://example.org/x.png", "%", "%ZZ", "a b.png", "\ue000.png"]
IMAGES += ["data:image/png;base64,AAAA", "javascript:alert(1)", "", "#frag", "?q", "x.png?a#b"]
MAX_DEPTH = limits.MARKDOWN_MAX_NESTING

block = st.one_of(
    st.builds(nested_list, st.integers(1, MAX_DEPTH // 2 + 3)),
    st.integers(1, MAX_DEPTH + 3).map(lambda depth: "> " * depth + "quoted\n"),
    st.integers(1, MAX_DEPTH + 3).map(lambda depth: "- " * depth + "x\n"),
    st.builds(
        nested_html,
        st.integers(1, limits.HTML_MAX_NESTING + 5),
        st.sampled_from(["div", "span", "ul", "b", "p", "li", "table", "td", "a", "svg"]),
    ),
    st.builds(table, st.integers(1, 6), st.integers(0, 4)),
    st.integers(limits.TABLE_MAX_COLUMNS - 1, limits.TABLE_MAX_COLUMNS + 1).map(
        lambda columns: table(columns, 1)
    ),
    st.sampled_from(IMAGES).map(lambda name: f"![alt]({name})\n"),
    st.sampled_from(IMAGES).map(lambda name: f'<img src="{name}">\n'),
    st.sampled_from(IMAGES).map(lambda name: f"![ref][r]\n\n[r]: {name}\n"),
    st.sampled_from(["    \ue000\ue001 {{c1::x}}\n", "```\n\ue0000\ue001 {{c1::y}}\n```\n"]),
    st.sampled_from(['<div class="at-code-slot">0:0</div>\n', "[^1]\n\n[^1]: note\n"]),
    st.sampled_from(["-\n", "-h\n", "-i\n", "(Q)\n", "(S)\n", "$$\n", "```\n", "<!--\n"]),
    st.text(max_size=40),
)
heading = st.tuples(
    st.sampled_from(["## ", "# ", "### ", "##", "## {#id}", "## Q {tags='a <b>'}"]),
    st.text(max_size=12).filter(lambda text: "\n" not in text),
    st.sampled_from(["", " {#x}", " {.reverse}", ' {tags="t1 t2"}', " {deck=a::b}", " {"]),
).map(lambda parts: "".join(parts) + "\n")
card = st.tuples(heading, st.lists(block, max_size=4)).map(
    lambda parts: parts[0] + "\n" + "\n".join(parts[1]) + "\n"
)
notes_file = st.tuples(front_matter, st.lists(card, max_size=4)).map(
    lambda parts: parts[0] + "".join(parts[1])
)


@fuzz(200)
@given(notes_file)
def test_a_hostile_notes_file_gives_cards_and_problems_at_their_lines(text: str) -> None:
    built = build(text, "notes.md")
    assert_every_problem_has_its_place(built)
    assert_built_or_refused(built)


@fuzz(150)
@given(st.text(max_size=400))
def test_random_text_as_a_notes_file_gives_problems_at_their_lines(text: str) -> None:
    built = build(text, "notes.md")
    assert_every_problem_has_its_place(built)
    assert_built_or_refused(built)


@fuzz(60)
@given(st.binary(max_size=200))
def test_random_bytes_as_a_notes_file_give_problems_at_their_lines(data: bytes) -> None:
    built = build(data, "notes.md")
    assert_every_problem_has_its_place(built)


@fuzz(60)
@given(front_matter, st.sampled_from(["## Q\n\nA\n", ""]))
def test_front_matter_gives_the_same_problems_each_time(front: str, body: str) -> None:
    """The same file is read the same way: no order of a set or a dict leaks into messages."""
    first, second = build(front + body, "notes.md"), build(front + body, "notes.md")
    assert first.messages() == second.messages()


# --- notebooks: JSON in every place nbformat reads --------------------------------------------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["card", "front", "back", "skip", "reverse", "<b>", "{{c1::x}}", "\ue000"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def deep(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


def either(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly what nbformat expects, sometimes any JSON at all, sometimes nested deep."""
    wrapped = st.builds(deep, good, st.integers(0, limits.NOTEBOOK_MAX_JSON_DEPTH + 5))
    return st.one_of(good, good, good, json_value, wrapped)


SOURCES = ["## Q\n\nA", "Q?\n-\nA", "DECK = d\nTAGS = a b", "# Title", "{{c1::x}} y", "(S)"]
SOURCES += ["<div>" * 120, "![i](attachment:a.png)", "```\ncode", "- " * 15 + "x", ""]
text_source = st.one_of(
    st.sampled_from(SOURCES),
    st.lists(st.sampled_from(SOURCES), max_size=3).map(lambda parts: [p + "\n" for p in parts]),
    st.text(max_size=30),
)
tags = either(
    st.lists(st.sampled_from(["card", "front", "back", "skip", "reverse", "x"]), max_size=3)
)
mime_bundle = either(
    st.dictionaries(
        st.sampled_from(["text/plain", "text/html", "text/markdown", "image/png", "image/svg+xml"]),
        either(text_source),
        max_size=3,
    )
)
output = either(
    st.fixed_dictionaries(
        {
            "output_type": st.sampled_from(
                ["stream", "execute_result", "display_data", "error", "x"]
            )
        },
        optional={
            "name": st.sampled_from(["stdout", "stderr", "other"]),
            "text": either(text_source),
            "data": mime_bundle,
            "metadata": either(st.dictionaries(st.sampled_from(["image/png"]), json_value)),
            "execution_count": either(st.integers(0, 5)),
            "ename": json_value,
            "evalue": json_value,
            "traceback": either(st.lists(st.text(max_size=10), max_size=2)),
        },
    )
)
cell = either(
    st.fixed_dictionaries(
        {"cell_type": st.sampled_from(["markdown", "code", "raw", "heading", "x"])},
        optional={
            "id": either(st.sampled_from(["a", "b", "a", "cell-1", "", "x" * 70])),
            "source": either(text_source),
            "metadata": either(st.fixed_dictionaries({}, optional={"tags": tags})),
            "outputs": either(st.lists(output, max_size=2)),
            "execution_count": either(st.one_of(st.none(), st.integers(0, 3))),
            "attachments": either(st.dictionaries(st.sampled_from(["a.png", "b"]), mime_bundle)),
        },
    )
)
notebook_metadata = either(
    st.fixed_dictionaries(
        {},
        optional={
            "anki": either(
                st.fixed_dictionaries(
                    {},
                    optional={"deck": either(st.text(max_size=8)), "tags": tags, "x": json_value},
                )
            ),
            "kernelspec": either(st.fixed_dictionaries({"language": either(st.text(max_size=8))})),
            "language_info": either(
                st.fixed_dictionaries(
                    {}, optional={"name": json_value, "pygments_lexer": json_value}
                )
            ),
        },
    )
)
notebook = st.fixed_dictionaries(
    {"cells": either(st.lists(cell, max_size=4))},
    optional={
        "nbformat": either(st.sampled_from([4, 3, 5, 1])),
        "nbformat_minor": either(st.integers(0, 6)),
        "metadata": notebook_metadata,
        "worksheets": json_value,
    },
)


def built_notebook(nb: dict[str, Any]) -> Built:
    cells = nb.get("cells")
    return build(
        json.dumps(nb, indent=1), "lesson.ipynb", len(cells) if isinstance(cells, list) else None
    )


@fuzz(250)
@given(notebook)
def test_a_hostile_notebook_gives_cards_and_problems_at_their_places(nb: dict[str, Any]) -> None:
    built = built_notebook(nb)
    assert_every_problem_has_its_place(built, notebook=True)
    assert_built_or_refused(built)


@fuzz(100)
@given(st.lists(cell.filter(lambda c: isinstance(c, dict)), min_size=1, max_size=5))
def test_cells_of_a_valid_v4_notebook_never_raise(cells: list[Any]) -> None:
    """The same, with the notebook's frame always right, so the cells are walked."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    built = built_notebook(nb)
    assert_every_problem_has_its_place(built, notebook=True)
    assert_built_or_refused(built)


@fuzz(100)
@given(st.one_of(st.text(max_size=200), json_value.map(json.dumps)))
def test_text_that_is_no_notebook_is_one_problem_of_the_file(text: str) -> None:
    built = build(text, "lesson.ipynb")
    assert_every_problem_has_its_place(built, notebook=True)
    assert built.notes == 0
    assert len([p for p in built.problems if p.severity is Severity.ERROR]) == 1, built.shown
