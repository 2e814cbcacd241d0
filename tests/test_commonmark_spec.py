"""CommonMark conformance: every example of the CommonMark spec through our renderer.

The examples are tests/data/commonmark/spec.json (commonmark-spec 0.31.2, see the
README there). Each one is rendered with `Renderer.to_html` and compared with the
spec's expected HTML after both went through `normalize_html`. Every example must
pass except those in EXCEPTIONS, which must fail (strict xfail): an exception that
starts passing fails the run, so the list cannot go stale.

`normalize_html` follows the spec's own test/normalize.py, so harmless differences
of HTML writing do not count:

- whitespace runs collapse to one space, except inside <pre> (HTML whitespace: unlike
  normalize.py, a no-break space is content, not a space);
- whitespace next to a block-level tag, and at the start and end, is dropped;
- a newline right after <br> is dropped;
- `<br />` is `<br>`, attributes are sorted and always written `name="value"`;
- character references are decoded, then only `&`, `<`, `>` (and `"` in attributes)
  are escaped again: `&quot;`, `&#34;` and `"` in text are the same.

It also hides our deliberate differences from plain CommonMark (on both sides):

- Pygments. Our code blocks are
  `<div class="highlight language-X"><pre><span></span><code>…spans…</code></pre></div>`;
  such a block becomes `<pre><code class="language-X">TEXT</code></pre>` with its
  text only (`language-text`, our unknown or absent language, gets no class), as
  the spec writes it. Pygments ends every block, even an empty one, with a newline,
  and a <pre>'s final newline does not show: a code block (`<pre><code>`) whose text
  does not end with a newline gets one.
- The sanitizer (nh3, i.e. ammonia on html5ever) re-serializes the HTML, which the
  rules above absorb, and adds `rel="noopener noreferrer"` to links: that rel goes.
  It drops any href or src whose URL scheme is not http, https or mailto (`irc:`,
  `javascript:`, made-up schemes), so such an attribute goes.
  It parses the HTML as a browser does, so the normalizer applies the parsing rules
  that show in the examples: an element left open is closed by its parent's end tag
  or at the end (whitespace at the end, inside such elements, does not show); an end
  tag that closes nothing is dropped, except `</p>` (an empty paragraph) and `</br>`
  (a line break); <tbody> tags go, as the parser adds one around rows anyway; a
  newline right after <pre> is ignored; a tag that the input ends inside of goes;
  comments end where HTML ends them (`<!-->` is an empty one).
  Raw HTML that it removes on purpose (comments, unknown tags and attributes,
  scripts) is not normalized: those examples are EXCEPTIONS.
- Images. A local image path becomes a media name, or goes when the file is
  missing (the spec's paths do not exist): an <img> src that is not http(s) goes.
- Not normalized, so the examples they touch are EXCEPTIONS: math (`$…$`, and
  `\\(…\\)` / `\\[…\\]` as Anki's MathJax reads them); our card grammar's lines (`-`,
  `-h` and `-i` alone on a line separate cards) and markers (`(S)`, `(Q)`,
  `{{c1::…}}`, `{{{…}}}`); Obsidian's `[[…]]` links and `![[…]]` embeds; GFM autolink
  literals (a bare URL is a link); an unknown code language (plain text, so no `language-X` class).

Run as a script for a summary per section: `python tests/test_commonmark_spec.py`
(`--failures` also prints every failing example).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from anki_tools.errors import Problems
from anki_tools.notes import Kind, Note, Source
from anki_tools.render.media import MediaCollector
from anki_tools.render.renderer import Renderer
from anki_tools.templates import field_names

SPEC = Path(__file__).parent / "data" / "commonmark" / "spec.json"
SPEC_EXAMPLES = 652  # commonmark-spec 0.31.2

# Example number → why our output differs from the spec's on purpose.
UNKNOWN_LANGUAGE = "unknown code language {} is shown as plain text (a warning), no class"
SEPARATOR = "a line that is only `-` separates cards: never a list item (grammar.py)"
COMMENT = "the sanitizer removes HTML comments"
UNKNOWN_TAG = "the sanitizer removes tags it does not know: {}"
EXCEPTIONS: dict[int, str] = {
    12: r"`\(\)` and `\[\\\]` are bracket math (grammar.py), not escaped brackets",
    24: UNKNOWN_LANGUAGE.format("`foo+bar`"),
    34: UNKNOWN_LANGUAGE.format("`föö`"),
    144: UNKNOWN_LANGUAGE.format("`;`"),
    146: UNKNOWN_LANGUAGE.format("`aa`"),
    150: UNKNOWN_TAG.format("<foo>"),
    163: UNKNOWN_TAG.format("<Warning>"),
    169: "the sanitizer removes the `language` attribute of <pre>",
    170: "the sanitizer removes <script> and its content",
    171: "the sanitizer removes <textarea> (its content stays)",
    172: "the sanitizer removes <style> and its content",
    173: "the sanitizer removes <style> and its content",
    176: "the sanitizer removes <style> and its content",
    177: COMMENT,
    178: "the sanitizer removes <script> and its content",
    179: COMMENT,
    180: "`<?php …>` is a comment to an HTML parser, up to the first `>`: removed",
    181: "the sanitizer removes the doctype",
    182: "`<![CDATA[…>` is a comment to an HTML parser: removed",
    183: COMMENT,
    191: "an HTML parser moves the <pre> that the spec puts in a <tr> before the table",
    201: UNKNOWN_TAG.format("<bar>"),
    278: SEPARATOR,
    279: SEPARATOR,
    280: SEPARATOR,
    281: SEPARATOR,
    282: SEPARATOR,
    308: COMMENT + " (the two lists stay apart)",
    309: COMMENT + " (the list and the code stay apart)",
    491: UNKNOWN_TAG.format("<foo bar>"),
    524: UNKNOWN_TAG.format("<bar>"),
    536: UNKNOWN_TAG.format("<bar>"),
    548: "Obsidian's `[[foo]]` is a link to the note foo: shown as its name (obsidian.py)",
    590: "Obsidian's `![[foo]]` embeds the note foo: shown as its name (obsidian.py)",
    608: "GFM autolink literal: a bare URL is a link",
    611: "GFM autolink literal: a bare URL is a link",
    612: "GFM autolink literal: a bare email address is a mailto: link",
    613: UNKNOWN_TAG.format("<bab>, <c2c>"),
    614: UNKNOWN_TAG.format("<b2>"),
    615: UNKNOWN_TAG.format("<b2>"),
    616: "the sanitizer removes attributes it does not know (foo, bam, _boolean, zoop:33)",
    617: UNKNOWN_TAG.format("the custom element <responsive-image>"),
    625: COMMENT,
    626: COMMENT,
    627: "`<?php …?>` is a comment to an HTML parser: removed",
    628: "`<!ELEMENT …>` is a comment to an HTML parser: removed",
    629: "`<![CDATA[>` is a comment to an HTML parser, up to the first `>`: removed",
}

# ---------------------------------------------------------------- the normalizer

# Whitespace next to these is not shown: the spec's HTML block names (type 6), <pre>,
# and the few more that the spec's normalize.py counts as blocks.
BLOCK_NAMES = """
    address article aside base basefont blockquote body caption center col colgroup dd
    details dialog dir div dl dt fieldset figcaption figure footer form frame frameset
    h1 h2 h3 h4 h5 h6 head header hr html iframe legend li link main menu menuitem nav
    noframes ol optgroup option p param pre search section summary table tbody td
    tfoot th thead title tr track ul
    button canvas embed hgroup map object output progress script style textarea video
