"""Python-Markdown extension for the card-body grammar: spoilers, type-in boxes,
quote boxes, and our highlighter for fenced and indented code."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from . import body

# (code, language, options) → HTML of the highlighted block
CodeRenderer = Callable[[str, "str | None", dict[str, str]], str]


class ClassedSpanProcessor(InlineProcessor):
    """`(S)text(S)` → <span class="at-spoiler">; `{{{answer}}}` → <span class="at-typein">."""

    def __init__(self, pattern: str, md: Markdown, css_class: str, parse_inner: bool) -> None:
        super().__init__(pattern, md)
        self.css_class = css_class
        self.parse_inner = parse_inner

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        element = etree.Element("span", {"class": self.css_class})
        # Type-in answers are compared letter by letter, so they stay literal text.
        element.text = m.group(1) if self.parse_inner else AtomicString(m.group(1))
        return element, m.start(0), m.end(0)


class DisplayMathProcessor(InlineProcessor):
    """`$$…$$` inside a paragraph → `\\[…\\]`, as a block `$$` already does."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        element = etree.Element("span", {"class": "arithmatex"})
        element.text = AtomicString(f"\\[{m.group(1)}\\]")
        return element, m.start(0), m.end(0)


class QuoteBoxPreprocessor(Preprocessor):
    """`(Q)` quote `(Q)` [source `(Q)`] → a quote box whose parts are Markdown."""

    def run(self, lines: list[str]) -> list[str]:
        boxes, _ = body.find_quote_boxes(lines)
        for box in reversed(boxes):
            quote = lines[box.start + 1 : box.middle]
            source = lines[box.middle + 1 : box.end]
            replacement = ['<div class="at-quote" markdown="1">', "", *quote, ""]
            if source:
                replacement += ['<div class="at-quote-source" markdown="1">', "", *source, ""]
                replacement += ["</div>"]
            replacement += ["</div>", ""]
            lines[box.start : box.end + 1] = replacement
        return lines


class IndentedCodeTreeprocessor(Treeprocessor):
    """Highlight indented code blocks too (fenced ones go through superfences)."""

    def __init__(self, md: Markdown, render_code: CodeRenderer) -> None:
        super().__init__(md)
        self.render_code = render_code
        self.language: str | None = None

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                code = child.find("code") if child.tag == "pre" else None
                if code is None or len(child) != 1:
                    continue
                source = html.unescape(code.text or "")
                block = self.render_code(source, self.language, {})
                placeholder = etree.Element("p")
                placeholder.text = self.md.htmlStash.store(block)
                parent.remove(child)
                parent.insert(index, placeholder)


class CardExtension(Extension):
    """Registers the card grammar on a Markdown instance."""

    def __init__(self, render_code: CodeRenderer) -> None:
        super().__init__()
        self.render_code = render_code
        self.indented: IndentedCodeTreeprocessor | None = None

    def extendMarkdown(self, md: Markdown) -> None:
        # Above backticks (190), so a type-in box works inside inline code as well.
        typein = ClassedSpanProcessor(r"\{\{\{(.+?)\}\}\}", md, "at-typein", parse_inner=False)
        md.inlinePatterns.register(typein, "at_typein", 195)
        # Before arithmatex's `$…$` (189.9), which would take `$$x$$` apart.
        md.inlinePatterns.register(
            DisplayMathProcessor(r"(?<!\\)\$\$(.+?)\$\$", md), "at_math", 189.95
        )
        spoiler = ClassedSpanProcessor(r"\(S\)(.+?)\(S\)", md, "at-spoiler", parse_inner=True)
        md.inlinePatterns.register(spoiler, "at_spoiler", 65)
        # After fenced code (25) is stashed, before raw HTML blocks (20) are.
        md.preprocessors.register(QuoteBoxPreprocessor(md), "at_quote", 22)
        self.indented = IndentedCodeTreeprocessor(md, self.render_code)
        md.treeprocessors.register(self.indented, "at_indented_code", 31)
