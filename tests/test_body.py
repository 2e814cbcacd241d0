"""Unit tests of the card-body grammar: separators and marker checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from anki_tools import body
from anki_tools.errors import Problems
from anki_tools.notes import Source

SOURCE = Source(Path("n.md"), 10)


def split(text: str) -> tuple[body.Body, list[str]]:
    problems = Problems()
    return body.split_body(text.split("\n"), SOURCE, problems), [str(p) for p in problems.items]


def test_dash_splits_front_and_back() -> None:
    parts, problems = split("question\n-\nanswer")
    assert (parts.front, parts.back, parts.hint, parts.split, parts.image) == (
        "question",
        "answer",
        "",
        True,
        False,
    )
    assert problems == []


def test_hint_after_back_and_before_back() -> None:
    for text in ("q\n-\na\n-h\nh", "q\n-h\nh\n-\na"):
        parts, _ = split(text)
        assert (parts.front, parts.back, parts.hint) == ("q", "a", "h")


def test_image_separator_marks_image_card() -> None:
    parts, _ = split("front\n-i\nback")
    assert parts.image and parts.split and parts.back == "back"


def test_separators_inside_fenced_code_are_code() -> None:
    parts, _ = split("```\n-\n-h\n```\nstill front")
    assert not parts.split
    assert parts.front == "```\n-\n-h\n```\nstill front"


def test_indented_dash_and_trailing_spaces() -> None:
    assert split("a\n- \nb")[0].split  # trailing space is fine
    assert not split("a\n    -\nb")[0].split  # indented: code, not a separator


def test_second_separator_is_an_error_with_its_line() -> None:
    _, problems = split("a\n-\nb\n-\nc")
    assert problems == ["n.md:13: second '-' line in one card (the first is on line 11)"]


def test_fenced_lines_track_fence_kind_and_length() -> None:
    lines = ["````", "```", "inner", "````", "after", "~~~", "x", "~~~"]
    assert body.fenced_lines(lines) == [True, True, True, True, False, True, True, True]


def check(text: str) -> list[str]:
    problems = Problems()
    body.check_markers(text, SOURCE, problems)
    return [str(p) for p in problems.items]


@pytest.mark.parametrize(
    "text",
    [
        "a {{c1::b}} c {{c2::d::hint}}",
        "type {{{answer}}} here",
        "a (S)secret(S) and `(S)` in code",
        "(Q)\nquote\n(Q)\nsource\n(Q)",
        "(Q)\nq1\n(Q)\n\n(Q)\nq2\n(Q)",
        "```\n(S)\n(Q)\n```",
        "spoiler over\n(S)two\nlines(S)",
    ],
)
def test_balanced_markers_pass(text: str) -> None:
    assert check(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\n{{c1::open", "n.md:11: unbalanced cloze '{{c1::': no '}}'"),
        ("a\nb {{{open", "n.md:11: unbalanced type-in '{{{': close it on the same line"),
        ("x }}} y", "n.md:10: unbalanced type-in '}}}': close it on the same line"),
        ("a\n\nthe (S)secret\n\nnext (S)", "n.md:12: unbalanced spoiler '(S)': no closing '(S)'"),
        ("a\n(Q)\nquote", "n.md:11: unbalanced quote box '(Q)': no closing '(Q)'"),
        ("```py\nx = {{c1::open\n```", "n.md:11: unbalanced cloze '{{c1::': no '}}'"),
    ],
)
def test_unbalanced_markers_name_their_line(text: str, message: str) -> None:
    assert check(text) == [message]


def test_quote_boxes_with_and_without_source() -> None:
    lines = ["(Q)", "q", "(Q)", "src", "(Q)", "", "(Q)", "q2", "(Q)"]
    boxes, unclosed = body.find_quote_boxes(lines)
    assert unclosed is None
    assert boxes == [body.QuoteBox(0, 2, 4), body.QuoteBox(6, 8, 8)]


def test_literal_fences_hold_no_markers() -> None:
    text = "```python literal\nprint(f'{{{x}}}', '{{c1::no')\n```"
    assert not body.has_cloze(text)
    assert not body.has_type_in(text)
    problems = Problems()
    body.check_markers(text, Source(Path("n.md"), 1), problems)
    assert problems.items == []  # the unclosed '{{c1::' is code
    assert body.kind_of(text, image=False, reverse=False) is body.Kind.BASIC


def test_literal_is_a_fence_option_not_any_word() -> None:
    plain = "```python\n# literal\n{{c1::x}}\n```"
    assert body.has_cloze(plain)
    longer = "````text literal\n```\n{{{q}}}\n````\n{{{after}}}"
    assert body.without_literal_code(longer).split("\n") == ["", "", "", "", "{{{after}}}"]
