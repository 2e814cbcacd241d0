"""Bad input in Markdown notes, through the command line.

Pins product.md "Bad input" and "Command line": every problem is `path:line: message`,
all problems of a run are reported together, a failed build writes nothing (with
`--keep-going` only the good cards), exit codes 0 / 1 / 2, and never a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from anki_tools import builder
from anki_tools.cli import main

from conftest import PNG_BYTES

# `path:line: message`, the shape of every problem in a Markdown source.
PROBLEM_RE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+): (?P<message>.+)$")
SUMMARY_RE = re.compile(r"^\d+ notes, \d+ cards, \d+ media: ")
TAG_RE = re.compile(r"<[^>]+>")
EVENT_ATTRIBUTE_RE = re.compile(r"<[^>]*\son\w+\s*=", re.IGNORECASE)
SECRET = PNG_BYTES + b"SECRET-DO-NOT-SHIP"

Run = Callable[..., Result]


# --- helpers -------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `anki-tools ARGS` inside tmp_path (so paths read `notes/a.md`); no traceback allowed."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, clean: bool = True) -> Result:
        result = CliRunner().invoke(main, list(args))
        if clean:
            assert_no_traceback(result)
        return result

    return invoke


def assert_no_traceback(result: Result) -> None:
    """Rule: no tracebacks. An escaped exception is one even when CliRunner hides it."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}; output:\n{result.output}"
    )