"""
BLOCK_TAGS = frozenset(BLOCK_NAMES.split())
VOID_NAMES = "area base br col embed hr img input link meta param source track wbr"
VOID_TAGS = frozenset(VOID_NAMES.split())
HTML_WHITESPACE = " \t\n\r\f"  # not U+00A0: a no-break space is content
WHITESPACE_RE = re.compile(f"[{HTML_WHITESPACE}]+")
SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})  # what our sanitizer keeps
IMAGE_SCHEMES = frozenset({"http", "https"})  # any other src is a local path or dropped
LINK_REL = "noopener noreferrer"  # what our sanitizer adds to every link
UNFINISHED_TAG_RE = re.compile(r"</?[a-zA-Z]")
# HTML's comment syntax: `<!-->` and `<!--->` are empty, `--!>` ends one too.
COMMENT_RE = re.compile(r"<!--(?:->|>|(.*?)--!?>)", re.DOTALL)


@dataclass(frozen=True)
class Tag:
    name: str
    attrs: tuple[tuple[str, str], ...] = ()
    end: bool = False

    def __str__(self) -> str:
        if self.end:
            return f"</{self.name}>"
        attrs = "".join(f' {name}="{html.escape(value)}"' for name, value in self.attrs)
        return f"<{self.name}{attrs}>"

    def classes(self) -> list[str]:
        return dict(self.attrs).get("class", "").split()


@dataclass(frozen=True)
class Raw:
    """Comments, declarations, processing instructions, CDATA: compared as written."""

    markup: str


Token = Tag | Raw | str  # a str is text, its references decoded
CODE_END, PRE_END = Tag("code", end=True), Tag("pre", end=True)
# What an HTML parser makes of an end tag that closes nothing: `</p>` is an empty
# paragraph, `</br>` a line break; any other is ignored.
STRAY_END_TAGS: dict[str, list[Token]] = {"p": [Tag("p"), Tag("p", end=True)], "br": [Tag("br")]}


def _opens(token: Token | None, name: str) -> bool:
    return isinstance(token, Tag) and token.name == name and not token.end


def normalize_html(markup: str) -> str:
    """HTML in a canonical form: equal results show the same thing (see the module doc)."""
    tokenizer = _Tokenizer()
    tokenizer.feed(markup)
    tokenizer.close()
    tokens = _balance(_unhighlight(tokenizer.tokens))
    return _serialize(_end_code_with_newline(tokens))


class _Tokenizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(Tag(tag, _attributes(tag, attrs)))

    # `<br />` is `<br>`, and a browser reads `<div />` as `<div>`.
    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(Tag(tag, end=True))

    def handle_data(self, data: str) -> None:
        last = self.tokens[-1] if self.tokens else None
        if isinstance(last, str):
            self.tokens[-1] = last + data
        else:
            # HTML parsers ignore a newline right after <pre> (`_text` writes it back).
            self.tokens.append(data.removeprefix("\n") if _opens(last, "pre") else data)

    def close(self) -> None:
        # A browser drops a tag that the input ends inside of (`<div id="foo"` at the end).
        if UNFINISHED_TAG_RE.match(self.rawdata):
            self.rawdata = ""
        super().close()

    def parse_comment(self, i: int, report: bool = True) -> int:
        # Python before 3.13 reads `<!--> a -->` as one comment; a browser does not.
        match = COMMENT_RE.match(self.rawdata, i)
        if not match:
            return -1
        if report:
            self.handle_comment(match[1] or "")
        return match.end()

    def handle_comment(self, data: str) -> None:
        self.tokens.append(Raw(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.tokens.append(Raw(f"<!{decl}>"))

    def unknown_decl(self, data: str) -> None:
        self.tokens.append(Raw(f"<![{data}]]>"))

    def handle_pi(self, data: str) -> None:
        self.tokens.append(Raw(f"<?{data}>"))


def _attributes(tag: str, attrs: list[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    kept: dict[str, str] = {}
    for name, value in attrs:
        # `checked` and `checked=""` are the same attribute; the first of two wins.
        if not _dropped(tag, name, value or ""):
            kept.setdefault(name, value or "")
    return tuple(sorted(kept.items()))


def _dropped(tag: str, name: str, value: str) -> bool:
    if tag == "a" and name == "rel":
        return value == LINK_REL
    if name not in ("href", "src"):
        return False
    scheme = SCHEME_RE.match(value)
    if tag == "img" and name == "src":
        return not scheme or scheme[1].lower() not in IMAGE_SCHEMES
    return scheme is not None and scheme[1].lower() not in LINK_SCHEMES


def _unhighlight(tokens: list[Token]) -> list[Token]:
    """Each Pygments block → the spec's `<pre><code class="language-X">text</code></pre>`."""
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if isinstance(token, Tag) and token.name == "div" and "highlight" in token.classes():
            end = _div_end(tokens, index)
            result += _plain_code(token, tokens[index + 1 : end])
            index = end + 1
        else:
            result.append(token)
            index += 1
    return result


