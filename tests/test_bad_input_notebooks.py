"""Bad input in notebooks, through the command line.

Pins the notebook spec's problem rules: every problem is `path:cell N: message` (or
`path:LINE:` / `path:` for the whole file), content errors exit 1 and write nothing
(with `--keep-going` only the good cards, still exit 1), warnings alone exit 0, and
never a traceback.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from anki_tools.cli import main

from conftest import PNG_BYTES

SUMMARY_RE = re.compile(r"^\d+ notes?, \d+ cards?, \d+ media")
TAG_RE = re.compile(r"<[^>]+>")
PNG_B64 = base64.b64encode(PNG_BYTES).decode()
SECRET = PNG_BYTES + b"SECRET-DO-NOT-SHIP"

Run = Callable[..., Result]


# --- helpers -------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `anki-tools ARGS` inside tmp_path (paths read `notes/x.ipynb`); no traceback."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        result = CliRunner().invoke(main, list(args))
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"uncaught {result.exception!r}; output:\n{result.output}"
        )
        return result

    return invoke


def problems(result: Result) -> list[str]:
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return [line for line in lines if not SUMMARY_RE.match(line)]


def errors(result: Result) -> list[str]:
    return [line for line in problems(result) if ": warning: " not in line]


def warnings_of(result: Result) -> list[str]:
    return [line for line in problems(result) if ": warning: " in line]


def assert_failed_and_wrote_nothing(result: Result, output: Path) -> None:
    assert result.exit_code == 1, result.output
    assert not output.exists()
    assert "nothing written" in result.stdout


def md(source: str | list[str], cell_id: str, *tags: str, **extra: Any) -> dict[str, Any]:
    metadata = {"tags": list(tags)} if tags else {}
    return {"cell_type": "markdown", "id": cell_id, "metadata": metadata, "source": source, **extra}


def code(
    source: str, cell_id: str, *tags: str, outputs: tuple[dict[str, Any], ...] = ()
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {"tags": list(tags)} if tags else {},
        "source": source,
        "execution_count": 1,
        "outputs": list(outputs),
    }


def stdout(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def notebook(
    cells: list[dict[str, Any]], minor: int = 5, metadata: dict[str, Any] | None = None
) -> str:
    if minor < 5:
        cells = [{k: v for k, v in cell.items() if k != "id"} for cell in cells]
    content = {"nbformat": 4, "nbformat_minor": minor, "metadata": metadata or {}, "cells": cells}
    return json.dumps(content, indent=1)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def deck_notes(apkg: Path) -> list[list[str]]:
    """The fields of every note in a built deck, as genanki stored them."""
    database = apkg.parent / f"{apkg.stem}-collection.anki2"
    with zipfile.ZipFile(apkg) as archive:
        database.write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select flds from notes").fetchall()
    return [row[0].split("\x1f") for row in rows]


def deck_fronts(apkg: Path) -> list[str]:
    return sorted(TAG_RE.sub("", fields[0]).strip() for fields in deck_notes(apkg))


def zip_payloads(apkg: Path) -> list[bytes]:
    with zipfile.ZipFile(apkg) as archive:
        return [archive.read(name) for name in archive.namelist()]


GOOD_FIRST = md("Good question\n-\nGood answer", "good-first")
GOOD_LAST = md("Last good question\n-\nAlso good", "good-last")
GOOD_NOTEBOOK = notebook([md("Another notebook's question\n-\nFine", "other")])


# --- the whole file: not a notebook ----------------------------------------------------

BROKEN_JSON = (
    "{\n"
    ' "nbformat": 4,\n'
    ' "nbformat_minor": 5,\n'
    ' "metadata": {},\n'
    ' "cells": [\n'
    '  {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "Q",}\n'
    " ]\n"
    "}\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            BROKEN_JSON,
            "notes/lesson.ipynb:6: not a notebook: invalid JSON "
            "(Expecting property name enclosed in double quotes, column 70)",
        ),
        ("[1, 2, 3]", "notes/lesson.ipynb: not a notebook: it has no 'nbformat' version number"),
        (
            '{"cells": [], "metadata": {}}',
            "notes/lesson.ipynb: not a notebook: it has no 'nbformat' version number",
        ),
        (
            '{"nbformat": "4", "nbformat_minor": 5, "cells": [], "metadata": {}}',
            "notes/lesson.ipynb: not a notebook: it has no 'nbformat' version number",
        ),
        (
            json.dumps({"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}),
            "notes/lesson.ipynb: not a valid notebook: Unsupported nbformat version 5",
        ),
        (
            notebook([{"cell_type": "markdown", "id": "x", "metadata": {}, "source": 7}]),
            "notes/lesson.ipynb: not a valid notebook: none of its cells can be read",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {},\n "cells": [\n'
            b'  {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "caf\xe9"}]}\n',
            "notes/lesson.ipynb:3: not UTF-8 text (byte 0xe9); save the file as UTF-8",
        ),
    ],
    ids=[
        "broken-json",
        "json-list",
        "no-nbformat",
        "nbformat-string",
        "nbformat-5",
        "no-usable-cell",
        "not-utf8",
    ],
)
def test_a_file_that_is_not_a_valid_notebook(
    run: Run, tmp_path: Path, content: str | bytes, message: str
) -> None:
    """One error for the file, at `path:LINE:`, `path:cell N:` or `path:`; nothing written;
    `--keep-going` still writes the other notebook's cards."""
    write(tmp_path / "notes", {"lesson.ipynb": content, "good.ipynb": GOOD_NOTEBOOK})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert errors(result) == [message]

    kept = run("build", "notes", "-o", "kept.apkg", "--keep-going")
    assert kept.exit_code == 1, kept.output
    assert errors(kept) == [message]
    assert deck_fronts(tmp_path / "kept.apkg") == ["Another notebook's question"]