def dedented(text: str) -> str:
    """The text exactly as `write_notes` stores it."""
    return textwrap.dedent(text).lstrip("\n")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle` in a (dedented) note."""
    hits = [n for n, line in enumerate(dedented(text).split("\n"), 1) if needle in line]
    return hits[occurrence - 1]


def problems(result: Result) -> list[str]:
    """The problem lines on stderr (without `check`'s summary line)."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return [line for line in lines if not SUMMARY_RE.match(line)]


def errors(result: Result) -> list[str]:
    return [line for line in problems(result) if ": warning: " not in line]


def problem_at(result: Result, location: str) -> str:
    """The one problem reported at `path:line`, failing with the whole report otherwise."""
    found = [line for line in problems(result) if line.startswith(f"{location}: ")]
    assert len(found) == 1, f"expected one problem at {location}, got:\n{result.stderr}"
    return found[0]


def assert_failed_and_wrote_nothing(result: Result, output: Path) -> None:
    """Rule: content errors exit 1 and the build writes nothing."""
    assert result.exit_code == 1, result.output
    assert not output.exists()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder with its bytes and modification time."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def fronts(anki) -> list[str]:  # type: ignore[no-untyped-def]
    """The front text of every imported card, without markup."""
    return sorted(TAG_RE.sub("", card.fields["Front"]).strip() for card in anki.cards())


def zip_payloads(apkg: Path) -> list[bytes]:
    with zipfile.ZipFile(apkg) as archive:
        return [archive.read(name) for name in archive.namelist()]


GOOD_CARD = """
    ## A good card

    Its answer.
"""


# --- 1. path:line, all problems together, nothing written ----------------------------


def test_all_problems_of_a_run_are_reported_together_and_nothing_is_written(
    run: Run, write_notes, tmp_path: Path
) -> None:
    """Rule 1: two broken files → both `path:line: message` in one run, exit 1, no .apkg."""
    a = """
        ## Good in a

        Fine.

        ## Broken cloze

        The capital is {{c1::Paris
    """
    b = """
        ## Good in b

        Fine too.

        ## Broken image

        Look:

        ![map](missing.png)
    """
    write_notes({"a.md": a, "b.md": b})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    cloze = problem_at(result, f"notes/a.md:{line_of(a, '{{c1::')}")
    assert "unbalanced cloze" in cloze
    image = problem_at(result, f"notes/b.md:{line_of(b, 'missing.png')}")
    assert image.endswith("image not found: 'missing.png'")
    assert len(errors(result)) == 2, result.stderr
    for line in problems(result):
        assert PROBLEM_RE.match(line), f"not `path:line: message`: {line!r}"


def test_a_file_whose_only_card_is_broken_is_not_called_empty(
    run: Run, write_notes, tmp_path: Path
) -> None:
    """Rule 1 (clear messages): a broken card is reported once, not also as 'no cards found'."""
    write_notes({"a.md": "## Broken\n\nThe capital is {{c1::Paris\n"})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert "unbalanced cloze" in problem_at(result, "notes/a.md:3")
    assert problems(result) == errors(result), "no 'no cards found' warning"
    assert len(problems(result)) == 1, result.stderr


# --- 2. --keep-going -----------------------------------------------------------------


@pytest.mark.e2e
def test_keep_going_writes_only_the_good_cards_and_still_exits_1(
    run: Run, write_notes, anki, tmp_path: Path
) -> None:
    """Rule 2: `--keep-going` writes the good cards (as Anki sees them) and exits 1."""
    write_notes(
        {
            "a.md": """
                ## Good one

                Yes.

                ## Broken cloze

                The capital is {{c1::Paris
            """,
            "b.md": """
                ## Broken image

                ![map](missing.png)

                ## Good two

                Also yes.
            """,
        }
    )
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1, result.output
    assert len(errors(result)) == 2, result.stderr
    assert (tmp_path / "out.apkg").is_file()
    assert "out.apkg" in result.stdout, "the summary names the deck it wrote"
    assert anki.import_deck(tmp_path / "out.apkg") == (2, 0, 0)
    assert fronts(anki) == ["Good one", "Good two"]


def test_keep_going_with_no_good_card_writes_nothing(run: Run, write_notes, tmp_path: Path) -> None:
    """Rule 2: `--keep-going` never writes an empty deck; exit 1."""
    write_notes({"a.md": "## Broken\n\n![map](missing.png)\n"})
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert problem_at(result, "notes/a.md:3").endswith("image not found: 'missing.png'")


# --- 3. front matter -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("front_matter", "bad"),
    [
        ("deck: python\ntags: a b\n  nested: oops\n", "nested: oops"),
        ("deck: python\n\tcard_level: 2\n", "card_level"),
        ("deck: python\nreverse: yes\ntags: [a, b\n", "tags: [a, b"),
    ],
    ids=["bad-indent", "tab", "unclosed-list"],
)
def test_invalid_yaml_front_matter_names_its_line(
    run: Run, write_notes, tmp_path: Path, front_matter: str, bad: str
) -> None:
    """Rule 3: invalid YAML → `path:LINE: invalid YAML front matter: …` at the bad line."""
    text = f"---\n{front_matter}---\n" + dedented(GOOD_CARD)
    write_notes({"a.md": text})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    message = problem_at(result, f"notes/a.md:{line_of(text, bad)}")
    assert "invalid YAML front matter" in message
    assert len(errors(result)) == 1, result.stderr


def test_front_matter_never_closed(run: Run, write_notes, tmp_path: Path) -> None:
    """Rule 3: an opening `---` without a closing one is an error at line 1."""
    write_notes({"a.md": "---\ndeck: python\n" + dedented(GOOD_CARD)})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    message = problem_at(result, "notes/a.md:1")
    assert "front matter" in message
    assert "never ends" in message


def test_front_matter_that_is_not_a_mapping(run: Run, write_notes, tmp_path: Path) -> None:
    """Rule 3: front matter must be `key: value` pairs, not a list."""
    write_notes({"a.md": "---\n- deck\n- python\n---\n" + dedented(GOOD_CARD)})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert "mapping" in problem_at(result, "notes/a.md:2")


@pytest.mark.parametrize("level", ["0", "7", "two", "2.5", "true", "[2]"])
def test_bad_card_level(run: Run, write_notes, tmp_path: Path, level: str) -> None:
    """Rule 3: `card_level` must be a heading level 1-6 (a YAML `true` is not level 1)."""
    write_notes({"a.md": f"---\ndeck: python\ncard_level: {level}\n---\n" + dedented(GOOD_CARD)})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    found = [PROBLEM_RE.match(line) for line in errors(result) if "card_level" in line]
    assert len(found) == 1, result.stderr
    assert found[0], f"not `path:line: message`: {result.stderr}"
    assert found[0]["path"] == "notes/a.md"
    assert found[0]["line"] in ("1", "3"), "at the front matter or at the `card_level` key"


# --- 4. non-UTF-8 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"## Caf\xc3\xa9\n\nfine\ncaf\xe9 au lait\n", 4),
        (b"---\ndeck: caf\xe9\n---\n## Q\n\nA\n", 2),
        ("## Question\n\nAnswer\n".encode("utf-16"), 1),
    ],
    ids=["latin-1-in-body", "latin-1-in-front-matter", "utf-16"],
)
def test_non_utf8_file_names_the_line_of_the_bad_byte(
    run: Run, write_notes, tmp_path: Path, data: bytes, line: int
) -> None:
    """Rule 4: a non-UTF-8 file → `path:LINE:` of its first bad byte, no traceback."""
    write_notes({"a.md": data, "b.md": GOOD_CARD})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    assert "UTF-8" in problem_at(result, f"notes/a.md:{line}")
    assert len(errors(result)) == 1, result.stderr


# --- 5. markers ----------------------------------------------------------------------

FIRST_CARD = "## First card\n\nFine.\n\n"


@pytest.mark.parametrize(
    ("card", "needle", "occurrence", "what"),
    [
        ("## Capitals\n\nSome intro.\n\nThe capital is {{c1::Paris.\n", "{{c1::", 1, "cloze"),
        ("## Capitals {{c1::Paris\n\nSome intro.\n", "{{c1::", 1, "cloze"),
        ("## Answer\n\nSome intro.\n\nIt is {{{42 exactly.\n", "{{{", 1, "type-in"),
        ("## Secret\n\nSome intro.\nA (S)secret never closed\nmore text\n", "(S)", 1, "spoiler"),
        ("## Quote\n\nSome intro.\n\n(Q)\nA quote never closed\n", "(Q)", 1, "quote"),
        (
            "## Quote\n\n(Q)\nFirst quote\n(Q)\nIts source\n(Q)\n\n(Q)\nSecond, open\n",
            "(Q)",
            4,
            "quote",
        ),
    ],
    ids=["cloze", "cloze-in-heading", "type-in", "spoiler", "quote", "second-quote"],
)
def test_unbalanced_marker_names_its_line(
    run: Run, write_notes, tmp_path: Path, card: str, needle: str, occurrence: int, what: str
) -> None:
    """Rule 5: an unbalanced cloze / type-in / spoiler / quote box → error at its own line."""
    text = FIRST_CARD + card
    write_notes({"a.md": text})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    message = problem_at(result, f"notes/a.md:{line_of(text, needle, occurrence)}")
    assert "unbalanced" in message
    assert what in message
    assert len(errors(result)) == 1, result.stderr


BALANCED = """
    ## The capital of France is {{c1::Paris}}

    And of Italy {{c2::Rome::a city}}.

    ## Type the answer

    Six times seven is {{{42}}}.

    ## Spoilers

    A (S)secret(S) and (S)one
    across lines(S) in one paragraph, plus `(S)` in code.

    ```python
    marker = "(S)"
    ```

    ## Quotes

    (Q)
    To be or not to be.
    (Q)
    Shakespeare
    (Q)

    (Q)
    A quote without source.
    (Q)
"""


def test_balanced_markers_are_not_errors(run: Run, write_notes, tmp_path: Path) -> None:
    """Rule 5: balanced markers (quote box with a source, `(S)` in code) build cleanly."""
    write_notes({"a.md": BALANCED})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert (tmp_path / "out.apkg").is_file()


# --- 6. images -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mention", "shown"),
    [
        ("![map](img/missing.png)", "img/missing.png"),
        ('<img src="img/missing.png" alt="map">', "img/missing.png"),
        ("![map](img/my%20map.png)", "img/my map.png"),
    ],
    ids=["markdown", "raw-html", "url-escaped"],
)
def test_missing_image_names_the_line_that_mentions_it(
    run: Run, write_notes, tmp_path: Path, mention: str, shown: str
) -> None:
    """Rule 6: `path:line: image not found: '…'` at the line of the reference."""
    text = FIRST_CARD + f"## Map\n\nSome intro.\n\nSee:\n\n{mention}\n"
    write_notes({"a.md": text})
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    line = line_of(text, mention)
    assert problem_at(result, f"notes/a.md:{line}") == (
        f"notes/a.md:{line}: image not found: '{shown}'"
    )


@pytest.mark.parametrize(
    "mention",
    ["![s](../secret.png)", '<img src="../secret.png">', "![s]({abs})", "![s](link.png)"],
    ids=["relative", "raw-html", "absolute", "symlink"],
)
def test_image_outside_the_build_root_is_refused_and_not_embedded(
    run: Run, write_notes, tmp_path: Path, mention: str
) -> None:
    """Rule 6: an image resolving outside the build root is an error and never in the deck."""
    (tmp_path / "secret.png").write_bytes(SECRET)
    mention = mention.replace("{abs}", str(tmp_path / "secret.png"))
    text = f"## Good\n\n![ok](ok.png)\n\n## Sneaky\n\nLook:\n\n{mention}\n"
    root = write_notes({"a.md": text, "ok.png": PNG_BYTES})
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1, result.output
    message = problem_at(result, f"notes/a.md:{line_of(text, mention)}")
    assert "outside the build root" in message
    payloads = zip_payloads(tmp_path / "out.apkg")
    assert PNG_BYTES in payloads, "the good image is embedded"
    assert not any(b"SECRET-DO-NOT-SHIP" in payload for payload in payloads)


# --- 7. remote images ----------------------------------------------------------------


@pytest.mark.e2e
def test_remote_images_are_kept_and_never_fetched(
    run: Run, write_notes, anki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 7: `https://` images stay remote links: no error, no download, no media; a
    warning at each says what that costs (tests/test_hostile_remote.py has the rest)."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the build tried to open a network connection")

    write_notes(
        {
            "a.md": """
                ## Remote images

                ![cat](https://example.com/cat.png)

                <img src="http://example.org/dog.jpg">
            """
        }
    )
    with monkeypatch.context() as offline:
        offline.setattr(socket.socket, "connect", no_network)
        offline.setattr(socket, "create_connection", no_network)
        result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    warnings = [line.split(": warning: ")[0] for line in result.stderr.splitlines()]
    assert warnings == ["notes/a.md:3", "notes/a.md:5"]
    assert "remote image 'https://example.com/cat.png'" in result.stderr
    anki.import_deck(tmp_path / "out.apkg")
    (card,) = anki.cards()
    assert 'src="https://example.com/cat.png"' in card.answer
    assert 'src="http://example.org/dog.jpg"' in card.answer
    assert anki.media_files() == {}


