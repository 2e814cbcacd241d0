"""Property-based fuzzing of the Markdown parser and the card grammar (hypothesis).

House rule: every input is hostile, no traceback ever reaches a user, and every problem
reads `path:line: message`. The inputs are built from a grammar of fragments people
really write and that collide with our markers (headings with attribute lists,
separator lines, fences with options, HTML blocks, lists, quotes, tables, dollar and
bracket math, cloze, type-in, spoilers, quote boxes, URLs, Unicode and control
characters, long lines), plus fully random text. Each property checks behaviour: the
shape and line of every problem, where cards and sides split, what the sanitizer lets
through, which note type a card gets, and that the same input builds the same cards.

The examples are derandomized, so CI never flakes. To hunt for new bugs with fresh
random examples (and more of them):

    ANKI_TOOLS_FUZZ=hunt ANKI_TOOLS_FUZZ_SCALE=20 .venv/bin/python -m pytest \
        tests/test_fuzz_grammar.py
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anki_tools import pipeline, templates
from anki_tools.errors import Problem, Problems, Severity
from anki_tools.notes import Kind, Note, RenderedNote, display_path
from anki_tools.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from anki_tools.sharing import identity
from anki_tools.syntax import titles

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
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# --- building a notes file ----------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """One notes file through the pipeline: parse, then render."""

    text: str
    notes: list[Note]
    rendered: list[RenderedNote]
    problems: list[Problem]
    shown: list[str]  # str() of each problem, as the user reads it
    display: str  # the file as problems name it
    cards: list[int]  # cards per rendered note

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    def messages(self) -> list[str]:
        """The problems without the file's place (to compare two builds)."""
        return [shown.replace(self.display, "notes.md") for shown in self.shown]

    def lines_of(self, kind: str) -> set[int | None]:
        """Lines of the errors whose message starts with `kind`."""
        return {p.source.line for p in self.errors if p.message.startswith(kind)}


def build(text: str, name: str = "notes.md") -> Built:
    """Write `text` as a notes file in a fresh folder and run it through the pipeline."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        problems = Problems()
        notes = pipeline.parse_sources([(path, root)], None, problems)
        rendered = pipeline.render_notes(notes, problems)
        cards = [item.cards for item in rendered]
        shown = [str(problem) for problem in problems.items]
        return Built(text, notes, rendered, list(problems.items), shown, display_path(path), cards)


def line_count(text: str) -> int:
    """Lines of a file as an editor numbers them (a last newline starts no line)."""
    normal = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return max(1, normal.count("\n") + (not normal.endswith("\n")))


PROBLEM_TAIL_RE = re.compile(r"(?P<line>\d+): (?:warning: )?(?P<message>\S.*)")
NO_CARDS = "warning: no cards found"  # the one problem about a whole file


def assert_problems_name_their_line(built: Built) -> None:
    """Every problem is `path:line: message` on one line, with a line of the file."""
    lines = line_count(built.text)
    for shown in built.shown:
        assert shown.startswith(built.display + ":"), shown
        tail = shown[len(built.display) + 1 :]
        if tail.startswith(" " + NO_CARDS):
            assert not built.notes, shown
            continue
        match = PROBLEM_TAIL_RE.fullmatch(tail)
        assert match, f"not `path:line: message` on one line: {shown!r}"
        assert 1 <= int(match.group("line")) <= lines, f"line out of 1..{lines}: {shown!r}"
        assert "Traceback" not in shown


# --- what a rendered field may hold -------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "background"}
URL_ATTRIBUTES |= {"cite", "longdesc", "data", "xlink:href", "lowsrc", "dynsrc", "ping"}
SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*:")
SAFE_SCHEMES = ("http:", "https:", "mailto:")
DANGEROUS_TAG_RE = re.compile(
    r"<\s*/?\s*(?:script|input|iframe|frame|object|embed|style|form|button|svg|math|base"
    r"|meta|link|textarea|noscript|template)\b",
    re.IGNORECASE,
)
SQUEEZE_RE = re.compile(r"[\x00-\x20\x7f]+")


class HtmlAudit(HTMLParser):
    """Collects whatever in a field's HTML the sanitizer should have taken out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.faults.append(f"comment <!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.faults.append(f"declaration <!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.faults.append(f"declaration <![{data}]>")

    def handle_pi(self, data: str) -> None:
        self.faults.append(f"processing instruction <?{data}>")

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.faults.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        allowed = allowed | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            squeezed = SQUEEZE_RE.sub("", value or "").lower()
            if name.startswith("on") or name not in allowed:
                self.faults.append(f"attribute {name}= on <{tag}>")
            unsafe_url = SCHEME_RE.match(squeezed) and not squeezed.startswith(SAFE_SCHEMES)
            if name in URL_ATTRIBUTES and unsafe_url:
                self.faults.append(f"{name}={value!r} on <{tag}>")
            # A style may fetch with url(); nh3 keeps `color:expression(…)`, which only old
            # Internet Explorer ran, and `javascript:` in a text attribute (title) is text.
            if name == "style" and "url(" in squeezed:
                self.faults.append(f"style={value!r} on <{tag}>")


def html_faults(markup: str) -> list[str]:
    audit = HtmlAudit()
    audit.feed(markup)
    audit.close()
    faults = audit.faults
    faults += [f"raw {m.group(0)!r}" for m in DANGEROUS_TAG_RE.finditer(markup)]
    return faults


def assert_fields_are_clean(built: Built) -> None:
    for item in built.rendered:
        for name, markup in item.fields.items():
            faults = html_faults(markup)
            assert not faults, f"{name}: {faults}\n{markup}"


# --- fragments people write -----------------------------------------------------------------

# Words with no card marker and nothing that opens a block at the start of a line.
PLAIN = [
    "word",
    "answer",
    "über",
    "naïve",
    "数学",
    "Ωmega",
    "x",
    "a_b",
    "C++",
    "it's",
    "42",
    "3.14",
    "e.g.",
    "#hashtag",
    "->",
    "&amp;",
    "f(x)",
    "🙂",
    "👩‍👩‍👧",
    "e\u0301",
    "no\u00a0break",
    "a\\b",
    "*em*",
    "**strong**",
    "~~gone~~",
    "`code`",
    "`{x}`",
    "`$HOME`",
    "$x$",
    "$x_1*y_2$",
    "[link](https://example.org/a_(b))",
    "https://example.org/path?q=1",
    "www.example.org",
    "me@example.org",
    "<kbd>K</kbd>",
    "<b>bold</b>",
]
# Braces people write that are no markers: Jinja, dict literals, LaTeX in math.
BRACES = ["{{ name }}", "{x}", "{}", "`{{ x }}`", "$a^{b^{c}}}$", "$\\frac{1}{2^{n}}$"]
# Everything that collides with the card grammar, balanced or not.
HOSTILE = [
    "{{c1::w}}",
    "{{c2::w::hint}}",
    "{{c1::",
    "{{c12::x",
    "}}",
    "::",
    "{{c1::$x$}}",
    "{{c1::a {{c2::b}} c}}",
    "{{{w}}}",
    "{{{",
    "}}}",
    "{{{a b}}}",
    "{{{}}}",
    "(S)",
    "(S)w(S)",
    "(Q)",
    "`",
    "``a ` b``",
    "`{{c1::x}}`",
    "`{{{x}}}`",
    "`}}}`",
    "$",
    "$$",
    "$5",
    "$5 and $10",
    "\\$",
    "$$\\sum_i x_i$$",
    "\\(x\\)",
    "\\[x\\]",
    "\\(",
    "\\]",
    "$x{{c1::y$",
    "$`a`$",
    "[w][ref]",
    "[w]: https://example.org",
    "![img](missing.png)",
    "![i](https://example.org/i.png)",
    "<https://example.org>",
    "<me@example.org>",
    "http://",
    "https://https://",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "[^1]",
    "[^nope]",
    "<span class='x'>",
    "</div>",
    "<br>",
    "<!--",
    "-->",
    "&#0;",
    "&nbsp;",
    "\\",
    "\\{{c1::x}}",
    "{#id}",
    "{.reverse}",
    "|",
    "\\|",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x7f",
    "\u2028",
    "\u0085",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\t",
    "\ue000",
    "\ue0000\ue001",
    "\ue0100\ue011",
]
LANGUAGES = ["", "python", "py", "text", "bash", "js", "sql", "nosuchlang", "{.python}"]
LANGUAGES += ["math", "mermaid", "diff", "at-html"]
FENCE_OPTIONS = ["", ' hl_lines="1"', " hl_lines='1 3-5'", " linenums", ' linenums="5"']
FENCE_OPTIONS += [" literal", ' literal hl_lines="2"', ' hl_lines="x-"', " linenums=abc"]
SEPARATORS = ["-", "-h", "-i"]

