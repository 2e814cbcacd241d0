"""Issue 11, item 2: no script and no fetches through MathJax.

The sanitizer sees math as text; Anki's MathJax then turns `\\href{javascript:…}` into a
live link and `\\style{background-image:url(…)}` into a fetch as soon as the card shows.
Math that reaches a card, written as math or in any other way MathJax reads it (raw
HTML, entities, a file name), holds no such command: an error at its line, no deck.
`\\href{https://…}` and plain colors stay, and Anki shows them.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from cli_run import run
from click.testing import Result

from anki_tools.render import mathjax

from anki_collection import AnkiProfile

EVIL = "http://evil.test/x.png"
# (TeX, the command its message names): each way math turned into HTML, CSS or a fetch.
REFUSED = {
    "style": (rf"\style{{background-image:url({EVIL})}}{{x}}", "style"),
    "class": (r"\class{at-answer}{x}", "class"),
    "cssId": (r"\cssId{answer}{x}", "cssId"),
    "data": (r"\data{a=b}{x}", "data"),
    "mmlToken link": (r'\mmlToken{mi}[href="javascript:alert(1)"]{x}', "mmlToken"),
    "require": (r"\require{html}", "require"),
    "setOptions": (r"\setOptions[tex]{maxMacros=10}", "setOptions"),
    "unicode font": (rf"\unicode[;background-image:url({EVIL})]{{x41}}", "unicode"),
    "KaTeX htmlData": (r"\htmlData{a=b}{x}", "htmlData"),
    "KaTeX htmlStyle": (r"\htmlStyle{color:red}{x}", "htmlStyle"),
    "KaTeX htmlClass": (r"\htmlClass{a}{x}", "htmlClass"),
    "KaTeX htmlId": (r"\htmlId{a}{x}", "htmlId"),
    "KaTeX includegraphics": (rf"\includegraphics{{{EVIL}}}", "includegraphics"),
    "href javascript": (r"\href{javascript:alert(1)}{x}", "href"),
    "href spaced javascript": (r"\href{ javascript:alert(1)}{x}", "href"),
    "href protocol-relative": (r"\href{//evil.test/}{x}", "href"),
    "href data": (r"\href{data:text/html,<script>alert(1)</script>}{x}", "href"),
    "url javascript": (r"\url{javascript:alert(1)}", "url"),
    "href aliased with let": (r"\let\h=\href \h{javascript:alert(1)}{x}", "href"),
    "href in a macro": (r"\newcommand{\h}[1]{\href{#1}{x}}\h{javascript:alert(1)}", "href"),
    "href in def": (r"\def\h#1{\href{#1}{x}}\h{javascript:alert(1)}", "href"),
    "fcolorbox CSS": (
        rf"\fcolorbox{{red;background-image:url({EVIL})}}{{white}}{{x}}",
        "fcolorbox",
    ),
    "fcolorbox aliased": (
        rf"\let\f=\fcolorbox \f{{red;background:url({EVIL})}}{{w}}{{x}}",
        "fcolorbox",
    ),
    "fcolorbox in a macro": (r"\def\f#1{\fcolorbox{#1}{white}{x}}\f{red}", "fcolorbox"),
    "definecolor CSS": (
        rf"\definecolor{{c}}{{named}}{{red;background:url({EVIL})}}",
        "definecolor",
    ),
    "bbox CSS": (rf"\bbox[background-image:url({EVIL})]{{x}}", "bbox"),
    "bbox position": (r"\bbox[position:fixed]{x}", "bbox"),
    "color CSS": (rf"\color{{red;background:url({EVIL})}}{{x}}", "color"),
    "colorbox CSS": (rf"\colorbox{{url({EVIL})}}{{x}}", "colorbox"),
    "enclose attributes": (rf"\enclose{{box}}[mathbackground=url({EVIL})]{{x}}", "enclose"),
    "cancel attributes": (rf"\cancel[mathbackground=url({EVIL})]{{x}}", "cancel"),
}
ALLOWED = [
    r"\href{https://en.wikipedia.org/wiki/Euler%27s_identity#Explanation}{e^{i\pi}}",
    r"\href{http://example.org}{x}",
    r"\color{red}{x} \color[RGB]{10,20,30}{y} \textcolor{blue}{z} \colorbox{yellow}{w}",
    r"\fcolorbox{red}{yellow}{x} \definecolor{mine}{HTML}{FF0000}\color{mine}{v}",
    r"\bbox[yellow,5px,border:2px solid red]{x} \bbox{y}",
    r"\enclose{circle}[mathcolor=red]{x} \cancel{y} \cancelto{0}{z}",
    r"\def\R{\mathbb{R}} \R \newcommand{\abs}[1]{\left|#1\right|} \abs{x}",
    r"\ce{H2O} \texttip{x}{tip} a \\ style",
]


def build(root: Path, files: dict[str, str], *options: str) -> Result:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return run("build", "notes", "-o", "out.apkg", *options)


def errors(result: Result) -> list[str]:
    return [
        line for line in result.stderr.splitlines() if ": warning: " not in line and ": " in line
    ]


def refused(result: Result, where: str, command: str) -> None:
    """The build failed with one error for `command` at `where`, and wrote nothing."""
    assert result.exit_code == 1, result.output
    mentions = [
        line for line in errors(result) if f"\\{command} " in line or f"\\{command}:" in line
    ]
    assert mentions and all(line.startswith(f"{where}: ") for line in mentions), result.stderr
    assert not Path("out.apkg").exists()


def notebook(*cells: dict) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)})


def markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": text}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_command_in_math_is_an_error_at_its_line(in_tmp: Path, case: str) -> None:
    tex, command = REFUSED[case]
    note = f"## Fine\n\nA\n\n## Question\n\nSome text\nand ${tex}$ here.\n"
    result = build(in_tmp, {"notes/a.md": note})
    refused(result, "notes/a.md:8", command)


@pytest.mark.parametrize(
    ("written", "line"),
    [
        ("## Q\n\nText\n\n$${tex}$$\n", 5),  # display math
        ("## Q\n\nText\n\n$$\nx = 1\n{tex}\n$$\n", 7),  # display math on lines of its own
        ("## Q\n\nText\n\n```math\n{tex}\n```\n", 6),  # GitHub's math fence
        ("## Q\n\nText \\({tex}\\)\n", 3),  # bracket math
        ("## Q\n\n\\begin{{align}}\n{tex}\n\\end{{align}}\n", 4),  # amsmath
        ("## Q $x {tex}$\n\nA\n", 1),  # in the heading: the front
        ("## Q\n\nA\n\n-h\n\n${tex}$\n", 7),  # in the hint
        ("## Q\n\nA {{{{c1::${tex}$}}}}\n", 3),  # in a cloze
    ],
)
def test_every_way_of_writing_math_is_judged(in_tmp: Path, written: str, line: int) -> None:
    tex = REFUSED["style"][0]
    result = build(in_tmp, {"notes/a.md": written.format(tex=tex)})
    refused(result, f"notes/a.md:{line}", "style")


STYLE = rf"\style{{background-image:url({EVIL})}}{{x}}"


@pytest.mark.parametrize(
    ("markup", "line"),
    [
        (f"<div>\\({STYLE}\\)</div>", 3),  # raw HTML: MathJax reads its text too
        ("<div>\n<p>\n&#92;(&#92;style{color:red}{x}&#92;)\n</p>\n</div>", 3),  # entities
        ("Inline &bsol;(&bsol;href{javascript:alert(1)}{x}&bsol;)", 3),  # named entities
        (r"<div>\(\sty<wbr>le{background:url(http://evil.test/)}{x}\)</div>", 3),  # <wbr> joins
        (f'<code class="mathjax_process">\\({STYLE}\\)</code>', 3),  # code MathJax still reads
        (f"<details><summary>More</summary>\\({STYLE}\\)</details>", 3),
    ],
)
def test_math_written_as_html_is_judged_as_mathjax_reads_it(
    in_tmp: Path, markup: str, line: int
) -> None:
    result = build(in_tmp, {"notes/a.md": f"## Q\n\n{markup}\n"})
    assert result.exit_code == 1, result.output
    assert any(line_.startswith(f"notes/a.md:{line}: ") for line_ in errors(result)), result.stderr
    assert not Path("out.apkg").exists()


def test_a_file_name_that_is_math_is_refused(in_tmp: Path) -> None:
    """The Source field shows the file's path, and MathJax reads it like any text."""
    name = r"notes/\(\href{javascript:alert(1)}{x}\).md"
    result = build(in_tmp, {name: "## Q\n\nA\n"})
    refused(result, f"{name}:1", "href")


