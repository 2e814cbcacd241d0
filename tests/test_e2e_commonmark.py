"""End to end: CommonMark + GFM notes as GitHub and Jupyter show them, read back from Anki.

Each test builds a small notes folder (or notebook) with the real pipeline or CLI, imports
the deck into a real Anki collection and asserts on what Anki renders for the learner:
`card.question()` and `card.answer()`, with Anki's own cloze handling applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from anki_tools import build
from anki_tools.cli import main

from anki_collection import AnkiProfile, ShownCard
from conftest import FIXED_TIME, WriteNotes

pytestmark = pytest.mark.e2e

ANSWER_RULE = '<hr id="answer">'
KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}
Shown = dict[str, list[ShownCard]]
MakeCards = Callable[[str], Shown]


# --- helpers ------------------------------------------------------------------------------


def title_of(card: ShownCard) -> str:
    """The card's heading (or first cell line) as its Source field names it, tags removed."""
    return re.sub(r"<[^>]+>", "", card.fields["Source"]).split("›", 1)[-1].strip()


def by_title(cards: list[ShownCard]) -> Shown:
    shown: Shown = {}
    for card in sorted(cards, key=lambda c: c.ord):
        shown.setdefault(title_of(card), []).append(card)
    return shown


def import_built(anki: AnkiProfile, deck: Path, notes: int) -> Shown:
    assert anki.import_deck(deck) == (notes, 0, 0)
    return by_title(anki.cards())


@pytest.fixture
def cards_of(write_notes: WriteNotes, tmp_path: Path, anki: AnkiProfile) -> MakeCards:
    """Build one notes file with `build()`, import it, return Anki's cards by title."""

    def make(notes: str) -> Shown:
        root = write_notes({"commonmark/notes.md": notes})
        output = tmp_path / "out" / "commonmark.apkg"
        result = build([root], output, timestamp=FIXED_TIME)
        assert result.written and not result.problems, [str(p) for p in result.problems]
        return import_built(anki, output, result.notes)

    return make


def only(shown: Shown, title: str) -> ShownCard:
    (card,) = shown[title]
    return card


def back_of(card: ShownCard) -> str:
    """What the back adds under the answer rule."""
    _, rule, after = card.answer.partition(ANSWER_RULE)
    assert rule, f"no answer rule on the back: {card.answer}"
    return after