plain_words = st.lists(st.sampled_from(PLAIN), min_size=1, max_size=6).map(" ".join)
# (plain words weigh more: a card with an unbalanced marker is left out, unrendered)
hostile_atom = st.one_of(
    st.sampled_from(PLAIN),
    st.sampled_from(PLAIN),
    st.sampled_from(PLAIN),
    st.sampled_from(BRACES),
    st.sampled_from(HOSTILE),
    st.text(max_size=8),
)
atoms_line = st.lists(hostile_atom, max_size=8).flatmap(
    lambda atoms: st.sampled_from(["", " ", " ", "\t"]).map(lambda sep: sep.join(atoms))
)
# a very long line of one atom (linear time is measured by benchmarks/bench_linear.py)
long_line = st.tuples(st.sampled_from(HOSTILE + PLAIN), st.integers(100, 400)).map(
    lambda pair: pair[0] * pair[1]
)
hostile_line = st.one_of(atoms_line, atoms_line, atoms_line, st.text(max_size=40), long_line)


def indent(spaces: int, lines: list[str]) -> list[str]:
    return [" " * spaces + line if line else line for line in lines]


@st.composite
def fence(
    draw: st.DrawFn,
    body: st.SearchStrategy[str],
    closed: bool | None = True,
    options: list[str] | None = None,
    most_indent: int = 3,
) -> list[str]:
    """A fenced code block; `closed=None` draws whether it is closed."""
    char = draw(st.sampled_from("`~"))
    length = draw(st.integers(3, 5))
    spaces = draw(st.integers(0, most_indent))
    info = draw(st.sampled_from(LANGUAGES)) + draw(st.sampled_from(options or FENCE_OPTIONS))
    lines = draw(st.lists(body, max_size=4))
    is_closed = draw(st.booleans()) if closed is None else closed
    closing = [" " * draw(st.integers(0, 3)) + char * draw(st.integers(length, 6))]
    return [" " * spaces + char * length + info, *lines, *(closing if is_closed else [])]