def test_math_in_a_notebook_cell_and_an_html_output_is_refused(in_tmp: Path) -> None:
    output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/html": [f"<p>\\({STYLE}\\)</p>"], "text/plain": ["x"]},
    }
    code = {
        "cell_type": "code",
        "id": "c",
        "metadata": {"tags": ["back"]},
        "source": "show()",
        "execution_count": 1,
        "outputs": [output],
    }
    files = {
        "notes/a.ipynb": notebook(markdown_cell(f"Q ${STYLE}$\n\n-\n\nA")),
        "notes/b.ipynb": notebook(markdown_cell("Q\n\n-\n\nA"), code),
    }
    result = build(in_tmp, files)
    assert result.exit_code == 1, result.output
    problems = errors(result)
    assert any(
        line.startswith("notes/a.ipynb:cell 1: math cannot hold \\style") for line in problems
    )
    assert any(  # named by the code cell whose output holds it, not the card's first cell
        line.startswith("notes/b.ipynb:cell 2: math cannot hold \\style") for line in problems
    )


def test_math_shown_as_code_is_no_math(in_tmp: Path, anki: AnkiProfile) -> None:
    """MathJax skips <pre> and <code>: a note may show the commands it cannot run."""
    note = (
        "## Which LaTeX is refused?\n\n"
        f"`\\({STYLE}\\)`\n\n"
        "```latex\n\\(\\href{javascript:alert(1)}{x}\\)\n```\n\n"
        "    \\[\\class{x}{y}\\]\n"
    )
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 0, result.output
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    (card,) = anki.cards()
    shown = html.unescape(re.sub(r"<[^>]+>", "", card.answer))
    assert f"\\({STYLE}\\)" in shown
    assert "\\(\\href{javascript:alert(1)}{x}\\)" in shown
    assert "\\[\\class{x}{y}\\]" in shown


