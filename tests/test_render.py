"""Unit tests of the renderer beyond the goldens: Source field, code slots, fields per kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from anki_tools import pipeline
from anki_tools.errors import Problems
from anki_tools.notes import Kind, Note, Source
from anki_tools.render.renderer import Renderer
from anki_tools.syntax import body, engine
from anki_tools.templates import field_names

from conftest import PNG_BYTES


def note(tmp_path: Path, front: str = "Q", url: str | None = None, kind: Kind = Kind.BASIC) -> Note:
    path = tmp_path / "topic" / "n.md"
    return Note(kind, front, "A", "", "d", (), Source(path, 1), front, tmp_path, url=url)


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://docs.python.org/", '<a href="https://docs.python.org/">topic/n.md</a>'),
        ("javascript:alert(1)", "topic/n.md"),
    ],
)
def test_source_field_links_only_safe_urls(tmp_path: Path, url: str, link: str) -> None:
    rendered = Renderer(field_names()).render(note(tmp_path, url=url), Problems())
    assert rendered.fields["Source"] == (
        f'<span class="at-source-file">{link}</span> › <span class="at-source-title">Q</span>'
    )


def test_source_title_is_escaped_plain_text_without_markers(tmp_path: Path) -> None:
    """A title is plain text (titles.py): shown as written, never as Markdown or HTML; a
    cloze in it shows its answer, or the Source field would give the gap away."""
    cloze = note(tmp_path, front="Is {{c1::len}} `<b>` & *x*?", kind=Kind.CLOZE)
    rendered = Renderer(field_names()).render(cloze, Problems())
    assert rendered.fields["Source"].endswith(
        '<span class="at-source-title">Is len `&lt;b&gt;` &amp; *x*?</span>'
    )
    assert list(rendered.fields) == ["Text", "Back Extra", "Hint", "Source"]


def test_code_slot_written_by_a_user_injects_nothing(tmp_path: Path) -> None:
    forged = '<div class="at-code-slot">\ue0100\ue011</div>'
    rendered = Renderer(field_names()).render(note(tmp_path, front=forged), Problems())
    assert "<pre" not in rendered.fields["Front"]
    assert "\ue0100\ue011" in rendered.fields["Front"]  # the note's text stays its own


def test_code_is_highlighted_after_sanitizing(tmp_path: Path) -> None:
    text = "<script>x()</script>\n\n```python\nx = '<script>'\n```"
    rendered = Renderer(field_names()).render(note(tmp_path, front=text), Problems())
    front = rendered.fields["Front"]
    assert "<script>" not in front
    assert "<span class=\"s1\">'&lt;script&gt;'</span>" in front


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("1. Intro", "1. Intro"),
        (">>> 1 + 1", "&gt;&gt;&gt; 1 + 1"),
        ("- dash first", "- dash first"),
        ("# not a heading", "# not a heading"),
        ("2024 was a year", "2024 was a year"),
    ],
)
def test_source_title_stays_one_line_of_text(tmp_path: Path, title: str, shown: str) -> None:
    rendered = Renderer(field_names()).render(note(tmp_path, front=title), Problems())
    assert rendered.fields["Source"].endswith(f'<span class="at-source-title">{shown}</span>')


def test_source_title_is_the_text_of_a_heading_with_a_reference_link(write_notes) -> None:
    """The heading in the Source field is its plain text: a link (one to the file's
    references too) is its text; the front keeps the link."""
    text = (
        "## What does [PEP 8][pep] say?\nContext.\n-\nStyle.\n\n[pep]: https://peps.python.org/\n"
    )
    root = write_notes({"n.md": text})
    problems = Problems()
    (rendered,) = pipeline.render_notes(
        pipeline.parse_sources([(root / "n.md", root)], None, problems), problems
    )
    link = '<a href="https://peps.python.org/" rel="noopener noreferrer">PEP 8</a>'
    assert rendered.fields["Source"].endswith('title">What does PEP 8 say?</span>')
    assert rendered.note.title == "What does PEP 8 say?"  # as the lock keeps it
    assert rendered.fields["Front"].startswith(f"<p>What does {link} say?</p>")


def test_every_card_under_a_heading_with_an_image_collects_the_image(write_notes) -> None:
    """Headings are rendered once per file, except one showing an image: each card
    under it must bring the image into the deck itself."""
    root = write_notes({"n.md": "# Topic ![](dot.png)\n\n## Q1\n\nA\n\n## Q2\n\nB\n"})
    (root / "dot.png").write_bytes(PNG_BYTES)
    problems = Problems()
    notes = pipeline.parse_sources(pipeline.find_sources([root]), None, problems)
    rendered = pipeline.render_notes(notes, problems)
    assert not problems.items
    assert [len(r.media) for r in rendered] == [1, 1]
    assert all("<img" in r.context[1] for r in rendered)


def test_the_source_path_is_found_again_in_another_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One relative path can be another file from another working folder (here a link
    out of the root): the Source field must not come from what the first one cached."""
    (tmp_path / "one" / "topic").mkdir(parents=True)
    (tmp_path / "two").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "two" / "topic").symlink_to(tmp_path / "elsewhere")
    moved = Note(Kind.BASIC, "Q", "A", "", "d", (), Source(Path("topic/n.md"), 1), "Q", Path("."))
    shown = []
    for folder in ("one", "two"):
        monkeypatch.chdir(tmp_path / folder)
        shown.append(Renderer(field_names()).render(moved, Problems()).fields["Source"])
    assert shown == [
        '<span class="at-source-file">topic/n.md</span> › <span class="at-source-title">Q</span>',
        '<span class="at-source-file">n.md</span> › <span class="at-source-title">Q</span>',
    ]


def test_a_rendered_note_keeps_no_markdown_but_its_front(tmp_path: Path) -> None:
    """After rendering, the fields are the HTML: the Markdown back and hint, their parsed
    parts and a notebook's attachments are let go (every note of a build is held until
    its deck is written); the front stays for identity and the near-duplicate check."""
    parsed = Note(
        Kind.BASIC, "Q *front*", "The *back*", "A *hint*", "d", (), Source(tmp_path / "n.md", 1),
        "Q", tmp_path, attachments={"pic.png": b"bytes"},
    )  # fmt: skip
    rendered = Renderer(field_names()).render(parsed, Problems())
    assert rendered.fields["Back"] == "<p>The <em>back</em></p>"
    assert rendered.fields["Hint"] == "<p>A <em>hint</em></p>"
    kept = rendered.note
    assert (kept.front, kept.back, kept.hint, kept.parts, kept.attachments) == (
        "Q *front*", "", "", None, {}
    )  # fmt: skip
    assert (kept.source, kept.title, kept.deck) == (parsed.source, parsed.title, parsed.deck)


def test_a_cloze_note_made_in_code_is_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note without parsed parts (made in code) is parsed when it is rendered, and its
    cards are counted from that parse, not from a second one."""
    cloze = note(tmp_path, front="The {{c1::list}} and the {{c2::tuple}}", kind=Kind.CLOZE)
    parses: list[str] = []
    parse = engine.parse

    def counted(text: str, *args: Any, **kwargs: Any) -> Any:
        parses.append(text)
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(engine, "parse", counted)
    body.parts_of(cloze)
    once = list(parses)
    parses.clear()
    rendered = Renderer(field_names()).render(cloze, Problems())
    assert rendered.cards == 2
    assert parses == once