# --- 8. unknown code language --------------------------------------------------------

UNKNOWN_LANGUAGE = """
    ## Misspelled

    Some code:

    ```pyhton
    total = value + 1
    ```

    ## Spelled right

    ```python
    total = value + 1
    ```
"""


@pytest.mark.e2e
def test_unknown_code_language_warns_and_shows_plain_text(
    run: Run, write_notes, anki, tmp_path: Path
) -> None:
    """Rule 8: an unknown language is a warning (exit 0), the code is shown unhighlighted."""
    write_notes({"a.md": UNKNOWN_LANGUAGE})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    (warning,) = problems(result)
    assert re.match(r"^notes/a\.md:\d+: warning: unknown code language 'pyhton'", warning)
    anki.import_deck(tmp_path / "out.apkg")
    answers = {TAG_RE.sub("", card.fields["Front"]): card.answer for card in anki.cards()}
    assert "total = value + 1" in answers["Misspelled"]
    assert 'class="n"' not in answers["Misspelled"]
    assert 'class="n"' in answers["Spelled right"], "control: known languages are highlighted"


def test_unknown_code_language_warning_names_the_fence_line(
    run: Run, write_notes, tmp_path: Path
) -> None:
    """Rule 8 (+ rule 1): the warning points at the ```` ```pyhton ```` line, not the heading."""
    write_notes({"a.md": UNKNOWN_LANGUAGE})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    line = line_of(UNKNOWN_LANGUAGE, "```pyhton")
    assert problems(result) == [
        f"notes/a.md:{line}: warning: unknown code language 'pyhton', shown as plain text"
    ]


