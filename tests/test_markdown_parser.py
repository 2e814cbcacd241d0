"""Unit tests of the Markdown notes parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from anki_tools.errors import Problems, SourceError
from anki_tools.notes import Kind, Note
from anki_tools.parsers import get_parser, markdown


def parse(write_notes, text: str, name: str = "topic/sub/file.md", deck: str | None = None):
    root = write_notes({name: text})
    problems = Problems()
    notes = markdown.parse(root / name, root, deck, problems)
    return notes, [str(p) for p in problems.items]


def one(write_notes, text: str, **kwargs) -> Note:
    notes, problems = parse(write_notes, text, **kwargs)
    assert len(notes) == 1, problems
    return notes[0]


def test_heading_is_front_and_body_is_back(write_notes) -> None:
    note = one(write_notes, "# Title\n\nintro\n\n## Q?\n\nA.\n\n### Deeper\n\nmore\n")
    assert (note.kind, note.front, note.back) == (Kind.BASIC, "Q?", "A.\n\n### Deeper\n\nmore")
    assert note.source.line == 5
    assert note.title == "Q?"


def test_dash_line_joins_text_to_the_heading(write_notes) -> None:
    note = one(write_notes, "## Q\n\ncontext\n\n-\n\nanswer\n")
    assert (note.front, note.back) == ("Q\n\ncontext", "answer")


def test_higher_heading_ends_a_card(write_notes) -> None:
    notes, _ = parse(write_notes, "## A\n\na\n\n# Part two\n\nnot a card\n\n## B\n\nb\n")
    assert [(n.front, n.back) for n in notes] == [("A", "a"), ("B", "b")]


def test_card_level_from_front_matter(write_notes) -> None:
    notes, _ = parse(write_notes, "---\ncard_level: 3\n---\n## Group\n### Q1\na1\n### Q2\na2\n")
    assert [n.front for n in notes] == ["Q1", "Q2"]


def test_headings_inside_code_do_not_split(write_notes) -> None:
    note = one(write_notes, "## Q\n\n```bash\n## comment\n```\n")
    assert "## comment" in note.back


def test_a_commented_out_card_is_no_card(write_notes) -> None:
    """As on GitHub, a heading inside an HTML comment (or <pre>) is hidden with it."""
    text = "## A\n\na\n<!--\n## Retired\nold\n-->\n\n## B\n<pre>\n# root prompt\n</pre>\n"
    notes, problems = parse(write_notes, text)
    assert [n.front for n in notes] == ["A", "B"]
    assert "# root prompt" in notes[1].back
    assert problems == []


def test_an_unclosed_html_block_ends_at_the_next_card(write_notes) -> None:
    notes, _ = parse(write_notes, "## A\n<div>\nin a div\n## B\nb\n")
    assert [(n.front, n.back) for n in notes] == [("A", "<div>\nin a div"), ("B", "b")]


@pytest.mark.parametrize(
    "text",
    [
        "## Q\nright under the heading\n-\nanswer\n",  # not a setext underline
        "## Q\n- a list item\n-\nanswer\n",  # not an empty list item
    ],
)
def test_a_lone_dash_line_splits_the_card(write_notes, text: str) -> None:
    note = one(write_notes, text)
    assert note.back == "answer"
    assert note.parts is not None and note.parts[1].line == 4  # the field knows its line


def test_a_fence_left_open_is_a_warning_at_its_line(write_notes) -> None:
    notes, problems = parse(write_notes, "## One\n\n```python\nx = 1\n\n## Two\n\nb\n")
    assert [n.front for n in notes] == ["One"]  # the rest of the file is code
    (problem,) = problems
    assert problem.endswith(
        "topic/sub/file.md:3: warning: this code fence is never closed, so the rest of the file "
        "is code (close it with a ``` line)"
    )
    closed, problems = parse(write_notes, "## One\n\n~~~~\nx\n~~~~~\n")
    assert problems == [] and len(closed) == 1


def test_an_html_comment_left_open_is_a_warning_at_its_line(write_notes) -> None:
    notes, problems = parse(write_notes, "## One\n\na\n\n<!-- to do\n\n## Two\n\nb\n")
    assert [n.front for n in notes] == ["One"]  # the rest of the file is hidden, as on GitHub
    (problem,) = problems
    assert problem.endswith(
        "file.md:5: warning: this HTML comment is never closed, so the rest of the file is "
        "hidden (close it with -->)"
    )


def test_heading_attributes(write_notes) -> None:
    note = one(write_notes, '## Q {#my-id .reverse tags="a b::c" deck="X::Y"}\n\nA\n')
    assert note.explicit_id == "my-id"
    assert note.kind is Kind.REVERSED
    assert note.tags == ("a", "b::c")
    assert note.deck == "X::Y"
    assert note.front == "Q"


def test_front_matter_defaults(write_notes) -> None:
    text = "---\ndeck: D\ntags: one two\nreverse: true\nurl: https://x.org\n---\n## Q\n\nA\n"
    note = one(write_notes, text)
    assert (note.deck, note.tags, note.kind, note.url) == (
        "D",
        ("one", "two"),
        Kind.REVERSED,
        "https://x.org",
    )


def test_deck_resolution_order(write_notes) -> None:
    assert one(write_notes, "## Q\nA\n").deck == "topic::sub"
    assert one(write_notes, "## Q\nA\n", deck="Given").deck == "Given"
    assert one(write_notes, "---\ndeck: FM\n---\n## Q\nA\n", deck="Given").deck == "FM"
    assert one(write_notes, '---\ndeck: FM\n---\n## Q {deck="Card"}\nA\n').deck == "Card"
    assert one(write_notes, "## Q\nA\n", name="lesson.md").deck == "lesson"


def test_cloze_card_is_one_sided(write_notes) -> None:
    note = one(write_notes, "## Fill\n\nPython is {{c1::dynamic}}.\n\n-\n\nextra\n")
    assert note.kind is Kind.CLOZE
    assert note.front == "Fill\n\nPython is {{c1::dynamic}}."
    assert note.back == "extra"


def test_cloze_in_heading_without_body_split(write_notes) -> None:
    note = one(write_notes, "## {{c1::Rust}} has no GC\n\nmore text\n")
    assert note.kind is Kind.CLOZE
    assert note.front == "{{c1::Rust}} has no GC\n\nmore text"
    assert note.back == ""


def test_type_in_card(write_notes) -> None:
    note = one(write_notes, "## Result?\n\n    >>> 1 + 1\n    {{{2}}}\n\n-h\n\nadd\n")
    assert (note.kind, note.hint) == (Kind.TYPE_IN, "add")


def test_markers_after_the_dash_are_an_error(write_notes) -> None:
    notes, problems = parse(write_notes, "## Q\n\nq\n\n-\n\n{{c1::a}}\n")
    assert notes == []
    (problem,) = problems
    assert problem.endswith(  # the line of the marker, not of the heading
        "topic/sub/file.md:7: cloze and type-in markers belong before the '-' line"
    )


def test_image_card(write_notes) -> None:
    note = one(write_notes, "## Q\n\nfront\n\n-i\n\nback\n")
    assert (note.kind, note.front, note.back) == (Kind.IMAGE, "Q\n\nfront", "back")


def test_unknown_attributes_and_keys_warn(write_notes) -> None:
    notes, problems = parse(write_notes, "---\ndek: x\n---\n## Q {.revers colour=red}\nA\n")
    assert len(notes) == 1
    assert any("unknown front matter key 'dek'" in p for p in problems)
    assert any("unknown heading class '.revers'" in p for p in problems)
    assert any("unknown heading attribute 'colour'" in p for p in problems)


def test_crlf_and_bom_are_read(write_notes) -> None:
    root = write_notes({"w.md": b"\xef\xbb\xbf---\r\ndeck: W\r\n---\r\n## Q\r\nA\r\n"})
    notes = markdown.parse(root / "w.md", root, None, Problems())
    assert [(n.deck, n.front, n.back) for n in notes] == [("W", "Q", "A")]


def test_get_parser_lists_known_suffixes() -> None:
    with pytest.raises(SourceError, match=r"known: \.ipynb, \.markdown, \.md"):
        get_parser(Path("notes.txt"))


def test_braces_that_are_not_attributes_stay_in_the_heading(write_notes) -> None:
    notes, problems = parse(write_notes, "## A set literal {1, 2}\nA\n\n## Empty dict {}\nB\n")
    assert [n.front for n in notes] == ["A set literal {1, 2}", "Empty dict {}"]
    assert problems == []


def test_markers_after_the_dash_of_a_cloze_card_are_an_error(write_notes) -> None:
    notes, problems = parse(write_notes, "## Q {{c1::a}}\n\n-\n\n{{c2::b}}\n")
    assert notes == []
    assert problems[0].endswith("cloze and type-in markers belong before the '-' line")


@pytest.mark.parametrize("text", ["## X {.reverse}\n", "## X\n\nfront\n\n-i\n"])
def test_two_sided_card_without_answer_warns(write_notes, text: str) -> None:
    notes, problems = parse(write_notes, text)
    assert len(notes) == 1
    assert problems[0].endswith("warning: card 'X' has no answer")