def code_line(line: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A line of code that cannot close the fence it is in."""
    return line.filter(lambda text: not re.match(r"\s*(`{3,}|~{3,})", text))


@st.composite
def bullet_list(draw: st.DrawFn, line: st.SearchStrategy[str]) -> list[str]:
    """Items nested by 1 to 4 spaces, with task boxes and numbers."""
    items = []
    for _ in range(draw(st.integers(1, 4))):
        depth = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 6, 8]))
        marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)"]))
        task = draw(st.sampled_from(["", "", " [ ]", " [x]", " [X]"]))
        items.append(f"{' ' * depth}{marker}{task} {draw(line)}")
    return items


@st.composite
def block_quote(draw: st.DrawFn, line: st.SearchStrategy[str]) -> list[str]:
    alert = draw(st.sampled_from(["", "", "[!NOTE]", "[!WARNING]", "[!bogus]"]))
    lines = [alert] if alert else []
    lines += [draw(line) for _ in range(draw(st.integers(1, 3)))]
    return [draw(st.sampled_from(["> ", ">", "> > "])) + text for text in lines]


@st.composite
def table(draw: st.DrawFn, cell: st.SearchStrategy[str]) -> list[str]:
    columns = draw(st.integers(1, 3))
    rows = draw(st.integers(0, 3))

    def row() -> str:
        return "| " + " | ".join(draw(cell) for _ in range(columns)) + " |"

    rule = "|" + "|".join(
        draw(st.sampled_from(["---", ":--", "--:", ":-:"])) for _ in range(columns)
    )
    return [row(), rule + "|", *[row() for _ in range(rows)]]


def html_block(line: st.SearchStrategy[str], closed: bool = True) -> st.SearchStrategy[list[str]]:
    closed_blocks = st.one_of(
        line.map(lambda text: ["<details>", "<summary>Why?</summary>", "", text, "</details>"]),
        line.map(lambda text: ["<div>", text, "</div>"]),
        line.map(lambda text: ['<div class="note" markdown="1">', "", text, "", "</div>"]),
        line.map(lambda text: ["<pre>", text, "</pre>"]),
        line.map(lambda text: ["<!--", text, "-->"]),
        line.map(lambda text: [f"<!-- {text} -->"]),
        line.map(lambda text: [f"<table><tr><td>{text}</td></tr></table>"]),
    )
    if closed:
        return closed_blocks
    open_blocks = st.one_of(
        st.just(["<div>"]),
        line.map(lambda text: ["<details>", "<summary>Open</summary>", text]),
        line.map(lambda text: ["<pre>", text]),
        line.map(lambda text: ["<!--", text]),
        line.map(lambda text: ["<script>", text]),
        line.map(lambda text: ["<style>", text]),
        line.map(lambda text: ["<textarea>", text]),
        line.map(lambda text: ["<?php", text]),
        line.map(lambda text: ["<![CDATA[", text]),
    )
    return st.one_of(closed_blocks, open_blocks)


def math_block(line: st.SearchStrategy[str], closed: bool = True) -> st.SearchStrategy[list[str]]:
    blocks = [
        line.map(lambda text: ["$$", text, "$$"]),
        line.map(lambda text: ["\\begin{align}", text, "\\end{align}"]),
    ]
    if not closed:
        blocks += [line.map(lambda text: ["$$", text]), line.map(lambda text: ["\\[", text])]
    return st.one_of(*blocks)


def heading(text: st.SearchStrategy[str], levels: tuple[int, ...] = (1, 2, 3, 4, 5, 6)):
    attributes = st.sampled_from(
        ["", "", " {#some-id}", " {.reverse}", ' {#x .reverse tags="a b"}', " {: #c}", " {1, 2}"]
    )
    closing = st.sampled_from(["", "", " ##", " #"])
    return st.builds(
        lambda spaces, level, words, attrs, end: f"{' ' * spaces}{'#' * level} {words}{attrs}{end}",
        st.sampled_from([0, 0, 0, 1, 3]),
        st.sampled_from(levels),
        text,
        attributes,
        closing,
    )


def separator_line() -> st.SearchStrategy[str]:
    return st.builds(
        lambda mark, trailing: mark + trailing,
        st.sampled_from(SEPARATORS),
        st.sampled_from(["", "", " ", "  ", "\t", " \t "]),
    )


FRONT_MATTER = [
    "---\ntags: [python, a::b]\n---",
    "---\ndeck: x::y\ncard_level: 3\nreverse: true\nurl: https://example.org\n---",
    '---\nurl: "javascript:alert(1)"\n---',
    '---\nurl: "https://x.org/\\" onmouseover=\\"alert(1)"\n---',
    "---\ncard_level: 7\n---",
    "---\ncard_level: true\n---",
    "---\ntags: {a: 1}\n---",
    "---\nreverse: maybe\n---",
    "---\n: : bad: [yaml\n---",
    "---\n- a list\n---",
    "---\nnever closed",
    "---\nunknown: 1\n...",
]


def hostile_fragment() -> st.SearchStrategy[list[str]]:
    line = hostile_line
    body = code_line(st.one_of(hostile_line, separator_line(), heading(plain_words)))
    return st.one_of(
        st.lists(line, min_size=1, max_size=3),  # a paragraph
        heading(st.one_of(plain_words, hostile_line)).map(lambda text: [text]),
        st.sampled_from(["#", "##", "## ", "###### x", "####### seven", "#hashtag"]).map(
            lambda text: [text]
        ),
        separator_line().map(lambda text: [text]),
        st.sampled_from([" -", "    -", "--", "---", "- ", "-x", "-H", "-i -h"]).map(
            lambda text: [text]
        ),
        plain_words.map(lambda text: [text, "==="]),
        plain_words.map(lambda text: [text, "---"]),
        fence(body, closed=None),
        fence(body),
        st.lists(line, min_size=1, max_size=3).map(lambda lines: ["", *indent(4, lines)]),
        bullet_list(line),
        block_quote(line),
        table(line.map(lambda text: text.replace("\n", " "))),
        html_block(line, closed=False),
        math_block(line, closed=False),
        st.tuples(line, line).map(lambda pair: ["(Q)", pair[0], "(Q)", pair[1], "(Q)"]),
        line.map(lambda text: ["(Q)", text]),
        line.map(lambda text: [text, ": a definition"]),
        line.map(lambda text: ["[^1]: " + text]),
        st.just([""]),
    )


@st.composite
def hostile_document(draw: st.DrawFn) -> str:
    """A notes file of hostile fragments, its line endings and BOM drawn too."""
    lines: list[str] = []
    if draw(st.integers(0, 4)) == 0:
        lines += draw(st.sampled_from(FRONT_MATTER)).split("\n")
    title = st.one_of(plain_words, st.tuples(plain_words, hostile_line).map(" ".join))
    card = heading(title, levels=(2,)).map(lambda text: [text])
    if draw(st.integers(0, 3)):
        lines += draw(card)
    fragments = st.integers(0, 3).flatmap(lambda n: card if n == 0 else hostile_fragment())
    for fragment in draw(st.lists(fragments, max_size=12)):
        lines += fragment
        if draw(st.booleans()):
            lines.append("")
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]))
    bom = draw(st.sampled_from(["", "", "", "\ufeff"]))
    return bom + newline.join(lines) + draw(st.sampled_from(["", newline]))


GRAMMAR_CHARACTERS = "#-`~$\\{}()[]<>!|*_:=QSchi1 \t\n"
any_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=GRAMMAR_CHARACTERS, max_size=300),
    st.text(alphabet=GRAMMAR_CHARACTERS, max_size=200).map(lambda text: "## Q\n" + text),
)


# --- 1. no traceback; every problem names a line of the file ----------------------------


CLOZE_NUMBER_RE = re.compile(r"\{\{c(\d+)::")


def assert_kind_matches_the_fields(built: Built) -> None:
    """A Cloze note shows a cloze for each of its cards, a Type-in note a box: Anki makes
    no card of a cloze number that is not in the Text field."""
    for item, cards in zip(built.rendered, built.cards, strict=False):
        if item.note.kind is Kind.CLOZE:
            numbers = set(CLOZE_NUMBER_RE.findall(item.fields["Text"]))
            assert len(numbers) == cards, (item.note.front, item.fields["Text"])
        if item.note.kind is Kind.TYPE_IN:
            assert 'class="at-typein"' in item.fields["Front"], (item.note.front, item.fields)


def assert_robust(built: Built) -> None:
    assert_problems_name_their_line(built)
    assert_fields_are_clean(built)
    assert_kind_matches_the_fields(built)
    lines = built.text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines_list = lines.split("\n")
    for note in built.notes:
        # a card starts at a `#` heading line of the file, and its title is that heading's
        assert note.source.line is not None
        heading_line = lines_list[note.source.line - 1]
        assert re.match(r" {0,3}#{1,6}(?:[ \t]|$)", heading_line), (note, heading_line)
        # titles.py: one line of plain text, never empty; a heading of only words is it
        assert note.title.strip() and "\n" not in note.title
        assert len(note.title) <= titles.LENGTH
        words = heading_line.strip().lstrip("#").strip()
        if re.fullmatch(r"[^\W_]+(?: [^\W_]+)*", words):
            assert note.title == titles.cut(words), (note.title, heading_line)
    for item, cards in zip(built.rendered, built.cards, strict=False):
        assert list(item.fields) == list(templates.field_names()[item.note.kind])
        assert cards >= 1


@fuzz(200)
@given(hostile_document())
def test_hostile_documents_give_problems_with_lines_never_a_traceback(text: str) -> None:
    assert_robust(build(text))


@fuzz(300)
@given(any_text)
def test_random_text_gives_problems_with_lines_never_a_traceback(text: str) -> None:
    assert_robust(build(text))


# --- 2. separator lines: inside fences they are code, outside they always split ----------

safe_line = st.one_of(plain_words, st.sampled_from(BRACES).map(lambda braces: f"see {braces}"))
# Code of a closed fence: separator lines, headings and markers that are no cards' markers.
fenced = code_line(
    st.one_of(
        separator_line(),
        heading(plain_words),
        plain_words,
        st.sampled_from(["(Q)", "(S)", "}}}", "{{ x }}", "$x", "<div>", "<!--", "- [ ] x"]),
    )
)


def safe_fragment(line: st.SearchStrategy[str] = safe_line) -> st.SearchStrategy[list[str]]:
    """Closed blocks without separators, card headings or unbalanced markers."""
    return st.one_of(
        st.lists(line, min_size=1, max_size=3),
        bullet_list(line),
        block_quote(line),
        table(line),
        html_block(line),
        heading(plain_words, levels=(3, 4, 5, 6)).map(lambda text: [text]),
        plain_words.map(lambda text: [text, "==="]),
        st.lists(line, min_size=1, max_size=2).map(lambda lines: ["", *indent(4, lines)]),
        line.map(lambda text: ["(Q)", text, "(Q)", ""]),
        st.tuples(line, line).map(lambda pair: ["(Q)", pair[0], "(Q)", pair[1], "(Q)", ""]),
        line.map(lambda text: [text, ": a definition"]),
        st.just(["***"]),
    )


def joined(fragments: list[list[str]], blank: list[bool]) -> list[str]:
    """Fragments one after the other; an HTML block runs to a blank line, so it gets one."""
    lines: list[str] = []
    for fragment, gap in zip(fragments, blank, strict=False):
        html = fragment[0].startswith("<")
        lines += fragment + ([""] if gap or html else [])
    return lines


@st.composite
def body_with_separators_in_code(draw: st.DrawFn) -> list[str]:
    """A card body whose every `-`, `-h`, `-i` line is inside a fence or a math block."""
    holder = st.one_of(
        # (indented by two, a fence right under a list item is in the item)
        fence(fenced, options=["", " literal", ' hl_lines="1"'], most_indent=1),
        # `$$` under a line of text continues its paragraph: no math block
        math_block(separator_line()).map(lambda lines: ["", *lines]),
    )
    fragments = draw(st.lists(st.one_of(safe_fragment(), holder), min_size=1, max_size=5))
    fragments.append(draw(holder))
    fragments = draw(st.permutations(fragments))
    blank = draw(st.lists(st.booleans(), min_size=len(fragments), max_size=len(fragments)))
    return joined(fragments, [True] * len(fragments) if draw(st.booleans()) else blank)


@fuzz(120)
@given(body_with_separators_in_code())
def test_a_separator_line_inside_a_fence_or_math_never_splits(body: list[str]) -> None:
    built = build("\n".join(["## Question", *body, ""]))
    assert not built.errors, built.shown
    [note] = built.notes
    assert (note.kind, note.front, note.hint) == (Kind.BASIC, "Question", "")
    assert note.back == "\n".join(body).strip("\n")


# Blocks a separator line must end: a setext candidate, a lazy list or quote line, a
# table row, HTML and `\[` left open.
cut_open = st.one_of(
    safe_fragment(),
    html_block(safe_line, closed=False).filter(lambda lines: lines[0] not in ("<?php",)),
    safe_line.map(lambda text: ["\\[", text]),
    bullet_list(safe_line),
    block_quote(safe_line),
    table(safe_line),
)


@st.composite
def split_card(draw: st.DrawFn) -> tuple[list[str], str, list[str]]:
    front = draw(st.lists(cut_open, max_size=3))
    front_lines = joined(front, draw(st.lists(st.booleans(), min_size=3, max_size=3)))
    back = draw(st.lists(safe_fragment(), max_size=3))
    back_lines = joined(back, [True] * len(back))
    return front_lines, draw(separator_line()), back_lines


def what_follows(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


@fuzz(150)
@given(split_card())
def test_a_separator_line_at_the_top_level_always_splits(
    card: tuple[list[str], str, list[str]],
) -> None:
    front, separator, back = card
    built = build("\n".join(["## Question", *front, separator, *back, ""]))
    assert not built.errors, built.shown
    [note] = built.notes
    above, below = what_follows(front), what_follows(back)
    question = "Question" + (f"\n\n{above}" if above.strip() else "")
    if separator.strip() == "-h":  # a hint: the heading is the front, the rest the back
        expected = (Kind.BASIC, "Question", above, below)
    else:
        kind = Kind.IMAGE if separator.strip() == "-i" else Kind.BASIC
        expected = (kind, question, below, "")
    assert (note.kind, note.front, note.back, note.hint) == expected


# --- 3. one card per top-level card heading --------------------------------------------

# Heading lines that start no card: code, comments, <pre>, lists, quotes, escapes, setext.
hidden_heading = st.sampled_from(
    [
        ["```bash", "## not a card", "# comment", "```"],
        ["~~~", "## not a card", "~~~"],
        ["````markdown", "```", "## not a card", "```", "````"],
        ["<!--", "## Retired", "", "old", "-->"],
        ["<!-- ## inline comment -->"],
        ["<pre>", "# root prompt", "", "## still pre", "</pre>"],
        ["<script>", "## in a script", "</script>"],
        ["", "    ## indented code"],
        ["- ## in a list item"],
        ["1. item", "   ## inside the item"],
        ["> ## in a quote"],
        ["(Q)", "## in a quote box", "(Q)", ""],
        ["\\## escaped"],
        ["#hashtag"],
        ["text ## inline"],
        ["Setext", "---"],
        ["Setext one", "==="],
        ["### deeper"],
        ["###### deepest"],
        ["$$", "## math", "$$"],
    ]
)
# Unclosed HTML a card heading ends (the heading is still a card).
open_html = st.sampled_from([["<div>"], ["<details>", "<summary>x</summary>"], ["<div>", "text"]])


@st.composite
def cards_document(draw: st.DrawFn) -> tuple[str, list[str], list[int]]:
    """A document and, for each card heading in it, its title and line."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines += [
            "# Notes",
            "",
            *draw(st.sampled_from([["intro"], ["- a list"], ["```", "## x", "```"]])),
        ]
    titles: list[str] = []
    heading_lines: list[int] = []
    html_open = False
    for number in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 3)) == 0:
            lines += ["", "# Group", "ignored text"]
            html_open = False
        title = (
            f"Card {number} {draw(st.sampled_from(['', 'über', '数学', 'x_y', 'a  b']))}".strip()
        )
        # Under open HTML only a heading at the start of its line is one (an indented one
        # is HTML, as in CommonMark); indented by two, it may belong to a list item above.
        spaces = "" if html_open else draw(st.sampled_from(["", "", " "]))
        attributes = draw(st.sampled_from(["", f" {{#card-{number}}}", ' {tags="a b"}', " ##"]))
        lines.append(f"{spaces}## {title}{attributes}")
        titles.append(title)
        heading_lines.append(len(lines))
        body = draw(st.lists(st.one_of(safe_fragment(), hidden_heading), max_size=4))
        lines += joined(body, draw(st.lists(st.booleans(), min_size=4, max_size=4)))
        html_open = draw(st.integers(0, 3)) == 0
        if html_open:
            lines += draw(open_html)
    return "\n".join([*lines, ""]), titles, heading_lines