# --- schema problems: read anyway, as Jupyter does --------------------------------------
# These were errors that rejected the whole notebook; Jupyter opens such notebooks, so
# they are one warning per notebook now (or, for a cell that cannot be read, one at it).


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        (
            notebook([GOOD_FIRST, {"cell_type": "markdown", "id": "x", "metadata": {}}]),
            "notes/lesson.ipynb:cell 2: warning: cell left out: it has no 'source'",
        ),
        (
            notebook([GOOD_FIRST]).replace('"metadata": {},', '"metadata": {}, "extra": 1,', 1),
            "notes/lesson.ipynb: warning: not a valid notebook (nbformat 4.5): "
            "Additional properties are not allowed ('extra' was unexpected); "
            "read anyway, as Jupyter does",
        ),
    ],
    ids=["cell-without-source", "schema-top-level"],
)
def test_a_schema_problem_is_a_warning_and_the_notebook_is_built(
    run: Run, tmp_path: Path, content: str, warning: str
) -> None:
    write(tmp_path / "notes", {"lesson.ipynb": content, "good.ipynb": GOOD_NOTEBOOK})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    assert problems(result) == [warning]
    assert deck_fronts(tmp_path / "out.apkg") == ["Another notebook's question", "Good question"]


# --- one cell: path:cell N -------------------------------------------------------------

BAD_PNG = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "abcde"}}
OTHER_PNG_B64 = base64.b64encode(PNG_BYTES + b"-another").decode()


def cell_case(cells: list[dict[str, Any]], cell: int, message: str, *marks: Any, id: str) -> Any:
    return pytest.param(cells, cell, message, marks=marks, id=id)