# --- 9. duplicate guids --------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "first", "second"),
    [
        (
            {"a.md": "## Same question\n\nA\n\n## Same  QUESTION\n\nB\n"},
            "notes/a.md:1",
            "notes/a.md:5",
        ),
        (
            {"a.md": "## One {#shared}\n\nA\n\n## Two {#shared}\n\nB\n"},
            "notes/a.md:1",
            "notes/a.md:5",
        ),
        (
            {"a.md": "## One {#shared}\n\nA\n", "b.md": "## Two {#shared}\n\nB\n"},
            "notes/a.md:1",
            "notes/b.md:1",
        ),
    ],
    ids=["front-one-file", "id-one-file", "id-two-files"],
)
def test_duplicate_guid_names_both_locations(
    run: Run, write_notes, tmp_path: Path, files: dict[str, str], first: str, second: str
) -> None:
    """Rule 9: two cards with one guid → one error naming both `path:line`s; nothing written."""
    write_notes(files)
    result = run("build", "notes", "-o", "out.apkg")

    assert_failed_and_wrote_nothing(result, tmp_path / "out.apkg")
    (message,) = errors(result)
    assert "duplicate" in message
    assert PROBLEM_RE.match(message), message
    assert message.startswith((f"{first}: ", f"{second}: "))
    assert f"{first}" in message
    assert f"{second}" in message