@fuzz(120)
@given(cards_document())
def test_one_card_per_top_level_card_heading(document: tuple[str, list[str], list[int]]) -> None:
    text, titles, heading_lines = document
    built = build(text)
    assert not built.errors, built.shown
    assert [note.title for note in built.notes] == titles
    assert [note.source.line for note in built.notes] == heading_lines
    assert len(built.rendered) == len(titles)


# --- 4. the sanitizer holds wherever raw HTML stands ----------------------------------------

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)",
    '<img src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "![x](javascript:alert(1))",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<iframe src=https://example.org></iframe>",
    "<input type=checkbox checked>",
    "- [ ] a task\n- [x] done",
    "<form><button formaction=javascript:alert(1)>go</button></form>",
    "<style>body{display:none}</style>",
    '<div style="background-image:url(javascript:alert(1))">x</div>',
    '<span style="color:red;background:url(https://x.example/t.png)">x</span>',
    "<object data=x.swf></object><embed src=x.swf>",
    "<base href=javascript:/>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    "<textarea><script>alert(1)</script></textarea>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<scr<script>ipt>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<a href='https://x.example' onclick='alert(1)'>x</a>",
    '<p data-x="1" onmouseover="alert(1)">x</p>',
    "<link rel=stylesheet href=https://x.example/x.css>",
    '<div class="at-code-slot">\ue0100\ue011</div>',
]
# Where raw HTML can stand in a card.
PLACES: list[Callable[[str], str]] = [
    lambda attack: f"## Q\n{attack}\n",
    lambda attack: f"## Q\n\n{attack}\n\nmore\n",
    lambda attack: f"## Q {attack}\nanswer\n",
    lambda attack: f"## Q\ntext {attack} text\n-\n{attack}\n-h\n{attack}\n",
    lambda attack: f"## Q\n- item {attack}\n  - nested {attack}\n",
    lambda attack: f"## Q\n> {attack}\n",
    lambda attack: f"## Q\n| a |\n|---|\n| {attack} |\n",
    lambda attack: f"## Q\n(S){attack}(S)\n",
    lambda attack: f"## Q\n(Q)\n{attack}\n(Q)\n{attack}\n(Q)\n",
    lambda attack: f"## Q\nThe {{{{c1::{attack}}}}} and {{{{c2::x::{attack}}}}}\n",
    lambda attack: f"## Q\nType {{{{{{{attack}}}}}}}\n",
    lambda attack: f"## Q\n```python\n{attack}\n{{{{c1::{attack}}}}} {{{{{{{attack}}}}}}}\n```\n",
    lambda attack: f"## Q\n```html literal\n{attack}\n```\n",
    lambda attack: f"## Q\n`{attack}` and $x{attack}$ and \\({attack}\\)\n",
    lambda attack: f"## Q\n<details>\n<summary>{attack}</summary>\n\n{attack}\n</details>\n",
    lambda attack: f"## Q\nnote[^1]\n\n[^1]: {attack}\n",
    lambda attack: f"## Q\n[{attack}](https://example.org) ![{attack}](https://x.example/i.png)\n",
    lambda attack: f"## Q\n```at-html\n{attack}\n```\n",
    lambda attack: f"## Q\n{attack}\n## R\n{attack}\n",
]