def test_https_links_and_plain_colors_stay_and_anki_shows_them(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    note = "## Allowed math\n\n" + "\n\n".join(f"${tex}$" for tex in ALLOWED) + "\n"
    result = build(in_tmp, {"notes/a.md": note})
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    (card,) = anki.cards()
    link = r"\(\href{https://en.wikipedia.org/wiki/Euler%27s_identity#Explanation}{e^{i\pi}}\)"
    assert link in card.answer
    assert r"\(\bbox[yellow,5px,border:2px solid red]{x} \bbox{y}\)" in card.answer


def test_keep_going_leaves_out_the_card_and_anki_never_sees_its_math(
    in_tmp: Path, anki: AnkiProfile
) -> None:
    note = f"## Good\n\n$x^2$\n\n## Bad\n\n$\\href{{javascript:alert(1)}}{{x}}$ and ${STYLE}$\n"
    result = build(in_tmp, {"notes/a.md": note}, "--keep-going")
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in errors(result)] == ["notes/a.md:7", "notes/a.md:7"]
    assert anki.import_deck(in_tmp / "out.apkg") == (1, 0, 0)
    (card,) = anki.cards()
    assert r"\(x^2\)" in card.answer
    assert "javascript" not in card.answer and "evil.test" not in card.answer


@pytest.mark.parametrize(
    ("markup", "found"),
    [
        ("<p>&#92;(&#92;style{x}{y}&#92;)</p>", ["style"]),  # entities, as the browser reads
        ("<p>\\(\\sty<!-- -->le{x}{y}\\)</p>", ["style"]),  # a comment joins text
        ("<p>\\(</p><p>\\style{x}{y}\\)</p>", []),  # math never spans two elements
        ("<pre>\\(\\style{x}{y}\\)</pre>", []),
        ('<pre class="tex2jax_process">\\(\\style{x}{y}\\)</pre>', ["style"]),
        ("<p>\\style{x}{y} but no math</p>", []),
    ],
)
def test_the_reader_sees_the_text_mathjax_sees(markup: str, found: list[str]) -> None:
    """What reaches MathJax without our sanitizer in between (the Source field, code)."""
    texts = mathjax.typeset_text(markup)
    assert [name for text in texts for name, _ in mathjax.refused_commands(text)] == found
