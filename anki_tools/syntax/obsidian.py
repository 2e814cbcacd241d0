"""Obsidian's Markdown, as markdown-it plugins: a vault builds as Obsidian shows it.

`![[image.png|300]]` embeds an image (found by `Vault.find` as Obsidian finds it, then
read under the media rule of every image); `[[Note|alias]]` and note embeds show as
text; `==highlight==` is <mark>; `> [!type]± Title` is a callout box in the style of
GitHub's alerts; `%%comments%%` are dropped. Code and math keep all of these literally:
their rules take the text first.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Delimiter
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ..sanitize import EMBED_SCHEME

EMBED = EMBED_SCHEME + ":"  # an embed's image `src` until the media collector resolves it
NOTICE = "at_notice"  # env key: (markup, message) → a warning at the markup's line
IMAGE_SUFFIXES = {".avif", ".bmp", ".gif", ".jpeg", ".jpg", ".png", ".svg", ".webp"}
LINK_LONGEST = 1000  # a `[[` with no `]]` this near is text: long paragraphs stay linear
SIZE_RE = re.compile(r"^\s*(\d+)(?:x(\d+))?\s*$")
CALLOUT_RE = re.compile(r"^\[!([^\]\s]+)\]([+-]?)[ \t]*(.*)$")
COMMENT = "%%"
# Obsidian's callout types (and aliases) → the GitHub alert style each is drawn in.
# GitHub's five keep their own style: `> [!caution]` is the same box with or without a title.
CALLOUT_STYLES = {
    **dict.fromkeys(("note", "info", "todo", "abstract", "summary", "tldr"), "note"),
    **dict.fromkeys(("quote", "cite"), "note"),
    **dict.fromkeys(("tip", "hint", "success", "check", "done"), "tip"),
    **dict.fromkeys(("important", "question", "help", "faq", "example"), "important"),
    **dict.fromkeys(("warning", "attention"), "warning"),
    **dict.fromkeys(("caution", "failure", "fail", "missing", "danger", "error", "bug"), "caution"),
}


def obsidian_plugin(md: MarkdownIt) -> None:
    """Register Obsidian's syntax; before the card grammar, which bounds block rules."""
    md.block.ruler.before("fence", "obsidian_comment", _block_comment)
    _callouts(md)
    md.inline.ruler.before("link", "wikilink", _wikilink)
    md.inline.ruler.before("strikethrough", "mark", _mark)
    md.inline.ruler2.before("fragments_join", "mark", _mark_pairs)
    md.inline.ruler.before("text", "obsidian_comment", _inline_comment)
    for char in "=%":
        md.inline.add_terminator_char(char)
    md.add_render_rule("wikilink", _text)
    md.add_render_rule("note_embed", _note_embed)


# --- comments -----------------------------------------------------------------------------