@fuzz(300)
@given(
    st.lists(st.sampled_from(ATTACKS), min_size=1, max_size=3).map(" ".join),
    st.sampled_from(PLACES),
    st.sampled_from(
        ["", '---\nurl: "javascript:alert(1)"\n---\n', '---\nurl: "https://x/\\"><b"\n---\n']
    ),
)
def test_rendered_fields_hold_no_script_handler_or_unsafe_url(
    attack: str, place: Callable[[str], str], front_matter: str
) -> None:
    built = build(front_matter + place(attack))
    assert_fields_are_clean(built)
    assert built.rendered or built.errors, built.shown


# --- 5. cloze and type-in judged on tokens ---------------------------------------------------

cloze_word = st.sampled_from(["word", "über", "数学", "x_y", "*em*", "`code`", "$x^2$", "a b"])
hint_word = st.sampled_from(["hint", "a city", "数学", "it's"])


@st.composite
def cloze(draw: st.DrawFn, depth: int = 0) -> tuple[str, set[int]]:
    number = draw(st.integers(1, 12))
    inside, numbers = draw(cloze_word), {number}
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        nested, more = draw(cloze(depth + 1))
        inside, numbers = f"{inside} {nested}", numbers | more
    hint = f"::{draw(hint_word)}" if draw(st.booleans()) else ""
    return f"{{{{c{number}::{inside}{hint}}}}}", numbers


@st.composite
def cloze_card(draw: st.DrawFn) -> tuple[str, set[int]]:
    """A card whose text holds only balanced clozes (and no other braces)."""
    numbers: set[int] = set()
    lines = ["## Cloze card"]
    for _ in range(draw(st.integers(1, 4))):
        text, found = draw(cloze())
        numbers |= found
        words = draw(plain_words.filter(lambda w: "{" not in w))
        place = draw(st.sampled_from(["para", "list", "quote", "table", "fence", "spoiler"]))
        if place == "para":
            lines += ["", f"{words} {text} {words}"]
        elif place == "list":
            lines += ["", f"- {words}", f"  - {text}"]
        elif place == "quote":
            lines += ["", f"> {words} {text}"]
        elif place == "table":
            lines += ["", "| a | b |", "|---|---|", f"| {words} | {text} |"]
        elif place == "spoiler":
            lines += ["", f"(S){words} {text}(S)"]
        else:
            code = text.replace("`", "").replace("$", "")
            lines += ["", "```python", f"x = {code}", "```"]
    return "\n".join([*lines, ""]), numbers


@fuzz(150)
@given(cloze_card())
def test_balanced_clozes_make_a_cloze_note_without_problems(card: tuple[str, set[int]]) -> None:
    text, numbers = card
    built = build(text)
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.kind is Kind.CLOZE
    assert built.cards == [len(numbers)]
    [item] = built.rendered
    for number in numbers:
        assert f"{{{{c{number}::" in item.fields["Text"]


# LaTeX whose braces end in `}}` or `}}}`: math, never a cloze end or a type-in box.
latex = st.builds(
    lambda head, middle, tail: head + middle + tail,
    st.sampled_from(["a", "x", "\\sqrt", "\\frac{1}", "e"]),
    st.sampled_from(["^{b^{c}}", "{\\frac{a}{b^{2}}}", "_{i_{j}}", "^{2}", "{y}"]),
    st.sampled_from(["}", "}}", "", "::b", ":::c"]),
)
MATH_FORMS: list[Callable[[str], str]] = [
    lambda tex: f"${tex}$",
    lambda tex: f"$${tex}$$",
    lambda tex: f"\\({tex}\\)",
    lambda tex: f"\\[{tex}\\]",
    lambda tex: f"\n$$\n{tex}\n$$\n",
    lambda tex: f"\n\\begin{{align}}\n{tex}\n\\end{{align}}\n",
]


@fuzz(150)
@given(latex, st.sampled_from(MATH_FORMS), st.booleans(), st.sampled_from(["", "::hint"]))
def test_braces_in_math_are_math_also_in_a_cloze(
    tex: str, form: Callable[[str], str], in_cloze: bool, hint: str
) -> None:
    math = form(tex)
    text = f"{{{{c1::{math}{hint}}}}}" if in_cloze else math
    built = build(f"## Math\nThe value {text} here.\n")
    assert not built.lines_of("unbalanced"), built.shown
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.kind is (Kind.CLOZE if in_cloze else Kind.BASIC)
    [item] = built.rendered
    field = item.fields["Text" if in_cloze else "Back"]
    spans = re.findall(r'class="arithmatex">(.*?)</(?:span|div)>', field, re.DOTALL)
    assert spans, field
    if in_cloze:
        # Anki ends a cloze at its first `}}` and reads `::` as its hint: math must hold none
        for span in spans:
            assert "}}" not in span and "::" not in span, field


@fuzz(100)
@given(
    st.sampled_from(["x", "a b", "<b>", "42", "f(x)"]),
    # (options follow a language: a fence ```` ``` literal ```` is of the language `literal`)
    st.sampled_from(["python", "text", "sql", "{.python}"]),
    st.sampled_from([" literal", ' literal hl_lines="1"', " linenums literal"]),
)
def test_markers_in_a_literal_fence_stay_code(answer: str, language: str, options: str) -> None:
    code = f"print(f'{{{{{{{answer}}}}}}}') {{{{c1::{answer}}}}}"
    built = build(f"## Literal\n```{language}{options}\n{code}\n```\n")
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.kind is Kind.BASIC
    [item] = built.rendered
    back = item.fields["Back"]
    assert "at-typein" not in back and "{{" not in back, back  # braces escaped as &#123;


# --- 6. an unbalanced marker is reported at its own line ------------------------------------

# Lines that can follow an unbalanced marker without closing it.
quiet_line = st.lists(
    st.sampled_from([w for w in PLAIN if not set(w) & set("{}$`\\(")]), min_size=1, max_size=4
).map(" ".join)


@st.composite
def marker_card(draw: st.DrawFn) -> tuple[str, int, str]:
    """A card with one unbalanced marker at a known line; the kind of marker."""
    kind = draw(st.sampled_from(["cloze", "type-in", "spoiler", "quote box"]))
    before = draw(quiet_line)
    marker = {
        "cloze": f"{before} {{{{c3::{before}",
        "type-in": f"{before} {draw(st.sampled_from(['{{{', '}}}']))} {before}",
        "spoiler": f"{before} (S){before}",
        "quote box": "(Q)",
    }[kind]
    balanced = {
        "cloze": f"{before} {{{{c3::{before}}}}}",
        "type-in": f"{before} {{{{{{{before}}}}}}} {before}",
        "spoiler": f"{before} (S){before}(S)",
        "quote box": "(S)x(S)",
    }[kind]
    lines = ["## Card"]
    lines += joined(draw(st.lists(safe_fragment(quiet_line), max_size=3)), [True] * 3)
    places = ["paragraph", "list", "nested list", "quote", "table", "deflist", "footnote"]
    if kind == "cloze":
        places += ["fence", "inline code", "math", "html", "heading"]
    if kind in ("type-in", "spoiler"):
        places += ["heading"]
    place = draw(st.sampled_from(places))
    # Earlier lines of the same block may hold the same text, balanced.
    repeats = draw(st.lists(st.sampled_from([balanced, before]), max_size=3))
    if place == "heading":
        lines[0] = f"## {marker}"
        line = 1
    elif place == "paragraph":
        lines += ["", *repeats, marker]
        line = len(lines)
    elif place == "list":
        lines += ["", *[f"- {r}" for r in repeats], f"- {marker}"]
        line = len(lines)
    elif place == "nested list":
        lines += ["", f"- {before}", *[f"  {r}" for r in repeats], f"  - {marker}"]
        line = len(lines)
    elif place == "quote":
        lines += ["", *[f"> {r}" for r in repeats], f"> {marker}"]
        line = len(lines)
    elif place == "table":
        lines += ["", "| a | b |", "|---|---|", *[f"| {r} | x |" for r in repeats]]
        lines.append(f"| {before} | {marker} |")
        line = len(lines)
    elif place == "deflist":
        lines += ["", before, f": {marker}"]
        line = len(lines)
    elif place == "footnote":
        lines += ["", f"{before} [^1]", "", f"[^1]: {marker}"]
        line = len(lines)
    elif place == "fence":
        lines += ["", "```python", *repeats, marker, "```"]
        line = len(lines) - 1
    elif place == "inline code":
        lines += ["", *repeats, f"{before} `{marker}`"]
        line = len(lines)
    elif place == "math":
        lines += ["", *repeats, f"{before} $x{{{{c3::y$"]
        line = len(lines)
    else:
        lines += ["", *repeats, f"<div>{marker}</div>"]
        line = len(lines)
    # (after a blank line: an `===` right under the marker's paragraph makes it a heading)
    lines += ["", *joined(draw(st.lists(safe_fragment(quiet_line), max_size=2)), [True] * 2)]
    if kind == "quote box":
        lines = [
            text.replace("(Q)", "(q)") if n + 1 != line else text for n, text in enumerate(lines)
        ]
    if draw(st.booleans()):  # front matter counts as lines of the file
        front_matter = ["---", "tags: [a, b::c]", "deck: x::y", "---"]
        lines, line = [*front_matter, *lines], line + len(front_matter)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join([*lines, ""]), line, kind


