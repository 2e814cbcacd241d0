"""Unit tests of the notebook parser (`.ipynb` → Notes) and of code-cell outputs.

Pins /tmp/spec/notebook-spec.md: which cells become cards, card kinds, the cell tags
`card` / `front` / `back` / `skip`, outputs, literal code, kernel language, decks and
tags, attachments, guids and the Source field. Notebooks are built in memory with
`nbformat.v4` and written to tmp_path (or written as JSON by hand where the format
matters: old versions, missing ids, `source` as a list of lines).
"""

from __future__ import annotations

import base64
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from anki_tools.errors import Problems, SourceError
from anki_tools.notes import Kind, Note, ReadOptions, RenderedNote
from anki_tools.parsers import notebook
from anki_tools.render.media import media_name
from anki_tools.render.renderer import Renderer
from anki_tools.sharing import identity
from anki_tools.syntax import body
from anki_tools.templates import field_names

from conftest import PNG_BYTES

PNG_B64 = base64.b64encode(PNG_BYTES).decode()
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-jpeg\xff\xd9"
OTHER_PNG_BYTES = PNG_BYTES + b"-another-image"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect/></svg>'
TAG_RE = re.compile(r"<[^>]+>")
CLOZE = "Paris is the {{c1::capital}}."
DOCTEST = "What prints?\n\n    >>> 1 + 1\n    {{{2}}}"
PYTHON = {"language_info": {"name": "python", "pygments_lexer": "ipython3"}}


# --- helpers -------------------------------------------------------------------------


@dataclass
class Parsed:
    notes: list[Note]
    problems: list[str]

    @property
    def note(self) -> Note:
        assert len(self.notes) == 1, (self.notes, self.problems)
        return self.notes[0]


def md(source: str, *tags: str, **kwargs: Any) -> Any:
    """A markdown cell with Jupyter cell tags."""
    return new_markdown_cell(source, metadata={"tags": list(tags)} if tags else {}, **kwargs)


def code(source: str, *tags: str, outputs: tuple[Any, ...] = (), **kwargs: Any) -> Any:
    """A code cell with Jupyter cell tags and outputs."""
    metadata = {"tags": list(tags)} if tags else {}
    return new_code_cell(source, metadata=metadata, outputs=list(outputs), **kwargs)


def stdout(text: str, name: str = "stdout") -> Any:
    return new_output("stream", name=name, text=text)