def _block_comment(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Lines from one starting with `%%` to one ending with `%%`: gone, blank lines,
    headings and separators inside included (a commented-out card is no card). A `%%`
    never closed stays text."""
    if state.is_code_block(start) or not _text_of(state, start).startswith(COMMENT):
        return False
    first = _text_of(state, start)[2:]
    if COMMENT in first:
        if first.rstrip().endswith(COMMENT) and first.index(COMMENT) == len(first.rstrip()) - 2:
            state.line = start + 1
            return True
        return False  # `%%a%% text`: an inline comment in a paragraph
    for line in range(start + 1, end):
        text = _text_of(state, line).rstrip()
        if COMMENT in text:
            if text.index(COMMENT) != len(text) - 2:
                return False
            state.line = line + 1
            return True
    return False


def _text_of(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _inline_comment(state: StateInline, silent: bool) -> bool:
    """`%%…%%` inside a paragraph, over lines too."""
    if not state.src.startswith(COMMENT, state.pos):
        return False
    close = state.src.find(COMMENT, state.pos + 2, state.posMax)
    if close == -1:
        return False
    state.pos = close + 2
    return True


# --- wikilinks and embeds -----------------------------------------------------------------


def _wikilink(state: StateInline, silent: bool) -> bool:
    """`[[Note|alias]]` as its text; `![[image.png|300]]` as an image; other embeds as text."""
    src, pos = state.src, state.pos
    embed = src.startswith("![[", pos)
    opening = pos + (3 if embed else 2)
    if not embed and not src.startswith("[[", pos):
        return False
    close = src.find("]]", opening, min(state.posMax, opening + LINK_LONGEST))
    inner = src[opening:close] if close != -1 else ""
    if not inner.strip() or "\n" in inner or "[" in inner:
        return False
    if not embed and normalizeReference(inner) in state.env.get("references", {}):
        return False  # `[[foo]]` with a `[foo]: /url` definition: CommonMark's link
    if not silent:
        # In a table a `|` is written `\|`.
        target, *rest = [piece.strip() for piece in inner.replace("\\|", "|").split("|")]
        if embed and Path(target.split("#")[0]).suffix.lower() in IMAGE_SUFFIXES:
            _image(state, target.split("#")[0], rest)
        else:
            token = state.push("note_embed" if embed else "wikilink", "", 0)
            token.content = src[pos : close + 2]
            token.meta["text"] = rest[-1] if rest and rest[-1] else _shown_name(target)
    state.pos = close + 2
    return True


def _shown_name(target: str) -> str:
    """What Obsidian shows for a link without an alias: `Note > Heading`."""
    name, _, heading = target.partition("#")
    return f"{name} > {heading}" if name and heading else name or heading


def _image(state: StateInline, target: str, rest: list[str]) -> None:
    size = SIZE_RE.match(rest[-1]) if rest else None
    alt = next((piece for piece in (rest[:-1] if size else rest) if piece), Path(target).name)
    token = state.push("image", "img", 0)
    token.attrs = {"src": EMBED + target, "alt": ""}
    if size:
        token.attrs["width"] = size.group(1)
        if size.group(2):
            token.attrs["height"] = size.group(2)
    text = Token("text", "", 0, content=alt)
    token.children, token.content = [text], alt


def _text(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return html.escape(tokens[idx].meta["text"], quote=False)


def _note_embed(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    if NOTICE in env:
        env[NOTICE](
            token.content,
            f"'{token.content}' is not an image: only images are embedded in cards, "
            f"so the card shows its name, '{token.meta['text']}'",
        )
    return _text(self, tokens, idx, options, env)


# --- ==highlight== (markdown-it's `~~` rule with `=`, as markdown-it-mark does) ------------


def _mark(state: StateInline, silent: bool) -> bool:
    if silent or state.src[state.pos] != "=":
        return False
    scanned = state.scanDelims(state.pos, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        state.push("text", "", 0).content = "="
        length -= 1
    for _ in range(length // 2):
        state.push("text", "", 0).content = "=="
        delimiter = Delimiter(
            0x3D, 0, len(state.tokens) - 1, -1, scanned.can_open, scanned.can_close
        )
        state.delimiters.append(delimiter)
    state.pos += scanned.length
    return True


def _mark_pairs(state: StateInline) -> None:
    _pair_marks(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            _pair_marks(state, meta["delimiters"])


def _pair_marks(state: StateInline, delimiters: list[Delimiter]) -> None:
    lone = []
    for start in delimiters:
        if start.marker != 0x3D or start.end == -1:
            continue
        end = delimiters[start.end]
        for index, kind in ((start.token, "mark_open"), (end.token, "mark_close")):
            token = state.tokens[index]
            token.type, token.tag, token.markup, token.content = kind, "mark", "==", ""
            token.nesting = 1 if kind == "mark_open" else -1
        before = state.tokens[end.token - 1]
        if before.type == "text" and before.content == "=":
            lone.append(end.token - 1)
    # An odd run `===` is `=` + `==`: its lone `=` goes after the closing tags.
    while lone:
        index = lone.pop()
        after = index + 1
        while after < len(state.tokens) and state.tokens[after].type == "mark_close":
            after += 1
        after -= 1
        if index != after:
            state.tokens[index], state.tokens[after] = state.tokens[after], state.tokens[index]


# --- callouts -----------------------------------------------------------------------------


def _callouts(md: MarkdownIt) -> None:
    """A quote whose first line is `[!type]` (GitHub's five alone are markdown-it's
    alerts already) becomes a box: `-` folded, `+` foldable and open."""
    index = md.block.ruler.__find__("blockquote")
    rule = md.block.ruler.__rules__[index]
    quote = rule.fn

    def callout(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        first = len(state.tokens)
        found = quote(state, start, end, silent)
        if found and not silent:
            _to_callout(state.tokens, first)
        return found

    md.block.ruler.at(rule.name, callout, {"alt": list(rule.alt)})


def _to_callout(tokens: list[Token], first: int) -> None:
    """The quote's tokens (from `first` on) as a callout, if its first line says so."""
    if len(tokens) < first + 3 or tokens[first + 1].type != "paragraph_open":
        return
    opening, paragraph, inline = tokens[first : first + 3]
    line, _, rest = inline.content.partition("\n")
    match = CALLOUT_RE.match(line.strip())
    if opening.type != "blockquote_open" or not match:
        return
    kind, fold, title = match.group(1).lower(), match.group(2), match.group(3).strip()
    tag, title_tag = ("details", "summary") if fold else ("div", "p")
    classes = f"markdown-alert markdown-alert-{CALLOUT_STYLES.get(kind, 'note')} at-callout"
    for token, name in ((opening, "callout_open"), (tokens[-1], "callout_close")):
        token.type, token.tag, token.markup = name, tag, f"[!{kind}]"
    opening.attrs = {"class": classes + (f" at-callout-{kind}" if kind in CALLOUT_STYLES else "")}
    if fold == "+":
        opening.attrs["open"] = ""
    start, end = paragraph.map or (0, 1)
    heading = _title(title or kind.capitalize(), title_tag, opening.level, start)
    if rest.strip():
        inline.content = rest
        inline.map = paragraph.map = [start + 1, end]
        tokens[first + 1 : first + 1] = heading
    else:
        tokens[first + 1 : first + 4] = heading


def _title(text: str, tag: str, level: int, line: int) -> list[Token]:
    """A callout's title: its inline content is parsed with the rest of the field."""
    opening = Token("callout_title_open", tag, 1, attrs={"class": "markdown-alert-title"})
    inline = Token("inline", "", 0, content=text, map=[line, line + 1], children=[])
    closing = Token("callout_title_close", tag, -1)
    for token in (opening, inline, closing):
        token.level, token.block = level + 1, True
    inline.level = level + 2
    return [opening, inline, closing]


# --- finding an embedded file -------------------------------------------------------------


class Ambiguous(Exception):
    """Two or more files fit an embed equally well."""


class Vault:
    """Finds `![[name]]` as Obsidian does; the build root is the vault. Files are
    listed once per build (a rebuild sees new ones), only when a name must be searched."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, list[str]]] = {}

    def find(self, target: str, folder: Path, root: Path) -> Path | None:
        """The file for `target`: as written, from the note's folder, then from the root;
        else the file of that name (and path ending) anywhere in the root nearest the
        note: sharing the most folders with it, then with the fewest folders."""
        for base in (folder, root):
            if (base / target).is_file():
                return base / target
        wanted = "/" + target.lower().lstrip("/")
        fits = [
            path
            for path in self._files(root).get(Path(target).name.lower(), [])
            if ("/" + path.lower()).endswith(wanted)
        ]
        if not fits:
            return None
        here = Path(os.path.relpath(os.path.abspath(folder), os.path.abspath(root))).parts
        distance = {path: _distance(here, path) for path in fits}
        nearest = sorted(path for path in fits if distance[path] == min(distance.values()))
        if len(nearest) > 1:
            raise Ambiguous(
                f"'{target}' is ambiguous: {' and '.join(nearest)} are equally near the "
                f"note; write the path, as in ![[{nearest[0]}]]"
            )
        return root / nearest[0]

    def _files(self, root: Path) -> dict[str, list[str]]:
        """Images under the root by lower-case name, as paths from it; Obsidian's own
        dot folders (.obsidian, .trash, .git) are not part of the vault."""
        key = os.path.realpath(root)
        if key not in self._names:
            names: dict[str, list[str]] = {}
            for folder, subfolders, files in os.walk(root):
                subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
                place = Path(folder).relative_to(root).as_posix()
                for name in files:
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        path = name if place == "." else f"{place}/{name}"
                        names.setdefault(name.lower(), []).append(path)
            self._names[key] = names
        return self._names[key]


def _distance(here: tuple[str, ...], path: str) -> tuple[int, int]:
    """How far a file (a path from the root) is from a note's folder (its parts from
    the root): fewer folders of the note's not shared first, then fewer folders."""
    folders = path.split("/")[:-1]
    shared = 0
    while shared < min(len(here), len(folders)) and here[shared] == folders[shared]:
        shared += 1
    return -shared, len(folders)