@fuzz(200)
@given(marker_card())
def test_an_unbalanced_marker_is_reported_at_its_own_line(card: tuple[str, int, str]) -> None:
    text, line, kind = card
    built = build(text)
    assert_problems_name_their_line(built)
    assert built.lines_of(f"unbalanced {kind}") == {line}, (built.shown, text)
    assert not built.notes  # a card with an error is left out


# --- 7. the same input builds the same cards ------------------------------------------------


def fingerprint(built: Built) -> list[tuple[str, Kind, str, dict[str, str]]]:
    # A rendered note keeps the Markdown of its front only: the fields say the rest.
    return [
        (identity.guid(item.note), item.note.kind, item.note.front, item.fields)
        for item in built.rendered
    ]


@fuzz(60)
@given(st.one_of(hostile_document(), cards_document().map(lambda document: document[0])))
def test_building_twice_gives_the_same_cards_and_problems(text: str) -> None:
    first, second = build(text), build(text)
    assert fingerprint(first) == fingerprint(second)
    assert first.messages() == second.messages()
    # Windows line endings and a byte-order mark change nothing either.
    windows = build("\ufeff" + text.replace("\r\n", "\n").replace("\n", "\r\n"))
    if not text.startswith("\ufeff") and "\r" not in text:
        assert fingerprint(windows) == fingerprint(first)
        assert windows.messages() == first.messages()


@fuzz(100)
@given(cards_document(), st.sampled_from(["other.md", "sub/folder/notes.md", "x.markdown"]))
def test_a_cards_guid_does_not_depend_on_its_file(
    document: tuple[str, list[str], list[int]], name: str
) -> None:
    text = document[0]
    here, there = build(text), build(text, name)
    assert [identity.guid(item.note) for item in here.rendered] == [
        identity.guid(item.note) for item in there.rendered
    ]
    assert [item.fields["Front"] for item in here.rendered if "Front" in item.fields] == [
        item.fields["Front"] for item in there.rendered if "Front" in item.fields
    ]


@fuzz(100)
@given(split_card(), st.lists(safe_fragment(), min_size=1, max_size=3))
def test_a_cards_guid_does_not_depend_on_its_back(
    card: tuple[list[str], str, list[str]], other_back: list[list[str]]
) -> None:
    front, separator, back = card
    if separator.strip() == "-h":
        separator = "-"
    one = build("\n".join(["## Question", *front, separator, *back, ""]))
    two = build("\n".join(["## Question", *front, separator, *joined(other_back, [True] * 3), ""]))
    assert [identity.guid(item.note) for item in one.rendered] == [
        identity.guid(item.note) for item in two.rendered
    ]


# --- 8. what people write comes out as written ---------------------------------------------

TAG_RE = re.compile(r"<[^>]*>")
LINE_NUMBER_RE = re.compile(r'<span class="linenos">[^<]*</span>')
# Code holds anything but a line that closes its fence, plus the renderer's own
# private-use characters and marker look-alikes.
code_character = st.one_of(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
    st.sampled_from("\ue000\ue001\ue010\ue011{}:c1<>&\"'`$\\ \t"),
)
code_chunk = st.one_of(
    st.text(code_character, max_size=12),
    st.sampled_from(["\ue0000\ue001", "\ue0101\ue011", "{{c1::", "}}", "{{{x}}}", "::h}}"]),
)
# (Pygments drops a byte-order mark that starts the code: invisible either way)
code_text = st.lists(
    code_line(st.lists(code_chunk, max_size=4).map("".join)), min_size=1, max_size=4
).map(lambda lines: "\n".join(lines).removeprefix("\ufeff"))


def shown_text(markup: str) -> str:
    """What a field shows: no tags, no line numbers, entities read."""
    return html.unescape(TAG_RE.sub("", LINE_NUMBER_RE.sub("", markup)))


@fuzz(200)
@given(
    code_text,
    st.sampled_from(["text", "python", "bash", "sql", "html", "nosuchlang", "{.python}"]),
    st.sampled_from([" literal", ' literal hl_lines="1 2"', " linenums literal"]),
)
def test_literal_code_is_shown_exactly_as_written(code: str, language: str, options: str) -> None:
    built = build(f"## Code\n~~~~{language}{options}\n{code}\n~~~~\n")
    [item] = built.rendered
    assert shown_text(item.fields["Back"]).rstrip("\n") == code.rstrip("\n")
    assert "{" not in item.fields["Back"]  # Anki sees no cloze in literal code


@fuzz(150)
@given(code_text.filter(lambda code: "{{" not in code and "}}" not in code))
def test_code_without_markers_is_shown_as_written(code: str) -> None:
    built = build(f"## Code\n```python\n{code}\n```\n")
    [item] = built.rendered
    assert shown_text(item.fields["Back"]).rstrip("\n") == code.rstrip("\n")


answer_character = st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="{}"
)


@fuzz(150)
@given(
    st.text(answer_character, min_size=1, max_size=20).filter(lambda a: a.strip()),
    st.sampled_from(["para", "list", "quote", "table", "code", "fence"]),
)
def test_a_type_in_answer_is_taken_literally(answer: str, place: str) -> None:
    box = f"{{{{{{{answer}}}}}}}"
    body = {
        "para": f"Type {box} here.",
        "list": f"- Type {box} here.",
        "quote": f"> Type {box} here.",
        "table": f"| a |\n|---|\n| {box} |",
        "code": f"`x = {box}`",
        "fence": f"```python\nx = {box}\n```",
    }[place]
    if (place == "table" and "|" in answer) or (place == "code" and "`" in answer):
        return  # a `|` ends the cell, a backtick the code span
    built = build(f"## Type-in\n{body}\n")
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.kind is Kind.TYPE_IN
    [item] = built.rendered
    boxes = re.findall(r'<span class="at-typein">(.*?)</span>', item.fields["Front"])
    assert [html.unescape(b) for b in boxes] == [answer.replace("\x00", "\ufffd")]


attribute_value = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Z"), blacklist_characters="{}=\"'#."),
    min_size=1,
    max_size=12,
)

# What a tag may hold (anki_tools/tags.py): letters, marks, digits and `_ - / +`.
tag_value = st.text(
    st.characters(whitelist_categories=("L", "M", "N"), whitelist_characters="_-/+"),
    min_size=1,
    max_size=12,
)