def text(html: str) -> str:
    """The text a learner reads: tags (and the attributes in them) removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def squeezed(html: str) -> str:
    """HTML without its line breaks, so the nesting of blocks can be matched exactly."""
    return re.sub(r"\s*\n\s*", "", html)


def without_cloze_data(html: str) -> str:
    """Anki keeps the hidden text in a data-cloze attribute; the learner does not see it."""
    return re.sub(r' data-cloze="[^"]*"', "", html)


# --- lists ---------------------------------------------------------------------------------

NESTED_LISTS = {
    "two spaces (GitHub, Jupyter)": (
        "- outer\n  - inner\n    - innermost\n- last\n",
        "<ul><li>outer<ul><li>inner<ul><li>innermost</li></ul></li></ul></li><li>last</li></ul>",
    ),
    "three spaces under a numbered item": (
        "1. outer\n   - inner\n2. last\n",
        "<ol><li>outer<ul><li>inner</li></ul></li><li>last</li></ol>",
    ),
    "four spaces": (
        "- outer\n    - inner\n- last\n",
        "<ul><li>outer<ul><li>inner</li></ul></li><li>last</li></ul>",
    ),
}


@pytest.mark.parametrize("name", list(NESTED_LISTS))
def test_nested_lists_stay_nested(cards_of: MakeCards, name: str) -> None:
    source, nested = NESTED_LISTS[name]
    card = only(cards_of(f"## Nested list\n\n{source}"), "Nested list")
    back = squeezed(back_of(card))
    assert nested in back
    assert "- inner" not in card.answer and "- innermost" not in card.answer


# --- separator lines ------------------------------------------------------------------------


def test_dash_right_under_a_text_line_splits_front_and_back(cards_of: MakeCards) -> None:
    card = only(
        cards_of("## Sorting\nWhat does `sorted(xs)` return?\n-\nA **new** list.\n"), "Sorting"
    )
    assert "<h2>" not in card.question and "<h2>" not in card.answer  # no setext heading
    assert "<p>What does <code>sorted(xs)</code> return?</p>" in card.question
    assert "new" not in text(card.question)
    assert "<p>A <strong>new</strong> list.</p>" in back_of(card)
    assert card.fields["Back"] == "<p>A <strong>new</strong> list.</p>"


def test_dash_right_after_a_list_item_splits_front_and_back(cards_of: MakeCards) -> None:
    card = only(cards_of("## Falsy\nWhich are falsy?\n- `None`\n-\nAlso `0`.\n"), "Falsy")
    question = squeezed(card.question)
    assert "<p>Which are falsy?</p><ul><li><code>None</code></li></ul>" in question
    assert question.count("<li") == 1  # the `-` line made no second, empty item
    assert "<li></li>" not in squeezed(card.answer)
    assert "Also" not in text(card.question)
    assert "<p>Also <code>0</code>.</p>" in back_of(card)


# --- raw HTML --------------------------------------------------------------------------------


def test_markdown_inside_details_after_a_blank_line_renders(cards_of: MakeCards) -> None:
    notes = (
        "## Smallest item\n\n<details>\n<summary>Answer</summary>\n\n"
        "**min** is the answer\n\n</details>\n"
    )
    back = back_of(only(cards_of(notes), "Smallest item"))
    assert re.search(
        r"<details>\s*<summary>Answer</summary>\s*<p><strong>min</strong> is the answer</p>"
        r"\s*</details>",
        back,
    )
    assert "**" not in back


def test_unclosed_div_leaves_the_rest_of_the_card_markdown(cards_of: MakeCards) -> None:
    notes = "## Unclosed\n\n<div>\nin a div\n\n**bold** after\n\n- an item\n"
    card = only(cards_of(notes), "Unclosed")
    back = back_of(card)
    assert "<strong>bold</strong> after" in back and "**" not in back
    assert "<li>an item</li>" in back and "- an item" not in back
    field = card.fields["Back"]
    assert field.count("<div") == field.count("</div>")  # closed inside its own field


def test_unclosed_div_does_not_swallow_the_next_card(cards_of: MakeCards) -> None:
    notes = "## First\n<div>\nin a div\n## Second\nAnswer two.\n"
    shown = cards_of(notes)
    assert sorted(shown) == ["First", "Second"]
    assert "## Second" not in only(shown, "First").answer
    assert "Answer two." in back_of(only(shown, "Second"))


HASH_LINES_IN_CLOSED_HTML = {
    "a <pre> block": ("<pre>\n# as root\npip install x\n</pre>\n", "pip install x"),
    "an HTML comment": ("Text.\n<!--\n# TODO: expand\n-->\nMore text.\n", "More text."),
}


@pytest.mark.parametrize("name", list(HASH_LINES_IN_CLOSED_HTML))
def test_hash_line_inside_closed_raw_html_is_no_heading(cards_of: MakeCards, name: str) -> None:
    """`<pre>` and `<!-- -->` end at their closing tag, not at a `#` line inside them."""
    source, kept = HASH_LINES_IN_CLOSED_HTML[name]
    shown = cards_of(f"## Raw HTML\n{source}\n## Next\nB.\n")
    assert sorted(shown) == ["Next", "Raw HTML"]
    back = back_of(only(shown, "Raw HTML"))
    assert kept in back
    assert "<h1>" not in back


# --- GFM ---------------------------------------------------------------------------------------


def test_task_lists_show_checkbox_glyphs_and_no_input(cards_of: MakeCards) -> None:
    card = only(cards_of("## Release\n\n- [ ] tag pushed\n- [x] tests pass\n"), "Release")
    back = back_of(card)
    assert '<span class="at-task">☐</span> tag pushed' in back
    assert '<span class="at-task at-task-done">☑</span> tests pass' in back
    assert "<input" not in card.answer and "<input" not in card.fields["Back"]
    assert "[ ]" not in back and "[x]" not in back


def test_bare_urls_and_www_become_links(cards_of: MakeCards) -> None:
    back = back_of(
        only(cards_of("## Docs\n\nSee https://example.com/a?b=1 and www.example.org.\n"), "Docs")
    )
    assert re.search(
        r'<a href="https://example\.com/a\?b=1"[^>]*>https://example\.com/a\?b=1</a>', back
    )
    assert re.search(r'<a href="https?://www\.example\.org"[^>]*>www\.example\.org</a>\.', back)


def test_backslash_hard_break_is_a_br(cards_of: MakeCards) -> None:
    back = back_of(only(cards_of("## Break\n\nline one\\\nline two\n"), "Break"))
    assert re.search(r"line one<br\s*/?>\s*line two", back)
    assert "\\" not in back


def test_table_strikethrough_and_footnote(cards_of: MakeCards) -> None:
    notes = (
        "## GFM\n\n| left | right |\n|:-----|------:|\n| `a`  | **b** |\n\n"
        "~~gone~~ stays readable.\n\nA claim[^src].\n\n[^src]: The source.\n"
    )
    back = back_of(only(cards_of(notes), "GFM"))
    assert '<th style="text-align:left">left</th>' in back
    assert '<td style="text-align:right"><strong>b</strong></td>' in back
    assert "|" not in text(back)
    assert re.search(r"<(s|del)>gone</\1> stays readable", back) and "~~" not in back
    assert re.search(r'A claim<sup class="footnote-ref"><a href="#(fn[^"]+)"[^>]*>', back)
    assert re.search(r'<li id="fn[^"]*" class="footnote-item"><p>The source\.', back)
    assert "[^src]" not in back


def test_footnotes_on_front_and_back_have_distinct_ids(cards_of: MakeCards) -> None:
    """Both footnote lists are on the back page: a link must reach its own note."""
    notes = (
        "## Claims\nFront claim[^a].\n\n[^a]: front note\n-\nBack claim[^b].\n\n[^b]: back note\n"
    )
    answer = only(cards_of(notes), "Claims").answer
    assert "front note" in answer and "back note" in answer
    ids = re.findall(r'\sid="([^"]+)"', answer)
    assert len(ids) == len(set(ids)), f"repeated ids on the back: {sorted(ids)}"


# --- code --------------------------------------------------------------------------------------


def test_hash_comment_in_a_bash_fence_is_code_not_a_card(
    write_notes: WriteNotes, tmp_path: Path, anki: AnkiProfile
) -> None:
    root = write_notes(
        {
            "shell.md": (
                "# Shell\n\n## List files\n\n```bash\n# list them all\nls -la\n```\n\n"
                "## Print a variable\n\n`echo $HOME`\n"
            )
        }
    )
    output = tmp_path / "shell.apkg"
    result = CliRunner().invoke(main, ["build", str(root), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "2 notes" in result.output
    shown = import_built(anki, output, 2)
    assert sorted(shown) == ["List files", "Print a variable"]
    back = back_of(only(shown, "List files"))
    assert '<span class="c1"># list them all</span>' in back
    assert "<h1>" not in back


def test_quote_lines_in_indented_code_stay_code(cards_of: MakeCards) -> None:
    notes = "## Log format\n\nThe log shows:\n\n    (Q)\n    not a quote\n    (Q)\n"
    card = only(cards_of(notes), "Log format")
    assert "at-quote" not in card.answer
    assert re.search(r"<code>\(Q\)\nnot a quote\n\(Q\)\n</code>", back_of(card))


# --- math --------------------------------------------------------------------------------------


def test_inline_math_with_underscore_and_star_is_untouched(cards_of: MakeCards) -> None:
    back = back_of(only(cards_of("## Product\n\n$x_1*y$ and $a_1*b_2$\n"), "Product"))
    assert '<span class="arithmatex">\\(x_1*y\\)</span>' in back
    assert '<span class="arithmatex">\\(a_1*b_2\\)</span>' in back
    assert "<em>" not in back and "$" not in back


def test_display_math_inside_a_paragraph(cards_of: MakeCards) -> None:
    back = back_of(only(cards_of("## Sum\n\nInline $$\\sum_i x_i$$ display\n"), "Sum"))
    assert '<p>Inline <span class="arithmatex">\\[\\sum_i x_i\\]</span> display</p>' in back
    assert "<em>" not in back and "$$" not in back


def test_fraction_with_nested_braces_in_a_basic_card_is_no_type_in(cards_of: MakeCards) -> None:
    # `}}}}` closes the math: no "unbalanced type-in" (cards_of asserts a build without problems)
    card = only(cards_of("## Init scale\n\nScale by $\\frac{1}{\\sqrt{N_{in}}}$.\n"), "Init scale")
    assert card.note_type == "anki-tools Basic"
    assert "\\(\\frac{1}{\\sqrt{N_{in}}}\\)" in back_of(card)
    assert "at-typein" not in card.answer


def test_cloze_around_math_hides_the_whole_math(cards_of: MakeCards) -> None:
    card = only(cards_of("## Scale\n\nScale by {{c1::$\\frac{1}{\\sqrt{n}}$}} at init.\n"), "Scale")
    assert card.note_type == "anki-tools Cloze"
    question = without_cloze_data(card.question)
    assert '<p>Scale by <span class="cloze" data-ordinal="1">[...]</span> at init.</p>' in question
    for leak in ("\\frac", "}}", "\\)", "sqrt"):
        assert leak not in question, f"{leak!r} shows on the question side: {question}"
    shown = re.search(
        r'Scale by <span class="cloze" data-ordinal="1"><span class="arithmatex">(.*?)</span>'
        r"</span> at init\.",
        card.answer,
    )
    assert shown, card.answer
    assert re.sub(r"\s", "", shown.group(1)) == "\\(\\frac{1}{\\sqrt{n}}\\)"
    assert "}}" not in card.answer and "{{c1::" not in card.answer


# --- a notebook --------------------------------------------------------------------------------


def test_notebook_cell_with_nested_lists_task_list_and_dash_split(
    tmp_path: Path, anki: AnkiProfile
) -> None:
    notebook = new_notebook(metadata=KERNEL)
    notebook.cells = [
        new_markdown_cell("# Lists"),
        new_markdown_cell(
            "Which values are falsy?\n- `None`\n  - and `False`\n    - and `0`\n-\nAll of them."
        ),
        new_markdown_cell("Release checklist:\n- [x] tests pass\n- [ ] tag pushed\n-\nPush it."),
        new_markdown_cell("Capital of France?\n-\nParis"),
        new_code_cell("# a comment, not a heading\nx = 1"),
    ]
    path = tmp_path / "nb" / "lists.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    result = build([path], tmp_path / "lists.apkg", timestamp=FIXED_TIME)
    assert result.written and not result.problems, [str(p) for p in result.problems]
    shown = import_built(anki, tmp_path / "lists.apkg", 3)
    assert sorted(shown) == ["Capital of France?", "Release checklist:", "Which values are falsy?"]

    falsy = only(shown, "Which values are falsy?")
    assert (
        "<p>Which values are falsy?</p><ul><li><code>None</code><ul><li>and <code>False</code>"
        "<ul><li>and <code>0</code></li></ul></li></ul></li></ul>"
    ) in squeezed(falsy.question)
    assert "- and" not in falsy.question and "<li></li>" not in squeezed(falsy.question)
    assert "All of them" not in falsy.question
    assert "<p>All of them.</p>" in back_of(falsy)

    tasks = only(shown, "Release checklist:")
    assert '<span class="at-task at-task-done">☑</span> tests pass' in tasks.question
    assert '<span class="at-task">☐</span> tag pushed' in tasks.question
    assert "<input" not in tasks.answer and "Push it" not in tasks.question
    assert "<p>Push it.</p>" in back_of(tasks)

    capital = only(shown, "Capital of France?")
    assert "<h2>" not in capital.question and "<h2>" not in capital.answer
    assert "<p>Capital of France?</p>" in capital.question and "Paris" not in capital.question
    assert "<p>Paris</p>" in back_of(capital)