CELL_CASES = [
    cell_case(
        [GOOD_FIRST, md("BROKEN: the capital is {{c1::Paris", "bad"), GOOD_LAST],
        2,
        "unbalanced cloze '{{c1::': no '}}'",
        id="cloze",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN: it is {{{42 exactly", "bad"), GOOD_LAST],
        2,
        "unbalanced type-in '{{{': close it on the same line",
        id="type-in",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN: a (S)secret never closed\nmore text", "bad"), GOOD_LAST],
        2,
        "unbalanced spoiler '(S)': no closing '(S)'",
        id="spoiler",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN quote\n\n(Q)\nA quote never closed", "bad"), GOOD_LAST],
        2,
        "unbalanced quote box '(Q)': no closing '(Q)'",
        id="quote",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN question\n-\nanswer\n-\nmore", "bad"), GOOD_LAST],
        2,
        "second '-' line in one card (the first is on line 2)",
        id="second-dash",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN question\n-\nthe {{c1::answer}}", "bad"), GOOD_LAST],
        2,
        "cloze and type-in markers belong before the '-' line",
        id="markers-after-dash",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN question\n-h\ntype {{{this}}}", "bad"), GOOD_LAST],
        2,
        "cloze and type-in markers belong before the '-' line",
        id="markers-in-hint",
    ),
    cell_case(
        [code("print('BROKEN')", "bad", "back"), GOOD_FIRST, GOOD_LAST],
        1,
        "a 'back' cell needs a card above it to join",
        id="back-without-card",
    ),
    cell_case(
        [md("# Title", "title"), md("BROKEN", "bad", "front"), GOOD_FIRST, GOOD_LAST],
        2,
        "a 'front' cell needs a card above it to join",
        id="front-without-card",
    ),
    cell_case(
        [
            GOOD_FIRST,
            code("print('BROKEN')", "bad", "card", "Back", outputs=(stdout("x\n"),)),
            GOOD_LAST,
        ],
        2,
        "a cell can be tagged card, front or back, not 'card' and 'back'",
        id="two-roles",
    ),
    cell_case(
        [
            GOOD_FIRST,
            md("JOINED\n-\nA", "joined"),
            md("BROKEN {{c1::no}}", "bad", "back"),
            GOOD_LAST,
        ],
        3,
        "cloze and type-in markers belong on the front",
        id="markers-in-back-cell",
    ),
    cell_case(
        [GOOD_FIRST, md("BROKEN\n-\n![x](attachment:missing.png)", "bad"), GOOD_LAST],
        2,
        "attachment not found: 'missing.png'",
        id="missing-attachment",
    ),
    cell_case(
        [
            GOOD_FIRST,
            md(
                "BROKEN\n-\n![x](attachment:a.png)",
                "bad",
                attachments={"a.png": {"image/png": "!!! not base64 !!!"}},
            ),
            GOOD_LAST,
        ],
        2,
        "attachment 'a.png' is not valid base64",
        id="bad-attachment-base64",
    ),
    cell_case(
        [
            md(
                "Two images\n-\n![a](attachment:a.png)",
                "first",
                attachments={"a.png": {"image/png": PNG_B64}},
            ),
            md(
                "BROKEN ![b](attachment:a.png)",
                "bad",
                "back",
                attachments={"a.png": {"image/png": OTHER_PNG_B64}},
            ),
            GOOD_FIRST,
            GOOD_LAST,
        ],
        2,
        "two cells of one card attach different images named 'a.png'",
        id="same-attachment-name",
    ),
    cell_case(
        [GOOD_FIRST, code("plot('BROKEN')", "bad", "card", outputs=(BAD_PNG,)), GOOD_LAST],
        2,
        "an output image (image/png) is not valid base64",
        id="bad-output-image",
    ),
]


@pytest.mark.parametrize(("cells", "cell", "message"), CELL_CASES)
def test_bad_cell_is_reported_at_its_cell_and_nothing_is_written(
    run: Run, tmp_path: Path, cells: list[dict[str, Any]], cell: int, message: str
) -> None:
    """`path:cell N: message`, the only error; exit 1; no .apkg."""
    write(tmp_path / "notes", {"lesson.ipynb": notebook(cells)})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert errors(result) == [f"notes/lesson.ipynb:cell {cell}: {message}"]

    checked = run("check", "notes")
    assert checked.exit_code == 1
    assert errors(checked) == errors(result)


@pytest.mark.parametrize(("cells", "cell", "message"), CELL_CASES)
def test_keep_going_writes_the_good_cards_of_the_same_notebook(
    run: Run, tmp_path: Path, cells: list[dict[str, Any]], cell: int, message: str
) -> None:
    """`--keep-going`: the cards of the other cells are written, the bad one is not; exit 1."""
    write(tmp_path / "notes", {"lesson.ipynb": notebook(cells)})
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1, result.output
    assert errors(result) == [f"notes/lesson.ipynb:cell {cell}: {message}"]
    assert result.stdout.startswith("out.apkg: ")
    fronts = deck_fronts(tmp_path / "out.apkg")
    assert "Good question" in fronts
    assert "Last good question" in fronts
    written = "\n".join("\n".join(fields) for fields in deck_notes(tmp_path / "out.apkg"))
    assert "BROKEN" not in written, "the bad cell's content is left out"
    # A card that a bad cell joined is incomplete: it is left out as well.
    assert "JOINED" not in written


# --- images outside the build root -----------------------------------------------------


def test_image_outside_the_build_root_is_refused_and_not_embedded(run: Run, tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(SECRET)
    cells = [
        md("Good image\n-\n![ok](ok.png)", "good"),
        md("Sneaky\n-\n![s](../secret.png)", "sneaky"),
    ]
    root = write(tmp_path / "notes", {"lesson.ipynb": notebook(cells), "ok.png": PNG_BYTES})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert errors(result) == [
        f"notes/lesson.ipynb:cell 2: image '../secret.png' is outside the build root "
        f"{root.resolve()}"
    ]

    kept = run("build", "notes", "-o", "out.apkg", "--keep-going")
    assert kept.exit_code == 1, kept.output
    assert deck_fronts(tmp_path / "out.apkg") == ["Good image"]
    payloads = zip_payloads(tmp_path / "out.apkg")
    assert PNG_BYTES in payloads, "the good image is embedded"
    assert not any(b"SECRET-DO-NOT-SHIP" in payload for payload in payloads)


# --- duplicate guids -------------------------------------------------------------------


def test_same_file_name_in_two_folders_sharing_a_cell_id_is_a_duplicate(
    run: Run, tmp_path: Path
) -> None:
    write(
        tmp_path / "notes",
        {
            "a/lesson.ipynb": notebook([md("Question in a\n-\nA", "shared")]),
            "b/lesson.ipynb": notebook([md("Question in b\n-\nB", "shared")]),
        },
    )
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert errors(result) == [
        "notes/b/lesson.ipynb:cell 1: duplicate card: same id as notes/a/lesson.ipynb:cell 1 "
        "(notebooks with the same file name share cell ids (is one a copy?): rename one)"
    ]

    kept = run("build", "notes", "-o", "out.apkg", "--keep-going")
    assert kept.exit_code == 1, kept.output
    assert deck_fronts(tmp_path / "out.apkg") == ["Question in a"]


def test_old_notebook_with_two_identical_cells_is_a_duplicate(run: Run, tmp_path: Path) -> None:
    cells = [
        md("Same question\n-\nFirst answer", "x"),
        md("Another question\n-\nFine", "y"),
        md("Same  QUESTION\n-\nSecond answer", "z"),
    ]
    write(tmp_path / "notes", {"old.ipynb": notebook(cells, minor=4)})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert errors(result) == [
        "notes/old.ipynb:cell 3: duplicate card: same id as notes/old.ipynb:cell 1 "
        "(the notebook predates cell ids, so a card is known by its front: reword one, "
        "or open and save the notebook in Jupyter to give its cells ids)"
    ]

    kept = run("build", "notes", "-o", "out.apkg", "--keep-going")
    assert kept.exit_code == 1, kept.output
    assert deck_fronts(tmp_path / "out.apkg") == ["Another question", "Same question"]


# --- warnings: exit 0 ------------------------------------------------------------------


def test_unknown_kernel_language_warns_and_still_builds_the_code(run: Run, tmp_path: Path) -> None:
    metadata = {"kernelspec": {"name": "bf", "display_name": "BF", "language": "brainfsck"}}
    cells = [
        md("What does this add?", "q"),
        code("total = value + 1", "c", "card", outputs=(stdout("2\n"),)),
    ]
    write(tmp_path / "notes", {"lesson.ipynb": notebook(cells, metadata=metadata)})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    assert problems(result) == [
        "notes/lesson.ipynb: warning: unknown kernel language 'brainfsck': code shown as plain text"
    ]
    (fields,) = deck_notes(tmp_path / "out.apkg")
    assert "total = value + 1" in fields[1]
    assert "language-text" in fields[1]
    assert 'class="n"' not in fields[1]


def test_notebook_without_cards_warns(run: Run, tmp_path: Path) -> None:
    empty = notebook([md("# Only a title", "t"), md("DECK = Nothing", "d"), code("x = 1", "c")])
    write(tmp_path / "notes", {"empty.ipynb": empty, "good.ipynb": GOOD_NOTEBOOK})
    result = run("build", "notes", "-o", "out.apkg", "--cells", "all")

    assert result.exit_code == 0, result.output
    assert problems(result) == [
        "notes/empty.ipynb: warning: no cards found (every markdown cell is a card unless it "
        "holds only headings or DECK/TAGS lines)"
    ]
    assert deck_fronts(tmp_path / "out.apkg") == ["Another notebook's question"]


def test_notebook_without_cards_alone_builds_nothing(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "notes", {"empty.ipynb": notebook([md("# Only a title", "t")])})
    result = run("build", "notes/empty.ipynb", "-o", "out.apkg", "--cells", "all")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert warnings_of(result) == [
        "notes/empty.ipynb: warning: no cards found (every markdown cell is a card unless it "
        "holds only headings or DECK/TAGS lines)"
    ]
    assert errors(result) == ["notes/empty.ipynb: nothing to build: no cards found"]


def test_cell_warnings_name_their_cell_and_exit_0(run: Run, tmp_path: Path) -> None:
    cells = [
        md("Question\n-", "a"),
        md("One-sided", "b", "reverse"),
        md("DECK = X\nsome text", "c"),
        md("Q\n-\nA", "d"),
        code("x = 1", "e", "card"),
    ]
    write(tmp_path / "notes", {"lesson.ipynb": notebook(cells)})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    assert problems(result) == [
        "notes/lesson.ipynb:cell 1: warning: the card has no answer after its '-' line",
        "notes/lesson.ipynb:cell 2: warning: the 'reverse' tag needs a '-' line with an "
        "answer after it",
        "notes/lesson.ipynb:cell 3: warning: a DECK/TAGS/URL line among other text is card "
        "text, not a setting",
        "notes/lesson.ipynb:cell 5: warning: the code card has no outputs: run and save the "
        "notebook",
    ]
    assert (tmp_path / "out.apkg").is_file()


# --- folders ---------------------------------------------------------------------------


def test_checkpoint_copies_are_not_read(run: Run, tmp_path: Path) -> None:
    write(
        tmp_path / "notes",
        {
            "lesson.ipynb": notebook([GOOD_FIRST]),
            ".ipynb_checkpoints/lesson-checkpoint.ipynb": BROKEN_JSON,
        },
    )
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    assert problems(result) == []
    assert deck_fronts(tmp_path / "out.apkg") == ["Good question"]


def test_all_problems_of_notebooks_and_notes_are_reported_together(
    run: Run, tmp_path: Path
) -> None:
    write(
        tmp_path / "notes",
        {
            "a.ipynb": notebook([GOOD_FIRST, md("{{c1::open", "bad")]),
            "b.ipynb": "[]",
            "c.md": "## Broken\n\n![x](missing.png)\n",
        },
    )
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert errors(result) == [
        "notes/a.ipynb:cell 2: unbalanced cloze '{{c1::': no '}}'",
        "notes/b.ipynb: not a notebook: it has no 'nbformat' version number",
        "notes/c.md:3: image not found: 'missing.png'",
    ]