# Words that are their own plain text (titles.py turns Markdown into plain text).
TEXT_WORDS = [word for word in PLAIN if re.fullmatch(r"[\w.'+-]+", word) and "_" not in word]


@fuzz(150)
@given(
    st.lists(st.sampled_from(TEXT_WORDS), min_size=1, max_size=6).map(" ".join),
    st.none() | attribute_value,
    st.booleans(),
    st.lists(tag_value, max_size=3),
    st.sampled_from(["{", "{: "]),
)
def test_heading_attributes_are_read_and_taken_off_the_title(
    title: str, explicit_id: str | None, reverse: bool, tags: list[str], opening: str
) -> None:
    items = ([f"#{explicit_id}"] if explicit_id else []) + ([".reverse"] if reverse else [])
    items += [f'tags="{" ".join(tags)}"'] if tags else []
    attributes = f" {opening}{' '.join(items)}}}" if items else ""
    built = build(f"## {title}{attributes}\nanswer\n")
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.title == title.strip()
    assert note.explicit_id == explicit_id
    assert note.kind is (Kind.REVERSED if reverse else Kind.BASIC)
    assert note.tags == tuple(tag for value in tags for tag in value.split())


# --- 9. every problem points at its own line --------------------------------------------------


@st.composite
def located_problem(draw: st.DrawFn) -> tuple[str, int, str]:
    """A card with one problem at a known line, the start of its message; filler around it
    may mention the same words."""
    what = draw(st.sampled_from(["language", "separator", "image", "heading", "markers"]))
    lines = ["## Card"]
    filler = st.lists(safe_fragment(quiet_line), max_size=3)
    lines += joined(draw(filler), [True] * 3)
    if what == "language":
        lines += ["mention nosuchlang here", "", "```nosuchlang", "code", "```"]
        line, message = len(lines) - 2, "warning: unknown code language 'nosuchlang'"
    elif what == "separator":
        mark = draw(st.sampled_from(SEPARATORS))
        first = "-" if mark == "-i" else mark
        lines += [first, "text"]
        lines += joined(draw(filler), [True] * 3)
        lines += [mark]
        line, message = len(lines), f"second '{mark}' line in one card"
        lines.append("more")
    elif what == "image":
        side = draw(st.sampled_from(["front", "back", "hint", "cloze"]))
        mention = draw(st.sampled_from(["", "see missing.png below", "![other](missing.png.bak)"]))
        if side in ("back", "hint"):
            lines += ["-" if side == "back" else "-h", "text"]
        lines += [mention, ""] if mention else []
        image = draw(st.sampled_from(["![map](missing.png)", '<img src="missing.png">']))
        lines.append(image + (" {{c1::x}}" if side == "cloze" else ""))
        line, message = len(lines), "image not found: 'missing.png'"
        if side == "front":
            lines += ["-", "answer"]
    elif what == "heading":
        lines += ["", draw(st.sampled_from(["##", "## ", "##  ##", "## {#id}"])), "text"]
        line, message = len(lines) - 1, "a card heading needs text"
    else:
        lines += ["-", "text {{c1::x}}"]
        line, message = len(lines), "cloze and type-in markers belong before the '-' line"
    return "\n".join([*lines, ""]), line, message


@fuzz(200)
@given(located_problem())
def test_every_problem_points_at_its_own_line(case: tuple[str, int, str]) -> None:
    text, line, message = case
    built = build(text)
    assert_problems_name_their_line(built)
    found = [p for p in built.problems if str(p).split(": ", 1)[1].startswith(message)]
    assert [p.source.line for p in found] == [line], (text, built.shown)


# --- 10. notebooks: the same grammar in cells, problems name the cell ------------------------

NOTEBOOK_TAGS = [[], ["card"], ["front"], ["back"], ["skip"], ["Card "], ["card", "back"]]
NOTEBOOK_TAGS += [["reverse"], "card", [1, None]]


@st.composite
def output(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(["stream", "result", "display", "error"]))
    text = draw(st.one_of(hostile_line, st.sampled_from(ATTACKS)))
    if kind == "stream":
        return {"output_type": "stream", "name": "stdout", "text": text}
    if kind == "error":
        ansi = "\x1b[0;31mValueError\x1b[0m: " + text
        return {"output_type": "error", "ename": "ValueError", "evalue": text, "traceback": [ansi]}
    data: dict[str, object] = {"text/plain": text}
    extra = draw(st.sampled_from(["", "html", "png", "bad png", "latex", "markdown", "svg"]))
    data.update(
        {
            "": {},
            "html": {"text/html": draw(st.sampled_from(ATTACKS)) + text},
            "png": {
                "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4"
                "2mP4z8DAAAMBAQAY3Y2wAAAAAElFTkSuQmCC"
            },
            "bad png": {"image/png": "!!! not base64"},
            "latex": {"text/latex": f"$${text}$$"},
            "markdown": {"text/markdown": text},
            "svg": {"image/svg+xml": "<svg onload=alert(1)><script>alert(1)</script></svg>"},
        }[extra]
    )
    if kind == "display":
        return {"output_type": "display_data", "data": data, "metadata": {}}
    return {"output_type": "execute_result", "execution_count": 1, "data": data, "metadata": {}}


@st.composite
def notebook_cell(draw: st.DrawFn, number: int) -> dict[str, object]:
    cell_id = draw(st.sampled_from([f"cell-{number}", "same", None]))
    tags = draw(st.sampled_from(NOTEBOOK_TAGS))
    if draw(st.booleans()):
        text = draw(
            st.one_of(hostile_document(), any_text, st.sampled_from(["DECK = x", "# Title"]))
        )
        cell: dict[str, object] = {"cell_type": "markdown", "metadata": {"tags": tags}}
        cell["source"] = text.splitlines(keepends=True) if draw(st.booleans()) else text
        if draw(st.integers(0, 3)) == 0:
            cell["source"] = f"{text}\n![pic](attachment:a.png)"
            data = draw(st.sampled_from(["iVBORw0KGgo=", "!!!", ""]))
            cell["attachments"] = {"a.png": {"image/png": data}}
    else:
        cell = {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"tags": tags},
            "outputs": draw(st.lists(output(), max_size=3)),
            "source": draw(code_text),
        }
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


@st.composite
def notebook(draw: st.DrawFn) -> tuple[str, int]:
    """The JSON of a notebook and its number of cells."""
    count = draw(st.integers(0, 5))
    cells = [draw(notebook_cell(number)) for number in range(count)]
    metadata: dict[str, object] = draw(
        st.sampled_from(
            [
                {},
                {"language_info": {"name": "python"}},
                {"language_info": {"name": "nosuchlang"}, "kernelspec": {"language": "x"}},
                {"anki": {"deck": "d::e", "tags": ["a", "b"]}},
                {"anki": {"deck": 5}},
                {"anki": "nope"},
            ]
        )
    )
    raw = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}
    text = json.dumps(raw, indent=1)
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut]  # a notebook saved half-way
    return text, count


CELL_PROBLEM_RE = re.compile(r":(?:(?:cell (?P<cell>\d+)|(?P<line>\d+)):)? (?:warning: )?\S.*")


@fuzz(100)
@given(notebook())
def test_notebooks_give_problems_that_name_their_cell_never_a_traceback(
    case: tuple[str, int],
) -> None:
    text, cells = case
    built = build(text, "lesson.ipynb")
    for shown in built.shown:
        assert shown.startswith(built.display), shown
        match = CELL_PROBLEM_RE.fullmatch(shown[len(built.display) :])
        assert match, f"not `path:cell N: message` on one line: {shown!r}"
        if match.group("cell"):
            assert 1 <= int(match.group("cell")) <= cells, shown
        if match.group("line"):  # invalid JSON: the end of the file may be the line after
            assert 1 <= int(match.group("line")) <= text.count("\n") + 1, shown
    assert_fields_are_clean(built)
    assert_kind_matches_the_fields(built)


