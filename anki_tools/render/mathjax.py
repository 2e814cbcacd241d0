r"""What Anki's MathJax typesets in a card, and the TeX commands a card cannot hold.

Anki's MathJax 3 (TeX input with `autoload`, `newcommand`, `require`, `mhchem`, …)
typesets every `\(…\)` and `\[…\]` in a card's text outside `<pre>` and `<code>`, not
only the math a note wrote as math: raw HTML, a file name in the Source field and a
backslash written `&#92;` reach it too. So math is judged on a field's final HTML, as
MathJax reads it: in the browser's text, entities decoded, split into the strings that
MathJax searches for delimiters.

A few TeX commands turn math into HTML that the sanitizer never saw: `\href{javascript:…}`
is a live link, `\style{background:url(…)}` a fetch as soon as the card shows. They are
refused, or allowed only with plain arguments. Decided command by command (MathJax 3's
extensions, and KaTeX's spellings, in case a member's Anki renders with it):

- refused anywhere: `\style` `\class` `\cssId` `\data` (html extension: CSS and HTML
  attributes), `\mmlToken` (any MathML attribute, `href` and `style` among them),
  `\require` (loads any extension), `\setOptions`, `\unicode` (sets a font),
  `\htmlStyle` `\htmlClass` `\htmlId` `\htmlData` `\includegraphics` (KaTeX);
- `\href` and `\url`: only with an http(s) link in braces right after them;
- arguments that become CSS or attributes must be plain words, numbers and sizes,
  written right after the command: the colors of `\color` `\textcolor` `\colorbox`
  `\fcolorbox` `\definecolor`, the options of `\enclose` and the `\cancel` family, and
  those of `\bbox` (colors, padding, `border…:` styles only). "Right after" also stops
  an alias: `\let\c=\fcolorbox` leaves `\fcolorbox` without its arguments.
- everything else (`\def`, `\newcommand`, `\let`, `\ce`, `\toggle`, `\texttip`, …) stays:
  MathJax's macros cannot build a command's name from pieces, so a refused command is
  always written out where this module sees it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

from ..errors import Problems
from ..notes import Source

Place = Callable[[str, str], Source]  # (field name, text to find) → where to report

# MathJax's defaults for the HTML it searches (HTMLDomStrings): these elements' text is
# skipped, unless the element has the class that asks for math; `<br>`, `<wbr>` and
# comments join the text around them; every other element ends a string.
SKIPPED_TAGS = {"script", "noscript", "style", "textarea", "pre", "code", "annotation"}
SKIPPED_TAGS |= {"annotation-xml"}
JOINING_TAGS = {"br": "\n", "wbr": ""}
PROCESS_CLASS_RE = re.compile(r"(?:^|\s)(?:mathjax|tex2jax)_process(?:\s|$)", re.IGNORECASE)
OPENER_RE = re.compile(r"\\[(\[]")  # Anki's delimiters; `$` is no math to it
JOINERS_RE = re.compile(r"<wbr\s*/?>|<!--.*?-->", re.IGNORECASE | re.DOTALL)

# A control word or a control symbol (`\\` is a line break, not a backslash before a word).
CONTROL_RE = re.compile(r"\\(?:([A-Za-z]+)|.)", re.DOTALL)
REFUSED = {
    "style": "it sets CSS, and a url() in it is fetched as soon as the card shows",
    "class": "it sets HTML classes, which the card's CSS and scripts act on",
    "cssId": "it sets an HTML id",
    "data": "it sets HTML data attributes",
    "mmlToken": "it sets any MathML attribute, a link or a style among them",
    "require": "it loads a MathJax extension",
    "setOptions": "it changes MathJax's options",
    "unicode": "it sets a font for a character (CSS)",
    "htmlStyle": "it sets CSS (KaTeX)",
    "htmlClass": "it sets HTML classes (KaTeX)",
    "htmlId": "it sets an HTML id (KaTeX)",
    "htmlData": "it sets HTML data attributes (KaTeX)",
    "includegraphics": "it fetches an image (KaTeX)",
}
LINKS = {"href", "url"}
LINK_RE = re.compile(r"\s*https?://[^\s\\{}\"'<>]+\s*", re.IGNORECASE)
# Each command's arguments that become CSS or attributes, in order: `o` an optional
# `[…]`, `c` a required `{…}`, `b` the options of \bbox. The math argument after them
# is math, judged like the rest.
PLAIN_ARGUMENTS = {
    "color": "oc",
    "textcolor": "oc",
    "colorbox": "oc",
    "fcolorbox": "ococ",
    "definecolor": "ccc",
    "bbox": "b",
    "enclose": "co",
    "cancel": "o",
    "bcancel": "o",
    "xcancel": "o",
    "cancelto": "o",
}
PLAIN_RE = re.compile(r"[\w\s.,#=!+-]*")  # red, #f00, 0.5,0.2,1, RGB, mathcolor=red, 2px
# \bbox[yellow, 5px, border: 2px solid red]: a color, a padding, or a border style.
BBOX_PART_RE = re.compile(r"\s*(?:[\w#.+-]+|border(?:-[a-z]+)*\s*:[\w\s.#-]*)\s*", re.IGNORECASE)
# In a macro's body `#1` is the macro's argument, any text: `\def\x#1{\fcolorbox{#1}…}`.
# (A hex color that starts with a digit is written `[HTML]{0A0A0A}`.)
PARAMETER_RE = re.compile(r"#[\d#]")


def check_fields(fields: dict[str, str], place: Place, problems: Problems) -> None:
    """An error for each refused command in the math of each field (once a field)."""
    for name, markup in fields.items():
        seen: set[str] = set()
        for tex in typeset_text(markup):
            for command, message in refused_commands(tex):
                if command not in seen:
                    seen.add(command)
                    problems.error(place(name, "\\" + command), message)


def typeset_text(markup: str) -> list[str]:
    """The text of a field that MathJax may read as TeX: each of its strings from the
    first `\\(` or `\\[` on (math never spans two strings, so this holds all of it)."""
    if not OPENER_RE.search(JOINERS_RE.sub("", html.unescape(markup))):
        return []  # most fields: no delimiter even where tags and entities could hide one
    reader = _Strings()
    reader.feed(markup)
    reader.close()
    return [text[match.start() :] for text in reader.strings if (match := OPENER_RE.search(text))]


def refused_commands(tex: str) -> Iterator[tuple[str, str]]:
    """(command, message) for each command in `tex` that a card cannot hold."""
    for match in CONTROL_RE.finditer(tex):
        name = match.group(1)
        why = name and _refusal(name, tex, match.end())
        if why:
            yield name, why


def _refusal(name: str, tex: str, end: int) -> str | None:
    """Why the command `name`, written in `tex` up to `end`, cannot be on a card."""
    if name in REFUSED:
        return f"math cannot hold \\{name}: {REFUSED[name]}"
    if name in LINKS and not _braced_link(tex, end):
        return (
            f"\\{name} needs an http(s) link in braces right after it, "
            f"as in \\{name}{{https://…}}: another target can run script"
        )
    if name in PLAIN_ARGUMENTS and not _plain_arguments(tex, end, name):
        return (
            f"\\{name} needs plain arguments right after it (colors such as red or "
            "[HTML]{FF0000}, sizes, words): they become CSS on the card"
        )
    return None


def _braced_link(tex: str, at: int) -> bool:
    argument = _group(tex, _skip_space(tex, at), "{", "}")
    return argument is not None and LINK_RE.fullmatch(argument[0]) is not None


def _plain_arguments(tex: str, at: int, name: str) -> bool:
    for kind in PLAIN_ARGUMENTS[name]:
        at = _skip_space(tex, at)
        argument = _group(tex, at, "{", "}") if kind == "c" else _group(tex, at, "[", "]")
        if argument is None:
            if kind == "c" or tex.startswith("[", at):
                return False  # a required argument missing, or options never closed
            continue
        text, at = argument
        if not _plain(text, kind):
            return False
    return True


def _plain(text: str, kind: str) -> bool:
    if PARAMETER_RE.search(text):
        return False
    if kind == "b":
        return all(BBOX_PART_RE.fullmatch(part) for part in text.split(","))
    return PLAIN_RE.fullmatch(text) is not None


def _group(tex: str, at: int, opening: str, closing: str) -> tuple[str, int] | None:
    """The text of a `{…}` or `[…]` group starting at `at` and the index after it, read
    as MathJax reads arguments: braces nest, a backslash takes the next character."""
    if not tex.startswith(opening, at):
        return None
    depth, index = 0, at + 1
    while index < len(tex):
        char = tex[index]
        if char == "\\":
            index += 1
        elif char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == closing and not depth:
            return tex[at + 1 : index], index + 1
        index += 1
    return None


def _skip_space(tex: str, at: int) -> int:
    while at < len(tex) and tex[at].isspace():
        at += 1
    return at


class _Strings(HTMLParser):
    """A field's text as MathJax searches it for math: the strings between elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # text as the browser reads it
        self.strings: list[str] = []
        self._text: list[str] = []
        self._skipped: list[bool] = []  # one per open skipped-kind element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in JOINING_TAGS:
            self._text.append(JOINING_TAGS[tag])
            return
        self._end_string()
        if tag in SKIPPED_TAGS:
            classes = dict(attrs).get("class") or ""
            self._skipped.append(not PROCESS_CLASS_RE.search(classes))

    def handle_endtag(self, tag: str) -> None:
        if tag in JOINING_TAGS:
            return
        self._end_string()
        if tag in SKIPPED_TAGS and self._skipped:
            self._skipped.pop()

    def handle_data(self, data: str) -> None:
        if not any(self._skipped):
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._end_string()

    def _end_string(self) -> None:
        if self._text:
            self.strings.append("".join(self._text))
            self._text = []
