"""Golden tests: card-body Markdown → the HTML stored in the note's fields.

render.txt holds the card grammar; gfm.txt holds CommonMark + GFM as people write it
on GitHub and in Jupyter (nesting by 2, 3 or 4 spaces, HTML blocks, task lists, …);
obsidian.txt holds Obsidian's highlights, links, callouts and comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from anki_tools.errors import Problems
from anki_tools.notes import Kind, Note, Source
from anki_tools.render.media import MediaCollector
from anki_tools.render.renderer import Renderer
from anki_tools.templates import field_names

from fixture_file import Case, check_case, read_cases

GOLDENS = Path(__file__).parent / "goldens" / "render.txt"
CASES = read_cases(GOLDENS)
GFM_GOLDENS = Path(__file__).parent / "goldens" / "gfm.txt"
GFM_CASES = read_cases(GFM_GOLDENS)
OBSIDIAN_GOLDENS = Path(__file__).parent / "goldens" / "obsidian.txt"
OBSIDIAN_CASES = read_cases(OBSIDIAN_GOLDENS)


def render(text: str, tmp_path: Path) -> str:
    note = Note(Kind.BASIC, text, "", "", "d", (), Source(tmp_path / "n.md", 1), "t", tmp_path)
    problems = Problems()
    renderer = Renderer(field_names())
    renderer.render(note, problems)  # sets the note that warnings are reported against
    return renderer.to_html(text, MediaCollector(note, problems))


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_render_golden(case: Case, tmp_path: Path, update_goldens: bool) -> None:
    check_case(case, render(case.input, tmp_path), GOLDENS, CASES, update_goldens)


@pytest.mark.parametrize("case", GFM_CASES, ids=[c.title for c in GFM_CASES])
def test_gfm_golden(case: Case, tmp_path: Path, update_goldens: bool) -> None:
    check_case(case, render(case.input, tmp_path), GFM_GOLDENS, GFM_CASES, update_goldens)


@pytest.mark.parametrize("case", OBSIDIAN_CASES, ids=[c.title for c in OBSIDIAN_CASES])
def test_obsidian_golden(case: Case, tmp_path: Path, update_goldens: bool) -> None:
    actual = render(case.input, tmp_path)
    check_case(case, actual, OBSIDIAN_GOLDENS, OBSIDIAN_CASES, update_goldens)