# Linear time on long lines of unclosed markers is measured by benchmarks/bench_linear.py:
# a test that times itself could flake on a busy machine.


# --- bugs the fuzzing found, each as its smallest input ----------------------------------------


def test_bug_private_use_characters_in_code_are_no_traceback() -> None:
    """`\\ue000<digits>\\ue001` (the highlighter's own placeholders; Nerd Font icons sit in
    this range) in a code block raised IndexError in highlight._restore."""
    built = build("## Q\n```\n\ue0000\ue001\n```\n")
    [item] = built.rendered
    assert "\ue0000\ue001" in item.fields["Back"]


def test_bug_code_slot_markup_in_raw_html_is_not_replaced_by_code() -> None:
    """Raw HTML that looks like the renderer's code slot came out as a copy of the card's
    code block (or vanished): a user's text must stay theirs."""
    built = build('## Q\n<div class="at-code-slot">\ue0100\ue011</div>\n\n```py\nx = 1\n```\n')
    [item] = built.rendered
    assert item.fields["Back"].count('<span class="n">x</span>') == 1


def test_bug_cloze_math_ending_in_three_braces_keeps_no_double_brace() -> None:
    """Inside a cloze, math's `}}` is written `} }` so that Anki does not end the cloze
    there; `}}}` (`\\sqrt{\\frac{a}{b^{2}}}`) became `} }}`, and `:::` became `: ::`."""
    built = build("## Q\nThe root {{c1::$\\sqrt{\\frac{a}{b^{2}}}$}} and {{c2::$a:::b$}}.\n")
    [item] = built.rendered
    spans = re.findall(r'class="arithmatex">(.*?)</span>', item.fields["Text"])
    assert len(spans) == 2
    assert all("}}" not in span and "::" not in span for span in spans), spans


def test_bug_nested_clozes_may_close_together() -> None:
    """`{{c1::a {{c2::b}}}}` (Anki's nested cloze) is balanced: `}}}}` closes both, but the
    text scan took `}}}` for a type-in end and reported an unbalanced cloze."""
    built = build("## Q\nThe {{c1::outer {{c2::inner}}}} text.\n")
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.kind is Kind.CLOZE
    assert built.cards == [2]


def test_bug_unbalanced_marker_after_the_same_text_balanced_names_its_own_line() -> None:
    """The line of a marker in a paragraph was that of the first line holding the same
    text: here line 3, where the cloze is closed."""
    for text, line in [
        ("## Q\n\n{{c1::a}}\n{{c1::a\n", 4),
        ("## Q\n\n(S)a(S)\n(S)a\n", 4),
    ]:
        built = build(text)
        assert {p.source.line for p in built.errors} == {line}, (text, built.shown)


def test_bug_unbalanced_cloze_in_inline_code_or_math_names_its_own_line() -> None:
    """A cloze opened in inline code or math on a paragraph's second line was reported on
    the paragraph's first line."""
    for text in ["## Q\nSome text\nand `{{c1::x` here\n", "## Q\nSome text\nand $x{{c1::y$ z\n"]:
        built = build(text)
        assert {p.source.line for p in built.errors} == {3}, (text, built.shown)


def test_bug_missing_image_in_the_question_names_its_own_line() -> None:
    """The heading and the text under it are joined by a blank line for the question, and
    a missing image there was reported one line too low (line 3, in a file of 2 lines)."""
    for text in [
        "## Q\n![map](missing.png) {{c1::x}}\n",
        "## Q\ncontext ![map](missing.png)\n-\nanswer\n",
    ]:
        built = build(text)
        assert [p.source.line for p in built.errors] == [2], (text, built.shown)


def test_bug_a_problem_is_one_line_also_for_an_image_path_with_a_newline() -> None:
    """`<img src="a⏎b.png">`: the message held the newline, so the second line of the
    problem did not read `path:line: message`."""
    built = build('## Q\n<img src="a\nb.png">\n')
    assert built.errors
    assert_problems_name_their_line(built)


def test_bug_quote_box_under_a_list_quote_or_table_is_not_called_unclosed() -> None:
    """A closed `(Q)` box right under a paragraph is a box, but right under a list item,
    a block quote, a definition or a table (no blank line) it was reported as
    'unbalanced quote box: no closing (Q)' though its closing line is there."""
    for above in ["- item", "> quoted", "term\n: definition", "| a |\n|---|"]:
        built = build(f"## Q\n{above}\n(Q)\nA quote.\n(Q)\n")
        assert not built.errors, (above, built.shown)


def test_bug_a_fence_in_a_quote_box_keeps_its_separator_line() -> None:
    """A `-` line in a fence is code, yet inside a `(Q)` box it cut the box: the box was
    reported unbalanced (the fence itself kept the line)."""
    built = build("## Q\n(Q)\n```\n-\n```\n(Q)\n-\nanswer\n")
    assert not built.errors, built.shown
    [note] = built.notes
    assert note.back == "answer"


def test_bug_markers_in_raw_html_make_no_note_type_the_card_does_not_show() -> None:
    """The note type must follow what the card shows. `<!-- {{c1::x}} -->` on a line of
    its own made a Cloze note whose Text has no cloze (the sanitizer removes comments, so
    Anki makes no card of it, and the answer moved to the front), while the same comment
    inside a paragraph leaves a Basic card; `{{{x}}}` in `<script>` or in a `<div>` block
    made a Type-in note without a box (an HTML block is not Markdown, so the box is shown
    as `{{{x}}}` and the card script finds no `.at-typein`). `<![CDATA[` and `<?php`
    blocks are removed like comments."""
    for text in [
        "## Q\n<!-- {{c1::x}} -->\nanswer\n",
        '## Q\n<script>var s = "{{{x}}}";</script>\n\nanswer\n',
        "## Q\n<div>\nType {{{x}}} here\n</div>\n",
        "## Q\n<![CDATA[ {{c1::x}} ]]>\nanswer\n",
        "## Q\n<?php echo '{{c1::x}}'; ?>\nanswer\n",
    ]:
        built = build(text)
        assert len(built.rendered) == 1, (text, built.shown)
        assert_kind_matches_the_fields(built)


def test_bug_problems_show_no_terminal_control_characters() -> None:
    """A heading or fence language with ESC or BEL went into the message as it is: on a
    terminal `\\x1b[2K\\x1b[1A` erases lines and `\\x1b]0;…\\x07` sets the window title, so
    a shared notes file could hide its own problems or forge output."""
    for text in [
        "## Q \x1b[2K\x1b[1Aok\n",
        "## Q\n```\x1b]0;pwned\x07\nx\n```\nanswer\n",
    ]:
        built = build(text)
        assert built.shown
        for shown in built.shown:
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", shown), shown


def test_bug_an_unclosed_tag_removed_with_its_content_takes_no_cloze_with_it() -> None:
    """`<iframe>`, `<style>` and `<script>` are removed with their content, and the
    sanitizer reads an unclosed one to the end of the field: the cloze after it vanished
    from the Text of a Cloze note (Anki makes no card of it), without a word. CommonMark
    also ends a `<script>` block at a `</pre>` line, where the HTML parser does not, and
    a `<!--` inside a `<div>` block at the blank line that ends the block, where the HTML
    parser reads the comment on to the end of the field."""
    for text in [
        '## Q\nSee <iframe src="https://example.org"> and {{c1::w}}\n',
        "## Q\nx <style> {{c1::w}}\n",
        "## Q\n<script>\n</pre>\n{{c1::w}}\n",
        "## Q\n<div><!--\n\n{{c1::w}}\n",
    ]:
        built = build(text)
        told = built.problems  # (best at the tag's own line)
        shown = [item.fields["Text"] for item in built.rendered if item.note.kind is Kind.CLOZE]
        assert told or all("{{c1::w}}" in field for field in shown), (text, shown)