def result(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> Any:
    return new_output("execute_result", data=data, metadata=metadata or {}, execution_count=1)


def display(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> Any:
    return new_output("display_data", data=data, metadata=metadata or {})


def parse_file(path: Path, root: Path, deck: str | None = None) -> Parsed:
    """Parsed with `cells: all`, jupyter-to-anki's rule that these tests pin (the
    default, auto, gives no cards for a notebook without card markup: see
    test_notebook_cells.py)."""
    problems = Problems()
    notes = notebook.parse(path, root, deck, problems, ReadOptions(cells="all"))
    return Parsed(notes, [str(problem) for problem in problems.items])


def write_notebook(path: Path, cells: list[Any], metadata: dict[str, Any] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells, metadata=metadata or {}), path)
    return path


def write_json(path: Path, content: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def nb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write cells as tmp_path/lesson.ipynb (cwd is tmp_path, so messages read
    `lesson.ipynb:cell N: …`) and parse it with tmp_path as the build root."""
    monkeypatch.chdir(tmp_path)

    def build(
        *cells: Any,
        metadata: dict[str, Any] | None = None,
        name: str = "lesson.ipynb",
        deck: str | None = None,
    ) -> Parsed:
        path = write_notebook(tmp_path / name, list(cells), metadata)
        return parse_file(path, tmp_path, deck)

    return build


def render(note: Note) -> tuple[RenderedNote, list[str]]:
    problems = Problems()
    rendered = Renderer(field_names()).render(note, problems)
    return rendered, [str(problem) for problem in problems.items]


def fronts(parsed: Parsed) -> list[str]:
    return [note.front for note in parsed.notes]


# --- which cells become cards --------------------------------------------------------


def test_markdown_cells_are_cards_and_other_cells_are_not(nb) -> None:
    parsed = nb(
        md("# Lesson title\n\n## A section"),
        md("  \n\n"),
        md("What is a list?\n-\nA mutable sequence."),
        new_raw_cell("raw text is never a card"),
        code("print('untagged code is ignored')", outputs=(stdout("ignored\n"),)),
        md("A one-sided note"),
    )
    assert [(n.front, n.back, n.source.cell) for n in parsed.notes] == [
        ("What is a list?", "A mutable sequence.", 3),
        ("A one-sided note", "", 6),
    ]
    assert parsed.problems == []


def test_hash_without_space_is_text_not_a_heading(nb) -> None:
    parsed = nb(md("#hashtag is not a heading"))
    assert fronts(parsed) == ["#hashtag is not a heading"]


def test_meta_cell_sets_deck_tags_and_url_for_the_cells_below(nb) -> None:
    parsed = nb(
        md("Before the settings"),
        md('deck = "Python::Lists"\n\n  Tags=lists  basics \nUrl = https://example.com/l '),
        md("After the settings"),
    )
    before, after = parsed.notes
    assert (before.deck, before.tags, before.url) == ("lesson", (), None)
    assert (after.deck, after.tags, after.url) == (
        "Python::Lists",
        ("lists", "basics"),
        "https://example.com/l",
    )
    assert parsed.problems == []


def test_meta_cell_values_in_single_quotes(nb) -> None:
    note = nb(md("DECK = 'My Deck'\nTAGS = 'a b'"), md("Q")).note
    assert (note.deck, note.tags) == ("My Deck", ("a", "b"))


def test_meta_cell_empty_values_keep_the_deck_and_clear_tags_and_url(nb) -> None:
    parsed = nb(
        md("DECK = First\nTAGS = one two\nURL = https://example.com"),
        md("Q1"),
        md('DECK =\nTAGS =\nURL = ""'),
        md("Q2"),
    )
    first, second = parsed.notes
    assert (first.deck, first.tags, first.url) == ("First", ("one", "two"), "https://example.com")
    assert (second.deck, second.tags, second.url) == ("First", (), None)


def test_later_meta_cell_replaces_the_tags(nb) -> None:
    parsed = nb(md("TAGS = a b"), md("Q1"), md("TAGS = c"), md("Q2"))
    assert [n.tags for n in parsed.notes] == [("a", "b"), ("c",)]


def test_meta_line_among_other_text_is_card_text_with_a_warning(nb) -> None:
    parsed = nb(md("DECK = Elsewhere\nWhat does this cell ask?"), md("Q2"))
    first, second = parsed.notes
    assert first.front == "DECK = Elsewhere\nWhat does this cell ask?"
    assert second.deck == "lesson", "not a setting"
    assert parsed.problems == [
        "lesson.ipynb:cell 1: warning: a DECK/TAGS/URL line among other text is card text, "
        "not a setting"
    ]


def test_meta_cell_tagged_skip_is_left_out(nb) -> None:
    note = nb(md("DECK = Skipped", "skip"), md("Q")).note
    assert note.deck == "lesson"


# --- card kinds ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kind", "front", "back", "hint"),
    [
        ("What is 2 + 2?\n-\nFour.", Kind.BASIC, "What is 2 + 2?", "Four.", ""),
        ("A fact to remember.", Kind.BASIC, "A fact to remember.", "", ""),
        ("Name this shape\n-i\nA circle", Kind.IMAGE, "Name this shape", "A circle", ""),
        ("Q\n-\nA\n-h\nthink", Kind.BASIC, "Q", "A", "think"),
        ("Q\n-h\nthink\n-\nA", Kind.BASIC, "Q", "A", "think"),
        ("One-sided with a hint\n-h\nthink", Kind.BASIC, "One-sided with a hint", "", "think"),
        (CLOZE, Kind.CLOZE, CLOZE, "", ""),
        (CLOZE + "\n-\nextra", Kind.CLOZE, CLOZE, "extra", ""),
        ("2 + 2 = {{{4}}}", Kind.TYPE_IN, "2 + 2 = {{{4}}}", "", ""),
        (DOCTEST, Kind.TYPE_IN, DOCTEST, "", ""),
        ("```python\nx = {{c1::1}}\n```", Kind.CLOZE, "```python\nx = {{c1::1}}\n```", "", ""),
    ],
    ids=[
        "two-sided",
        "one-sided",
        "image",
        "hint-after-back",
        "hint-before-back",
        "one-sided-hint",
        "cloze",
        "cloze-extra",
        "type-in",
        "type-in-indented-code",
        "cloze-fenced-code",
    ],
)
def test_card_kinds(nb, source: str, kind: Kind, front: str, back: str, hint: str) -> None:
    parsed = nb(md(source))
    assert (parsed.note.kind, parsed.note.front, parsed.note.back, parsed.note.hint) == (
        kind,
        front,
        back,
        hint,
    )
    assert parsed.problems == []


def test_one_sided_card_renders_an_empty_back(nb) -> None:
    rendered, problems = render(nb(md("Just a **fact**.")).note)
    assert rendered.fields["Front"] == "<p>Just a <strong>fact</strong>.</p>"
    assert rendered.fields["Back"] == ""
    assert problems == []


def test_type_in_inside_indented_code_renders_a_box(nb) -> None:
    note = nb(md("What prints?\n\n    >>> 1 + 1\n    {{{2}}}"), metadata=PYTHON).note
    rendered, _ = render(note)
    assert '<span class="at-typein">2</span>' in rendered.fields["Front"]
    assert "{{{" not in rendered.fields["Front"]


def test_reverse_tag_with_a_dash_line_makes_two_cards(nb) -> None:
    note = nb(md("Hund\n-\ndog", "Reverse")).note
    assert note.kind is Kind.REVERSED
    assert body.card_count(note) == 2


def test_reverse_tag_without_a_dash_line_warns(nb) -> None:
    parsed = nb(md("Only a front", "reverse"))
    assert parsed.note.kind is Kind.BASIC
    assert parsed.problems == [
        "lesson.ipynb:cell 1: warning: the 'reverse' tag needs a '-' line with an answer after it"
    ]


def test_dash_line_without_an_answer_warns(nb) -> None:
    parsed = nb(md("Question\n-\n"))
    assert (parsed.note.front, parsed.note.back) == ("Question", "")
    assert parsed.problems == [
        "lesson.ipynb:cell 1: warning: the card has no answer after its '-' line"
    ]


def test_cloze_with_empty_back_does_not_warn(nb) -> None:
    parsed = nb(md("{{c1::Paris}} is in France\n-"))
    assert parsed.note.kind is Kind.CLOZE
    assert parsed.problems == []


# --- the `card` tag ------------------------------------------------------------------


def test_standalone_code_card_has_code_front_and_outputs_back(nb) -> None:
    parsed = nb(
        md("A question\n-\nits answer"),
        code("x = 21\nx * 2", "card", outputs=(result({"text/plain": "42"}),)),
        metadata=PYTHON,
    )
    question, card = parsed.notes
    assert question.back == "its answer"
    assert card.kind is Kind.BASIC
    assert card.front == "```python literal\nx = 21\nx * 2\n```"
    assert card.back == (
        '<div class="at-output at-output-result">\n\n```text literal\n42\n```\n\n</div>'
    )
    assert (card.title, card.source.cell) == ("code cell 2", 2)
    assert parsed.problems == []


def test_code_card_answers_the_one_sided_question_right_above(nb) -> None:
    question = md("What does `sum(range(4))` give?", id="question-id")
    parsed = nb(
        question,
        code("sum(range(4))", "card", outputs=(result({"text/plain": "6"}),), id="code-id"),
    )
    note = parsed.note
    assert note.front == "What does `sum(range(4))` give?"
    assert note.back.startswith("```text literal\nsum(range(4))\n```")
    assert "```text literal\n6\n```" in note.back
    assert note.source.cell == 1
    assert note.cell_id == "question-id", "the merged card keeps the question cell's id"
    assert note.title == "What does `sum(range(4))` give?"


def test_cloze_question_is_answered_by_a_code_card_below(nb) -> None:
    parsed = nb(md("`len` of a {{c1::list}}"), code("len([1, 2])", "card"))
    assert parsed.note.kind is Kind.CLOZE
    assert parsed.note.back == "```text literal\nlen([1, 2])\n```"


@pytest.mark.parametrize(
    "question", ["Q\n-\nan answer already", "Q\n-i\nimage back"], ids=["dash", "dash-i"]
)
def test_code_card_does_not_answer_a_two_sided_question(nb, question: str) -> None:
    parsed = nb(md(question), code("1 + 1", "card", outputs=(result({"text/plain": "2"}),)))
    assert len(parsed.notes) == 2
    assert parsed.notes[1].front == "```text literal\n1 + 1\n```"
    assert parsed.notes[1].title == "code cell 2"


def test_code_card_with_a_cell_in_between_is_a_card_of_its_own(nb) -> None:
    parsed = nb(
        md("A one-sided question"),
        code("setup = True"),
        code("answer = 42", "card", outputs=(stdout("42\n"),)),
    )
    question, card = parsed.notes
    assert (question.front, question.back) == ("A one-sided question", "")
    assert card.front == "```text literal\nanswer = 42\n```"
    assert card.source.cell == 3


def test_second_code_card_below_an_answered_question_is_its_own_card(nb) -> None:
    parsed = nb(
        md("Question"),
        code("first", "card", outputs=(stdout("1\n"),)),
        code("second", "card", outputs=(stdout("2\n"),)),
    )
    assert [n.source.cell for n in parsed.notes] == [1, 3]
    assert parsed.notes[1].front == "```text literal\nsecond\n```"


def test_code_card_without_outputs_warns(nb) -> None:
    parsed = nb(md("Q\n-\nA"), code("x = 1", "card"))
    assert parsed.notes[1].back == ""
    assert parsed.problems == [
        "lesson.ipynb:cell 2: warning: the code card has no outputs: run and save the notebook"
    ]


# --- the `front` and `back` tags -----------------------------------------------------


def test_back_code_cell_joins_the_card_above(nb) -> None:
    parsed = nb(md("Q\n-\nA"), code("print('hi')", "back", outputs=(stdout("hi\n"),)))
    assert parsed.note.front == "Q"
    assert parsed.note.back == (
        "A\n\n```text literal\nprint('hi')\n```\n\n"
        '<div class="at-output at-output-stdout">\n\n'
        "```text literal\nhi\n```\n\n</div>"
    )


def test_front_code_cell_joins_the_front_of_the_card_above(nb) -> None:
    parsed = nb(md("What does this print?\n-\n3"), code("print(1 + 2)", "front"))
    assert parsed.note.front == "What does this print?\n\n```text literal\nprint(1 + 2)\n```"
    assert parsed.note.back == "3"


def test_joining_skips_untagged_code_cells(nb) -> None:
    parsed = nb(
        md("Q\n-\nA"),
        code("ignored = 1"),
        md("# Only a heading"),
        code("kept = 2", "back"),
    )
    assert "kept = 2" in parsed.note.back
    assert "ignored" not in parsed.note.back


def test_back_markdown_cell_joins_the_back(nb) -> None:
    parsed = nb(md("Q\n-\nA"), md("More answer", "back"))
    assert (parsed.note.front, parsed.note.back) == ("Q", "A\n\nMore answer")


def test_front_markdown_cell_joins_the_front_and_can_make_a_cloze(nb) -> None:
    parsed = nb(md("Fill in:"), md("Rome is in {{c1::Italy}}", "front"))
    assert parsed.note.front == "Fill in:\n\nRome is in {{c1::Italy}}"
    assert parsed.note.kind is Kind.CLOZE


def test_back_markdown_cell_with_markers_is_an_error(nb) -> None:
    parsed = nb(md("Q\n-\nA"), md("{{c1::no}}", "back"))
    assert "lesson.ipynb:cell 2: cloze and type-in markers belong on the front" in parsed.problems


@pytest.mark.parametrize("role", ["back", "front"])
@pytest.mark.parametrize("kind", ["code", "markdown"])
def test_joining_cell_without_a_card_above_is_an_error(nb, role: str, kind: str) -> None:
    cell = code("x = 1", role) if kind == "code" else md("text", role)
    parsed = nb(md("# Heading only"), cell, md("Q"))
    assert fronts(parsed) == ["Q"]
    assert parsed.problems == [
        f"lesson.ipynb:cell 2: a '{role}' cell needs a card above it to join"
    ]


def test_skip_tag_leaves_out_any_cell(nb) -> None:
    parsed = nb(
        md("Skipped question", "skip"),
        md("Kept question\n-\nA"),
        code("not shown", "back", "SKIP"),
        code("standalone", "card", "skip"),
    )
    assert fronts(parsed) == ["Kept question"]
    assert parsed.note.back == "A"


def test_two_role_tags_are_an_error(nb) -> None:
    parsed = nb(md("Q\n-\nA"), code("x", "card", "back", outputs=(stdout("x\n"),)))
    message = "a cell can be tagged card, front or back, not 'card' and 'back'"
    assert f"lesson.ipynb:cell 2: {message}" in parsed.problems


def test_tags_are_case_insensitive(nb) -> None:
    parsed = nb(
        md("Question"),
        code("shown", " CARD ", outputs=(stdout("out\n"),)),
        md("Extra", "Back"),
        md("left out", "Skip"),
    )
    assert parsed.note.back == (
        "```text literal\nshown\n```\n\n"
        '<div class="at-output at-output-stdout">\n\n'
        "```text literal\nout\n```\n\n</div>\n\nExtra"
    )


@pytest.mark.parametrize(
    ("tag", "code_shown", "output_shown"),
    [
        ("remove-input", False, True),
        ("hide-input", False, True),
        ("remove-output", True, False),
        ("hide-output", True, False),
    ],
)
def test_jupyter_book_tags_leave_out_code_or_outputs(
    nb, tag: str, code_shown: bool, output_shown: bool
) -> None:
    parsed = nb(md("Q\n-\nA"), code("the_code()", "back", tag, outputs=(stdout("the output\n"),)))
    assert ("the_code()" in parsed.note.back) is code_shown
    assert ("the output" in parsed.note.back) is output_shown


# --- outputs -------------------------------------------------------------------------


def back_of(nb, *outputs: Any, source: str = "x", metadata: dict[str, Any] | None = None) -> Note:
    """The note of `Q - A` with a `back` code cell having these outputs."""
    return nb(md("Q\n-\nA"), code(source, "back", outputs=outputs), metadata=metadata).note


def text_block(css: str, text: str) -> str:
    """A text output as outputs.py writes it: a literal fence in a classed div."""
    fence = f"```text literal\n{text}\n```"
    return f'<div class="at-output at-output-{css}">\n\n{fence}\n\n</div>'


def test_consecutive_prints_to_one_stream_are_merged(nb) -> None:
    note = back_of(
        nb,
        stdout("a\n"),
        stdout("b\n"),
        stdout("careful\n", name="stderr"),
        stdout("c\n"),
    )
    assert note.back.split("\n\n", 2)[2] == "\n\n".join(
        [text_block("stdout", "a\nb"), text_block("stderr", "careful"), text_block("stdout", "c")]
    )


def test_ansi_codes_are_removed_and_carriage_returns_overwrite(nb) -> None:
    note = back_of(nb, stdout("\x1b[1;31mred\x1b[0m text\n"), stdout("10%\r50%\r100%\ndone\n"))
    assert text_block("stdout", "red text\n100%\ndone") in note.back
    assert "\x1b" not in note.back
    assert "\r" not in note.back


def test_error_output_shows_the_traceback_without_colours(nb) -> None:
    error = new_output(
        "error",
        ename="ZeroDivisionError",
        evalue="division by zero",
        traceback=[
            "\x1b[0;31mTraceback\x1b[0m",
            "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
        ],
    )
    note = back_of(nb, error, source="1 / 0")
    assert text_block("error", "Traceback\nZeroDivisionError: division by zero") in note.back


def test_png_output_is_an_attachment_with_its_size(nb) -> None:
    image = display(
        {"image/png": PNG_B64, "text/plain": "<Figure size 200x100>"},
        {"image/png": {"width": 200, "height": 100}},
    )
    parsed = nb(md("Plot?"), code("plot()", "card", outputs=(image,)))
    note = parsed.note
    assert note.attachments == {"output-2-1.png": PNG_BYTES}
    assert note.back.endswith(
        '<div class="at-output at-output-image">'
        '<img src="attachment:output-2-1.png" alt="output" width="200" height="100"></div>'
    )
    assert "Figure size" not in note.back
    rendered, problems = render(note)
    name = media_name(PNG_BYTES, ".png")
    assert [(m.name, m.data) for m in rendered.media] == [(name, PNG_BYTES)]
    assert f'<img src="{name}" alt="output" width="200" height="100">' in rendered.fields["Back"]
    assert problems == []


def test_jpeg_and_svg_outputs_are_attachments(nb) -> None:
    jpeg = display({"image/jpeg": base64.b64encode(JPEG_BYTES).decode()})
    svg = display({"image/svg+xml": SVG})
    parsed = nb(md("Q"), code("show()", "card", outputs=(jpeg, svg)))
    assert parsed.note.attachments == {
        "output-2-1.jpg": JPEG_BYTES,
        "output-2-2.svg": SVG.encode(),
    }
    rendered, problems = render(parsed.note)
    assert {m.name: m.data for m in rendered.media} == {
        media_name(JPEG_BYTES, ".jpg"): JPEG_BYTES,
        media_name(SVG.encode(), ".svg"): SVG.encode(),
    }
    assert problems == []


def test_the_same_image_twice_is_one_media_file(nb) -> None:
    image = display({"image/png": PNG_B64})
    note = back_of(nb, image, image)
    rendered, _ = render(note)
    assert [m.data for m in rendered.media] == [PNG_BYTES]
    assert rendered.fields["Back"].count("<img") == 2


def test_html_output_is_sanitized(nb) -> None:
    """Once, by the renderer: the parser passes the output on as a raw-HTML fence."""
    html = '<table><tr><td onclick="x()">cell</td></tr></table><script>alert(1)</script>'
    note = back_of(nb, result({"text/html": html, "text/plain": "plain repr"}))
    assert "plain repr" not in note.back
    back = render(note)[0].fields["Back"]
    assert '<div class="at-output at-output-html">' in back
    assert "<td>cell</td>" in back
    assert "script" not in back
    assert "alert" not in back
    assert "onclick" not in back
    assert "plain repr" not in back


def test_markers_in_an_html_output_stay_text_even_written_as_entities(nb) -> None:
    """The sanitizer writes `&#123;` out as `{`: markers are defused after it."""
    html = "<p>&#123;&#123;c1::gap}} and &#123;&#123;&#123;box}}}</p>"
    rendered, problems = render(back_of(nb, display({"text/html": html})))
    back = rendered.fields["Back"]
    assert "{\u200b{c1::gap}}" in back and "{\u200b{{box}}}" in back
    assert "{{c1::" not in back and "at-typein" not in back
    assert problems == []


@pytest.mark.parametrize(
    "html",
    ["<style>td {color: red}</style>", "<!-- nothing -->", "<div><script>x()</script>", "<br>"],
)
def test_html_output_that_shows_nothing_falls_through_to_plain_text(nb, html: str) -> None:
    note = back_of(nb, display({"text/html": html, "text/plain": "Plain()"}))
    assert "at-output-html" not in note.back
    assert text_block("result", "Plain()") in note.back


def test_html_output_of_only_an_image_is_shown(nb) -> None:
    html = '<img src="https://example.org/plot.png" alt="plot">'
    note = back_of(nb, display({"text/html": html, "text/plain": "Plain()"}))
    assert "at-output-html" in note.back and "Plain()" not in note.back


def test_html_output_stays_html_across_blank_lines(nb) -> None:
    """An HTML block of Markdown ends at a blank line; an output is HTML through and through."""
    html = "<div>\n<pre>\n# a comment\n\n    indented line\n</pre>\n\n<p>*not emphasis*</p>\n</div>"
    rendered, problems = render(back_of(nb, display({"text/html": html})))
    back = rendered.fields["Back"]
    assert "# a comment\n\n    indented line\n</pre>" in back
    assert "<p>*not emphasis*</p>" in back
    assert "<h1>" not in back and "<em>" not in back
    assert back.count("<code>") == 1  # the cell's own code, not the output's lines
    assert problems == []


def test_script_only_html_falls_through_to_plain_text(nb) -> None:
    widget = display({"text/html": "<div><script>render()</script></div>", "text/plain": "Chart()"})
    note = back_of(nb, widget)
    assert "at-output-html" not in note.back
    assert text_block("result", "Chart()") in note.back


def test_markdown_output_is_rendered_as_markdown(nb) -> None:
    note = back_of(nb, display({"text/markdown": "**bold** result", "text/plain": "plain"}))
    assert note.back.endswith("**bold** result")
    rendered, _ = render(note)
    assert "<p><strong>bold</strong> result</p>" in rendered.fields["Back"]
    assert "plain" not in rendered.fields["Back"]


def test_plain_text_result(nb) -> None:
    note = back_of(nb, result({"text/plain": "[1, 2, 3]"}))
    assert note.back.endswith(text_block("result", "[1, 2, 3]"))


def test_image_wins_over_html_and_text(nb) -> None:
    note = back_of(
        nb, display({"text/plain": "text", "text/html": "<b>html</b>", "image/png": PNG_B64})
    )
    assert "at-output-image" in note.back
    assert "html" not in note.back.replace("at-output-image", "")


def test_output_a_card_cannot_show_is_left_out(nb) -> None:
    widget = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    note = back_of(nb, display({"application/vnd.jupyter.widget-view+json": widget}))
    assert note.back == "A\n\n```text literal\nx\n```"


# --- code is literal -----------------------------------------------------------------


def test_f_string_braces_in_code_are_not_a_type_in(nb) -> None:
    parsed = nb(
        md("What does this print?"),
        code('x = 1\nprint(f"{{{x}}}")', "card", outputs=(stdout("{1}\n"),)),
        metadata=PYTHON,
    )
    note = parsed.note
    assert note.kind is Kind.BASIC
    rendered, problems = render(note)
    back = rendered.fields["Back"]
    assert "at-typein" not in back
    assert 'print(f"&#123;&#123;&#123;x}}}")' in TAG_RE.sub("", back)
    assert "{" not in back, "every brace is escaped, so Anki cannot see a cloze either"
    assert problems == []


def test_markers_in_code_and_text_outputs_are_shown_as_they_are(nb) -> None:
    parsed = nb(
        md("Q"),
        code("s = '{{c1::x}}'", "card", outputs=(stdout("{{{typed}}} {{c2::y}}\n"),)),
    )
    note = parsed.note
    assert note.kind is Kind.BASIC
    rendered, _ = render(note)
    assert "at-typein" not in rendered.fields["Back"]
    assert "{{" not in rendered.fields["Back"]
    assert "&#123;&#123;c1::x}}" in rendered.fields["Back"]
    assert "&#123;&#123;&#123;typed}}}" in rendered.fields["Back"]


def test_standalone_code_card_with_markers_is_basic(nb) -> None:
    parsed = nb(md("Q\n-\nA"), code("d = {{c1::1}}", "card", outputs=(stdout("1\n"),)))
    assert parsed.notes[1].kind is Kind.BASIC
    assert body.card_count(parsed.notes[1]) == 1


def test_markers_in_markdown_and_html_outputs_are_shown_as_they_are(nb) -> None:
    parsed = nb(
        md("Capital of France: {{c1::Paris}}"),
        code(
            "show()",
            "front",
            outputs=(
                display({"text/markdown": "type {{{this}}}"}),
                display({"text/html": "<b>{{c2::extra}}</b>"}),
            ),
        ),
    )
    note = parsed.note
    assert body.card_count(note) == 1, "only the question's c1 makes a card"
    rendered, _ = render(note)
    assert "at-typein" not in rendered.fields["Text"]
    assert "{{c2::" not in rendered.fields["Text"]


# --- kernel language -----------------------------------------------------------------


def test_ipython3_lexer_falls_back_to_python(nb) -> None:
    parsed = nb(md("Q"), code("x = 1", "card"), metadata=PYTHON)
    note = parsed.note
    assert note.code_language == "python"
    assert note.back == "```python literal\nx = 1\n```"
    rendered, problems = render(note)
    assert '<div class="highlight language-python">' in rendered.fields["Back"]
    assert '<span class="n">x</span>' in rendered.fields["Back"]
    assert problems == []


@pytest.mark.parametrize(
    "metadata",
    [
        {"language_info": {"name": "python"}},
        {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        {"language_info": {"name": "nosuchlang", "pygments_lexer": "python3"}},
    ],
    ids=["language-name", "kernelspec", "lexer-first"],
)
def test_kernel_language_sources(nb, metadata: dict[str, Any]) -> None:
    note = nb(md("Q"), code("x = 1", "card"), metadata=metadata).note
    assert note.code_language in ("python", "python3")
    assert note.back.startswith(f"```{note.code_language} literal\n")


def test_unknown_kernel_language_warns_and_shows_plain_text(nb) -> None:
    metadata = {"kernelspec": {"name": "bf", "display_name": "BF", "language": "brainfsck"}}
    parsed = nb(md("Q"), code("+++.", "card", outputs=(stdout("\x03\n"),)), metadata=metadata)
    assert parsed.note.code_language is None
    assert parsed.note.back.startswith("```text literal\n+++.\n```")
    assert parsed.problems == [
        "lesson.ipynb: warning: unknown kernel language 'brainfsck': code shown as plain text"
    ]


def test_indented_code_in_a_markdown_cell_uses_the_kernel_language(nb) -> None:
    python = nb(md("Q\n-\n    total = 1"), metadata=PYTHON).note
    rendered, _ = render(python)
    assert '<div class="highlight language-python">' in rendered.fields["Back"]
    assert '<span class="n">total</span>' in rendered.fields["Back"]

    plain = nb(md("Q\n-\n    total = 1"), name="plain.ipynb").note
    rendered, _ = render(plain)
    assert '<div class="highlight language-text">' in rendered.fields["Back"]
    assert 'class="n"' not in rendered.fields["Back"]


# --- decks and tags ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "deck", "metadata", "expected"),
    [
        (["DECK = FromCell"], "FromArgument", {"anki": {"deck": "FromMetadata"}}, "FromCell"),
        ([], "FromArgument", {"anki": {"deck": "FromMetadata"}}, "FromArgument"),
        ([], None, {"anki": {"deck": "FromMetadata"}}, "FromMetadata"),
        ([], None, {}, "python::basics"),
    ],
    ids=["cell", "argument", "metadata", "path"],
)
def test_deck_precedence(
    tmp_path: Path,
    cells: list[str],
    deck: str | None,
    metadata: dict[str, Any],
    expected: str,
) -> None:
    path = tmp_path / "python" / "basics" / "lesson.ipynb"
    write_notebook(path, [md(text) for text in [*cells, "Question"]], metadata)
    assert parse_file(path, tmp_path, deck).note.deck == expected


def test_notebook_at_the_root_is_its_own_deck(nb) -> None:
    assert nb(md("Q"), name="my-lesson.ipynb").note.deck == "my-lesson"


@pytest.mark.parametrize("tags", [["numpy", "arrays::basics"], "numpy  arrays::basics"])
def test_metadata_tags_as_list_or_string(nb, tags: Any) -> None:
    note = nb(md("Q"), metadata={"anki": {"tags": tags}}).note
    assert note.tags == ("numpy", "arrays::basics")


def test_tags_cell_replaces_metadata_tags(nb) -> None:
    parsed = nb(md("Q1"), md("TAGS = other"), md("Q2"), metadata={"anki": {"tags": ["meta"]}})
    assert [n.tags for n in parsed.notes] == [("meta",), ("other",)]


@pytest.mark.parametrize(
    ("anki", "message"),
    [
        ("deck", "notebook metadata 'anki' must be a mapping (deck, tags, cells)"),
        (["deck"], "notebook metadata 'anki' must be a mapping (deck, tags, cells)"),
        ({"deck": "D", "reverse": True}, "unknown key 'reverse' in notebook metadata 'anki'"),
        ({"deck": 3}, "notebook metadata 'anki.deck' must be a text"),
        ({"tags": {"a": 1}}, "'tags' must be a list or a space-separated string"),
    ],
    ids=["string", "list", "unknown-key", "deck-number", "tags-mapping"],
)
def test_bad_anki_metadata_is_an_error(nb, anki: Any, message: str) -> None:
    with pytest.raises(SourceError) as raised:
        nb(md("Q"), metadata={"anki": anki})
    assert str(raised.value) == f"lesson.ipynb: {message}"


# --- attachments ---------------------------------------------------------------------


def test_attachments_are_decoded_and_embedded(nb) -> None:
    cell = md(
        "Which image?\n-\n![a pixel](attachment:pixel.png)",
        attachments={"pixel.png": {"image/png": PNG_B64}, "unused.svg": {"image/svg+xml": SVG}},
    )
    note = nb(cell).note
    assert note.attachments == {"pixel.png": PNG_BYTES, "unused.svg": SVG.encode()}
    rendered, problems = render(note)
    name = media_name(PNG_BYTES, ".png")
    assert [(m.name, m.data) for m in rendered.media] == [(name, PNG_BYTES)]
    assert f'<img src="{name}" alt="a pixel">' in rendered.fields["Back"]
    assert problems == []


def test_joined_cells_attaching_different_images_with_one_name_is_an_error(nb) -> None:
    first = md("![a](attachment:image.png)", attachments={"image.png": {"image/png": PNG_B64}})
    other = base64.b64encode(OTHER_PNG_BYTES).decode()
    second = md(
        "![b](attachment:image.png)", "back", attachments={"image.png": {"image/png": other}}
    )
    parsed = nb(first, second)
    assert parsed.problems == [
        "lesson.ipynb:cell 2: two cells of one card attach different images named 'image.png'"
    ]


def test_joined_cells_attaching_the_same_image_are_fine(nb) -> None:
    bundle = {"image.png": {"image/png": PNG_B64}}
    parsed = nb(
        md("![a](attachment:image.png)", attachments=bundle),
        md("again", "back", attachments=bundle),
    )
    assert parsed.problems == []
    assert parsed.note.attachments == {"image.png": PNG_BYTES}


def test_local_image_is_relative_to_the_notebook(tmp_path: Path) -> None:
    (tmp_path / "topic" / "img").mkdir(parents=True)
    (tmp_path / "topic" / "img" / "a.png").write_bytes(PNG_BYTES)
    path = write_notebook(tmp_path / "topic" / "lesson.ipynb", [md("Q\n-\n![x](img/a.png)")])
    rendered, problems = render(parse_file(path, tmp_path).note)
    assert [m.data for m in rendered.media] == [PNG_BYTES]
    assert problems == []


# --- identity ------------------------------------------------------------------------


def guids(parsed: Parsed) -> list[str]:
    return [identity.guid(note) for note in parsed.notes]


def test_same_notebook_gives_the_same_guids(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "lesson.ipynb", [md("Q1\n-\nA"), md("Q2"), md("Q3")])
    first, second = guids(parse_file(path, tmp_path)), guids(parse_file(path, tmp_path))
    assert first == second
    assert len(set(first)) == 3


def test_guid_survives_editing_a_cell_with_an_id(tmp_path: Path) -> None:
    path = tmp_path / "lesson.ipynb"
    write_notebook(path, [md("What is a tuple?\n-\nImmutable.", id="tuple-card")])
    before = parse_file(path, tmp_path).note
    edited = md("What is a Python tuple, exactly?\n-\nAn immutable sequence.", id="tuple-card")
    write_notebook(path, [edited])
    after = parse_file(path, tmp_path).note
    assert after.cell_id == before.cell_id == "tuple-card"
    assert identity.guid(after) == identity.guid(before)


def old_notebook(cells: list[str | list[str]]) -> dict[str, Any]:
    """nbformat 4.4: cells have no ids."""
    return {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": text} for text in cells],
    }


def test_notebook_without_ids_gets_guids_from_the_front_text(tmp_path: Path) -> None:
    path = write_json(tmp_path / "old.ipynb", old_notebook(["Q one\n-\nA", "Q two\n-\nB"]))
    first, second = parse_file(path, tmp_path), parse_file(path, tmp_path)
    assert [n.cell_id for n in first.notes] == [None, None]
    assert guids(first) == guids(second)
    assert len(set(guids(first))) == 2

    # The front text (normalized: spacing and case don't count) is the identity.
    write_json(path, old_notebook(["q  ONE\n-\nanother answer", "Q two, reworded\n-\nB"]))
    edited = guids(parse_file(path, tmp_path))
    assert edited[0] == guids(first)[0]
    assert edited[1] != guids(first)[1]


def test_repeated_cell_ids_fall_back_to_the_front_text(tmp_path: Path) -> None:
    content = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "same", "metadata": {}, "source": "Q one"},
            {"cell_type": "markdown", "id": "same", "metadata": {}, "source": "Q two"},
            {"cell_type": "markdown", "id": "unique", "metadata": {}, "source": "Q three"},
        ],
    }
    path = write_json(tmp_path / "copied.ipynb", content)
    first, second = parse_file(path, tmp_path), parse_file(path, tmp_path)
    assert [n.cell_id for n in first.notes] == [None, None, "unique"]
    assert guids(first) == guids(second)


def test_repeated_cell_ids_raise_no_python_warning(tmp_path: Path) -> None:
    content = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "same", "metadata": {}, "source": "Q one"},
            {"cell_type": "markdown", "id": "same", "metadata": {}, "source": "Q two"},
        ],
    }
    path = write_json(tmp_path / "copied.ipynb", content)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = parse_file(path, tmp_path)
    assert [str(w.message) for w in caught] == []
    assert fronts(parsed) == ["Q one", "Q two"]


def test_same_cell_id_in_notebooks_with_different_names_gives_different_guids(
    tmp_path: Path,
) -> None:
    cells = [md("The same question", id="shared-id")]
    a = parse_file(write_notebook(tmp_path / "a.ipynb", cells), tmp_path).note
    b = parse_file(write_notebook(tmp_path / "b.ipynb", cells), tmp_path).note
    assert a.cell_id == b.cell_id == "shared-id"
    assert identity.guid(a) != identity.guid(b)


# --- old formats and raw JSON --------------------------------------------------------


def test_v3_notebook_is_upgraded_and_parsed(tmp_path: Path) -> None:
    content = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Old notes"},
                    {"cell_type": "markdown", "metadata": {}, "source": "What is 1 + 1?"},
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": "1 + 1",
                        "language": "python",
                        "metadata": {"tags": ["card"]},
                        "outputs": [
                            {
                                "output_type": "pyout",
                                "prompt_number": 1,
                                "metadata": {},
                                "text": ["2"],
                            }
                        ],
                        "prompt_number": 1,
                    },
                    {"cell_type": "markdown", "metadata": {}, "source": ["Two\n", "-\n", "2"]},
                ],
            }
        ],
    }
    path = write_json(tmp_path / "v3.ipynb", content)
    parsed = parse_file(path, tmp_path)
    assert [(n.front, n.source.cell, n.cell_id) for n in parsed.notes] == [
        ("What is 1 + 1?", 2, None),
        ("Two", 4, None),
    ]
    assert parsed.notes[0].back == "```text literal\n1 + 1\n```\n\n" + text_block("result", "2")
    assert parsed.notes[1].back == "2"
    assert parsed.problems == []


def test_source_as_a_list_of_lines(tmp_path: Path) -> None:
    content = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "markdown",
                "id": "q",
                "metadata": {},
                "source": ["What is a set?\n", "-\n", "An unordered\n", "collection."],
            },
            {
                "cell_type": "code",
                "id": "c",
                "execution_count": 1,
                "metadata": {"tags": ["back"]},
                "source": ["s = {1, 2}\n", "len(s)"],
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["two\n", "lines\n"]}
                ],
            },
        ],
    }
    note = parse_file(write_json(tmp_path / "lines.ipynb", content), tmp_path).note
    assert note.front == "What is a set?"
    assert note.back == (
        "An unordered\ncollection.\n\n```text literal\ns = {1, 2}\nlen(s)\n```\n\n"
        + text_block("stdout", "two\nlines")
    )


# --- the Source field ----------------------------------------------------------------


def test_title_is_the_first_line_without_heading_hashes(nb) -> None:
    parsed = nb(md("\n## What is a *closure*?\n\nMore text\n-\nA function with its scope."))
    assert parsed.note.title == "What is a closure?"
    rendered, _ = render(parsed.note)
    assert rendered.fields["Source"] == (
        '<span class="at-source-file">lesson.ipynb</span> › '
        '<span class="at-source-title">What is a closure?</span>'
    )


def test_long_title_is_cut_at_80_characters(nb) -> None:
    line = "Why does " + "a very long question " * 6 + "end here?"
    note = nb(md(line + "\n-\nA")).note
    assert note.title.endswith("…")
    assert len(note.title) <= 80
    cut = note.title.removesuffix("…")
    assert line.startswith(cut)
    assert line[len(cut)] == " ", "cut at a word boundary"
    assert nb(md("Short question\n-\nA"), name="short.ipynb").note.title == "Short question"


def test_code_card_title_and_url_in_the_source_field(nb) -> None:
    parsed = nb(
        md("URL = https://example.com/lesson"),
        md("Q\n-\nA"),
        code("x = 1", "card", outputs=(stdout("1\n"),)),
    )
    rendered, _ = render(parsed.notes[1])
    assert rendered.fields["Source"] == (
        '<span class="at-source-file"><a href="https://example.com/lesson">lesson.ipynb</a>'
        '</span> › <span class="at-source-title">code cell 3</span>'
    )


def test_title_of_a_doctest_cell_shows_its_first_line(nb) -> None:
    note = nb(md("    >>> 1 + 1\n    {{{2}}}")).note
    assert note.title == ">>> 1 + 1"
    rendered, _ = render(note)
    assert rendered.fields["Source"].endswith(
        '<span class="at-source-title">&gt;&gt;&gt; 1 + 1</span>'
    )


# --- found while building the example notebook ---------------------------------------------


def test_repeated_cell_ids_are_reported_as_a_warning(tmp_path: Path) -> None:
    content = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "same", "metadata": {}, "source": "Q one"},
            {"cell_type": "markdown", "id": "same", "metadata": {}, "source": "Q two"},
        ],
    }
    parsed = parse_file(write_json(tmp_path / "copied.ipynb", content), tmp_path)
    assert [p.split(": warning: ")[1] for p in parsed.problems] == [
        "cell id 'same' is used by more than one cell: their cards are known by their front text"
    ]


def test_code_card_without_code_on_its_front_is_an_error(nb) -> None:
    parsed = nb(
        code("x = 1\nx", "card", "hide-input", outputs=(result({"text/plain": "1"}),)),
        code("", "card", outputs=(stdout("only output\n"),)),
    )
    assert parsed.notes == []  # Anki would make no card of an empty front
    assert parsed.problems == [
        "lesson.ipynb:cell 1: the card has nothing on its front",
        "lesson.ipynb:cell 2: the card has nothing on its front",
    ]


def test_markdown_cell_with_an_empty_front_is_an_error(nb) -> None:
    parsed = nb(md("-\nOnly an answer"))
    assert parsed.notes == []
    assert parsed.problems == ["lesson.ipynb:cell 1: the card has nothing on its front"]


def test_title_shows_an_image_by_its_alt_text(nb) -> None:
    png = {"d.png": {"image/png": PNG_B64}}
    assert nb(md("![axis diagram](attachment:d.png)\n-\nAxis 0", attachments=png)).note.title == (
        "axis diagram"
    )
    # An image without alt text is no title: the next line is.
    assert nb(md('<img src="attachment:d.png">\n\nWhich axis?', attachments=png)).note.title == (
        "Which axis?"
    )


def test_skipped_cell_between_question_and_code_card_does_not_part_them(nb) -> None:
    parsed = nb(
        md("What is `2 ** 3`?"),
        md("A note to self", "skip"),
        code("2 ** 3", "card", outputs=(result({"text/plain": "8"}),)),
    )
    note = parsed.note
    assert note.front == "What is `2 ** 3`?"
    assert "2 ** 3" in note.back and "8" in note.back


def test_notebook_metadata_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write_json(tmp_path / "odd.ipynb", {"nbformat": 4, "nbformat_minor": 5, "metadata": []})
    with pytest.raises(SourceError, match="'metadata' must be a mapping"):
        parse_file(path, tmp_path)