# --- 10. raw HTML --------------------------------------------------------------------

RAW_HTML = """
    ## Raw <b>front</b> <span onclick="steal()">here</span>

    Answer <b>bold</b> <kbd>Ctrl</kbd> <span onclick="alert(1)" onmouseover="x()">hover</span>
    <a href="javascript:alert(2)">js link</a> <a href="JaVaScRiPt:alert(3)">shout link</a>
    <a href="https://example.com/ok">ok link</a> [md link](javascript:alert(4))

    <script>alert("boom")</script>

    <iframe src="https://evil.example"><p>inside iframe</p></iframe>

    <object data="movie.swf"><p>inside object</p></object>

    <details><summary>More</summary>Hidden text</details>

    <table><tr><td>cell</td></tr></table>

    <img src="https://example.com/a.png" onerror="alert(5)">
"""


@pytest.mark.e2e
def test_raw_html_is_sanitized_as_anki_shows_it(
    run: Run, write_notes, anki, tmp_path: Path
) -> None:
    """Rule 10: scripts/frames/objects go with content, on* and javascript: go, the rest stays."""
    write_notes({"a.md": RAW_HTML})
    result = run("build", "notes", "-o", "out.apkg")

    assert result.exit_code == 0, result.output
    anki.import_deck(tmp_path / "out.apkg")
    (card,) = anki.cards()
    # `card.answer` drops every <script>…</script>, so look for scripts in the raw fields.
    raw = card.fields["Front"] + card.fields["Back"]
    for gone in ("<script", "boom", "<iframe", "evil.example", "<object", "movie.swf"):
        assert gone not in raw
    for gone in ("inside iframe", "inside object"):
        assert gone not in card.answer
    # Escaped text such as `&lt;span onclick=…` is harmless; an attribute in a tag is not.
    assert not EVENT_ATTRIBUTE_RE.search(card.question + card.answer)
    assert "javascript:" not in card.answer.lower()
    for kept in (
        "<b>bold</b>",
        "<b>front</b>",
        "<kbd>Ctrl</kbd>",
        "<details><summary>More</summary>Hidden text</details>",
        "<td>cell</td>",
        '<img src="https://example.com/a.png"',
        'href="https://example.com/ok"',
        "js link",
        "md link",
    ):
        assert kept in card.answer
    assert "<b>front</b>" in card.question


# --- 11. atomic output, untouched sources --------------------------------------------