def _div_end(tokens: list[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if isinstance(token, Tag) and token.name == "div":
            depth += -1 if token.end else 1
            if depth == 0:
                return index
    return len(tokens)


def _plain_code(div: Tag, inner: list[Token]) -> list[Token]:
    languages = [c.removeprefix("language-") for c in div.classes() if c.startswith("language-")]
    language = languages[0] if languages else "text"
    attrs = () if language == "text" else (("class", f"language-{language}"),)
    text = "".join(token for token in inner if isinstance(token, str))
    return [Tag("pre"), Tag("code", attrs), text, CODE_END, PRE_END]


def _balance(tokens: list[Token]) -> list[Token]:
    """Close what is left open and drop end tags that close nothing, as a browser does."""
    result: list[Token] = []
    open_tags: list[str] = []
    for token in tokens:
        if not isinstance(token, Tag) or (token.name in VOID_TAGS and not token.end):
            result.append(token)
        elif token.name == "tbody":
            pass  # HTML parsers add it around rows anyway
        elif not token.end:
            open_tags.append(token.name)
            result.append(token)
        elif token.name in open_tags:
            while (name := open_tags.pop()) != token.name:
                result.append(Tag(name, end=True))
            result.append(token)
        else:
            result += STRAY_END_TAGS.get(token.name, [])
    return result + _close_at_end(result, open_tags)


def _close_at_end(result: list[Token], open_tags: list[str]) -> list[Token]:
    # Whitespace at the end does not show, inside elements left open too (not in <pre>).
    if open_tags and "pre" not in open_tags and isinstance(result[-1], str):
        result[-1] = result[-1].rstrip(HTML_WHITESPACE)
    return [Tag(name, end=True) for name in reversed(open_tags)]


def _end_code_with_newline(tokens: list[Token]) -> list[Token]:
    result: list[Token] = []
    for index, token in enumerate(tokens):
        if token == CODE_END and tokens[index + 1 : index + 2] == [PRE_END]:
            if result and isinstance(result[-1], str):
                result[-1] = result[-1].removesuffix("\n") + "\n"
            else:
                result.append("\n")
        result.append(token)
    return result


def _serialize(tokens: list[Token]) -> str:
    out, pre_depth, previous = "", 0, None
    for token in tokens:
        if isinstance(token, str):
            out += _text(token, previous, pre_depth > 0)
        elif isinstance(token, Raw):
            out += token.markup
        else:
            if token.name in BLOCK_TAGS and not pre_depth:
                out = out.rstrip(HTML_WHITESPACE)
            pre_depth += (-1 if token.end else 1) if token.name == "pre" else 0
            out += str(token)
        previous = token
    return out.strip(HTML_WHITESPACE)


def _text(text: str, previous: Token | None, in_pre: bool) -> str:
    after_tag = previous.name if isinstance(previous, Tag) else ""
    if _opens(previous, "pre") and text.startswith("\n"):
        text = "\n" + text  # the newline a parser drops there, so the text reads back
    if after_tag == "br":
        text = text.lstrip("\n")
    if not in_pre:
        text = WHITESPACE_RE.sub(" ", text)
        if after_tag in BLOCK_TAGS:
            text = text.lstrip(" ")
    return html.escape(text, quote=False)


# ---------------------------------------------------------------- the examples


@dataclass(frozen=True)
class Example:
    number: int
    section: str
    markdown: str
    html: str

    @property
    def id(self) -> str:
        return f"example-{self.number}-{re.sub(r'[^A-Za-z0-9]+', '-', self.section)}"


def load_examples() -> list[Example]:
    data = json.loads(SPEC.read_text(encoding="utf-8"))
    return [Example(e["example"], e["section"], e["markdown"], e["html"]) for e in data]


EXAMPLES = load_examples()


def render(renderer: Renderer, markdown: str, folder: Path) -> str:
    note = Note(Kind.BASIC, markdown, "", "", "d", (), Source(folder / "n.md", 1), "t", folder)
    return renderer.to_html(markdown, MediaCollector(note, Problems()))


def example_param(example: Example) -> object:
    reason = EXCEPTIONS.get(example.number)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(example, id=example.id, marks=marks)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(field_names())  # building one is slow: one for all examples


@pytest.fixture(scope="module")
def notes_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("commonmark")


@pytest.mark.parametrize("example", [example_param(e) for e in EXAMPLES])
def test_commonmark_example(example: Example, renderer: Renderer, notes_folder: Path) -> None:
    actual = normalize_html(render(renderer, example.markdown, notes_folder))
    assert actual == normalize_html(example.html), f"markdown: {example.markdown!r}"


# ---------------------------------------------------------------- the normalizer's own tests


def test_spec_data_is_complete() -> None:
    assert [e.number for e in EXAMPLES] == list(range(1, SPEC_EXAMPLES + 1))
    assert set(EXCEPTIONS) <= {e.number for e in EXAMPLES}


def test_markdown_it_commonmark_passes_every_example() -> None:
    """The reference parser passes all: the normalizer does not make right output fail."""
    markdown_it = MarkdownIt("commonmark")
    failing = [
        e.number
        for e in EXAMPLES
        if normalize_html(markdown_it.render(e.markdown)) != normalize_html(e.html)
    ]
    assert failing == []


def test_normalizing_twice_changes_nothing() -> None:
    """Its output reads back as itself: escaping and whitespace rules agree."""
    for example in EXAMPLES:
        once = normalize_html(example.html)
        assert normalize_html(once) == once, example.id


@pytest.mark.parametrize(
    ("ours", "spec"),
    [
        ("<em>a</em>", "<strong>a</strong>"),
        ("<p>a b</p>", "<p>ab</p>"),
        ("<p>a</p><p>b</p>", "<p>a\nb</p>"),
        ("<p>&amp;nbsp;</p>", "<p>&nbsp;</p>"),
        ("<p>a&nbsp;b</p>", "<p>a b</p>"),
        ("<p>&lt;b&gt;</p>", "<p><b></b></p>"),
        ('<a href="/a">x</a>', '<a href="/b">x</a>'),
        ('<a href="/a" rel="nofollow">x</a>', '<a href="/a">x</a>'),
        ('<img src="https://e.org/a.png" alt="a">', '<img src="https://e.org/b.png" alt="a">'),
        ('<img alt="a">', '<img alt="b">'),
        ("<pre><code>a  b\n</code></pre>", "<pre><code>a b\n</code></pre>"),
        ("<pre><code>a\n\n</code></pre>", "<pre><code>a\n</code></pre>"),
        ("<pre><code>a\n</code></pre>", '<pre><code class="language-a">a\n</code></pre>'),
        ('<div class="highlight language-py"><pre><code>a</code></pre></div>', "<p>a</p>"),
        ('<div class="highlight language-c"><pre><code>a</code></pre></div>', "<pre><code>a"),
        ("<p>a<!-- b --></p>", "<p>a</p>"),
        ("<pre>\n\nx</pre>", "<pre>x</pre>"),
        ("<pre><code>a \n</code></pre>", "<pre><code>a\n</code></pre>"),
        ("<table><thead><tr><td>a</td></tr></thead></table>", "<table><tr><td>a</td></tr>"),
        ("<p>&lt;div id=x</p>", "<div id=x"),
    ],
)
def test_normalizer_keeps_real_differences(ours: str, spec: str) -> None:
    assert normalize_html(ours) != normalize_html(spec)


@pytest.mark.parametrize(
    ("ours", "spec"),
    [
        (
            '<div class="highlight language-ruby"><pre><span></span><code><span class="k">def'
            '</span><span class="w"> </span>&quot;x&quot;\n</code></pre></div>',
            '<pre><code class="language-ruby">def &quot;x&quot;\n</code></pre>',
        ),
        ('<div class="highlight language-text"><pre><code>\n</code></pre></div>', "<pre><code>"),
        ('<p><a href="/u" rel="noopener noreferrer">x</a></p>', '<p><a href="/u">x</a></p>'),
        ('<a href="irc://h/b" rel="noopener noreferrer">irc</a>', '<a href="irc://h/b">irc</a>'),
        ('<p><img alt="a"></p>', '<p><img src="a.png" alt="a" /></p>'),
        ("<p>a<br>b</p>\n", "<p>a<br />\nb</p>"),
        ("<p>\"a\" &amp; 'b'</p>", "<p>&quot;a&quot; &amp; &#39;b&#39;</p>"),
        ('<p title="a&quot;b" id=x>c</p>', '<p id="x" title=\'a"b\'>c</p>'),
        ("<div><em>a</em></div>", "<div><em>a</em>\n"),
        ("<p>x</p>", "</div><p>x</p>"),
        ("<p>a <!----> b --&gt;</p>", "<p>a <!--> b --></p>"),
        ("<table><tbody><tr><td>a</td></tr></tbody></table>", "<table><tr><td>a</td></tr>"),
        ("<pre>x\n</pre><p></p>", "<pre>\nx\n</pre></p>"),
        ('<pre lang="a">\nx</pre>', '<pre lang="a">x</pre>'),
        ("<p>a<br>b</p>", "<p>a</br>b</p>"),
        ('<a href="/x">y</a>', '<a href="/x">y\n'),
        ("", '<div id="foo"\n*hi*\n'),
    ],
)
def test_normalizer_hides_our_deliberate_differences(ours: str, spec: str) -> None:
    assert normalize_html(ours) == normalize_html(spec)


# ---------------------------------------------------------------- the summary script


def main() -> int:
    parser = argparse.ArgumentParser(description="CommonMark spec examples through our renderer")
    parser.add_argument("--failures", action="store_true", help="print every failing example")
    args = parser.parse_args()
    renderer = Renderer(field_names())
    passed: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for example in EXAMPLES:
            actual = normalize_html(render(renderer, example.markdown, Path(folder)))
            expected = normalize_html(example.html)
            (passed if actual == expected else failed)[example.section] += 1
            if actual != expected and args.failures:
                print_failure(example, expected, actual)
    print_summary(passed, failed)
    return 0 if not failed else 1


def print_failure(example: Example, expected: str, actual: str) -> None:
    reason = EXCEPTIONS.get(example.number, "")
    print(f"== {example.id}" + (f"  [exception: {reason}]" if reason else ""))
    print(f"markdown: {example.markdown!r}\nexpected: {expected!r}\nactual:   {actual!r}\n")


def print_summary(passed: Counter[str], failed: Counter[str]) -> None:
    sections = list(dict.fromkeys(e.section for e in EXAMPLES))
    width = max(map(len, sections))
    print(f"{'section':<{width}}  passed  failed")
    for section in sections:
        print(f"{section:<{width}}  {passed[section]:>6}  {failed[section]:>6}")
    total_failed = sum(failed.values())
    print(f"{'total':<{width}}  {sum(passed.values()):>6}  {total_failed:>6}")
    print(f"({len(EXCEPTIONS)} listed exceptions, expected among the failures)")


if __name__ == "__main__":
    sys.exit(main())
