"""Unit tests of the card-body grammar on tokens: separators and marker checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from anki_tools.errors import Problems
from anki_tools.notes import Kind, Source
from anki_tools.syntax import body, engine, options

SOURCE = Source(Path("n.md"), 10)
FIRST = SOURCE.line or 1  # the body's first line is the file's line 10


def parsed(text: str, problems: Problems) -> body.Body:
    """The body as the Markdown parser splits it: one parse, lines as in the file."""
    lines = [""] * (FIRST - 1) + text.split("\n")
    tokens, env = engine.parse_blocks("\n".join(lines))
    return body.split_body(tokens, lines, (FIRST - 1, len(lines)), env, SOURCE, problems)


def split(text: str) -> tuple[body.Body, list[str]]:
    problems = Problems()
    parts = parsed(text, problems)
    return parts, [str(p) for p in problems.items]


def test_dash_splits_front_and_back() -> None:
    parts, problems = split("question\n-\nanswer")
    assert (parts.front.text, parts.back.text, parts.hint.text, parts.split, parts.image) == (
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
        assert (parts.front.text, parts.back.text, parts.hint.text) == ("q", "a", "h")


def test_image_separator_marks_image_card() -> None:
    parts, _ = split("front\n-i\nback")
    assert parts.image and parts.split and parts.back.text == "back"
    assert (parts.front.line, parts.back.line) == (10, 12)  # each part knows its first line


def test_separators_inside_fenced_code_are_code() -> None:
    parts, _ = split("```\n-\n-h\n```\nstill front")
    assert not parts.split
    assert parts.front.text == "```\n-\n-h\n```\nstill front"


def test_indented_dash_and_trailing_spaces() -> None:
    assert split("a\n- \nb")[0].split  # trailing space is fine
    assert not split("a\n    -\nb")[0].split  # indented: code, not a separator


def test_second_separator_is_an_error_with_its_line() -> None:
    _, problems = split("a\n-\nb\n-\nc")
    assert problems == ["n.md:13: second '-' line in one card (the first is on line 11)"]


def test_a_shorter_fence_inside_a_longer_one_is_code() -> None:
    parts, _ = split("````\n```\n-\n````\n-\nafter")
    assert parts.split and parts.back.text == "after"
    assert parts.front.text == "````\n```\n-\n````"


@pytest.mark.parametrize(
    "text",
    [
        "question\n-\nanswer",  # right under a text line: not a setext underline
        "- item\n-\nanswer",  # after a list: not an empty list item
        "> quote\n-\nanswer",  # after a quote: not a lazy continuation
        "<div>\n-\nanswer",  # inside an HTML block
    ],
)
def test_a_lone_dash_line_is_always_a_separator(text: str) -> None:
    parts, problems = split(text)
    assert parts.split and parts.back.text == "answer"
    assert problems == []


def check(text: str) -> list[str]:
    problems = Problems()
    parts = parsed(text, problems)
    body.check((parts.front, parts.back, parts.hint), SOURCE, problems)
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
    parts, _ = split("(Q)\nq\n(Q)\nsrc\n(Q)\n\n(Q)\nq2\n(Q)")
    types = [token.type for token in parts.front.tokens if token.type.startswith("quote")]
    assert types == [
        *("quote_box_open", "quote_source_open", "quote_source_close", "quote_box_close"),
        *("quote_box_open", "quote_box_close"),
    ]


def test_a_quote_line_in_indented_code_is_code() -> None:
    parts, problems = split("text\n\n    (Q)\n    not a box\n\nafter")
    assert not any(token.type == "quote_box_open" for token in parts.front.tokens)
    assert problems == [] and check("text\n\n    (Q)\n    x\n\nafter") == []


def test_literal_fences_hold_no_markers() -> None:
    text = "```python literal\nprint(f'{{{x}}}', '{{c1::no')\n```"
    assert check(text) == []  # the unclosed '{{c1::' is code
    front = body.text_part(text)
    assert not body.has_markers(front)
    assert body.kind_of(front, image=False, reverse=False) is Kind.BASIC


def test_literal_is_a_fence_option_not_any_word() -> None:
    plain = body.text_part("```python\n# literal\n{{c1::x}}\n```")
    assert body.cloze_numbers(plain) == {1}
    longer = body.text_part("````text literal\n```\n{{{q}}}\n````\n{{{after}}}")
    assert body.kind_of(longer, image=False, reverse=False) is Kind.TYPE_IN


@pytest.mark.parametrize(
    "text",
    [
        r"$\frac{1}{\sqrt{N_{in}}}$ is math",  # `}}}` in math is math
        r"{{c1::$\frac{1}{\sqrt{n}}$}} around math",
        "`}}}` and `{{{` in inline code",
    ],
)
def test_braces_in_math_and_code_are_no_markers(text: str) -> None:
    assert check(text) == []


def test_a_cloze_around_math_is_written_so_anki_reads_it_whole() -> None:
    part = body.text_part(r"{{c1::$\frac{1}{\sqrt{n}}$}}")
    assert body.cloze_numbers(part) == {1}
    html = engine.render(part.tokens, lambda code, info, line: "", None)
    assert '{{c1::<span class="arithmatex">\\(\\frac{1}{\\sqrt{n} }\\)</span>}}' in html


@pytest.mark.parametrize(
    ("info", "language", "literal", "hl_lines"),
    [
        ('python hl_lines="1 3-4" linenums literal', "python", True, (1, 3, 4)),
        ("literal", None, True, ()),  # options without a language
        ('hl_lines="2"', None, False, (2,)),
        ("{.rust}", "rust", False, ()),
    ],
)
def test_fence_info(
    info: str, language: str | None, literal: bool, hl_lines: tuple[int, ...]
) -> None:
    found = options.fence_info(info)
    assert (found.language, found.literal, found.hl_lines) == (language, literal, hl_lines)