SOURCES: dict[str, str | bytes] = {
    "a.md": "---\ndeck: things\n---\n## Good\n\n![ok](ok.png)\n",
    "crlf.md": b"## Windows\r\n\r\nline endings\r\n",
    "bom.md": "\ufeff## With a BOM\n\nanswer\n".encode(),
    "ok.png": PNG_BYTES,
}


def temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".") or "tmp" in p.name]


def test_failed_build_leaves_the_earlier_output_untouched(
    run: Run, write_notes, tmp_path: Path
) -> None:
    """Rule 11: a failed build changes nothing in the output folder, leaves no temp file."""
    root = write_notes(SOURCES)
    first = run("build", "notes", "-o", "dist/out.apkg")
    assert first.exit_code == 0, first.output
    assert temporary_files(tmp_path / "dist") == []
    before = snapshot(tmp_path / "dist")

    (root / "broken.md").write_text("## Broken\n\n{{c1::never closed\n", encoding="utf-8")
    second = run("build", "notes", "-o", "dist/out.apkg")

    assert second.exit_code == 1, second.output
    assert snapshot(tmp_path / "dist") == before


def test_failed_write_keeps_the_earlier_output_and_no_temp_file(
    run: Run, write_notes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 11: a write that dies half-way (disk full) never replaces or truncates the deck."""
    write_notes(SOURCES)
    assert run("build", "notes", "-o", "dist/out.apkg").exit_code == 0
    before = snapshot(tmp_path / "dist")

    def disk_full(collection: Path, media: object, target: Path) -> None:
        target.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(builder, "_zip", disk_full)
    result = run("build", "notes", "-o", "dist/out.apkg", "--no-cache", clean=False)

    assert result.exit_code != 0
    assert snapshot(tmp_path / "dist") == before


def test_failed_write_is_reported_without_traceback(
    run: Run, write_notes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules 11 + 13: a write failure is a one-line error naming the output, exit 1."""
    write_notes(SOURCES)

    def disk_full(collection: Path, media: object, target: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(builder, "_zip", disk_full)
    result = run("build", "notes", "-o", "dist/out.apkg", clean=False)

    assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    assert "dist/out.apkg" in result.stderr
    assert os.strerror(errno.ENOSPC) in result.stderr


def test_sources_are_never_modified(run: Run, write_notes, tmp_path: Path) -> None:
    """Rule 11: build, `--keep-going` and check leave every source byte and mtime as it was."""
    root = write_notes(
        {
            **SOURCES,
            "latin1.md": b"## Caf\xe9\n\nA\n",
            "broken.md": "## Broken\n\n![x](missing.png)\n",
        }
    )
    before = snapshot(root)
    assert run("build", "notes", "-o", "out.apkg").exit_code == 1
    assert run("build", "notes", "-o", "out.apkg", "--keep-going").exit_code == 1
    assert run("check", "notes").exit_code == 1
    assert (tmp_path / "out.apkg").is_file()
    assert snapshot(root) == before


# --- 12. usage errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["build", "nowhere.md"], "nowhere.md"),
        (["build", "nowhere"], "nowhere"),
        (["check", "nowhere.md"], "nowhere.md"),
        (["build", "notes/readme.txt"], "not a notes file"),
        (["check", "notes/readme.txt"], "not a notes file"),
        (["build", "notes", "-o", "out.zip"], ".apkg"),
        (["build", "notes", "-o", "notes"], "notes"),
        (["build"], "Error"),
    ],
    ids=[
        "missing-file",
        "missing-folder",
        "check-missing-file",
        "txt",
        "check-txt",
        "bad-output",
        "output-is-folder",
        "no-path",
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    run: Run, write_notes, tmp_path: Path, args: list[str], said: str
) -> None:
    """Rule 12: bad paths, non-notes files, a non-.apkg output, no PATH → exit 2, no file."""
    write_notes({"a.md": GOOD_CARD, "readme.txt": "not notes"})
    before = snapshot(tmp_path)
    result = run(*args)

    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


# --- 13. no tracebacks ---------------------------------------------------------------

BAD_INPUTS: dict[str, dict[str, str | bytes]] = {
    "yaml": {"a.md": "---\ndeck: [\n---\n## Q\n\nA\n"},
    "front-matter-open": {"a.md": "---\ndeck: x\n## Q\n\nA\n"},
    "front-matter-list": {"a.md": "---\n- x\n---\n## Q\n\nA\n"},
    "card-level": {"a.md": "---\ncard_level: 9\n---\n## Q\n\nA\n"},
    "tags": {"a.md": "---\ntags: {a: 1}\n---\n## Q\n\nA\n"},
    "latin-1": {"a.md": b"## Caf\xe9\n\nA\n"},
    "binary": {"a.md": bytes(range(256))},
    "empty": {"a.md": ""},
    "markers": {"a.md": "## Q\n\n{{c1::a (S)b {{{c\n\n(Q)\nq\n"},
    "separators": {"a.md": "## Q\n\nA\n-\nB\n-\nC\n-h\n-h\n"},
    "heading-attrs": {"a.md": '## {#x .weird foo="bar"}\n\nA\n\n## Q {#\n\nB\n'},
    "images": {"a.md": "## Q\n\n![a](missing.png) ![b](../../x.png) ![c](/)\n"},
    "language": {"a.md": '## Q\n\n```pyhton hl_lines="x" linenums="y"\nx\n```\n'},
    "duplicates": {"a.md": "## Q\n\nA\n\n## Q\n\nB\n"},
}


@pytest.mark.parametrize("command", [["build"], ["build", "--keep-going"], ["check"]])
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_no_traceback_for_bad_input(run: Run, write_notes, case: str, command: list[str]) -> None:
    """Rule 13: every kind of bad input ends in messages and exit 0/1, never a traceback."""
    write_notes(BAD_INPUTS[case])
    args = [*command, "notes"] + (["-o", "out.apkg"] if command[0] == "build" else [])
    result = run(*args)  # `run` asserts: no traceback, no escaped exception

    assert result.exit_code in (0, 1), result.output
    assert problems(result), "bad input is reported"


def test_no_traceback_from_the_real_command(write_notes, tmp_path: Path) -> None:
    """Rule 13: the installed command (a real process) prints messages, not a traceback."""
    write_notes({f"{case}.md": files["a.md"] for case, files in BAD_INPUTS.items()})
    done = subprocess.run(
        [sys.executable, "-m", "anki_tools", "build", "notes", "-o", "out.apkg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for case in ("yaml", "latin-1", "markers", "images"):
        assert re.search(rf"^notes/{case}\.md:\d+: ", done.stderr, re.MULTILINE), case
    assert not (tmp_path / "out.apkg").exists()


# --- 14. check -----------------------------------------------------------------------


def test_check_reports_the_same_problems_as_build_and_writes_nothing(
    run: Run, write_notes, tmp_path: Path
) -> None:
    """Rule 14: `check` lists exactly build's problems, exits 1, and writes no file."""
    write_notes(
        {
            "a.md": FIRST_CARD + "## Broken\n\n{{c1::open\n",
            "b.md": b"## Caf\xe9\n",
            "c.md": "## Image\n\n![x](missing.png)\n\n## Code\n\n```pyhton\nx\n```\n",
            "d.md": "---\ncard_level: [\n---\n",
        }
    )
    before = snapshot(tmp_path)
    checked = run("check", "notes")

    assert checked.exit_code == 1, checked.output
    assert snapshot(tmp_path) == before
    built = run("build", "notes", "-o", "out.apkg")
    assert sorted(problems(checked)) == sorted(problems(built))
    assert len(errors(checked)) == 4, checked.stderr


def test_check_exits_0_when_there_are_only_warnings(run: Run, write_notes, tmp_path: Path) -> None:
    """Rule 14 + 8: warnings alone do not fail `check`; it still writes nothing."""
    write_notes({"a.md": UNKNOWN_LANGUAGE})
    before = snapshot(tmp_path)
    result = run("check", "notes")

    assert result.exit_code == 0, result.output
    assert [w for w in problems(result) if "unknown code language 'pyhton'" in w]
    assert errors(result) == []
    assert snapshot(tmp_path) == before
